// The Step Functions engine: state machines, executions and their interpreter. Internal to
// stepfn/; its door is stepfn.h (make_step_functions).
//
// Execution lifecycle: start_execution records the execution and its ExecutionStarted event,
// then runs it: states are taken one after another, each appending its history events, until
// the execution ends or a Wait state parks it on a timer. The whole run so far is committed
// as one batch (the states it ran have no side effects outside the execution) before anyone
// is answered. A parked execution's record says which state it waits in and until when; a
// restart re-arms that timer, and a run that was mid-way continues from its last committed
// state. Express executions follow the same path in memory, with nothing stored.
//
// One class, four files:
//   engine.cc       construction, recover/reset, the store records of runs and events
//   api.cc          the public actions: state machines, executions, activities, task tokens, tags
//   interpreter.cc  the run loop (resume/advance), Pass/Choice/Wait/Succeed/Fail, Parallel and
//                   Map child runs, execution timeouts, the context object, history events
//   tasks.cc        Task states: activity tasks and their workers, mocks, local functions,
//                   Retry and Catch
//   versions.cc     versions and aliases, and which definition an ARN starts
#pragma once

#include <algorithm>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "foundation/codec.h"
#include "foundation/local_functions.h"
#include "jsonata_mode.h"
#include "processing.h"
#include "stepfn.h"

