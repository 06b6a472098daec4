// HTTP routes (what API Gateway does in the lecture): a request to a route's method and path is
// checked against the route's model, shaped by its request template and handed to its action;
// the action's answer is the response.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "resources.h"

namespace wyvern::server {

struct RouteResponse {
  int status = 200;
  nlohmann::json body;
};

// The route for `method` and `path` (without its query), its {parameters} bound in `params`.
// `path_known` tells whether some route has the path under another method.
const Route* match_route(const std::vector<Route>& routes, const std::string& method,
                         const std::string& path, nlohmann::json& params, bool& path_known);

// Serves `route` for a request whose parts are `context`: {"body", "path", "query",
// "headers"} (body parsed as JSON, or the text when it is not JSON).
// REQUIRES: runs on the core strand. `done` may run anywhere.
void serve_route(const integrations::Services& services, const Caller& caller,
                 const Route& route, const nlohmann::json& context,
                 std::function<void(RouteResponse)> done);

}  // namespace wyvern::server
