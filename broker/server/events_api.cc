// EventBridge actions: JSON request in, JSON response out (timestamps as epoch seconds, members
// without a value left out, as AWS's JSON protocol does).
#include "events_api.h"

#include <string>

namespace wyvern::server::events {
namespace {

using bus::EventBridge;

double seconds(TimeMs ms) {
  return static_cast<double>(ms) / 1000.0;
}

Error null_member(const std::string& name) {
  return Error{ErrorCode::kEventsValidation,
               "1 validation error detected: Value null at '" + name +
                   "' failed to satisfy constraint: Member must not be null"};
}

// The request's members, read leniently: a member of the wrong JSON type reads as absent, so
// the action's own validation reports it.
std::optional<std::string> str(const json& in, const char* name) {
  if (in.contains(name) && in[name].is_string()) return in[name].get<std::string>();
  return std::nullopt;
}
std::optional<int> integer(const json& in, const char* name) {
  if (in.contains(name) && in[name].is_number_integer()) return in[name].get<int>();
  return std::nullopt;
}
bool flag(const json& in, const char* name) {
  return in.contains(name) && in[name].is_boolean() && in[name].get<bool>();
}
std::vector<std::string> strings(const json& in, const char* name) {
  std::vector<std::string> out;
  if (in.contains(name) && in[name].is_array())
    for (const auto& s : in[name])
      if (s.is_string()) out.push_back(s);
  return out;
}
bus::StringMap tags(const json& in, const char* name) {
  bus::StringMap out;
  if (in.contains(name) && in[name].is_array())
    for (const auto& t : in[name])
      if (t.is_object() && t.contains("Key") && t["Key"].is_string())
        out[t["Key"].get<std::string>()] = str(t, "Value").value_or("");
  return out;
}

template <typename T, typename F>
bus::Reply<T> reply_with(Done done, F render) {
  return [done = std::move(done), render = std::move(render)](const Result<T>& r) {
    if (!r.ok()) return done(r.error());
    done(render(r.value()));
  };
}

bus::Reply<Ok> empty_reply(Done done) {
  return reply_with<Ok>(std::move(done), [](const Ok&) { return json::object(); });
}

json bus_json(const bus::EventBusInfo& b) {
  json out = {{"Name", b.name},
              {"Arn", b.arn},
              {"CreationTime", seconds(b.created_at)},
              {"LastModifiedTime", seconds(b.modified_at)}};
  if (!b.description.empty()) out["Description"] = b.description;
  if (!b.policy.empty()) out["Policy"] = b.policy;
  return out;
}

// A rule as ListRules shows it; DescribeRule adds CreatedBy.
json rule_json(const bus::RuleInfo& r) {
  json out = {
      {"Name", r.name}, {"Arn", r.arn}, {"State", r.state}, {"EventBusName", r.event_bus_name}};
  if (r.event_pattern) out["EventPattern"] = *r.event_pattern;
  if (r.schedule_expression) out["ScheduleExpression"] = *r.schedule_expression;
  if (r.description) out["Description"] = *r.description;
  if (r.role_arn) out["RoleArn"] = *r.role_arn;
  if (r.managed_by) out["ManagedBy"] = *r.managed_by;
  return out;
}

json failures_json(const std::vector<bus::TargetFailure>& failed) {
  json entries = json::array();
  for (const auto& f : failed)
    entries.push_back({{"TargetId", f.target_id},
                       {"ErrorCode", f.error_code},
                       {"ErrorMessage", f.error_message}});
  return {{"FailedEntryCount", failed.size()}, {"FailedEntries", entries}};
}

template <typename T>
json page_json(const bus::Page<T>& page, const char* member, json items) {
  json out = {{member, std::move(items)}};
  if (page.next_token) out["NextToken"] = *page.next_token;
  return out;
}

// --- Event buses ------------------------------------------------------------------------------

void create_event_bus(EventBridge& e, const Caller& c, const json& in, Done done) {
  auto name = str(in, "Name");
  if (!name) return done(null_member("name"));
  e.create_event_bus(c, *name, str(in, "Description"), tags(in, "Tags"),
                     reply_with<std::string>(std::move(done), [](const std::string& arn) {
                       return json{{"EventBusArn", arn}};
                     }));
}

void update_event_bus(EventBridge& e, const Caller& c, const json& in, Done done) {
  e.update_event_bus(c, str(in, "Name").value_or("default"), str(in, "Description"),
                     reply_with<bus::EventBusInfo>(std::move(done), [](const bus::EventBusInfo& b) {
                       json out = {{"Arn", b.arn}, {"Name", b.name}};
                       if (!b.description.empty()) out["Description"] = b.description;
                       return out;
                     }));
}

void delete_event_bus(EventBridge& e, const Caller& c, const json& in, Done done) {
  auto name = str(in, "Name");
  if (!name) return done(null_member("name"));
  e.delete_event_bus(c, *name, empty_reply(std::move(done)));
}

void describe_event_bus(EventBridge& e, const Caller& c, const json& in, Done done) {
  e.describe_event_bus(c, str(in, "Name"),
                       reply_with<bus::EventBusInfo>(std::move(done), bus_json));
}

void list_event_buses(EventBridge& e, const Caller& c, const json& in, Done done) {
  e.list_event_buses(c, str(in, "NamePrefix"), integer(in, "Limit"), str(in, "NextToken"),
                     reply_with<bus::Page<bus::EventBusInfo>>(
                         std::move(done), [](const bus::Page<bus::EventBusInfo>& page) {
                           json items = json::array();
                           for (const auto& b : page.items) items.push_back(bus_json(b));
                           return page_json(page, "EventBuses", std::move(items));
                         }));
}

// --- Rules ----------------------------------------------------------------------------------

void put_rule(EventBridge& e, const Caller& c, const json& in, Done done) {
  bus::PutRuleRequest r;
  auto name = str(in, "Name");
  if (!name) return done(null_member("name"));
  r.name = *name;
  r.event_bus_name = str(in, "EventBusName");
  r.event_pattern = str(in, "EventPattern");
  r.schedule_expression = str(in, "ScheduleExpression");
  r.state = str(in, "State");
  r.description = str(in, "Description");
  r.role_arn = str(in, "RoleArn");
  r.tags = tags(in, "Tags");
  e.put_rule(c, std::move(r), reply_with<std::string>(std::move(done), [](const std::string& arn) {
               return json{{"RuleArn", arn}};
             }));
}

void describe_rule(EventBridge& e, const Caller& c, const json& in, Done done) {
  auto name = str(in, "Name");
  if (!name) return done(null_member("name"));
  e.describe_rule(c, *name, str(in, "EventBusName"),
                  reply_with<bus::RuleInfo>(std::move(done), [](const bus::RuleInfo& r) {
                    json out = rule_json(r);
                    out["CreatedBy"] = r.created_by;
                    return out;
                  }));
}

void list_rules(EventBridge& e, const Caller& c, const json& in, Done done) {
  e.list_rules(c, str(in, "NamePrefix"), str(in, "EventBusName"), integer(in, "Limit"),
               str(in, "NextToken"),
               reply_with<bus::Page<bus::RuleInfo>>(
                   std::move(done), [](const bus::Page<bus::RuleInfo>& page) {
                     json items = json::array();
                     for (const auto& r : page.items) items.push_back(rule_json(r));
                     return page_json(page, "Rules", std::move(items));
                   }));
}

void delete_rule(EventBridge& e, const Caller& c, const json& in, Done done) {
  auto name = str(in, "Name");
  if (!name) return done(null_member("name"));
  e.delete_rule(c, *name, str(in, "EventBusName"), flag(in, "Force"), empty_reply(std::move(done)));
}

void enable_rule(EventBridge& e, const Caller& c, const json& in, Done done) {
  auto name = str(in, "Name");
  if (!name) return done(null_member("name"));
  e.set_rule_state(c, *name, str(in, "EventBusName"), true, empty_reply(std::move(done)));
}

void disable_rule(EventBridge& e, const Caller& c, const json& in, Done done) {
  auto name = str(in, "Name");
  if (!name) return done(null_member("name"));
  e.set_rule_state(c, *name, str(in, "EventBusName"), false, empty_reply(std::move(done)));
}

// --- Targets ----------------------------------------------------------------------------------

void put_targets(EventBridge& e, const Caller& c, const json& in, Done done) {
  auto rule = str(in, "Rule");
  if (!rule) return done(null_member("rule"));
  if (!in.contains("Targets") || !in["Targets"].is_array()) return done(null_member("targets"));
  if (in["Targets"].empty() || in["Targets"].size() > 10)
    return done(Error{ErrorCode::kEventsValidation,
                      "1 validation error detected: Value at 'targets' failed to satisfy "
                      "constraint: Member must have length " +
                          std::string(in["Targets"].empty() ? "greater than or equal to 1"
                                                            : "less than or equal to 10")});
  std::vector<bus::Target> targets;
  for (const auto& t : in["Targets"]) {
    if (!t.is_object() || !t.contains("Id") || !t["Id"].is_string())
      return done(null_member("targets.member.id"));
    if (!t.contains("Arn") || !t["Arn"].is_string()) return done(null_member("targets.member.arn"));
    targets.push_back(t);
  }
  e.put_targets(c, *rule, str(in, "EventBusName"), std::move(targets),
                reply_with<std::vector<bus::TargetFailure>>(std::move(done), failures_json));
}

void remove_targets(EventBridge& e, const Caller& c, const json& in, Done done) {
  auto rule = str(in, "Rule");
  if (!rule) return done(null_member("rule"));
  if (!in.contains("Ids") || !in["Ids"].is_array()) return done(null_member("ids"));
  e.remove_targets(c, *rule, str(in, "EventBusName"), strings(in, "Ids"), flag(in, "Force"),
                   reply_with<std::vector<bus::TargetFailure>>(std::move(done), failures_json));
}

void list_targets_by_rule(EventBridge& e, const Caller& c, const json& in, Done done) {
  auto rule = str(in, "Rule");
  if (!rule) return done(null_member("rule"));
  e.list_targets_by_rule(
      c, *rule, str(in, "EventBusName"), integer(in, "Limit"), str(in, "NextToken"),
      reply_with<bus::Page<bus::Target>>(std::move(done), [](const bus::Page<bus::Target>& page) {
        return page_json(page, "Targets", json(page.items));
      }));
}

void list_rule_names_by_target(EventBridge& e, const Caller& c, const json& in, Done done) {
  auto arn = str(in, "TargetArn");
  if (!arn) return done(null_member("targetArn"));
  e.list_rule_names_by_target(
      c, *arn, str(in, "EventBusName"), integer(in, "Limit"), str(in, "NextToken"),
      reply_with<bus::Page<std::string>>(std::move(done), [](const bus::Page<std::string>& page) {
        return page_json(page, "RuleNames", json(page.items));
      }));
}

// --- Events -------------------------------------------------------------------------------------

void put_events(EventBridge& e, const Caller& c, const json& in, Done done) {
  if (!in.contains("Entries") || !in["Entries"].is_array()) return done(null_member("entries"));
  std::vector<bus::PutEventsEntry> entries;
  for (const auto& entry : in["Entries"]) {
    if (!entry.is_object())
      return done(Error{ErrorCode::kSerialization, "Each of Entries must be a structure."});
    bus::PutEventsEntry out;
    out.source = str(entry, "Source");
    out.detail_type = str(entry, "DetailType");
    out.detail = str(entry, "Detail");
    out.event_bus_name = str(entry, "EventBusName");
    out.trace_header = str(entry, "TraceHeader");
    out.resources = strings(entry, "Resources");
    if (entry.contains("Time") && entry["Time"].is_number()) out.time = entry["Time"].dump();
    entries.push_back(std::move(out));
  }
  e.put_events(c, std::move(entries),
               reply_with<bus::PutEventsResult>(std::move(done), [](const bus::PutEventsResult& r) {
                 json entries = json::array();
                 for (const auto& entry : r.entries) {
                   json one = json::object();
                   if (entry.event_id) one["EventId"] = *entry.event_id;
                   if (entry.error_code) one["ErrorCode"] = *entry.error_code;
                   if (entry.error_message) one["ErrorMessage"] = *entry.error_message;
                   entries.push_back(std::move(one));
                 }
                 return json{{"FailedEntryCount", r.failed}, {"Entries", entries}};
               }));
}

void test_event_pattern(EventBridge& e, const Caller& c, const json& in, Done done) {
  auto pattern = str(in, "EventPattern");
  auto event = str(in, "Event");
  if (!pattern) return done(null_member("eventPattern"));
  if (!event) return done(null_member("event"));
  e.test_event_pattern(c, *pattern, *event, reply_with<bool>(std::move(done), [](const bool& r) {
                         return json{{"Result", r}};
                       }));
}

// --- Permissions and tags -----------------------------------------------------------------

void put_permission(EventBridge& e, const Caller& c, const json& in, Done done) {
  e.put_permission(c, str(in, "EventBusName"), in, empty_reply(std::move(done)));
}

void remove_permission(EventBridge& e, const Caller& c, const json& in, Done done) {
  e.remove_permission(c, str(in, "EventBusName"), str(in, "StatementId"),
                      flag(in, "RemoveAllPermissions"), empty_reply(std::move(done)));
}

void tag_resource(EventBridge& e, const Caller& c, const json& in, Done done) {
  auto arn = str(in, "ResourceARN");
  if (!arn) return done(null_member("resourceARN"));
  e.tag_resource(c, *arn, tags(in, "Tags"), empty_reply(std::move(done)));
}

void untag_resource(EventBridge& e, const Caller& c, const json& in, Done done) {
  auto arn = str(in, "ResourceARN");
  if (!arn) return done(null_member("resourceARN"));
  e.untag_resource(c, *arn, strings(in, "TagKeys"), empty_reply(std::move(done)));
}

void list_tags_for_resource(EventBridge& e, const Caller& c, const json& in, Done done) {
  auto arn = str(in, "ResourceARN");
  if (!arn) return done(null_member("resourceARN"));
  e.list_tags_for_resource(c, *arn,
                           reply_with<bus::StringMap>(std::move(done), [](const bus::StringMap& t) {
                             json list = json::array();
                             for (const auto& [k, v] : t)
                               list.push_back({{"Key", k}, {"Value", v}});
                             return json{{"Tags", list}};
                           }));
}

// Archives and replays: the engine reads and answers AWS's shapes itself.
#define PASS_THROUGH(fn)                                                                 \
  void fn(EventBridge& e, const Caller& c, const json& in, Done done) {                  \
    e.fn(c, in, reply_with<json>(std::move(done), [](const json& out) { return out; })); \
  }
PASS_THROUGH(create_archive)
PASS_THROUGH(describe_archive)
PASS_THROUGH(update_archive)
PASS_THROUGH(delete_archive)
PASS_THROUGH(list_archives)
PASS_THROUGH(start_replay)
PASS_THROUGH(describe_replay)
PASS_THROUGH(list_replays)
PASS_THROUGH(cancel_replay)
PASS_THROUGH(create_connection)
PASS_THROUGH(describe_connection)
PASS_THROUGH(update_connection)
PASS_THROUGH(delete_connection)
PASS_THROUGH(list_connections)
PASS_THROUGH(deauthorize_connection)
PASS_THROUGH(create_api_destination)
PASS_THROUGH(describe_api_destination)
PASS_THROUGH(update_api_destination)
PASS_THROUGH(delete_api_destination)
PASS_THROUGH(list_api_destinations)
#undef PASS_THROUGH

constexpr Action kActions[] = {
    {"CreateEventBus", create_event_bus},
    {"UpdateEventBus", update_event_bus},
    {"DeleteEventBus", delete_event_bus},
    {"DescribeEventBus", describe_event_bus},
    {"ListEventBuses", list_event_buses},
    {"PutRule", put_rule},
    {"DescribeRule", describe_rule},
    {"ListRules", list_rules},
    {"DeleteRule", delete_rule},
    {"EnableRule", enable_rule},
    {"DisableRule", disable_rule},
    {"PutTargets", put_targets},
    {"RemoveTargets", remove_targets},
    {"ListTargetsByRule", list_targets_by_rule},
    {"ListRuleNamesByTarget", list_rule_names_by_target},
    {"PutEvents", put_events},
    {"TestEventPattern", test_event_pattern},
    {"PutPermission", put_permission},
    {"RemovePermission", remove_permission},
    {"TagResource", tag_resource},
    {"UntagResource", untag_resource},
    {"ListTagsForResource", list_tags_for_resource},
    {"CreateArchive", create_archive},
    {"DescribeArchive", describe_archive},
    {"UpdateArchive", update_archive},
    {"DeleteArchive", delete_archive},
    {"ListArchives", list_archives},
    {"StartReplay", start_replay},
    {"DescribeReplay", describe_replay},
    {"ListReplays", list_replays},
    {"CancelReplay", cancel_replay},
    {"CreateConnection", create_connection},
    {"DescribeConnection", describe_connection},
    {"UpdateConnection", update_connection},
    {"DeleteConnection", delete_connection},
    {"ListConnections", list_connections},
    {"DeauthorizeConnection", deauthorize_connection},
    {"CreateApiDestination", create_api_destination},
    {"DescribeApiDestination", describe_api_destination},
    {"UpdateApiDestination", update_api_destination},
    {"DeleteApiDestination", delete_api_destination},
    {"ListApiDestinations", list_api_destinations},
    // Not served yet: global endpoints, partner event sources.
    {"CreateEndpoint", nullptr},
    {"DescribeEndpoint", nullptr},
    {"UpdateEndpoint", nullptr},
    {"DeleteEndpoint", nullptr},
    {"ListEndpoints", nullptr},
    {"ActivateEventSource", nullptr},
    {"DeactivateEventSource", nullptr},
    {"DescribeEventSource", nullptr},
    {"ListEventSources", nullptr},
    {"CreatePartnerEventSource", nullptr},
    {"DeletePartnerEventSource", nullptr},
    {"DescribePartnerEventSource", nullptr},
    {"ListPartnerEventSources", nullptr},
    {"ListPartnerEventSourceAccounts", nullptr},
    {"PutPartnerEvents", nullptr},
};

}  // namespace

const Action* find_action(std::string_view name) {
  for (const Action& a : kActions)
    if (a.name == name) return &a;
  return nullptr;
}

}  // namespace wyvern::server::events