namespace wyvern::stepfn {

// The store's tables: machines, executions (with their child runs) and activities keyed by
// ARN; history events by execution ARN, NUL, big-endian event id.
inline constexpr char kMachinesTable[] = "sfn.machines";
inline constexpr char kExecutionsTable[] = "sfn.executions";
inline constexpr char kHistoryTable[] = "sfn.history";
inline constexpr char kActivitiesTable[] = "sfn.activities";
inline constexpr char kVersionsTable[] = "sfn.versions";
inline constexpr char kAliasesTable[] = "sfn.aliases";
// Closed activity task tokens: the token's random part -> the decimal order it closed in.
inline constexpr char kClosedTokensTable[] = "sfn.closed_tokens";

inline constexpr size_t kMaxHistoryEvents = 25000;   // AWS's quota per execution
inline constexpr size_t kMaxPayloadBytes = 262144;   // a state's output, at most (UTF-8 bytes)
inline constexpr size_t kMaxClosedTokens = 100'000;  // closed task tokens remembered

// The random part that identifies an activity task token ("<hex>:<execution ARN>", base64),
// or nullopt when `token` does not have that shape (AWS's InvalidToken).
std::optional<std::string> task_token_id(const std::string& token);

// Execution data may hold strings that are not UTF-8 (an intrinsic decoded them): serialise
// them with replacement characters rather than failing.
inline std::string text_of(const json& v) {
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Whether a Retry or Catch ErrorEquals list covers `error`, by AWS's wildcard rules.
bool covers(const json& error_equals, const std::string& error);

// A Task's [TimeoutSeconds, HeartbeatSeconds] (0: no heartbeat), from the fields or their
// *Path variants.
Outcome task_limits(const json& st, const json& effective, const Bindings& bindings);
inline constexpr int64_t kDefaultTaskTimeoutSeconds = 99999999;

// One page of `all` (in order) after the item whose key the request's nextToken names.
template <typename T, typename Key>
inline void paginate(std::vector<T> all, const ListRequest& r, Key key, Reply<Page<T>> reply) {
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

// An execution as the engine runs it, or a branch or iteration inside one (a child run).
// Standard runs are stored in kExecutionsTable as run_record() writes them.
struct Run {
  Execution info;
  json definition;
  std::string definition_text;  // as submitted, for DescribeStateMachineForExecution
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
  int64_t state_entered_event = 0;  // its StateEntered event id (JSONata error causes)
  // A Task state's activity task while it is scheduled or running.
  struct PendingTask {
    std::string token, activity_arn, input;
    TimeMs scheduled_at = 0, deadline = 0, heartbeat_deadline = 0;  // 0: none
    int64_t heartbeat_seconds = 0;
    int64_t timeout_seconds = 0;  // an activity's TimeoutSeconds, counted from its start
    bool started = false;
    bool callback = false;   // a .waitForTaskToken task: answered by token, not by the function
    bool submitted = false;  // such a task's function has answered (TaskSubmitted)
    std::optional<std::string> output;  // SendTaskSuccess arrived
    std::optional<StateError> failure;  // SendTaskFailure arrived
    std::string child;                  // a startExecution.sync task's execution, once started
  };
  std::optional<PendingTask> task;
  // A branch of a Parallel state or an iteration of a Map state runs as a child run inside
  // its execution: not listed, its events go to the execution's history.
  std::string parent;        // the run in the Parallel/Map state; empty for an execution
  std::string parent_state;  // that state's name
  int index = -1;            // branch or iteration index
  json map_item;             // the iteration's item ($$.Map.Item.Value)
  // A distributed Map's child: an execution of its own, with its own history, reporting its
  // end to `parent`. The parent forgets it when the Map Run ends; it stays describable.
  bool own_history = false;
  std::string map_run_arn;      // for such a child: the Map Run it belongs to
  std::string running_map_run;  // for a run in a distributed Map state: that state's Map Run
  bool map_iteration = false;   // not a Parallel's branch but a Map's iteration, item null or not
  // While this run is in a Parallel/Map state: its children, by index. Not in its record:
  // recover() finds them by their `parent`, and derives map_next and the tallies below.
  std::vector<std::string> children;
  // Tallies over `children`, kept as they start and end so that a Map of thousands of
  // iterations need not look at each of them whenever one ends.
  size_t children_running = 0;
  size_t children_failed = 0;  // ended in any status but SUCCEEDED (aborted ones aside)
  std::string first_failed;    // the child that failed first: the state fails with its error
  bool container_started = false;
  // For RedriveExecution: the outputs, by index, of the branches or iterations that succeeded
  // before the Parallel or Map state `kept_state` stopped, and whether the next start of that
  // state is a redrive that runs only the others.
  json kept_outputs;
  std::string kept_state;
  bool redriving_container = false;
  json map_items;       // a Map state's items
  size_t map_next = 0;  // the next item to start
  // The store's record of this run is up to date: a Parallel/Map state that only started
  // or awaited children since it was written. persist_run skips it once, then clears this.
  bool record_current = false;
  std::map<std::string, bool> uses_context;  // per state: does it read `$$`? (a cache)
  // The variables this run's scope holds, name -> value: an execution's top-level states
  // share one scope, each branch or iteration has its own (the ones around it are its
  // parents'). Stored in the run's record, so a restart or a redrive finds them as they were.
  json variables = json::object();
  size_t variable_bytes = 0;  // derived: the size of `variables`' values (variables.h)
  // Derived, for an execution: the bytes of the variables in all its live scopes, which AWS
  // caps at 10 MiB.
  size_t execution_variable_bytes = 0;
  std::string test_case;                  // a MockConfigFile test case, or empty
  std::map<std::string, int> mock_calls;  // mocked invocations so far, per state
  std::vector<int> retries;               // attempts so far, per retrier of the current state
  TimeMs retry_at = 0;                    // parked until this time before retrying
  std::vector<HistoryEvent> history;
  size_t persisted_events = 0;
  Timers::TimerId timer = 0;
  Timers::TimerId deadline_timer = 0;    // the execution's own TimeoutSeconds
  std::vector<Reply<Execution>> on_end;  // StartSyncExecution callers
};

// The StepFunctions behind make_step_functions(). Like every service it lives on the core
// strand; only its Sink is reached from other threads.
class Engine final : public StepFunctions {
 public:
  explicit Engine(Env env);
  ~Engine() override;

  void recover() override;
  void reset() override;

  // api.cc
  void create_state_machine(const Caller& caller, CreateStateMachineRequest r,
                            Reply<StateMachine> reply) override;
  void update_state_machine(const Caller&, UpdateStateMachineRequest r,
                            Reply<StateMachineUpdate> reply) override;
  void delete_state_machine(const Caller&, const std::string& arn, Reply<Ok> reply) override;
  void describe_state_machine(const Caller&, const std::string& arn,
                              Reply<StateMachine> reply) override;
  void describe_state_machine_for_execution(const Caller&, const std::string& arn,
                                            Reply<StateMachine> reply) override;
  void list_state_machines(const Caller& caller, const ListRequest& r,
                           Reply<Page<StateMachine>> reply) override;
  void start_execution(const Caller& caller, const std::string& machine_arn,
                       std::optional<std::string> name, std::optional<std::string> input,
                       Reply<Execution> reply) override;
  void start_sync_execution(const Caller& caller, const std::string& machine_arn,
                            std::optional<std::string> name, std::optional<std::string> input,
                            Reply<Execution> reply) override;
  void stop_execution(const Caller&, const std::string& arn, std::optional<std::string> error,
                      std::optional<std::string> cause, Reply<TimeMs> reply) override;
  void describe_execution(const Caller&, const std::string& arn, Reply<Execution> reply) override;
  void redrive_execution(const Caller&, const std::string& arn, Reply<TimeMs> reply) override;
  void list_executions(const Caller&, const std::string& machine_arn,
                       std::optional<std::string> map_run_arn,
                       std::optional<std::string> status_filter,
                       std::optional<std::string> redrive_filter, const ListRequest& r,
                       Reply<Page<Execution>> reply) override;
  void get_execution_history(const Caller&, const std::string& arn, bool reverse_order,
                             bool include_execution_data, const ListRequest& r,
                             Reply<Page<HistoryEvent>> reply) override;
  void create_activity(const Caller& caller, const std::string& name,
                       Reply<Activity> reply) override;
  void delete_activity(const Caller&, const std::string& arn, Reply<Ok> reply) override;
  void describe_activity(const Caller&, const std::string& arn, Reply<Activity> reply) override;
  void list_activities(const Caller& caller, const ListRequest& r,
                       Reply<Page<Activity>> reply) override;
  void get_activity_task(const Caller&, const std::string& arn, std::optional<std::string> worker,
                         Reply<ActivityTask> reply) override;
  void send_task_success(const Caller&, const std::string& token, const std::string& output,
                         Reply<Ok> reply) override;
  void send_task_failure(const Caller&, const std::string& token, std::optional<std::string> error,
                         std::optional<std::string> cause, Reply<Ok> reply) override;
  void send_task_heartbeat(const Caller&, const std::string& token, Reply<Ok> reply) override;
  std::vector<PendingTask> pending_tasks(const std::string& execution_arn) override;
  void tag_resource(const Caller&, const std::string& arn,
                    const std::map<std::string, std::string>& tags, Reply<Ok> reply) override;

  // test_state.cc
  void test_state(const Caller&, TestStateRequest r, Reply<TestStateResult> reply) override;

  // versions.cc
  void publish_state_machine_version(const Caller&, const std::string& machine_arn,
                                     std::optional<std::string> revision_id,
                                     std::optional<std::string> description,
                                     Reply<VersionRef> reply) override;
  void list_state_machine_versions(const Caller&, const std::string& machine_arn,
                                   const ListRequest& r, Reply<Page<VersionRef>> reply) override;
  void delete_state_machine_version(const Caller&, const std::string& version_arn,
                                    Reply<Ok> reply) override;
  void create_state_machine_alias(const Caller&, const std::string& name,
                                  std::optional<std::string> description,
                                  std::vector<RoutingEntry> routing,
                                  Reply<StateMachineAlias> reply) override;
  void update_state_machine_alias(const Caller&, const std::string& alias_arn,
                                  std::optional<std::string> description,
                                  std::optional<std::vector<RoutingEntry>> routing,
                                  Reply<TimeMs> reply) override;
  void delete_state_machine_alias(const Caller&, const std::string& alias_arn,
                                  Reply<Ok> reply) override;
  void describe_state_machine_alias(const Caller&, const std::string& alias_arn,
                                    Reply<StateMachineAlias> reply) override;
  void list_state_machine_aliases(const Caller&, const std::string& machine_arn,
                                  const ListRequest& r,
                                  Reply<Page<StateMachineAlias>> reply) override;
  void untag_resource(const Caller&, const std::string& arn, const std::vector<std::string>& keys,
                      Reply<Ok> reply) override;
  void list_tags_for_resource(const Caller&, const std::string& arn,
                              Reply<std::map<std::string, std::string>> reply) override;

 private:
  struct Poller {
    uint64_t id;
    std::string worker;
    Reply<ActivityTask> reply;
    Timers::TimerId timer = 0;
  };

  // What one look at a Task, Parallel or Map state came to.
  struct TaskStep {
    TaskStep(bool parked = false, std::optional<StateError> error = std::nullopt,
             Outcome output = {}, json assigned = nullptr)
        : parked(parked),
          error(std::move(error)),
          output(std::move(output)),
          assigned(std::move(assigned)) {}
    bool parked;
    std::optional<StateError> error;
    Outcome output;
    json assigned;  // what the state's Assign evaluated to (null: nothing to assign)
  };

  // What an ARN given to StartExecution runs: a machine's current definition, or a version's.
  struct Target {
    const StateMachine* machine;  // the unqualified state machine
    const StateMachine* version;  // the version run, or null for the machine itself
    std::optional<std::string> alias_arn;
  };

  // engine.cc: runs and their store records
  Run* find_run(const std::string& arn);
  Run& root_of(const Run& r);
  void persist_machine(const StateMachine& m, WriteBatch& batch);
  void persist_alias(const StateMachineAlias& a, WriteBatch& batch);
  void adopt_children();
  void recover_closed_tokens();
  void persist_run(Run& r, WriteBatch& batch);
  void persist_history(Run& root, WriteBatch& batch);

  template <typename T>
  void commit_then_reply(WriteBatch batch, Reply<T> reply, T value) {
    wyvern::commit_then_reply(*env_.store, std::move(batch), std::move(reply), std::move(value));
  }

  // A reply held back until every write already queued is durable: a read answered from
  // memory then never shows a step that a crash could still take back.
  template <typename T>
  Reply<T> once_durable(Reply<T> reply) {
    return [store = env_.store, reply = std::move(reply)](Result<T> r) mutable {
      if (!r.ok()) return reply(std::move(r));
      wyvern::commit_then_reply(*store, WriteBatch{}, std::move(reply), std::move(r.value()));
    };
  }

  // api.cc
  Result<StateMachine*> machine(const std::string& arn);
  void start(const Caller& caller, const std::string& requested_arn,
             std::optional<std::string> name, std::optional<std::string> input, bool sync,
             Reply<Execution> reply);
  Result<Run*> task_for(const std::string& token);
  // A run that the API shows as an execution (not a branch or inline iteration), or the
  // ExecutionDoesNotExist error.
  Result<Run*> execution(const std::string& arn);
  std::optional<std::string> not_redrivable(const Run& r) const;
  Execution described(const Run& r) const;  // with its redrive status
  void answer(Run& r, Reply<Ok> reply);

  // versions.cc
  Result<Target> target(const std::string& arn);
  // Publishes the machine's current revision, or finds the version already published from it.
  Result<VersionRef> publish(StateMachine& m, const std::optional<std::string>& description,
                             WriteBatch& batch);
  Result<StateMachineAlias*> alias(const std::string& arn);
  std::optional<Error> check_routing(const std::vector<RoutingEntry>& routing,
                                     std::string* machine_arn);
  void erase_versions_and_aliases(const std::string& machine_arn, WriteBatch& batch);

  // interpreter.cc
  void resume(const std::string& arn);
  void advance(Run& r);
  void arm_execution_deadline(Run& r);
  void time_out(const std::string& arn);
  Outcome wait_until(const json& st, const json& input, TimeMs now, const Bindings& bindings);
  json context_object(const Run& r);
  // What a JSONata state's expressions read: `$states` with the state's input and `context`,
  // the variables in scope, and the clock.
  JsonataFrame jsonata_frame(const Run& r, const json& context, const VariableScope& variables);
  // A JSONata state's output once it has a result: its Output (default: `result`) and its
  // Assign, both reading `$states.result`.
  TaskStep jsonata_result_step(Run& r, const json& st, const json& result,
                               const Bindings& bindings);
  TaskStep result_step(Run& r, const json& st, const json& result, const Bindings& bindings);
  TaskStep park(Run& r, TimeMs at);
  TaskStep container_step(Run& r, const json& st, const json& effective, const Bindings& bindings,
                          TimeMs now);
  void child_ended(const Run& c);
  std::string map_run_arn(const Run& r, const json& st);
  Outcome batch_items(const Run& r, const json& st, const json& effective,
                      const Bindings& bindings);
  void start_child(Run& r, const json& machine, const json& input, int index, json item, TimeMs now,
                   bool distributed = false);
  void abort_quietly(Run& c);
  void end_children_of(Run& r);
  void keep_succeeded_children(Run& r);
  void end_container(Run& r);
  // Ends the run FAILED with `e`, first recording it as EvaluationFailed when it is a JSONata
  // expression's failure (API_EvaluationFailedEventDetails).
  void fail(Run& r, const StateError& e);
  // Records EvaluationFailed (state, error, cause, location) for an error that carries a
  // location, that is, a JSONata expression of the run's current state that failed.
  void record_evaluation_failure(Run& r, const StateError& e);
  void finish(Run& r, const std::string& status, TimeMs now, const std::string& event,
              const std::string& key, json details);
  void add_event(Run& run, const std::string& type, const std::string& key, json details);
  // The variables a run's states read: its own scope, then (for a branch or an inline Map's
  // iteration) each scope around it. A distributed Map's child execution sees only its own.
  VariableScope scope_of(const Run& r);
  // Stores what an Assign evaluated to (an object; null or empty: nothing) in the run's scope
  // and records it in the state's StateExited event `exited`; the error when a value breaks
  // AWS's size limits (nothing is then stored).
  std::optional<StateError> store_variables(Run& r, const json& assigned, json& exited);
  // Drops a finished child run's variables from its execution's tally.
  void forget_variables(const Run& child);

  // tasks.cc
  TaskStep task_step(Run& r, const json& st, const json& effective, const Bindings& bindings,
                     TimeMs now);
  void hand_out(const std::string& activity);
  void start_task(const std::string& token, const std::string& worker, Reply<ActivityTask> reply);
  void drop_task(Run& r);
  void close_token(const std::string& token);
  const json* test_case_states(const std::string& machine_name, const std::string& test_case) const;
  const json* mocked_responses(const Run& r) const;
  TaskStep mocked_task(Run& r, const json& st, const json& responses, const json& effective,
                       const Bindings& bindings, TimeMs now);
  TaskStep lambda_task(Run& r, const json& st, const json& effective, const Bindings& bindings,
                       TimeMs now);
  void start_function(Run& r);
  // Runs the command or URL bound to a Lambda function; `done` runs on the core strand.
  // False when nothing is bound to it.
  bool invoke_function(const std::string& function, std::string event,
                       std::function<void(InvokeResult)> done);
  void function_done(const std::string& arn, const std::string& token, InvokeResult result);
  // Emits a top-level Standard execution's "Step Functions Execution Status Change" event.
  void announce(const Run& r);
  // --- integrations.cc: sqs, sns, events and states resources ---
  TaskStep service_task(Run& r, const json& st, const json& effective, const Bindings& bindings,
                        TimeMs now);
  void start_service_call(Run& r);
  void service_done(const std::string& arn, const std::string& token, ServiceAnswer answer);
  // A .sync task's execution ended (or had, when its task learnt its ARN): the task ends too.
  void sync_child_ended(const std::string& parent_arn, const Execution& child);
  bool recover_from(Run& r, const json& st, const StateError& e, TimeMs now);

  static TimeMs next_deadline(const Run::PendingTask& t) {
    return t.heartbeat_deadline > 0 ? std::min(t.deadline, t.heartbeat_deadline) : t.deadline;
  }

  Env env_;
  std::map<std::string, StateMachine> machines_;
  std::map<std::string, StateMachine> versions_;      // by version ARN
  std::map<std::string, int> last_version_;           // machine ARN -> highest number issued
  std::map<std::string, StateMachineAlias> aliases_;  // by alias ARN
  std::map<std::string, Run> runs_;                   // Standard executions, durable
  std::map<std::string, Run> express_;                // Express executions while they run
  std::map<std::string, Activity> activities_;
  std::map<std::string, std::string> tokens_;              // task token -> execution ARN
  std::map<std::string, std::deque<std::string>> queued_;  // activity -> tokens not handed out
  std::map<std::string, std::list<Poller>> pollers_;       // activity -> parked GetActivityTask
  uint64_t next_poller_id_ = 1;
  // Activity task tokens that closed (answered, timed out, or their execution ended), by
  // task_token_id: a late or repeated answer with one gets TaskTimedOut, an unknown token
  // TaskDoesNotExist. The newest kMaxClosedTokens; closed_order_ points into closed_tokens_,
  // oldest first. Durable in kClosedTokensTable: persist_run writes closed_unsaved_, the
  // changes since its last write (order 0: forgotten, erase it).
  std::unordered_set<std::string> closed_tokens_;
  std::deque<const std::string*> closed_order_;
  std::vector<std::pair<std::string, uint64_t>> closed_unsaved_;
  uint64_t next_closed_order_ = 1;
  std::set<std::string> functions_in_flight_;        // task tokens of running local functions
  std::set<std::string> calls_in_flight_;            // task tokens of service calls under way
  std::map<std::string, std::string> sync_parents_;  // a .sync task's execution -> its parent
  std::vector<std::string> finished_children_;       // child runs to erase from the store
  // Durable child runs started or stopped since the last persist_run, which writes them. A
  // child changes only then, or when it runs itself (and its own persist_run writes it), so
  // nothing rewrites a Map's thousands of untouched iterations each time one of them ends.
  std::vector<std::string> changed_children_;

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

}  // namespace wyvern::stepfn
