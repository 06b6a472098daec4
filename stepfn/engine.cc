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
#include <cmath>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <set>

#include "definition.h"
#include "foundation/codec.h"
#include "functions.h"
#include "processing.h"
#include "stepfn.h"

namespace wyvern::stepfn {
namespace {

constexpr char kMachinesTable[] = "sfn.machines";
constexpr char kExecutionsTable[] = "sfn.executions";
constexpr char kHistoryTable[] = "sfn.history";
constexpr char kActivitiesTable[] = "sfn.activities";
constexpr TimeMs kActivityPollMs = 60'000;  // GetActivityTask's long poll
constexpr int64_t kDefaultTaskTimeoutSeconds = 99999999;
constexpr size_t kMaxHistoryEvents = 25000;  // AWS's quota per execution

// Execution data may hold strings that are not UTF-8 (an intrinsic decoded them): serialise
// them with replacement characters rather than failing.
std::string text_of(const json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

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
  // A Task state's activity task while it is scheduled or running.
  struct PendingTask {
    std::string token, activity_arn, input;
    TimeMs scheduled_at = 0, deadline = 0, heartbeat_deadline = 0;  // 0: none
    int64_t heartbeat_seconds = 0;
    bool started = false;
    std::optional<std::string> output;  // SendTaskSuccess arrived
    std::optional<StateError> failure;  // SendTaskFailure arrived
  };
  std::optional<PendingTask> task;
  // A branch of a Parallel state or an iteration of a Map state runs as a child run inside
  // its execution: not listed, its events go to the execution's history.
  std::string parent;                 // the run in the Parallel/Map state; empty for an execution
  std::string parent_state;           // that state's name
  int index = -1;                     // branch or iteration index
  json map_item;                      // the iteration's item ($$.Map.Item.Value)
  std::vector<std::string> children;  // while this run is in a Parallel/Map state
  bool container_started = false;
  json map_items;                            // a Map state's items
  size_t map_next = 0;                       // the next item to start
  std::map<std::string, bool> uses_context;  // per state: does it read `$$`? (a cache)
  std::string test_case;                     // a MockConfigFile test case, or empty
  std::map<std::string, int> mock_calls;     // mocked invocations so far, per state
  std::vector<int> retries;                  // attempts so far, per retrier of the current state
  TimeMs retry_at = 0;                       // parked until this time before retrying
  std::vector<HistoryEvent> history;
  size_t persisted_events = 0;
  Timers::TimerId timer = 0;
  Timers::TimerId deadline_timer = 0;    // the execution's own TimeoutSeconds
  std::vector<Reply<Execution>> on_end;  // StartSyncExecution callers
};

json task_record(const Run::PendingTask& t) {
  json doc = {{"token", t.token},
              {"activity_arn", t.activity_arn},
              {"input", t.input},
              {"scheduled_at", t.scheduled_at},
              {"deadline", t.deadline},
              {"heartbeat_deadline", t.heartbeat_deadline},
              {"heartbeat_seconds", t.heartbeat_seconds},
              {"started", t.started}};
  if (t.output) doc["output"] = *t.output;
  if (t.failure) doc["failure"] = {{"error", t.failure->error}, {"cause", t.failure->cause}};
  return doc;
}

Run::PendingTask task_from(const json& doc) {
  Run::PendingTask t;
  t.token = doc.value("token", "");
  t.activity_arn = doc.value("activity_arn", "");
  t.input = doc.value("input", "{}");
  t.scheduled_at = doc.value("scheduled_at", TimeMs{0});
  t.deadline = doc.value("deadline", TimeMs{0});
  t.heartbeat_deadline = doc.value("heartbeat_deadline", TimeMs{0});
  t.heartbeat_seconds = doc.value("heartbeat_seconds", int64_t{0});
  t.started = doc.value("started", false);
  if (doc.contains("output") && doc["output"].is_string())
    t.output = doc["output"].get<std::string>();
  if (doc.contains("failure") && doc["failure"].is_object())
    t.failure = StateError{doc["failure"].value("error", ""), doc["failure"].value("cause", "")};
  return t;
}

// Whether a Retry or Catch ErrorEquals list covers `error`, by AWS's wildcard rules:
// States.ALL covers every error but States.Runtime; States.TaskFailed covers every error but
// States.Timeout (and States.Runtime).
bool covers(const json& error_equals, const std::string& error) {
  if (!error_equals.is_array()) return false;
  for (const auto& e : error_equals) {
    if (!e.is_string()) continue;
    const std::string name = e;
    if (name == error) return true;
    if (error == "States.Runtime") continue;
    if (name == "States.ALL") return true;
    if (name == "States.TaskFailed" && error != "States.Timeout") return true;
  }
  return false;
}

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
              {"events", r.history.size()},
              {"retries", r.retries},
              {"retry_at", r.retry_at},
              {"test_case", r.test_case},
              {"parent", r.parent},
              {"parent_state", r.parent_state},
              {"index", r.index},
              {"map_item", r.map_item},
              {"children", r.children},
              {"container_started", r.container_started},
              {"map_items", r.map_items},
              {"map_next", r.map_next},
              {"mock_calls", r.mock_calls}};
  if (r.task) doc["task"] = task_record(*r.task);
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
  explicit Engine(Env env) : env_(env), sink_(std::make_shared<Sink>()) {
    sink_->engine = this;
    sink_->post = env_.post;
  }
  ~Engine() override {
    {
      std::lock_guard lock(sink_->mu);
      sink_->open = false;
    }
    for (auto* runs : {&runs_, &express_})
      for (auto& [arn, r] : *runs) {
        env_.timers->cancel(r.timer);
        env_.timers->cancel(r.deadline_timer);
      }
    for (auto& [arn, list] : pollers_)
      for (auto& p : list) env_.timers->cancel(p.timer);
  }

