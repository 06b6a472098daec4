// Compiling event patterns, and refusing them in AWS's words.
//
// AWS compiles patterns with aws/event-ruler, which pulls tokens from Jackson and stops at the
// first thing it dislikes; its messages carry Jackson's "current location", and which mistake is
// reported first depends on the order in which it reads. So this compiler reads the same way:
// a pull tokenizer that keeps Jackson's location rules (event_pattern_tokens.h), and a recursive
// reader that asks for tokens in event-ruler's order. The checks and messages follow event-ruler's
// JsonRuleCompiler; the SNS restrictions and limits follow what SNS answers (see the header).
//
// "$or" is compiled like event-ruler's Machine.addRule does it: first as the OR keyword; if that
// fails with a parse error, again with "$or" as a plain field name (its backward-compatible
// reading), and the second answer is the one given.
#include "event_pattern.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "event_pattern_rules.h"
#include "event_pattern_tokens.h"

namespace wyvern {
namespace {

using json = nlohmann::json;

// Wyvern's own bound on "$or" expansion, so a short pattern cannot ask for millions of
// sub-rules; SNS's complexity limit (150) is far below it. AWS documents no number for
// EventBridge.
constexpr size_t kMaxSubRules = 1000;

constexpr double kEventBridgeNumericLimit = 5e9;  // event-ruler's ComparableNumber range
constexpr double kSnsNumericLimit = 1e9;          // SNS filter policy constraints page

// Field names event-ruler reserves inside "$or" (its Constants.RESERVED_FIELD_NAMES_IN_OR_...).
bool reserved_inside_or(std::string_view name) {
  // clang-format off
  static constexpr std::string_view kReserved[] = {
      "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists", "wildcard",
      "numeric", "cidr", "=", "<", "<=", ">", ">=", "regex", "not-wildcard",
      "not-equals-ignore-case", "date-after", "date-on-or-after", "date-before",
      "date-on-or-before", "in-date-range", "ip-address-in-range", "ip-address-not-in-range"};
  // clang-format on
  return std::find(std::begin(kReserved), std::end(kReserved), name) != std::end(kReserved);
}

// Java's Double.toString for the two limits in "Value must be between ...".
std::string java_limit(double limit) {
  return limit >= 5e9 ? "5.0E9" : "1.0E9";
}

// A JSON number literal as a json value; one too large for a double becomes +/-inf.
json number_json(std::string_view literal) {
  json value = json::parse(literal, nullptr, false);
  if (value.is_discarded()) return std::strtod(std::string(literal).c_str(), nullptr);
  return value;
}

std::string join_path(const std::vector<std::string>& path) {
  std::string name;
  for (const auto& key : path) {
    if (!name.empty()) name += '.';
    name += key;
  }
  return name;
}

struct Failure {
  std::string reason;
  std::optional<size_t> offset;  // where Jackson was; absent for errors AWS reports without one
  bool retry = true;             // a parse error: event-ruler tries again with "$or" as a field
  bool located_twice = false;    // AWS's message carries the location a second time
};

class Compiler {
 public:
  Compiler(std::string_view text, PatternDialect dialect, bool or_keyword)
      : tokens_(text),
        sns_(dialect != PatternDialect::kEventBridge),
        limit_(sns_ ? kSnsNumericLimit : kEventBridgeNumericLimit),
        or_keyword_(or_keyword) {}

  // The sub-rules of the pattern, and its SNS complexity (the product of each value array's
  // length times its depth, "$or" branches summed).
  bool compile(std::vector<SubRule>& rules, double& combinations) {
    Tok t;
    if (!next(t)) return false;
    if (t != Tok::kStartObject) return fail("Filter is not an object");
    std::vector<std::string> path;
    return parse_object(rules, path, false, combinations);
  }

  const Failure& failure() const { return failure_; }

