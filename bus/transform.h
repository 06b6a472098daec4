// EventBridge target input: what a rule's target receives for an event the rule matched, and
// the checks PutTargets makes on the members that shape it.
//
// A target sets at most one of
//   Input             a JSON text, delivered as is;
//   InputPath         a JSONPath into the event; the value it selects is delivered as JSON;
//   InputTransformer  InputPathsMap (name -> JSONPath) and InputTemplate, whose <name>
//                     placeholders are filled from the event;
// and with none of them the target receives the whole event.
//
// Thread-safety: every function is pure.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "foundation/clock.h"
#include "foundation/errors.h"

namespace wyvern::bus {

// One target's input members as PutTargets received them. The target has an InputTransformer
// when either of its two members is set.
struct TargetInput {
  std::optional<std::string> input;
  std::optional<std::string> input_path;
  std::optional<std::map<std::string, std::string>> paths_map;  // InputPathsMap
  std::optional<std::string> input_template;                    // InputTemplate

  bool has_transformer() const { return paths_map.has_value() || input_template.has_value(); }
};

// The request model's constraints on these members, worded as AWS's request validation words
// them ("Value '...' at 'targets.1.member.inputPath' failed to satisfy constraint: ..."), for the
// target at 1-based `target_number` of the request. Empty when all hold. A caller that checks
// several targets joins every target's violations into one ValidationException:
// "<n> validation error(s) detected: " + the violations joined by "; ".
std::vector<std::string> target_input_violations(const TargetInput& target, size_t target_number);

// Everything PutTargets checks about one target's input, in AWS's order: the model's
// constraints (target_input_violations, as one "... validation error(s) detected: ..." error),
// then the service's own rules, which name the target by its Id, `target_id` (pass it: the
// default leaves the name out of the message):
//   "Only one of Input, InputPath, or InputTransformer must be provided for target <id>."
//   "JSON syntax error in input for target <id>."
//   "InputPath for target <id> is invalid."          (InputPath and every InputPathsMap value)
//   "InputTemplate for target <id> contains invalid placeholder <name>."
//   "InputTemplate for target <id> contains placeholder <name> valid only for JSON template."
// nullopt when the target's input is acceptable. Every error is a ValidationException.
std::optional<Error> validate_target_input(const TargetInput& target,
                                           std::string_view target_id = {},
                                           size_t target_number = 1);

// What the rule contributes to the predefined placeholders.
struct RuleContext {
  std::string rule_arn;       // <aws.events.rule-arn>
  std::string rule_name;      // <aws.events.rule-name>
  TimeMs ingestion_time = 0;  // <aws.events.event.ingestion-time>, when EventBridge took the event
};

// The text delivered to the target for `event`, or nullopt when AWS delivers nothing: an
// InputPath that selects nothing, or an InputTemplate shaped as a JSON object that does not
// come out as valid JSON.
// REQUIRES: `event_text` is the exact JSON text of the event envelope and `event` its parsed
// value; the whole event is delivered as `event_text`, with its keys in their order. `target`
// passed validate_target_input (an unknown placeholder is then left in the text as written).
std::optional<std::string> target_payload(const TargetInput& target, const nlohmann::json& event,
                                          const std::string& event_text, const RuleContext& rule);

}  // namespace wyvern::bus
