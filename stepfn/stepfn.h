// stepfn/: Step Functions. State machines in the Amazon States Language (JSONPath mode) and
// their executions: Standard ones are durable (every step is committed before the next, and
// a restart resumes them), Express ones live in memory.
//
// Thread-safety: owned by the broker's core strand, like every service; replies may run on
// any thread and must only hand their result on.
//
// Task states run activities (workers poll GetActivityTask and answer with the task token)
// and Lambda functions bound to local commands, with TimeoutSeconds, HeartbeatSeconds, Retry
// and Catch; any Task resource can be answered from a Step Functions Local MockConfigFile
// test case. Parallel branches and inline Map iterations run as child runs of their
// execution. Not yet here: the SQS/SNS/EventBridge integrations, distributed Map, versions
// and aliases, redrive.
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

struct StateMachine {
  std::string arn, name, definition, role_arn;
  std::string type = "STANDARD";  // or EXPRESS
  std::string status = "ACTIVE";
  TimeMs created_at = 0;
  std::map<std::string, std::string> tags;
};

struct CreateStateMachineRequest {
  std::string name, definition, role_arn;
  std::optional<std::string> type;
  std::map<std::string, std::string> tags;
};

struct Execution {
  std::string arn, state_machine_arn, name;
  std::string status;  // RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED
  std::string input;
  std::optional<std::string> output;
  std::optional<std::string> error, cause;
  TimeMs started_at = 0;
  std::optional<TimeMs> stopped_at;
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
};

class StepFunctions {
 public:
  virtual ~StepFunctions() = default;

  // Rebuilds state machines and executions from the store and resumes running ones.
  virtual void recover() = 0;
  virtual void reset() = 0;

  virtual void create_state_machine(const Caller&, CreateStateMachineRequest,
                                    Reply<StateMachine>) = 0;
  virtual void update_state_machine(const Caller&, const std::string& arn,
                                    std::optional<std::string> definition,
                                    std::optional<std::string> role_arn, Reply<TimeMs>) = 0;
  virtual void delete_state_machine(const Caller&, const std::string& arn, Reply<Ok>) = 0;
  virtual void describe_state_machine(const Caller&, const std::string& arn,
                                      Reply<StateMachine>) = 0;
  virtual void describe_state_machine_for_execution(const Caller&, const std::string& arn,
                                                    Reply<StateMachine>) = 0;
  virtual void list_state_machines(const Caller&, const ListRequest&,
                                   Reply<Page<StateMachine>>) = 0;

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
  virtual void describe_execution(const Caller&, const std::string& arn, Reply<Execution>) = 0;
  virtual void list_executions(const Caller&, const std::string& state_machine_arn,
                               std::optional<std::string> status_filter, const ListRequest&,
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

// Every problem AWS would report for `definition` (empty: it is valid).
std::vector<Diagnostic> validate_definition(const std::string& definition);

std::unique_ptr<StepFunctions> make_step_functions(Env env);

}  // namespace wyvern::stepfn