 private:
  bool fail(std::string reason) {
    failure_ = {std::move(reason), tokens_.offset(), true};
    return false;
  }
  // An IllegalArgumentException in event-ruler: no location, and no second try.
  bool fail_unlocated(std::string reason) {
    failure_ = {std::move(reason), std::nullopt, false};
    return false;
  }
  bool next(Tok& t) { return tokens_.next(t) || fail(tokens_.error()); }
  bool text(std::string& out) { return tokens_.text(out) || fail(tokens_.error()); }
  std::string token_text() {
    std::string out;
    tokens_.text(out);
    return out;
  }
  bool expect(Tok wanted, const char* reason) {
    Tok t;
    if (!next(t)) return false;
    return t == wanted || fail(reason);
  }

  bool parse_object(std::vector<SubRule>& rules, std::vector<std::string>& path, bool inside_or,
                    double& combinations) {
    combinations = 1;
    bool any_field = false;
    while (true) {
      Tok t;
      if (!next(t)) return false;
      if (t == Tok::kEndObject) break;
      any_field = true;
      const std::string key = tokens_.name();
      if (or_keyword_ && key == "$or") {
        double branches = 0;
        if (!parse_or(rules, path, branches)) return false;
        combinations *= branches;
        continue;
      }
      if (inside_or && reserved_inside_or(key))
        return fail(key + " is Ruler reserved fieldName which cannot be used inside $or.");
      if (!next(t)) return false;
      path.push_back(key);
      double inner = 1;
      bool ok;
      if (t == Tok::kStartObject)
        ok = parse_object(rules, path, inside_or, inner);
      else if (t == Tok::kStartArray)
        ok = parse_values(rules, path, inner);
      else
        ok = fail("\"" + key + "\" must be an object or an array");
      path.pop_back();
      if (!ok) return false;
      combinations *= inner;
    }
    return any_field || fail("Empty objects are not allowed");
  }

  // Each object of the array continues every sub-rule built so far, so the sub-rules multiply.
  bool parse_or(std::vector<SubRule>& rules, std::vector<std::string>& path, double& sum) {
    const std::vector<SubRule> before = std::move(rules);
    rules.clear();
    Tok t;
    if (!next(t)) return false;
    if (t != Tok::kStartArray) return fail("It must be an Array followed with $or.");
    int objects = 0;
    while (true) {
      if (!next(t)) return false;
      if (t == Tok::kEndArray) break;
      ++objects;
      if (t != Tok::kStartObject)
        return fail("Only JSON object is allowed in array of $or relationship.");
      std::vector<SubRule> branch = before;
      if (branch.empty()) branch.emplace_back();
      double combinations = 1;
      if (!parse_object(branch, path, true, combinations)) return false;
      sum += combinations;
      if (rules.size() + branch.size() > kMaxSubRules)
        return fail_unlocated("Too many $or combinations; Wyvern allows " +
                              std::to_string(kMaxSubRules));
      for (auto& rule : branch) rules.push_back(std::move(rule));
    }
    if (objects < 2) return fail("There must have at least 2 Objects in $or relationship.");
    return true;
  }

  bool parse_values(std::vector<SubRule>& rules, const std::vector<std::string>& path,
                    double& combinations) {
    auto field = std::make_shared<FieldRule>();
    field->path = path;
    field->name = join_path(path);
    while (true) {
      Tok t;
      if (!next(t)) return false;
      if (t == Tok::kEndArray) break;
      Condition c{};
      switch (t) {
        case Tok::kStartObject:
          if (!parse_condition(c)) return false;
          break;
        case Tok::kString:
          c.kind = Condition::Kind::kExactString;
          if (!text(c.text)) return false;
          c.ip = parse_ip(c.text);
          break;
        case Tok::kNumber:
          c.kind = Condition::Kind::kExactLiteral;
          c.literal = number_json(tokens_.number());
          break;
        case Tok::kTrue:
        case Tok::kFalse:
        case Tok::kNull:
          c.kind = Condition::Kind::kExactLiteral;
          c.literal = (t == Tok::kNull) ? json(nullptr) : json(t == Tok::kTrue);
          break;
        default:
          return fail("Match value must be String, number, true, false, or null");
      }
      if (c.kind == Condition::Kind::kAbsent) field->allows_absent = true;
      field->any_of.push_back(std::move(c));
    }
    if (field->any_of.empty()) return fail("Empty arrays are not allowed");
    combinations = static_cast<double>(field->any_of.size()) * static_cast<double>(path.size());
    if (rules.empty()) rules.emplace_back();
    std::shared_ptr<const FieldRule> shared = std::move(field);
    for (auto& rule : rules) {
      // A name given twice keeps its last conditions, as event-ruler's map does.
      auto same = std::find_if(rule.fields.begin(), rule.fields.end(),
                               [&](const auto& f) { return f->name == shared->name; });
      if (same != rule.fields.end())
        *same = shared;
      else
        rule.fields.push_back(shared);
    }
    return true;
  }

