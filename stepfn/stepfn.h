// stepfn/: Step Functions. State machines in the Amazon States Language (JSONPath mode) and
// their executions: Standard ones are durable (every step is committed before the next, and
// a restart resumes them), Express ones live in memory.
//
// Thread-safety: owned by the broker's core strand, like every service; replies may run on
// any thread and must only hand their result on.
//
// States may assign variables (Assign) and read them in any path but ResultPath ($name); an
// execution's variables are stored with it, so a restart or a redrive finds them as they were.
//
// Task states run activities (workers poll GetActivityTask and answer with the task token)
// and Lambda functions bound to local commands, with TimeoutSeconds, HeartbeatSeconds, Retry
// and Catch; any Task resource can be answered from a Step Functions Local MockConfigFile
// test case. Parallel branches and inline Map iterations run as child runs of their
// execution; a distributed Map runs its items as child executions of their own (a Map Run),
// listed by ListExecutions on the Map Run's ARN. Versions are immutable snapshots of a state
// machine (ARN "<machine>:<n>"); an alias ("<machine>:<name>") routes executions to one version or
// splits them between two. A failed, aborted or timed-out Standard execution can be redriven from
// the state where it stopped. The optimized integrations with SQS (sqs:sendMessage), SNS
// (sns:publish), EventBridge (events:putEvents) and Step Functions (states:startExecution), with
// their .waitForTaskToken callbacks, go through the broker's call_service.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "foundation/caller.h"
#include "foundation/clock.h"
#include "foundation/errors.h"
#include "foundation/store.h"
#include "foundation/timers.h"

namespace wyvern::stepfn {

using json = nlohmann::json;
template <typename T>
using Reply = std::function<void(Result<T>)>;

// A state machine, or one of its versions (then `arn` is the version's and `description` is
// the version's description).
struct StateMachine {
  std::string arn, name, definition, role_arn;
  std::string type = "STANDARD";  // or EXPRESS
  std::string status = "ACTIVE";
  TimeMs created_at = 0;
  std::map<std::string, std::string> tags;
  std::string revision_id;  // empty until the first update; a new one on every update
  std::string description;  // versions only
  // In the reply to a create or update that published a version: that version's ARN.
  std::optional<std::string> published_version_arn;
  // DescribeStateMachine(ForExecution): the variables each state's fields read, by state name
  // (states that read none are left out).
  std::map<std::string, std::vector<std::string>> variable_references;
};

struct CreateStateMachineRequest {
  std::string name, definition, role_arn;
  std::optional<std::string> type;
  std::map<std::string, std::string> tags;
  bool publish = false;
  std::optional<std::string> version_description;
};

struct UpdateStateMachineRequest {
  std::string arn;
  std::optional<std::string> definition, role_arn;
  bool publish = false;
  std::optional<std::string> version_description;
};

struct StateMachineUpdate {
  TimeMs updated_at = 0;
  std::string revision_id;
  std::optional<std::string> version_arn;  // when it published one
};

// A published version as PublishStateMachineVersion and ListStateMachineVersions show it.
struct VersionRef {
  std::string arn;
  TimeMs created_at = 0;
};

struct RoutingEntry {
  std::string version_arn;
  int weight = 0;
};

struct StateMachineAlias {
  std::string arn, name, description;
  std::vector<RoutingEntry> routing;
  TimeMs created_at = 0, updated_at = 0;
};

struct Execution {
  std::string arn, state_machine_arn, name;
  std::string status;  // RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED
  std::string input;
  std::optional<std::string> output;
  std::optional<std::string> error, cause;
  TimeMs started_at = 0;
  std::optional<TimeMs> stopped_at;
  // Set when it was started through a version or an alias (the alias's chosen version then).
  std::optional<std::string> version_arn, alias_arn;
  std::optional<std::string> map_run_arn;  // a distributed Map's child execution: its Map Run
  int redrive_count = 0;
  std::optional<TimeMs> redrive_date;
  // REDRIVABLE or NOT_REDRIVABLE (with the reason AWS gives); Standard executions only.
  std::string redrive_status;
  std::optional<std::string> redrive_status_reason;
};

struct HistoryEvent {
  int64_t id = 0, previous_id = 0;
  TimeMs timestamp = 0;
  std::string type;         // e.g. "PassStateEntered"
  std::string details_key;  // e.g. "stateEnteredEventDetails"; empty when there are none
  json details;
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next_token;
};

struct ListRequest {
  std::optional<int> max_results;
  std::optional<std::string> next_token;
};

struct Activity {
  std::string arn, name;
  TimeMs created_at = 0;
};

// What GetActivityTask hands a worker; both empty when the poll ended with no task.
struct ActivityTask {
  std::optional<std::string> token, input;
};

// A Task state of a running execution waiting on a task token (an activity's worker or a
// .waitForTaskToken callback), for looking (the console answers it by hand).
struct PendingTask {
  std::string state, token;
  std::string kind;  // "activity" or "callback"
  std::string resource;
  TimeMs scheduled_at = 0;
};

// A call a Task state makes on another service through the broker (an optimized integration).
struct ServiceCall {
  std::string service;  // "sqs", "sns", "events" or "states"
  std::string action;   // the API action: "SendMessage", "Publish", "PutEvents", "StartExecution"
  json parameters;      // the request, PascalCase members as the integration takes them
};
struct ServiceAnswer {
  bool ok = false;
  json response;           // when ok: the API's response, PascalCase members
  std::string request_id;  // the x-amzn-RequestId the service answered with
  // When not ok: the error as Step Functions names it for the integration (for example
  // "SQS.QueueDoesNotExistException") and AWS's cause text.
  std::string error, cause;
};

struct Env {
  const Clock* clock;
  Store* store;
  Timers* timers;
  // Step Functions Local's MockConfigFile (parsed), or null: StartExecution on
  // "<stateMachineArn>#<TestCase>" then answers the test case's Task states with its mocked
  // responses instead of running them.
  std::shared_ptr<const json> mock_config;
  // Local functions for Lambda Task resources: {"NAME": {"command": ["argv0", ...]}}, or null.
  std::shared_ptr<const json> functions;
  // Runs a closure on the core strand; callable from any thread (local functions finish on
  // threads of their own). Must stay callable until the service is destroyed.
  std::function<void(std::function<void()>)> post;
  // Calls another service for a Task state; `done` may run on any thread. Null: integrations
  // fail with States.Runtime.
  std::function<void(const Caller&, ServiceCall, std::function<void(ServiceAnswer)>)> call_service;
  // Tells EventBridge that a Standard execution changed status: the detail of a "Step Functions
  // Execution Status Change" event from aws.states (JSON text), for the execution's default
  // bus. Null: no events.
  std::function<void(const Caller&, std::string detail, std::string execution_arn)> status_changed;
};

// TestState: one state run once, outside any execution.
struct TestStateRequest {
  std::string definition;  // one state, or a whole machine with state_name
  std::optional<std::string> state_name;
  std::optional<std::string> input;       // JSON text, "{}" when absent
  std::string inspection_level = "INFO";  // INFO, DEBUG or TRACE
  std::optional<std::string> context;     // JSON text: the context object `$$` to use
  std::optional<std::string> variables;   // JSON text: an object of variables the state reads
  // A Task's outcome given instead of calling its resource: a result (JSON text), or an error.
  std::optional<std::string> mock_result;
  struct MockError {
    std::string error, cause;
  };
  std::optional<MockError> mock_error;
  int retrier_retry_count = 0;  // retries the state has had already
};

struct TestStateResult {
  std::string status;  // SUCCEEDED, FAILED, RETRIABLE or CAUGHT_ERROR
  std::optional<std::string> output, error, cause, next_state;
  // DEBUG and TRACE: the data after each processing step, as JSON text, by AWS's member names
  // (input, afterInputPath, afterParameters, result, afterResultSelector, afterResultPath), and
  // `variables`, the variables after the state (the request's and those it assigned).
  std::map<std::string, std::string> inspection;
};

class StepFunctions {
 public:
  virtual ~StepFunctions() = default;

