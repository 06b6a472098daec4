// Step Functions actions: JSON request in, JSON response out (timestamps as epoch seconds,
// members without a value left out, as AWS's JSON protocol does).
#include "sfn_api.h"

#include <initializer_list>
#include <string>
#include <string_view>

namespace wyvern::server::sfn {
namespace {

using stepfn::Execution;
using stepfn::StepFunctions;

constexpr size_t kMaxName = 80;  // the model's limit on every resource name

double seconds(TimeMs ms) {
  return static_cast<double>(ms) / 1000.0;
}

// Reads request members, remembering the first problem (AWS answers ValidationException).
class Input {
 public:
  explicit Input(const json& j) : j_(j) {}
  std::optional<Error> error;

  std::optional<std::string> str(const char* name) {
    if (!j_.contains(name) || j_[name].is_null()) return std::nullopt;
    if (!j_[name].is_string()) {
      bad(name, "must be a string");
      return std::nullopt;
    }
    return j_[name].get<std::string>();
  }
  std::string required(const char* name) {
    auto v = str(name);
    if (!v && !error)
      error = Error{ErrorCode::kSfnValidation,
                    std::string("1 validation error detected: Value null at '") + name +
                        "' failed to satisfy constraint: Member must not be null"};
    return v.value_or("");
  }
  std::optional<int> integer(const char* name) {
    if (!j_.contains(name) || j_[name].is_null()) return std::nullopt;
    if (!j_[name].is_number_integer()) {
      bad(name, "must be an integer");
      return std::nullopt;
    }
    return j_[name].get<int>();
  }
  bool boolean(const char* name, bool fallback) {
    if (!j_.contains(name) || j_[name].is_null()) return fallback;
    if (!j_[name].is_boolean()) {
      bad(name, "must be a boolean");
      return fallback;
    }
    return j_[name].get<bool>();
  }
  std::map<std::string, std::string> tags(const char* name) {
    std::map<std::string, std::string> out;
    if (!j_.contains(name)) return out;
    if (!j_[name].is_array()) {
      bad(name, "must be a list");
      return out;
    }
    for (const auto& t : j_[name]) {
      if (!t.is_object() || !t.contains("key") || !t["key"].is_string() ||
          (t.contains("value") && !t["value"].is_string())) {
        bad(name, "must be a list of {key, value} strings");
        return {};
      }
      out[t["key"].get<std::string>()] = t.contains("value") ? t["value"].get<std::string>() : "";
    }
    return out;
  }
  std::vector<std::string> strings(const char* name) {
    std::vector<std::string> out;
    if (!j_.contains(name) || !j_[name].is_array()) return out;
    for (const auto& s : j_[name])
      if (s.is_string()) out.push_back(s);
    return out;
  }
  stepfn::ListRequest paging() { return {integer("maxResults"), str("nextToken")}; }

  // Execution data members: at most 262,144 bytes, as AWS's model constrains them.
  std::optional<std::string> payload(const char* name) {
    auto v = str(name);
    if (v && v->size() > 262144 && !error)
      error = Error{ErrorCode::kSfnValidation,
                    std::string("1 validation error detected: Value at '") + name +
                        "' failed to satisfy constraint: Member must have length less than or "
                        "equal to 262144"};
    return v;
  }

  // The model's length constraint on a string member, in characters, checked as AWS checks
  // it: before the service looks at the request.
  void length(const char* name, const std::optional<std::string>& v, size_t min, size_t max) {
    if (!v || error) return;
    size_t chars = 0;
    for (unsigned char c : *v) chars += (c & 0xC0) != 0x80;
    if (chars < min || chars > max)
      error = Error{ErrorCode::kSfnValidation,
                    "1 validation error detected: Value '" + *v + "' at '" + name +
                        "' failed to satisfy constraint: Member must have length " +
                        (chars < min ? "greater than or equal to " + std::to_string(min)
                                     : "less than or equal to " + std::to_string(max))};
  }
  // The model's enumeration of a string member's values.
  void one_of(const char* name, const std::optional<std::string>& v,
              std::initializer_list<std::string_view> values) {
    if (!v || error) return;
    std::string set;
    for (auto value : values) {
      if (*v == value) return;
      set += (set.empty() ? "" : ", ") + std::string(value);
    }
    error = Error{ErrorCode::kSfnValidation,
                  "1 validation error detected: Value '" + *v + "' at '" + name +
                      "' failed to satisfy constraint: Member must satisfy enum value set: [" +
                      set + "]"};
  }

