// Task states: activity tasks (queued for workers, handed to parked GetActivityTask polls,
// answered by token), Task states answered from a MockConfigFile test case, Lambda functions
// run as local commands, and the Retry and Catch that apply to a failed Task, Parallel or Map.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine.h"
#include "foundation/codec.h"

namespace wyvern::stepfn {
namespace {

// The response for the `call`-th invocation: keys are "n" or "a-b" ranges of invocations.
const json* mocked_response(const json& responses, int call) {
  for (const auto& [key, response] : responses.items()) {
    int lo = -1, hi = -1;
    if (std::sscanf(key.c_str(), "%d-%d", &lo, &hi) == 2 ||
        (std::sscanf(key.c_str(), "%d", &lo) == 1 && (hi = lo) >= 0))
      if (call >= lo && call <= hi && response.is_object()) return &response;
  }
  return nullptr;
}

}  // namespace

// A Task's [TimeoutSeconds, HeartbeatSeconds] (0: no heartbeat), from the fields or their
// *Path variants.
Outcome task_limits(const json& st, const json& effective, const Bindings& bindings) {
  int64_t timeout = kDefaultTaskTimeoutSeconds, heartbeat = 0;
  if (bindings.jsonata) {
    // "MUST be positive integers" when evaluated (states-language.net, Task State).
    for (const char* f : {"TimeoutSeconds", "HeartbeatSeconds"}) {
      if (!st.contains(f)) continue;
      Outcome v = evaluate_jsonata_integer(st[f], *bindings.jsonata, f, 1, 99999999);
      if (v.error) return v;
      (std::string(f) == "TimeoutSeconds" ? timeout : heartbeat) = v.value.get<int64_t>();
    }
    return {json::array({timeout, heartbeat}), std::nullopt};
  }
  if (st.contains("TimeoutSeconds") && st["TimeoutSeconds"].is_number_integer())
    timeout = st["TimeoutSeconds"].get<int64_t>();
  if (st.contains("HeartbeatSeconds") && st["HeartbeatSeconds"].is_number_integer())
    heartbeat = st["HeartbeatSeconds"].get<int64_t>();
  for (const char* f : {"TimeoutSecondsPath", "HeartbeatSecondsPath"}) {
    if (!st.contains(f)) continue;
    Outcome v = read_path_field(st[f], effective, bindings, f);
    if (v.error) return v;
    if (!v.value.is_number_integer() || v.value.get<int64_t>() <= 0)
      return Outcome::fail(
          "States.Runtime",
          std::string("The ") + f + " parameter does not reference a positive integer");
    (std::string(f) == "TimeoutSecondsPath" ? timeout : heartbeat) = v.value.get<int64_t>();
  }
  return {json::array({timeout, heartbeat}), std::nullopt};
}

// Whether a Retry or Catch ErrorEquals list covers `error`, by AWS's wildcard rules:
// States.ALL covers every error but States.Runtime; States.TaskFailed every error but the
// timeouts (and States.Runtime); States.Timeout also covers States.HeartbeatTimeout.
bool covers(const json& error_equals, const std::string& error) {
  if (!error_equals.is_array()) return false;
  for (const auto& e : error_equals) {
    if (!e.is_string()) continue;
    const std::string name = e;
    if (name == error) return true;
    if (error == "States.Runtime") continue;
    if (name == "States.ALL") return true;
    // AWS's error-handling guide defines States.Timeout to include a lapsed heartbeat.
    bool timeout = error == "States.Timeout" || error == "States.HeartbeatTimeout";
    if (name == "States.Timeout" && error == "States.HeartbeatTimeout") return true;
    if (name == "States.TaskFailed" && !timeout) return true;
  }
  return false;
}

// One look at a Task state: schedule its activity task, or take the worker's answer, or
// notice a passed deadline. Parks (with a timer) while there is nothing to do yet.
Engine::TaskStep Engine::task_step(Run& r, const json& st, const json& effective,
                                   const Bindings& bindings, TimeMs now) {
  const std::string resource = st["Resource"];
  if (const json* responses = mocked_responses(r))
    return mocked_task(r, st, *responses, effective, bindings, now);
  if (resource.rfind("arn:aws:lambda:", 0) == 0 ||
      resource.rfind("arn:aws:states:::lambda:invoke", 0) == 0)
    return lambda_task(r, st, effective, bindings, now);
  for (const char* service : {"sqs:", "sns:", "events:", "states:", "aws-sdk:"})
    if (resource.rfind(std::string("arn:aws:states:::") + service, 0) == 0)
      return service_task(r, st, effective, bindings, now);
  if (resource.find(":activity:") == std::string::npos)
    return {false,
            StateError{"States.Runtime", "Wyvern does not run this Task resource yet: " + resource},
            {}};
  if (!r.task) {
    if (r.retry_at > now) return park(r, r.retry_at);
    r.retry_at = 0;
    if (!activities_.count(resource))
      return {false, StateError{"States.Runtime", "Activity does not exist: " + resource}, {}};
    Outcome payload = st.contains("Parameters")
                          ? apply_payload(st["Parameters"], effective, bindings, "Parameters")
                          : Outcome{effective, std::nullopt};
    if (payload.error) return {false, payload.error, {}};
    Outcome limits = task_limits(st, effective, bindings);
    if (limits.error) return {false, limits.error, {}};
    int64_t timeout = limits.value[0], heartbeat = limits.value[1];
    Run::PendingTask t;
    t.token = base64_encode(random_hex(24) + ":" + r.info.arn);
    t.activity_arn = resource;
    t.input = text_of(payload.value);
    t.scheduled_at = now;
    // TimeoutSeconds counts from ActivityStarted (the Task state's guide): until a worker
    // takes the task, only the execution's own timeout bounds the wait.
    t.timeout_seconds = timeout;
    t.deadline = now + kDefaultTaskTimeoutSeconds * 1000;
    t.heartbeat_seconds = heartbeat;
    json details = {{"resource", resource},
                    {"input", t.input},
                    {"inputDetails", {{"truncated", false}}},
                    {"timeoutInSeconds", timeout}};
    if (heartbeat > 0) details["heartbeatInSeconds"] = heartbeat;
    add_event(r, "ActivityScheduled", "activityScheduledEventDetails", std::move(details));
    tokens_[t.token] = r.info.arn;
    queued_[resource].push_back(t.token);
    r.task = std::move(t);
    TimeMs deadline = next_deadline(*r.task);
    hand_out(resource);
    return park(r, r.task ? next_deadline(*r.task) : deadline);
  }
  Run::PendingTask& t = *r.task;
  if (t.output) {
    std::string text = *t.output;
    add_event(r, "ActivitySucceeded", "activitySucceededEventDetails",
              {{"output", text}, {"outputDetails", {{"truncated", false}}}});
    drop_task(r);
    json result = json::parse(text, nullptr, false);
    return result_step(r, st, result, bindings);
  }
  if (t.failure) {
    StateError e = *t.failure;
    json details = json::object();
    if (!e.error.empty()) details["error"] = e.error;
    if (!e.cause.empty()) details["cause"] = e.cause;
    add_event(r, "ActivityFailed", "activityFailedEventDetails", std::move(details));
    drop_task(r);
    return {false, e, {}};
  }
  bool heartbeat_lapsed = t.heartbeat_deadline > 0 && now >= t.heartbeat_deadline;
  if (heartbeat_lapsed || now >= t.deadline) {
    std::string error = heartbeat_lapsed ? "States.HeartbeatTimeout" : "States.Timeout";
    add_event(r, "ActivityTimedOut", "activityTimedOutEventDetails", {{"error", error}});
    drop_task(r);
    return {false, StateError{error, ""}, {}};
  }
  return park(r, next_deadline(t));
}

// Gives queued tasks of `activity` to parked pollers, oldest first on both sides.
void Engine::hand_out(const std::string& activity) {
  auto& queue = queued_[activity];
  auto& waiting = pollers_[activity];
  while (!queue.empty() && !waiting.empty()) {
    Poller p = std::move(waiting.front());
    waiting.pop_front();
    env_.timers->cancel(p.timer);
    std::string token = queue.front();
    queue.pop_front();
    start_task(token, p.worker, std::move(p.reply));
  }
}

// A worker takes the task: ActivityStarted, heartbeat clock running, durable, then answered.
void Engine::start_task(const std::string& token, const std::string& worker,
                        Reply<ActivityTask> reply) {
  auto arn = tokens_.find(token);
  auto run = arn == tokens_.end() ? runs_.end() : runs_.find(arn->second);
  if (run == runs_.end() || !run->second.task) return reply(ActivityTask{});
  Run& r = run->second;
  TimeMs now = env_.clock->now_ms();
  r.task->started = true;
  if (r.task->timeout_seconds > 0) r.task->deadline = now + r.task->timeout_seconds * 1000;
  if (r.task->heartbeat_seconds > 0)
    r.task->heartbeat_deadline = now + r.task->heartbeat_seconds * 1000;
  add_event(r, "ActivityStarted", "activityStartedEventDetails", {{"workerName", worker}});
  park(r, next_deadline(*r.task));
  WriteBatch batch;
  persist_run(r, batch);
  commit_then_reply(std::move(batch), std::move(reply), ActivityTask{token, r.task->input});
}

std::optional<std::string> task_token_id(const std::string& token) {
  auto decoded = base64_decode(token);
  if (!decoded) return std::nullopt;
  auto colon = decoded->find(":arn:aws:states:");
  if (colon == 0 || colon == std::string::npos) return std::nullopt;
  return decoded->substr(0, colon);
}

// Forgets the run's activity task: its token (remembered as closed), and its place in the
// activity's queue.
void Engine::drop_task(Run& r) {
  if (!r.task) return;
  if (tokens_.erase(r.task->token)) close_token(r.task->token);
  auto& queue = queued_[r.task->activity_arn];
  queue.erase(std::remove(queue.begin(), queue.end(), r.task->token), queue.end());
  r.task.reset();
}

// Remembers a closed activity task token, durably with the next persist_run, and forgets the
// oldest beyond kMaxClosedTokens.
void Engine::close_token(const std::string& token) {
  auto id = task_token_id(token);
  if (!id) return;
  auto [it, added] = closed_tokens_.insert(std::move(*id));
  if (!added) return;
  closed_order_.push_back(&*it);
  closed_unsaved_.emplace_back(*it, next_closed_order_++);
  while (closed_order_.size() > kMaxClosedTokens) {
    std::string oldest = *closed_order_.front();
    closed_order_.pop_front();
    closed_tokens_.erase(oldest);
    closed_unsaved_.emplace_back(std::move(oldest), 0);
  }
}

// The states a mock test case answers, or null.
const json* Engine::test_case_states(const std::string& machine_name,
                                     const std::string& test_case) const {
  const json* config = env_.mock_config.get();
  if (!config) return nullptr;
  const json& machines = (*config)["StateMachines"];
  if (!machines.contains(machine_name) || !machines[machine_name].is_object()) return nullptr;
  const json& machine = machines[machine_name];
  if (!machine.contains("TestCases") || !machine["TestCases"].is_object()) return nullptr;
  const json& cases = machine["TestCases"];
  if (!cases.contains(test_case) || !cases[test_case].is_object()) return nullptr;
  return &cases[test_case];
}

// The mocked responses for the run's current state, when its test case mocks it.
const json* Engine::mocked_responses(const Run& r) const {
  if (r.test_case.empty()) return nullptr;
  const json* states = test_case_states(r.state_machine_name, r.test_case);
  if (!states || !states->contains(r.state) || !(*states)[r.state].is_string()) return nullptr;
  const json& all = (*env_.mock_config)["MockedResponses"];
  const std::string name = (*states)[r.state];
  if (!all.contains(name) || !all[name].is_object()) return nullptr;
  return &all[name];
}

// A Task state answered from a mock: the events AWS records for its resource, then the
// mocked result (Return) or error (Throw) goes through the usual result handling.
Engine::TaskStep Engine::mocked_task(Run& r, const json& st, const json& responses,
                                     const json& effective, const Bindings& bindings, TimeMs now) {
  if (r.retry_at > now) return park(r, r.retry_at);
  r.retry_at = 0;
  const std::string resource = st["Resource"];
  Outcome payload = st.contains("Parameters")
                        ? apply_payload(st["Parameters"], effective, bindings, "Parameters")
                        : Outcome{effective, std::nullopt};
  if (payload.error) return {false, payload.error, {}};
  int call = r.mock_calls[r.state]++;
  const json* response = mocked_response(responses, call);
  if (!response)
    return {false,
            StateError{"States.Runtime", "The mock configuration has no response for call " +
                                             std::to_string(call) + " of state '" + r.state + "'"},
            {}};
  bool lambda = resource.rfind("arn:aws:lambda:", 0) == 0;
  std::string service = "states", action = resource;
  if (auto at = resource.find(":::"); at != std::string::npos) {
    std::string rest = resource.substr(at + 3);
    service = rest.substr(0, rest.find(':'));
    action = rest.find(':') == std::string::npos ? rest : rest.substr(rest.find(':') + 1);
  }
  if (lambda) {
    add_event(r, "LambdaFunctionScheduled", "lambdaFunctionScheduledEventDetails",
              {{"resource", resource},
               {"input", text_of(payload.value)},
               {"inputDetails", {{"truncated", false}}}});
    add_event(r, "LambdaFunctionStarted", "", json::object());
  } else {
    add_event(r, "TaskScheduled", "taskScheduledEventDetails",
              {{"resourceType", service},
               {"resource", action},
               {"region", "us-east-1"},
               {"parameters", text_of(payload.value)}});
    add_event(r, "TaskStarted", "taskStartedEventDetails",
              {{"resourceType", service}, {"resource", action}});
  }
  if (response->contains("Throw")) {
    const json& t = (*response)["Throw"];
    StateError e{t.is_object() ? t.value("Error", "") : "",
                 t.is_object() ? t.value("Cause", "") : ""};
    if (lambda)
      add_event(r, "LambdaFunctionFailed", "lambdaFunctionFailedEventDetails",
                {{"error", e.error}, {"cause", e.cause}});
    else
      add_event(r, "TaskFailed", "taskFailedEventDetails",
                {{"resourceType", service},
                 {"resource", action},
                 {"error", e.error},
                 {"cause", e.cause}});
    return {false, e, {}};
  }
  json result = response->value("Return", json(nullptr));
  if (lambda)
    add_event(r, "LambdaFunctionSucceeded", "lambdaFunctionSucceededEventDetails",
              {{"output", text_of(result)}, {"outputDetails", {{"truncated", false}}}});
  else
    add_event(r, "TaskSucceeded", "taskSucceededEventDetails",
              {{"resourceType", service},
               {"resource", action},
               {"output", text_of(result)},
               {"outputDetails", {{"truncated", false}}}});
  return result_step(r, st, result, bindings);
}

// A Task state on a Lambda function, run by the local command it is bound to. The direct
// ARN form records LambdaFunction* events and yields the function's answer; the
// lambda:invoke integration records Task* events and yields Lambda's Invoke response.
Engine::TaskStep Engine::lambda_task(Run& r, const json& st, const json& effective,
                                     const Bindings& bindings, TimeMs now) {
  const std::string resource = st["Resource"];
  bool integration = resource.rfind("arn:aws:states:::lambda:invoke", 0) == 0;
  // lambda:invoke.waitForTaskToken: the function gets $$.Task.Token and the state waits for
  // SendTaskSuccess or SendTaskFailure with it, not for the function's answer.
  const std::string kCallback = ".waitForTaskToken";
  bool callback =
      integration && resource.size() > kCallback.size() &&
      resource.compare(resource.size() - kCallback.size(), kCallback.size(), kCallback) == 0;
  const char* pattern = callback ? "invoke.waitForTaskToken" : "invoke";
  if (!r.task) {
    if (r.retry_at > now) return park(r, r.retry_at);
    r.retry_at = 0;
    std::string token =
        callback ? base64_encode(random_hex(24) + ":" + r.info.arn) : random_hex(16);
    json task_context = bindings.context;
    if (callback) task_context["Task"] = {{"Token", token}};
    Outcome payload = st.contains("Parameters")
                          ? apply_payload(st["Parameters"], effective,
                                          Bindings{task_context, bindings.variables}, "Parameters")
                          : Outcome{effective, std::nullopt};
    if (payload.error) return {false, payload.error, {}};
    std::string function = resource;
    json event = payload.value;
    if (integration) {
      if (!payload.value.is_object() || !payload.value.contains("FunctionName") ||
          !payload.value["FunctionName"].is_string())
        return {false, StateError{"States.Runtime", "The field 'FunctionName' is required"}, {}};
      function = payload.value["FunctionName"];
      event = payload.value.contains("Payload") ? payload.value["Payload"] : json::object();
    }
    Outcome limits = task_limits(st, effective, Bindings{task_context, bindings.variables});
    if (limits.error) return {false, limits.error, {}};
    int64_t timeout = limits.value[0], heartbeat = limits.value[1];
    Run::PendingTask t;
    t.token = token;
    t.activity_arn = "lambda:" + function;
    t.input = text_of(event);
    t.scheduled_at = now;
    t.deadline = now + timeout * 1000;
    t.started = true;
    t.callback = callback;
    if (callback && heartbeat > 0) {
      t.heartbeat_seconds = heartbeat;
      t.heartbeat_deadline = now + heartbeat * 1000;
    }
    if (integration) {
      json scheduled = {{"resourceType", "lambda"},
                        {"resource", pattern},
                        {"region", "us-east-1"},
                        {"parameters", text_of(payload.value)}};
      if (st.contains("TimeoutSeconds") || st.contains("TimeoutSecondsPath"))
        scheduled["timeoutInSeconds"] = timeout;
      if (heartbeat > 0) scheduled["heartbeatInSeconds"] = heartbeat;
      add_event(r, "TaskScheduled", "taskScheduledEventDetails", std::move(scheduled));
      add_event(r, "TaskStarted", "taskStartedEventDetails",
                {{"resourceType", "lambda"}, {"resource", pattern}});
    } else {
      add_event(
          r, "LambdaFunctionScheduled", "lambdaFunctionScheduledEventDetails",
          {{"resource", function}, {"input", t.input}, {"inputDetails", {{"truncated", false}}}});
      add_event(r, "LambdaFunctionStarted", "", json::object());
    }
    if (callback) tokens_[t.token] = r.info.arn;
    r.task = std::move(t);
  }
  Run::PendingTask& t = *r.task;
  // A run resumed after a restart starts its function again: at least once, as Lambda. A
  // callback whose function has answered waits for its token only.
  if (!t.output && !t.failure && !t.submitted && !functions_in_flight_.count(t.token))
    start_function(r);
  if (t.output) {
    json payload = json::parse(*t.output, nullptr, false);
    json result = callback      ? payload
                  : integration ? json{{"ExecutedVersion", "$LATEST"},
                                       {"Payload", payload},
                                       {"SdkHttpMetadata", {{"HttpStatusCode", 200}}},
                                       {"StatusCode", 200}}
                                : payload;
    if (integration)
      add_event(r, "TaskSucceeded", "taskSucceededEventDetails",
                {{"resourceType", "lambda"},
                 {"resource", pattern},
                 {"output", text_of(result)},
                 {"outputDetails", {{"truncated", false}}}});
    else
      add_event(r, "LambdaFunctionSucceeded", "lambdaFunctionSucceededEventDetails",
                {{"output", text_of(result)}, {"outputDetails", {{"truncated", false}}}});
    functions_in_flight_.erase(t.token);
    drop_task(r);
    return result_step(r, st, result, bindings);
  }
  bool heartbeat_lost = !t.failure && t.heartbeat_deadline > 0 && now >= t.heartbeat_deadline;
  bool timed_out = !t.failure && !heartbeat_lost && now >= t.deadline;
  if (t.failure || timed_out || heartbeat_lost) {
    StateError e = heartbeat_lost ? StateError{"States.HeartbeatTimeout", ""}
                   : timed_out    ? StateError{"States.Timeout", ""}
                                  : *t.failure;
    std::string kind = timed_out || heartbeat_lost ? "TimedOut" : "Failed";
    if (integration)
      add_event(r, "Task" + kind, "task" + kind + "EventDetails",
                {{"resourceType", "lambda"},
                 {"resource", pattern},
                 {"error", e.error},
                 {"cause", e.cause}});
    else
      add_event(r, "LambdaFunction" + kind, "lambdaFunction" + kind + "EventDetails",
                {{"error", e.error}, {"cause", e.cause}});
    functions_in_flight_.erase(t.token);
    drop_task(r);
    return {false, e, {}};
  }
  return park(r, next_deadline(t));
}

// Starts the local command or URL bound to the run's function; an unbound function fails as
// AWS fails a function that does not exist.
void Engine::start_function(Run& r) {
  Run::PendingTask& t = *r.task;
  std::string function = t.activity_arn.substr(7);  // after "lambda:"
  std::string arn = r.info.arn, token = t.token;
  bool started = invoke_function(function, t.input, [this, arn, token](InvokeResult result) {
    function_done(arn, token, std::move(result));
  });
  if (!started) {
    t.failure = StateError{"Lambda.ResourceNotFoundException",
                           "Function not found: " + function +
                               " (no local command or URL is bound to it in the broker's "
                               "functions file)"};
    return;
  }
  functions_in_flight_.insert(t.token);
}

bool Engine::invoke_function(const std::string& function, std::string event,
                             std::function<void(InvokeResult)> done) {
  std::string name = function_name(function);
  const json* functions = env_.functions.get();
  const json* binding = functions && functions->is_object() && functions->contains(name)
                            ? &(*functions)[name]
                            : nullptr;
  std::vector<std::string> command;
  std::string url;
  if (binding && binding->is_object() && binding->contains("command") &&
      (*binding)["command"].is_array())
    for (const auto& a : (*binding)["command"])
      if (a.is_string()) command.push_back(a);
  if (binding && binding->is_object() && binding->contains("url") && (*binding)["url"].is_string())
    url = (*binding)["url"];
  if ((command.empty() && url.empty()) || !env_.post) return false;
  // The answer comes on the function's own thread: hand it to the core strand, unless the
  // engine is gone by then.
  auto on_strand = [sink = sink_, done = std::move(done)](InvokeResult result) {
    std::lock_guard lock(sink->mu);  // guards `open`; the engine closes it when it goes
    if (!sink->open) return;
    sink->post([done, result = std::move(result)]() mutable { done(std::move(result)); });
  };
  if (!command.empty())
    invoke_command(std::move(command), std::move(event), std::move(on_strand));
  else
    invoke_url(std::move(url), std::move(event), std::move(on_strand));
  return true;
}

void Engine::function_done(const std::string& arn, const std::string& token, InvokeResult result) {
  functions_in_flight_.erase(token);
  bool express = false;
  auto it = runs_.find(arn);
  if (it == runs_.end()) {
    it = express_.find(arn);
    express = true;
    if (it == express_.end()) return;
  }
  Run& r = it->second;
  if (!r.task || r.task->token != token || r.info.status != "RUNNING") return;
  if (r.task->callback && result.ok) {
    // The function took the token; the state now waits for someone to send it back.
    if (r.task->output || r.task->failure) return;  // answered already
    r.task->submitted = true;
    json response = {{"ExecutedVersion", "$LATEST"},
                     {"Payload", result.payload},
                     {"SdkHttpMetadata", {{"HttpStatusCode", 200}}},
                     {"StatusCode", 200}};
    add_event(r, "TaskSubmitted", "taskSubmittedEventDetails",
              {{"resourceType", "lambda"},
               {"resource", "invoke.waitForTaskToken"},
               {"output", text_of(response)},
               {"outputDetails", {{"truncated", false}}}});
  } else if (result.ok) {
    r.task->output = text_of(result.payload);
  } else if (!r.task->output) {
    r.task->failure = StateError{result.error_type, result.error_message};
  }
  env_.timers->cancel(r.timer);
  r.timer = 0;
  advance(r);
  if (express) return;
  WriteBatch batch;
  persist_run(r, batch);
  env_.store->commit(std::move(batch), nullptr);
}

// Applies the state's Retry, then its Catch, to `e`. True when a catcher moved the run on
// to its Next; false when the run parked for a retry or failed.
bool Engine::recover_from(Run& r, const json& st, const StateError& failure, TimeMs now) {
  // A JSONata expression's failure is recorded once, before any retry or catch.
  record_evaluation_failure(r, failure);
  const StateError e{failure.error, failure.cause};
  if (st.contains("Retry") && st["Retry"].is_array()) {
    const json& retriers = st["Retry"];
    for (size_t i = 0; i < retriers.size(); ++i) {
      const json& retrier = retriers[i];
      if (!retrier.is_object() || !covers(retrier.value("ErrorEquals", json::array()), e.error))
        continue;
      if (r.retries.size() <= i) r.retries.resize(i + 1, 0);
      int attempts = r.retries[i];
      int max_attempts =
          retrier.contains("MaxAttempts") && retrier["MaxAttempts"].is_number_integer()
              ? retrier["MaxAttempts"].get<int>()
              : 3;
      if (attempts < max_attempts) {
        double interval =
            retrier.contains("IntervalSeconds") && retrier["IntervalSeconds"].is_number()
                ? retrier["IntervalSeconds"].get<double>()
                : 1.0;
        double rate = retrier.contains("BackoffRate") && retrier["BackoffRate"].is_number()
                          ? retrier["BackoffRate"].get<double>()
                          : 2.0;
        double delay = interval * std::pow(rate, attempts);
        if (retrier.contains("MaxDelaySeconds") && retrier["MaxDelaySeconds"].is_number())
          delay = std::min(delay, retrier["MaxDelaySeconds"].get<double>());
        if (retrier.contains("JitterStrategy") && retrier["JitterStrategy"] == "FULL")
          delay *= static_cast<double>(std::stoul(random_hex(4), nullptr, 16)) / 4294967296.0;
        r.retries[i] = attempts + 1;
        r.retry_at = now + static_cast<TimeMs>(delay * 1000);
        park(r, r.retry_at);
        return false;
      }
      break;  // the first retrier that matches decides; once spent, Catch may still act
    }
  }
  if (st.contains("Catch") && st["Catch"].is_array()) {
    for (const json& catcher : st["Catch"]) {
      if (!catcher.is_object() || !covers(catcher.value("ErrorEquals", json::array()), e.error))
        continue;
      json error_output = {{"Error", e.error}, {"Cause", e.cause}};
      // A Catcher's Assign reads the Error Output as `$`, and assigns in the scope the state
      // is in (workflow-variables.html); the state's own Assign is not evaluated.
      json assigned;
      json context = context_object(r);
      VariableScope variables = scope_of(r);
      // A JSONata catcher's Output and Assign read the error as `$states.errorOutput`.
      JsonataFrame frame;
      bool jsonata = is_jsonata(st);
      if (jsonata) {
        frame = jsonata_frame(r, context, variables);
        frame.states["errorOutput"] = error_output;
      }
      if (catcher.contains("Assign")) {
        Outcome values = evaluate_assign(st, catcher["Assign"], error_output,
                                         Bindings{context, variables, jsonata ? &frame : nullptr});
        if (values.error) {
          fail(r, *values.error);
          return false;
        }
        assigned = std::move(values.value);
      }
      Outcome placed = !jsonata ? apply_result_path(catcher, r.state_input, error_output)
                       : catcher.contains("Output")
                           ? evaluate_jsonata(catcher["Output"], frame, "Output")
                           : Outcome{error_output, std::nullopt};
      if (placed.error) {
        fail(r, *placed.error);
        return false;
      }
      json exited = {{"name", r.state},
                     {"output", text_of(placed.value)},
                     {"outputDetails", {{"truncated", false}}}};
      if (auto limit = store_variables(r, assigned, exited)) {
        fail(r, *limit);
        return false;
      }
      add_event(r, st["Type"].get<std::string>() + "StateExited", "stateExitedEventDetails",
                std::move(exited));
      r.state = catcher["Next"].get<std::string>();
      r.state_input = std::move(placed.value);
      r.entered = false;
      r.retries.clear();
      r.retry_at = 0;
      return true;
    }
  }
  fail(r, e);
  return false;
}

}  // namespace wyvern::stepfn
