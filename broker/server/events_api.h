// The EventBridge API surface (AWS JSON 1.1, X-Amz-Target "AWSEvents.<Action>"): one table of
// actions, each reading the JSON request, calling the bus engine and building the JSON response.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string_view>

#include "bus/bus.h"
#include "foundation/caller.h"
#include "foundation/errors.h"

namespace wyvern::server::events {

using json = nlohmann::json;

inline constexpr std::string_view kJsonNamespace = "com.amazonaws.events";
inline constexpr std::string_view kTargetPrefix = "AWSEvents.";

using Done = std::function<void(Result<json>)>;

struct Action {
  std::string_view name;
  // REQUIRES: runs on the core strand. `done` may run anywhere. Null for an EventBridge
  // action Wyvern does not serve yet: it is answered with NotImplemented.
  void (*run)(bus::EventBridge& events, const Caller& caller, const json& input, Done done);
};

// nullptr for a name that is no EventBridge action.
const Action* find_action(std::string_view name);

}  // namespace wyvern::server::events
