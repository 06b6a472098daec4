// The optimized service integrations: Task states on arn:aws:states:::sqs:sendMessage,
// sns:publish, events:putEvents and states:startExecution, request-response or
// .waitForTaskToken. The broker makes the call (Env::call_service); this file shapes the request
// as Step Functions does (objects serialised, the execution added to events' Resources), records
// the Task* history events with AWS's details, and shapes the result AWS returns (the API's
// response in PascalCase, with the SDK's HTTP metadata for SQS, SNS and Step Functions).
#include <cctype>
#include <ctime>

#include "engine.h"
#include "foundation/arn.h"
#include "foundation/codec.h"

namespace wyvern::stepfn {
namespace {

constexpr char kPrefix[] = "arn:aws:states:::";
constexpr char kCallback[] = ".waitForTaskToken";

// A resource split as history records it: resourceType "sqs", resource "sendMessage" (with its
// pattern suffix, "sendMessage.waitForTaskToken"), and the API action it calls.
struct Integration {
  std::string service, resource, action;
  bool callback = false;
  bool sync = false;  // .sync or .sync:2
  bool sdk = false;   // an aws-sdk:<service>:<action> integration
};

// The services whose every action the aws-sdk integration reaches.
bool sdk_service(const std::string& service) {
  return service == "sqs" || service == "sns" || service == "sfn" || service == "eventbridge";
}

std::optional<Integration> integration_of(const std::string& arn) {
  if (arn.rfind(kPrefix, 0) != 0) return std::nullopt;
  std::string rest = arn.substr(sizeof kPrefix - 1);
  Integration i;
  if (rest.rfind("aws-sdk:", 0) == 0) {
    // aws-sdk:<service>:<action>: history calls the service "aws-sdk:<service>".
    std::string after = rest.substr(8);
    size_t colon = after.find(':');
    if (colon == std::string::npos || !sdk_service(after.substr(0, colon))) return std::nullopt;
    i.sdk = true;
    i.service = "aws-sdk:" + after.substr(0, colon);
    i.resource = after.substr(colon + 1);
    std::string base = i.resource.substr(0, i.resource.find('.'));
    std::string suffix = i.resource.substr(base.size());
    if (base.empty() || (!suffix.empty() && suffix != kCallback)) return std::nullopt;
    i.callback = suffix == kCallback;
    i.action = base;
    i.action[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(i.action[0])));
    return i;
  }
  size_t colon = rest.find(':');
  if (colon == std::string::npos) return std::nullopt;
  i.service = rest.substr(0, colon);
  i.resource = rest.substr(colon + 1);
  std::string base = i.resource.substr(0, i.resource.find('.'));
  std::string suffix = i.resource.substr(base.size());
  i.callback = suffix == kCallback;
  i.sync = suffix == ".sync" || suffix == ".sync:2";
  if (!suffix.empty() && !i.callback && !i.sync) return std::nullopt;
  static const std::map<std::string, std::string> kActions = {
      {"sqs:sendMessage", "SendMessage"},
      {"sns:publish", "Publish"},
      {"events:putEvents", "PutEvents"},
      {"states:startExecution", "StartExecution"}};
  auto it = kActions.find(i.service + ":" + base);
  if (it == kActions.end()) return std::nullopt;
  if (i.sync && i.service != "states") return std::nullopt;
  i.action = it->second;
  return i;
}

// A member that is not a string goes as its JSON text, as Step Functions serialises it.
void as_text(json& parameters, const char* member) {
  if (parameters.contains(member) && !parameters[member].is_string() &&
      !parameters[member].is_null())
    parameters[member] = text_of(parameters[member]);
}

// The region and account of an execution ARN (arn:aws:states:<region>:<account>:...).
Caller caller_of(const std::string& execution_arn) {
  Caller c;
  if (auto parts = parse_arn(execution_arn)) {
    c.region = parts->region;
    c.account = parts->account;
  }
  return c;
}

std::string http_date(TimeMs ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[64];
  std::strftime(out, sizeof out, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return out;
}

// The SDK's view of the HTTP exchange, which Step Functions adds to SQS, SNS and Step Functions
// results: the response headers (all of them, and one value each) and the status.
json sdk_metadata(const std::string& service, const std::string& request_id, size_t length,
                  TimeMs now) {
  std::string type = service == "sns" ? "text/xml" : "application/x-amz-json-1.0";
  json single = {{"Content-Length", std::to_string(length)},
                 {"Content-Type", type},
                 {"Date", http_date(now)},
                 {"connection", "keep-alive"},
                 {"x-amzn-RequestId", request_id}};
  json all = json::object();
  for (auto it = single.begin(); it != single.end(); ++it) all[it.key()] = json::array({*it});
  return {{"AllHttpHeaders", all}, {"HttpHeaders", single}, {"HttpStatusCode", 200}};
}

}  // namespace

Engine::TaskStep Engine::service_task(Run& r, const json& st, const json& effective,
                                      const Bindings& bindings, TimeMs now) {
  const std::string resource = st["Resource"];
  auto integration = integration_of(resource);
  if (!integration)
    return {false,
            StateError{"States.Runtime", "Wyvern does not run this Task resource yet: " + resource},
            {}};
  const Integration& in = *integration;
  if (!r.task) {
    if (r.retry_at > now) return park(r, r.retry_at);
    r.retry_at = 0;
    std::string token =
        in.callback ? base64_encode(random_hex(24) + ":" + r.info.arn) : random_hex(16);
    json task_context = bindings.context;
    if (in.callback) task_context["Task"] = {{"Token", token}};
    Outcome payload = st.contains("Parameters")
                          ? apply_payload(st["Parameters"], effective,
                                          Bindings{task_context, bindings.variables}, "Parameters")
                          : Outcome{json::object(), std::nullopt};
    if (payload.error) return {false, payload.error, {}};
    Outcome limits = task_limits(st, effective, Bindings{task_context, bindings.variables});
    if (limits.error) return {false, limits.error, {}};
    int64_t timeout = limits.value[0], heartbeat = limits.value[1];
    Run::PendingTask t;
    t.token = token;
    t.activity_arn = resource;
    t.input = text_of(payload.value);
    t.scheduled_at = now;
    t.deadline = now + timeout * 1000;
    t.started = true;
    t.callback = in.callback;
    if (heartbeat > 0) {
      t.heartbeat_seconds = heartbeat;
      t.heartbeat_deadline = now + heartbeat * 1000;
    }
    json scheduled = {{"resourceType", in.service},
                      {"resource", in.resource},
                      {"region", caller_of(r.info.arn).region},
                      {"parameters", t.input}};
    if (st.contains("TimeoutSeconds") || st.contains("TimeoutSecondsPath"))
      scheduled["timeoutInSeconds"] = timeout;
    if (heartbeat > 0) scheduled["heartbeatInSeconds"] = heartbeat;
    add_event(r, "TaskScheduled", "taskScheduledEventDetails", std::move(scheduled));
    add_event(r, "TaskStarted", "taskStartedEventDetails",
              {{"resourceType", in.service}, {"resource", in.resource}});
    if (in.callback) tokens_[t.token] = r.info.arn;
    r.task = std::move(t);
  }
  Run::PendingTask& t = *r.task;
  // A run resumed after a restart makes its call again (at least once); a callback whose call
  // went through waits for its token only.
  if (!t.output && !t.failure && !t.submitted && !calls_in_flight_.count(t.token))
    start_service_call(r);
  if (t.output) {
    json result = json::parse(*t.output, nullptr, false);
    add_event(r, "TaskSucceeded", "taskSucceededEventDetails",
              {{"resourceType", in.service},
               {"resource", in.resource},
               {"output", *t.output},
               {"outputDetails", {{"truncated", false}}}});
    calls_in_flight_.erase(t.token);
    drop_task(r);
    return result_step(r, st, result, bindings);
  }
  // A lapsed heartbeat is reported as a timeout, as AWS records it.
  bool lapsed = !t.failure &&
                (now >= t.deadline || (t.heartbeat_deadline > 0 && now >= t.heartbeat_deadline));
  if (t.failure || lapsed) {
    StateError e = lapsed ? StateError{"States.Timeout", ""} : *t.failure;
    json details = {{"resourceType", in.service}, {"resource", in.resource}};
    // A SendTaskFailure without error or cause records neither.
    if (!e.error.empty()) details["error"] = e.error;
    if (!e.cause.empty()) details["cause"] = e.cause;
    add_event(r, lapsed ? "TaskTimedOut" : "TaskFailed",
              lapsed ? "taskTimedOutEventDetails" : "taskFailedEventDetails", std::move(details));
    calls_in_flight_.erase(t.token);
    drop_task(r);
    return {false, e, {}};
  }
  return park(r, next_deadline(t));
}

// Makes the task's call, its request shaped as Step Functions sends it.
void Engine::start_service_call(Run& r) {
  Run::PendingTask& t = *r.task;
  auto in = integration_of(t.activity_arn);
  if (!in || !env_.call_service) {
    t.failure = StateError{"States.Runtime", "The broker lends no service for " + t.activity_arn};
    return;
  }
  json parameters = json::parse(t.input, nullptr, false);
  if (!parameters.is_object()) parameters = json::object();
  // An object given as the Input of a Step Functions call is its JSON text, in either style.
  if (in->service == "aws-sdk:sfn") as_text(parameters, "Input");
  if (in->service == "sqs") as_text(parameters, "MessageBody");
  if (in->service == "sns") as_text(parameters, "Message");
  if (in->service == "states") {
    // The child gets "{}" for a missing or null Input.
    if (!parameters.contains("Input") || parameters["Input"].is_null()) parameters["Input"] = "{}";
    as_text(parameters, "Input");
  }
  if (in->service == "events" && parameters.contains("Entries") &&
      parameters["Entries"].is_array()) {
    // Each event names the state machine and the execution that put it, after its own resources.
    for (auto& entry : parameters["Entries"]) {
      if (!entry.is_object()) continue;
      as_text(entry, "Detail");
      json& resources = entry["Resources"];
      if (!resources.is_array()) resources = json::array();
      resources.push_back(r.info.state_machine_arn);
      resources.push_back(r.info.arn);
    }
  }
  std::string arn = r.info.arn, token = t.token;
  calls_in_flight_.insert(token);
  env_.call_service(caller_of(arn), ServiceCall{in->service, in->action, std::move(parameters)},
                    [this, arn, token](ServiceAnswer answer) {
                      env_.post([this, arn, token, answer = std::move(answer)]() mutable {
                        service_done(arn, token, std::move(answer));
                      });
                    });
}

void Engine::service_done(const std::string& arn, const std::string& token, ServiceAnswer answer) {
  if (!calls_in_flight_.erase(token)) return;
  bool express = false;
  auto it = runs_.find(arn);
  if (it == runs_.end()) {
    it = express_.find(arn);
    express = true;
    if (it == express_.end()) return;
  }
  Run& r = it->second;
  if (!r.task || r.task->token != token || r.info.status != "RUNNING") return;
  auto in = integration_of(r.task->activity_arn);
  if (!in) return;
  json result = answer.response.is_object() ? answer.response : json::object();
  if (answer.ok && in->service == "events" && result.value("FailedEntryCount", 0) > 0) {
    // A refused entry fails the task with the whole answer; the others were put all the same.
    answer.ok = false;
    answer.error = "EventBridge.FailedEntry";
    answer.cause = text_of(result);
  }
  if (answer.ok && !in->sdk && in->service != "events") {
    TimeMs now = env_.clock->now_ms();
    result["SdkHttpMetadata"] =
        sdk_metadata(in->service, answer.request_id, text_of(answer.response).size(), now);
    result["SdkResponseMetadata"] = {{"RequestId", answer.request_id}};
  }
  if ((r.task->callback || in->sync) && answer.ok) {
    // The message with the token is out (or the execution started); the state now waits for
    // the token to come back (or the execution to end).
    if (r.task->output || r.task->failure) return;
    r.task->submitted = true;
    add_event(r, "TaskSubmitted", "taskSubmittedEventDetails",
              {{"resourceType", in->service},
               {"resource", in->resource},
               {"output", text_of(result)},
               {"outputDetails", {{"truncated", false}}}});
    if (in->sync) {
      r.task->child = answer.response.value("ExecutionArn", "");
      sync_parents_[r.task->child] = arn;
      // A child that ran to its end inside StartExecution has already finished.
      if (Run* c = find_run(r.task->child); c && c->info.status != "RUNNING")
        env_.post([this, arn, child = c->info] { sync_child_ended(arn, child); });
    }
  } else if (answer.ok) {
    r.task->output = text_of(result);
  } else if (!r.task->output) {
    r.task->failure = StateError{answer.error, answer.cause};
  }
  env_.timers->cancel(r.timer);
  r.timer = 0;
  advance(r);
  if (express) return;
  WriteBatch batch;
  persist_run(r, batch);
  env_.store->commit(std::move(batch), nullptr);
}

// What a .sync task ends with, DescribeExecution's answer in the SDK's PascalCase: Input and
// Output as JSON text (".sync") or as JSON (".sync:2"), dates in epoch milliseconds. A child
// that did not succeed fails the task with States.TaskFailed, this description as its cause.
void Engine::sync_child_ended(const std::string& parent_arn, const Execution& e) {
  auto parent = runs_.find(parent_arn);
  if (parent == runs_.end()) return;
  Run& p = parent->second;
  if (!p.task || p.task->child != e.arn || p.task->output || p.task->failure ||
      p.info.status != "RUNNING" || e.status == "RUNNING")
    return;
  sync_parents_.erase(e.arn);
  bool as_json = p.task->activity_arn.ends_with(".sync:2");
  auto value = [&](const std::string& text) {
    if (!as_json) return json(text);
    json parsed = json::parse(text, nullptr, false);
    return parsed.is_discarded() ? json(text) : parsed;
  };
  json d = {{"ExecutionArn", e.arn},
            {"Input", value(e.input)},
            {"InputDetails", {{"Included", true}}},
            {"Name", e.name},
            {"StartDate", e.started_at},
            {"StateMachineArn", e.state_machine_arn},
            {"Status", e.status}};
  if (e.stopped_at) d["StopDate"] = *e.stopped_at;
  if (e.status == "SUCCEEDED") {
    d["Output"] = value(e.output.value_or("null"));
    d["OutputDetails"] = {{"Included", true}};
    p.task->output = text_of(d);
  } else {
    if (e.error && !e.error->empty()) d["Error"] = *e.error;
    if (e.cause && !e.cause->empty()) d["Cause"] = *e.cause;
    p.task->failure = StateError{"States.TaskFailed", text_of(d)};
  }
  env_.timers->cancel(p.timer);
  p.timer = 0;
  advance(p);
  WriteBatch batch;
  persist_run(p, batch);
  env_.store->commit(std::move(batch), nullptr);
}

// The detail AWS sends for a status change: DescribeExecution's facts in camelCase, in the
// order of AWS's documented examples (then the redrive facts and the error), dates in epoch
// milliseconds, what an execution has not got yet as null.
void Engine::announce(const Run& r) {
  if (!env_.status_changed || r.express || !r.parent.empty()) return;
  const Execution e = described(r);
  using ojson = nlohmann::ordered_json;
  auto or_null = [](const auto& v) { return v ? ojson(*v) : ojson(nullptr); };
  bool output = e.status == "SUCCEEDED" && e.output;
  ojson detail = {{"executionArn", e.arn},
                  {"stateMachineArn", e.state_machine_arn},
                  {"name", e.name},
                  {"status", e.status},
                  {"startDate", e.started_at},
                  {"stopDate", or_null(e.stopped_at)},
                  {"input", e.input},
                  {"inputDetails", {{"included", true}}},
                  {"output", output ? ojson(*e.output) : ojson(nullptr)},
                  {"outputDetails", output ? ojson{{"included", true}} : ojson(nullptr)},
                  {"redriveCount", e.redrive_count},
                  {"redriveDate", or_null(e.redrive_date)},
                  {"redriveStatus", e.redrive_status},
                  {"redriveStatusReason", or_null(e.redrive_status_reason)},
                  {"error", or_null(e.error)},
                  {"cause", or_null(e.cause)}};
  env_.status_changed(caller_of(e.arn), detail.dump(-1, ' ', false, json::error_handler_t::replace),
                      e.arn);
}

}  // namespace wyvern::stepfn
