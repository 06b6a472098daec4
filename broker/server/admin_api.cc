#include "admin_api.h"

#include <map>
#include <set>

#include "bus/bus.h"
#include "foundation/codec.h"
#include "stepfn/stepfn.h"
#include "topics/topics.h"

namespace wyvern::server {
namespace {

using json = nlohmann::json;
using integrations::call_action;
using integrations::call_action_now;

ApiResponse refused(const Error& e) {
  return {static_cast<int>(e.info().http_status),
          {{"error", {{"code", std::string(e.info().shape())}, {"message", e.message}}}}};
}

ApiResponse not_found(const std::string& what) {
  return {404, {{"error", {{"code", "NotFound"}, {"message", what}}}}};
}

std::string text(const json& j, const char* member) {
  return j.contains(member) && j[member].is_string() ? j[member].get<std::string>() : "";
}

long number(const json& attributes, const char* name) {
  std::string v = text(attributes, name);
  return v.empty() ? 0 : std::atol(v.c_str());
}

json parsed(const std::string& s) {
  json j = json::parse(s, nullptr, false);
  return j.is_discarded() ? json(s) : j;
}

std::string last_part(const std::string& s, char separator) {
  return s.substr(s.rfind(separator) + 1);
}

Result<json> queues(const integrations::Services& services, const Caller& caller) {
  auto listed = call_action_now(services, caller, "sqs", "ListQueues", {{"MaxResults", 1000}});
  if (!listed) return listed.error();
  json out = json::array();
  std::map<std::string, std::vector<std::string>> sources;  // DLQ ARN -> the queues it serves
  for (const auto& url : listed->value("QueueUrls", json::array())) {
    auto got = call_action_now(services, caller, "sqs", "GetQueueAttributes",
                               {{"QueueUrl", url}, {"AttributeNames", {"All"}}});
    if (!got) return got.error();
    const json attributes = got->value("Attributes", json::object());
    json queue = {{"name", last_part(url.get<std::string>(), '/')},
                  {"url", url},
                  {"arn", text(attributes, "QueueArn")},
                  {"fifo", text(attributes, "FifoQueue") == "true"},
                  {"visible", number(attributes, "ApproximateNumberOfMessages")},
                  {"in_flight", number(attributes, "ApproximateNumberOfMessagesNotVisible")},
                  {"delayed", number(attributes, "ApproximateNumberOfMessagesDelayed")},
                  {"dead_letter_target", nullptr},
                  {"max_receive_count", nullptr},
                  {"attributes", attributes}};
    json redrive = parsed(text(attributes, "RedrivePolicy"));
    if (redrive.is_object()) {
      queue["dead_letter_target"] = redrive.value("deadLetterTargetArn", "");
      queue["max_receive_count"] = redrive.value("maxReceiveCount", json(nullptr));
      sources[redrive.value("deadLetterTargetArn", "")].push_back(queue["name"]);
    }
    out.push_back(queue);
  }
  for (auto& q : out) q["redrive_sources"] = sources[q["arn"].get<std::string>()];
  return out;
}

Result<json> topics(const integrations::Services& services, const Caller& caller) {
  auto listed = call_action_now(services, caller, "sns", "ListTopics", json::object());
  if (!listed) return listed.error();
  json out = json::array();
  for (const auto& t : listed->value("Topics", json::array())) {
    std::string arn = text(t, "TopicArn");
    auto attributes = call_action_now(services, caller, "sns", "GetTopicAttributes", {{"TopicArn", arn}});
    if (!attributes) return attributes.error();
    const json a = attributes->value("Attributes", json::object());
    json topic = {{"name", last_part(arn, ':')},
                  {"arn", arn},
                  {"fifo", text(a, "FifoTopic") == "true"},
                  {"display_name", text(a, "DisplayName")},
                  {"subscriptions", json::array()}};
    auto subscriptions = call_action_now(services, caller, "sns", "ListSubscriptionsByTopic", {{"TopicArn", arn}});
    if (!subscriptions) return subscriptions.error();
    for (const auto& s : subscriptions->value("Subscriptions", json::array())) {
      std::string sub_arn = text(s, "SubscriptionArn");
      json sub = {{"arn", sub_arn},
                  {"protocol", text(s, "Protocol")},
                  {"endpoint", text(s, "Endpoint")},
                  {"confirmed", sub_arn.find(':') != std::string::npos},
                  {"raw", false},
                  {"filter_policy", nullptr},
                  {"filter_policy_scope", nullptr}};
      auto delivery = services.sns->delivery_status(sub_arn);
      sub["delivery"] = {{"delivered", delivery.delivered},
                         {"retried", delivery.retried},
                         {"failed", delivery.failed},
                         {"last_at", delivery.last_at ? json(iso8601_ms(delivery.last_at)) : json(nullptr)},
                         {"last_error", delivery.last_error.empty() ? json(nullptr) : json(delivery.last_error)}};
      if (sub["confirmed"].get<bool>()) {
        auto sa = call_action_now(services, caller, "sns", "GetSubscriptionAttributes", {{"SubscriptionArn", sub_arn}});
        if (sa) {
          const json sub_attributes = sa->value("Attributes", json::object());
          sub["raw"] = text(sub_attributes, "RawMessageDelivery") == "true";
          if (!text(sub_attributes, "FilterPolicy").empty()) {
            sub["filter_policy"] = parsed(text(sub_attributes, "FilterPolicy"));
            sub["filter_policy_scope"] = text(sub_attributes, "FilterPolicyScope");
          }
        }
      }
      topic["subscriptions"].push_back(sub);
    }
    out.push_back(topic);
  }
  return out;
}

Result<json> buses(const integrations::Services& services, const Caller& caller) {
  auto listed = call_action_now(services, caller, "events", "ListEventBuses", json::object());
  if (!listed) return listed.error();
  json out = json::array();
  for (const auto& b : listed->value("EventBuses", json::array())) {
    std::string name = text(b, "Name");
    json bus = {{"name", name}, {"arn", text(b, "Arn")}, {"rules", json::array()}};
    auto rules = call_action_now(services, caller, "events", "ListRules", {{"EventBusName", name}});
    if (!rules) return rules.error();
    for (const auto& r : rules->value("Rules", json::array())) {
      json rule = {{"name", text(r, "Name")},
                   {"arn", text(r, "Arn")},
                   {"state", text(r, "State")},
                   {"pattern", r.contains("EventPattern") ? parsed(text(r, "EventPattern")) : json(nullptr)},
                   {"schedule", r.contains("ScheduleExpression") ? json(text(r, "ScheduleExpression")) : json(nullptr)},
                   {"managed_by", r.contains("ManagedBy") ? json(text(r, "ManagedBy")) : json(nullptr)},
                   {"targets", json::array()}};
      auto targets = call_action_now(services, caller, "events", "ListTargetsByRule",
                                     {{"Rule", text(r, "Name")}, {"EventBusName", name}});
      if (targets) rule["targets"] = targets->value("Targets", json::array());
      bus["rules"].push_back(rule);
    }
    out.push_back(bus);
  }
  return out;
}

// A state machine's executions counted by status (all zero for "" or an Express machine, whose
// executions are not listed); `each` sees every listed execution.
json execution_counts(const integrations::Services& services, const Caller& caller, const std::string& arn,
                      const std::function<void(const json&)>& each = {}) {
  json counts = {{"RUNNING", 0}, {"SUCCEEDED", 0}, {"FAILED", 0}, {"TIMED_OUT", 0}, {"ABORTED", 0}};
  if (arn.empty()) return counts;
  auto executions = call_action_now(services, caller, "sfn", "ListExecutions",
                                    {{"stateMachineArn", arn}, {"maxResults", 1000}});
  if (!executions) return counts;
  for (const auto& e : executions->value("executions", json::array())) {
    std::string status = text(e, "status");
    counts[status] = counts.value(status, 0) + 1;
    if (each) each(e);
  }
  return counts;
}

Result<json> state_machines(const integrations::Services& services, const Caller& caller) {
  auto listed = call_action_now(services, caller, "sfn", "ListStateMachines", json::object());
  if (!listed) return listed.error();
  json out = json::array();
  for (const auto& m : listed->value("stateMachines", json::array())) {
    std::string arn = text(m, "stateMachineArn");
    auto described = call_action_now(services, caller, "sfn", "DescribeStateMachine", {{"stateMachineArn", arn}});
    if (!described) return described.error();
    json counts = text(*described, "type") == "EXPRESS" ? execution_counts(services, caller, "")
                                                        : execution_counts(services, caller, arn);
    out.push_back({{"name", text(m, "name")},
                   {"arn", arn},
                   {"type", text(*described, "type")},
                   {"definition", parsed(text(*described, "definition"))},
                   {"executions", counts}});
  }
  return out;
}

Result<json> executions(const integrations::Services& services, const Caller& caller, const json& query) {
  std::string machine = text(query, "stateMachine");
  if (machine.empty()) return Error{ErrorCode::kInvalidParameterValue, "give ?stateMachine=NAME or ARN"};
  if (machine.rfind("arn:", 0) != 0)
    machine = "arn:aws:states:" + caller.region + ":" + caller.account + ":stateMachine:" + machine;
  json request = {{"stateMachineArn", machine}, {"maxResults", 1000}};
  if (!text(query, "status").empty()) request["statusFilter"] = text(query, "status");
  auto listed = call_action_now(services, caller, "sfn", "ListExecutions", request);
  if (!listed) return listed.error();
  return listed->value("executions", json::array());
}

Result<json> execution(const integrations::Services& services, const Caller& caller, const std::string& arn) {
  auto described = call_action_now(services, caller, "sfn", "DescribeExecution", {{"executionArn", arn}});
  if (!described) return described.error();
  json events = json::array();
  std::string token;
  do {
    json request = {{"executionArn", arn}, {"maxResults", 1000}};
    if (!token.empty()) request["nextToken"] = token;
    auto page = call_action_now(services, caller, "sfn", "GetExecutionHistory", request);
    if (!page) return page.error();
    for (auto& e : page->value("events", json::array())) events.push_back(e);
    token = text(*page, "nextToken");
  } while (!token.empty());
  auto machine = call_action_now(services, caller, "sfn", "DescribeStateMachineForExecution", {{"executionArn", arn}});
  json pending = json::array();
  for (const auto& t : services.sfn->pending_tasks(arn))
    pending.push_back({{"state", t.state},
                       {"token", t.token},
                       {"kind", t.kind},
                       {"resource", t.resource},
                       {"scheduled_at", iso8601_ms(t.scheduled_at)}});
  return json{{"execution", *described},
              {"definition", machine ? parsed(text(*machine, "definition")) : json(nullptr)},
              {"history", events},
              {"states", state_statuses(events)},
              {"pending_tasks", pending}};
}

// A bus's latest events, newest first, with the rules each matched.
Result<json> bus_events(const integrations::Services& services, const Caller& caller, const std::string& bus) {
  auto recent = services.events->recent_events(caller, bus);
  if (!recent) return recent.error();
  json out = json::array();
  for (const auto& e : recent->newest_first)
    out.push_back({{"time", iso8601_ms(e.at)}, {"event", parsed(e.event)}, {"matched_rules", e.matched_rules}});
  return out;
}

// A queue's messages as they sit, none received: body, state, receive count, group, origin.
void messages(const integrations::Services& services, const Caller& caller, const std::string& name,
              const json& query, std::function<void(ApiResponse)> done) {
  long limit = query.contains("limit") ? std::atol(text(query, "limit").c_str()) : 100;
  if (limit <= 0) limit = 100;
  std::string url = caller.endpoint + "/" + caller.account + "/" + name;
  services.sqs->peek_messages(
      caller, url, static_cast<size_t>(limit),
      [done](Result<std::vector<queue::PeekedMessage>> peeked) {
        if (!peeked) return done(refused(peeked.error()));
        json out = json::array();
        for (const auto& m : peeked.value()) {
          json attributes = json::object();
          for (const auto& [k, a] : m.attributes)
            attributes[k] = {{"DataType", a.data_type},
                             {"StringValue", a.string_value ? json(*a.string_value) : json(nullptr)}};
          out.push_back({{"message_id", m.message_id},
                         {"body", m.body},
                         {"state", m.state},
                         {"receive_count", m.receive_count},
                         {"sent_at", m.sent_at},
                         {"visible_at", m.visible_at},
                         {"group_id", m.group_id.empty() ? json(nullptr) : json(m.group_id)},
                         {"dead_letter_source", m.dead_letter_source.empty() ? json(nullptr) : json(m.dead_letter_source)},
                         {"attributes", attributes}});
        }
        done({200, out});
      });
}

// Writes go through the services' actions, whose answers may come after a commit.
void write(const integrations::Services& services, const Caller& caller, const std::string& service,
           const std::string& action, json request, std::function<void(ApiResponse)> done) {
  call_action(services, caller, service, action, std::move(request), [done](Result<json> r) {
    if (!r) return done(refused(r.error()));
    done({200, r.value()});
  });
}

std::string queue_url(const Caller& caller, const std::string& name) {
  return caller.endpoint + "/" + caller.account + "/" + name;
}

}  // namespace

json live_snapshot(const integrations::Services& services, const Caller& caller) {
  json snapshot = {{"queues", json::object()}, {"state_machines", json::object()},
                   {"running", json::object()}, {"buses", json::object()}};
  if (auto listed = call_action_now(services, caller, "sqs", "ListQueues", {{"MaxResults", 1000}}))
    for (const auto& url : listed->value("QueueUrls", json::array())) {
      auto got = call_action_now(services, caller, "sqs", "GetQueueAttributes",
                                 {{"QueueUrl", url},
                                  {"AttributeNames", {"ApproximateNumberOfMessages",
                                                      "ApproximateNumberOfMessagesNotVisible",
                                                      "ApproximateNumberOfMessagesDelayed"}}});
      if (!got) continue;
      const json attributes = got->value("Attributes", json::object());
      snapshot["queues"][last_part(url.get<std::string>(), '/')] = {
          {"visible", number(attributes, "ApproximateNumberOfMessages")},
          {"in_flight", number(attributes, "ApproximateNumberOfMessagesNotVisible")},
          {"delayed", number(attributes, "ApproximateNumberOfMessagesDelayed")}};
    }
  // Running executions' history lengths tell a watcher that one moved on; a few dozen is
  // plenty for a person to watch.
  constexpr int kRunningWatched = 50;
  int watched = 0;
  if (auto listed = call_action_now(services, caller, "sfn", "ListStateMachines", json::object()))
    for (const auto& m : listed->value("stateMachines", json::array())) {
      std::string arn = text(m, "stateMachineArn");
      snapshot["state_machines"][text(m, "name")] =
          execution_counts(services, caller, arn, [&](const json& e) {
            if (text(e, "status") != "RUNNING" || ++watched > kRunningWatched) return;
            auto history = call_action_now(services, caller, "sfn", "GetExecutionHistory",
                                           {{"executionArn", text(e, "executionArn")},
                                            {"maxResults", 1}, {"reverseOrder", true}});
            if (history && !history->value("events", json::array()).empty())
              snapshot["running"][text(e, "executionArn")] = (*history)["events"][0].value("id", 0);
          });
    }
  if (auto listed = call_action_now(services, caller, "events", "ListEventBuses", json::object()))
    for (const auto& b : listed->value("EventBuses", json::array()))
      if (auto recent = services.events->recent_events(caller, text(b, "Name")))
        snapshot["buses"][text(b, "Name")] = recent->seen;
  snapshot["outbox"] = services.sns->outbox_last_id();
  return snapshot;
}

json state_statuses(const json& events) {
  json statuses = json::object();
  std::string current;
  std::set<std::string> failing;  // states whose task failed and not yet retried or left
  static const std::set<std::string> kFailures = {
      "TaskFailed",      "TaskTimedOut",          "LambdaFunctionFailed", "LambdaFunctionTimedOut",
      "ActivityFailed",  "ActivityTimedOut",      "TaskStartFailed",      "TaskSubmitFailed",
      "MapStateFailed",  "ParallelStateFailed",   "LambdaFunctionStartFailed",
      "LambdaFunctionScheduleFailed", "ActivityScheduleFailed", "MapRunFailed"};
  for (const auto& e : events) {
    std::string type = text(e, "type");
    if (type.ends_with("StateEntered") || type.ends_with("StateExited")) {
      json details = json::object();
      for (const auto& [key, value] : e.items())
        if (key.ends_with("EventDetails")) details = value;
      std::string name = text(details, "name");
      if (type.ends_with("StateEntered")) {
        current = name;
        statuses[name] = "in_progress";
        failing.erase(name);
      } else {
        statuses[name] = failing.count(name) ? "caught_error" : "succeeded";
        failing.erase(name);
      }
      continue;
    }
    if (type.ends_with("Scheduled")) failing.erase(current);  // a retry starts over
    if (kFailures.count(type) && !current.empty()) failing.insert(current);
    if (type == "ExecutionFailed" || type == "ExecutionTimedOut" || type == "ExecutionAborted") {
      for (auto& [name, status] : statuses.items())
        if (status == "in_progress") status = type == "ExecutionAborted" ? "cancelled" : "failed";
    }
  }
  return statuses;
}

void serve_admin_api(const integrations::Services& services, const Caller& caller,
                     const std::string& method, const std::string& path, const json& query,
                     const json& body, std::function<void(ApiResponse)> done) {
  auto answer = [&](Result<json> r) { done(r ? ApiResponse{200, r.value()} : refused(r.error())); };
  if (method == "GET") {
    if (path == "/queues") return answer(queues(services, caller));
    if (path.rfind("/queues/", 0) == 0 && path.ends_with("/messages"))
      return messages(services, caller, path.substr(8, path.size() - 8 - 9), query, done);
    if (path == "/topics") return answer(topics(services, caller));
    if (path == "/buses") return answer(buses(services, caller));
    if (path.rfind("/buses/", 0) == 0 && path.ends_with("/events"))
      return answer(bus_events(services, caller, path.substr(7, path.size() - 7 - 7)));
    if (path == "/state-machines") return answer(state_machines(services, caller));
    if (path == "/executions") return answer(executions(services, caller, query));
    if (path.rfind("/executions/", 0) == 0) return answer(execution(services, caller, path.substr(12)));
    return done(not_found("no such view: GET /_wyvern/api" + path));
  }
  if (method != "POST") return done({405, {{"error", {{"code", "MethodNotAllowed"}, {"message", method}}}}});
  if (!body.is_object()) return done({400, {{"error", {{"code", "BadRequest"}, {"message", "the body must be a JSON object"}}}}});
  // POST /queues/NAME/messages {body}, /queues/NAME/purge, /queues/NAME/redrive (from this DLQ)
  if (path.rfind("/queues/", 0) == 0) {
    std::string rest = path.substr(8);
    std::string name = rest.substr(0, rest.find('/'));
    std::string verb = rest.find('/') == std::string::npos ? "" : rest.substr(rest.find('/') + 1);
    std::string url = queue_url(caller, name);
    if (verb == "messages") {
      json request = {{"QueueUrl", url}, {"MessageBody", body.contains("body") && !body["body"].is_string() ? body["body"].dump() : text(body, "body")}};
      if (!text(body, "group_id").empty()) request["MessageGroupId"] = text(body, "group_id");
      if (!text(body, "deduplication_id").empty()) request["MessageDeduplicationId"] = text(body, "deduplication_id");
      return write(services, caller, "sqs", "SendMessage", request, done);
    }
    if (verb == "purge") return write(services, caller, "sqs", "PurgeQueue", {{"QueueUrl", url}}, done);
    if (verb == "redrive") {
      std::string arn = "arn:aws:sqs:" + caller.region + ":" + caller.account + ":" + name;
      return write(services, caller, "sqs", "StartMessageMoveTask", {{"SourceArn", arn}}, done);
    }
  }
  if (path == "/test-pattern")
    return write(services, caller, "events", "TestEventPattern",
                 {{"Event", body.value("event", json::object()).dump()},
                  {"EventPattern", body.value("pattern", json::object()).dump()}},
                 done);
  if (path == "/executions") {
    std::string machine = text(body, "stateMachine");
    if (machine.rfind("arn:", 0) != 0)
      machine = "arn:aws:states:" + caller.region + ":" + caller.account + ":stateMachine:" + machine;
    json request = {{"stateMachineArn", machine}, {"input", body.value("input", json::object()).dump()}};
    if (!text(body, "name").empty()) request["name"] = text(body, "name");
    return write(services, caller, "sfn", "StartExecution", request, done);
  }
  if (path == "/tasks/success")
    return write(services, caller, "sfn", "SendTaskSuccess",
                 {{"taskToken", text(body, "token")}, {"output", body.value("output", json::object()).dump()}}, done);
  if (path == "/tasks/failure") {
    json request = {{"taskToken", text(body, "token")}};
    if (!text(body, "error").empty()) request["error"] = text(body, "error");
    if (!text(body, "cause").empty()) request["cause"] = text(body, "cause");
    return write(services, caller, "sfn", "SendTaskFailure", request, done);
  }
  done(not_found("no such action: POST /_wyvern/api" + path));
}

}  // namespace wyvern::server
