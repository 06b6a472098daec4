// The public actions: state machines, executions, activities and their task tokens, tags.
// Each checks its request, changes the engine's state and answers once that is durable; the
// runs it starts or moves on are the interpreter's.
#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <vector>

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

// The InvalidArn error, in AWS's words, when `arn` is not a Step Functions ARN of one of
// `types` with at least `parts` colon-separated parts; nullopt when it is.
std::optional<Error> arn_error(const std::string& arn,
                               std::initializer_list<std::string_view> types, size_t parts) {
  std::vector<std::string_view> p;
  std::string_view rest(arn);
  for (size_t colon; (colon = rest.find(':')) != std::string_view::npos;
       rest.remove_prefix(colon + 1))
    p.push_back(rest.substr(0, colon));
  p.push_back(rest);
  if (p.size() < 6 || p[0] != "arn" || p[2] != "states")
    return Error{ErrorCode::kInvalidArn, "Invalid Arn: 'Invalid ARN prefix: " + arn + "'"};
  if (std::find(types.begin(), types.end(), p[5]) == types.end())
    return Error{ErrorCode::kInvalidArn, "Invalid Arn: 'Resource type not valid in this context: " +
                                             std::string(p[5]) + "'"};
  if (p.size() < parts || p.back().empty())
    return Error{ErrorCode::kInvalidArn, "Invalid Arn: '" + arn + "'"};
  return std::nullopt;
}

std::optional<Error> activity_arn_error(const std::string& arn) {
  return arn_error(arn, {"activity"}, 7);
}

// What TagResource and its kin accept: state machines and activities (Wyvern tags only the
// former yet; an activity is ResourceNotFound).
std::optional<Error> taggable_arn_error(const std::string& arn) {
  return arn_error(arn, {"stateMachine", "activity"}, 7);
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
  auto diagnostics = validate_definition(r.definition, type);
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
  StateMachine m;
  m.arn = arn;
  m.name = r.name;
  m.definition = r.definition;
  m.role_arn = r.role_arn;
  m.type = type;
  m.created_at = env_.clock->now_ms();
  m.tags = std::move(r.tags);
  WriteBatch batch;
  StateMachine& stored = machines_[arn] = m;
  StateMachine created = stored;
  if (r.publish) {
    auto version = publish(stored, r.version_description, batch);
    if (!version) {
      machines_.erase(arn);
      return reply(version.error());
    }
    created.published_version_arn = version->arn;
  }
  persist_machine(stored, batch);
  commit_then_reply(std::move(batch), std::move(reply), std::move(created));
}

void Engine::update_state_machine(const Caller&, UpdateStateMachineRequest r,
                                  Reply<StateMachineUpdate> reply) {
  auto m = machine(r.arn);
  if (!m) return reply(m.error());
  StateMachine& sm = **m;
  if (!r.definition && !r.role_arn)
    return reply(Error{ErrorCode::kSfnMissingRequiredParameter,
                       "Either the definition, the role ARN, the logging configuration or the "
                       "tracing configuration must be specified"});
  if (r.definition) {
    auto diagnostics = validate_definition(*r.definition, sm.type);
    if (!diagnostics.empty())
      return reply(Error{ErrorCode::kInvalidDefinition, invalid_definition_message(diagnostics)});
  }
  bool changed = (r.definition && *r.definition != sm.definition) ||
                 (r.role_arn && *r.role_arn != sm.role_arn);
  if (r.definition) sm.definition = *r.definition;
  if (r.role_arn) sm.role_arn = *r.role_arn;
  // Every change is a new revision; a version is published from one.
  if (changed || sm.revision_id.empty()) sm.revision_id = uuid4();
  StateMachineUpdate out{env_.clock->now_ms(), sm.revision_id, std::nullopt};
  WriteBatch batch;
  if (r.publish) {
    auto version = publish(sm, r.version_description, batch);
    if (!version) return reply(version.error());
    out.version_arn = version->arn;
  }
  persist_machine(sm, batch);
  commit_then_reply(std::move(batch), std::move(reply), std::move(out));
}

