// The EventBridge engine's private state: buses with their rules and targets, deliveries in
// flight, and the timers of scheduled rules. rules.cc holds buses, rules, targets, tags and
// permissions; events.cc holds PutEvents, matching, delivery, retries and schedules.
#pragma once

#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "bus/bus.h"
#include "bus/schedule.h"
#include "bus/transform.h"
#include "foundation/event_pattern.h"
#include "foundation/event_ruleset.h"
#include "foundation/http_client.h"
#include "foundation/strand_sink.h"

namespace wyvern::bus {

inline constexpr char kBusesTable[] = "events.buses";
inline constexpr char kRulesTable[] = "events.rules";
inline constexpr char kDeliveriesTable[] = "events.deliveries";
inline constexpr char kArchivesTable[] = "events.archives";
inline constexpr char kArchivedTable[] = "events.archived";
inline constexpr char kReplaysTable[] = "events.replays";
inline constexpr char kConnectionsTable[] = "events.connections";
inline constexpr char kApiDestinationsTable[] = "events.api_destinations";

inline constexpr size_t kMaxTargetsPerRule = 5;
inline constexpr size_t kMaxEntriesPerPutEvents = 10;
inline constexpr size_t kMaxPutEventsBytes = 256 * 1024;

struct Rule {
  std::string name, arn, bus_key;
  std::optional<std::string> event_pattern, schedule_expression, description, role_arn;
  std::optional<Schedule> schedule;
  bool enabled = true;
  // ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS: enabled, and said so back. (Wyvern has no
  // CloudTrail events for it to receive.)
  bool all_management_events = false;
  std::string created_by;
  // A rule an AWS service made for itself (an archive's "Events-Archive-<name>"): clients may
  // read it, and change or delete it only with Force.
  std::optional<std::string> managed_by;
  StringMap tags;
  std::vector<Target> targets;  // in the order they were put
  RuleSet::RuleId id = 0;
  TimeMs created_at = 0;
  TimeMs next_fire = 0;  // scheduled rules: when they fire next (0: not scheduled)
  Timers::TimerId timer = 0;
};

struct Bus {
  std::string key, name, arn, region, account;
  std::optional<std::string> description;
  json policy;  // null, or the resource policy PutPermission built
  StringMap tags;
  TimeMs created_at = 0, modified_at = 0;
  std::map<std::string, Rule> rules;  // by name
  RuleSet matcher;                    // enabled pattern rules, by Rule::id
  std::unordered_map<RuleSet::RuleId, std::string> rule_names;
};

// An archive: the events of its bus that its pattern matched, with when they arrived.
struct Archive {
  std::string name, arn, bus_key, bus_arn;
  std::optional<std::string> description, event_pattern;
  std::optional<CompiledPattern> pattern;  // empty: every event
  int64_t retention_days = 0;              // 0: kept forever
  TimeMs created_at = 0;
  struct Event {
    uint64_t seq;
    TimeMs at;
    std::string text;
  };
  std::vector<Event> events;  // in arrival order
  uint64_t next_seq = 1;
};

struct Replay {
  std::string name, arn, archive_arn;
  std::optional<std::string> description;
  json destination;  // {"Arn": bus ARN, "FilterArns": [rule ARNs]}
  TimeMs event_start = 0, event_end = 0;
  std::string state = "STARTING", state_reason;
  TimeMs started_at = 0, ended_at = 0, last_replayed = 0;
};

// A connection: how API destinations authorize their calls. `auth` is AuthParameters as the
// client wrote it, secrets included: EventBridge keeps those in Secrets Manager, Wyvern in its
// store, and neither ever shows them again.
struct Connection {
  std::string key, name, arn, secret_arn, authorization_type;
  std::optional<std::string> description;
  json auth = json::object();
  std::string state, state_reason;
  TimeMs created_at = 0, modified_at = 0, authorized_at = 0;
  // OAuth client credentials: the access token, in memory only (a restart fetches a new one).
  std::string access_token;
  TimeMs token_refresh_at = 0;  // when to fetch a new one before a call (0: never)
  uint64_t authorization = 0;   // bumped by every token request; a stale answer is ignored
  std::vector<std::function<void(bool authorized)>> waiting;  // invocations awaiting a token
};

// An API destination: an HTTP endpoint, the method to call it with and the connection to
// authorize with. ACTIVE exactly while its connection is AUTHORIZED.
struct ApiDestination {
  std::string key, name, arn, connection_arn, endpoint, method;
  std::optional<std::string> description;
  int64_t rate_limit = 300;  // invocations per second
  TimeMs created_at = 0, modified_at = 0;
  // The invocations sent in the current second of the broker's clock.
  TimeMs window_start = 0;
  int64_t sent_in_window = 0;
};

// One event on its way to one target of one rule.
struct Delivery {
  std::string id;          // the key of its durable record
  std::string event_text;  // the event as AWS lays it out
  std::string bus_key, rule_name, rule_arn;
  Target target;
  int attempts = 0;
  TimeMs first_at = 0;
  // The event reached this bus from another bus: EventBridge sends an event to a bus target
  // only once, so this delivery may not hand it to a further bus.
  bool from_bus = false;
};

class Engine final : public EventBridge {
 public:
  explicit Engine(Env env);
  ~Engine() override;

