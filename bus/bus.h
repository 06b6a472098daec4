// bus/: EventBridge. Event buses, rules (event patterns and schedules), targets with their
// input processing, retries and dead-letter queues, on domain types. The AWS JSON 1.1 wire
// shapes live in broker/server (events_api.cc).
//
// Thread-safety: an EventBus service is owned by the broker's core strand, like every service;
// every method must be called there. Replies may run on any thread and must only hand results on.
//
// Durability: PutEvents is acknowledged once every matched (rule, target) delivery is recorded
// in the store; deliveries follow and a restart finishes them (at least once, as EventBridge).
//
// Other services are reached only through the Outlets the broker lends (queues, topics, state
// machines and local functions by ARN); this folder includes no other service's headers.
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

namespace wyvern::bus {

using json = nlohmann::json;
template <typename T>
using Reply = std::function<void(Result<T>)>;
using StringMap = std::map<std::string, std::string>;

struct EventBusInfo {
  std::string name, arn, description, policy;
  TimeMs created_at = 0, modified_at = 0;
};

struct RuleInfo {
  std::string name, arn, event_bus_name;
  std::optional<std::string> event_pattern, schedule_expression, description, role_arn;
  std::string state = "ENABLED";  // ENABLED or DISABLED
  std::string created_by;
  std::optional<std::string> managed_by;
};

struct PutRuleRequest {
  std::string name;
  std::optional<std::string> event_bus_name, event_pattern, schedule_expression, state, description,
      role_arn;
  StringMap tags;
};

// A target as PutTargets takes it and ListTargetsByRule shows it: the AWS JSON shape, kept as
// is (Id, Arn, RoleArn, Input, InputPath, InputTransformer, SqsParameters, RetryPolicy,
// DeadLetterConfig, ...), so that it reads back exactly as written.
using Target = json;

struct TargetFailure {
  std::string target_id, error_code, error_message;
};

struct PutEventsEntry {
  std::optional<std::string> source, detail_type, detail, event_bus_name, time, trace_header;
  std::vector<std::string> resources;
};
// What a bus has seen lately, for looking (the console): not stored, gone after a restart.
struct RecentEvent {
  TimeMs at = 0;
  std::string event;                       // as delivered to targets (JSON text)
  std::vector<std::string> matched_rules;  // enabled rules whose pattern it matched
};
struct RecentEvents {
  uint64_t seen = 0;                     // events routed since the start
  std::vector<RecentEvent> newest_first;  // at most kRecentEventsKept
};
inline constexpr size_t kRecentEventsKept = 100;

struct PutEventsResult {
  // One per entry, in order: an event id, or an error code and message.
  struct Entry {
    std::optional<std::string> event_id, error_code, error_message;
  };
  std::vector<Entry> entries;
  int failed = 0;
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next_token;
};

// What a target delivery reports. `retryable`: a failure worth retrying (the target was busy);
// otherwise the target is missing or refused the event, and EventBridge goes straight to the
// dead-letter queue.
struct DeliveryOutcome {
  bool ok = false;
  bool retryable = false;
  std::string error_code, error_message;
};
using Delivered = std::function<void(DeliveryOutcome)>;

// One message for an SQS queue.
struct QueueMessage {
  std::string queue_arn, body;
  std::optional<std::string> group_id, deduplication_id;
  StringMap attributes;  // String message attributes (the dead-letter queue's error details)
};

// How the broker lends EventBridge the other services. Called on the core strand; completions
// may run anywhere.
struct Outlets {
  std::function<void(QueueMessage, Delivered)> send_to_queue;
  std::function<void(const Caller&, std::string topic_arn, std::string message, Delivered)>
      publish_to_topic;
  std::function<void(const Caller&, std::string state_machine_arn, std::string input, Delivered)>
      start_execution;
  std::function<void(std::string function_arn, std::string event, Delivered)> invoke_function;
};

struct Env {
  const Clock* clock;
  Store* store;
  Timers* timers;
  Outlets outlets;
  std::function<void(std::function<void()>)> post;  // runs a function on the core strand
};

class EventBridge {
 public:
  virtual ~EventBridge() = default;

  virtual void recover() = 0;
  virtual void reset() = 0;

  virtual void create_event_bus(const Caller&, const std::string& name,
                                const std::optional<std::string>& description,
                                const StringMap& tags, Reply<std::string> arn) = 0;
  virtual void update_event_bus(const Caller&, const std::string& name,
                                const std::optional<std::string>& description,
                                Reply<EventBusInfo>) = 0;
  virtual void delete_event_bus(const Caller&, const std::string& name, Reply<Ok>) = 0;
  virtual void describe_event_bus(const Caller&, const std::optional<std::string>& name,
                                  Reply<EventBusInfo>) = 0;
  virtual void list_event_buses(const Caller&, const std::optional<std::string>& prefix,
                                std::optional<int> limit, const std::optional<std::string>& token,
                                Reply<Page<EventBusInfo>>) = 0;