  // One {"operator": ...} object, its opening brace already read.
  bool parse_condition(Condition& c) {
    Tok t;
    if (!next(t)) return false;
    if (t != Tok::kFieldName) return fail("Match expression name not found");
    const std::string op = tokens_.name();
    if (op == "exactly" && !sns_) {
      c.kind = Condition::Kind::kExactString;
      if (!expect(Tok::kString, "exact match pattern must be a string") || !text(c.text))
        return false;
      return expect(Tok::kEndObject, "Only one key allowed in match expression");
    }
    if (op == "prefix" || op == "suffix") return parse_affix(c, op == "prefix");
    if (op == "numeric") {
      if (!expect(Tok::kStartArray, "Value of numeric must be an array.")) return false;
      c.kind = Condition::Kind::kNumeric;
      if (!parse_numeric(c.range)) return false;
      return expect(Tok::kEndObject, "Too many elements in numeric expression");
    }
    if (op == "anything-but") return sns_ ? parse_anything_but_sns(c) : parse_anything_but(c);
    if (op == "exists") {
      if (!next(t)) return false;
      if (t != Tok::kTrue && t != Tok::kFalse)
        return fail("exists match pattern must be either true or false.");
      c.kind = (t == Tok::kTrue) ? Condition::Kind::kExists : Condition::Kind::kAbsent;
      return expect(Tok::kEndObject, "Only one key allowed in match expression");
    }
    if (op == "cidr") {
      // event-ruler's wording: the cidr branch was copied from prefix.
      std::string block;
      if (!expect(Tok::kString, "prefix match pattern must be a string") || !text(block))
        return false;
      c.kind = Condition::Kind::kCidr;
      if (!parse_cidr(block, c)) return false;
      return expect(Tok::kEndObject, "Only one key allowed in match expression");
    }
    if (op == "equals-ignore-case") {
      if (!expect(Tok::kString, "equals-ignore-case match pattern must be a string") ||
          !text(c.text))
        return false;
      c.kind = Condition::Kind::kEqualsIgnoreCase;
      c.text = fold_case(c.text);
      return expect(Tok::kEndObject, "Only one key allowed in match expression");
    }
    if (op == "wildcard" && !sns_) {
      std::string pattern;
      if (!expect(Tok::kString, "wildcard match pattern must be a string") || !text(pattern))
        return false;
      c.kind = Condition::Kind::kWildcard;
      c.globs.emplace_back();
      if (!parse_glob(pattern, c.globs.back())) return false;
      return expect(Tok::kEndObject, "Only one key allowed in match expression");
    }
    return fail("Unrecognized match type " + op);
  }

