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

// What the console's live stream carries (see live_feed.h): queue counts, executions by
// status per state machine, each running execution's history length, events routed per bus
// and the newest outbox message's id. The broker adds the clock's offset (not its time, which
// changes all the time: now is the real time plus the offset).
// REQUIRES: runs on the core strand.
nlohmann::json live_snapshot(const integrations::Services& services, const Caller& caller);

// Each state's status from an execution's history events (Step Functions' camelCase shape):
// "in_progress", "succeeded", "failed", "caught_error" or "cancelled", as the console colours
// the graph.
nlohmann::json state_statuses(const nlohmann::json& events);

}  // namespace wyvern::server
