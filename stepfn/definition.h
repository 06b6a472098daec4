// Amazon States Language definitions: validation with AWS's diagnostic codes, and the small
// helpers the interpreter uses to read a (validated) definition.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "stepfn.h"

namespace wyvern::stepfn {

using json = nlohmann::json;

// "Invalid State Machine Definition: 'CODE: message at /location', ..." as AWS words it.
std::string invalid_definition_message(const std::vector<Diagnostic>& diagnostics);

}  // namespace wyvern::stepfn
