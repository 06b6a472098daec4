// Loading and applying the resources file. Loading checks the shape of every member, so that a
// misspelt key or a wrong type is reported with its place in the file before anything is made;
// applying runs one service call after another (each may add follow-up calls: an update when
// the resource exists but differs), and stops at the first refusal.
#include "resources.h"

#include <algorithm>
#include <deque>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "foundation/jsonpath.h"

namespace wyvern::server {
namespace {

using json = nlohmann::json;

constexpr char kAccount[] = "000000000000";
constexpr char kDefaultRole[] = "arn:aws:iam::000000000000:role/wyvern";

// "$.queues['orders.fifo'].Attributes": names that are not plain identifiers are quoted.
std::string member(const std::string& where, const std::string& name) {
  bool plain = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') plain = false;
  return plain ? where + "." + name : where + "['" + name + "']";
}
std::string index(const std::string& where, size_t i) {
  return where + "[" + std::to_string(i) + "]";
}

class Checker {
 public:
  explicit Checker(std::string file) : file_(std::move(file)) {}

  Error wrong(const std::string& where, const std::string& what) const {
    return Error{ErrorCode::kInvalidParameterValue, file_ + ": " + where + ": " + what};
  }

  // An object whose members are all in `allowed`.
  std::optional<Error> object(const json& v, const std::string& where,
                              const std::set<std::string>& allowed) const {
    if (!v.is_object()) return wrong(where, "must be an object");
    for (const auto& [key, _] : v.items())
      if (!allowed.count(key)) {
        std::string names;
        for (const auto& a : allowed) names += (names.empty() ? "" : ", ") + a;
        return wrong(member(where, key), "unknown member; expected one of " + names);
      }
    return std::nullopt;
  }

  std::optional<Error> type(const json& v, const std::string& where, json::value_t t,
                            const char* name) const {
    if (v.type() != t) return wrong(where, std::string("must be ") + name);
    return std::nullopt;
  }