  // Rebuilds state machines and executions from the store and resumes running ones.
  virtual void recover() = 0;
  virtual void reset() = 0;

  virtual void create_state_machine(const Caller&, CreateStateMachineRequest,
                                    Reply<StateMachine>) = 0;
  virtual void update_state_machine(const Caller&, UpdateStateMachineRequest,
                                    Reply<StateMachineUpdate>) = 0;
  virtual void delete_state_machine(const Caller&, const std::string& arn, Reply<Ok>) = 0;
  // `arn` may name a version.
  virtual void describe_state_machine(const Caller&, const std::string& arn,
                                      Reply<StateMachine>) = 0;
  virtual void describe_state_machine_for_execution(const Caller&, const std::string& arn,
                                                    Reply<StateMachine>) = 0;
  virtual void list_state_machines(const Caller&, const ListRequest&,
                                   Reply<Page<StateMachine>>) = 0;

  virtual void publish_state_machine_version(const Caller&, const std::string& machine_arn,
                                             std::optional<std::string> revision_id,
                                             std::optional<std::string> description,
                                             Reply<VersionRef>) = 0;
  // Newest first.
  virtual void list_state_machine_versions(const Caller&, const std::string& machine_arn,
                                           const ListRequest&, Reply<Page<VersionRef>>) = 0;
  virtual void delete_state_machine_version(const Caller&, const std::string& version_arn,
                                            Reply<Ok>) = 0;
  // The alias's state machine is the one its routing's versions belong to.
  virtual void create_state_machine_alias(const Caller&, const std::string& name,
                                          std::optional<std::string> description,
                                          std::vector<RoutingEntry> routing,
                                          Reply<StateMachineAlias>) = 0;
  virtual void update_state_machine_alias(const Caller&, const std::string& alias_arn,
                                          std::optional<std::string> description,
                                          std::optional<std::vector<RoutingEntry>> routing,
                                          Reply<TimeMs>) = 0;
  virtual void delete_state_machine_alias(const Caller&, const std::string& alias_arn,
                                          Reply<Ok>) = 0;
  virtual void describe_state_machine_alias(const Caller&, const std::string& alias_arn,
                                            Reply<StateMachineAlias>) = 0;
  virtual void list_state_machine_aliases(const Caller&, const std::string& machine_arn,
                                          const ListRequest&, Reply<Page<StateMachineAlias>>) = 0;

