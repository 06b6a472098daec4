// Step Functions' intrinsic functions (JSONPath mode): States.Format, States.Array and the
// other 16, as they may appear in a "key.$" value of Parameters, ResultSelector or a Pass
// state. Arguments are string, number, boolean and null literals, paths into the state's
// input ($), the context object ($$) or a variable ($name), and nested intrinsic calls.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "variables.h"

namespace wyvern::stepfn {

using json = nlohmann::json;

// True when `text` looks like an intrinsic call ("States.Name(...)").
bool is_intrinsic(std::string_view text);

// nullopt when `text` is a well-formed call of a known function with a plausible argument
// count; otherwise what is wrong (for definition validation).
std::optional<std::string> check_intrinsic(std::string_view text);

struct IntrinsicResult {
  std::optional<json> value;
  std::string error;  // States.IntrinsicFailure's cause when value is empty
};

// Evaluates `text` against the state's input, the context object and the variables.
IntrinsicResult evaluate_intrinsic(std::string_view text, const json& input,
                                   const Bindings& bindings);

}  // namespace wyvern::stepfn
