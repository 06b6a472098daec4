// The public actions: state machines, executions, activities and their task tokens, tags.
// Each checks its request, changes the engine's state and answers once that is durable; the
// runs it starts or moves on are the interpreter's.
#include <algorithm>
#include <cctype>

#include "definition.h"
#include "engine.h"
#include "foundation/codec.h"

namespace wyvern::stepfn {
namespace {

constexpr TimeMs kActivityPollMs = 60'000;  // GetActivityTask's long poll

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 80) return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (std::isspace(u) || std::iscntrl(u) ||
        std::string("<>{}[]?*\"#%\\^|~`$&,;:/").find(c) != std::string::npos)
      return false;
  }
  return true;
}

template <typename T, typename Key>
void paginate(std::vector<T> all, const ListRequest& r, Key key, Reply<Page<T>> reply) {
  size_t limit = r.max_results && *r.max_results > 0 ? static_cast<size_t>(*r.max_results) : 100;
  size_t start = 0;
  if (r.next_token) {
    auto decoded = base64_decode(*r.next_token);
    auto pos = decoded ? std::find_if(all.begin(), all.end(),
                                      [&](const T& t) { return key(t) == *decoded; })
                       : all.end();
    if (pos == all.end())
      return reply(Error{ErrorCode::kInvalidToken, "Invalid Token: '" + *r.next_token + "'"});
    start = static_cast<size_t>(pos - all.begin()) + 1;
  }
  Page<T> page;
  for (size_t i = start; i < all.size() && page.items.size() < limit; ++i)
    page.items.push_back(all[i]);
  if (start + page.items.size() < all.size() && !page.items.empty())
    page.next_token = base64_encode(key(page.items.back()));
  reply(std::move(page));
}

}  // namespace

// --- state machines -----------------------------------------------------------------------
void Engine::create_state_machine(const Caller& caller, CreateStateMachineRequest r,
                                  Reply<StateMachine> reply) {
  if (!valid_name(r.name))
    return reply(Error{ErrorCode::kInvalidName, "Invalid Name: '" + r.name + "'"});
  std::string type = r.type.value_or("STANDARD");
  if (type != "STANDARD" && type != "EXPRESS")
    return reply(Error{ErrorCode::kSfnValidation,
                       "1 validation error detected: Value '" + type +
                           "' at 'type' failed to satisfy constraint: Member must satisfy enum "
                           "value set: [STANDARD, EXPRESS]"});
  auto diagnostics = validate_definition(r.definition);
  if (!diagnostics.empty())
    return reply(Error{ErrorCode::kInvalidDefinition, invalid_definition_message(diagnostics)});
  std::string arn =
      "arn:aws:states:" + caller.region + ":" + caller.account + ":stateMachine:" + r.name;
  if (auto it = machines_.find(arn); it != machines_.end()) {
    // Idempotent when nothing differs, as AWS allows.
    const StateMachine& m = it->second;
    if (m.definition == r.definition && m.role_arn == r.role_arn && m.type == type) return reply(m);
    return reply(Error{ErrorCode::kStateMachineAlreadyExists,
                       "State Machine Already Exists: '" + arn + "'"});
  }
  StateMachine m{arn,  r.name,   r.definition,         r.role_arn,
                 type, "ACTIVE", env_.clock->now_ms(), std::move(r.tags)};
  WriteBatch batch;
  persist_machine(m, batch);
  machines_[arn] = m;
  commit_then_reply(std::move(batch), std::move(reply), std::move(m));
}

void Engine::update_state_machine(const Caller&, const std::string& arn,
                                  std::optional<std::string> definition,
                                  std::optional<std::string> role_arn, Reply<TimeMs> reply) {
  auto m = machine(arn);
  if (!m) return reply(m.error());
  if (!definition && !role_arn)
    return reply(Error{ErrorCode::kSfnMissingRequiredParameter,
                       "Either the definition, the role ARN, the logging configuration or the "
                       "tracing configuration must be specified"});
  if (definition) {
    auto diagnostics = validate_definition(*definition);
    if (!diagnostics.empty())
      return reply(Error{ErrorCode::kInvalidDefinition, invalid_definition_message(diagnostics)});
    (*m)->definition = *definition;
  }
  if (role_arn) (*m)->role_arn = *role_arn;
  WriteBatch batch;
  persist_machine(**m, batch);
  commit_then_reply(std::move(batch), std::move(reply), env_.clock->now_ms());
}