  void recover() override;
  void reset() override;

  void create_event_bus(const Caller&, const std::string& name,
                        const std::optional<std::string>& description, const StringMap& tags,
                        Reply<std::string>) override;
  void update_event_bus(const Caller&, const std::string& name,
                        const std::optional<std::string>& description,
                        Reply<EventBusInfo>) override;
  void delete_event_bus(const Caller&, const std::string& name, Reply<Ok>) override;
  void describe_event_bus(const Caller&, const std::optional<std::string>& name,
                          Reply<EventBusInfo>) override;
  void list_event_buses(const Caller&, const std::optional<std::string>& prefix,
                        std::optional<int> limit, const std::optional<std::string>& token,
                        Reply<Page<EventBusInfo>>) override;
  void put_rule(const Caller&, PutRuleRequest, Reply<std::string>) override;
  void describe_rule(const Caller&, const std::string& name, const std::optional<std::string>& bus,
                     Reply<RuleInfo>) override;
  void list_rules(const Caller&, const std::optional<std::string>& prefix,
                  const std::optional<std::string>& bus, std::optional<int> limit,
                  const std::optional<std::string>& token, Reply<Page<RuleInfo>>) override;
  void delete_rule(const Caller&, const std::string& name, const std::optional<std::string>& bus,
                   bool force, Reply<Ok>) override;
  void set_rule_state(const Caller&, const std::string& name, const std::optional<std::string>& bus,
                      bool enabled, Reply<Ok>) override;
  void put_targets(const Caller&, const std::string& rule, const std::optional<std::string>& bus,
                   std::vector<Target> targets, Reply<std::vector<TargetFailure>>) override;
  void remove_targets(const Caller&, const std::string& rule, const std::optional<std::string>& bus,
                      const std::vector<std::string>& ids, bool force,
                      Reply<std::vector<TargetFailure>>) override;
  void list_targets_by_rule(const Caller&, const std::string& rule,
                            const std::optional<std::string>& bus, std::optional<int> limit,
                            const std::optional<std::string>& token, Reply<Page<Target>>) override;
  void list_rule_names_by_target(const Caller&, const std::string& target_arn,
                                 const std::optional<std::string>& bus, std::optional<int> limit,
                                 const std::optional<std::string>& token,
                                 Reply<Page<std::string>>) override;
  void put_events(const Caller&, std::vector<PutEventsEntry>, Reply<PutEventsResult>) override;
  void put_service_events(const Caller&, std::vector<PutEventsEntry>,
                          Reply<PutEventsResult>) override;
  Result<RecentEvents> recent_events(const Caller&, const std::optional<std::string>& bus) override;
  void test_event_pattern(const Caller&, const std::string& pattern, const std::string& event,
                          Reply<bool>) override;
  void create_archive(const Caller&, const json& request, Reply<json>) override;
  void describe_archive(const Caller&, const json& request, Reply<json>) override;
  void update_archive(const Caller&, const json& request, Reply<json>) override;
  void delete_archive(const Caller&, const json& request, Reply<json>) override;
  void list_archives(const Caller&, const json& request, Reply<json>) override;
  void start_replay(const Caller&, const json& request, Reply<json>) override;
  void describe_replay(const Caller&, const json& request, Reply<json>) override;
  void list_replays(const Caller&, const json& request, Reply<json>) override;
  void cancel_replay(const Caller&, const json& request, Reply<json>) override;
  void create_connection(const Caller&, const json& request, Reply<json>) override;
  void describe_connection(const Caller&, const json& request, Reply<json>) override;
  void update_connection(const Caller&, const json& request, Reply<json>) override;
  void delete_connection(const Caller&, const json& request, Reply<json>) override;
  void list_connections(const Caller&, const json& request, Reply<json>) override;
  void deauthorize_connection(const Caller&, const json& request, Reply<json>) override;
  void create_api_destination(const Caller&, const json& request, Reply<json>) override;
  void describe_api_destination(const Caller&, const json& request, Reply<json>) override;
  void update_api_destination(const Caller&, const json& request, Reply<json>) override;
  void delete_api_destination(const Caller&, const json& request, Reply<json>) override;
  void list_api_destinations(const Caller&, const json& request, Reply<json>) override;
  void put_permission(const Caller&, const std::optional<std::string>& bus, const json& request,
                      Reply<Ok>) override;
  void remove_permission(const Caller&, const std::optional<std::string>& bus,
                         const std::optional<std::string>& statement_id, bool remove_all,
                         Reply<Ok>) override;
  void tag_resource(const Caller&, const std::string& arn, const StringMap& tags,
                    Reply<Ok>) override;
  void untag_resource(const Caller&, const std::string& arn, const std::vector<std::string>& keys,
                      Reply<Ok>) override;
  void list_tags_for_resource(const Caller&, const std::string& arn, Reply<StringMap>) override;

