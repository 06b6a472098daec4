// Input and output processing (InputPath, Parameters, ResultSelector, ResultPath,
// OutputPath), payload templates with ".$" keys, Choice rules and RFC 3339 timestamps, for
// states in JSONPath mode. Pure functions: no clock, no store.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace wyvern::stepfn {

using json = nlohmann::json;

// A States.* error raised while running a state.
struct StateError {
  std::string error;
  std::string cause;
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
// InputPath and OutputPath may also select from the context object (`$$...`).
Outcome apply_input_path(const json& state, const json& input,
                         const json& context = json::object());
Outcome apply_payload(const json& payload, const json& input, const json& context,
                      const std::string& field);
Outcome apply_result_path(const json& state, const json& input, const json& result);
Outcome apply_output_path(const json& state, const json& value,
                          const json& context = json::object());

// The Next of the first matching rule, else Default; States.NoChoiceMatched when neither.
Outcome choose(const json& state, const json& input, const json& context);

// Milliseconds since the epoch for an RFC 3339 timestamp ("2026-11-28T13:00:00Z",
// fractional seconds and numeric offsets allowed); nullopt for anything else.
std::optional<int64_t> parse_timestamp(const std::string& text);

}  // namespace wyvern::stepfn