  // {"prefix": "x"}, {"suffix": "x"}, and on EventBridge {"prefix": {"equals-ignore-case": "x"}}.
  bool parse_affix(Condition& c, bool prefix) {
    const std::string word = prefix ? "prefix" : "suffix";
    Tok t;
    if (!next(t)) return false;
    if (t == Tok::kStartObject && !sns_) {
      if (!next(t)) return false;
      if (t != Tok::kFieldName)
        return fail(std::string(prefix ? "Prefix" : "Suffix") + " expression name not found");
      if (tokens_.name() != "equals-ignore-case")
        return fail(std::string(prefix ? "Unsupported prefix" : "Unsupported suffix") +
                    " pattern: " + tokens_.name());
      if (!expect(Tok::kString, "equals-ignore-case match pattern must be a string") ||
          !text(c.text))
        return false;
      c.kind = prefix ? Condition::Kind::kPrefixIgnoreCase : Condition::Kind::kSuffixIgnoreCase;
      c.text = fold_case(c.text);
      return expect(Tok::kEndObject, "Only one key allowed in match expression") &&
             expect(Tok::kEndObject, "Only one key allowed in match expression");
    }
    if (t != Tok::kString) return fail(word + " match pattern must be a string");
    if (!text(c.text)) return false;
    c.kind = prefix ? Condition::Kind::kPrefix : Condition::Kind::kSuffix;
    return expect(Tok::kEndObject, "Only one key allowed in match expression");
  }

  // A number that must lie within the dialect's numeric range.
  bool checked_number(std::string_view literal, double& value, bool located) {
    value = std::strtod(std::string(literal).c_str(), nullptr);
    if (value >= -limit_ && value <= limit_) return true;
    std::string reason = "Value must be between -" + java_limit(limit_) + " and " +
                         java_limit(limit_) + ", inclusive";
    return located ? fail(std::move(reason)) : fail_unlocated(std::move(reason));
  }

  // anything-but as EventBridge takes it: a value, a list of strings or of numbers, or an object
  // naming prefix, suffix, equals-ignore-case or wildcard with a string or a list of strings.
  bool parse_anything_but(Condition& c) {
    c.kind = Condition::Kind::kAnythingBut;
    Tok t;
    if (!next(t)) return false;
    const bool nested = (t == Tok::kStartObject);
    if (nested) {
      if (!next(t)) return false;
      if (t != Tok::kFieldName) return fail("Anything-But expression name not found");
      const std::string& op = tokens_.name();
      if (op == "equals-ignore-case")
        c.kind = Condition::Kind::kAnythingButIgnoreCase;
      else if (op == "prefix")
        c.kind = Condition::Kind::kAnythingButPrefix;
      else if (op == "suffix")
        c.kind = Condition::Kind::kAnythingButSuffix;
      else if (op == "wildcard")
        c.kind = Condition::Kind::kAnythingButWildcard;
      else
        return fail("Unsupported anything-but pattern: " + op);
      if (!next(t)) return false;
    }
    if (t != Tok::kStartArray && t != Tok::kString && t != Tok::kNumber)
      return fail("Value of anything-but must be an array or single string/number value.");
    bool ok;
    if (!nested)
      ok = (t == Tok::kStartArray) ? anything_but_list(c) : anything_but_value(c, t);
    else if (t == Tok::kStartArray)
      ok = anything_but_set_list(c);
    else
      ok = anything_but_set_value(c, t);
    if (!ok) return false;
    if (!expect(Tok::kEndObject, "Too many elements in numeric expression")) return false;
    return !nested || expect(Tok::kEndObject, "Too many elements in numeric expression");
  }

  bool anything_but_list(Condition& c) {
    bool strings = false, numbers = false;
    while (true) {
      Tok t;
      if (!next(t)) return false;
      if (t == Tok::kEndArray) break;
      if (t == Tok::kString) {
        std::string s;
        if (!text(s)) return false;
        c.texts.push_back(std::move(s));
        strings = true;
      } else if (t == Tok::kNumber) {
        double v;
        if (!checked_number(tokens_.number(), v, true)) return false;
        c.literals.push_back(number_json(tokens_.number()));
        numbers = true;
      } else {
        return fail("Inside anything but list, start|null|boolean is not supported.");
      }
    }
    if (strings == numbers)
      return fail(
          "Inside anything but list, either all values are number or string, mixed type is not "
          "supported");
    return true;
  }