  virtual void put_rule(const Caller&, PutRuleRequest, Reply<std::string> rule_arn) = 0;
  virtual void describe_rule(const Caller&, const std::string& name,
                             const std::optional<std::string>& bus, Reply<RuleInfo>) = 0;
  virtual void list_rules(const Caller&, const std::optional<std::string>& prefix,
                          const std::optional<std::string>& bus, std::optional<int> limit,
                          const std::optional<std::string>& token, Reply<Page<RuleInfo>>) = 0;
  virtual void delete_rule(const Caller&, const std::string& name,
                           const std::optional<std::string>& bus, bool force, Reply<Ok>) = 0;
  virtual void set_rule_state(const Caller&, const std::string& name,
                              const std::optional<std::string>& bus, bool enabled, Reply<Ok>) = 0;

  virtual void put_targets(const Caller&, const std::string& rule,
                           const std::optional<std::string>& bus, std::vector<Target> targets,
                           Reply<std::vector<TargetFailure>>) = 0;
  virtual void remove_targets(const Caller&, const std::string& rule,
                              const std::optional<std::string>& bus,
                              const std::vector<std::string>& ids, bool force,
                              Reply<std::vector<TargetFailure>>) = 0;
  virtual void list_targets_by_rule(const Caller&, const std::string& rule,
                                    const std::optional<std::string>& bus, std::optional<int> limit,
                                    const std::optional<std::string>& token,
                                    Reply<Page<Target>>) = 0;
  virtual void list_rule_names_by_target(const Caller&, const std::string& target_arn,
                                         const std::optional<std::string>& bus,
                                         std::optional<int> limit,
                                         const std::optional<std::string>& token,
                                         Reply<Page<std::string>>) = 0;

  virtual void put_events(const Caller&, std::vector<PutEventsEntry>, Reply<PutEventsResult>) = 0;
  // Events an AWS service emits itself (Step Functions' status changes, source "aws.states"):
  // PutEvents without its refusal of "aws." sources, which keeps them out of clients' hands.
  virtual void put_service_events(const Caller&, std::vector<PutEventsEntry>,
                                  Reply<PutEventsResult>) = 0;
  virtual void test_event_pattern(const Caller&, const std::string& pattern,
                                  const std::string& event, Reply<bool>) = 0;
  // The bus's latest events with the rules each matched (a bus name or ARN; nullopt: default).
  // REQUIRES: on the core strand.
  virtual Result<RecentEvents> recent_events(const Caller&, const std::optional<std::string>& bus) = 0;

  // Archives and replays take and answer their requests in AWS's JSON shapes (the members of
  // CreateArchive, StartReplay, ...), as targets are kept: what a client writes reads back.
  virtual void create_archive(const Caller&, const json& request, Reply<json>) = 0;
  virtual void describe_archive(const Caller&, const json& request, Reply<json>) = 0;
  virtual void update_archive(const Caller&, const json& request, Reply<json>) = 0;
  virtual void delete_archive(const Caller&, const json& request, Reply<json>) = 0;
  virtual void list_archives(const Caller&, const json& request, Reply<json>) = 0;
  virtual void start_replay(const Caller&, const json& request, Reply<json>) = 0;
  virtual void describe_replay(const Caller&, const json& request, Reply<json>) = 0;
  virtual void list_replays(const Caller&, const json& request, Reply<json>) = 0;
  virtual void cancel_replay(const Caller&, const json& request, Reply<json>) = 0;

  // Connections and API destinations, in AWS's JSON shapes too. Secrets a connection holds
  // (passwords, API key values, client secrets) are never answered back.
  virtual void create_connection(const Caller&, const json& request, Reply<json>) = 0;
  virtual void describe_connection(const Caller&, const json& request, Reply<json>) = 0;
  virtual void update_connection(const Caller&, const json& request, Reply<json>) = 0;
  virtual void delete_connection(const Caller&, const json& request, Reply<json>) = 0;
  virtual void list_connections(const Caller&, const json& request, Reply<json>) = 0;
  virtual void deauthorize_connection(const Caller&, const json& request, Reply<json>) = 0;
  virtual void create_api_destination(const Caller&, const json& request, Reply<json>) = 0;
  virtual void describe_api_destination(const Caller&, const json& request, Reply<json>) = 0;
  virtual void update_api_destination(const Caller&, const json& request, Reply<json>) = 0;
  virtual void delete_api_destination(const Caller&, const json& request, Reply<json>) = 0;
  virtual void list_api_destinations(const Caller&, const json& request, Reply<json>) = 0;

  virtual void put_permission(const Caller&, const std::optional<std::string>& bus,
                              const json& request, Reply<Ok>) = 0;
  virtual void remove_permission(const Caller&, const std::optional<std::string>& bus,
                                 const std::optional<std::string>& statement_id, bool remove_all,
                                 Reply<Ok>) = 0;
  virtual void tag_resource(const Caller&, const std::string& arn, const StringMap& tags,
                            Reply<Ok>) = 0;
  virtual void untag_resource(const Caller&, const std::string& arn,
                              const std::vector<std::string>& keys, Reply<Ok>) = 0;
  virtual void list_tags_for_resource(const Caller&, const std::string& arn, Reply<StringMap>) = 0;
};

std::unique_ptr<EventBridge> make_event_bridge(Env env);

}  // namespace wyvern::bus
