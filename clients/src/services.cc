// SNS (Query protocol, XML answers), EventBridge (AWS JSON 1.1, AWSEvents.<Action>) and Step
// Functions (AWS JSON 1.0, AWSStepFunctions.<Action>).
#include "transport.h"

namespace wyvern::client {
namespace {

using json = nlohmann::json;
using Params = std::vector<std::pair<std::string, std::string>>;

constexpr char kSnsVersion[] = "2010-03-31";

std::string text(const json& j, const char* member) {
  return j.contains(member) && j[member].is_string() ? j[member].get<std::string>() : "";
}

double number(const json& j, const char* member) {
  return j.contains(member) && j[member].is_number() ? j[member].get<double>() : 0;
}

void add_map(Params& params, const std::string& prefix,
             const std::map<std::string, std::string>& map) {
  int n = 0;
  for (const auto& [key, value] : map) {
    std::string entry = prefix + ".entry." + std::to_string(++n);
    params.emplace_back(entry + ".key", key);
    params.emplace_back(entry + ".value", value);
  }
}

std::string first(const std::string& xml, const std::string& tag) {
  auto values = xml_values(xml, tag);
  return values.empty() ? "" : values[0];
}

}  // namespace

// --- Topics -------------------------------------------------------------------------------

Topics::Topics(Options options) : transport_(std::make_unique<Transport>(options, "sns")) {}
Topics::~Topics() = default;
Topics::Topics(Topics&&) noexcept = default;
Topics& Topics::operator=(Topics&&) noexcept = default;

Result<std::string> Topics::create_topic(const std::string& name,
                                         const std::map<std::string, std::string>& attributes) {
  Params params = {{"Action", "CreateTopic"}, {"Version", kSnsVersion}, {"Name", name}};
  add_map(params, "Attributes", attributes);
  auto r = transport_->query_call(params);
  if (!r) return r.error();
  return first(*r, "TopicArn");
}

Result<std::vector<std::string>> Topics::list_topics() {
  std::vector<std::string> arns;
  std::string token;
  do {
    Params params = {{"Action", "ListTopics"}, {"Version", kSnsVersion}};
    if (!token.empty()) params.emplace_back("NextToken", token);
    auto r = transport_->query_call(params);
    if (!r) return r.error();
    for (auto& arn : xml_values(*r, "TopicArn")) arns.push_back(std::move(arn));
    token = first(*r, "NextToken");
  } while (!token.empty());
  return arns;
}

Result<Ok> Topics::delete_topic(const std::string& topic_arn) {
  auto r = transport_->query_call(
      {{"Action", "DeleteTopic"}, {"Version", kSnsVersion}, {"TopicArn", topic_arn}});
  if (!r) return r.error();
  return Ok{};
}

Result<std::string> Topics::subscribe(const std::string& topic_arn, const std::string& protocol,
                                      const std::string& endpoint,
                                      const std::map<std::string, std::string>& attributes) {
  Params params = {{"Action", "Subscribe"},     {"Version", kSnsVersion},
                   {"TopicArn", topic_arn},     {"Protocol", protocol},
                   {"Endpoint", endpoint},      {"ReturnSubscriptionArn", "true"}};
  add_map(params, "Attributes", attributes);
  auto r = transport_->query_call(params);
  if (!r) return r.error();
  return first(*r, "SubscriptionArn");
}

Result<Published> Topics::publish(const std::string& topic_arn, const std::string& message,
                                  const PublishOptions& options) {
  Params params = {{"Action", "Publish"},
                   {"Version", kSnsVersion},
                   {"TopicArn", topic_arn},
                   {"Message", message}};
  if (!options.subject.empty()) params.emplace_back("Subject", options.subject);
  if (!options.group_id.empty()) params.emplace_back("MessageGroupId", options.group_id);
  if (!options.deduplication_id.empty())
    params.emplace_back("MessageDeduplicationId", options.deduplication_id);
  int n = 0;
  for (const auto& [name, a] : options.attributes) {
    std::string entry = "MessageAttributes.entry." + std::to_string(++n);
    params.emplace_back(entry + ".Name", name);
    params.emplace_back(entry + ".Value.DataType", a.data_type);
    params.emplace_back(entry + ".Value.StringValue", a.string_value);
  }
  auto r = transport_->query_call(params);
  if (!r) return r.error();
  return Published{first(*r, "MessageId"), first(*r, "SequenceNumber")};
}

// --- Bus ----------------------------------------------------------------------------------

Bus::Bus(Options options) : transport_(std::make_unique<Transport>(options, "events")) {}
Bus::~Bus() = default;
Bus::Bus(Bus&&) noexcept = default;
Bus& Bus::operator=(Bus&&) noexcept = default;

Result<json> Bus::call(const std::string& action, const json& request) {
  return transport_->json_call("AWSEvents." + action, "application/x-amz-json-1.1", request);
}

Result<PutEventsResult> Bus::put_events(const std::vector<Event>& events) {
  json entries = json::array();
  for (const Event& e : events) {
    json entry = {{"Source", e.source}, {"DetailType", e.detail_type}, {"Detail", e.detail.dump()}};
    if (!e.bus.empty()) entry["EventBusName"] = e.bus;
    if (!e.resources.empty()) entry["Resources"] = e.resources;
    entries.push_back(entry);
  }
  auto r = call("PutEvents", {{"Entries", entries}});
  if (!r) return r.error();
  PutEventsResult out;
  out.failed_entry_count = r->value("FailedEntryCount", 0);
  if (r->contains("Entries"))
    for (const auto& e : (*r)["Entries"])
      out.entries.push_back({text(e, "EventId"), text(e, "ErrorCode"), text(e, "ErrorMessage")});
  return out;
}

// --- StateMachines ------------------------------------------------------------------------

StateMachines::StateMachines(Options options)
    : transport_(std::make_unique<Transport>(options, "states")) {}
StateMachines::~StateMachines() = default;
StateMachines::StateMachines(StateMachines&&) noexcept = default;
StateMachines& StateMachines::operator=(StateMachines&&) noexcept = default;

Result<json> StateMachines::call(const std::string& action, const json& request) {
  return transport_->json_call("AWSStepFunctions." + action, "application/x-amz-json-1.0",
                               request);
}

Result<std::string> StateMachines::create(const std::string& name, const json& definition,
                                          const std::string& role_arn, const std::string& type) {
  auto r = call("CreateStateMachine",
                {{"name", name},
                 {"definition", definition.is_string() ? definition.get<std::string>()
                                                       : definition.dump()},
                 {"roleArn", role_arn},
                 {"type", type}});
  if (!r) return r.error();
  return text(*r, "stateMachineArn");
}

Result<std::vector<std::string>> StateMachines::list() {
  std::vector<std::string> arns;
  std::string token;
  do {
    json request = json::object();
    if (!token.empty()) request["nextToken"] = token;
    auto r = call("ListStateMachines", request);
    if (!r) return r.error();
    if (r->contains("stateMachines"))
      for (const auto& m : (*r)["stateMachines"]) arns.push_back(text(m, "stateMachineArn"));
    token = text(*r, "nextToken");
  } while (!token.empty());
  return arns;
}

Result<StartedExecution> StateMachines::start(const std::string& state_machine_arn,
                                              const json& input, const std::string& name) {
  json request = {{"stateMachineArn", state_machine_arn},
                  {"input", input.is_string() ? input.get<std::string>() : input.dump()}};
  if (!name.empty()) request["name"] = name;
  auto r = call("StartExecution", request);
  if (!r) return r.error();
  return StartedExecution{text(*r, "executionArn"), number(*r, "startDate")};
}

Result<Execution> StateMachines::describe(const std::string& execution_arn) {
  auto r = call("DescribeExecution", {{"executionArn", execution_arn}});
  if (!r) return r.error();
  const json& d = *r;
  return Execution{text(d, "executionArn"), text(d, "stateMachineArn"), text(d, "name"),
                   text(d, "status"),       text(d, "input"),           text(d, "output"),
                   text(d, "error"),        text(d, "cause"),           number(d, "startDate"),
                   number(d, "stopDate")};
}

Result<std::vector<HistoryEvent>> StateMachines::history(const std::string& execution_arn) {
  std::vector<HistoryEvent> events;
  std::string token;
  do {
    json request = {{"executionArn", execution_arn}, {"maxResults", 1000}};
    if (!token.empty()) request["nextToken"] = token;
    auto r = call("GetExecutionHistory", request);
    if (!r) return r.error();
    if (r->contains("events"))
      for (const auto& e : (*r)["events"]) {
        HistoryEvent event;
        event.id = e.value("id", 0L);
        event.previous_event_id = e.value("previousEventId", 0L);
        event.type = text(e, "type");
        event.timestamp = number(e, "timestamp");
        event.details = json::object();
        for (const auto& [key, value] : e.items())
          if (key.ends_with("EventDetails")) event.details = value;
        events.push_back(std::move(event));
      }
    token = text(*r, "nextToken");
  } while (!token.empty());
  return events;
}

Result<Ok> StateMachines::stop(const std::string& execution_arn, const std::string& error,
                               const std::string& cause) {
  json request = {{"executionArn", execution_arn}};
  if (!error.empty()) request["error"] = error;
  if (!cause.empty()) request["cause"] = cause;
  auto r = call("StopExecution", request);
  if (!r) return r.error();
  return Ok{};
}

Result<Ok> StateMachines::send_task_success(const std::string& task_token, const json& output) {
  auto r = call("SendTaskSuccess",
                {{"taskToken", task_token},
                 {"output", output.is_string() ? output.get<std::string>() : output.dump()}});
  if (!r) return r.error();
  return Ok{};
}

Result<Ok> StateMachines::send_task_failure(const std::string& task_token,
                                            const std::string& error, const std::string& cause) {
  json request = {{"taskToken", task_token}};
  if (!error.empty()) request["error"] = error;
  if (!cause.empty()) request["cause"] = cause;
  auto r = call("SendTaskFailure", request);
  if (!r) return r.error();
  return Ok{};
}

Result<Ok> StateMachines::send_task_heartbeat(const std::string& task_token) {
  auto r = call("SendTaskHeartbeat", {{"taskToken", task_token}});
  if (!r) return r.error();
  return Ok{};
}

}  // namespace wyvern::client