  void recover() override {
    env_.store->scan(kActivitiesTable, [&](std::string_view key, std::string_view value) {
      auto doc = json::parse(value, nullptr, false);
      if (!doc.is_object()) return;
      activities_[std::string(key)] =
          Activity{std::string(key), doc.value("name", ""), doc.value("created_at", TimeMs{0})};
    });
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
      r.retries = doc.value("retries", std::vector<int>{});
      r.test_case = doc.value("test_case", "");
      r.parent = doc.value("parent", "");
      r.parent_state = doc.value("parent_state", "");
      r.index = doc.value("index", -1);
      r.map_item = doc.contains("map_item") ? doc["map_item"] : json();
      r.children = doc.value("children", std::vector<std::string>{});
      r.container_started = doc.value("container_started", false);
      r.map_items = doc.contains("map_items") ? doc["map_items"] : json();
      r.map_next = doc.value("map_next", size_t{0});
      if (doc.contains("mock_calls") && doc["mock_calls"].is_object())
        for (const auto& [k, v] : doc["mock_calls"].items())
          if (v.is_number_integer()) r.mock_calls[k] = v.get<int>();
      r.retry_at = doc.value("retry_at", TimeMs{0});
      if (doc.contains("task") && doc["task"].is_object()) r.task = task_from(doc["task"]);
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
    std::vector<Run*> waiting_tasks;
    for (auto& [arn, r] : runs_) {
      r.persisted_events = r.history.size();
      if (r.info.status != "RUNNING") continue;
      if (r.task) {
        // A task still out with a worker (or waiting for one) keeps its token; the run
        // resumes when the worker answers or a deadline passes.
        tokens_[r.task->token] = arn;
        if (!r.task->started) waiting_tasks.push_back(&r);
      }
      arm_execution_deadline(r);
      // Resume: advance() re-arms whatever the run waits for (Wait, retry, task deadline).
      std::string key = arn;
      r.timer = env_.timers->schedule(env_.clock->now_ms(), [this, key] { resume(key); });
    }
    std::sort(waiting_tasks.begin(), waiting_tasks.end(), [](const Run* a, const Run* b) {
      return a->task->scheduled_at < b->task->scheduled_at;
    });
    for (Run* r : waiting_tasks) queued_[r->task->activity_arn].push_back(r->task->token);
  }

