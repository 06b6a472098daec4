#include "routes.h"

#include <algorithm>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "foundation/jsonpath.h"

namespace wyvern::server {
namespace {

using json = nlohmann::json;

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool path_matches(const std::string& pattern, const std::string& path, json& params) {
  auto want = segments(pattern), got = segments(path);
  if (want.size() != got.size()) return false;
  json bound = json::object();
  for (size_t i = 0; i < want.size(); ++i) {
    const std::string& w = want[i];
    if (w.size() > 2 && w.front() == '{' && w.back() == '}')
      bound[w.substr(1, w.size() - 2)] = got[i];
    else if (w != got[i])
      return false;
  }
  params = std::move(bound);
  return true;
}

// API Gateway's answer to a body its model refuses, with what is wrong added.
std::optional<RouteResponse> check_model(const json& model, const json& body) {
  if (model.is_null()) return std::nullopt;
  valijson::Schema schema;
  valijson::SchemaParser parser;
  valijson::adapters::NlohmannJsonAdapter schema_doc(model);
  try {
    parser.populateSchema(schema_doc, schema);
  } catch (const std::exception& e) {
    return RouteResponse{500, {{"message", std::string("The route's model is not a schema: ") + e.what()}}};
  }
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(body);
  if (validator.validate(schema, target, &results)) return std::nullopt;
  json errors = json::array();
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    std::string where = "$";
    for (const auto& c : error.context) {
      if (c == "<root>") continue;
      // valijson writes members as "[name]" and indices as "[0]"; JSONPath as .name and [0].
      bool index = c.size() > 2 && std::all_of(c.begin() + 1, c.end() - 1, ::isdigit);
      where += c.front() == '[' && !index ? "." + c.substr(1, c.size() - 2) : c;
    }
    errors.push_back(where + ": " + error.description);
  }
  return RouteResponse{400, {{"message", "Invalid request body"}, {"errors", errors}}};
}

// Parameters-style: "name.$" members take what their path selects in the request.
std::optional<json> shaped(const json& templ, const json& context, std::string& problem) {
  if (templ.is_array()) {
    json out = json::array();
    for (const auto& v : templ) {
      auto s = shaped(v, context, problem);
      if (!s) return std::nullopt;
      out.push_back(*s);
    }
    return out;
  }
  if (!templ.is_object()) return templ;
  json out = json::object();
  for (const auto& [key, value] : templ.items()) {
    if (key.size() > 2 && key.ends_with(".$") && value.is_string()) {
      auto path = jsonpath::parse(value.get<std::string>());
      if (!path) {
        problem = "the route's template path " + value.get<std::string>() + " is not a JSONPath";
        return std::nullopt;
      }
      auto selected = jsonpath::query(*path, context);
      if (!selected) {
        problem = "the request has nothing at " + value.get<std::string>();
        return std::nullopt;
      }
      out[key.substr(0, key.size() - 2)] = *selected;
    } else {
      auto s = shaped(value, context, problem);
      if (!s) return std::nullopt;
      out[key] = *s;
    }
  }
  return out;
}

// The members each action takes as text: an object or array there is written as JSON.
void as_text(json& request, const char* member) {
  if (request.is_object() && request.contains(member) && !request[member].is_string())
    request[member] = request[member].dump();
}

}  // namespace

const Route* match_route(const std::vector<Route>& routes, const std::string& method,
                         const std::string& path, json& params, bool& path_known) {
  path_known = false;
  for (const Route& r : routes) {
    json bound;
    if (!path_matches(r.path, path, bound)) continue;
    path_known = true;
    if (r.method == method || r.method == "ANY") {
      params = std::move(bound);
      return &r;
    }
  }
  return nullptr;
}

void serve_route(const integrations::Services& services, const Caller& caller,
                 const Route& route, const json& context,
                 std::function<void(RouteResponse)> done) {
  if (auto refused = check_model(route.model, context["body"])) return done(*refused);
  std::string problem;
  // Without a template the body is the action's request, as API Gateway passes it through.
  auto request = route.request_template.empty() ? std::optional<json>(context["body"])
                                                : shaped(route.request_template, context, problem);
  if (!request) return done({400, {{"message", problem}}});
  if (!request->is_object())
    return done({400, {{"message", "the action's request must be a JSON object"}}});
  as_text(*request, "input");
  as_text(*request, "MessageBody");
  as_text(*request, "Message");
  if (request->contains("Entries") && (*request)["Entries"].is_array())
    for (auto& entry : (*request)["Entries"]) as_text(entry, "Detail");
  integrations::call_action(services, caller, route.service, route.action, std::move(*request),
                            [done = std::move(done)](Result<json> r) {
                              if (r.ok()) return done({200, std::move(r.value())});
                              const ErrorInfo& info = r.error().info();
                              done({static_cast<int>(info.http_status),
                                    {{"__type", std::string(info.shape())},
                                     {"message", r.error().message}}});
                            });
}

}  // namespace wyvern::server