  bool anything_but_value(Condition& c, Tok t) {
    if (t == Tok::kString) {
      std::string s;
      if (!text(s)) return false;
      c.texts.push_back(std::move(s));
      return true;
    }
    double v;
    if (!checked_number(tokens_.number(), v, false)) return false;
    c.literals.push_back(number_json(tokens_.number()));
    return true;
  }

  bool anything_but_set_item(Condition& c) {
    std::string s;
    if (!text(s)) return false;
    const bool affix = c.kind == Condition::Kind::kAnythingButPrefix ||
                       c.kind == Condition::Kind::kAnythingButSuffix;
    if (affix && s.empty()) return fail("Null prefix/suffix not allowed");
    if (c.kind == Condition::Kind::kAnythingButWildcard) {
      c.globs.emplace_back();
      return parse_glob(s, c.globs.back());
    }
    c.texts.push_back(c.kind == Condition::Kind::kAnythingButIgnoreCase ? fold_case(s) : s);
    return true;
  }

  bool not_a_set_string(const Condition& c) {
    if (c.kind == Condition::Kind::kAnythingButIgnoreCase)
      return fail(
          "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
          "supported.");
    if (c.kind == Condition::Kind::kAnythingButWildcard)
      return fail("wildcard match pattern must be a string");
    return fail("prefix/suffix match pattern must be a string");
  }

  bool anything_but_set_list(Condition& c) {
    while (true) {
      Tok t;
      if (!next(t)) return false;
      if (t == Tok::kEndArray) return true;
      if (t != Tok::kString) {
        // Inside a list AWS's message names the location twice (the error is wrapped once
        // more on its way out), as recorded against EventBridge.
        not_a_set_string(c);
        failure_.located_twice = true;
        return false;
      }
      if (!anything_but_set_item(c)) return false;
    }
  }

  bool anything_but_set_value(Condition& c, Tok t) {
    return t == Tok::kString ? anything_but_set_item(c) : not_a_set_string(c);
  }

  // anything-but as SNS takes it: a value, a list, or {"prefix": "x"}.
  bool parse_anything_but_sns(Condition& c) {
    c.kind = Condition::Kind::kAnythingBut;
    Tok t;
    if (!next(t)) return false;
    if (t == Tok::kStartObject) {
      if (!next(t)) return false;
      if (t != Tok::kFieldName) return fail("Anything-But expression name not found");
      if (tokens_.name() != "prefix")
        return fail("Unsupported anything-but pattern: " + tokens_.name());
      std::string prefix;
      if (!expect(Tok::kString, "prefix match pattern must be a string") || !text(prefix))
        return false;
      if (prefix.empty()) return fail("Null prefix not allowed");
      c.kind = Condition::Kind::kAnythingButPrefix;
      c.texts.push_back(std::move(prefix));
      return expect(Tok::kEndObject, "Only one key allowed in match expression") &&
             expect(Tok::kEndObject, "Only one key allowed in match expression");
    }
    if (t != Tok::kStartArray && t != Tok::kString && t != Tok::kNumber)
      return fail("Value of anything-but must be an array or single string/number value.");
    if (!(t == Tok::kStartArray ? anything_but_list(c) : anything_but_value(c, t))) return false;
    return expect(Tok::kEndObject, "Too many elements in numeric expression");
  }

  // ["op", n] or [">" | ">=", n, "<" | "<=", n], its opening bracket already read.
  bool parse_numeric(NumericRange& range) {
    Tok t;
    if (!next(t)) return false;
    if (t != Tok::kString) return fail("Invalid member in numeric match: " + token_text());
    std::string op;
    if (!text(op) || !next(t)) return false;
    if (op == "=") {
      if (t != Tok::kNumber) return fail("Value of equals must be numeric");
      std::string_view literal = tokens_.number();
      if (!expect(Tok::kEndArray, "Too many elements in numeric expression")) return false;
      double v;
      if (!checked_number(literal, v, true)) return false;
      range.low = range.high = v;
      return true;
    }
    if (op == ">=" || op == ">") {
      if (t != Tok::kNumber) return fail("Value of " + op + " must be numeric");
      std::string_view low = tokens_.number();
      range.low_open = (op == ">");
      if (!next(t)) return false;
      if (t == Tok::kEndArray) {
        double v;
        if (!checked_number(low, v, true)) return false;
        range.low = v;
        return true;
      }
      return parse_upper_bound(range, low, t);
    }
    if (op == "<=" || op == "<") {
      if (t != Tok::kNumber) return fail("Value of " + op + " must be numeric");
      std::string_view high = tokens_.number();
      if (!expect(Tok::kEndArray, "Too many elements in numeric expression")) return false;
      double v;
      if (!checked_number(high, v, true)) return false;
      range.high = v;
      range.high_open = (op == "<");
      return true;
    }
    return fail("Unrecognized numeric range operator: " + op);
  }