 private:
  // --- rules.cc ---
  Bus& default_bus(const Caller& caller);
  Result<Bus*> find_bus(const Caller& caller, const std::optional<std::string>& name_or_arn);
  Result<Rule*> find_rule(Bus& bus, const std::string& name);
  void persist(const Bus& bus, WriteBatch& batch) const;
  void persist(const Bus& bus, const Rule& rule, WriteBatch& batch) const;
  void index(Bus& bus, Rule& rule);    // (re)enters the rule into matching and scheduling
  void unindex(Bus& bus, Rule& rule);  // takes it out of both
  RuleInfo info(const Bus& bus, const Rule& rule) const;
  void commit(WriteBatch batch, std::function<void()> then);
  // Commits, then runs `then`; if the store could not make the batch durable, answers `reply`
  // with InternalFailure instead: a write is acknowledged only once it is on disk.
  template <typename Reply>
  void commit(WriteBatch batch, Reply reply, std::function<void()> then) {
    env_.store->commit(
        std::move(batch),
        on_strand<bool>([reply = std::move(reply), then = std::move(then)](bool durable) {
          if (!durable)
            return reply(Error{ErrorCode::kInternalFailure, "The store refused the write."});
          then();
        }));
  }

  // --- archives.cc ---
  void archive(const Bus& bus, const std::string& event_text, const json& event, WriteBatch& batch);
  void put_archive_rule(const Archive& archive, WriteBatch& batch);
  void drop_archive_rule(const Archive& archive, WriteBatch& batch);
  void persist(const Archive& archive, WriteBatch& batch) const;
  void persist(const Replay& replay, WriteBatch& batch) const;
  void run_replay(const std::string& replay_arn);
  void recover_archives();
  json archive_json(const Archive& archive, bool full) const;
  json replay_json(const Replay& replay, bool full) const;

  // --- connections.cc ---
  void persist(const Connection& c, WriteBatch& batch) const;
  void persist(const ApiDestination& d, WriteBatch& batch) const;
  void recover_connections();
  Connection* connection_by_arn(const std::string& arn);
  std::string destination_state(const ApiDestination& d) const;
  void authorize(const std::string& connection_key);  // fetches an OAuth token
  void token_fetched(const std::string& connection_key, uint64_t authorization,
                     const HttpResponse& response);
  void invoke_api_destination(const std::string& delivery_id, const std::string& payload,
                              Delivered done);