 private:
  void bad(const char* name, const char* why) {
    if (!error)
      error = Error{ErrorCode::kSerialization, std::string("Value for member ") + name + " " + why};
  }
  const json& j_;
};

#define REQUIRE_OK(in)                        \
  do {                                        \
    if ((in).error) return done(*(in).error); \
  } while (0)

template <typename T, typename F>
stepfn::Reply<T> reply_with(Done done, F f) {
  return [done = std::move(done), f = std::move(f)](const Result<T>& r) {
    if (!r.ok()) return done(r.error());
    done(f(r.value()));
  };
}

// Actions whose answer is an empty object.
stepfn::Reply<Ok> empty_reply(Done done) {
  return reply_with<Ok>(std::move(done), [](const Ok&) { return json::object(); });
}

json execution_json(const Execution& e, bool full) {
  json out = {{"executionArn", e.arn},
              {"stateMachineArn", e.state_machine_arn},
              {"name", e.name},
              {"status", e.status},
              {"startDate", seconds(e.started_at)}};
  if (e.stopped_at) out["stopDate"] = seconds(*e.stopped_at);
  if (!full) return out;
  out["input"] = e.input;
  out["inputDetails"] = {{"included", true}};
  if (e.output) {
    out["output"] = *e.output;
    out["outputDetails"] = {{"included", true}};
  }
  if (e.error) out["error"] = *e.error;
  if (e.cause) out["cause"] = *e.cause;
  return out;
}

// The members a list item and a description share about versions, aliases and redrives.
void add_qualifiers(json& out, const Execution& e) {
  if (e.version_arn) out["stateMachineVersionArn"] = *e.version_arn;
  if (e.alias_arn) out["stateMachineAliasArn"] = *e.alias_arn;
  if (e.map_run_arn) out["mapRunArn"] = *e.map_run_arn;
  out["redriveCount"] = e.redrive_count;
  if (e.redrive_date) out["redriveDate"] = seconds(*e.redrive_date);
}

template <typename T, typename F>
json page_json(const stepfn::Page<T>& page, const char* member, F item) {
  json out = {{member, json::array()}};
  for (const auto& t : page.items) out[member].push_back(item(t));
  if (page.next_token) out["nextToken"] = *page.next_token;
  return out;
}

void create_state_machine(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  stepfn::CreateStateMachineRequest r;
  r.name = in.required("name");
  in.length("name", r.name, 1, kMaxName);
  r.definition = in.required("definition");
  r.role_arn = in.required("roleArn");
  r.type = in.str("type");
  r.tags = in.tags("tags");
  r.publish = in.boolean("publish", false);
  r.version_description = in.str("versionDescription");
  REQUIRE_OK(in);
  sfn.create_state_machine(
      caller, std::move(r), reply_with<stepfn::StateMachine>(std::move(done), [](const auto& m) {
        json out = {{"stateMachineArn", m.arn}, {"creationDate", seconds(m.created_at)}};
        if (m.published_version_arn) out["stateMachineVersionArn"] = *m.published_version_arn;
        return out;
      }));
}

void update_state_machine(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  stepfn::UpdateStateMachineRequest r;
  r.arn = in.required("stateMachineArn");
  r.definition = in.str("definition");
  r.role_arn = in.str("roleArn");
  r.publish = in.boolean("publish", false);
  r.version_description = in.str("versionDescription");
  REQUIRE_OK(in);
  sfn.update_state_machine(
      caller, std::move(r),
      reply_with<stepfn::StateMachineUpdate>(std::move(done), [](const auto& u) {
        json out = {{"updateDate", seconds(u.updated_at)}, {"revisionId", u.revision_id}};
        if (u.version_arn) out["stateMachineVersionArn"] = *u.version_arn;
        return out;
      }));
}

void delete_state_machine(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto arn = in.required("stateMachineArn");
  REQUIRE_OK(in);
  sfn.delete_state_machine(caller, arn, empty_reply(std::move(done)));
}

json machine_json(const stepfn::StateMachine& m) {
  json out = {{"stateMachineArn", m.arn},
              {"name", m.name},
              {"status", m.status},
              {"definition", m.definition},
              {"roleArn", m.role_arn},
              {"type", m.type},
              {"creationDate", seconds(m.created_at)},
              {"loggingConfiguration", {{"level", "OFF"}, {"includeExecutionData", false}}},
              {"tracingConfiguration", {{"enabled", false}}}};
  if (!m.revision_id.empty()) out["revisionId"] = m.revision_id;
  if (!m.description.empty()) out["description"] = m.description;
  if (!m.variable_references.empty()) out["variableReferences"] = m.variable_references;
  return out;
}

void describe_state_machine(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto arn = in.required("stateMachineArn");
  REQUIRE_OK(in);
  sfn.describe_state_machine(caller, arn,
                             reply_with<stepfn::StateMachine>(std::move(done), machine_json));
}

void describe_state_machine_for_execution(StepFunctions& sfn, const Caller& caller, const json& j,
                                          Done done) {
  Input in(j);
  auto arn = in.required("executionArn");
  REQUIRE_OK(in);
  sfn.describe_state_machine_for_execution(
      caller, arn, reply_with<stepfn::StateMachine>(std::move(done), [](const auto& m) {
        json out = {{"stateMachineArn", m.arn},
                    {"name", m.name},
                    {"definition", m.definition},
                    {"roleArn", m.role_arn},
                    {"updateDate", seconds(m.created_at)}};
        if (!m.variable_references.empty()) out["variableReferences"] = m.variable_references;
        return out;
      }));
}

void list_state_machines(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto paging = in.paging();
  REQUIRE_OK(in);
  sfn.list_state_machines(
      caller, paging,
      reply_with<stepfn::Page<stepfn::StateMachine>>(std::move(done), [](const auto& page) {
        return page_json(page, "stateMachines", [](const stepfn::StateMachine& m) {
          return json{{"stateMachineArn", m.arn},
                      {"name", m.name},
                      {"type", m.type},
                      {"creationDate", seconds(m.created_at)}};
        });
      }));
}

void validate_state_machine_definition(StepFunctions&, const Caller&, const json& j, Done done) {
  Input in(j);
  auto definition = in.required("definition");
  auto type = in.str("type").value_or("STANDARD");
  REQUIRE_OK(in);
  if (type != "STANDARD" && type != "EXPRESS")
    return done(Error{ErrorCode::kSfnValidation,
                      "1 validation error detected: Value '" + type +
                          "' at 'type' failed to satisfy constraint: Member must satisfy enum "
                          "value set: [STANDARD, EXPRESS]"});
  auto diagnostics = stepfn::validate_definition(definition, type);
  json out = {{"result", diagnostics.empty() ? "OK" : "FAIL"},
              {"diagnostics", json::array()},
              {"truncated", false}};
  for (const auto& d : diagnostics)
    out["diagnostics"].push_back({{"severity", "ERROR"},
                                  {"code", d.code},
                                  {"message", d.message},
                                  {"location", d.location}});
  done(std::move(out));
}

void start_execution(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto arn = in.required("stateMachineArn");
  auto name = in.str("name");
  in.length("name", name, 1, kMaxName);
  auto input = in.payload("input");
  REQUIRE_OK(in);
  sfn.start_execution(caller, arn, name, input,
                      reply_with<Execution>(std::move(done), [](const Execution& e) {
                        return json{{"executionArn", e.arn}, {"startDate", seconds(e.started_at)}};
                      }));
}

void start_sync_execution(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto arn = in.required("stateMachineArn");
  auto name = in.str("name");
  in.length("name", name, 1, kMaxName);
  auto input = in.payload("input");
  REQUIRE_OK(in);
  sfn.start_sync_execution(
      caller, arn, name, input, reply_with<Execution>(std::move(done), [](const Execution& e) {
        json out = execution_json(e, true);
        TimeMs billed = e.stopped_at.value_or(e.started_at) - e.started_at;
        out["billingDetails"] = {{"billedMemoryUsedInMB", 64},
                                 {"billedDurationInMilliseconds", std::max<TimeMs>(100, billed)}};
        return out;
      }));
}

void stop_execution(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto arn = in.required("executionArn");
  auto error = in.str("error");
  auto cause = in.str("cause");
  REQUIRE_OK(in);
  sfn.stop_execution(caller, arn, error, cause, reply_with<TimeMs>(std::move(done), [](TimeMs at) {
                       return json{{"stopDate", seconds(at)}};
                     }));
}

void describe_execution(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto arn = in.required("executionArn");
  REQUIRE_OK(in);
  sfn.describe_execution(caller, arn,
                         reply_with<Execution>(std::move(done), [](const Execution& e) {
                           json out = execution_json(e, true);
                           add_qualifiers(out, e);
                           out["redriveStatus"] = e.redrive_status;
                           if (e.redrive_status_reason)
                             out["redriveStatusReason"] = *e.redrive_status_reason;
                           return out;
                         }));
}

void redrive_execution(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto arn = in.required("executionArn");
  in.str("clientToken");  // checked for type; a local broker needs no retry token
  REQUIRE_OK(in);
  sfn.redrive_execution(caller, arn, reply_with<TimeMs>(std::move(done), [](TimeMs at) {
                          return json{{"redriveDate", seconds(at)}};
                        }));
}

void list_executions(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto map_run = in.str("mapRunArn");
  // One of the two: a state machine (or version, or alias), or a distributed Map's run.
  auto arn = map_run ? in.str("stateMachineArn").value_or("") : in.required("stateMachineArn");
  auto status = in.str("statusFilter");
  in.one_of("statusFilter", status,
            {"RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE"});
  auto redrive = in.str("redriveFilter");
  auto paging = in.paging();
  REQUIRE_OK(in);
  sfn.list_executions(caller, arn, map_run, status, redrive, paging,
                      reply_with<stepfn::Page<Execution>>(std::move(done), [](const auto& page) {
                        return page_json(page, "executions", [](const Execution& e) {
                          json out = execution_json(e, false);
                          add_qualifiers(out, e);
                          return out;
                        });
                      }));
}

void get_execution_history(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto arn = in.required("executionArn");
  bool reverse = in.boolean("reverseOrder", false);
  bool include = in.boolean("includeExecutionData", true);
  auto paging = in.paging();
  REQUIRE_OK(in);
  sfn.get_execution_history(
      caller, arn, reverse, include, paging,
      reply_with<stepfn::Page<stepfn::HistoryEvent>>(std::move(done), [](const auto& page) {
        return page_json(page, "events", [](const stepfn::HistoryEvent& e) {
          json out = {{"timestamp", seconds(e.timestamp)},
                      {"type", e.type},
                      {"id", e.id},
                      {"previousEventId", e.previous_id}};
          if (!e.details_key.empty()) out[e.details_key] = e.details;
          return out;
        });
      }));
}

void tag_resource(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto arn = in.required("resourceArn");
  auto tags = in.tags("tags");
  REQUIRE_OK(in);
  sfn.tag_resource(caller, arn, tags, empty_reply(std::move(done)));
}

void untag_resource(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto arn = in.required("resourceArn");
  auto keys = in.strings("tagKeys");
  REQUIRE_OK(in);
  sfn.untag_resource(caller, arn, keys, empty_reply(std::move(done)));
}

void list_tags_for_resource(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto arn = in.required("resourceArn");
  REQUIRE_OK(in);
  sfn.list_tags_for_resource(
      caller, arn,
      reply_with<std::map<std::string, std::string>>(std::move(done), [](const auto& tags) {
        json out = {{"tags", json::array()}};
        for (const auto& [k, v] : tags) out["tags"].push_back({{"key", k}, {"value", v}});
        return out;
      }));
}

json activity_json(const stepfn::Activity& a) {
  return {{"activityArn", a.arn}, {"name", a.name}, {"creationDate", seconds(a.created_at)}};
}

void create_activity(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto name = in.required("name");
  in.length("name", name, 1, kMaxName);
  REQUIRE_OK(in);
  sfn.create_activity(
      caller, name, reply_with<stepfn::Activity>(std::move(done), [](const auto& a) {
        return json{{"activityArn", a.arn}, {"creationDate", seconds(a.created_at)}};
      }));
}

void delete_activity(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto arn = in.required("activityArn");
  REQUIRE_OK(in);
  sfn.delete_activity(caller, arn, empty_reply(std::move(done)));
}

void describe_activity(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto arn = in.required("activityArn");
  REQUIRE_OK(in);
  sfn.describe_activity(caller, arn, reply_with<stepfn::Activity>(std::move(done), activity_json));
}

void list_activities(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto paging = in.paging();
  REQUIRE_OK(in);
  sfn.list_activities(
      caller, paging,
      reply_with<stepfn::Page<stepfn::Activity>>(std::move(done), [](const auto& page) {
        return page_json(page, "activities", activity_json);
      }));
}

void get_activity_task(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto arn = in.required("activityArn");
  auto worker = in.str("workerName");
  REQUIRE_OK(in);
  sfn.get_activity_task(caller, arn, worker,
                        reply_with<stepfn::ActivityTask>(std::move(done), [](const auto& task) {
                          json out = json::object();
                          if (task.token) out["taskToken"] = *task.token;
                          if (task.input) out["input"] = *task.input;
                          return out;
                        }));
}

void send_task_success(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto token = in.required("taskToken");
  in.length("taskToken", token, 1, std::string::npos);
  auto output = in.required("output");
  in.payload("output");
  REQUIRE_OK(in);
  sfn.send_task_success(caller, token, output, empty_reply(std::move(done)));
}

void send_task_failure(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto token = in.required("taskToken");
  in.length("taskToken", token, 1, std::string::npos);
  auto error = in.str("error");
  auto cause = in.str("cause");
  REQUIRE_OK(in);
  sfn.send_task_failure(caller, token, error, cause, empty_reply(std::move(done)));
}

void send_task_heartbeat(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  auto token = in.required("taskToken");
  in.length("taskToken", token, 1, std::string::npos);
  REQUIRE_OK(in);
  sfn.send_task_heartbeat(caller, token, empty_reply(std::move(done)));
}

void publish_state_machine_version(StepFunctions& sfn, const Caller& caller, const json& j,
                                   Done done) {
  Input in(j);
  auto arn = in.required("stateMachineArn");
  auto revision = in.str("revisionId");
  auto description = in.str("description");
  REQUIRE_OK(in);
  sfn.publish_state_machine_version(
      caller, arn, revision, description,
      reply_with<stepfn::VersionRef>(std::move(done), [](const auto& v) {
        return json{{"stateMachineVersionArn", v.arn}, {"creationDate", seconds(v.created_at)}};
      }));
}

void list_state_machine_versions(StepFunctions& sfn, const Caller& caller, const json& j,
                                 Done done) {
  Input in(j);
  auto arn = in.required("stateMachineArn");
  auto paging = in.paging();
  REQUIRE_OK(in);
  sfn.list_state_machine_versions(
      caller, arn, paging,
      reply_with<stepfn::Page<stepfn::VersionRef>>(std::move(done), [](const auto& page) {
        return page_json(page, "stateMachineVersions", [](const stepfn::VersionRef& v) {
          return json{{"stateMachineVersionArn", v.arn}, {"creationDate", seconds(v.created_at)}};
        });
      }));
}

void delete_state_machine_version(StepFunctions& sfn, const Caller& caller, const json& j,
                                  Done done) {
  Input in(j);
  auto arn = in.required("stateMachineVersionArn");
  REQUIRE_OK(in);
  sfn.delete_state_machine_version(caller, arn, empty_reply(std::move(done)));
}

// routingConfiguration: [{stateMachineVersionArn, weight}]; nullopt when absent.
std::optional<std::vector<stepfn::RoutingEntry>> routing_of(const json& j,
                                                            std::optional<Error>* error) {
  if (!j.contains("routingConfiguration") || j["routingConfiguration"].is_null())
    return std::nullopt;
  std::vector<stepfn::RoutingEntry> out;
  const json& list = j["routingConfiguration"];
  bool ok = list.is_array();
  for (const auto& e : ok ? list : json::array()) {
    if (!e.is_object() || !e.contains("stateMachineVersionArn") ||
        !e["stateMachineVersionArn"].is_string() || !e.contains("weight") ||
        !e["weight"].is_number_integer()) {
      ok = false;
      break;
    }
    out.push_back({e["stateMachineVersionArn"].get<std::string>(), e["weight"].get<int>()});
  }
  if (!ok && !*error)
    *error = Error{ErrorCode::kSerialization,
                   "Value for member routingConfiguration must be a list of "
                   "{stateMachineVersionArn, weight}"};
  return out;
}

json alias_json(const stepfn::StateMachineAlias& a) {
  json routing = json::array();
  for (const auto& e : a.routing)
    routing.push_back({{"stateMachineVersionArn", e.version_arn}, {"weight", e.weight}});
  json out = {{"stateMachineAliasArn", a.arn},
              {"name", a.name},
              {"routingConfiguration", routing},
              {"creationDate", seconds(a.created_at)},
              {"updateDate", seconds(a.updated_at)}};
  if (!a.description.empty()) out["description"] = a.description;
  return out;
}

void create_state_machine_alias(StepFunctions& sfn, const Caller& caller, const json& j,
                                Done done) {
  Input in(j);
  auto name = in.required("name");
  in.length("name", name, 1, kMaxName);
  auto description = in.str("description");
  auto routing = routing_of(j, &in.error);
  if (!routing && !in.error)
    in.error = Error{ErrorCode::kSfnValidation,
                     "1 validation error detected: Value null at 'routingConfiguration' failed "
                     "to satisfy constraint: Member must not be null"};
  REQUIRE_OK(in);
  sfn.create_state_machine_alias(
      caller, name, description, std::move(*routing),
      reply_with<stepfn::StateMachineAlias>(std::move(done), [](const auto& a) {
        return json{{"stateMachineAliasArn", a.arn}, {"creationDate", seconds(a.created_at)}};
      }));
}

void update_state_machine_alias(StepFunctions& sfn, const Caller& caller, const json& j,
                                Done done) {
  Input in(j);
  auto arn = in.required("stateMachineAliasArn");
  auto description = in.str("description");
  auto routing = routing_of(j, &in.error);
  REQUIRE_OK(in);
  sfn.update_state_machine_alias(caller, arn, description, std::move(routing),
                                 reply_with<TimeMs>(std::move(done), [](TimeMs at) {
                                   return json{{"updateDate", seconds(at)}};
                                 }));
}

void delete_state_machine_alias(StepFunctions& sfn, const Caller& caller, const json& j,
                                Done done) {
  Input in(j);
  auto arn = in.required("stateMachineAliasArn");
  REQUIRE_OK(in);
  sfn.delete_state_machine_alias(caller, arn, empty_reply(std::move(done)));
}

void describe_state_machine_alias(StepFunctions& sfn, const Caller& caller, const json& j,
                                  Done done) {
  Input in(j);
  auto arn = in.required("stateMachineAliasArn");
  REQUIRE_OK(in);
  sfn.describe_state_machine_alias(
      caller, arn, reply_with<stepfn::StateMachineAlias>(std::move(done), alias_json));
}

void list_state_machine_aliases(StepFunctions& sfn, const Caller& caller, const json& j,
                                Done done) {
  Input in(j);
  auto arn = in.required("stateMachineArn");
  auto paging = in.paging();
  REQUIRE_OK(in);
  sfn.list_state_machine_aliases(
      caller, arn, paging,
      reply_with<stepfn::Page<stepfn::StateMachineAlias>>(std::move(done), [](const auto& page) {
        return page_json(page, "stateMachineAliases", [](const stepfn::StateMachineAlias& a) {
          return json{{"stateMachineAliasArn", a.arn}, {"creationDate", seconds(a.created_at)}};
        });
      }));
}

void test_state(StepFunctions& sfn, const Caller& caller, const json& j, Done done) {
  Input in(j);
  stepfn::TestStateRequest r;
  r.definition = in.required("definition");
  in.str("roleArn");  // no role is assumed locally
  r.input = in.str("input");
  r.inspection_level = in.str("inspectionLevel").value_or("INFO");
  r.state_name = in.str("stateName");
  r.context = in.str("context");
  r.variables = in.str("variables");
  if (j.contains("mock") && j["mock"].is_object()) {
    const json& mock = j["mock"];
    if (mock.contains("result") && mock["result"].is_string())
      r.mock_result = mock["result"].get<std::string>();
    if (mock.contains("errorOutput") && mock["errorOutput"].is_object())
      r.mock_error = stepfn::TestStateRequest::MockError{mock["errorOutput"].value("error", ""),
                                                         mock["errorOutput"].value("cause", "")};
  }
  if (j.contains("stateConfiguration") && j["stateConfiguration"].is_object())
    r.retrier_retry_count = j["stateConfiguration"].value("retrierRetryCount", 0);
  REQUIRE_OK(in);
  sfn.test_state(caller, std::move(r),
                 reply_with<stepfn::TestStateResult>(std::move(done), [](const auto& t) {
                   json out = {{"status", t.status}};
                   if (t.output) out["output"] = *t.output;
                   if (t.error) out["error"] = *t.error;
                   if (t.cause) out["cause"] = *t.cause;
                   if (t.next_state) out["nextState"] = *t.next_state;
                   if (!t.inspection.empty()) out["inspectionData"] = t.inspection;
                   return out;
                 }));
}

constexpr Action kActions[] = {
    {"CreateActivity", create_activity},
    {"DeleteActivity", delete_activity},
    {"DescribeActivity", describe_activity},
    {"GetActivityTask", get_activity_task},
    {"ListActivities", list_activities},
    {"SendTaskFailure", send_task_failure},
    {"SendTaskHeartbeat", send_task_heartbeat},
    {"SendTaskSuccess", send_task_success},
    {"CreateStateMachine", create_state_machine},
    {"CreateStateMachineAlias", create_state_machine_alias},
    {"DeleteStateMachine", delete_state_machine},
    {"DeleteStateMachineAlias", delete_state_machine_alias},
    {"DeleteStateMachineVersion", delete_state_machine_version},
    {"DescribeExecution", describe_execution},
    {"DescribeStateMachine", describe_state_machine},
    {"DescribeStateMachineAlias", describe_state_machine_alias},
    {"DescribeStateMachineForExecution", describe_state_machine_for_execution},
    {"GetExecutionHistory", get_execution_history},
    {"ListExecutions", list_executions},
    {"ListStateMachineAliases", list_state_machine_aliases},
    {"ListStateMachineVersions", list_state_machine_versions},
    {"ListStateMachines", list_state_machines},
    {"ListTagsForResource", list_tags_for_resource},
    {"PublishStateMachineVersion", publish_state_machine_version},
    {"RedriveExecution", redrive_execution},
    {"StartExecution", start_execution},
    {"StartSyncExecution", start_sync_execution},
    {"StopExecution", stop_execution},
    {"TagResource", tag_resource},
    {"TestState", test_state},
    {"UntagResource", untag_resource},
    {"UpdateStateMachine", update_state_machine},
    {"UpdateStateMachineAlias", update_state_machine_alias},
    {"ValidateStateMachineDefinition", validate_state_machine_definition},
};

// Step Functions actions Wyvern does not serve yet: they answer NotImplemented (and the
// README's coverage table lists them), never a fake success.
constexpr std::string_view kNotYet[] = {"DescribeMapRun", "ListMapRuns", "UpdateMapRun"};

void not_yet(StepFunctions&, const Caller&, const json&, Done done) {
  done(Error{ErrorCode::kNotImplemented, "Wyvern does not implement this action yet."});
}

constexpr Action kNotYetAction{"", not_yet};

}  // namespace

const Action* find_action(std::string_view name) {
  for (const auto& a : kActions)
    if (a.name == name) return &a;
  for (auto n : kNotYet)
    if (n == name) return &kNotYetAction;
  return nullptr;
}

}  // namespace wyvern::server::sfn
