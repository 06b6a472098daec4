#include "integrations.h"

#include <cctype>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "events_api.h"
#include "foundation/codec.h"
#include "sfn_api.h"
#include "sns_api.h"
#include "sqs_api.h"

namespace wyvern::server::integrations {
namespace {

using json = nlohmann::json;
using stepfn::ServiceAnswer;

// How the SDK Step Functions calls a service with names it: the error prefix, and the service
// name its cause text carries.
struct Naming {
  const char* prefix;
  const char* service;
};
Naming naming_of(const std::string& service) {
  if (service == "sqs") return {"SQS", "AmazonSQS"};
  if (service == "sns") return {"SNS", "AmazonSNS"};
  if (service == "events") return {"EventBridge", "AmazonEventBridge"};
  // The aws-sdk integrations name errors after the SDK v2 client: Sqs, Sfn, EventBridge.
  if (service == "aws-sdk:sqs") return {"Sqs", "Sqs"};
  if (service == "aws-sdk:sfn") return {"Sfn", "Sfn"};
  if (service == "aws-sdk:sns") return {"Sns", "Sns"};
  if (service == "aws-sdk:eventbridge") return {"EventBridge", "EventBridge"};
  return {"StepFunctions", "AWSStepFunctions"};
}

// A refusal as an optimized integration reports it: "<prefix>.<the SDK's exception class>",
// and the cause "<message> (Service: ...; Status Code: ...; Error Code: ...; Request ID: ...;
// Proxy: null)". Errors the service's model does not name (a missing parameter, an internal
// failure) surface as the SDK's generic exception, "SQS.AmazonSQSException".
ServiceAnswer refusal(const std::string& service, const Error& e) {
  static const std::set<std::string> kUnmodelled = {
      "MissingParameter",      "InvalidParameterValue", "InvalidParameterCombination",
      "InvalidQueryParameter", "MalformedQueryString",  "MalformedInput",
      "InvalidAction",         "InternalFailure",       "ServiceUnavailable",
      "NotImplemented",        "AccessDenied",          "InvalidSecurity",
      "RequestThrottled",      "RequestEntityTooLarge", "ValidationError"};
  const ErrorInfo& info = e.info();
  std::string shape(info.shape());
  Naming n = naming_of(service);
  std::string code(info.query_code);
  std::string exception;
  if (kUnmodelled.count(code) || kUnmodelled.count(shape) ||
      std::string(info.json_type).rfind("com.amazon.coral.service#", 0) == 0)
    exception = std::string(n.service) + "Exception";
  else
    exception = shape.ends_with("Exception") ? shape : shape + "Exception";
  ServiceAnswer answer;
  answer.error = std::string(n.prefix) + "." + exception;
  // SDK v1 (the optimized integrations) and SDK v2 (aws-sdk) word their causes differently.
  if (service.rfind("aws-sdk:", 0) == 0)
    answer.cause = e.message + " (Service: " + n.service +
                   ", Status Code: " + std::to_string(info.http_status) +
                   ", Request ID: " + uuid4() + ")";
  else
    answer.cause = e.message + " (Service: " + n.service +
                   "; Status Code: " + std::to_string(info.http_status) + "; Error Code: " +
                   code + "; Request ID: " + uuid4() + "; Proxy: null)";
  return answer;
}

ServiceAnswer answered(json response) {
  ServiceAnswer answer;
  answer.ok = true;
  answer.response = std::move(response);
  answer.request_id = uuid4();
  return answer;
}

std::function<void(Result<json>)> replying(const std::string& service,
                                           std::function<void(ServiceAnswer)> done) {
  return [service, done = std::move(done)](Result<json> r) {
    done(r.ok() ? answered(std::move(r.value())) : refusal(service, r.error()));
  };
}

std::optional<std::string> text(const json& in, const char* member) {
  if (in.contains(member) && in[member].is_string()) return in[member].get<std::string>();
  return std::nullopt;
}

// sns:publish: the request as the topics engine takes it.
topics::PublishRequest publish_request(const json& in) {
  topics::PublishRequest r;
  r.topic_arn = text(in, "TopicArn");
  r.target_arn = text(in, "TargetArn");
  r.phone_number = text(in, "PhoneNumber");
  r.message = text(in, "Message");
  r.subject = text(in, "Subject");
  r.message_structure = text(in, "MessageStructure");
  r.group_id = text(in, "MessageGroupId");
  r.deduplication_id = text(in, "MessageDeduplicationId");
  if (in.contains("MessageAttributes") && in["MessageAttributes"].is_object())
    for (const auto& [name, a] : in["MessageAttributes"].items()) {
      if (!a.is_object()) continue;
      topics::MessageAttribute attribute;
      attribute.data_type = text(a, "DataType").value_or("");
      attribute.string_value = text(a, "StringValue");
      if (auto binary = text(a, "BinaryValue")) attribute.binary_value = base64_decode(*binary);
      r.attributes[name] = std::move(attribute);
    }
  return r;
}

// Step Functions' own API speaks camelCase; the integrations speak PascalCase. Member names
// change case at every depth; values are left alone.
json recased(const json& in, bool upper) {
  if (in.is_array()) {
    json out = json::array();
    for (const auto& v : in) out.push_back(recased(v, upper));
    return out;
  }
  if (!in.is_object()) return in;
  json out = json::object();
  for (const auto& [key, value] : in.items()) {
    std::string k = key;
    if (!k.empty())
      k[0] = static_cast<char>(upper ? std::toupper(static_cast<unsigned char>(k[0]))
                                     : std::tolower(static_cast<unsigned char>(k[0])));
    out[k] = recased(value, upper);
  }
  return out;
}
json camel(const json& in) {
  return recased(in, false);
}

// An aws-sdk answer from Step Functions: PascalCase, and its timestamps (epoch seconds on the
// wire) as the ISO-8601 text with milliseconds the SDK's serialiser writes.
json sdk_answer(const json& in) {
  if (in.is_array()) {
    json out = json::array();
    for (const auto& v : in) out.push_back(sdk_answer(v));
    return out;
  }
  if (!in.is_object()) return in;
  json out = json::object();
  for (const auto& [key, value] : in.items()) {
    std::string k = key;
    if (!k.empty()) k[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(k[0])));
    bool date = key.size() > 4 && key.ends_with("Date") && value.is_number();
    out[k] = date ? json(iso8601_ms(static_cast<int64_t>(value.get<double>() * 1000 + 0.5)))
                  : sdk_answer(value);
  }
  return out;
}

}  // namespace

