// Connections and API destinations: the HTTP endpoints a rule can call, with the credentials a
// connection holds (Basic, an API key, or OAuth client credentials exchanged for a token), and
// the calls themselves: AWS's headers, its 5-second timeout, the statuses it retries, and the
// destination's invocation rate on the broker's clock.
#include <algorithm>
#include <regex>

#include "bus/engine.h"
#include "foundation/arn.h"
#include "foundation/codec.h"

namespace wyvern::bus {
namespace {

constexpr char kOAuth[] = "OAUTH_CLIENT_CREDENTIALS";
constexpr int kInvocationTimeoutMs = 5000;
// An OAuth token this close to its expiry is refreshed before a call rather than after a 401.
constexpr TimeMs kTokenRefreshMarginMs = 60 * 1000;

// Headers EventBridge sets itself or will not pass on from a connection or a target.
constexpr const char* kReservedHeaders[] = {
    "a-im", "accept-charset", "accept-datetime", "accept-encoding", "cache-control", "connection",
    "content-encoding", "content-length", "content-md5", "date", "expect", "forwarded", "from",
    "host", "http2-settings", "if-match", "if-modified-since", "if-none-match", "if-range",
    "if-unmodified-since", "max-forwards", "origin", "pragma", "proxy-authorization", "range",
    "referer", "te", "trailer", "transfer-encoding", "user-agent", "upgrade", "via", "warning"};

Error validation(const std::string& message) {
  return Error{ErrorCode::kEventsValidation, message};
}

// The request model's violations, joined as AWS's request validation reports them.
std::optional<Error> violations(const std::vector<std::string>& found) {
  if (found.empty()) return std::nullopt;
  std::string message = std::to_string(found.size()) +
                        (found.size() == 1 ? " validation error" : " validation errors") +
                        " detected: ";
  for (size_t i = 0; i < found.size(); ++i) message += (i ? "; " : "") + found[i];
  return validation(message);
}

std::string violation(const std::string& value, const std::string& member,
                      const std::string& constraint) {
  return "Value " + value + " at '" + member + "' failed to satisfy constraint: " + constraint;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Connection and API destination names: [\.\-_A-Za-z0-9]+, 1 to 64 characters.
void check_name(const std::optional<std::string>& name, std::vector<std::string>& found) {
  static const std::regex pattern(R"([\.\-_A-Za-z0-9]+)");
  if (!name) return found.push_back(violation("null", "name", "Member must not be null"));
  if (!std::regex_match(*name, pattern))
    found.push_back(violation("'" + *name + "'", "name",
                              "Member must satisfy regular expression pattern: "
                              "[\\.\\-_A-Za-z0-9]+"));
  if (name->size() > 64)
    found.push_back(violation("'" + *name + "'", "name",
                              "Member must have length less than or equal to 64"));
}

void check_description(const json& in, std::vector<std::string>& found) {
  if (auto d = str(in, "Description"); d && d->size() > 512)
    found.push_back(violation("'" + *d + "'", "description",
                              "Member must have length less than or equal to 512"));
}

void check_authorization_type(const std::optional<std::string>& type, bool required,
                              std::vector<std::string>& found) {
  if (!type) {
    if (required)
      found.push_back(violation("null", "authorizationType", "Member must not be null"));
    return;
  }
  if (*type != "BASIC" && *type != kOAuth && *type != "API_KEY")
    found.push_back(violation("'" + *type + "'", "authorizationType",
                              "Member must satisfy enum value set: [BASIC, "
                              "OAUTH_CLIENT_CREDENTIALS, API_KEY]"));
}

void check_connection_arn(const std::optional<std::string>& arn, bool required,
                          std::vector<std::string>& found) {
  static const std::regex pattern(
      R"(^arn:aws([a-z]|\-)*:events:([a-z]|\d|\-)*:([0-9]{12})?:connection\/[\.\-_A-Za-z0-9]+\/[\-A-Za-z0-9]+$)");
  if (!arn) {
    if (required) found.push_back(violation("null", "connectionArn", "Member must not be null"));
    return;
  }
  if (!std::regex_search(*arn, pattern))
    found.push_back(violation(
        "'" + *arn + "'", "connectionArn",
        "Member must satisfy regular expression pattern: "
        "^arn:aws([a-z]|\\-)*:events:([a-z]|\\d|\\-)*:([0-9]{12})?:connection\\/"
        "[\\.\\-_A-Za-z0-9]+\\/[\\-A-Za-z0-9]+$"));
}

void check_endpoint(const std::optional<std::string>& endpoint, const std::string& at,
                    bool required, std::vector<std::string>& found) {
  static const std::regex pattern(
      R"(^((%[0-9A-Fa-f]{2}|[-()_.!~*';/?:@&=+$,A-Za-z0-9])+)([).!';/?:,])?$)");
  if (!endpoint) {
    if (required) found.push_back(violation("null", at, "Member must not be null"));
    return;
  }
  if (endpoint->size() > 2048)
    found.push_back(violation("'" + *endpoint + "'", at,
                              "Member must have length less than or equal to 2048"));
  else if (!std::regex_match(*endpoint, pattern))
    found.push_back(violation(
        "'" + *endpoint + "'", at,
        "Member must satisfy regular expression pattern: "
        "^((%[0-9A-Fa-f]{2}|[-()_.!~*';/?:@\\x26=+$,A-Za-z0-9])+)([).!';/?:,])?$"));
}

void check_http_method(const std::optional<std::string>& method, bool required,
                       std::vector<std::string>& found) {
  static const std::set<std::string> methods = {"POST",  "GET",   "HEAD",  "OPTIONS",
                                                "PUT",   "PATCH", "DELETE"};
  if (!method) {
    if (required) found.push_back(violation("null", "httpMethod", "Member must not be null"));
    return;
  }
  // AWS lists the set in this order, not the model's.
  if (!methods.count(*method))
    found.push_back(violation("'" + *method + "'", "httpMethod",
                              "Member must satisfy enum value set: [HEAD, POST, PATCH, DELETE, "
                              "PUT, GET, OPTIONS]"));
}

void check_rate_limit(const json& in, std::vector<std::string>& found) {
  const json& rate = member(in, "InvocationRateLimitPerSecond");
  if (rate.is_number_integer() && rate.get<int64_t>() < 1)
    found.push_back(violation("'" + std::to_string(rate.get<int64_t>()) + "'",
                              "invocationRateLimitPerSecond",
                              "Member must have value greater than or equal to 1"));
}

// The block of AuthParameters each authorization type needs, with its required members.
struct AuthShape {
  const char* block;
  std::vector<std::pair<const char*, const char*>> required;  // path in the block, model name
};
AuthShape auth_shape(const std::string& type) {
  if (type == "BASIC")
    return {"BasicAuthParameters", {{"Username", "username"}, {"Password", "password"}}};
  if (type == "API_KEY")
    return {"ApiKeyAuthParameters", {{"ApiKeyName", "apiKeyName"}, {"ApiKeyValue", "apiKeyValue"}}};
  return {"OAuthParameters", {{"AuthorizationEndpoint", "authorizationEndpoint"},
                              {"HttpMethod", "httpMethod"}}};
}

// Checks that `auth` carries what `type` needs: the model's required members, then that the
// block for the type is there at all.
std::optional<Error> check_auth(const std::string& type, const json& auth) {
  AuthShape shape = auth_shape(type);
  const json& block = member(auth, shape.block);
  if (!block.is_object())
    return validation("Parameter(s) " + std::string(shape.block) +
                      " must be specified for authorization type " + type + ".");
  std::string prefix = "authParameters.";
  prefix += static_cast<char>(std::tolower(shape.block[0]));
  prefix += std::string(shape.block + 1) + ".";
  std::vector<std::string> found;
  for (const auto& [name, model] : shape.required)
    if (!member(block, name).is_string())
      found.push_back(violation("null", prefix + model, "Member must not be null"));
  if (type == kOAuth) {
    const json& client = member(block, "ClientParameters");
    if (!client.is_object())
      found.push_back(violation("null", prefix + "clientParameters", "Member must not be null"));
    else
      for (const auto& [name, model] :
           {std::pair{"ClientID", "clientID"}, std::pair{"ClientSecret", "clientSecret"}})
        if (!member(client, name).is_string())
          found.push_back(violation("null", prefix + "clientParameters." + model,
                                    "Member must not be null"));
    check_endpoint(str(block, "AuthorizationEndpoint"), prefix + "authorizationEndpoint", false,
                   found);
    if (auto m = str(block, "HttpMethod"); m && *m != "GET" && *m != "POST" && *m != "PUT")
      found.push_back(violation("'" + *m + "'", prefix + "httpMethod",
                                "Member must satisfy enum value set: [GET, POST, PUT]"));
  }
  return violations(found);
}

// HTTP parameters as Describe shows them: a value marked secret is not shown.
json shown_parameters(const json& params) {
  if (!params.is_object()) return params;
  json out = params;
  for (const char* list : {"HeaderParameters", "QueryStringParameters", "BodyParameters"})
    if (out.contains(list) && out[list].is_array())
      for (auto& p : out[list])
        if (p.is_object() && p.value("IsValueSecret", false)) p.erase("Value");
  return out;
}

// AuthParameters without the secrets: what DescribeConnection answers.
json public_auth(const Connection& c) {
  json out = json::object();
  if (auto& basic = member(c.auth, "BasicAuthParameters"); basic.is_object())
    if (auto user = str(basic, "Username")) out["BasicAuthParameters"] = {{"Username", *user}};
  if (auto& key = member(c.auth, "ApiKeyAuthParameters"); key.is_object())
    if (auto name = str(key, "ApiKeyName")) out["ApiKeyAuthParameters"] = {{"ApiKeyName", *name}};
  if (auto& oauth = member(c.auth, "OAuthParameters"); oauth.is_object()) {
    json shown = json::object();
    for (const char* m : {"AuthorizationEndpoint", "HttpMethod"})
      if (auto v = str(oauth, m)) shown[m] = *v;
    if (auto id = str(member(oauth, "ClientParameters"), "ClientID"))
      shown["ClientParameters"] = {{"ClientID", *id}};
    if (oauth.contains("OAuthHttpParameters"))
      shown["OAuthHttpParameters"] = shown_parameters(oauth["OAuthHttpParameters"]);
    out["OAuthParameters"] = shown;
  }
  if (c.auth.contains("InvocationHttpParameters"))
    out["InvocationHttpParameters"] = shown_parameters(c.auth["InvocationHttpParameters"]);
  return out;
}

// `update` written over `base`, member by member, for objects; anything else replaces.
void merge_into(json& base, const json& update) {
  if (!base.is_object() || !update.is_object()) {
    base = update;
    return;
  }
  for (auto it = update.begin(); it != update.end(); ++it) {
    if (base.contains(it.key()) && base[it.key()].is_object() && it.value().is_object())
      merge_into(base[it.key()], it.value());
    else
      base[it.key()] = it.value();
  }
}

// A connection's HTTP parameter list ([{Key, Value}, ...]) as pairs.
std::vector<std::pair<std::string, std::string>> pairs_of(const json& params, const char* list) {
  std::vector<std::pair<std::string, std::string>> out;
  const json& items = member(params, list);
  if (items.is_array())
    for (const auto& p : items)
      if (auto key = str(p, "Key")) out.emplace_back(*key, str(p, "Value").value_or(""));
  return out;
}

// A target's HttpParameters map ({"name": "value"}) as pairs.
std::vector<std::pair<std::string, std::string>> map_of(const json& params, const char* map) {
  std::vector<std::pair<std::string, std::string>> out;
  const json& items = member(params, map);
  if (items.is_object())
    for (auto it = items.begin(); it != items.end(); ++it)
      if (it.value().is_string()) out.emplace_back(it.key(), it.value().get<std::string>());
  return out;
}

// Target pairs, then connection pairs over them: "any values from the Connection taking
// precedence". Keys compare as `normalize` says (headers ignore case).
std::vector<std::pair<std::string, std::string>> merged(
    std::vector<std::pair<std::string, std::string>> target,
    const std::vector<std::pair<std::string, std::string>>& connection, bool ignore_case) {
  for (const auto& [key, value] : connection) {
    auto same = std::find_if(target.begin(), target.end(), [&](const auto& p) {
      return ignore_case ? lower(p.first) == lower(key) : p.first == key;
    });
    if (same != target.end())
      same->second = value;
    else
      target.emplace_back(key, value);
  }
  return target;
}

std::string with_query(std::string url, const std::vector<std::pair<std::string, std::string>>& q) {
  for (const auto& [key, value] : q) {
    url += url.find('?') == std::string::npos ? '?' : '&';
    url += percent_encode(key) + "=" + percent_encode(value);
  }
  return url;
}

// "region/account/name" of a connection or API destination ARN
// (arn:aws:events:<region>:<account>:<kind>/<name>/<uuid>), or "" if it is none.
std::string key_of_arn(const std::string& arn, const std::string& kind) {
  auto parts = parse_arn(arn);
  if (!parts || parts->service != "events" || parts->resource.rfind(kind + "/", 0) != 0) return "";
  std::string rest = parts->resource.substr(kind.size() + 1);
  return bus_key(parts->region, parts->account, rest.substr(0, rest.find('/')));
}

json connection_summary(const Connection& c) {
  json out = {{"ConnectionArn", c.arn},
              {"Name", c.name},
              {"ConnectionState", c.state},
              {"AuthorizationType", c.authorization_type},
              {"CreationTime", seconds(c.created_at)},
              {"LastModifiedTime", seconds(c.modified_at)},
              {"LastAuthorizedTime", seconds(c.authorized_at)}};
  if (!c.state_reason.empty()) out["StateReason"] = c.state_reason;
  return out;
}

// What Update, Delete and Deauthorize answer: the connection's ARN, state and times.
json connection_times(const Connection& c, const std::string& state) {
  return {{"ConnectionArn", c.arn},
          {"ConnectionState", state},
          {"CreationTime", seconds(c.created_at)},
          {"LastModifiedTime", seconds(c.modified_at)},
          {"LastAuthorizedTime", seconds(c.authorized_at)}};
}

Error connection_not_found(const std::string& name, bool describing) {
  return Error{ErrorCode::kEventsResourceNotFound,
               std::string(describing ? "Failed to describe the connection(s). " : "") +
                   "Connection '" + name + "' does not exist."};
}

Error destination_not_found(const std::string& name, bool describing) {
  return Error{ErrorCode::kEventsResourceNotFound,
               std::string(describing ? "Failed to describe the api-destination(s). " : "") +
                   "An api-destination '" + name + "' does not exist."};
}

}  // namespace

// --- Store ------------------------------------------------------------------------------------

void Engine::persist(const Connection& c, WriteBatch& batch) const {
  json doc = {{"name", c.name},
              {"arn", c.arn},
              {"secret_arn", c.secret_arn},
              {"authorization_type", c.authorization_type},
              {"auth", c.auth},
              {"state", c.state},
              {"state_reason", c.state_reason},
              {"created_at", c.created_at},
              {"modified_at", c.modified_at},
              {"authorized_at", c.authorized_at}};
  if (c.description) doc["description"] = *c.description;
  batch.put(kConnectionsTable, c.key, doc.dump(-1, ' ', false, json::error_handler_t::replace));
}

void Engine::persist(const ApiDestination& d, WriteBatch& batch) const {
  json doc = {{"name", d.name},
              {"arn", d.arn},
              {"connection_arn", d.connection_arn},
              {"endpoint", d.endpoint},
              {"method", d.method},
              {"rate_limit", d.rate_limit},
              {"created_at", d.created_at},
              {"modified_at", d.modified_at}};
  if (d.description) doc["description"] = *d.description;
  batch.put(kApiDestinationsTable, d.key, doc.dump(-1, ' ', false, json::error_handler_t::replace));
}

void Engine::recover_connections() {
  std::vector<std::string> to_authorize;
  env_.store->scan(kConnectionsTable, [&](std::string_view key, std::string_view value) {
    json doc = json::parse(value, nullptr, false);
    if (!doc.is_object()) return;
    Connection& c = connections_[std::string(key)];
    c.key = key;
    c.name = doc.value("name", "");
    c.arn = doc.value("arn", "");
    c.secret_arn = doc.value("secret_arn", "");
    c.authorization_type = doc.value("authorization_type", "");
    c.auth = doc.value("auth", json::object());
    c.state = doc.value("state", "AUTHORIZED");
    c.state_reason = doc.value("state_reason", "");
    c.created_at = doc.value("created_at", TimeMs{0});
    c.modified_at = doc.value("modified_at", TimeMs{0});
    c.authorized_at = doc.value("authorized_at", TimeMs{0});
    if (doc.contains("description") && doc["description"].is_string())
      c.description = doc["description"].get<std::string>();
    // A token request the restart cut short is made again.
    if (c.state == "AUTHORIZING") to_authorize.push_back(c.key);
  });
  env_.store->scan(kApiDestinationsTable, [&](std::string_view key, std::string_view value) {
    json doc = json::parse(value, nullptr, false);
    if (!doc.is_object()) return;
    ApiDestination& d = api_destinations_[std::string(key)];
    d.key = key;
    d.name = doc.value("name", "");
    d.arn = doc.value("arn", "");
    d.connection_arn = doc.value("connection_arn", "");
    d.endpoint = doc.value("endpoint", "");
    d.method = doc.value("method", "POST");
    d.rate_limit = doc.value("rate_limit", int64_t{300});
    d.created_at = doc.value("created_at", TimeMs{0});
    d.modified_at = doc.value("modified_at", TimeMs{0});
    if (doc.contains("description") && doc["description"].is_string())
      d.description = doc["description"].get<std::string>();
  });
  for (const auto& key : to_authorize) env_.post([this, key] { authorize(key); });
}

Connection* Engine::connection_by_arn(const std::string& arn) {
  auto it = connections_.find(key_of_arn(arn, "connection"));
  return it != connections_.end() && it->second.arn == arn ? &it->second : nullptr;
}

std::string Engine::destination_state(const ApiDestination& d) const {
  auto it = connections_.find(key_of_arn(d.connection_arn, "connection"));
  bool authorized = it != connections_.end() && it->second.arn == d.connection_arn &&
                    it->second.state == "AUTHORIZED";
  return authorized ? "ACTIVE" : "INACTIVE";
}

// --- Connections ------------------------------------------------------------------------------

void Engine::create_connection(const Caller& caller, const json& in, Reply<json> reply) {
  auto name = str(in, "Name");
  auto type = str(in, "AuthorizationType");
  std::vector<std::string> found;
  check_name(name, found);
  check_description(in, found);
  check_authorization_type(type, true, found);
  if (!member(in, "AuthParameters").is_object())
    found.push_back(violation("null", "authParameters", "Member must not be null"));
  if (auto err = violations(found)) return reply(*err);
  if (auto err = check_auth(*type, in["AuthParameters"])) return reply(*err);
  std::string key = bus_key(caller.region, caller.account, *name);
  if (connections_.count(key))
    return reply(Error{ErrorCode::kEventsResourceAlreadyExists,
                       "Connection " + *name + " already exists."});
  TimeMs now = env_.clock->now_ms();
  Connection c;
  c.key = key;
  c.name = *name;
  c.arn = "arn:aws:events:" + caller.region + ":" + caller.account + ":connection/" + *name +
          "/" + uuid4();
  c.secret_arn = "arn:aws:secretsmanager:" + caller.region + ":" + caller.account +
                 ":secret:events!connection/" + *name + "/" + uuid4() + "-" + random_hex(3);
  c.authorization_type = *type;
  c.description = str(in, "Description");
  c.auth = in["AuthParameters"];
  // Basic and API key credentials are usable at once; OAuth ones once a token is fetched.
  c.state = *type == kOAuth ? "AUTHORIZING" : "AUTHORIZED";
  c.created_at = c.modified_at = c.authorized_at = now;
  WriteBatch batch;
  persist(c, batch);
  json out = {{"ConnectionArn", c.arn},
              {"ConnectionState", c.state},
              {"CreationTime", seconds(now)},
              {"LastModifiedTime", seconds(now)}};
  bool oauth = c.authorization_type == kOAuth;
  connections_[key] = std::move(c);
  commit(std::move(batch), reply, [this, reply, out, oauth, key] {
    reply(out);
    if (oauth) authorize(key);
  });
}

void Engine::describe_connection(const Caller& caller, const json& in, Reply<json> reply) {
  auto name = str(in, "Name");
  std::vector<std::string> found;
  check_name(name, found);
  if (auto err = violations(found)) return reply(*err);
  auto it = connections_.find(bus_key(caller.region, caller.account, *name));
  if (it == connections_.end()) return reply(connection_not_found(*name, true));
  const Connection& c = it->second;
  json out = {{"ConnectionArn", c.arn},
              {"Name", c.name},
              {"ConnectionState", c.state},
              {"AuthorizationType", c.authorization_type},
              {"SecretArn", c.secret_arn},
              {"AuthParameters", public_auth(c)},
              {"CreationTime", seconds(c.created_at)},
              {"LastModifiedTime", seconds(c.modified_at)},
              {"LastAuthorizedTime", seconds(c.authorized_at)}};
  if (c.description) out["Description"] = *c.description;
  if (!c.state_reason.empty()) out["StateReason"] = c.state_reason;
  reply(out);
}

void Engine::update_connection(const Caller& caller, const json& in, Reply<json> reply) {
  auto name = str(in, "Name");
  auto type = str(in, "AuthorizationType");
  std::vector<std::string> found;
  check_name(name, found);
  check_description(in, found);
  check_authorization_type(type, false, found);
  if (auto err = violations(found)) return reply(*err);
  auto it = connections_.find(bus_key(caller.region, caller.account, *name));
  if (it == connections_.end()) return reply(connection_not_found(*name, false));
  Connection& c = it->second;
  // Members left out keep their values; a new authorization type needs its whole block.
  json auth = type && *type != c.authorization_type ? json::object() : c.auth;
  if (type && *type != c.authorization_type && c.auth.contains("InvocationHttpParameters"))
    auth["InvocationHttpParameters"] = c.auth["InvocationHttpParameters"];
  if (member(in, "AuthParameters").is_object()) {
    json given = in["AuthParameters"];
    // HTTP parameter lists are replaced whole, never merged item by item.
    if (given.contains("InvocationHttpParameters"))
      auth["InvocationHttpParameters"] = given["InvocationHttpParameters"];
    given.erase("InvocationHttpParameters");
    merge_into(auth, given);
  }
  std::string new_type = type.value_or(c.authorization_type);
  if (auto err = check_auth(new_type, auth)) return reply(*err);
  TimeMs now = env_.clock->now_ms();
  c.authorization_type = new_type;
  c.auth = std::move(auth);
  if (auto d = str(in, "Description")) c.description = *d;
  c.modified_at = now;
  c.state_reason.clear();
  c.access_token.clear();
  bool oauth = new_type == kOAuth;
  c.state = oauth ? "AUTHORIZING" : "AUTHORIZED";
  if (!oauth) c.authorized_at = now;
  WriteBatch batch;
  persist(c, batch);
  json out = connection_times(c, c.state);
  std::string key = c.key;
  commit(std::move(batch), reply, [this, reply, out, oauth, key] {
    reply(out);
    if (oauth) authorize(key);
  });
}

void Engine::delete_connection(const Caller& caller, const json& in, Reply<json> reply) {
  auto name = str(in, "Name");
  std::vector<std::string> found;
  check_name(name, found);
  if (auto err = violations(found)) return reply(*err);
  auto it = connections_.find(bus_key(caller.region, caller.account, *name));
  if (it == connections_.end()) return reply(connection_not_found(*name, false));
  json out = connection_times(it->second, "DELETING");
  for (auto& waiter : it->second.waiting) waiter(false);
  WriteBatch batch;
  batch.erase(kConnectionsTable, it->first);
  connections_.erase(it);
  commit(std::move(batch), reply, [reply, out] { reply(out); });
}

void Engine::list_connections(const Caller& caller, const json& in, Reply<json> reply) {
  std::string prefix = bus_key(caller.region, caller.account, str(in, "NamePrefix").value_or(""));
  auto state = str(in, "ConnectionState");
  reply(listed(connections_, in, "Connections", [&](const Connection& c) -> std::optional<json> {
    if (c.key.rfind(prefix, 0) != 0 || (state && c.state != *state)) return std::nullopt;
    return connection_summary(c);
  }));
}

void Engine::deauthorize_connection(const Caller& caller, const json& in, Reply<json> reply) {
  auto name = str(in, "Name");
  std::vector<std::string> found;
  check_name(name, found);
  if (auto err = violations(found)) return reply(*err);
  auto it = connections_.find(bus_key(caller.region, caller.account, *name));
  if (it == connections_.end()) return reply(connection_not_found(*name, false));
  Connection& c = it->second;
  // The credentials go: what is left is what Describe shows, until an update brings new ones.
  c.auth = public_auth(c);
  c.access_token.clear();
  c.authorization++;
  c.state = "DEAUTHORIZED";
  c.modified_at = env_.clock->now_ms();
  for (auto& waiter : c.waiting) waiter(false);
  c.waiting.clear();
  WriteBatch batch;
  persist(c, batch);
  json out = connection_times(c, "DEAUTHORIZING");
  commit(std::move(batch), reply, [reply, out] { reply(out); });
}

// Exchanges the connection's client credentials for an access token at its authorization
// endpoint (the client-credentials grant of RFC 6749: the client authenticates with HTTP Basic,
// the form carries grant_type and the connection's OAuthHttpParameters).
void Engine::authorize(const std::string& connection_key) {
  auto it = connections_.find(connection_key);
  if (it == connections_.end()) return;
  Connection& c = it->second;
  const json& oauth = member(c.auth, "OAuthParameters");
  const json& client = member(oauth, "ClientParameters");
  const json& http = member(oauth, "OAuthHttpParameters");
  HttpRequest request;
  request.method = str(oauth, "HttpMethod").value_or("POST");
  request.timeout_ms = kInvocationTimeoutMs;
  auto form = pairs_of(http, "BodyParameters");
  if (std::none_of(form.begin(), form.end(), [](const auto& p) { return p.first == "grant_type"; }))
    form.insert(form.begin(), {"grant_type", "client_credentials"});
  auto query = pairs_of(http, "QueryStringParameters");
  std::string body;
  for (const auto& [key, value] : form)
    body += (body.empty() ? "" : "&") + percent_encode(key) + "=" + percent_encode(value);
  if (request.method == "GET") {
    query.insert(query.end(), form.begin(), form.end());
    body.clear();
  }
  request.url = with_query(str(oauth, "AuthorizationEndpoint").value_or(""), query);
  request.headers = {{"Authorization",
                      "Basic " + base64_encode(str(client, "ClientID").value_or("") + ":" +
                                               str(client, "ClientSecret").value_or(""))},
                     {"User-Agent", "Amazon/EventBridge/ApiDestinations"},
                     {"Accept", "application/json"}};
  auto headers = pairs_of(http, "HeaderParameters");
  bool typed = std::any_of(headers.begin(), headers.end(),
                           [](const auto& h) { return lower(h.first) == "content-type"; });
  if (!body.empty() && !typed)
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  for (auto& h : headers) request.headers.push_back(std::move(h));
  request.body = std::move(body);
  uint64_t authorization = ++c.authorization;
  http_send(std::move(request),
            on_strand<HttpResponse>([this, connection_key, authorization](HttpResponse response) {
              token_fetched(connection_key, authorization, response);
            }));
}

void Engine::token_fetched(const std::string& connection_key, uint64_t authorization,
                           const HttpResponse& response) {
  auto it = connections_.find(connection_key);
  if (it == connections_.end() || it->second.authorization != authorization) return;
  Connection& c = it->second;
  TimeMs now = env_.clock->now_ms();
  json token = response.status / 100 == 2 ? json::parse(response.body, nullptr, false) : json();
  bool authorized = token.is_object() && token.contains("access_token") &&
                    token["access_token"].is_string();
  if (authorized) {
    c.access_token = token["access_token"].get<std::string>();
    // Refreshed a minute before it expires (halfway through, if it lives less than two).
    TimeMs lifetime = token.contains("expires_in") && token["expires_in"].is_number()
                          ? static_cast<TimeMs>(token["expires_in"].get<double>() * 1000)
                          : 0;
    c.token_refresh_at =
        lifetime > 0 ? now + lifetime - std::min(kTokenRefreshMarginMs, lifetime / 2) : 0;
    c.state = "AUTHORIZED";
    c.state_reason.clear();
    c.authorized_at = now;
  } else {
    c.access_token.clear();
    c.state = "DEAUTHORIZED";
    c.state_reason = !response.error.empty()
                         ? "Unable to authorize the connection: " + response.error
                     : response.status / 100 != 2
                         ? "Unable to authorize the connection: the authorization endpoint "
                           "answered with status code " +
                               std::to_string(response.status) + "."
                         : "Unable to authorize the connection: the authorization endpoint's "
                           "answer carries no access_token.";
  }
  c.modified_at = now;
  WriteBatch batch;
  persist(c, batch);
  auto waiting = std::move(c.waiting);
  c.waiting.clear();
  commit(std::move(batch), [waiting = std::move(waiting), authorized] {
    for (const auto& waiter : waiting) waiter(authorized);
  });
}

// --- API destinations -------------------------------------------------------------------------

void Engine::create_api_destination(const Caller& caller, const json& in, Reply<json> reply) {
  auto name = str(in, "Name");
  auto connection = str(in, "ConnectionArn");
  auto endpoint = str(in, "InvocationEndpoint");
  auto method = str(in, "HttpMethod");
  std::vector<std::string> found;
  check_name(name, found);
  check_description(in, found);
  check_connection_arn(connection, true, found);
  check_endpoint(endpoint, "invocationEndpoint", true, found);
  check_http_method(method, true, found);
  check_rate_limit(in, found);
  if (auto err = violations(found)) return reply(*err);
  std::string key = bus_key(caller.region, caller.account, *name);
  if (api_destinations_.count(key))
    return reply(Error{ErrorCode::kEventsResourceAlreadyExists,
                       "An api-destination '" + *name + "' already exists."});
  if (!connection_by_arn(*connection)) {
    std::string rest = connection->substr(connection->find("connection/") + 11);
    return reply(connection_not_found(rest.substr(0, rest.find('/')), false));
  }
  TimeMs now = env_.clock->now_ms();
  ApiDestination d;
  d.key = key;
  d.name = *name;
  d.arn = "arn:aws:events:" + caller.region + ":" + caller.account + ":api-destination/" +
          *name + "/" + uuid4();
  d.connection_arn = *connection;
  d.endpoint = *endpoint;
  d.method = *method;
  d.description = str(in, "Description");
  if (member(in, "InvocationRateLimitPerSecond").is_number_integer())
    d.rate_limit = in["InvocationRateLimitPerSecond"].get<int64_t>();
  d.created_at = d.modified_at = now;
  WriteBatch batch;
  persist(d, batch);
  json out = {{"ApiDestinationArn", d.arn},
              {"ApiDestinationState", destination_state(d)},
              {"CreationTime", seconds(now)},
              {"LastModifiedTime", seconds(now)}};
  api_destinations_[key] = std::move(d);
  commit(std::move(batch), reply, [reply, out] { reply(out); });
}

void Engine::describe_api_destination(const Caller& caller, const json& in, Reply<json> reply) {
  auto name = str(in, "Name");
  std::vector<std::string> found;
  check_name(name, found);
  if (auto err = violations(found)) return reply(*err);
  auto it = api_destinations_.find(bus_key(caller.region, caller.account, *name));
  if (it == api_destinations_.end()) return reply(destination_not_found(*name, true));
  const ApiDestination& d = it->second;
  json out = {{"ApiDestinationArn", d.arn},
              {"Name", d.name},
              {"ApiDestinationState", destination_state(d)},
              {"ConnectionArn", d.connection_arn},
              {"InvocationEndpoint", d.endpoint},
              {"HttpMethod", d.method},
              {"InvocationRateLimitPerSecond", d.rate_limit},
              {"CreationTime", seconds(d.created_at)},
              {"LastModifiedTime", seconds(d.modified_at)}};
  if (d.description) out["Description"] = *d.description;
  reply(out);
}

void Engine::update_api_destination(const Caller& caller, const json& in, Reply<json> reply) {
  auto name = str(in, "Name");
  auto connection = str(in, "ConnectionArn");
  auto endpoint = str(in, "InvocationEndpoint");
  auto method = str(in, "HttpMethod");
  std::vector<std::string> found;
  check_name(name, found);
  check_description(in, found);
  check_connection_arn(connection, false, found);
  check_endpoint(endpoint, "invocationEndpoint", false, found);
  check_http_method(method, false, found);
  check_rate_limit(in, found);
  if (auto err = violations(found)) return reply(*err);
  auto it = api_destinations_.find(bus_key(caller.region, caller.account, *name));
  if (it == api_destinations_.end()) return reply(destination_not_found(*name, false));
  if (connection && !connection_by_arn(*connection)) {
    std::string rest = connection->substr(connection->find("connection/") + 11);
    return reply(connection_not_found(rest.substr(0, rest.find('/')), false));
  }
  ApiDestination& d = it->second;
  if (auto v = str(in, "Description")) d.description = *v;
  if (connection) d.connection_arn = *connection;
  if (endpoint) d.endpoint = *endpoint;
  if (method) d.method = *method;
  if (member(in, "InvocationRateLimitPerSecond").is_number_integer())
    d.rate_limit = in["InvocationRateLimitPerSecond"].get<int64_t>();
  d.modified_at = env_.clock->now_ms();
  WriteBatch batch;
  persist(d, batch);
  json out = {{"ApiDestinationArn", d.arn},
              {"ApiDestinationState", destination_state(d)},
              {"CreationTime", seconds(d.created_at)},
              {"LastModifiedTime", seconds(d.modified_at)}};
  commit(std::move(batch), reply, [reply, out] { reply(out); });
}

void Engine::delete_api_destination(const Caller& caller, const json& in, Reply<json> reply) {
  auto name = str(in, "Name");
  std::vector<std::string> found;
  check_name(name, found);
  if (auto err = violations(found)) return reply(*err);
  auto it = api_destinations_.find(bus_key(caller.region, caller.account, *name));
  if (it == api_destinations_.end()) return reply(destination_not_found(*name, false));
  WriteBatch batch;
  batch.erase(kApiDestinationsTable, it->first);
  api_destinations_.erase(it);
  commit(std::move(batch), reply, [reply] { reply(json::object()); });
}

void Engine::list_api_destinations(const Caller& caller, const json& in, Reply<json> reply) {
  std::string prefix = bus_key(caller.region, caller.account, str(in, "NamePrefix").value_or(""));
  auto connection = str(in, "ConnectionArn");
  reply(listed(api_destinations_, in, "ApiDestinations",
               [&](const ApiDestination& d) -> std::optional<json> {
                 if (d.key.rfind(prefix, 0) != 0 || (connection && d.connection_arn != *connection))
                   return std::nullopt;
                 return json{{"ApiDestinationArn", d.arn},
                             {"Name", d.name},
                             {"ApiDestinationState", destination_state(d)},
                             {"ConnectionArn", d.connection_arn},
                             {"InvocationEndpoint", d.endpoint},
                             {"HttpMethod", d.method},
                             {"InvocationRateLimitPerSecond", d.rate_limit},
                             {"CreationTime", seconds(d.created_at)},
                             {"LastModifiedTime", seconds(d.modified_at)}};
               }));
}

// --- Invocation -------------------------------------------------------------------------------

void Engine::invoke_api_destination(const std::string& delivery_id, const std::string& payload,
                                    Delivered done) {
  auto delivery = deliveries_.find(delivery_id);
  if (delivery == deliveries_.end()) return;
  const Target target = delivery->second.target;
  std::string arn = text_member(target, "Arn");
  auto it = api_destinations_.find(key_of_arn(arn, "api-destination"));
  if (it == api_destinations_.end() || it->second.arn != arn)
    return done({false, false, "NO_RESOURCE",
                 "Unable to invoke ApiDestination endpoint: the API destination " + arn +
                     " does not exist."});
  ApiDestination& d = it->second;
  Connection* c = connection_by_arn(d.connection_arn);
  if (!c)
    return done({false, false, "NO_RESOURCE",
                 "Unable to invoke ApiDestination endpoint: the connection " + d.connection_arn +
                     " does not exist."});

  // At most InvocationRateLimitPerSecond calls in a second of the broker's clock; the rest
  // wait for the next second rather than fail, as EventBridge delays them.
  TimeMs now = env_.clock->now_ms();
  if (now - d.window_start >= 1000) {
    d.window_start = now;
    d.sent_in_window = 0;
  }
  if (d.sent_in_window >= d.rate_limit) {
    delivery->second.attempts--;  // not an attempt: it never left
    auto timer = std::make_shared<Timers::TimerId>(0);
    *timer = env_.timers->schedule(d.window_start + 1000, [this, timer, delivery_id] {
      retry_timers_.erase(*timer);
      attempt(delivery_id);
    });
    retry_timers_.insert(*timer);
    return;
  }

  bool oauth = c->authorization_type == kOAuth;
  bool token_stale =
      oauth && (c->access_token.empty() || (c->token_refresh_at && now >= c->token_refresh_at));
  if (c->state == "AUTHORIZING" || (c->state == "AUTHORIZED" && token_stale)) {
    // Wait for the token, then send; one token request serves every call that waits for it.
    bool fetching = c->state == "AUTHORIZING" || !c->waiting.empty();
    c->waiting.push_back([this, delivery_id, payload, done](bool authorized) {
      if (!authorized)
        return done({false, false, "INVALID_PARAMETER",
                     "Unable to invoke ApiDestination endpoint: the connection could not be "
                     "authorized."});
      invoke_api_destination(delivery_id, payload, done);
    });
    if (!fetching) authorize(c->key);
    return;
  }
  if (c->state != "AUTHORIZED")
    return done({false, false, "INVALID_PARAMETER",
                 "Unable to invoke ApiDestination endpoint: the connection " + c->name +
                     " is not authorized."});
  d.sent_in_window++;

  const json& params = member(target, "HttpParameters");
  const json& invocation = member(c->auth, "InvocationHttpParameters");
  HttpRequest request;
  request.method = d.method;
  request.timeout_ms = kInvocationTimeoutMs;
  // Path wildcards take the target's PathParameterValues in order.
  std::string url = d.endpoint;
  size_t path_end = url.find('?');
  const json& path_values = member(params, "PathParameterValues");
  size_t next_value = 0;
  for (size_t i = 0; i < std::min(path_end, url.size()); ++i) {
    if (url[i] != '*' || !path_values.is_array() || next_value >= path_values.size()) continue;
    std::string value =
        path_values[next_value].is_string() ? path_values[next_value].get<std::string>() : "";
    next_value++;
    url.replace(i, 1, value);
    if (path_end != std::string::npos) path_end += value.size() - 1;
    i += value.size() - 1;
  }
  request.url = with_query(url, merged(map_of(params, "QueryStringParameters"),
                                       pairs_of(invocation, "QueryStringParameters"), false));
  request.headers = {{"User-Agent", "Amazon/EventBridge/ApiDestinations"},
                     {"Content-Type", "application/json; charset=utf-8"},
                     {"Range", "bytes=0-1048575"},
                     {"Accept-Encoding", "gzip,deflate"},
                     {"Connection", "close"}};
  auto chosen = merged(map_of(params, "HeaderParameters"),
                       pairs_of(invocation, "HeaderParameters"), true);
  // The connection's credentials, last: no parameter can replace them.
  std::pair<std::string, std::string> credentials;
  if (c->authorization_type == "BASIC") {
    const json& basic = member(c->auth, "BasicAuthParameters");
    credentials = {"Authorization", "Basic " + base64_encode(str(basic, "Username").value_or("") +
                                                             ":" +
                                                             str(basic, "Password").value_or(""))};
  } else if (c->authorization_type == "API_KEY") {
    const json& key = member(c->auth, "ApiKeyAuthParameters");
    credentials = {str(key, "ApiKeyName").value_or(""), str(key, "ApiKeyValue").value_or("")};
  } else {
    credentials = {"Authorization", "Bearer " + c->access_token};
  }
  for (auto& [name, value] : chosen) {
    std::string lowered = lower(name);
    if (lowered == lower(credentials.first)) continue;
    if (std::find(std::begin(kReservedHeaders), std::end(kReservedHeaders), lowered) !=
        std::end(kReservedHeaders))
      continue;
    if (lowered == "content-type") {
      request.headers[1].second = value;  // the one fixed header a client may choose
      continue;
    }
    request.headers.emplace_back(name, value);
  }
  request.headers.push_back(credentials);
  // The connection's body parameters join a JSON object body as members of their own.
  std::string body = payload;
  auto body_params = pairs_of(invocation, "BodyParameters");
  if (!body_params.empty()) {
    json object = json::parse(payload, nullptr, false);
    if (object.is_object()) {
      for (const auto& [key, value] : body_params) object[key] = value;
      body = object.dump(-1, ' ', false, json::error_handler_t::replace);
    }
  }
  if (d.method != "GET" && d.method != "HEAD") request.body = std::move(body);

  std::string connection_key = c->key;
  http_send(std::move(request), on_strand<HttpResponse>([this, done, oauth, connection_key](
                                                            HttpResponse response) {
    const std::string prefix = "Unable to invoke ApiDestination endpoint: ";
    if (!response.error.empty()) {
      if (response.error.find("timed out") != std::string::npos)
        return done({false, true, "UNKNOWN",
                     prefix + "Timeout calling endpoint for API Destination: socket closed."});
      return done({false, true, "SDK_CLIENT_ERROR",
                   prefix + "API destination endpoint cannot be reached."});
    }
    int status = response.status;
    if (status / 100 == 2) return done({true, false, "", ""});
    // A refused token is fetched again before the retry.
    if (oauth && (status == 401 || status == 407))
      if (auto it = connections_.find(connection_key); it != connections_.end())
        it->second.access_token.clear();
    bool retryable = status == 401 || status == 407 || status == 409 || status == 429 ||
                     status / 100 == 5;
    done({false, retryable, "SDK_CLIENT_ERROR",
          prefix + "Endpoint responded with HTTP status code " + std::to_string(status) + "."});
  }));
}

}  // namespace wyvern::bus