void Engine::delete_state_machine(const Caller&, const std::string& arn, Reply<Ok> reply) {
  if (!arn.rfind("arn:aws:states:", 0) == 0 || arn.find(":stateMachine:") == std::string::npos)
    return reply(Error{ErrorCode::kInvalidArn, "Invalid Arn: '" + arn + "'"});
  WriteBatch batch;
  if (machines_.erase(arn)) batch.erase(kMachinesTable, arn);
  // AWS answers success for a machine that is already gone.
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

void Engine::describe_state_machine(const Caller&, const std::string& arn,
                                    Reply<StateMachine> reply) {
  auto m = machine(arn);
  if (!m) return reply(m.error());
  reply(**m);
}

void Engine::describe_state_machine_for_execution(const Caller&, const std::string& arn,
                                                  Reply<StateMachine> reply) {
  auto it = runs_.find(arn);
  if (it == runs_.end() || !it->second.parent.empty())
    return reply(
        Error{ErrorCode::kExecutionDoesNotExist, "Execution Does Not Exist: '" + arn + "'"});
  StateMachine m;
  m.arn = it->second.info.state_machine_arn;
  m.name = it->second.state_machine_name;
  m.definition = it->second.definition.dump();
  m.role_arn = it->second.role_arn;
  reply(std::move(m));
}

void Engine::list_state_machines(const Caller& caller, const ListRequest& r,
                                 Reply<Page<StateMachine>> reply) {
  std::vector<StateMachine> all;
  std::string prefix = "arn:aws:states:" + caller.region + ":" + caller.account + ":stateMachine:";
  for (const auto& [arn, m] : machines_)
    if (arn.rfind(prefix, 0) == 0) all.push_back(m);
  paginate(
      std::move(all), r, [](const StateMachine& m) { return m.arn; }, std::move(reply));
}

Result<StateMachine*> Engine::machine(const std::string& arn) {
  if (arn.rfind("arn:aws:states:", 0) != 0 || arn.find(":stateMachine:") == std::string::npos)
    return Error{ErrorCode::kInvalidArn,
                 "Invalid Arn: 'Resource type not valid in this context: " + arn + "'"};
  auto it = machines_.find(arn);
  if (it == machines_.end())
    return Error{ErrorCode::kStateMachineDoesNotExist,
                 "State Machine Does Not Exist: '" + arn + "'"};
  return &it->second;
}

// --- executions --------------------------------------------------------------------------
void Engine::start_execution(const Caller& caller, const std::string& machine_arn,
                             std::optional<std::string> name, std::optional<std::string> input,
                             Reply<Execution> reply) {
  start(caller, machine_arn, std::move(name), std::move(input), false, std::move(reply));
}

void Engine::start_sync_execution(const Caller& caller, const std::string& machine_arn,
                                  std::optional<std::string> name, std::optional<std::string> input,
                                  Reply<Execution> reply) {
  start(caller, machine_arn, std::move(name), std::move(input), true, std::move(reply));
}

void Engine::start(const Caller& caller, const std::string& requested_arn,
                   std::optional<std::string> name, std::optional<std::string> input, bool sync,
                   Reply<Execution> reply) {
  // Step Functions Local's convention: "<stateMachineArn>#<TestCase>" runs a mock test case.
  std::string machine_arn = requested_arn, test_case;
  if (auto hash = requested_arn.find('#'); hash != std::string::npos) {
    machine_arn = requested_arn.substr(0, hash);
    test_case = requested_arn.substr(hash + 1);
  }
  auto m = machine(machine_arn);
  if (!m) return reply(m.error());
  const StateMachine& machine = **m;
  bool express = machine.type == "EXPRESS";
  if (sync && !express)
    return reply(Error{ErrorCode::kStateMachineTypeNotSupported,
                       "This operation is not supported by this type of state machine"});
  std::string exec_name = name.value_or(uuid4());
  if (!valid_name(exec_name))
    return reply(Error{ErrorCode::kInvalidName, "Invalid Name: '" + exec_name + "'"});
  json parsed_input = json_nesting_within(input.value_or("{}"), kMaxJsonNesting)
                          ? json::parse(input.value_or("{}"), nullptr, false)
                          : json(json::value_t::discarded);
  if (parsed_input.is_discarded())
    return reply(Error{ErrorCode::kInvalidExecutionInput,
                       "Invalid Execution Input: '" + input.value_or("") + "'"});
  std::string arn = "arn:aws:states:" + caller.region + ":" + caller.account +
                    (express ? ":express:" : ":execution:") + machine.name + ":" + exec_name;
  if (express) arn += ":" + uuid4();
  if (auto existing = runs_.find(arn); existing != runs_.end()) {
    // The same name and input while it runs is the same request again (AWS's rule).
    const Run& r = existing->second;
    if (r.info.status == "RUNNING" && r.info.input == input.value_or("{}")) return reply(r.info);
    return reply(
        Error{ErrorCode::kExecutionAlreadyExists, "Execution Already Exists: '" + arn + "'"});
  }
  TimeMs now = env_.clock->now_ms();
  Run run;
  run.info = {arn,          machine_arn,  exec_name,    "RUNNING", input.value_or("{}"),
              std::nullopt, std::nullopt, std::nullopt, now,       std::nullopt};
  if (!test_case.empty() && !test_case_states(machine.name, test_case))
    return reply(Error{ErrorCode::kSfnValidation,
                       "Test case '" + test_case + "' is not defined for state machine '" +
                           machine.name + "' in the mock configuration"});
  run.test_case = test_case;
  run.definition = json::parse(machine.definition);
  run.role_arn = machine.role_arn;
  run.state_machine_name = machine.name;
  run.express = express;
  run.state = run.definition["StartAt"];
  run.state_input = parsed_input;
  add_event(run, "ExecutionStarted", "executionStartedEventDetails",
            {{"input", run.info.input},
             {"inputDetails", {{"truncated", false}}},
             {"roleArn", machine.role_arn}});
  auto& stored = express ? express_[arn] : runs_[arn];
  stored = std::move(run);
  Run& r = stored;
  if (sync) r.on_end.push_back(std::move(reply));
  Execution started = r.info;  // an Express run that ends at once is erased by advance()
  arm_execution_deadline(r);
  advance(r);
  if (sync) return;  // answered when it ends
  WriteBatch batch;
  if (!express) {
    persist_run(r, batch);
    started = r.info;
  }
  commit_then_reply(std::move(batch), std::move(reply), std::move(started));
}

void Engine::stop_execution(const Caller&, const std::string& arn, std::optional<std::string> error,
                            std::optional<std::string> cause, Reply<TimeMs> reply) {
  auto it = runs_.find(arn);
  if (it == runs_.end() || !it->second.parent.empty())
    return reply(
        Error{ErrorCode::kExecutionDoesNotExist, "Execution Does Not Exist: '" + arn + "'"});
  Run& r = it->second;
  TimeMs now = env_.clock->now_ms();
  if (r.info.status == "RUNNING") {
    env_.timers->cancel(r.timer);
    drop_task(r);
    end_children_of(r);
    json details = json::object();
    if (error) details["error"] = *error;
    if (cause) details["cause"] = *cause;
    r.info.error = error;
    r.info.cause = cause;
    finish(r, "ABORTED", now, "ExecutionAborted", "executionAbortedEventDetails", details);
  }
  WriteBatch batch;
  persist_run(r, batch);
  commit_then_reply(std::move(batch), std::move(reply), r.info.stopped_at.value_or(now));
}

void Engine::describe_execution(const Caller&, const std::string& arn, Reply<Execution> reply) {
  auto it = runs_.find(arn);
  if (it == runs_.end() || !it->second.parent.empty())
    return reply(
        Error{ErrorCode::kExecutionDoesNotExist, "Execution Does Not Exist: '" + arn + "'"});
  reply(it->second.info);
}

void Engine::list_executions(const Caller&, const std::string& machine_arn,
                             std::optional<std::string> status_filter, const ListRequest& r,
                             Reply<Page<Execution>> reply) {
  auto m = machine(machine_arn);
  if (!m) return reply(m.error());
  if ((*m)->type == "EXPRESS")
    return reply(Error{ErrorCode::kStateMachineTypeNotSupported,
                       "This operation is not supported by this type of state machine"});
  std::vector<Execution> all;
  for (const auto& [arn, run] : runs_)
    if (run.parent.empty() && run.info.state_machine_arn == machine_arn &&
        (!status_filter || run.info.status == *status_filter))
      all.push_back(run.info);
  // Most recent first, as AWS lists them.
  std::stable_sort(all.begin(), all.end(), [](const Execution& a, const Execution& b) {
    return a.started_at > b.started_at;
  });
  paginate(
      std::move(all), r, [](const Execution& e) { return e.arn; }, std::move(reply));
}

void Engine::get_execution_history(const Caller&, const std::string& arn, bool reverse_order,
                                   bool include_execution_data, const ListRequest& r,
                                   Reply<Page<HistoryEvent>> reply) {
  auto it = runs_.find(arn);
  if (it == runs_.end() || !it->second.parent.empty())
    return reply(
        Error{ErrorCode::kExecutionDoesNotExist, "Execution Does Not Exist: '" + arn + "'"});
  std::vector<HistoryEvent> events = it->second.history;
  if (reverse_order) std::reverse(events.begin(), events.end());
  if (!include_execution_data)
    for (auto& e : events)
      for (const char* field : {"input", "output"}) {
        e.details.erase(field);
        e.details.erase(std::string(field) + "Details");
      }
  paginate(
      std::move(events), r, [](const HistoryEvent& e) { return std::to_string(e.id); },
      std::move(reply));
}

// --- activities and task tokens -----------------------------------------------------------
void Engine::create_activity(const Caller& caller, const std::string& name, Reply<Activity> reply) {
  if (!valid_name(name))
    return reply(Error{ErrorCode::kInvalidName, "Invalid Name: '" + name + "'"});
  std::string arn = "arn:aws:states:" + caller.region + ":" + caller.account + ":activity:" + name;
  if (auto it = activities_.find(arn); it != activities_.end()) return reply(it->second);
  Activity a{arn, name, env_.clock->now_ms()};
  activities_[arn] = a;
  WriteBatch batch;
  batch.put(kActivitiesTable, arn, json{{"name", name}, {"created_at", a.created_at}}.dump());
  commit_then_reply(std::move(batch), std::move(reply), std::move(a));
}

void Engine::delete_activity(const Caller&, const std::string& arn, Reply<Ok> reply) {
  if (arn.find(":activity:") == std::string::npos)
    return reply(Error{ErrorCode::kInvalidArn, "Invalid Arn: '" + arn + "'"});
  WriteBatch batch;
  if (activities_.erase(arn)) batch.erase(kActivitiesTable, arn);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

void Engine::describe_activity(const Caller&, const std::string& arn, Reply<Activity> reply) {
  auto it = activities_.find(arn);
  if (it == activities_.end())
    return reply(Error{ErrorCode::kActivityDoesNotExist, "Activity Does Not Exist: '" + arn + "'"});
  reply(it->second);
}

void Engine::list_activities(const Caller& caller, const ListRequest& r,
                             Reply<Page<Activity>> reply) {
  std::vector<Activity> all;
  std::string prefix = "arn:aws:states:" + caller.region + ":" + caller.account + ":activity:";
  for (const auto& [arn, a] : activities_)
    if (arn.rfind(prefix, 0) == 0) all.push_back(a);
  paginate(
      std::move(all), r, [](const Activity& a) { return a.arn; }, std::move(reply));
}

void Engine::get_activity_task(const Caller&, const std::string& arn,
                               std::optional<std::string> worker, Reply<ActivityTask> reply) {
  if (!activities_.count(arn))
    return reply(Error{ErrorCode::kActivityDoesNotExist, "Activity Does Not Exist: '" + arn + "'"});
  auto& queue = queued_[arn];
  if (!queue.empty()) {
    std::string token = queue.front();
    queue.pop_front();
    return start_task(token, worker.value_or(""), std::move(reply));
  }
  uint64_t id = next_poller_id_++;
  Poller p{id, worker.value_or(""), std::move(reply)};
  p.timer = env_.timers->schedule(env_.clock->now_ms() + kActivityPollMs, [this, arn, id] {
    auto& list = pollers_[arn];
    auto it = std::find_if(list.begin(), list.end(), [&](const Poller& q) { return q.id == id; });
    if (it == list.end()) return;
    auto done = std::move(it->reply);
    list.erase(it);
    done(ActivityTask{});
  });
  pollers_[arn].push_back(std::move(p));
}

void Engine::send_task_success(const Caller&, const std::string& token, const std::string& output,
                               Reply<Ok> reply) {
  auto r = task_for(token);
  if (!r) return reply(r.error());
  if (!json_nesting_within(output, kMaxJsonNesting) ||
      json::parse(output, nullptr, false).is_discarded())
    return reply(Error{ErrorCode::kInvalidOutput, "Invalid Output: '" + output + "'"});
  (*r)->task->output = output;
  answer(**r, std::move(reply));
}

void Engine::send_task_failure(const Caller&, const std::string& token,
                               std::optional<std::string> error, std::optional<std::string> cause,
                               Reply<Ok> reply) {
  auto r = task_for(token);
  if (!r) return reply(r.error());
  (*r)->task->failure = StateError{error.value_or(""), cause.value_or("")};
  answer(**r, std::move(reply));
}

void Engine::send_task_heartbeat(const Caller&, const std::string& token, Reply<Ok> reply) {
  auto r = task_for(token);
  if (!r) return reply(r.error());
  Run& run = **r;
  if (run.task->heartbeat_seconds > 0) {
    run.task->heartbeat_deadline = env_.clock->now_ms() + run.task->heartbeat_seconds * 1000;
    park(run, next_deadline(*run.task));
  }
  WriteBatch batch;
  persist_run(run, batch);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

// The run whose current task `token` names.
Result<Run*> Engine::task_for(const std::string& token) {
  auto decoded = base64_decode(token);
  if (token.empty() || !decoded || decoded->find(":arn:aws:states:") == std::string::npos)
    return Error{ErrorCode::kInvalidToken, "Invalid Token: '" + token + "'"};
  auto it = tokens_.find(token);
  if (it == tokens_.end())
    return Error{ErrorCode::kTaskDoesNotExist, "Task Does Not Exist: '" + token + "'"};
  auto run = runs_.find(it->second);
  if (run == runs_.end() || !run->second.task || run->second.task->token != token)
    return Error{ErrorCode::kTaskDoesNotExist, "Task Does Not Exist: '" + token + "'"};
  return &run->second;
}

// A worker's answer moves the run on; it is acknowledged once that step is durable.
void Engine::answer(Run& r, Reply<Ok> reply) {
  env_.timers->cancel(r.timer);
  r.timer = 0;
  advance(r);
  WriteBatch batch;
  persist_run(r, batch);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

// --- tags --------------------------------------------------------------------------------
void Engine::tag_resource(const Caller&, const std::string& arn,
                          const std::map<std::string, std::string>& tags, Reply<Ok> reply) {
  auto it = machines_.find(arn);
  if (it == machines_.end())
    return reply(Error{ErrorCode::kResourceNotFound, "Resource not found: '" + arn + "'"});
  for (const auto& [k, v] : tags) it->second.tags[k] = v;
  WriteBatch batch;
  persist_machine(it->second, batch);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

void Engine::untag_resource(const Caller&, const std::string& arn,
                            const std::vector<std::string>& keys, Reply<Ok> reply) {
  auto it = machines_.find(arn);
  if (it == machines_.end())
    return reply(Error{ErrorCode::kResourceNotFound, "Resource not found: '" + arn + "'"});
  for (const auto& k : keys) it->second.tags.erase(k);
  WriteBatch batch;
  persist_machine(it->second, batch);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

void Engine::list_tags_for_resource(const Caller&, const std::string& arn,
                                    Reply<std::map<std::string, std::string>> reply) {
  auto it = machines_.find(arn);
  if (it == machines_.end())
    return reply(Error{ErrorCode::kResourceNotFound, "Resource not found: '" + arn + "'"});
  reply(it->second.tags);
}

}  // namespace wyvern::stepfn