void call_action(const Services& services, const Caller& caller, const std::string& service,
                 const std::string& action_name, json parameters,
                 std::function<void(Result<json>)> done) {
  auto unknown = [&] {
    done(Error{ErrorCode::kInvalidAction,
               "The action " + action_name + " is not valid for this endpoint."});
  };
  if (service == "sqs") {
    const sqs::Action* action = sqs::find_action(action_name);
    if (!action) return unknown();
    sqs::Call request{caller, WireProtocol::kJson, std::move(parameters)};
    return action->run(*services.sqs, request, std::move(done));
  }
  if (service == "events") {
    const events::Action* action = events::find_action(action_name);
    if (!action || !action->run) return unknown();
    return action->run(*services.events, caller, parameters, std::move(done));
  }
  if (service == "sfn") {
    const sfn::Action* action = sfn::find_action(action_name);
    if (!action) return unknown();
    return action->run(*services.sfn, caller, parameters, std::move(done));
  }
  if (service == "sns") {
    // SNS speaks Query: the JSON request is flattened into its form, its XML read back.
    const sns::Action* action = sns::find_action(action_name);
    if (!action) return unknown();
    if (!action->run)
      return done(Error{ErrorCode::kNotImplemented,
                        "Wyvern does not implement the SNS action " + action_name + "."});
    return action->run(*services.sns, caller, sns::query_params(action_name, parameters),
                       [done = std::move(done)](Result<std::optional<std::string>> r) {
                         if (!r.ok()) return done(r.error());
                         done(sns::result_json(r.value()));
                       });
  }
  unknown();
}

Result<json> call_action_now(const Services& services, const Caller& caller,
                             const std::string& service, const std::string& action,
                             json parameters) {
  // Shared, so that an answer arriving late (it must not) writes to nothing that is gone.
  auto answer = std::make_shared<std::optional<Result<json>>>();
  call_action(services, caller, service, action, std::move(parameters),
              [answer](Result<json> r) { *answer = std::move(r); });
  if (!*answer) return Error{ErrorCode::kInternalFailure, action + " did not answer at once"};
  return std::move(**answer);
}

void call_service(const Services& services, const Caller& caller, stepfn::ServiceCall call,
                  std::function<void(ServiceAnswer)> done) {
  const std::string& service = call.service;
  if (service.rfind("aws-sdk:", 0) == 0) {
    // The service's own action; Step Functions' camelCase API translated both ways.
    std::string name = service.substr(8);
    bool sfn = name == "sfn";
    return call_action(services, caller, name == "eventbridge" ? "events" : name, call.action,
                       sfn ? camel(call.parameters) : std::move(call.parameters),
                       [service, sfn, done = std::move(done)](Result<json> r) {
                         if (!r.ok()) return done(refusal(service, r.error()));
                         done(answered(sfn ? sdk_answer(r.value()) : std::move(r.value())));
                       });
  }
  if (service == "sqs" || service == "events")
    return call_action(services, caller, service, call.action, std::move(call.parameters),
                       replying(service, std::move(done)));
  if (service == "states") {
    return call_action(services, caller, "sfn", call.action, camel(call.parameters),
                       [done = std::move(done)](Result<json> r) {
                         if (!r.ok()) return done(refusal("states", r.error()));
                         // The SDK gives the start date as epoch milliseconds.
                         json out = {{"ExecutionArn", r.value().value("executionArn", "")}};
                         if (r.value().contains("startDate") && r.value()["startDate"].is_number())
                           out["StartDate"] = static_cast<int64_t>(
                               r.value()["startDate"].get<double>() * 1000 + 0.5);
                         done(answered(std::move(out)));
                       });
  }
  if (service == "sns" && call.action == "Publish") {
    return services.sns->publish(
        caller, publish_request(call.parameters),
        [done = std::move(done)](Result<topics::PublishResult> published) {
          if (!published.ok()) return done(refusal("sns", published.error()));
          json out = {{"MessageId", published.value().message_id}};
          if (published.value().sequence_number)
            out["SequenceNumber"] = *published.value().sequence_number;
          done(answered(std::move(out)));
        });
  }
  done(refusal(service, Error{ErrorCode::kInvalidAction, "Unknown action " + call.action}));
}

void announce_status_change(bus::EventBridge& events, const Caller& caller, std::string detail,
                            std::string execution_arn) {
  bus::PutEventsEntry entry;
  entry.source = "aws.states";
  entry.detail_type = "Step Functions Execution Status Change";
  entry.detail = std::move(detail);
  entry.resources = {std::move(execution_arn)};
  std::vector<bus::PutEventsEntry> entries;
  entries.push_back(std::move(entry));
  // Best effort, as AWS delivers these: nobody waits on the answer.
  events.put_service_events(caller, std::move(entries), [](Result<bus::PutEventsResult>) {});
}

}  // namespace wyvern::server::integrations
