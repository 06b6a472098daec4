// Event patterns: the matching language of EventBridge rules and SNS subscription filter
// policies. One engine serves both (AWS runs one too, aws/event-ruler), so it lives in the
// foundation.
//
// A pattern is a JSON object. Its leaves are arrays of conditions; the fields of an object are
// ANDed, the conditions in one array are ORed, and "$or": [{...}, {...}] ORs whole objects:
//
//   {"source": ["aws.ec2"], "detail": {"state": ["running", {"prefix": "stop"}]}}
//
//   "x"  5  true  null                 the field equals this value (numbers compare numerically)
//   {"prefix": "ab"}  {"suffix": ".png"}  {"equals-ignore-case": "Ab"}
//   {"prefix": {"equals-ignore-case": "ab"}}  {"suffix": {"equals-ignore-case": ".png"}}
//   {"wildcard": "dir/*.png"}          '*' matches any run; "\\*" is a star, "\\\\" a backslash
//   {"anything-but": "x" | 5 | ["x", "y"] | [1, 2]}        present, and none of these
//   {"anything-but": {"prefix" | "suffix" | "equals-ignore-case" | "wildcard": "x" | [...]}}
//   {"numeric": [">", 0, "<=", 5]}     one of =, <, <=, >, >=, or a lower then an upper bound
//   {"exists": true | false}           a leaf value is present / absent
//   {"cidr": "10.0.0.0/24"}            an IPv4 or IPv6 address inside the block
//
// How an event is matched (the rules of aws/event-ruler, which both services run):
//  - The event is read as leaf fields named by their keys joined with dots, so {"a": {"b": 1}}
//    and {"a.b": 1} are the same field "a.b". Objects are never leaves: "exists" only sees
//    strings, numbers, booleans and null.
//  - An array is transparent: a field matches if any element matches, including anything-but
//    ([100, 50] is "anything but 100"). An empty array is an absent field. Fields drawn from
//    objects inside one array must come from the same element.
//  - Values are typed: the string "5" never matches 5, {"numeric": ...} only sees numbers, and
//    prefix, suffix, equals-ignore-case, wildcard and cidr only see strings. Anything-but
//    matches any present value it does not exclude, whatever its type.
//  - A missing field matches nothing but {"exists": false}; null is a present value.
//  - Numbers in {"numeric": ...} and {"anything-but"} must lie in [-5e9, 5e9] for EventBridge and
//    [-1e9, 1e9] for SNS; event numbers outside that range never satisfy a numeric condition.
//
// Dialects. EventBridge accepts everything above. SNS accepts no wildcard, no "exactly", no
// prefix/suffix with equals-ignore-case inside, and anything-but only with values or a single
// {"prefix"}, as SNS answers today. SNS also enforces its filter-policy limits: at most
// 5 keys (top-level keys, counted per "$or" branch), at most 150 combinations (the product, over
// every value array, of its length times its nesting depth; "$or" branches add up), at most
// 256 KB, and no nesting when the scope is MessageAttributes.
//
// For the SNS MessageAttributes scope the caller passes a JSON object built from the message
// attributes: String -> string, Number -> number, String.Array (and Number.Array) -> the parsed
// array; Binary attributes are left out. For MessageBody and EventBridge it passes the body or
// event itself.
//
// Thread-safety: a CompiledPattern is immutable and cheap to copy; all functions are pure.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "foundation/errors.h"

namespace wyvern {

enum class PatternDialect {
  kEventBridge,           // PutRule, TestEventPattern, archive and pipe filters
  kSnsMessageAttributes,  // a subscription FilterPolicy with FilterPolicyScope MessageAttributes
  kSnsMessageBody,        // a subscription FilterPolicy with FilterPolicyScope MessageBody
};

inline constexpr size_t kSnsFilterPolicyMaxBytes = 256 * 1024;
inline constexpr size_t kSnsFilterPolicyMaxKeys = 5;
inline constexpr size_t kSnsFilterPolicyMaxCombinations = 150;

struct PatternRules;  // private to the foundation

// A pattern that compiled, ready to match events.
class CompiledPattern {
 public:
  PatternDialect dialect() const;

 private:
  explicit CompiledPattern(std::shared_ptr<const PatternRules> rules) : rules_(std::move(rules)) {}
  friend Result<CompiledPattern> compile_pattern(std::string_view, PatternDialect);
  friend bool matches(const CompiledPattern&, const nlohmann::json&);
  friend const PatternRules& pattern_rules(const CompiledPattern&);  // for the foundation's indexes

  std::shared_ptr<const PatternRules> rules_;
};

// Compiles `json_text` under the rules of `dialect`. A pattern AWS would refuse comes back as an
// Error whose message is AWS's own text, for the service to put on the wire under its own code:
//  - EventBridge (InvalidEventPatternException), the whole message, e.g.
//      Event pattern is not valid. Reason: "slug" must be an object or an array
//       at [Source: (String)"{...}"; line: 1, column: 27]
//  - SNS (InvalidParameter), the text after "Invalid parameter: " (SetSubscriptionAttributes)
//    or "Invalid parameter: Attributes Reason: " (Subscribe), e.g.
//      FilterPolicy: Filter policy is too complex
//      FilterPolicy: Empty arrays are not allowed\n at [Source: ...; line: 1, column: 12]
//      Filter policy scope MessageAttributes does not support nested filter policy
// The Error's code is kInvalidParameterValue; each service maps it to its own error.
Result<CompiledPattern> compile_pattern(std::string_view json_text, PatternDialect dialect);

// Whether `event` satisfies `pattern`. An event that is not a JSON object matches nothing.
bool matches(const CompiledPattern& pattern, const nlohmann::json& event);

}  // namespace wyvern