  // `state_machine_arn` may name the machine, a version or an alias.
  virtual void start_execution(const Caller&, const std::string& state_machine_arn,
                               std::optional<std::string> name, std::optional<std::string> input,
                               Reply<Execution>) = 0;
  // Express only: replies when the execution ends.
  virtual void start_sync_execution(const Caller&, const std::string& state_machine_arn,
                                    std::optional<std::string> name,
                                    std::optional<std::string> input, Reply<Execution>) = 0;
  virtual void stop_execution(const Caller&, const std::string& arn,
                              std::optional<std::string> error, std::optional<std::string> cause,
                              Reply<TimeMs>) = 0;
  // Restarts a failed, aborted or timed-out Standard execution at the state where it stopped;
  // replies with the redrive time.
  virtual void redrive_execution(const Caller&, const std::string& arn, Reply<TimeMs>) = 0;
  virtual void describe_execution(const Caller&, const std::string& arn, Reply<Execution>) = 0;
  // `state_machine_arn` may name a version or an alias: then only executions started
  // through it. `map_run_arn` instead lists a distributed Map run's child executions.
  // `redrive_filter`: REDRIVEN or NOT_REDRIVEN.
  virtual void list_executions(const Caller&, const std::string& state_machine_arn,
                               std::optional<std::string> map_run_arn,
                               std::optional<std::string> status_filter,
                               std::optional<std::string> redrive_filter, const ListRequest&,
                               Reply<Page<Execution>>) = 0;
  virtual void get_execution_history(const Caller&, const std::string& arn, bool reverse_order,
                                     bool include_execution_data, const ListRequest&,
                                     Reply<Page<HistoryEvent>>) = 0;
  virtual void create_activity(const Caller&, const std::string& name, Reply<Activity>) = 0;
  virtual void delete_activity(const Caller&, const std::string& arn, Reply<Ok>) = 0;
  virtual void describe_activity(const Caller&, const std::string& arn, Reply<Activity>) = 0;
  virtual void list_activities(const Caller&, const ListRequest&, Reply<Page<Activity>>) = 0;
  // A long poll: parks up to 60 s (virtual) until a task of this activity is scheduled.
  virtual void get_activity_task(const Caller&, const std::string& arn,
                                 std::optional<std::string> worker, Reply<ActivityTask>) = 0;
  virtual void send_task_success(const Caller&, const std::string& token, const std::string& output,
                                 Reply<Ok>) = 0;
  virtual void send_task_failure(const Caller&, const std::string& token,
                                 std::optional<std::string> error, std::optional<std::string> cause,
                                 Reply<Ok>) = 0;
  virtual void send_task_heartbeat(const Caller&, const std::string& token, Reply<Ok>) = 0;
  // The tasks of a Standard execution (its Parallel branches and Map iterations included) that
  // wait for a token. REQUIRES: on the core strand.
  virtual std::vector<PendingTask> pending_tasks(const std::string& execution_arn) = 0;

  virtual void test_state(const Caller&, TestStateRequest, Reply<TestStateResult>) = 0;

  virtual void tag_resource(const Caller&, const std::string& arn,
                            const std::map<std::string, std::string>& tags, Reply<Ok>) = 0;
  virtual void untag_resource(const Caller&, const std::string& arn,
                              const std::vector<std::string>& keys, Reply<Ok>) = 0;
  virtual void list_tags_for_resource(const Caller&, const std::string& arn,
                                      Reply<std::map<std::string, std::string>>) = 0;
};

// A problem ValidateStateMachineDefinition reports.
struct Diagnostic {
  std::string code;  // e.g. MISSING_TRANSITION_TARGET, SCHEMA_VALIDATION_FAILED
  std::string message;
  std::string location;  // a JSON pointer into the definition, e.g. /States/Foo/Next
};

// The variables each state of `definition` (a parsed, valid one) reads, by state name, each
// name once and in alphabetical order (AWS documents no order); states inside Parallel and Map
// states included.
std::map<std::string, std::vector<std::string>> variable_references(
    const nlohmann::json& definition);

// Every problem AWS would report for `definition` (empty: it is valid).
// `type` EXPRESS adds what Express machines may not use (activities, .sync, .waitForTaskToken).
std::vector<Diagnostic> validate_definition(const std::string& definition,
                                            const std::string& type = "STANDARD");

std::unique_ptr<StepFunctions> make_step_functions(Env env);

}  // namespace wyvern::stepfn
