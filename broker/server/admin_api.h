// The admin JSON API under /_wyvern/api/: what the console shows, in shapes made for looking
// (queues with their counts and dead-letter links, topics with their subscriptions, buses with
// their rules and targets, state machines with their executions, an execution with its history
// and each state's status), for the console and for scripts alike. Reads and writes go through
// the services' own action tables.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "integrations.h"

namespace wyvern::server {

struct ApiResponse {
  int status = 200;
  nlohmann::json body;
};

// Serves `method` `path` (below /_wyvern/api, e.g. "/queues") with `query` parameters and a
// JSON `body`.
// REQUIRES: runs on the core strand. `done` may run anywhere.
void serve_admin_api(const integrations::Services& services, const Caller& caller,
                     const std::string& method, const std::string& path,
                     const nlohmann::json& query, const nlohmann::json& body,
                     std::function<void(ApiResponse)> done);

// Each state's status from an execution's history events (Step Functions' camelCase shape):
// "in_progress", "succeeded", "failed", "caught_error" or "cancelled", as the console colours
// the graph.
nlohmann::json state_statuses(const nlohmann::json& events);

}  // namespace wyvern::server
