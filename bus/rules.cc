// Event buses, rules, targets, tags and permissions, with EventBridge's validation texts.
#include <algorithm>
#include <regex>

#include "bus/engine.h"
#include "foundation/arn.h"
#include "foundation/codec.h"

namespace wyvern::bus {
namespace {

Error validation(const std::string& message) {
  return Error{ErrorCode::kEventsValidation, message};
}

Error constraint(const std::string& value, const std::string& member, const std::string& what) {
  return validation("1 validation error detected: Value '" + value + "' at '" + member +
                    "' failed to satisfy constraint: " + what);
}

// Rule and target names: [\.\-_A-Za-z0-9]+, 1 to 64 characters.
std::optional<Error> check_name(const std::string& value, const std::string& member) {
  static const std::regex pattern(R"([\.\-_A-Za-z0-9]+)");
  if (value.size() > 64)
    return constraint(value, member, "Member must have length less than or equal to 64");
  if (!std::regex_match(value, pattern))
    return constraint(value, member,
                      "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+");
  return std::nullopt;
}

// Event bus names: [/\.\-_A-Za-z0-9]+, 1 to 256 characters.
std::optional<Error> check_bus_name(const std::string& value) {
  static const std::regex pattern(R"([/\.\-_A-Za-z0-9]+)");
  if (value.size() > 256)
    return constraint(value, "name", "Member must have length less than or equal to 256");
  if (!std::regex_match(value, pattern))
    return constraint(value, "name",
                      "Member must satisfy regular expression pattern: [/\\.\\-_A-Za-z0-9]+");
  return std::nullopt;
}

// RetryPolicy's bounds in the request model: 0 to 185 retries, events 60 s to 24 h old.
std::vector<std::string> retry_policy_violations(const Target& t, size_t target_number) {
  std::vector<std::string> out;
  if (!t.contains("RetryPolicy") || !t["RetryPolicy"].is_object()) return out;
  const json& policy = t["RetryPolicy"];
  const std::string at = "targets." + std::to_string(target_number) + ".member.retryPolicy.";
  auto bound = [&](const char* name, const char* member, int64_t low, int64_t high) {
    if (!policy.contains(name) || !policy[name].is_number_integer()) return;
    int64_t v = policy[name].get<int64_t>();
    std::string what;
    if (v < low)
      what = "Member must have value greater than or equal to " + std::to_string(low);
    else if (v > high)
      what = "Member must have value less than or equal to " + std::to_string(high);
    else
      return;
    out.push_back("Value '" + std::to_string(v) + "' at '" + at + member +
                  "' failed to satisfy constraint: " + what);
  };
  bound("MaximumRetryAttempts", "maximumRetryAttempts", 0, 185);
  bound("MaximumEventAgeInSeconds", "maximumEventAgeInSeconds", 60, 86400);
  return out;
}

// The refusal a managed rule gives a client that changes it without Force.
std::optional<Error> managed(const Rule& r) {
  if (!r.managed_by) return std::nullopt;
  return Error{ErrorCode::kEventsManagedRule,
               r.name + " is a managed rule. Set 'force' parameter to true to override."};
}

std::string bus_arn(const Caller& c, const std::string& name) {
  return "arn:aws:events:" + c.region + ":" + c.account + ":event-bus/" + name;
}

// A policy's statements as a list: IAM allows a single statement object in its place.
json& statements_of(json& policy) {
  json& statements = policy["Statement"];
  if (statements.is_object()) statements = json::array({statements});
  if (!statements.is_array()) statements = json::array();
  return statements;
}

template <typename T>
Page<T> page_of(std::vector<T> items, std::optional<int> limit,
                const std::optional<std::string>& token) {
  size_t start = token ? std::strtoull(token->c_str(), nullptr, 10) : 0;
  size_t size = limit && *limit > 0 ? static_cast<size_t>(*limit) : 100;
  Page<T> page;
  for (size_t i = start; i < items.size() && page.items.size() < size; ++i)
    page.items.push_back(std::move(items[i]));
  if (start + size < items.size()) page.next_token = std::to_string(start + size);
  return page;
}

}  // namespace

Engine::Engine(Env env) : env_(std::move(env)) {}

Engine::~Engine() {
  sink_.close();
  for (auto id : retry_timers_) env_.timers->cancel(id);
  for (auto& [key, bus] : buses_)
    for (auto& [name, rule] : bus.rules)
      if (rule.timer) env_.timers->cancel(rule.timer);
}

void Engine::commit(WriteBatch batch, std::function<void()> then) {
  env_.store->commit(std::move(batch), on_strand<bool>([then = std::move(then)](bool) { then(); }));
}

void Engine::persist(const Bus& b, WriteBatch& batch) const {
  json doc = {{"name", b.name},
              {"arn", b.arn},
              {"region", b.region},
              {"account", b.account},
              {"policy", b.policy},
              {"tags", b.tags},
              {"created_at", b.created_at},
              {"modified_at", b.modified_at}};
  if (b.description) doc["description"] = *b.description;
  batch.put(kBusesTable, b.key, doc.dump());
}

void Engine::persist(const Bus& b, const Rule& r, WriteBatch& batch) const {
  json doc = {{"name", r.name},
              {"arn", r.arn},
              {"enabled", r.enabled},
              {"all_management_events", r.all_management_events},
              {"managed_by", r.managed_by ? json(*r.managed_by) : json()},
              {"created_by", r.created_by},
              {"tags", r.tags},
              {"targets", r.targets},
              {"created_at", r.created_at},
              {"next_fire", r.next_fire}};
  if (r.event_pattern) doc["event_pattern"] = *r.event_pattern;
  if (r.schedule_expression) doc["schedule_expression"] = *r.schedule_expression;
  if (r.description) doc["description"] = *r.description;
  if (r.role_arn) doc["role_arn"] = *r.role_arn;
  batch.put(kRulesTable, b.key + "\n" + r.name, doc.dump());
}

Bus& Engine::default_bus(const Caller& caller) {
  std::string key = bus_key(caller.region, caller.account, "default");
  auto it = buses_.find(key);
  if (it != buses_.end()) return it->second;
  // Every account and region has its default bus; it comes into being when first needed.
  Bus& b = buses_[key];
  b.key = key;
  b.name = "default";
  b.arn = bus_arn(caller, "default");
  b.region = caller.region;
  b.account = caller.account;
  b.created_at = b.modified_at = env_.clock->now_ms();
  return b;
}

Result<Bus*> Engine::find_bus(const Caller& caller, const std::optional<std::string>& name_or_arn) {
  std::string name = name_or_arn.value_or("default");
  // An ARN names the bus after "event-bus/", in the region and account it says.
  Caller owner = caller;
  if (name.rfind("arn:", 0) == 0) {
    auto slash = name.find(":event-bus/");
    if (slash == std::string::npos) return validation("Parameter EventBusName is not valid.");
    if (auto parts = parse_arn(name)) {
      if (!parts->region.empty()) owner.region = parts->region;
      if (!parts->account.empty()) owner.account = parts->account;
    }
    name = name.substr(slash + 11);
  }
  if (name == "default") return &default_bus(owner);
  auto it = buses_.find(bus_key(owner.region, owner.account, name));
  if (it == buses_.end())
    return Error{ErrorCode::kEventsResourceNotFound, "Event bus " + name + " does not exist."};
  return &it->second;
}

Result<Rule*> Engine::find_rule(Bus& b, const std::string& name) {
  auto it = b.rules.find(name);
  if (it == b.rules.end())
    return Error{ErrorCode::kEventsResourceNotFound,
                 "Rule " + name + " does not exist on EventBus " + b.name + "."};
  return &it->second;
}

void Engine::index(Bus& b, Rule& r) {
  unindex(b, r);
  if (!r.enabled) return;
  if (r.event_pattern) {
    auto compiled = compile_pattern(*r.event_pattern, PatternDialect::kEventBridge);
    if (compiled) {
      r.id = next_rule_id_++;
      b.matcher.add(r.id, std::move(compiled.value()));
      b.rule_names[r.id] = r.name;
    }
  }
  if (r.schedule) arm_schedule(b, r);
}

void Engine::unindex(Bus& b, Rule& r) {
  if (r.id) {
    b.matcher.remove(r.id);
    b.rule_names.erase(r.id);
    r.id = 0;
  }
  if (r.timer) {
    env_.timers->cancel(r.timer);
    r.timer = 0;
  }
}

RuleInfo Engine::info(const Bus& b, const Rule& r) const {
  RuleInfo out;
  out.name = r.name;
  out.arn = r.arn;
  out.event_bus_name = b.name;
  out.event_pattern = r.event_pattern;
  out.schedule_expression = r.schedule_expression;
  out.description = r.description;
  out.role_arn = r.role_arn;
  out.state = !r.enabled                  ? "DISABLED"
              : r.all_management_events ? "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
                                        : "ENABLED";
  out.created_by = r.created_by;
  out.managed_by = r.managed_by;
  return out;
}

void Engine::recover() {
  env_.store->scan(kBusesTable, [&](std::string_view key, std::string_view value) {
    json doc = json::parse(value, nullptr, false);
    if (!doc.is_object()) return;
    Bus& b = buses_[std::string(key)];
    b.key = key;
    b.name = doc.value("name", "");
    b.arn = doc.value("arn", "");
    b.region = doc.value("region", "");
    b.account = doc.value("account", "");
    b.policy = doc.value("policy", json());
    b.tags = doc.value("tags", StringMap{});
    b.created_at = doc.value("created_at", TimeMs{0});
    b.modified_at = doc.value("modified_at", TimeMs{0});
    if (doc.contains("description")) b.description = doc["description"].get<std::string>();
  });
  env_.store->scan(kRulesTable, [&](std::string_view key, std::string_view value) {
    std::string k(key);
    size_t newline = k.find('\n');
    json doc = json::parse(value, nullptr, false);
    if (newline == std::string::npos || !doc.is_object()) return;
    std::string bkey = k.substr(0, newline);
    Bus& b = buses_[bkey];
    if (b.key.empty()) {  // the default bus, never written on its own
      b.key = bkey;
      b.name = "default";
      auto first = bkey.find('/'), second = bkey.find('/', first + 1);
      b.region = bkey.substr(0, first);
      b.account = bkey.substr(first + 1, second - first - 1);
      b.arn = "arn:aws:events:" + b.region + ":" + b.account + ":event-bus/default";
    }
    Rule r;
    r.name = doc.value("name", "");
    r.arn = doc.value("arn", "");
    r.bus_key = bkey;
    r.enabled = doc.value("enabled", true);
    r.all_management_events = doc.value("all_management_events", false);
    if (doc.contains("managed_by") && doc["managed_by"].is_string())
      r.managed_by = doc["managed_by"].get<std::string>();
    r.created_by = doc.value("created_by", "");
    r.tags = doc.value("tags", StringMap{});
    r.targets = doc.value("targets", std::vector<Target>{});
    r.created_at = doc.value("created_at", TimeMs{0});
    r.next_fire = doc.value("next_fire", TimeMs{0});
    if (doc.contains("event_pattern")) r.event_pattern = doc["event_pattern"].get<std::string>();
    if (doc.contains("schedule_expression")) {
      r.schedule_expression = doc["schedule_expression"].get<std::string>();
      if (auto s = parse_schedule(*r.schedule_expression)) r.schedule = std::move(s.value());
    }
    if (doc.contains("description")) r.description = doc["description"].get<std::string>();
    if (doc.contains("role_arn")) r.role_arn = doc["role_arn"].get<std::string>();
    Rule& stored = b.rules[r.name] = std::move(r);
    index(b, stored);
  });
  std::vector<std::string> unfinished;
  env_.store->scan(kDeliveriesTable, [&](std::string_view key, std::string_view value) {
    json doc = json::parse(value, nullptr, false);
    if (!doc.is_object()) return;
    Delivery d;
    d.id = key;
    d.event_text = doc.value("event", "");
    d.bus_key = doc.value("bus", "");
    d.rule_name = doc.value("rule", "");
    d.rule_arn = doc.value("rule_arn", "");
    d.target = doc.value("target", json::object());
    d.first_at = doc.value("first_at", TimeMs{0});
    d.from_bus = doc.value("from_bus", false);
    d.attempts = doc.value("attempts", 0);
    unfinished.push_back(d.id);
    deliveries_[d.id] = std::move(d);
  });
  for (const auto& id : unfinished) env_.post([this, id] { attempt(id); });
  recover_archives();
  recover_connections();
}

void Engine::reset() {
  for (auto id : retry_timers_) env_.timers->cancel(id);
  retry_timers_.clear();
  for (auto& [key, b] : buses_)
    for (auto& [name, r] : b.rules)
      if (r.timer) env_.timers->cancel(r.timer);
  buses_.clear();
  deliveries_.clear();
  archives_.clear();
  replays_.clear();
  connections_.clear();
  api_destinations_.clear();
  recent_.clear();
}

// --- Event buses --------------------------------------------------------------------------

void Engine::create_event_bus(const Caller& caller, const std::string& name,
                              const std::optional<std::string>& description, const StringMap& tags,
                              Reply<std::string> reply) {
  if (auto err = check_bus_name(name)) return reply(*err);
  if (name == "default" || buses_.count(bus_key(caller.region, caller.account, name)))
    return reply(
        Error{ErrorCode::kEventsResourceAlreadyExists, "Event bus " + name + " already exists."});
  if (name.rfind("aws.", 0) == 0)
    return reply(validation("Event source aws." + name.substr(4) + " does not exist."));
  Bus& b = buses_[bus_key(caller.region, caller.account, name)];
  b.key = bus_key(caller.region, caller.account, name);
  b.name = name;
  b.arn = bus_arn(caller, name);
  b.region = caller.region;
  b.account = caller.account;
  b.description = description;
  b.tags = tags;
  b.created_at = b.modified_at = env_.clock->now_ms();
  WriteBatch batch;
  persist(b, batch);
  commit(std::move(batch), reply, [reply, arn = b.arn] { reply(arn); });
}

void Engine::update_event_bus(const Caller& caller, const std::string& name,
                              const std::optional<std::string>& description,
                              Reply<EventBusInfo> reply) {
  auto b = find_bus(caller, name);
  if (!b) return reply(b.error());
  (*b)->description = description;
  (*b)->modified_at = env_.clock->now_ms();
  WriteBatch batch;
  persist(**b, batch);
  EventBusInfo out{(*b)->name, (*b)->arn,        (*b)->description.value_or(""),
                   "",         (*b)->created_at, (*b)->modified_at};
  commit(std::move(batch), reply, [reply, out] { reply(out); });
}

void Engine::delete_event_bus(const Caller& caller, const std::string& name, Reply<Ok> reply) {
  if (name == "default") return reply(validation("Cannot delete event bus default."));
  auto it = buses_.find(bus_key(caller.region, caller.account, name));
  // Deleting a bus that does not exist succeeds, as in AWS.
  if (it == buses_.end()) return reply(Ok{});
  WriteBatch batch;
  for (auto& [rule_name, r] : it->second.rules) {
    unindex(it->second, r);
    batch.erase(kRulesTable, it->second.key + "\n" + rule_name);
  }
  batch.erase(kBusesTable, it->second.key);
  recent_.erase(it->second.key);
  buses_.erase(it);
  commit(std::move(batch), reply, [reply] { reply(Ok{}); });
}

void Engine::describe_event_bus(const Caller& caller, const std::optional<std::string>& name,
                                Reply<EventBusInfo> reply) {
  auto b = find_bus(caller, name);
  if (!b) return reply(b.error());
  const Bus& bus = **b;
  reply(EventBusInfo{bus.name, bus.arn, bus.description.value_or(""),
                     bus.policy.is_null() ? "" : bus.policy.dump(), bus.created_at,
                     bus.modified_at});
}

void Engine::list_event_buses(const Caller& caller, const std::optional<std::string>& prefix,
                              std::optional<int> limit, const std::optional<std::string>& token,
                              Reply<Page<EventBusInfo>> reply) {
  default_bus(caller);
  std::vector<EventBusInfo> items;
  for (const auto& [key, b] : buses_) {
    if (b.region != caller.region || b.account != caller.account) continue;
    if (prefix && b.name.rfind(*prefix, 0) != 0) continue;
    items.push_back({b.name, b.arn, b.description.value_or(""),
                     b.policy.is_null() ? "" : b.policy.dump(), b.created_at, b.modified_at});
  }
  reply(page_of(std::move(items), limit, token));
}

// --- Rules ----------------------------------------------------------------------------------

void Engine::put_rule(const Caller& caller, PutRuleRequest r, Reply<std::string> reply) {
  if (auto err = check_name(r.name, "name")) return reply(*err);
  if (!r.event_pattern && !r.schedule_expression)
    return reply(validation("Parameter(s) EventPattern or ScheduleExpression must be specified."));
  if (r.state && *r.state != "ENABLED" && *r.state != "DISABLED" &&
      *r.state != "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
    return reply(constraint(*r.state, "state",
                            "Member must satisfy enum value set: [ENABLED, DISABLED, "
                            "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS]"));
  if (r.description && r.description->size() > 512)
    return reply(constraint(*r.description, "description",
                            "Member must have length less than or equal to 512"));
  auto b = find_bus(caller, r.event_bus_name);
  if (!b) return reply(b.error());
  Bus& bus = **b;
  std::optional<Schedule> schedule;
  if (r.schedule_expression) {
    if (bus.name != "default")
      return reply(validation("ScheduleExpression is supported only on the default event bus."));
    auto parsed = parse_schedule(*r.schedule_expression);
    if (!parsed) return reply(parsed.error());
    schedule = std::move(parsed.value());
  }
  if (r.event_pattern) {
    auto compiled = compile_pattern(*r.event_pattern, PatternDialect::kEventBridge);
    if (!compiled)
      return reply(Error{ErrorCode::kEventsInvalidEventPattern, compiled.error().message});
  }
  TimeMs now = env_.clock->now_ms();
  bool existed = bus.rules.count(r.name) > 0;
  if (existed)
    if (auto err = managed(bus.rules[r.name])) return reply(*err);
  Rule& rule = bus.rules[r.name];
  if (!existed) {
    rule.name = r.name;
    rule.bus_key = bus.key;
    rule.arn = "arn:aws:events:" + bus.region + ":" + bus.account + ":rule/" +
               (bus.name == "default" ? "" : bus.name + "/") + r.name;
    rule.created_by = caller.account;
    rule.created_at = now;
    rule.tags = r.tags;
  } else {
    for (const auto& [k, v] : r.tags) rule.tags[k] = v;
  }
  // PutRule replaces what it is given; an omitted pattern or schedule is removed.
  bool schedule_changed = rule.schedule_expression != r.schedule_expression;
  rule.event_pattern = r.event_pattern;
  rule.schedule_expression = r.schedule_expression;
  rule.schedule = std::move(schedule);
  rule.description = r.description;
  rule.role_arn = r.role_arn;
  bool was_enabled = existed && rule.enabled;
  rule.enabled = r.state.value_or("ENABLED") != "DISABLED";
  rule.all_management_events = r.state == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS";
  if (schedule_changed || !existed || (rule.enabled && !was_enabled)) rule.next_fire = 0;
  index(bus, rule);
  WriteBatch batch;
  persist(bus, rule, batch);
  commit(std::move(batch), reply, [reply, arn = rule.arn] { reply(arn); });
}

void Engine::describe_rule(const Caller& caller, const std::string& name,
                           const std::optional<std::string>& bus_name, Reply<RuleInfo> reply) {
  auto b = find_bus(caller, bus_name);
  if (!b) return reply(b.error());
  auto rule = find_rule(**b, name);
  if (!rule) return reply(rule.error());
  reply(info(**b, **rule));
}

void Engine::list_rules(const Caller& caller, const std::optional<std::string>& prefix,
                        const std::optional<std::string>& bus_name, std::optional<int> limit,
                        const std::optional<std::string>& token, Reply<Page<RuleInfo>> reply) {
  auto b = find_bus(caller, bus_name);
  if (!b) return reply(b.error());
  std::vector<RuleInfo> items;
  for (const auto& [name, r] : (*b)->rules)
    if (!prefix || name.rfind(*prefix, 0) == 0) items.push_back(info(**b, r));
  reply(page_of(std::move(items), limit, token));
}

void Engine::delete_rule(const Caller& caller, const std::string& name,
                         const std::optional<std::string>& bus_name, bool force, Reply<Ok> reply) {
  auto b = find_bus(caller, bus_name);
  if (!b) return reply(b.error());
  auto it = (*b)->rules.find(name);
  if (it == (*b)->rules.end()) return reply(Ok{});  // already gone: AWS succeeds too
  if (!force)
    if (auto err = managed(it->second)) return reply(*err);
  if (!it->second.targets.empty() && !it->second.managed_by)
    return reply(validation("Rule can't be deleted since it has targets."));
  unindex(**b, it->second);
  WriteBatch batch;
  batch.erase(kRulesTable, (*b)->key + "\n" + name);
  (*b)->rules.erase(it);
  commit(std::move(batch), reply, [reply] { reply(Ok{}); });
}

void Engine::set_rule_state(const Caller& caller, const std::string& name,
                            const std::optional<std::string>& bus_name, bool enabled,
                            Reply<Ok> reply) {
  auto b = find_bus(caller, bus_name);
  if (!b) return reply(b.error());
  auto rule = find_rule(**b, name);
  if (!rule) return reply(rule.error());
  if (auto err = managed(**rule)) return reply(*err);
  // A schedule resumed after a pause starts afresh: what it missed while disabled is not fired.
  if (enabled && !(*rule)->enabled) (*rule)->next_fire = 0;
  (*rule)->enabled = enabled;
  (*rule)->all_management_events = false;
  index(**b, **rule);
  WriteBatch batch;
  persist(**b, **rule, batch);
  commit(std::move(batch), reply, [reply] { reply(Ok{}); });
}

// --- Targets --------------------------------------------------------------------------------

void Engine::put_targets(const Caller& caller, const std::string& rule_name,
                         const std::optional<std::string>& bus_name, std::vector<Target> targets,
                         Reply<std::vector<TargetFailure>> reply) {
  auto b = find_bus(caller, bus_name);
  if (!b) return reply(b.error());
  auto rule = find_rule(**b, rule_name);
  if (!rule) return reply(rule.error());
  if (auto err = managed(**rule)) return reply(*err);
  Rule& r = **rule;
  for (size_t n = 0; n < targets.size(); ++n) {
    const Target& t = targets[n];
    std::string id = text_member(t, "Id");
    if (auto err = check_name(id, "targets." + std::to_string(n + 1) + ".member.id"))
      return reply(*err);
    std::string arn = text_member(t, "Arn");
    if (arn.rfind("arn:", 0) != 0)
      return reply(validation("Parameter " + arn +
                              " is not valid. Reason: Provided Arn is not in "
                              "correct format."));
    TargetInput input = target_input_of(t);
    // The request model's constraints come first, every one of this target's in one message.
    auto model = target_input_violations(input, n + 1);
    for (auto& v : retry_policy_violations(t, n + 1)) model.push_back(std::move(v));
    if (!model.empty()) {
      std::string message = std::to_string(model.size()) +
                            (model.size() == 1 ? " validation error" : " validation errors") +
                            " detected: ";
      for (size_t i = 0; i < model.size(); ++i) message += (i ? "; " : "") + model[i];
      return reply(validation(message));
    }
    if (auto err = validate_target_input(input, id, n + 1)) return reply(*err);
    // A FIFO queue needs the group its messages go in; a state machine or an API destination,
    // a role to call it with.
    bool fifo_queue = arn.rfind("arn:aws:sqs:", 0) == 0 && arn.ends_with(".fifo");
    if (fifo_queue && !(t.contains("SqsParameters") && t["SqsParameters"].is_object()))
      return reply(
          validation("Parameter(s) SqsParameters must be specified for target: " + id + "."));
    bool needs_role = arn.rfind("arn:aws:states:", 0) == 0 ||
                      (arn.rfind("arn:aws:events:", 0) == 0 &&
                       arn.find(":api-destination/") != std::string::npos);
    if (needs_role && text_member(t, "RoleArn").empty())
      return reply(validation("RoleArn is required for target " + arn + "."));
  }
  // Targets are replaced by Id; the rule may hold at most five.
  std::vector<Target> merged = r.targets;
  for (auto& t : targets) {
    auto same = std::find_if(merged.begin(), merged.end(), [&](const Target& have) {
      return text_member(have, "Id") == text_member(t, "Id");
    });
    if (same != merged.end())
      *same = std::move(t);
    else
      merged.push_back(std::move(t));
  }
  if (merged.size() > kMaxTargetsPerRule)
    return reply(Error{ErrorCode::kEventsLimitExceeded,
                       "The requested resource exceeds the maximum number allowed."});
  r.targets = std::move(merged);
  WriteBatch batch;
  persist(**b, r, batch);
  commit(std::move(batch), reply, [reply] { reply(std::vector<TargetFailure>{}); });
}

void Engine::remove_targets(const Caller& caller, const std::string& rule_name,
                            const std::optional<std::string>& bus_name,
                            const std::vector<std::string>& ids, bool force,
                            Reply<std::vector<TargetFailure>> reply) {
  auto b = find_bus(caller, bus_name);
  if (!b) return reply(b.error());
  auto rule = find_rule(**b, rule_name);
  if (!rule) return reply(rule.error());
  if (!force)
    if (auto err = managed(**rule)) return reply(*err);
  std::vector<TargetFailure> failed;
  auto& targets = (*rule)->targets;
  for (const auto& id : ids) {
    auto it = std::find_if(targets.begin(), targets.end(),
                           [&](const Target& t) { return text_member(t, "Id") == id; });
    if (it == targets.end())
      failed.push_back({id, "ResourceNotFoundException",
                        "Target " + id + " does not exist on rule " + rule_name + "."});
    else
      targets.erase(it);
  }
  WriteBatch batch;
  persist(**b, **rule, batch);
  commit(std::move(batch), reply, [reply, failed] { reply(failed); });
}

void Engine::list_targets_by_rule(const Caller& caller, const std::string& rule_name,
                                  const std::optional<std::string>& bus_name,
                                  std::optional<int> limit, const std::optional<std::string>& token,
                                  Reply<Page<Target>> reply) {
  auto b = find_bus(caller, bus_name);
  if (!b) return reply(b.error());
  auto rule = find_rule(**b, rule_name);
  if (!rule) return reply(rule.error());
  reply(page_of((*rule)->targets, limit, token));
}

void Engine::list_rule_names_by_target(const Caller& caller, const std::string& target_arn,
                                       const std::optional<std::string>& bus_name,
                                       std::optional<int> limit,
                                       const std::optional<std::string>& token,
                                       Reply<Page<std::string>> reply) {
  auto b = find_bus(caller, bus_name);
  if (!b) return reply(b.error());
  std::vector<std::string> names;
  for (const auto& [name, r] : (*b)->rules)
    if (std::any_of(r.targets.begin(), r.targets.end(),
                    [&](const Target& t) { return text_member(t, "Arn") == target_arn; }))
      names.push_back(name);
  reply(page_of(std::move(names), limit, token));
}

// --- Permissions and tags -------------------------------------------------------------------

void Engine::put_permission(const Caller& caller, const std::optional<std::string>& bus_name,
                            const json& request, Reply<Ok> reply) {
  auto b = find_bus(caller, bus_name);
  if (!b) return reply(b.error());
  Bus& bus = **b;
  json statement;
  if (request.contains("Policy") && request["Policy"].is_string()) {
    std::string text = request["Policy"].get<std::string>();
    json policy =
        json_nesting_within(text, kMaxJsonNesting) ? json::parse(text, nullptr, false) : json();
    if (!policy.is_object()) return reply(validation("Parameter Policy is not valid."));
    bus.policy = policy;
  } else {
    std::string sid = text_member(request, "StatementId");
    std::string principal = text_member(request, "Principal");
    if (sid.empty() || principal.empty())
      return reply(validation("Parameter(s) StatementId, Principal and Action must be specified."));
    statement = {
        {"Sid", sid},
        {"Effect", "Allow"},
        {"Principal",
         principal == "*" ? json("*") : json{{"AWS", "arn:aws:iam::" + principal + ":root"}}},
        {"Action", text_member(request, "Action").empty() ? "events:PutEvents"
                                                          : text_member(request, "Action")},
        {"Resource", bus.arn}};
    if (bus.policy.is_null())
      bus.policy = {{"Version", "2012-10-17"}, {"Statement", json::array()}};
    json& statements = statements_of(bus.policy);
    for (auto it = statements.begin(); it != statements.end(); ++it)
      if (text_member(*it, "Sid") == sid) {
        statements.erase(it);
        break;
      }
    statements.push_back(statement);
  }
  WriteBatch batch;
  persist(bus, batch);
  commit(std::move(batch), reply, [reply] { reply(Ok{}); });
}

void Engine::remove_permission(const Caller& caller, const std::optional<std::string>& bus_name,
                               const std::optional<std::string>& statement_id, bool remove_all,
                               Reply<Ok> reply) {
  auto b = find_bus(caller, bus_name);
  if (!b) return reply(b.error());
  Bus& bus = **b;
  if (remove_all) {
    bus.policy = nullptr;
  } else {
    if (!statement_id) return reply(validation("Parameter StatementId must be specified."));
    bool found = false;
    if (bus.policy.is_object() && bus.policy.contains("Statement")) {
      json& statements = statements_of(bus.policy);
      for (auto it = statements.begin(); it != statements.end(); ++it)
        if (text_member(*it, "Sid") == *statement_id) {
          statements.erase(it);
          found = true;
          break;
        }
    }
    if (!found)
      return reply(Error{ErrorCode::kEventsResourceNotFound,
                         "Statement with the provided id does not exist."});
  }
  WriteBatch batch;
  persist(bus, batch);
  commit(std::move(batch), reply, [reply] { reply(Ok{}); });
}

void Engine::tag_resource(const Caller& caller, const std::string& arn, const StringMap& tags,
                          Reply<Ok> reply) {
  for (auto& [key, b] : buses_) {
    if (b.region != caller.region || b.account != caller.account) continue;
    WriteBatch batch;
    if (b.arn == arn) {
      for (const auto& [k, v] : tags) b.tags[k] = v;
      persist(b, batch);
      return commit(std::move(batch), reply, [reply] { reply(Ok{}); });
    }
    for (auto& [name, r] : b.rules)
      if (r.arn == arn) {
        for (const auto& [k, v] : tags) r.tags[k] = v;
        persist(b, r, batch);
        return commit(std::move(batch), reply, [reply] { reply(Ok{}); });
      }
  }
  reply(Error{ErrorCode::kEventsResourceNotFound, "Resource " + arn + " does not exist."});
}

void Engine::untag_resource(const Caller& caller, const std::string& arn,
                            const std::vector<std::string>& keys, Reply<Ok> reply) {
  for (auto& [key, b] : buses_) {
    if (b.region != caller.region || b.account != caller.account) continue;
    WriteBatch batch;
    if (b.arn == arn) {
      for (const auto& k : keys) b.tags.erase(k);
      persist(b, batch);
      return commit(std::move(batch), reply, [reply] { reply(Ok{}); });
    }
    for (auto& [name, r] : b.rules)
      if (r.arn == arn) {
        for (const auto& k : keys) r.tags.erase(k);
        persist(b, r, batch);
        return commit(std::move(batch), reply, [reply] { reply(Ok{}); });
      }
  }
  reply(Error{ErrorCode::kEventsResourceNotFound, "Resource " + arn + " does not exist."});
}

void Engine::list_tags_for_resource(const Caller& caller, const std::string& arn,
                                    Reply<StringMap> reply) {
  default_bus(caller);
  for (const auto& [key, b] : buses_) {
    if (b.arn == arn) return reply(b.tags);
    for (const auto& [name, r] : b.rules)
      if (r.arn == arn) return reply(r.tags);
  }
  reply(Error{ErrorCode::kEventsResourceNotFound, "Resource " + arn + " does not exist."});
}

std::unique_ptr<EventBridge> make_event_bridge(Env env) {
  return std::make_unique<Engine>(std::move(env));
}

}  // namespace wyvern::bus
