// The Step Functions API surface (AWS JSON 1.0, X-Amz-Target "AWSStepFunctions.<Action>"):
// one table of actions, each reading the JSON request, calling the stepfn engine and building
// the JSON response.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string_view>

#include "foundation/caller.h"
#include "foundation/errors.h"
#include "stepfn/stepfn.h"

namespace wyvern::server::sfn {

using json = nlohmann::json;

inline constexpr std::string_view kJsonNamespace = "com.amazonaws.states";
inline constexpr std::string_view kTargetPrefix = "AWSStepFunctions.";

using Done = std::function<void(Result<json>)>;

struct Action {
  std::string_view name;
  // REQUIRES: runs on the core strand. `done` may run anywhere.
  void (*run)(stepfn::StepFunctions& sfn, const Caller& caller, const json& input, Done done);
};

// nullptr for an action Step Functions does not have (or Wyvern does not serve yet).
const Action* find_action(std::string_view name);

}  // namespace wyvern::server::sfn
