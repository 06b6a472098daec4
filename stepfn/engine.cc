// The Step Functions engine: state machines, executions and their interpreter.
//
// Execution lifecycle: start_execution records the execution and its ExecutionStarted event,
// then runs it: states are taken one after another, each appending its history events, until
// the execution ends or a Wait state parks it on a timer. The whole run so far is committed
// as one batch (the states it ran have no side effects outside the execution) before anyone
// is answered. A parked execution's record says which state it waits in and until when; a
// restart re-arms that timer, and a run that was mid-way continues from its last committed
// state. Express executions follow the same path in memory, with nothing stored.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>

#include "definition.h"
#include "foundation/codec.h"
#include "processing.h"
#include "stepfn.h"

namespace wyvern::stepfn {
namespace {

constexpr char kMachinesTable[] = "sfn.machines";
constexpr char kExecutionsTable[] = "sfn.executions";
constexpr char kHistoryTable[] = "sfn.history";

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

std::string history_key(const std::string& execution_arn, int64_t id) {
  std::string key = execution_arn + '\0';
  put_u64_be(key, static_cast<uint64_t>(id));
  return key;
}

struct Run {
  Execution info;
  json definition;
  std::string role_arn;
  std::string state_machine_name;
  bool express = false;
  // Where the execution is: the state it is in, that state's input, and whether it has
  // entered it already (a Wait that parked has).
  std::string state;
  json state_input;
  bool entered = false;
  TimeMs wait_until = 0;
  TimeMs state_entered_at = 0;
  std::vector<HistoryEvent> history;
  size_t persisted_events = 0;
  Timers::TimerId timer = 0;
  std::vector<Reply<Execution>> on_end;  // StartSyncExecution callers
};

json run_record(const Run& r) {
  json doc = {{"arn", r.info.arn},
              {"state_machine_arn", r.info.state_machine_arn},
              {"name", r.info.name},
              {"status", r.info.status},
              {"input", r.info.input},
              {"started_at", r.info.started_at},
              {"definition", r.definition},
              {"role_arn", r.role_arn},
              {"machine_name", r.state_machine_name},
              {"state", r.state},
              {"state_input", r.state_input},
              {"entered", r.entered},
              {"wait_until", r.wait_until},
              {"state_entered_at", r.state_entered_at},
              {"events", r.history.size()}};
  if (r.info.output) doc["output"] = *r.info.output;
  if (r.info.error) doc["error"] = *r.info.error;
  if (r.info.cause) doc["cause"] = *r.info.cause;
  if (r.info.stopped_at) doc["stopped_at"] = *r.info.stopped_at;
  return doc;
}

json event_record(const HistoryEvent& e) {
  return {{"id", e.id},     {"previous_id", e.previous_id}, {"timestamp", e.timestamp},
          {"type", e.type}, {"details_key", e.details_key}, {"details", e.details}};
}

class Engine final : public StepFunctions {
 public:
  explicit Engine(Env env) : env_(env) {}
  ~Engine() override {
    for (auto& [arn, r] : runs_) env_.timers->cancel(r.timer);
  }

  void recover() override {
    env_.store->scan(kMachinesTable, [&](std::string_view key, std::string_view value) {
      auto doc = json::parse(value, nullptr, false);
      if (!doc.is_object()) return;
      StateMachine m;
      m.arn = key;
      m.name = doc.value("name", "");
      m.definition = doc.value("definition", "");
      m.role_arn = doc.value("role_arn", "");
      m.type = doc.value("type", "STANDARD");
      m.created_at = doc.value("created_at", TimeMs{0});
      m.tags = doc.value("tags", std::map<std::string, std::string>{});
      machines_[m.arn] = std::move(m);
    });
    env_.store->scan(kExecutionsTable, [&](std::string_view key, std::string_view value) {
      auto doc = json::parse(value, nullptr, false);
      if (!doc.is_object()) return;
      Run r;
      r.info.arn = key;
      r.info.state_machine_arn = doc.value("state_machine_arn", "");
      r.info.name = doc.value("name", "");
      r.info.status = doc.value("status", "RUNNING");
      r.info.input = doc.value("input", "{}");
      r.info.started_at = doc.value("started_at", TimeMs{0});
      if (doc.contains("output")) r.info.output = doc["output"].get<std::string>();
      if (doc.contains("error")) r.info.error = doc["error"].get<std::string>();
      if (doc.contains("cause")) r.info.cause = doc["cause"].get<std::string>();
      if (doc.contains("stopped_at")) r.info.stopped_at = doc["stopped_at"].get<TimeMs>();
      r.definition = doc["definition"];
      r.role_arn = doc.value("role_arn", "");
      r.state_machine_name = doc.value("machine_name", "");
      r.state = doc.value("state", "");
      r.state_input = doc["state_input"];
      r.entered = doc.value("entered", false);
      r.wait_until = doc.value("wait_until", TimeMs{0});
      r.state_entered_at = doc.value("state_entered_at", TimeMs{0});
      runs_[r.info.arn] = std::move(r);
    });
    env_.store->scan(kHistoryTable, [&](std::string_view key, std::string_view value) {
      auto nul = key.find('\0');
      auto it = runs_.find(std::string(key.substr(0, nul)));
      auto doc = json::parse(value, nullptr, false);
      if (it == runs_.end() || !doc.is_object()) return;
      HistoryEvent e{doc["id"],   doc["previous_id"], doc["timestamp"],
                     doc["type"], doc["details_key"], doc["details"]};
      it->second.history.push_back(std::move(e));
    });
    for (auto& [arn, r] : runs_) {
      r.persisted_events = r.history.size();
      if (r.info.status != "RUNNING") continue;
      // Resume: a parked Wait re-arms its timer; anything else continues at once.
      std::string key = arn;
      TimeMs at = r.entered && r.wait_until > 0 ? r.wait_until : env_.clock->now_ms();
      r.timer = env_.timers->schedule(at, [this, key] { resume(key); });
    }
  }