 private:
  std::string file_;
};

std::optional<json> read_json(const std::string& path, std::string& problem) {
  std::ifstream in(path);
  if (!in) {
    problem = "cannot be read";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  try {
    return json::parse(text.str());
  } catch (const json::parse_error& e) {
    problem = std::string("is not JSON: ") + e.what();
    return std::nullopt;
  }
}

}  // namespace

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

namespace {

// Attribute values as the services take them: text. Objects (a RedrivePolicy, a FilterPolicy)
// are written as JSON, numbers and booleans as their text.
json as_text_values(const json& attributes) {
  json out = json::object();
  for (const auto& [k, v] : attributes.items())
    out[k] = v.is_string() ? v.get<std::string>() : v.is_boolean() ? (v.get<bool>() ? "true" : "false") : v.dump();
  return out;
}

}  // namespace

Result<Resources> load_resources(const std::string& path) {
  std::string problem;
  auto doc = read_json(path, problem);
  if (!doc) return Error{ErrorCode::kInvalidParameterValue, path + ": " + problem};
  return parse_resources(std::move(*doc), path, directory_of(path));
}

Result<Resources> parse_resources(json d, const std::string& path, const std::string& directory) {
  Checker check(path);
  Resources r;
  r.file = path;
  if (auto e = check.object(d, "$", {"region", "queues", "topics", "buses", "rules", "stateMachines",
                                     "functions", "mocks", "routes"}))
    return *e;
  if (d.contains("region")) {
    if (auto e = check.type(d["region"], "$.region", json::value_t::string, "a string")) return *e;
    r.region = d["region"];
  }
  if (d.contains("queues")) {
    if (!d["queues"].is_object()) return check.wrong("$.queues", "must be an object of queue names");
    for (auto& [name, q] : d["queues"].items()) {
      std::string at = member("$.queues", name);
      if (auto e = check.object(q, at, {"Attributes", "Tags"})) return *e;
      for (const char* m : {"Attributes", "Tags"})
        if (q.contains(m) && !q[m].is_object()) return check.wrong(member(at, m), "must be an object");
    }
  }
  if (d.contains("topics")) {
    if (!d["topics"].is_object()) return check.wrong("$.topics", "must be an object of topic names");
    for (auto& [name, t] : d["topics"].items()) {
      std::string at = member("$.topics", name);
      if (auto e = check.object(t, at, {"Attributes", "Tags", "Subscriptions"})) return *e;
      for (const char* m : {"Attributes", "Tags"})
        if (t.contains(m) && !t[m].is_object()) return check.wrong(member(at, m), "must be an object");
      if (t.contains("Subscriptions")) {
        if (!t["Subscriptions"].is_array())
          return check.wrong(member(at, "Subscriptions"), "must be an array");
        for (size_t i = 0; i < t["Subscriptions"].size(); ++i) {
          const json& s = t["Subscriptions"][i];
          std::string sat = index(member(at, "Subscriptions"), i);
          if (auto e = check.object(s, sat, {"Protocol", "Endpoint", "Attributes"})) return *e;
          for (const char* m : {"Protocol", "Endpoint"})
            if (!s.contains(m) || !s[m].is_string())
              return check.wrong(member(sat, m), "is required, a string");
          if (s.contains("Attributes") && !s["Attributes"].is_object())
            return check.wrong(member(sat, "Attributes"), "must be an object");
        }
      }
    }
  }
  if (d.contains("buses")) {
    if (!d["buses"].is_object()) return check.wrong("$.buses", "must be an object of bus names");
    for (auto& [name, b] : d["buses"].items())
      if (auto e = check.object(b, member("$.buses", name), {"Description", "EventSourceName", "Tags"}))
        return *e;
  }
  if (d.contains("rules")) {
    if (!d["rules"].is_object()) return check.wrong("$.rules", "must be an object of rule names");
    for (auto& [name, rule] : d["rules"].items()) {
      std::string at = member("$.rules", name);
      if (auto e = check.object(rule, at, {"EventBusName", "EventPattern", "ScheduleExpression", "State",
                                           "Description", "RoleArn", "Tags", "Targets"}))
        return *e;
      if (!rule.contains("EventPattern") && !rule.contains("ScheduleExpression"))
        return check.wrong(at, "needs an EventPattern or a ScheduleExpression");
      if (rule.contains("Targets") && !rule["Targets"].is_array())
        return check.wrong(member(at, "Targets"), "must be an array");
    }
  }
  if (d.contains("stateMachines")) {
    if (!d["stateMachines"].is_object())
      return check.wrong("$.stateMachines", "must be an object of state machine names");
    for (auto& [name, m] : d["stateMachines"].items()) {
      std::string at = member("$.stateMachines", name);
      if (auto e = check.object(m, at, {"definition", "definitionFile", "type", "roleArn",
                                        "loggingConfiguration", "tracingConfiguration", "tags"}))
        return *e;
      if (m.contains("definition") == m.contains("definitionFile"))
        return check.wrong(at, "needs exactly one of definition and definitionFile");
      if (m.contains("definitionFile")) {
        if (!m["definitionFile"].is_string())
          return check.wrong(member(at, "definitionFile"), "must be a path");
        std::string file = m["definitionFile"];
        if (file.empty() || file[0] != '/') file = directory + file;
        std::string why;
        auto definition = read_json(file, why);
        if (!definition) return check.wrong(member(at, "definitionFile"), file + " " + why);
        m["definition"] = *definition;
        m.erase("definitionFile");
      }
    }
  }
  if (d.contains("functions")) {
    if (!d["functions"].is_object()) return check.wrong("$.functions", "must be an object of function names");
    for (auto& [name, f] : d["functions"].items()) {
      std::string at = member("$.functions", name);
      if (auto e = check.object(f, at, {"command", "url"})) return *e;
      if (f.contains("command") == f.contains("url"))
        return check.wrong(at, "needs exactly one of command and url");
      if (f.contains("command") && (!f["command"].is_array() || f["command"].empty()))
        return check.wrong(member(at, "command"), "must be a non-empty array of strings");
      if (f.contains("command")) {
        // Commands run from the file's directory unless they say otherwise: a sample's
        // scripts sit beside its wyvern.json.
        for (auto& word : f["command"]) {
          if (!word.is_string()) return check.wrong(member(at, "command"), "must be an array of strings");
          std::string w = word;
          if (w.rfind("./", 0) == 0) word = directory + w.substr(2);
        }
      }
    }
    r.functions = d["functions"];
  }
  if (d.contains("mocks")) {
    json mocks = d["mocks"];
    if (mocks.is_string()) {
      std::string file = mocks.get<std::string>();
      if (file.empty() || file[0] != '/') file = directory + file;
      std::string why;
      auto loaded = read_json(file, why);
      if (!loaded) return check.wrong("$.mocks", file + " " + why);
      mocks = *loaded;
    }
    if (auto e = check.object(mocks, "$.mocks", {"StateMachines", "MockedResponses"})) return *e;
    if (!mocks.contains("StateMachines") || !mocks.contains("MockedResponses"))
      return check.wrong("$.mocks", "needs StateMachines and MockedResponses");
    r.mocks = mocks;
  }
  if (d.contains("routes")) {
    if (!d["routes"].is_array()) return check.wrong("$.routes", "must be an array");
    static const std::map<std::string, std::pair<std::string, std::string>> kActions = {
        {"states:StartExecution", {"sfn", "StartExecution"}},
        {"states:StartSyncExecution", {"sfn", "StartSyncExecution"}},
        {"sqs:SendMessage", {"sqs", "SendMessage"}},
        {"sns:Publish", {"sns", "Publish"}},
        {"events:PutEvents", {"events", "PutEvents"}}};
    for (size_t i = 0; i < d["routes"].size(); ++i) {
      const json& route = d["routes"][i];
      std::string at = index("$.routes", i);
      if (auto e = check.object(route, at, {"method", "path", "action", "request", "model"})) return *e;
      for (const char* m : {"method", "path", "action"})
        if (!route.contains(m) || !route[m].is_string())
          return check.wrong(member(at, m), "is required, a string");
      std::string p = route["path"];
      if (p.empty() || p[0] != '/' || p.rfind("/_wyvern", 0) == 0)
        return check.wrong(member(at, "path"), "must start with / (and not with /_wyvern)");
      auto action = kActions.find(route["action"].get<std::string>());
      if (action == kActions.end()) {
        std::string names;
        for (const auto& [name, _] : kActions) names += (names.empty() ? "" : ", ") + name;
        return check.wrong(member(at, "action"), "must be one of " + names);
      }
      if (route.contains("model") && !route["model"].is_object())
        return check.wrong(member(at, "model"), "must be a JSON Schema object");
      Route out;
      out.method = route["method"];
      for (char& c : out.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out.path = p;
      out.service = action->second.first;
      out.action = action->second.second;
      out.request_template = route.value("request", json::object());
      out.model = route.value("model", json());
      out.where = at;
      if (!out.request_template.is_object())
        return check.wrong(member(at, "request"), "must be an object");
      r.routes.push_back(std::move(out));
    }
  }
  r.document = std::move(d);
  return r;
}

namespace {

// One service call of the apply, and what follows from its answer: nothing (an answer that
// is not an error), more calls (an update of what exists), or the refusal that ends the apply.
struct Step {
  std::string where;
  std::string service, action;
  json request;
  std::function<Result<std::vector<Step>>(const Result<json>&)> then;
};

Result<std::vector<Step>> succeeded(const Result<json>& r) {
  if (!r.ok()) return r.error();
  return std::vector<Step>{};
}

class Applier : public std::enable_shared_from_this<Applier> {
 public:
  Applier(const integrations::Services& services, Caller caller, std::string file,
          std::function<void(Result<Ok>)> done)
      : services_(services), caller_(std::move(caller)), file_(std::move(file)), done_(std::move(done)) {}

  void add(Step s) { steps_.push_back(std::move(s)); }

  void next() {
    if (steps_.empty()) return done_(Ok{});
    Step s = std::move(steps_.front());
    steps_.pop_front();
    auto self = shared_from_this();
    json request = s.request;
    std::string service = s.service, action = s.action;  // s moves into the completion
    integrations::call_action(
        services_, caller_, service, action, std::move(request),
        [self, s = std::move(s)](Result<json> r) {
          auto more = s.then ? s.then(r) : succeeded(r);
          if (!more.ok()) {
            const Error& e = more.error();
            return self->done_(Error{e.code, self->file_ + ": " + s.where + ": " +
                                                 std::string(e.info().shape()) + ": " + e.message});
          }
          for (auto it = more.value().rbegin(); it != more.value().rend(); ++it)
            self->steps_.push_front(std::move(*it));
          self->next();
        });
  }

 private:
  integrations::Services services_;
  Caller caller_;
  std::string file_;
  std::function<void(Result<Ok>)> done_;
  std::deque<Step> steps_;
};

// The members of d[name] (none when absent), as a list that outlives the loop over it.
std::vector<std::pair<std::string, json>> members(const json& d, const char* name) {
  std::vector<std::pair<std::string, json>> out;
  if (d.contains(name))
    for (const auto& [k, v] : d[name].items()) out.emplace_back(k, v);
  return out;
}

// The file's queues, each after the queue its RedrivePolicy sends dead letters to (when the
// file has it): CreateQueue refuses a dead-letter target that does not exist yet, and names
// order "orders" before "orders-dlq". A cycle keeps the rest in name order.
std::vector<std::pair<std::string, json>> queues_in_creation_order(const json& d) {
  auto pending = members(d, "queues");
  auto dead_letter_target = [](const json& q) -> std::string {
    json attributes = q.value("Attributes", json::object());
    if (!attributes.is_object() || !attributes.contains("RedrivePolicy")) return "";
    json policy = attributes["RedrivePolicy"];
    if (policy.is_string()) policy = json::parse(policy.get<std::string>(), nullptr, false);
    if (!policy.is_object() || !policy.contains("deadLetterTargetArn") || !policy["deadLetterTargetArn"].is_string())
      return "";
    std::string arn = policy["deadLetterTargetArn"];
    return arn.substr(arn.rfind(':') + 1);
  };
  std::vector<std::pair<std::string, json>> out;
  std::set<std::string> placed;
  while (!pending.empty()) {
    auto ready = std::find_if(pending.begin(), pending.end(), [&](const auto& q) {
      std::string target = dead_letter_target(q.second);
      return target.empty() || target == q.first || placed.count(target) ||
             !d["queues"].contains(target);
    });
    if (ready == pending.end()) ready = pending.begin();  // a cycle: CreateQueue will say so
    placed.insert(ready->first);
    out.push_back(std::move(*ready));
    pending.erase(ready);
  }
  return out;
}

json tag_list(const json& tags) {
  json out = json::array();
  for (const auto& [k, v] : tags.items()) out.push_back({{"Key", k}, {"Value", v.is_string() ? v.get<std::string>() : v.dump()}});
  return out;
}

}  // namespace

void apply_resources(const integrations::Services& services, const Resources& r,
                     std::function<void(Result<Ok>)> done) {
  Caller caller;
  caller.account = kAccount;
  caller.region = r.region;
  auto applier = std::make_shared<Applier>(services, caller, r.file, std::move(done));
  const json& d = r.document;
  std::string prefix = "arn:aws:";
  auto arn = [&](const std::string& service, const std::string& resource) {
    return prefix + service + ":" + r.region + ":" + kAccount + ":" + resource;
  };

  for (const auto& [name, q] : queues_in_creation_order(d)) {
    std::string where = member("$.queues", name);
    json attributes = as_text_values(q.value("Attributes", json::object()));
    json create = {{"QueueName", name}};
    if (!attributes.empty()) create["Attributes"] = attributes;
    if (q.contains("Tags")) create["tags"] = as_text_values(q["Tags"]);
    applier->add({where, "sqs", "CreateQueue", create,
                  [where, name, attributes](const Result<json>& created) -> Result<std::vector<Step>> {
                    if (created.ok()) return std::vector<Step>{};
                    if (created.error().code != ErrorCode::kQueueNameExists) return created.error();
                    // It exists with other attributes: the file's win.
                    return std::vector<Step>{
                        {where, "sqs", "GetQueueUrl", {{"QueueName", name}},
                         [where, attributes](const Result<json>& url) -> Result<std::vector<Step>> {
                           if (!url.ok()) return url.error();
                           return std::vector<Step>{{where, "sqs", "SetQueueAttributes",
                                                     {{"QueueUrl", url.value()["QueueUrl"]},
                                                      {"Attributes", attributes}},
                                                     nullptr}};
                         }}};
                  }});
  }

  for (const auto& [name, t] : members(d, "topics")) {
    std::string where = member("$.topics", name);
    std::string topic_arn = arn("sns", name);
    json create = {{"Name", name}};
    // FIFO topics must say so when they are made; other attributes are set one by one, so
    // that a changed attribute updates the topic.
    json attributes = as_text_values(t.value("Attributes", json::object()));
    for (const char* fixed : {"FifoTopic", "ContentBasedDeduplication"})
      if (attributes.contains(fixed)) create["Attributes"][fixed] = attributes[fixed];
    if (t.contains("Tags")) create["Tags"] = tag_list(t["Tags"]);
    applier->add({where, "sns", "CreateTopic", create, nullptr});
    for (const auto& [k, v] : attributes.items())
      if (k != "FifoTopic")
        applier->add({member(member(where, "Attributes"), k), "sns", "SetTopicAttributes",
                      {{"TopicArn", topic_arn}, {"AttributeName", k}, {"AttributeValue", v}}, nullptr});
    json subscriptions = t.value("Subscriptions", json::array());
    for (size_t i = 0; i < subscriptions.size(); ++i) {
      const json& s = subscriptions[i];
      std::string at = index(member(where, "Subscriptions"), i);
      json sub_attributes = as_text_values(s.value("Attributes", json::object()));
      json subscribe = {{"TopicArn", topic_arn}, {"Protocol", s["Protocol"]},
                        {"Endpoint", s["Endpoint"]}, {"ReturnSubscriptionArn", true}};
      json with_attributes = subscribe;
      if (!sub_attributes.empty()) with_attributes["Attributes"] = sub_attributes;
      // New: subscribed with its attributes at once (a body-scope FilterPolicy needs its
      // FilterPolicyScope alongside). Existing with other attributes: each is set anew.
      applier->add({at, "sns", "Subscribe", with_attributes,
                    [at, subscribe, sub_attributes](const Result<json>& subscribed) -> Result<std::vector<Step>> {
                      if (subscribed.ok()) return std::vector<Step>{};
                      if (subscribed.error().message.find("already exists with different") == std::string::npos)
                        return subscribed.error();
                      return std::vector<Step>{{at, "sns", "Subscribe", subscribe,
                          [at, sub_attributes](const Result<json>& existing) -> Result<std::vector<Step>> {
                            if (!existing.ok()) return existing.error();
                            std::string sub_arn = existing.value().value("SubscriptionArn", "");
                            std::vector<Step> more;
                            // The scope first when it widens to the body, last when it narrows.
                            std::vector<std::string> order;
                            for (const auto& [k, _] : sub_attributes.items())
                              if (k != "FilterPolicyScope") order.push_back(k);
                            if (sub_attributes.contains("FilterPolicyScope")) {
                              bool body = sub_attributes["FilterPolicyScope"] == "MessageBody";
                              order.insert(body ? order.begin() : order.end(), "FilterPolicyScope");
                            }
                            for (const auto& k : order)
                              more.push_back({member(member(at, "Attributes"), k), "sns",
                                              "SetSubscriptionAttributes",
                                              {{"SubscriptionArn", sub_arn}, {"AttributeName", k},
                                               {"AttributeValue", sub_attributes[k]}},
                                              nullptr});
                            return more;
                          }}};
                    }});
    }
  }

  for (const auto& [name, b] : members(d, "buses")) {
    json create = b;
    create["Name"] = name;
    if (create.contains("Tags")) create["Tags"] = tag_list(create["Tags"]);
    applier->add({member("$.buses", name), "events", "CreateEventBus", create,
                  [](const Result<json>& created) -> Result<std::vector<Step>> {
                    if (created.ok() || created.error().code == ErrorCode::kEventsResourceAlreadyExists)
                      return std::vector<Step>{};
                    return created.error();
                  }});
  }

  for (const auto& [name, m] : members(d, "stateMachines")) {
    std::string where = member("$.stateMachines", name);
    json create = m;
    create["name"] = name;
    create["definition"] = m["definition"].is_string() ? m["definition"].get<std::string>() : m["definition"].dump();
    if (!create.contains("roleArn")) create["roleArn"] = kDefaultRole;
    if (create.contains("tags") && create["tags"].is_object()) {
      json tags = json::array();
      for (const auto& [k, v] : create["tags"].items()) tags.push_back({{"key", k}, {"value", v}});
      create["tags"] = tags;
    }
    std::string machine_arn = arn("states", "stateMachine:" + name);
    json update = {{"stateMachineArn", machine_arn}, {"definition", create["definition"]}, {"roleArn", create["roleArn"]}};
    applier->add({where, "sfn", "CreateStateMachine", create,
                  [where, update](const Result<json>& created) -> Result<std::vector<Step>> {
                    if (created.ok()) return std::vector<Step>{};
                    if (created.error().code != ErrorCode::kStateMachineAlreadyExists) return created.error();
                    return std::vector<Step>{{where, "sfn", "UpdateStateMachine", update, nullptr}};
                  }});
  }

  for (const auto& [name, rule] : members(d, "rules")) {
    std::string where = member("$.rules", name);
    json put = rule;
    put.erase("Targets");
    put["Name"] = name;
    if (put.contains("EventPattern") && !put["EventPattern"].is_string())
      put["EventPattern"] = put["EventPattern"].dump();
    if (put.contains("Tags")) put["Tags"] = tag_list(put["Tags"]);
    applier->add({where, "events", "PutRule", put, nullptr});
    if (rule.contains("Targets") && !rule["Targets"].empty()) {
      json targets = {{"Rule", name}, {"Targets", rule["Targets"]}};
      if (rule.contains("EventBusName")) targets["EventBusName"] = rule["EventBusName"];
      std::string at = member(where, "Targets");
      applier->add({at, "events", "PutTargets", targets,
                    [](const Result<json>& put_targets) -> Result<std::vector<Step>> {
                      if (!put_targets.ok()) return put_targets.error();
                      const json& answer = put_targets.value();
                      if (answer.value("FailedEntryCount", 0) > 0) {
                        const json& failed = answer["FailedEntries"][0];
                        return Error{ErrorCode::kEventsValidation,
                                     "target " + failed.value("TargetId", "") + ": " +
                                         failed.value("ErrorMessage", "")};
                      }
                      return std::vector<Step>{};
                    }});
    }
  }
  applier->next();
}

}  // namespace wyvern::server

namespace wyvern::server {
namespace {

// A member's text: strings as they are, anything else as JSON, nothing as "".
std::string as_string(const json& v) {
  return v.is_string() ? v.get<std::string>() : v.is_null() ? "" : v.dump();
}

// Attribute text that is a JSON object (a policy) comes back as the object.
json readable(const std::string& text) {
  json parsed = json::parse(text, nullptr, false);
  return parsed.is_object() ? parsed : json(text);
}

}  // namespace

Result<json> export_resources(const integrations::Services& services, const Caller& caller) {
  json out = {{"region", caller.region}};
  auto get = [&](const std::string& service, const std::string& action, json request) {
    return integrations::call_action_now(services, caller, service, action, std::move(request));
  };

  static const std::set<std::string> kQueueReadOnly = {
      "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
      "ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp",
      "QueueArn"};
  auto queues = get("sqs", "ListQueues", {{"MaxResults", 1000}});
  if (!queues) return queues.error();
  for (const auto& url : queues->value("QueueUrls", json::array())) {
    std::string name = as_string(url).substr(as_string(url).rfind('/') + 1);
    auto attributes = get("sqs", "GetQueueAttributes", {{"QueueUrl", url}, {"AttributeNames", {"All"}}});
    if (!attributes) return attributes.error();
    json queue = {{"Attributes", json::object()}};
    const json attributes_map = attributes->value("Attributes", json::object());
    for (const auto& [k, v] : attributes_map.items())
      if (!kQueueReadOnly.count(k)) queue["Attributes"][k] = readable(as_string(v));
    auto tags = get("sqs", "ListQueueTags", {{"QueueUrl", url}});
    if (tags && tags->contains("Tags") && !(*tags)["Tags"].empty()) queue["Tags"] = (*tags)["Tags"];
    out["queues"][name] = queue;
  }

  static const std::set<std::string> kTopicKept = {
      "DisplayName", "DeliveryPolicy", "Policy", "TracingConfig", "KmsMasterKeyId",
      "SignatureVersion", "FifoTopic", "ContentBasedDeduplication", "ArchivePolicy"};
  static const std::set<std::string> kSubscriptionKept = {
      "RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy",
      "DeliveryPolicy", "SubscriptionRoleArn"};
  auto topics = get("sns", "ListTopics", json::object());
  if (!topics) return topics.error();
  for (const auto& t : topics->value("Topics", json::array())) {
    std::string arn = t.value("TopicArn", "");
    std::string name = arn.substr(arn.rfind(':') + 1);
    auto attributes = get("sns", "GetTopicAttributes", {{"TopicArn", arn}});
    if (!attributes) return attributes.error();
    json topic = {{"Attributes", json::object()}, {"Subscriptions", json::array()}};
    const json attributes_map = attributes->value("Attributes", json::object());
    for (const auto& [k, v] : attributes_map.items()) {
      std::string text = as_string(v);
      // Only what was set: the default policy, an empty name and "false" say nothing.
      if (!kTopicKept.count(k) || text.empty() || text == "false") continue;
      if (k == "Policy" && text.find("__default_statement_ID") != std::string::npos) continue;
      topic["Attributes"][k] = readable(text);
    }
    auto subscriptions = get("sns", "ListSubscriptionsByTopic", {{"TopicArn", arn}});
    if (!subscriptions) return subscriptions.error();
    for (const auto& s : subscriptions->value("Subscriptions", json::array())) {
      json sub = {{"Protocol", s.value("Protocol", "")}, {"Endpoint", s.value("Endpoint", "")}};
      auto sub_attributes = get("sns", "GetSubscriptionAttributes", {{"SubscriptionArn", s.value("SubscriptionArn", "")}});
      const json sub_attributes_map =
          sub_attributes ? sub_attributes->value("Attributes", json::object()) : json::object();
      for (const auto& [k, v] : sub_attributes_map.items()) {
          std::string text = as_string(v);
          if (kSubscriptionKept.count(k) && !text.empty() && text != "false")
            sub["Attributes"][k] = readable(text);
        }
      topic["Subscriptions"].push_back(sub);
    }
    if (topic["Subscriptions"].empty()) topic.erase("Subscriptions");
    out["topics"][name] = topic;
  }

  auto buses = get("events", "ListEventBuses", json::object());
  if (!buses) return buses.error();
  for (const auto& b : buses->value("EventBuses", json::array())) {
    std::string bus = b.value("Name", "");
    if (bus != "default") {
      json described = json::object();
      if (b.contains("Description")) described["Description"] = b["Description"];
      out["buses"][bus] = described;
    }
    auto rules = get("events", "ListRules", {{"EventBusName", bus}});
    if (!rules) return rules.error();
    for (const auto& rule : rules->value("Rules", json::array())) {
      if (rule.contains("ManagedBy")) continue;  // an archive's, made with it
      json r = json::object();
      if (bus != "default") r["EventBusName"] = bus;
      for (const char* k : {"EventPattern", "ScheduleExpression", "State", "Description", "RoleArn"})
        if (rule.contains(k))
          r[k] = std::string(k) == "EventPattern" ? readable(as_string(rule[k])) : rule[k];
      auto targets = get("events", "ListTargetsByRule", {{"Rule", rule.value("Name", "")}, {"EventBusName", bus}});
      if (targets && targets->contains("Targets") && !(*targets)["Targets"].empty())
        r["Targets"] = (*targets)["Targets"];
      out["rules"][rule.value("Name", "")] = r;
    }
  }

  auto machines = get("sfn", "ListStateMachines", json::object());
  if (!machines) return machines.error();
  for (const auto& m : machines->value("stateMachines", json::array())) {
    auto described = get("sfn", "DescribeStateMachine", {{"stateMachineArn", m.value("stateMachineArn", "")}});
    if (!described) return described.error();
    json definition = json::parse(described->value("definition", "{}"), nullptr, false);
    out["stateMachines"][m.value("name", "")] = {
        {"type", described->value("type", "STANDARD")},
        {"roleArn", described->value("roleArn", "")},
        {"definition", definition.is_discarded() ? json(described->value("definition", "")) : definition}};
  }
  return out;
}

}  // namespace wyvern::server