  bool parse_upper_bound(NumericRange& range, std::string_view low, Tok t) {
    if (t != Tok::kString) return fail("Bad value in numeric range: " + token_text());
    std::string op;
    if (!text(op)) return false;
    if (op != "<" && op != "<=") return fail("Bad numeric range operator: " + op);
    if (!next(t)) return false;
    if (t != Tok::kNumber) return fail("Value of " + op + " must be numeric");
    std::string_view high = tokens_.number();
    if (!expect(Tok::kEndArray, "Too many terms in numeric range expression")) return false;
    double lo, hi;
    if (!checked_number(low, lo, true) || !checked_number(high, hi, true)) return false;
    if (lo >= hi) return fail("Bottom must be less than top");
    range.low = lo;
    range.high = hi;
    range.high_open = (op == "<");
    return true;
  }

  // event-ruler's CIDR.cidr: its errors are IllegalArgumentExceptions, reported bare. The block
  // runs from the address as written (not masked) to that address with every host bit set.
  bool parse_cidr(const std::string& block, Condition& c) {
    size_t slash = block.find('/');
    std::string_view rest =
        slash == std::string::npos ? "" : std::string_view(block).substr(slash + 1);
    if (slash == std::string::npos || rest.empty() || rest.find('/') != std::string_view::npos)
      return fail_unlocated("Malformed CIDR, one '/' required");
    std::string_view digits = rest;
    bool negative = false;
    if (digits[0] == '+' || digits[0] == '-') {
      negative = digits[0] == '-';
      digits.remove_prefix(1);
    }
    if (digits.empty() || digits.size() > 9 ||
        !std::all_of(digits.begin(), digits.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      return fail_unlocated("Malformed CIDR, mask bits must be an integer");
    int bits = std::stoi(std::string(digits));
    if (negative && bits != 0)
      return fail_unlocated("Malformed CIDR, mask bits must not be negative");
    const std::string address = block.substr(0, slash);
    if (!looks_like_ip(address)) return fail_unlocated("Nonstandard IP address: " + address);
    auto ip = parse_ip(address);
    if (!ip) return fail_unlocated("Invalid IP address: " + address);
    if (!ip->v6 && bits > 31) return fail_unlocated("IPv4 mask bits must be < 32");
    if (ip->v6 && bits > 127) return fail_unlocated("IPv6 mask bits must be < 128");
    c.ip_low = *ip;
    c.ip_high = *ip;
    const int width = ip->v6 ? 128 : 32;
    for (int bit = bits; bit < width; ++bit) c.ip_high.bytes[bit / 8] |= 0x80 >> (bit % 8);
    return true;
  }

  // event-ruler's WildcardParser, which numbers positions in the value wrapped in quotes.
  bool parse_glob(std::string_view text, Glob& glob) {
    for (size_t i = 0; i < text.size(); ++i) {
      const char ch = text[i];
      if (ch == '*') {
        if (i + 1 < text.size() && text[i + 1] == '*')
          return fail("Consecutive wildcard characters at pos " + std::to_string(i + 1));
        glob.push_back(kStar);
      } else if (ch == '\\') {
        if (i + 1 < text.size() && (text[i + 1] == '*' || text[i + 1] == '\\')) {
          glob.push_back(static_cast<unsigned char>(text[++i]));
          continue;
        }
        return fail("Invalid escape character at pos " + std::to_string(i + 1));
      } else {
        glob.push_back(static_cast<unsigned char>(ch));
      }
    }
    return true;
  }

  Tokens tokens_;
  bool sns_;
  double limit_;
  bool or_keyword_;
  Failure failure_;
};

std::string refusal(PatternDialect dialect, std::string_view text, const Failure& failure) {
  std::string reason = failure.reason;
  if (failure.offset) {
    reason += "\n at " + describe_location(text, *failure.offset);
    if (failure.located_twice) reason += "\n at " + describe_location(text, *failure.offset);
  }
  if (dialect == PatternDialect::kEventBridge)
    return "Event pattern is not valid. Reason: " + reason;
  return "FilterPolicy: " + reason;
}

Error invalid(std::string message) {
  return Error{ErrorCode::kInvalidParameterValue, std::move(message)};
}

// --- Wildcard complexity ------------------------------------------------------------------
//
// EventBridge refuses a rule whose wildcards could keep too many matching paths alive at once
// for some value: event-ruler's MachineComplexityEvaluator measure, the largest number of
// wildcard-pattern prefixes one input can match ("a*b*bb" on "abbb": a*, a*b, a*b*, a*b*b,
// a*b*bb, so 5), summed over a field's distinct wildcard patterns. AWS refuses more than 10.
constexpr int kMaxWildcardComplexity = 10;
// Sets of live prefixes worth exploring before calling a field too complex to evaluate.
constexpr size_t kMaxComplexityStates = 20000;

// The prefixes of `glob` (as lengths 0..n) that match all of some input, once the input has
// been read to the state `live`, after it reads one more byte `c` (-2: a byte no pattern has).
std::vector<bool> glob_step(const Glob& glob, const std::vector<bool>& live, int c) {
  const size_t n = glob.size();
  std::vector<bool> next(n + 1, false);
  for (size_t k = 0; k <= n; ++k) {
    if (!live[k]) continue;
    if (k > 0 && glob[k - 1] == kStar) next[k] = true;         // the star takes the byte
    if (k < n && glob[k] != kStar && glob[k] == c) next[k + 1] = true;
  }
  for (size_t k = 0; k < n; ++k)  // a star may also match nothing
    if (next[k] && glob[k] == kStar) next[k + 1] = true;
  return next;
}

// The complexity of one field's distinct wildcard patterns, stopping once it passes `limit`.
int wildcard_complexity(const std::vector<Glob>& globs, int limit) {
  std::set<int> alphabet;
  for (const auto& g : globs)
    for (int c : g)
      if (c != kStar) alphabet.insert(c);
  alphabet.insert(-2);
  using State = std::vector<std::vector<bool>>;
  State start;
  for (const auto& g : globs) {
    std::vector<bool> live(g.size() + 1, false);
    live[0] = true;
    for (size_t k = 0; k < g.size() && live[k] && g[k] == kStar; ++k) live[k + 1] = true;
    start.push_back(std::move(live));
  }
  std::set<State> seen{start};
  std::vector<State> pending{start};
  int worst = 0;
  while (!pending.empty()) {
    State state = std::move(pending.back());
    pending.pop_back();
    for (int c : alphabet) {
      State next;
      int count = 0;
      bool alive = false;
      for (size_t i = 0; i < globs.size(); ++i) {
        next.push_back(glob_step(globs[i], state[i], c));
        for (size_t k = 1; k < next.back().size(); ++k) count += next.back()[k];
        alive = alive || std::find(next.back().begin(), next.back().end(), true) !=
                             next.back().end();
      }
      if (!alive) continue;
      worst = std::max(worst, count);
      if (worst > limit || seen.size() > kMaxComplexityStates) return limit + 1;
      if (seen.insert(next).second) pending.push_back(std::move(next));
    }
  }
  return worst;
}

// Whether any field of the pattern has wildcards too complex for EventBridge.
bool wildcards_too_complex(const std::vector<SubRule>& rules) {
  std::map<std::string, std::set<Glob>> by_field;
  for (const auto& rule : rules)
    for (const auto& field : rule.fields)
      for (const auto& c : field->any_of)
        if (c.kind == Condition::Kind::kWildcard || c.kind == Condition::Kind::kAnythingButWildcard)
          by_field[field->name].insert(c.globs.begin(), c.globs.end());
  for (const auto& [name, globs] : by_field)
    if (wildcard_complexity({globs.begin(), globs.end()}, kMaxWildcardComplexity) >
        kMaxWildcardComplexity)
      return true;
  return false;
}

// The limits SNS puts on a filter policy that parsed.
std::optional<Error> check_sns_limits(PatternDialect dialect, const std::vector<SubRule>& rules,
                                      double combinations) {
  for (const auto& rule : rules) {
    std::set<std::string_view> top_level;
    for (const auto& field : rule.fields) top_level.insert(field->path.front());
    if (top_level.size() > kSnsFilterPolicyMaxKeys)
      return invalid("FilterPolicy: Filter policy can not have more than 5 keys");
  }
  if (dialect == PatternDialect::kSnsMessageAttributes) {
    for (const auto& rule : rules)
      for (const auto& field : rule.fields)
        if (field->path.size() > 1)
          return invalid(
              "Filter policy scope MessageAttributes does not support nested filter policy");
  }
  if (combinations > static_cast<double>(kSnsFilterPolicyMaxCombinations))
    return invalid("FilterPolicy: Filter policy is too complex");
  return std::nullopt;
}

}  // namespace

PatternDialect CompiledPattern::dialect() const {
  return rules_->dialect;
}

const PatternRules& pattern_rules(const CompiledPattern& pattern) {
  return *pattern.rules_;
}

Result<CompiledPattern> compile_pattern(std::string_view json_text, PatternDialect dialect) {
  const bool sns = dialect != PatternDialect::kEventBridge;
  if (sns) {
    // Sizes and syntax are checked before the policy is read as a pattern. The size text is
    // Wyvern's: AWS documents the 256 KB limit but not its message.
    if (json_text.size() > kSnsFilterPolicyMaxBytes)
      return invalid("FilterPolicy: Filter policy is too long");
    if (!nlohmann::json::accept(json_text)) return invalid("FilterPolicy: failed to parse JSON.");
  }

  std::vector<SubRule> rules;
  double combinations = 0;
  Compiler with_or(json_text, dialect, true);
  if (!with_or.compile(rules, combinations)) {
    const Failure* failure = &with_or.failure();
    std::optional<Compiler> plain;
    if (failure->retry) {
      rules.clear();
      plain.emplace(json_text, dialect, false);
      if (plain->compile(rules, combinations))
        failure = nullptr;
      else
        failure = &plain->failure();
    }
    if (failure) return invalid(refusal(dialect, json_text, *failure));
  }
  if (sns) {
    if (auto error = check_sns_limits(dialect, rules, combinations)) return *error;
  } else if (wildcards_too_complex(rules)) {
    return Error{ErrorCode::kInvalidParameterValue,
                 "Event pattern is not valid. Reason: Rule is too complex - try using fewer "
                 "wildcard characters or fewer repeating character sequences after a wildcard "
                 "character"};
  }

  auto compiled = std::make_shared<PatternRules>();
  compiled->dialect = dialect;
  compiled->numeric_limit = sns ? kSnsNumericLimit : kEventBridgeNumericLimit;
  for (const auto& rule : rules) {
    for (const auto& field : rule.fields) {
      compiled->names.insert(field->name);
      for (size_t dot = field->name.find('.'); dot != std::string::npos;
           dot = field->name.find('.', dot + 1))
        compiled->prefixes.insert(field->name.substr(0, dot));
    }
  }
  compiled->any_of = std::move(rules);
  return CompiledPattern(std::move(compiled));
}

}  // namespace wyvern