  void reset() override {
    for (auto& [arn, r] : runs_) env_.timers->cancel(r.timer);
    runs_.clear();
    express_.clear();
    machines_.clear();
  }

  // --- state machines -------------------------------------------------------------------
  void create_state_machine(const Caller& caller, CreateStateMachineRequest r,
                            Reply<StateMachine> reply) override {
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
      if (m.definition == r.definition && m.role_arn == r.role_arn && m.type == type)
        return reply(m);
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

  void update_state_machine(const Caller&, const std::string& arn,
                            std::optional<std::string> definition,
                            std::optional<std::string> role_arn, Reply<TimeMs> reply) override {
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

  void delete_state_machine(const Caller&, const std::string& arn, Reply<Ok> reply) override {
    if (!arn.rfind("arn:aws:states:", 0) == 0 || arn.find(":stateMachine:") == std::string::npos)
      return reply(Error{ErrorCode::kInvalidArn, "Invalid Arn: '" + arn + "'"});
    WriteBatch batch;
    if (machines_.erase(arn)) batch.erase(kMachinesTable, arn);
    // AWS answers success for a machine that is already gone.
    commit_then_reply(std::move(batch), std::move(reply), Ok{});
  }

  void describe_state_machine(const Caller&, const std::string& arn,
                              Reply<StateMachine> reply) override {
    auto m = machine(arn);
    if (!m) return reply(m.error());
    reply(**m);
  }

  void describe_state_machine_for_execution(const Caller&, const std::string& arn,
                                            Reply<StateMachine> reply) override {
    auto it = runs_.find(arn);
    if (it == runs_.end())
      return reply(
          Error{ErrorCode::kExecutionDoesNotExist, "Execution Does Not Exist: '" + arn + "'"});
    StateMachine m;
    m.arn = it->second.info.state_machine_arn;
    m.name = it->second.state_machine_name;
    m.definition = it->second.definition.dump();
    m.role_arn = it->second.role_arn;
    reply(std::move(m));
  }

  void list_state_machines(const Caller& caller, const ListRequest& r,
                           Reply<Page<StateMachine>> reply) override {
    std::vector<StateMachine> all;
    std::string prefix =
        "arn:aws:states:" + caller.region + ":" + caller.account + ":stateMachine:";
    for (const auto& [arn, m] : machines_)
      if (arn.rfind(prefix, 0) == 0) all.push_back(m);
    paginate(
        std::move(all), r, [](const StateMachine& m) { return m.arn; }, std::move(reply));
  }

  // --- executions ----------------------------------------------------------------------
  void start_execution(const Caller& caller, const std::string& machine_arn,
                       std::optional<std::string> name, std::optional<std::string> input,
                       Reply<Execution> reply) override {
    start(caller, machine_arn, std::move(name), std::move(input), false, std::move(reply));
  }

  void start_sync_execution(const Caller& caller, const std::string& machine_arn,
                            std::optional<std::string> name, std::optional<std::string> input,
                            Reply<Execution> reply) override {
    start(caller, machine_arn, std::move(name), std::move(input), true, std::move(reply));
  }

  void stop_execution(const Caller&, const std::string& arn, std::optional<std::string> error,
                      std::optional<std::string> cause, Reply<TimeMs> reply) override {
    auto it = runs_.find(arn);
    if (it == runs_.end())
      return reply(
          Error{ErrorCode::kExecutionDoesNotExist, "Execution Does Not Exist: '" + arn + "'"});
    Run& r = it->second;
    TimeMs now = env_.clock->now_ms();
    if (r.info.status == "RUNNING") {
      env_.timers->cancel(r.timer);
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

  void describe_execution(const Caller&, const std::string& arn, Reply<Execution> reply) override {
    auto it = runs_.find(arn);
    if (it == runs_.end())
      return reply(
          Error{ErrorCode::kExecutionDoesNotExist, "Execution Does Not Exist: '" + arn + "'"});
    reply(it->second.info);
  }

  void list_executions(const Caller&, const std::string& machine_arn,
                       std::optional<std::string> status_filter, const ListRequest& r,
                       Reply<Page<Execution>> reply) override {
    auto m = machine(machine_arn);
    if (!m) return reply(m.error());
    if ((*m)->type == "EXPRESS")
      return reply(Error{ErrorCode::kStateMachineTypeNotSupported,
                         "This operation is not supported by this type of state machine"});
    std::vector<Execution> all;
    for (const auto& [arn, run] : runs_)
      if (run.info.state_machine_arn == machine_arn &&
          (!status_filter || run.info.status == *status_filter))
        all.push_back(run.info);
    // Most recent first, as AWS lists them.
    std::stable_sort(all.begin(), all.end(), [](const Execution& a, const Execution& b) {
      return a.started_at > b.started_at;
    });
    paginate(
        std::move(all), r, [](const Execution& e) { return e.arn; }, std::move(reply));
  }

  void get_execution_history(const Caller&, const std::string& arn, bool reverse_order,
                             bool include_execution_data, const ListRequest& r,
                             Reply<Page<HistoryEvent>> reply) override {
    auto it = runs_.find(arn);
    if (it == runs_.end())
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

  void tag_resource(const Caller&, const std::string& arn,
                    const std::map<std::string, std::string>& tags, Reply<Ok> reply) override {
    auto it = machines_.find(arn);
    if (it == machines_.end())
      return reply(Error{ErrorCode::kResourceNotFound, "Resource not found: '" + arn + "'"});
    for (const auto& [k, v] : tags) it->second.tags[k] = v;
    WriteBatch batch;
    persist_machine(it->second, batch);
    commit_then_reply(std::move(batch), std::move(reply), Ok{});
  }

  void untag_resource(const Caller&, const std::string& arn, const std::vector<std::string>& keys,
                      Reply<Ok> reply) override {
    auto it = machines_.find(arn);
    if (it == machines_.end())
      return reply(Error{ErrorCode::kResourceNotFound, "Resource not found: '" + arn + "'"});
    for (const auto& k : keys) it->second.tags.erase(k);
    WriteBatch batch;
    persist_machine(it->second, batch);
    commit_then_reply(std::move(batch), std::move(reply), Ok{});
  }

  void list_tags_for_resource(const Caller&, const std::string& arn,
                              Reply<std::map<std::string, std::string>> reply) override {
    auto it = machines_.find(arn);
    if (it == machines_.end())
      return reply(Error{ErrorCode::kResourceNotFound, "Resource not found: '" + arn + "'"});
    reply(it->second.tags);
  }

 private:
  Result<StateMachine*> machine(const std::string& arn) {
    if (arn.rfind("arn:aws:states:", 0) != 0 || arn.find(":stateMachine:") == std::string::npos)
      return Error{ErrorCode::kInvalidArn,
                   "Invalid Arn: 'Resource type not valid in this context: " + arn + "'"};
    auto it = machines_.find(arn);
    if (it == machines_.end())
      return Error{ErrorCode::kStateMachineDoesNotExist,
                   "State Machine Does Not Exist: '" + arn + "'"};
    return &it->second;
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

  void start(const Caller& caller, const std::string& machine_arn, std::optional<std::string> name,
             std::optional<std::string> input, bool sync, Reply<Execution> reply) {
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
    json parsed_input = json::parse(input.value_or("{}"), nullptr, false);
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
    advance(r);
    if (sync) return;  // answered when it ends
    WriteBatch batch;
    if (!express) persist_run(r, batch);
    commit_then_reply(std::move(batch), std::move(reply), r.info);
  }

  void resume(const std::string& arn) {
    auto it = runs_.find(arn);
    bool express = false;
    if (it == runs_.end()) {
      it = express_.find(arn);
      express = true;
      if (it == express_.end()) return;
    }
    Run& r = it->second;
    r.timer = 0;
    if (r.info.status != "RUNNING") return;
    advance(r);
    if (!express) {
      WriteBatch batch;
      persist_run(r, batch);
      env_.store->commit(std::move(batch), nullptr);
    }
  }

  // Runs states until the execution ends or parks in a Wait.
  void advance(Run& r) {
    const json& states = r.definition["States"];
    while (r.info.status == "RUNNING") {
      TimeMs now = env_.clock->now_ms();
      const json& st = states[r.state];
      std::string type = st["Type"];
      if (!r.entered) {
        r.entered = true;
        r.state_entered_at = now;
        add_event(r, type + "StateEntered", "stateEnteredEventDetails",
                  {{"name", r.state},
                   {"input", r.state_input.dump()},
                   {"inputDetails", {{"truncated", false}}}});
      }
      json context = context_object(r);
      Outcome effective = apply_input_path(st, r.state_input);
      if (effective.error) return fail(r, *effective.error);
      Outcome output;
      std::optional<std::string> next;
      if (type == "Pass") {
        Outcome result =
            st.contains("Result") ? Outcome{st["Result"], std::nullopt}
            : st.contains("Parameters")
                ? apply_payload(st["Parameters"], effective.value, context, "Parameters")
                : effective;
        if (result.error) return fail(r, *result.error);
        Outcome placed = apply_result_path(st, r.state_input, result.value);
        if (placed.error) return fail(r, *placed.error);
        output = apply_output_path(st, placed.value);
      } else if (type == "Choice") {
        Outcome chosen = choose(st, effective.value, context);
        if (chosen.error) return fail(r, *chosen.error);
        next = chosen.value.get<std::string>();
        output = apply_output_path(st, effective.value);
      } else if (type == "Wait") {
        if (r.wait_until == 0) {
          auto until = wait_until(st, effective.value, now);
          if (until.error) return fail(r, *until.error);
          r.wait_until = until.value.get<TimeMs>();
        }
        if (r.wait_until > now) {
          std::string key = r.info.arn;
          r.timer = env_.timers->schedule(r.wait_until, [this, key] { resume(key); });
          return;  // parked
        }
        r.wait_until = 0;
        output = apply_output_path(st, effective.value);
      } else if (type == "Succeed") {
        output = apply_output_path(st, effective.value);
      } else if (type == "Fail") {
        std::string error = st.value("Error", ""), cause = st.value("Cause", "");
        for (const char* f : {"ErrorPath", "CausePath"}) {
          if (!st.contains(f)) continue;
          Outcome v = apply_payload(json{{std::string("v.$"), st[f]}}, r.state_input, context, f);
          if (v.error) return fail(r, *v.error);
          std::string text =
              v.value["v"].is_string() ? v.value["v"].get<std::string>() : v.value["v"].dump();
          (std::string(f) == "ErrorPath" ? error : cause) = text;
        }
        json details = json::object();
        if (st.contains("Error") || st.contains("ErrorPath")) details["error"] = error;
        if (st.contains("Cause") || st.contains("CausePath")) details["cause"] = cause;
        r.info.error = error.empty() ? std::nullopt : std::optional<std::string>(error);
        r.info.cause = cause.empty() ? std::nullopt : std::optional<std::string>(cause);
        return finish(r, "FAILED", now, "ExecutionFailed", "executionFailedEventDetails", details);
      } else {
        return fail(r, StateError{"States.Runtime", "Wyvern does not run " + type +
                                                        " states yet (state '" + r.state + "')."});
      }
      if (output.error) return fail(r, *output.error);
      add_event(r, type + "StateExited", "stateExitedEventDetails",
                {{"name", r.state},
                 {"output", output.value.dump()},
                 {"outputDetails", {{"truncated", false}}}});
      if (type == "Succeed" || (!next && st.value("End", false))) {
        r.info.output = output.value.dump();
        return finish(r, "SUCCEEDED", now, "ExecutionSucceeded", "executionSucceededEventDetails",
                      {{"output", *r.info.output}, {"outputDetails", {{"truncated", false}}}});
      }
      r.state = next ? *next : st["Next"].get<std::string>();
      r.state_input = std::move(output.value);
      r.entered = false;
    }
  }

  Outcome wait_until(const json& st, const json& input, TimeMs now) {
    if (st.contains("Seconds")) return {now + st["Seconds"].get<TimeMs>() * 1000, std::nullopt};
    if (st.contains("SecondsPath")) {
      Outcome v =
          apply_payload(json{{"v.$", st["SecondsPath"]}}, input, json::object(), "SecondsPath");
      if (v.error) return v;
      const json& s = v.value["v"];
      if (!s.is_number_integer() || s.get<TimeMs>() < 0)
        return Outcome::fail("States.Runtime",
                             "The SecondsPath parameter does not reference a valid integer value");
      return {now + s.get<TimeMs>() * 1000, std::nullopt};
    }
    std::string text;
    if (st.contains("Timestamp")) {
      text = st["Timestamp"];
    } else {
      Outcome v =
          apply_payload(json{{"v.$", st["TimestampPath"]}}, input, json::object(), "TimestampPath");
      if (v.error) return v;
      if (!v.value["v"].is_string())
        return Outcome::fail("States.Runtime",
                             "The TimestampPath parameter does not reference a valid ISO-8601 "
                             "extended offset date-time format string");
      text = v.value["v"];
    }
    auto at = parse_timestamp(text);
    if (!at)
      return Outcome::fail("States.Runtime",
                           "The TimestampPath parameter does not reference a valid ISO-8601 "
                           "extended offset date-time format string");
    return {*at, std::nullopt};
  }

  json context_object(const Run& r) const {
    return {
        {"Execution",
         {{"Id", r.info.arn},
          {"Input", json::parse(r.info.input, nullptr, false)},
          {"Name", r.info.name},
          {"RoleArn", r.role_arn},
          {"StartTime", iso8601_ms(r.info.started_at)},
          {"RedriveCount", 0}}},
        {"State",
         {{"EnteredTime", iso8601_ms(r.state_entered_at)}, {"Name", r.state}, {"RetryCount", 0}}},
        {"StateMachine", {{"Id", r.info.state_machine_arn}, {"Name", r.state_machine_name}}}};
  }

  void fail(Run& r, const StateError& e) {
    r.info.error = e.error;
    r.info.cause = e.cause;
    finish(r, "FAILED", env_.clock->now_ms(), "ExecutionFailed", "executionFailedEventDetails",
           {{"error", e.error}, {"cause", e.cause}});
  }

  void finish(Run& r, const std::string& status, TimeMs now, const std::string& event,
              const std::string& key, json details) {
    r.info.status = status;
    r.info.stopped_at = now;
    add_event(r, event, key, std::move(details));
    auto callers = std::move(r.on_end);
    for (auto& reply : callers) reply(r.info);
    if (r.express) express_.erase(r.info.arn);  // nothing keeps an Express execution
  }

  void add_event(Run& r, const std::string& type, const std::string& key, json details) {
    HistoryEvent e;
    e.id = static_cast<int64_t>(r.history.size()) + 1;
    e.previous_id = e.id - 1;
    e.timestamp = env_.clock->now_ms();
    e.type = type;
    e.details_key = key;
    e.details = std::move(details);
    r.history.push_back(std::move(e));
  }

  void persist_machine(const StateMachine& m, WriteBatch& batch) {
    json doc = {{"name", m.name}, {"definition", m.definition}, {"role_arn", m.role_arn},
                {"type", m.type}, {"created_at", m.created_at}, {"tags", m.tags}};
    batch.put(kMachinesTable, m.arn, doc.dump());
  }

  void persist_run(Run& r, WriteBatch& batch) {
    batch.put(kExecutionsTable, r.info.arn, run_record(r).dump());
    for (size_t i = r.persisted_events; i < r.history.size(); ++i)
      batch.put(kHistoryTable, history_key(r.info.arn, r.history[i].id),
                event_record(r.history[i]).dump());
    r.persisted_events = r.history.size();
  }

  template <typename T>
  void commit_then_reply(WriteBatch batch, Reply<T> reply, T value) {
    env_.store->commit(
        std::move(batch), [reply = std::move(reply), value = std::move(value)](bool ok) mutable {
          if (ok)
            reply(std::move(value));
          else
            reply(Error{ErrorCode::kInternalFailure, "The store refused the write."});
        });
  }

  Env env_;
  std::map<std::string, StateMachine> machines_;
  std::map<std::string, Run> runs_;     // Standard executions, durable
  std::map<std::string, Run> express_;  // Express executions while they run
};

}  // namespace

std::vector<Diagnostic> validate_definition(const std::string& definition);

std::unique_ptr<StepFunctions> make_step_functions(Env env) {
  return std::make_unique<Engine>(env);
}

}  // namespace wyvern::stepfn