  void reset() override {
    for (auto& [arn, r] : runs_) {
      env_.timers->cancel(r.timer);
      env_.timers->cancel(r.deadline_timer);
    }
    for (auto& [arn, list] : pollers_)
      for (auto& p : list) {
        env_.timers->cancel(p.timer);
        p.reply(ActivityTask{});
      }
    for (auto& [arn, r] : express_) {
      env_.timers->cancel(r.timer);
      env_.timers->cancel(r.deadline_timer);
      for (auto& reply : r.on_end)
        reply(Error{ErrorCode::kExecutionDoesNotExist, "Execution Does Not Exist: '" + arn + "'"});
    }
    runs_.clear();
    express_.clear();
    machines_.clear();
    activities_.clear();
    tokens_.clear();
    queued_.clear();
    pollers_.clear();
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

  void describe_execution(const Caller&, const std::string& arn, Reply<Execution> reply) override {
    auto it = runs_.find(arn);
    if (it == runs_.end() || !it->second.parent.empty())
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

  void get_execution_history(const Caller&, const std::string& arn, bool reverse_order,
                             bool include_execution_data, const ListRequest& r,
                             Reply<Page<HistoryEvent>> reply) override {
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

  // --- activities and task tokens -------------------------------------------------------
  void create_activity(const Caller& caller, const std::string& name,
                       Reply<Activity> reply) override {
    if (!valid_name(name))
      return reply(Error{ErrorCode::kInvalidName, "Invalid Name: '" + name + "'"});
    std::string arn =
        "arn:aws:states:" + caller.region + ":" + caller.account + ":activity:" + name;
    if (auto it = activities_.find(arn); it != activities_.end()) return reply(it->second);
    Activity a{arn, name, env_.clock->now_ms()};
    activities_[arn] = a;
    WriteBatch batch;
    batch.put(kActivitiesTable, arn, json{{"name", name}, {"created_at", a.created_at}}.dump());
    commit_then_reply(std::move(batch), std::move(reply), std::move(a));
  }

  void delete_activity(const Caller&, const std::string& arn, Reply<Ok> reply) override {
    if (arn.find(":activity:") == std::string::npos)
      return reply(Error{ErrorCode::kInvalidArn, "Invalid Arn: '" + arn + "'"});
    WriteBatch batch;
    if (activities_.erase(arn)) batch.erase(kActivitiesTable, arn);
    commit_then_reply(std::move(batch), std::move(reply), Ok{});
  }

  void describe_activity(const Caller&, const std::string& arn, Reply<Activity> reply) override {
    auto it = activities_.find(arn);
    if (it == activities_.end())
      return reply(
          Error{ErrorCode::kActivityDoesNotExist, "Activity Does Not Exist: '" + arn + "'"});
    reply(it->second);
  }

  void list_activities(const Caller& caller, const ListRequest& r,
                       Reply<Page<Activity>> reply) override {
    std::vector<Activity> all;
    std::string prefix = "arn:aws:states:" + caller.region + ":" + caller.account + ":activity:";
    for (const auto& [arn, a] : activities_)
      if (arn.rfind(prefix, 0) == 0) all.push_back(a);
    paginate(
        std::move(all), r, [](const Activity& a) { return a.arn; }, std::move(reply));
  }

  void get_activity_task(const Caller&, const std::string& arn, std::optional<std::string> worker,
                         Reply<ActivityTask> reply) override {
    if (!activities_.count(arn))
      return reply(
          Error{ErrorCode::kActivityDoesNotExist, "Activity Does Not Exist: '" + arn + "'"});
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

  void send_task_success(const Caller&, const std::string& token, const std::string& output,
                         Reply<Ok> reply) override {
    auto r = task_for(token);
    if (!r) return reply(r.error());
    if (!json_nesting_within(output, kMaxJsonNesting) ||
        json::parse(output, nullptr, false).is_discarded())
      return reply(Error{ErrorCode::kInvalidOutput, "Invalid Output: '" + output + "'"});
    (*r)->task->output = output;
    answer(**r, std::move(reply));
  }

  void send_task_failure(const Caller&, const std::string& token, std::optional<std::string> error,
                         std::optional<std::string> cause, Reply<Ok> reply) override {
    auto r = task_for(token);
    if (!r) return reply(r.error());
    (*r)->task->failure = StateError{error.value_or(""), cause.value_or("")};
    answer(**r, std::move(reply));
  }

  void send_task_heartbeat(const Caller&, const std::string& token, Reply<Ok> reply) override {
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
  struct Poller {
    uint64_t id;
    std::string worker;
    Reply<ActivityTask> reply;
    Timers::TimerId timer = 0;
  };

  // The run whose current task `token` names.
  Result<Run*> task_for(const std::string& token) {
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
  void answer(Run& r, Reply<Ok> reply) {
    env_.timers->cancel(r.timer);
    r.timer = 0;
    advance(r);
    WriteBatch batch;
    persist_run(r, batch);
    commit_then_reply(std::move(batch), std::move(reply), Ok{});
  }

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

  void start(const Caller& caller, const std::string& requested_arn,
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
      if (root_of(r).history.size() >= kMaxHistoryEvents)
        return fail(r, StateError{"States.Runtime",
                                  "The execution reached the limit of 25,000 events in its "
                                  "history."});
      TimeMs now = env_.clock->now_ms();
      const json& st = states[r.state];
      std::string type = st["Type"];
      if (!r.entered) {
        r.entered = true;
        r.state_entered_at = now;
        add_event(r, type + "StateEntered", "stateEnteredEventDetails",
                  {{"name", r.state},
                   {"input", text_of(r.state_input)},
                   {"inputDetails", {{"truncated", false}}}});
      }
      // The context object costs a build per state; most states never read `$$`.
      auto uses = r.uses_context.find(r.state);
      if (uses == r.uses_context.end())
        uses = r.uses_context.emplace(r.state, text_of(st).find("$$") != std::string::npos).first;
      json context = uses->second ? context_object(r) : json::object();
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
              v.value["v"].is_string() ? v.value["v"].get<std::string>() : text_of(v.value["v"]);
          (std::string(f) == "ErrorPath" ? error : cause) = text;
        }
        json details = json::object();
        if (st.contains("Error") || st.contains("ErrorPath")) details["error"] = error;
        if (st.contains("Cause") || st.contains("CausePath")) details["cause"] = cause;
        r.info.error = error.empty() ? std::nullopt : std::optional<std::string>(error);
        r.info.cause = cause.empty() ? std::nullopt : std::optional<std::string>(cause);
        return finish(r, "FAILED", now, "ExecutionFailed", "executionFailedEventDetails", details);
      } else if (type == "Parallel" || type == "Map") {
        TaskStep step = container_step(r, st, effective.value, context, now);
        if (step.parked) return;
        if (step.error) {
          if (recover_from(r, st, *step.error, now)) continue;
          return;
        }
        output = std::move(step.output);
      } else if (type == "Task") {
        TaskStep step = task_step(r, st, effective.value, context, now);
        if (step.parked) return;
        if (step.error) {
          if (recover_from(r, st, *step.error, now)) continue;  // caught: on to its Next
          return;                                               // retrying, or failed
        }
        output = std::move(step.output);
      } else {
        return fail(r, StateError{"States.Runtime", "Wyvern does not run " + type +
                                                        " states yet (state '" + r.state + "')."});
      }
      if (output.error) return fail(r, *output.error);
      add_event(r, type + "StateExited", "stateExitedEventDetails",
                {{"name", r.state},
                 {"output", text_of(output.value)},
                 {"outputDetails", {{"truncated", false}}}});
      if (type == "Succeed" || (!next && st.value("End", false))) {
        r.info.output = text_of(output.value);
        return finish(r, "SUCCEEDED", now, "ExecutionSucceeded", "executionSucceededEventDetails",
                      {{"output", *r.info.output}, {"outputDetails", {{"truncated", false}}}});
      }
      r.state = next ? *next : st["Next"].get<std::string>();
      r.state_input = std::move(output.value);
      r.entered = false;
      r.retries.clear();
    }
  }

  // The definition's TimeoutSeconds (Express executions: AWS's five minutes at most).
  void arm_execution_deadline(Run& r) {
    int64_t seconds = 0;
    if (r.definition.contains("TimeoutSeconds") &&
        r.definition["TimeoutSeconds"].is_number_integer())
      seconds = r.definition["TimeoutSeconds"].get<int64_t>();
    if (r.express) seconds = seconds > 0 ? std::min<int64_t>(seconds, 300) : 300;
    if (seconds <= 0) return;
    std::string key = r.info.arn;
    r.deadline_timer =
        env_.timers->schedule(r.info.started_at + seconds * 1000, [this, key] { time_out(key); });
  }

  void time_out(const std::string& arn) {
    auto it = runs_.find(arn);
    bool express = it == runs_.end();
    if (express && (it = express_.find(arn)) == express_.end()) return;
    Run& r = it->second;
    r.deadline_timer = 0;
    if (r.info.status != "RUNNING") return;
    env_.timers->cancel(r.timer);
    drop_task(r);
    end_children_of(r);
    r.info.error = "States.Timeout";
    r.info.cause.reset();
    finish(r, "TIMED_OUT", env_.clock->now_ms(), "ExecutionTimedOut",
           "executionTimedOutEventDetails", {{"error", "States.Timeout"}});
    if (express) return;
    WriteBatch batch;
    persist_run(r, batch);
    env_.store->commit(std::move(batch), nullptr);
  }

  struct TaskStep {
    bool parked = false;
    std::optional<StateError> error;
    Outcome output;
  };

  // One look at a Task state: schedule its activity task, or take the worker's answer, or
  // notice a passed deadline. Parks (with a timer) while there is nothing to do yet.
  TaskStep task_step(Run& r, const json& st, const json& effective, const json& context,
                     TimeMs now) {
    const std::string resource = st["Resource"];
    if (const json* responses = mocked_responses(r))
      return mocked_task(r, st, *responses, effective, context, now);
    if (resource.rfind("arn:aws:lambda:", 0) == 0 ||
        resource.rfind("arn:aws:states:::lambda:invoke", 0) == 0)
      return lambda_task(r, st, effective, context, now);
    if (resource.find(":activity:") == std::string::npos)
      return {
          false,
          StateError{"States.Runtime", "Wyvern does not run this Task resource yet: " + resource},
          {}};
    if (!r.task) {
      if (r.retry_at > now) return park(r, r.retry_at);
      r.retry_at = 0;
      if (!activities_.count(resource))
        return {false, StateError{"States.Runtime", "Activity does not exist: " + resource}, {}};
      Outcome payload = st.contains("Parameters")
                            ? apply_payload(st["Parameters"], effective, context, "Parameters")
                            : Outcome{effective, std::nullopt};
      if (payload.error) return {false, payload.error, {}};
      int64_t timeout = kDefaultTaskTimeoutSeconds, heartbeat = 0;
      if (st.contains("TimeoutSeconds") && st["TimeoutSeconds"].is_number_integer())
        timeout = st["TimeoutSeconds"].get<int64_t>();
      if (st.contains("HeartbeatSeconds") && st["HeartbeatSeconds"].is_number_integer())
        heartbeat = st["HeartbeatSeconds"].get<int64_t>();
      for (const char* f : {"TimeoutSecondsPath", "HeartbeatSecondsPath"}) {
        if (!st.contains(f)) continue;
        Outcome v = apply_payload(json{{"v.$", st[f]}}, effective, context, f);
        if (v.error) return {false, v.error, {}};
        if (!v.value["v"].is_number_integer() || v.value["v"].get<int64_t>() <= 0)
          return {
              false,
              StateError{"States.Runtime", std::string("The ") + f +
                                               " parameter does not reference a positive integer"},
              {}};
        (std::string(f) == "TimeoutSecondsPath" ? timeout : heartbeat) =
            v.value["v"].get<int64_t>();
      }
      Run::PendingTask t;
      t.token = base64_encode(random_hex(24) + ":" + r.info.arn);
      t.activity_arn = resource;
      t.input = text_of(payload.value);
      t.scheduled_at = now;
      t.deadline = now + timeout * 1000;
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
      return result_step(r, st, result, context);
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

  // The states a mock test case answers, or null.
  const json* test_case_states(const std::string& machine_name,
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
  const json* mocked_responses(const Run& r) const {
    if (r.test_case.empty()) return nullptr;
    const json* states = test_case_states(r.state_machine_name, r.test_case);
    if (!states || !states->contains(r.state) || !(*states)[r.state].is_string()) return nullptr;
    const json& all = (*env_.mock_config)["MockedResponses"];
    const std::string name = (*states)[r.state];
    if (!all.contains(name) || !all[name].is_object()) return nullptr;
    return &all[name];
  }

  // The response for the `call`-th invocation: keys are "n" or "a-b" ranges of invocations.
  static const json* mocked_response(const json& responses, int call) {
    for (const auto& [key, response] : responses.items()) {
      int lo = -1, hi = -1;
      if (std::sscanf(key.c_str(), "%d-%d", &lo, &hi) == 2 ||
          (std::sscanf(key.c_str(), "%d", &lo) == 1 && (hi = lo) >= 0))
        if (call >= lo && call <= hi && response.is_object()) return &response;
    }
    return nullptr;
  }

  // A Task state answered from a mock: the events AWS records for its resource, then the
  // mocked result (Return) or error (Throw) goes through the usual result handling.
  TaskStep mocked_task(Run& r, const json& st, const json& responses, const json& effective,
                       const json& context, TimeMs now) {
    if (r.retry_at > now) return park(r, r.retry_at);
    r.retry_at = 0;
    const std::string resource = st["Resource"];
    Outcome payload = st.contains("Parameters")
                          ? apply_payload(st["Parameters"], effective, context, "Parameters")
                          : Outcome{effective, std::nullopt};
    if (payload.error) return {false, payload.error, {}};
    int call = r.mock_calls[r.state]++;
    const json* response = mocked_response(responses, call);
    if (!response)
      return {
          false,
          StateError{"States.Runtime", "The mock configuration has no response for call " +
                                           std::to_string(call) + " of state '" + r.state + "'"},
          {}};
    bool lambda = resource.rfind("arn:aws:lambda:", 0) == 0;
    std::string type = "Task", service = "states", action = resource;
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
    return result_step(r, st, result, context);
  }

  // A Task state on a Lambda function, run by the local command it is bound to. The direct
  // ARN form records LambdaFunction* events and yields the function's answer; the
  // lambda:invoke integration records Task* events and yields Lambda's Invoke response.
  TaskStep lambda_task(Run& r, const json& st, const json& effective, const json& context,
                       TimeMs now) {
    const std::string resource = st["Resource"];
    bool integration = resource.rfind("arn:aws:states:::lambda:invoke", 0) == 0;
    if (!r.task) {
      if (r.retry_at > now) return park(r, r.retry_at);
      r.retry_at = 0;
      Outcome payload = st.contains("Parameters")
                            ? apply_payload(st["Parameters"], effective, context, "Parameters")
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
      int64_t timeout = st.contains("TimeoutSeconds") && st["TimeoutSeconds"].is_number_integer()
                            ? st["TimeoutSeconds"].get<int64_t>()
                            : kDefaultTaskTimeoutSeconds;
      Run::PendingTask t;
      t.token = random_hex(16);
      t.activity_arn = "lambda:" + function;
      t.input = text_of(event);
      t.scheduled_at = now;
      t.deadline = now + timeout * 1000;
      t.started = true;
      if (integration) {
        add_event(r, "TaskScheduled", "taskScheduledEventDetails",
                  {{"resourceType", "lambda"},
                   {"resource", "invoke"},
                   {"region", "us-east-1"},
                   {"parameters", text_of(payload.value)}});
        add_event(r, "TaskStarted", "taskStartedEventDetails",
                  {{"resourceType", "lambda"}, {"resource", "invoke"}});
      } else {
        add_event(
            r, "LambdaFunctionScheduled", "lambdaFunctionScheduledEventDetails",
            {{"resource", function}, {"input", t.input}, {"inputDetails", {{"truncated", false}}}});
        add_event(r, "LambdaFunctionStarted", "", json::object());
      }
      r.task = std::move(t);
    }
    Run::PendingTask& t = *r.task;
    // A run resumed after a restart starts its function again: at least once, as Lambda.
    if (!t.output && !t.failure && !functions_in_flight_.count(t.token)) start_function(r);
    std::string function = t.activity_arn.substr(7);
    if (t.output) {
      json payload = json::parse(*t.output, nullptr, false);
      json result = integration ? json{{"ExecutedVersion", "$LATEST"},
                                       {"Payload", payload},
                                       {"SdkHttpMetadata", {{"HttpStatusCode", 200}}},
                                       {"StatusCode", 200}}
                                : payload;
      if (integration)
        add_event(r, "TaskSucceeded", "taskSucceededEventDetails",
                  {{"resourceType", "lambda"},
                   {"resource", "invoke"},
                   {"output", text_of(result)},
                   {"outputDetails", {{"truncated", false}}}});
      else
        add_event(r, "LambdaFunctionSucceeded", "lambdaFunctionSucceededEventDetails",
                  {{"output", text_of(result)}, {"outputDetails", {{"truncated", false}}}});
      drop_task(r);
      return result_step(r, st, result, context);
    }
    bool timed_out = !t.failure && now >= t.deadline;
    if (t.failure || timed_out) {
      StateError e = timed_out ? StateError{"States.Timeout", ""} : *t.failure;
      std::string kind = timed_out ? "TimedOut" : "Failed";
      if (integration)
        add_event(r, "Task" + kind, "task" + kind + "EventDetails",
                  {{"resourceType", "lambda"},
                   {"resource", "invoke"},
                   {"error", e.error},
                   {"cause", e.cause}});
      else
        add_event(r, "LambdaFunction" + kind, "lambdaFunction" + kind + "EventDetails",
                  {{"error", e.error}, {"cause", e.cause}});
      functions_in_flight_.erase(t.token);
      drop_task(r);
      return {false, e, {}};
    }
    return park(r, t.deadline);
  }

  // Starts the local command bound to the run's function; an unbound function fails as AWS
  // fails a function that does not exist.
  void start_function(Run& r) {
    Run::PendingTask& t = *r.task;
    std::string function = t.activity_arn.substr(7);
    std::string name = function_name(function);
    const json* functions = env_.functions.get();
    const json* binding = functions && functions->is_object() && functions->contains(name)
                              ? &(*functions)[name]
                              : nullptr;
    std::vector<std::string> command;
    if (binding && binding->is_object() && binding->contains("command") &&
        (*binding)["command"].is_array())
      for (const auto& a : (*binding)["command"])
        if (a.is_string()) command.push_back(a);
    if (command.empty() || !env_.post) {
      t.failure =
          StateError{"Lambda.ResourceNotFoundException", "Function not found: " + function +
                                                             " (no local command is bound to "
                                                             "it in the broker's functions file)"};
      return;
    }
    functions_in_flight_.insert(t.token);
    auto sink = sink_;
    std::string arn = r.info.arn, token = t.token;
    invoke_command(std::move(command), t.input, [sink, arn, token](InvokeResult result) {
      std::lock_guard lock(sink->mu);  // guards `open`; the engine closes it when it goes
      if (!sink->open) return;
      sink->post([engine = sink->engine, arn, token, result = std::move(result)]() mutable {
        engine->function_done(arn, token, std::move(result));
      });
    });
  }

 public:
  void function_done(const std::string& arn, const std::string& token, InvokeResult result) {
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
    if (result.ok)
      r.task->output = text_of(result.payload);
    else
      r.task->failure = StateError{result.error_type, result.error_message};
    env_.timers->cancel(r.timer);
    r.timer = 0;
    advance(r);
    if (express) return;
    WriteBatch batch;
    persist_run(r, batch);
    env_.store->commit(std::move(batch), nullptr);
  }

 private:
  // A Task, Parallel or Map state's result through ResultSelector, ResultPath and OutputPath.
  TaskStep result_step(Run& r, const json& st, const json& result, const json& context) {
    Outcome selected = st.contains("ResultSelector")
                           ? apply_payload(st["ResultSelector"], result, context, "ResultSelector")
                           : Outcome{result, std::nullopt};
    if (selected.error) return {false, selected.error, {}};
    Outcome placed = apply_result_path(st, r.state_input, selected.value);
    if (placed.error) return {false, placed.error, {}};
    return {false, std::nullopt, apply_output_path(st, placed.value)};
  }

  static TimeMs next_deadline(const Run::PendingTask& t) {
    return t.heartbeat_deadline > 0 ? std::min(t.deadline, t.heartbeat_deadline) : t.deadline;
  }

  TaskStep park(Run& r, TimeMs at) {
    env_.timers->cancel(r.timer);
    std::string key = r.info.arn;
    r.timer = env_.timers->schedule(at, [this, key] { resume(key); });
    return {true, std::nullopt, {}};
  }

  // Forgets the run's activity task: its token, and its place in the activity's queue.
  void drop_task(Run& r) {
    if (!r.task) return;
    tokens_.erase(r.task->token);
    auto& queue = queued_[r.task->activity_arn];
    queue.erase(std::remove(queue.begin(), queue.end(), r.task->token), queue.end());
    r.task.reset();
  }

  // Applies the state's Retry, then its Catch, to `e`. True when a catcher moved the run on
  // to its Next; false when the run parked for a retry or failed.
  bool recover_from(Run& r, const json& st, const StateError& e, TimeMs now) {
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
        Outcome placed = apply_result_path(catcher, r.state_input, error_output);
        if (placed.error) {
          fail(r, *placed.error);
          return false;
        }
        add_event(r, st["Type"].get<std::string>() + "StateExited", "stateExitedEventDetails",
                  {{"name", r.state},
                   {"output", text_of(placed.value)},
                   {"outputDetails", {{"truncated", false}}}});
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

  // Gives queued tasks of `activity` to parked pollers, oldest first on both sides.
  void hand_out(const std::string& activity) {
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
  void start_task(const std::string& token, const std::string& worker, Reply<ActivityTask> reply) {
    auto arn = tokens_.find(token);
    auto run = arn == tokens_.end() ? runs_.end() : runs_.find(arn->second);
    if (run == runs_.end() || !run->second.task) return reply(ActivityTask{});
    Run& r = run->second;
    TimeMs now = env_.clock->now_ms();
    r.task->started = true;
    if (r.task->heartbeat_seconds > 0)
      r.task->heartbeat_deadline = now + r.task->heartbeat_seconds * 1000;
    add_event(r, "ActivityStarted", "activityStartedEventDetails", {{"workerName", worker}});
    park(r, next_deadline(*r.task));
    WriteBatch batch;
    persist_run(r, batch);
    commit_then_reply(std::move(batch), std::move(reply), ActivityTask{token, r.task->input});
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

  json context_object(const Run& r) {
    const Run& root = root_of(r);
    json out = {
        {"Execution",
         {{"Id", root.info.arn},
          {"Input", json::parse(root.info.input, nullptr, false)},
          {"Name", root.info.name},
          {"RoleArn", root.role_arn},
          {"StartTime", iso8601_ms(root.info.started_at)},
          {"RedriveCount", 0}}},
        {"State",
         {{"EnteredTime", iso8601_ms(r.state_entered_at)}, {"Name", r.state}, {"RetryCount", 0}}},
        {"StateMachine", {{"Id", r.info.state_machine_arn}, {"Name", r.state_machine_name}}}};
    if (!r.parent.empty() && !r.map_item.is_null())
      out["Map"] = {{"Item", {{"Index", r.index}, {"Value", r.map_item}}}};
    return out;
  }

  Run* find_run(const std::string& arn) {
    if (auto it = runs_.find(arn); it != runs_.end()) return &it->second;
    if (auto it = express_.find(arn); it != express_.end()) return &it->second;
    return nullptr;
  }

  // The execution a run belongs to (itself, for an execution).
  Run& root_of(const Run& r) {
    Run* at = const_cast<Run*>(&r);
    while (!at->parent.empty()) {
      Run* up = find_run(at->parent);
      if (!up) break;
      at = up;
    }
    return *at;
  }

  // One look at a Parallel or Map state: start its branches or iterations as child runs,
  // then, each time one of them ends, see whether the state is done.
  TaskStep container_step(Run& r, const json& st, const json& effective, const json& context,
                          TimeMs now) {
    bool map = st["Type"] == "Map";
    if (!r.container_started) {
      if (r.retry_at > now) return park(r, r.retry_at);
      r.retry_at = 0;
      r.container_started = true;
      r.children.clear();
      if (map) {
        std::string items_path = st.contains("ItemsPath") && st["ItemsPath"].is_string()
                                     ? st["ItemsPath"].get<std::string>()
                                     : "$";
        Outcome items = apply_payload(json{{"v.$", items_path}}, effective, context, "ItemsPath");
        if (items.error) return {false, items.error, {}};
        if (!items.value["v"].is_array())
          return {false,
                  StateError{"States.Runtime", "Map state input at ItemsPath " + items_path +
                                                   " must be a JSON array"},
                  {}};
        r.map_items = items.value["v"];
        r.map_next = 0;
        add_event(r, "MapStateStarted", "mapStateStartedEventDetails",
                  {{"length", r.map_items.size()}});
      } else {
        Outcome input = st.contains("Parameters")
                            ? apply_payload(st["Parameters"], effective, context, "Parameters")
                            : Outcome{effective, std::nullopt};
        if (input.error) return {false, input.error, {}};
        add_event(r, "ParallelStateStarted", "", json::object());
        for (size_t i = 0; i < st["Branches"].size(); ++i)
          start_child(r, st["Branches"][i], input.value, static_cast<int>(i), json(), now);
      }
    }
    // Keep a Map's concurrency topped up.
    if (map) {
      size_t limit = st.contains("MaxConcurrency") && st["MaxConcurrency"].is_number_unsigned() &&
                             st["MaxConcurrency"].get<size_t>() > 0
                         ? st["MaxConcurrency"].get<size_t>()
                         : SIZE_MAX;
      auto running = [&] {
        size_t n = 0;
        for (const auto& arn : r.children)
          if (Run* c = find_run(arn); c && c->info.status == "RUNNING") ++n;
        return n;
      };
      const json& processor = st.contains("ItemProcessor") ? st["ItemProcessor"] : st["Iterator"];
      while (r.map_next < r.map_items.size() && running() < limit && !child_failed(r)) {
        size_t i = r.map_next++;
        json item = r.map_items[i];
        json item_context = context;
        item_context["Map"] = {{"Item", {{"Index", i}, {"Value", item}}}};
        const char* selector = st.contains("ItemSelector") ? "ItemSelector" : "Parameters";
        Outcome input = st.contains(selector)
                            ? apply_payload(st[selector], effective, item_context, selector)
                            : Outcome{item, std::nullopt};
        if (input.error) return {false, input.error, {}};
        add_event(r, "MapIterationStarted", "mapIterationStartedEventDetails",
                  {{"name", r.state}, {"index", i}});
        start_child(r, processor, input.value, static_cast<int>(i), item, now);
      }
    }
    std::vector<Run*> kids;
    for (const auto& arn : r.children)
      if (Run* c = find_run(arn)) kids.push_back(c);
    if (Run* failed = child_failed(r)) {
      StateError e{failed->info.error.value_or("States.BranchFailed"),
                   failed->info.cause.value_or("")};
      for (Run* c : kids)
        if (c->info.status == "RUNNING") abort_quietly(*c);
      add_event(r, map ? "MapStateFailed" : "ParallelStateFailed", "", json::object());
      end_container(r);
      return {false, e, {}};
    }
    bool done =
        (!map || r.map_next >= r.map_items.size()) &&
        std::all_of(kids.begin(), kids.end(), [](Run* c) { return c->info.status == "SUCCEEDED"; });
    if (!done) return {true, std::nullopt, {}};  // the children resume us as they end
    json results = json::array();
    for (Run* c : kids)
      results.push_back(json::parse(c->info.output.value_or("null"), nullptr, false));
    add_event(r, map ? "MapStateSucceeded" : "ParallelStateSucceeded", "", json::object());
    end_container(r);
    return result_step(r, st, results, context);
  }

  Run* child_failed(Run& r) {
    for (const auto& arn : r.children)
      if (Run* c = find_run(arn); c && c->info.status != "RUNNING" && c->info.status != "SUCCEEDED")
        return c;
    return nullptr;
  }

  void start_child(Run& r, const json& machine, const json& input, int index, json item,
                   TimeMs now) {
    Run child;
    child.info.arn = r.info.arn + "/" + r.state + "/" + std::to_string(index) + "/" +
                     std::to_string(root_of(r).history.size());
    child.info.state_machine_arn = r.info.state_machine_arn;
    child.info.name = r.info.name;
    child.info.status = "RUNNING";
    child.info.input = text_of(input);
    child.info.started_at = now;
    child.definition = machine;
    child.role_arn = r.role_arn;
    child.state_machine_name = r.state_machine_name;
    child.express = r.express;
    child.test_case = r.test_case;
    child.parent = r.info.arn;
    child.parent_state = r.state;
    child.index = index;
    child.map_item = std::move(item);
    child.state = machine["StartAt"];
    child.state_input = input;
    std::string arn = child.info.arn;
    r.children.push_back(arn);
    auto& slot = r.express ? express_[arn] : runs_[arn];
    slot = std::move(child);
    advance(slot);
  }

  // Stops a child whose sibling failed: no events of its own, as AWS records none.
  void abort_quietly(Run& c) {
    env_.timers->cancel(c.timer);
    drop_task(c);
    for (const auto& arn : c.children)
      if (Run* g = find_run(arn); g && g->info.status == "RUNNING") abort_quietly(*g);
    c.info.status = "ABORTED";
    c.info.stopped_at = env_.clock->now_ms();
  }

  // Stops and forgets whatever branches or iterations a run has going.
  void end_children_of(Run& r) {
    for (const auto& arn : r.children)
      if (Run* c = find_run(arn); c && c->info.status == "RUNNING") abort_quietly(*c);
    end_container(r);
  }

  // Forgets a finished Parallel/Map state's children.
  void end_container(Run& r) {
    for (const auto& arn : r.children) {
      if (Run* c = find_run(arn)) end_container(*c);
      if (Run* c = find_run(arn)) env_.timers->cancel(c->timer);
      if (runs_.erase(arn)) finished_children_.push_back(arn);
      express_.erase(arn);
    }
    r.children.clear();
    r.container_started = false;
    r.map_items = json();
    r.map_next = 0;
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
    env_.timers->cancel(r.deadline_timer);
    if (!r.parent.empty()) {
      // A branch or iteration ended: its parent looks again, soon (never re-entrantly).
      if (r.index >= 0 && !r.map_item.is_null())
        add_event(r, status == "SUCCEEDED" ? "MapIterationSucceeded" : "MapIterationFailed",
                  status == "SUCCEEDED" ? "mapIterationSucceededEventDetails"
                                        : "mapIterationFailedEventDetails",
                  {{"name", r.parent_state}, {"index", r.index}});
      std::string parent = r.parent;
      if (Run* p = find_run(parent)) {
        env_.timers->cancel(p->timer);
        p->timer = env_.timers->schedule(now, [this, parent] { resume(parent); });
      }
      return;
    }
    add_event(r, event, key, std::move(details));
    auto callers = std::move(r.on_end);
    for (auto& reply : callers) reply(r.info);
    if (r.express) express_.erase(r.info.arn);  // nothing keeps an Express execution
  }

  void add_event(Run& run, const std::string& type, const std::string& key, json details) {
    Run& r = root_of(run);  // branches and iterations write into their execution's history
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

  // A run's record and its branches' and iterations', all the way down.
  void persist_subtree(const Run& r, WriteBatch& batch) {
    batch.put(kExecutionsTable, r.info.arn, text_of(run_record(r)));
    for (const auto& arn : r.children)
      if (Run* c = find_run(arn)) persist_subtree(*c, batch);
  }

  void persist_run(Run& r, WriteBatch& batch) {
    for (const auto& arn : finished_children_) batch.erase(kExecutionsTable, arn);
    finished_children_.clear();
    if (!r.parent.empty())
      if (Run* p = find_run(r.parent)) persist_run(*p, batch);  // it holds the history
    persist_subtree(r, batch);
    for (size_t i = r.persisted_events; i < r.history.size(); ++i)
      batch.put(kHistoryTable, history_key(r.info.arn, r.history[i].id),
                text_of(event_record(r.history[i])));
    r.persisted_events = r.history.size();
  }

  template <typename T>
  void commit_then_reply(WriteBatch batch, Reply<T> reply, T value) {
    wyvern::commit_then_reply(*env_.store, std::move(batch), std::move(reply), std::move(value));
  }

  Env env_;
  std::map<std::string, StateMachine> machines_;
  std::map<std::string, Run> runs_;     // Standard executions, durable
  std::map<std::string, Run> express_;  // Express executions while they run
  std::map<std::string, Activity> activities_;
  std::map<std::string, std::string> tokens_;              // task token -> execution ARN
  std::map<std::string, std::deque<std::string>> queued_;  // activity -> tokens not handed out
  std::map<std::string, std::list<Poller>> pollers_;       // activity -> parked GetActivityTask
  uint64_t next_poller_id_ = 1;
  std::set<std::string> functions_in_flight_;   // task tokens of running local functions
  std::vector<std::string> finished_children_;  // child runs to erase from the store

  // Where local functions' threads hand their results: closed when the engine goes, so a
  // late result is dropped instead of reaching a destroyed engine.
  struct Sink {
    std::mutex mu;
    bool open = true;
    Engine* engine;
    std::function<void(std::function<void()>)> post;
  };
  std::shared_ptr<Sink> sink_;
};

}  // namespace

std::unique_ptr<StepFunctions> make_step_functions(Env env) {
  return std::make_unique<Engine>(env);
}

}  // namespace wyvern::stepfn