  // --- events.cc ---
  void put(const Caller&, std::vector<PutEventsEntry>, bool from_service, Reply<PutEventsResult>);
  void route(const Bus& bus, const std::string& event_text, const json& event, WriteBatch& batch,
             std::vector<std::string>& started, const std::string* only_rule = nullptr,
             bool from_bus = false, const std::set<std::string>* only_rule_arns = nullptr);
  void persist(const Delivery& d, WriteBatch& batch) const;
  void add_delivery(Delivery d, WriteBatch& batch, std::vector<std::string>& started);
  void attempt(const std::string& delivery_id);
  void attempt_done(const std::string& delivery_id, DeliveryOutcome outcome);
  void dead_letter(const Delivery& d, const DeliveryOutcome& outcome, const std::string& condition);
  void finish(const std::string& delivery_id);
  void arm_schedule(Bus& bus, Rule& rule);
  void fire_schedule(const std::string& bus_key, const std::string& rule_name);

  template <typename Arg>
  std::function<void(Arg)> on_strand(std::function<void(Arg)> fn) const {
    return sink_.on_strand(std::move(fn));
  }

  Env env_;
  StrandSink sink_{env_.post};                            // after env_: it takes env_.post
  std::map<std::string, Bus> buses_;                      // by "region/account/name"
  std::unordered_map<std::string, Delivery> deliveries_;  // in flight, by id
  std::map<std::string, Archive> archives_;               // by ARN
  std::map<std::string, Replay> replays_;                 // by ARN
  std::map<std::string, Connection> connections_;         // by "region/account/name"
  std::map<std::string, ApiDestination> api_destinations_;  // by "region/account/name"
  std::set<Timers::TimerId> retry_timers_;
  std::map<std::string, RecentEvents> recent_;            // by bus key; newest_first kept short
  RuleSet::RuleId next_rule_id_ = 1;
};

// The string member `key` of `j`, or "" when `j` is no object or the member is no string.
// Requests and stored targets are read through this: nlohmann's value() throws on a member of
// another type, and a client must never be able to make the broker throw.
inline std::string text_member(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// The string member `name` of `in`, or nullopt (no object, no such member, another type).
inline std::optional<std::string> str(const json& in, const char* name) {
  if (in.is_object() && in.contains(name) && in[name].is_string())
    return in[name].get<std::string>();
  return std::nullopt;
}

// The member `name` of `in`, or null when `in` is no object or has no such member.
inline const json& member(const json& in, const char* name) {
  static const json kNull;
  if (!in.is_object()) return kNull;
  auto it = in.find(name);
  return it == in.end() ? kNull : *it;
}

// Timestamps as AWS's JSON protocol writes them: epoch seconds.
inline double seconds(TimeMs ms) {
  return static_cast<double>(ms) / 1000.0;
}

// One page of a List* answer: the items `keep` turns into JSON (nullopt: filtered out), under
// `list`, from the request's NextToken (an offset) for its Limit (100 when absent).
template <typename T, typename Keep>
json listed(const std::map<std::string, T>& items, const json& in, const char* list, Keep keep) {
  size_t start = 0;
  if (auto token = str(in, "NextToken")) start = std::strtoull(token->c_str(), nullptr, 10);
  const json& limit_member = member(in, "Limit");
  size_t limit = limit_member.is_number_integer() && limit_member.get<int64_t>() > 0
                     ? limit_member.get<size_t>()
                     : 100;
  std::vector<json> all;
  for (const auto& [key, item] : items)
    if (auto j = keep(item)) all.push_back(std::move(*j));
  json out = {{list, json::array()}};
  for (size_t i = start; i < all.size() && out[list].size() < limit; ++i)
    out[list].push_back(all[i]);
  if (start + limit < all.size()) out["NextToken"] = std::to_string(start + limit);
  return out;
}

// A target's Input, InputPath and InputTransformer as the input processing reads them.
TargetInput target_input_of(const Target& target);

// "region/account/name": a bus's key in buses_ and in the store.
inline std::string bus_key(const std::string& region, const std::string& account,
                           const std::string& name) {
  return region + "/" + account + "/" + name;
}

}  // namespace wyvern::bus