void Engine::delete_state_machine(const Caller&, const std::string& arn, Reply<Ok> reply) {
  if (arn.rfind("arn:aws:states:", 0) != 0 || arn.find(":stateMachine:") == std::string::npos)
    return reply(Error{ErrorCode::kInvalidArn, "Invalid Arn: '" + arn + "'"});
  WriteBatch batch;
  if (machines_.erase(arn)) batch.erase(kMachinesTable, arn);
  erase_versions_and_aliases(arn, batch);  // they go with it
  // AWS answers success for a machine that is already gone.
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

void Engine::describe_state_machine(const Caller&, const std::string& arn,
                                    Reply<StateMachine> reply) {
  auto t = target(arn);
  if (!t) return reply(t.error());
  if (t->alias_arn)
    return reply(Error{ErrorCode::kInvalidArn,
                       "Invalid Arn: 'Resource type not valid in this context: " + arn + "'"});
  StateMachine m = t->version ? *t->version : *t->machine;
  if (t->version) {
    m.name = t->machine->name;
    m.type = t->machine->type;
  }
  m.variable_references = variable_references(json::parse(m.definition, nullptr, false));
  reply(std::move(m));
}

void Engine::describe_state_machine_for_execution(const Caller&, const std::string& arn,
                                                  Reply<StateMachine> reply) {
  auto found = execution(arn);
  if (!found) return reply(found.error());
  Run& run = **found;
  StateMachine m;
  m.arn = run.info.state_machine_arn;
  m.name = run.state_machine_name;
  m.definition = run.definition_text.empty() ? run.definition.dump() : run.definition_text;
  m.role_arn = run.role_arn;
  m.variable_references = variable_references(run.definition);
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
  auto t = target(machine_arn);
  if (!t) return reply(t.error());
  const StateMachine& machine = *t->machine;
  // A version or alias runs the version's definition and role.
  const StateMachine& source = t->version ? *t->version : machine;
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
  run.info.arn = arn;
  run.info.state_machine_arn = machine.arn;
  run.info.name = exec_name;
  run.info.status = "RUNNING";
  run.info.input = input.value_or("{}");
  run.info.started_at = now;
  if (t->version) run.info.version_arn = t->version->arn;
  run.info.alias_arn = t->alias_arn;
  if (!test_case.empty() && !test_case_states(machine.name, test_case))
    return reply(Error{ErrorCode::kSfnValidation,
                       "Test case '" + test_case + "' is not defined for state machine '" +
                           machine.name + "' in the mock configuration"});
  run.test_case = test_case;
  run.definition = json::parse(source.definition);
  propagate_query_language(run.definition);
  run.definition_text = source.definition;
  run.role_arn = source.role_arn;
  run.state_machine_name = machine.name;
  run.express = express;
  run.state = run.definition["StartAt"];
  run.state_input = parsed_input;
  json started_details = {{"input", run.info.input},
                          {"inputDetails", {{"truncated", false}}},
                          {"roleArn", source.role_arn}};
  if (run.info.alias_arn) started_details["stateMachineAliasArn"] = *run.info.alias_arn;
  if (run.info.version_arn) started_details["stateMachineVersionArn"] = *run.info.version_arn;
  add_event(run, "ExecutionStarted", "executionStartedEventDetails", std::move(started_details));
  auto& stored = express ? express_[arn] : runs_[arn];
  stored = std::move(run);
  Run& r = stored;
  announce(r);
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
  auto found = execution(arn);
  if (!found) return reply(found.error());
  Run& r = **found;
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

// Why an execution cannot be redriven now, in AWS's words; nullopt when it can.
std::optional<std::string> Engine::not_redrivable(const Run& r) const {
  constexpr TimeMs kRedrivableMs = 14LL * 24 * 3600 * 1000;
  constexpr TimeMs kMaxExecutionMs = 365LL * 24 * 3600 * 1000;
  if (r.info.status == "RUNNING" || r.info.status == "SUCCEEDED")
    return "Execution is " + r.info.status + " and cannot be redriven";
  auto m = machines_.find(r.info.state_machine_arn);
  if (m == machines_.end()) return "State machine is in DELETING status";
  // Room for the redrive's own events.
  if (r.history.size() + 2 >= kMaxHistoryEvents) return "Execution history event limit exceeded";
  TimeMs now = env_.clock->now_ms();
  if (now - r.info.started_at > kMaxExecutionMs)
    return "Execution has exceeded the max execution time";
  if (r.info.stopped_at && now - *r.info.stopped_at > kRedrivableMs)
    return "Execution redrivable period exceeded";
  return std::nullopt;
}

Execution Engine::described(const Run& r) const {
  Execution e = r.info;
  auto reason = not_redrivable(r);
  e.redrive_status = reason ? "NOT_REDRIVABLE" : "REDRIVABLE";
  e.redrive_status_reason = reason;
  return e;
}

void Engine::redrive_execution(const Caller&, const std::string& arn, Reply<TimeMs> reply) {
  auto found = execution(arn);
  if (!found) return reply(found.error());
  Run& r = **found;
  if (auto reason = not_redrivable(r))
    return reply(Error{ErrorCode::kExecutionNotRedrivable, *reason + ": '" + arn + "'"});
  TimeMs now = env_.clock->now_ms();
  // Back to the state it stopped in, with that state's input; what ran before stays done.
  // A Parallel or Map state reruns only its branches or iterations that did not succeed.
  r.info.status = "RUNNING";
  r.info.output.reset();
  r.info.error.reset();
  r.info.cause.reset();
  r.info.stopped_at.reset();
  r.info.redrive_count += 1;
  r.info.redrive_date = now;
  announce(r);
  r.entered = false;
  r.wait_until = 0;
  r.retry_at = 0;
  r.retries.clear();
  r.mock_calls.erase(r.state);
  r.redriving_container = r.kept_state == r.state;
  add_event(r, "ExecutionRedriven", "executionRedrivenEventDetails",
            {{"redriveCount", r.info.redrive_count}});
  arm_execution_deadline(r);
  advance(r);
  WriteBatch batch;
  persist_run(r, batch);
  commit_then_reply(std::move(batch), std::move(reply), now);
}

void Engine::describe_execution(const Caller&, const std::string& arn, Reply<Execution> reply) {
  reply = once_durable(std::move(reply));
  auto found = execution(arn);
  if (!found) return reply(found.error());
  Run& run = **found;
  reply(described(run));
}

Result<Run*> Engine::execution(const std::string& arn) {
  if (auto bad = arn_error(arn, {"execution", "express"}, 8)) return *bad;
  auto it = runs_.find(arn);
  if (it == runs_.end() || (!it->second.parent.empty() && !it->second.own_history))
    return Error{ErrorCode::kExecutionDoesNotExist, "Execution Does Not Exist: '" + arn + "'"};
  return &it->second;
}

void Engine::list_executions(const Caller&, const std::string& machine_arn,
                             std::optional<std::string> map_run_arn,
                             std::optional<std::string> status_filter,
                             std::optional<std::string> redrive_filter, const ListRequest& r,
                             Reply<Page<Execution>> reply) {
  reply = once_durable(std::move(reply));
  if (redrive_filter && *redrive_filter != "REDRIVEN" && *redrive_filter != "NOT_REDRIVEN")
    return reply(Error{ErrorCode::kSfnValidation,
                       "1 validation error detected: Value '" + *redrive_filter +
                           "' at 'redriveFilter' failed to satisfy constraint: Member must "
                           "satisfy enum value set: [REDRIVEN, NOT_REDRIVEN]"});
  auto newest_first = [](std::vector<Execution>& all) {
    std::stable_sort(all.begin(), all.end(), [](const Execution& a, const Execution& b) {
      return a.started_at > b.started_at;
    });
  };
  if (map_run_arn) {
    if (!machine_arn.empty())
      return reply(Error{ErrorCode::kSfnValidation,
                         "Only one of stateMachineArn and mapRunArn may be given."});
    if (map_run_arn->find(":mapRun:") == std::string::npos)
      return reply(Error{ErrorCode::kInvalidArn, "Invalid Arn: '" + *map_run_arn + "'"});
    std::vector<Execution> all;
    for (const auto& [arn, run] : runs_)
      if (run.own_history && run.map_run_arn == *map_run_arn &&
          (!status_filter || run.info.status == *status_filter))
        all.push_back(run.info);
    if (all.empty())
      return reply(
          Error{ErrorCode::kSfnResourceNotFound, "Resource not found: '" + *map_run_arn + "'"});
    newest_first(all);
    return paginate(
        std::move(all), r, [](const Execution& e) { return e.arn; }, std::move(reply));
  }
  auto t = target(machine_arn);
  if (!t) return reply(t.error());
  const StateMachine* m = t->machine;
  // Through a version or alias ARN: only the executions started through it.
  std::string through = machine_arn != m->arn ? machine_arn : "";
  if (m->type == "EXPRESS")
    return reply(Error{ErrorCode::kStateMachineTypeNotSupported,
                       "This operation is not supported by this type of state machine"});
  std::vector<Execution> all;
  for (const auto& [arn, run] : runs_) {
    if (!run.parent.empty() || run.info.state_machine_arn != m->arn) continue;
    if (status_filter && run.info.status != *status_filter) continue;
    if (!through.empty() && run.info.version_arn != through && run.info.alias_arn != through)
      continue;
    if (redrive_filter && (run.info.redrive_count > 0) != (*redrive_filter == "REDRIVEN")) continue;
    all.push_back(run.info);
  }
  newest_first(all);  // as AWS lists them
  paginate(
      std::move(all), r, [](const Execution& e) { return e.arn; }, std::move(reply));
}

void Engine::get_execution_history(const Caller&, const std::string& arn, bool reverse_order,
                                   bool include_execution_data, const ListRequest& r,
                                   Reply<Page<HistoryEvent>> reply) {
  reply = once_durable(std::move(reply));
  auto found = execution(arn);
  if (!found) return reply(found.error());
  Run& run = **found;
  std::vector<HistoryEvent> events = run.history;
  if (reverse_order) std::reverse(events.begin(), events.end());
  // Without execution data, no input, output or assigned variables (which are data too).
  if (!include_execution_data)
    for (auto& e : events)
      for (const char* field : {"input", "output", "assignedVariables"}) {
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
  if (auto bad = activity_arn_error(arn)) return reply(*bad);
  WriteBatch batch;
  if (activities_.erase(arn)) batch.erase(kActivitiesTable, arn);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

void Engine::describe_activity(const Caller&, const std::string& arn, Reply<Activity> reply) {
  if (auto bad = activity_arn_error(arn)) return reply(*bad);
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
  if (auto bad = activity_arn_error(arn)) return reply(*bad);
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

// The run whose current task `token` names. As AWS answers: a token that is not one at all
// is InvalidToken; one whose task closed (answered, timed out, its execution ended) or whose
// deadline has passed (its timer has yet to close it) is TaskTimedOut; one of the right shape
// that this engine never issued, or no longer remembers, is TaskDoesNotExist.
std::vector<PendingTask> Engine::pending_tasks(const std::string& execution_arn) {
  std::vector<PendingTask> out;
  for (const auto& [token, run_key] : tokens_) {
    auto run = runs_.find(run_key);
    if (run == runs_.end() || !run->second.task || run->second.task->token != token) continue;
    // A branch's or iteration's task belongs to the execution at the top of its parents.
    const Run* top = &run->second;
    for (auto up = runs_.find(top->parent); !top->parent.empty() && up != runs_.end();
         up = runs_.find(top->parent))
      top = &up->second;
    if (top->info.arn != execution_arn) continue;
    const Run& r = run->second;
    const json* state = nullptr;
    if (auto states = r.definition.find("States"); states != r.definition.end() && states->is_object())
      if (auto it = states->find(r.state); it != states->end()) state = &*it;
    out.push_back({r.state, token, r.task->callback ? "callback" : "activity",
                   state && state->contains("Resource") && (*state)["Resource"].is_string()
                       ? (*state)["Resource"].get<std::string>()
                       : "",
                   r.task->scheduled_at});
  }
  return out;
}

Result<Run*> Engine::task_for(const std::string& token) {
  auto id = task_token_id(token);
  if (!id) return Error{ErrorCode::kInvalidToken, "Invalid Token: '" + token + "'"};
  Error timed_out{ErrorCode::kTaskTimedOut,
                  "Task Timed Out: 'Provided task does not exist anymore'"};
  if (auto it = tokens_.find(token); it != tokens_.end()) {
    auto run = runs_.find(it->second);
    if (run == runs_.end() || !run->second.task || run->second.task->token != token)
      return timed_out;
    if (env_.clock->now_ms() >= next_deadline(*run->second.task)) return timed_out;
    return &run->second;
  }
  if (closed_tokens_.count(*id)) return timed_out;
  return Error{ErrorCode::kTaskDoesNotExist, "Task Does Not Exist: '" + token + "'"};
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
  if (auto bad = taggable_arn_error(arn)) return reply(*bad);
  auto it = machines_.find(arn);
  if (it == machines_.end())
    return reply(Error{ErrorCode::kSfnResourceNotFound, "Resource not found: '" + arn + "'"});
  for (const auto& [k, v] : tags) it->second.tags[k] = v;
  WriteBatch batch;
  persist_machine(it->second, batch);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

void Engine::untag_resource(const Caller&, const std::string& arn,
                            const std::vector<std::string>& keys, Reply<Ok> reply) {
  if (auto bad = taggable_arn_error(arn)) return reply(*bad);
  auto it = machines_.find(arn);
  if (it == machines_.end())
    return reply(Error{ErrorCode::kSfnResourceNotFound, "Resource not found: '" + arn + "'"});
  for (const auto& k : keys) it->second.tags.erase(k);
  WriteBatch batch;
  persist_machine(it->second, batch);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

void Engine::list_tags_for_resource(const Caller&, const std::string& arn,
                                    Reply<std::map<std::string, std::string>> reply) {
  if (auto bad = taggable_arn_error(arn)) return reply(*bad);
  auto it = machines_.find(arn);
  if (it == machines_.end())
    return reply(Error{ErrorCode::kSfnResourceNotFound, "Resource not found: '" + arn + "'"});
  reply(it->second.tags);
}

}  // namespace wyvern::stepfn
