// Input and output processing (InputPath, Parameters, ResultSelector, ResultPath,
// OutputPath), payload templates with ".$" keys, Assign fields, Choice rules and RFC 3339
// timestamps, for states in JSONPath mode. Paths read the document they are applied to, the
// context object (`$$`) and the variables in scope (`$name`), as `Bindings` give them. Pure
// functions: no clock, no store.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "variables.h"

namespace wyvern::stepfn {

using json = nlohmann::json;

// A States.* error raised while running a state.
struct StateError {
  StateError() = default;
  StateError(std::string error, std::string cause, std::string location = {})
      : error(std::move(error)), cause(std::move(cause)), location(std::move(location)) {}
  std::string error;
  std::string cause;
  // For a JSONata expression that failed evaluation: the field it was in ("Output",
  // "Arguments", ...). The run records such a failure as an EvaluationFailed event.
  std::string location;
};

// A value, or the error that stopped its computation.
struct Outcome {
  json value;
  std::optional<StateError> error;
  static Outcome fail(std::string error, std::string cause) {
    return {nullptr, StateError{std::move(error), std::move(cause)}};
  }
};

// `state` is the state's definition; absent fields take AWS's defaults ("$"), null ones
// AWS's null meanings (InputPath/OutputPath null: {}, ResultPath null: discard the result).
// InputPath and OutputPath may also select from the context object (`$$...`) or a variable.
Outcome apply_input_path(const json& state, const json& input, const Bindings& bindings);
Outcome apply_payload(const json& payload, const json& input, const Bindings& bindings,
                      const std::string& field);
// ResultPath writes into the state's input only: it never names a variable.
Outcome apply_result_path(const json& state, const json& input, const json& result);
Outcome apply_output_path(const json& state, const json& value, const Bindings& bindings);
// The value one path field selects (SecondsPath, ItemsPath, ErrorPath, ...): a path, or for
// `field`s that take one, an intrinsic function.
Outcome read_path_field(const json& text, const json& input, const Bindings& bindings,
                        const std::string& field);

// What a Choice state chose: the Next of the first matching rule (`rule` its index), else
// Default (`rule` -1); States.NoChoiceMatched when neither.
struct Chosen {
  std::string next;
  int rule = -1;
  std::optional<StateError> error;
};
Chosen choose(const json& state, const json& input, const Bindings& bindings);

// The new values an Assign field gives its variables (an object of name -> value), evaluated
// against `document` (what `$` means depends on where the field is: workflow-variables.html
// "Using variables in JSONPath states"). Nothing is assigned yet: every reference sees the
// variables as they were on state entry. `state` is the state the field belongs to: in a
// JSONata state the values are evaluated against `bindings.jsonata` (its `$states`), and
// `document` is ignored.
Outcome evaluate_assign(const json& state, const json& assign, const json& document,
                        const Bindings& bindings);

// The error storing `assigned` (an Assign's new values) would raise, or nullopt: a value over
// 256 KiB, all of them together over 256 KiB, or the execution's variables, once stored
// (`execution_bytes_after`), over 10 MiB (workflow-variables.html#limits). `state` names the
// state in the cause.
std::optional<StateError> assignment_limits(const std::string& state, const json& assigned,
                                            size_t execution_bytes_after);
// A variable's size as the limits count it: the UTF-8 bytes of its value's compact JSON text.
size_t variable_bytes(const json& value);

// Milliseconds since the epoch for an RFC 3339 timestamp ("2026-11-28T13:00:00Z",
// fractional seconds and numeric offsets allowed); nullopt for anything else.
std::optional<int64_t> parse_timestamp(const std::string& text);

}  // namespace wyvern::stepfn
