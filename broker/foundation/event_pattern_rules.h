// The compiled form of an event pattern, shared by its compiler (event_pattern.cc) and its
// matcher (event_pattern_match.cc). Private to the foundation.
//
// Like aws/event-ruler, a pattern compiles to a list of sub-rules, one per combination of "$or"
// branches; the pattern matches when any sub-rule does. A sub-rule maps dotted field names to
// the conditions that field must meet (at least one of them).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "foundation/event_pattern.h"

namespace wyvern {

// An IPv4 (4 bytes used) or IPv6 address, or the bounds of a CIDR block.
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};
};

// Whether `text` has the shape event-ruler takes for an address: four dot-separated runs of
// digits, or hex digits and colons with at least one colon.
bool looks_like_ip(std::string_view text);

// The address `text` spells, if it has that shape and is valid.
std::optional<IpAddress> parse_ip(std::string_view text);

// Wildcard text with its escapes resolved: kStar for '*', otherwise a byte.
inline constexpr int kStar = -1;
using Glob = std::vector<int>;

bool glob_matches(const Glob& glob, std::string_view text);

// Lower-cases ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic letters of UTF-8 text.
std::string fold_case(std::string_view text);

struct NumericRange {
  std::optional<double> low, high;
  bool low_open = false, high_open = false;
};

struct Condition {
  enum class Kind {
    kExactString,            // text (and ip when text is an address literal)
    kExactLiteral,           // literal: a number, true, false or null
    kPrefix,                 // text
    kPrefixIgnoreCase,       // text, folded
    kSuffix,                 // text
    kSuffixIgnoreCase,       // text, folded
    kEqualsIgnoreCase,       // text, folded
    kWildcard,               // globs[0]
    kAnythingBut,            // texts (strings) or literals (numbers)
    kAnythingButPrefix,      // texts
    kAnythingButSuffix,      // texts
    kAnythingButIgnoreCase,  // texts, folded
    kAnythingButWildcard,    // globs
    kNumeric,                // range
    kCidr,                   // ip_low, ip_high
    kExists,
    kAbsent,
  };
  Kind kind;
  std::string text;
  std::optional<IpAddress> ip;
  nlohmann::json literal;
  std::vector<std::string> texts;
  std::vector<nlohmann::json> literals;
  std::vector<Glob> globs;
  NumericRange range;
  IpAddress ip_low, ip_high;
};

struct FieldRule {
  std::vector<std::string> path;  // the keys leading to the field
  std::string name;               // path joined with dots: how events are looked up
  std::vector<Condition> any_of;
  bool allows_absent = false;  // one of the conditions is {"exists": false}
};

struct SubRule {
  std::vector<std::shared_ptr<const FieldRule>> fields;  // distinct names
};

struct PatternRules {
  PatternDialect dialect;
  double numeric_limit;  // numbers beyond +/- this never match numerically
  std::vector<SubRule> any_of;
  std::set<std::string, std::less<>> names;     // every FieldRule::name
  std::set<std::string, std::less<>> prefixes;  // every dotted prefix of a name ("a" of "a.b")
};

// The compiled form of `pattern`, for matchers that index many patterns (event_ruleset.cc). It
// lives as long as `pattern` does.
const PatternRules& pattern_rules(const CompiledPattern& pattern);

}  // namespace wyvern
