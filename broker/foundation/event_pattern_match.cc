// Matching events against compiled patterns.
//
// The event is flattened the way aws/event-ruler flattens it: every leaf value under a dotted
// name, with the array elements it sits in. Only names (and their dotted prefixes) that the
// pattern mentions are visited, so a large event costs what the pattern looks at.
//
// A sub-rule then needs one leaf per field, chosen so that no two chosen leaves come from
// different elements of the same array (event-ruler's "array consistency"). A field that allows
// {"exists": false} may instead be absent: no leaf of that name fits the elements chosen for the
// other fields. The search backtracks over leaves, but leaves outside any array fit every
// choice, so events without arrays never backtrack.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "event_pattern.h"
#include "event_pattern_rules.h"

namespace wyvern {

bool looks_like_ip(std::string_view text) {
  if (text.empty()) return false;
  if (text.find(':') != std::string_view::npos)
    return std::all_of(text.begin(), text.end(), [](char c) {
      return c == ':' || std::isxdigit(static_cast<unsigned char>(c));
    });
  int groups = 0;
  size_t digits = 0;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c == '.' && digits > 0) {
      ++groups;
      digits = 0;
    } else {
      return false;
    }
  }
  return groups == 3 && digits > 0;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (!looks_like_ip(text)) return std::nullopt;
  IpAddress ip;
  if (text.find(':') != std::string_view::npos) {
    ip.v6 = true;
    if (inet_pton(AF_INET6, std::string(text).c_str(), ip.bytes.data()) != 1) return std::nullopt;
    return ip;
  }
  // Octets are decimal even with leading zeros, as Java's InetAddress reads them.
  size_t octet = 0;
  unsigned value = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '.') {
      ip.bytes[octet++] = static_cast<uint8_t>(value);
      value = 0;
      continue;
    }
    value = value * 10 + (text[i] - '0');
    if (value > 255) return std::nullopt;
  }
  return ip;
}

bool glob_matches(const Glob& glob, std::string_view text) {
  size_t g = 0, t = 0, star = std::string::npos, resume = 0;
  while (t < text.size()) {
    if (g < glob.size() && glob[g] == kStar) {
      star = g++;
      resume = t;
    } else if (g < glob.size() && glob[g] == static_cast<unsigned char>(text[t])) {
      ++g;
      ++t;
    } else if (star != std::string::npos) {
      g = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == kStar) ++g;
  return g == glob.size();
}

namespace {

uint32_t lower(uint32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;
  if (cp >= 0x100 && cp <= 0x17F) {
    if (cp == 0x178) return 0xFF;
    const bool odd_upper = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    if (cp == 0x130 || cp == 0x131 || cp == 0x138 || cp == 0x149 || cp == 0x17F) return cp;
    if (odd_upper) return (cp % 2 == 1) ? cp + 1 : cp;
    return (cp % 2 == 0) ? cp + 1 : cp;
  }
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 32;
  if (cp == 0x386) return 0x3AC;
  if (cp >= 0x388 && cp <= 0x38A) return cp + 37;
  if (cp == 0x38C) return 0x3CC;
  if (cp == 0x38E || cp == 0x38F) return cp + 63;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 32;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
  return cp;
}

}  // namespace

std::string fold_case(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      out += static_cast<char>(lower(lead));
      ++i;
      continue;
    }
    size_t n = (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 1;
    if (n == 1 || i + n > text.size()) {
      out += text[i++];
      continue;
    }
    uint32_t cp = lead & (0x7F >> n);
    for (size_t k = 1; k < n; ++k)
      cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    const uint32_t folded = lower(cp);
    if (folded == cp) {
      out.append(text.substr(i, n));
    } else if (folded < 0x800) {
      out += static_cast<char>(0xC0 | (folded >> 6));
      out += static_cast<char>(0x80 | (folded & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (folded >> 12));
      out += static_cast<char>(0x80 | ((folded >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (folded & 0x3F));
    }
    i += n;
  }
  return out;
}

namespace {

using json = nlohmann::json;

// The array elements a leaf sits in: (array, index) pairs, outermost first.
struct Step {
  uint32_t array;
  uint32_t index;
};
using Membership = std::vector<Step>;

struct Leaf {
  const json* value;
  Membership membership;
};

using Fields = std::map<std::string, std::vector<Leaf>, std::less<>>;

bool consistent(const Membership& a, const Membership& b) {
  for (const Step& x : a)
    for (const Step& y : b)
      if (x.array == y.array && x.index != y.index) return false;
  return true;
}

// PutEvents reads events nested up to 1,100 levels deep; nothing deeper is looked at here either,
// which also bounds this recursion.
constexpr size_t kMaxEventDepth = 1100;

class Flattener {
 public:
  explicit Flattener(const PatternRules& rules) : rules_(rules) {}

  Fields flatten(const json& event) {
    Fields fields;
    Membership membership;
    std::string name;
    for (auto it = event.begin(); it != event.end(); ++it) {
      name = it.key();
      visit(it.value(), name, membership, fields, 1);
    }
    return fields;
  }

 private:
  void visit(const json& value, std::string& name, Membership& membership, Fields& fields,
             size_t depth) {
    const bool is_name = rules_.names.count(name) > 0;
    const bool is_prefix = rules_.prefixes.count(name) > 0;
    if ((!is_name && !is_prefix) || depth > kMaxEventDepth) return;
    if (value.is_object()) {
      if (!is_prefix) return;
      const size_t length = name.size();
      for (auto it = value.begin(); it != value.end(); ++it) {
        name += '.';
        name += it.key();
        visit(it.value(), name, membership, fields, depth + 1);
        name.resize(length);
      }
    } else if (value.is_array()) {
      const uint32_t array = next_array_++;
      for (uint32_t i = 0; i < value.size(); ++i) {
        membership.push_back({array, i});
        visit(value[i], name, membership, fields, depth + 1);
        membership.pop_back();
      }
    } else if (is_name) {
      fields[name].push_back({&value, membership});
    }
  }

  const PatternRules& rules_;
  uint32_t next_array_ = 0;
};

// EventBridge compares numbers as event-ruler's ComparableNumber does: within +/-5e9, to six
// decimal places (1.0000001 equals 1.0000002); beyond that range only as written, so an
// integer never equals a decimal there.
constexpr double kComparableLimit = 5e9;
int64_t six_decimals(double x) {
  return std::llround(x * 1e6);
}

bool numbers_equal(const json& a, const json& b, bool comparable) {
  if (comparable) {
    const double x = a.get<double>(), y = b.get<double>();
    if (std::fabs(x) <= kComparableLimit && std::fabs(y) <= kComparableLimit)
      return six_decimals(x) == six_decimals(y);
    if (a.is_number_integer() != b.is_number_integer()) return false;
  }
  if (a.is_number_integer() && b.is_number_integer()) {
    auto wide = [](const json& j) -> __int128 {
      return j.is_number_unsigned() ? static_cast<__int128>(j.get<uint64_t>())
                                    : static_cast<__int128>(j.get<int64_t>());
    };
    return wide(a) == wide(b);
  }
  return a.get<double>() == b.get<double>();
}

bool literal_equals(const json& pattern, const json& value, bool comparable) {
  if (pattern.is_number()) return value.is_number() && numbers_equal(pattern, value, comparable);
  if (pattern.is_boolean()) return value.is_boolean() && value.get<bool>() == pattern.get<bool>();
  return pattern.is_null() && value.is_null();
}

bool same_ip(const IpAddress& a, const IpAddress& b) {
  return a.v6 == b.v6 && a.bytes == b.bytes;
}

bool in_block(const IpAddress& ip, const IpAddress& low, const IpAddress& high) {
  if (ip.v6 != low.v6) return false;
  const size_t n = ip.v6 ? 16 : 4;
  auto compare = [n](const IpAddress& x, const IpAddress& y) {
    return std::lexicographical_compare(x.bytes.begin(), x.bytes.begin() + n, y.bytes.begin(),
                                        y.bytes.begin() + n);
  };
  return !compare(ip, low) && !compare(high, ip);
}

bool in_range(const NumericRange& r, double x, bool comparable) {
  if (comparable) {  // bounds and value to six decimal places, as EventBridge compares them
    const int64_t v = six_decimals(x);
    if (r.low && (r.low_open ? !(v > six_decimals(*r.low)) : !(v >= six_decimals(*r.low))))
      return false;
    if (r.high && (r.high_open ? !(v < six_decimals(*r.high)) : !(v <= six_decimals(*r.high))))
      return false;
    return true;
  }
  if (r.low && (r.low_open ? !(x > *r.low) : !(x >= *r.low))) return false;
  if (r.high && (r.high_open ? !(x < *r.high) : !(x <= *r.high))) return false;
  return true;
}

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}
bool ends_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

bool satisfies(const Condition& c, const json& value, const PatternRules& rules) {
  using Kind = Condition::Kind;
  const double numeric_limit = rules.numeric_limit;
  const bool comparable = rules.dialect == PatternDialect::kEventBridge;
  switch (c.kind) {
    case Kind::kExists:
      return true;
    case Kind::kAbsent:
      return false;
    case Kind::kExactLiteral:
      return literal_equals(c.literal, value, comparable);
    case Kind::kNumeric: {
      if (!value.is_number()) return false;
      const double x = value.get<double>();
      return x >= -numeric_limit && x <= numeric_limit && in_range(c.range, x, comparable);
    }
    case Kind::kAnythingBut:
      if (!c.literals.empty()) {
        if (!value.is_number()) return true;
        return std::none_of(c.literals.begin(), c.literals.end(),
                            [&](const json& n) { return numbers_equal(n, value, comparable); });
      }
      if (!value.is_string()) return true;
      return std::find(c.texts.begin(), c.texts.end(), value.get_ref<const std::string&>()) ==
             c.texts.end();
    case Kind::kAnythingButPrefix:
    case Kind::kAnythingButSuffix:
    case Kind::kAnythingButIgnoreCase:
    case Kind::kAnythingButWildcard: {
      // Excluding string shapes: any value that is not a string is not excluded.
      if (!value.is_string()) return true;
      const std::string& s = value.get_ref<const std::string&>();
      if (c.kind == Kind::kAnythingButWildcard)
        return std::none_of(c.globs.begin(), c.globs.end(),
                            [&](const Glob& g) { return glob_matches(g, s); });
      const std::string folded = c.kind == Kind::kAnythingButIgnoreCase ? fold_case(s) : s;
      return std::none_of(c.texts.begin(), c.texts.end(), [&](const std::string& t) {
        if (c.kind == Kind::kAnythingButPrefix) return starts_with(s, t);
        if (c.kind == Kind::kAnythingButSuffix) return ends_with(s, t);
        return folded == t;
      });
    }
    default:
      break;
  }
  // The rest only see strings.
  if (!value.is_string()) return false;
  const std::string& s = value.get_ref<const std::string&>();
  switch (c.kind) {
    case Kind::kExactString: {
      if (s == c.text) return true;
      if (!c.ip) return false;
      auto ip = parse_ip(s);
      return ip && same_ip(*ip, *c.ip);
    }
    case Kind::kPrefix:
      return starts_with(s, c.text);
    case Kind::kSuffix:
      return ends_with(s, c.text);
    case Kind::kPrefixIgnoreCase:
      return starts_with(fold_case(s), c.text);
    case Kind::kSuffixIgnoreCase:
      return ends_with(fold_case(s), c.text);
    case Kind::kEqualsIgnoreCase:
      return fold_case(s) == c.text;
    case Kind::kWildcard:
      return glob_matches(c.globs.front(), s);
    case Kind::kCidr: {
      auto ip = parse_ip(s);
      return ip && in_block(*ip, c.ip_low, c.ip_high);
    }
    default:
      return false;
  }
}

// The leaves a field could use, and whether it may be absent instead.
struct Option {
  const FieldRule* field;
  const std::vector<Leaf>* leaves;   // every leaf of that name, or null
  std::vector<const Leaf*> choices;  // the leaves that satisfy a condition, one per membership
};

class RuleSearch {
 public:
  explicit RuleSearch(std::vector<Option> options) : options_(std::move(options)) {}

  bool run() { return search(0); }

 private:
  bool search(size_t i) {
    if (i == options_.size()) {
      for (const Option* absent : absent_)
        for (const Leaf& leaf : *absent->leaves)
          if (consistent(leaf.membership, chosen_)) return false;
      return true;
    }
    const Option& option = options_[i];
    for (const Leaf* leaf : option.choices) {
      if (!consistent(leaf->membership, chosen_)) continue;
      const size_t before = chosen_.size();
      for (const Step& step : leaf->membership) {
        const bool known = std::any_of(chosen_.begin(), chosen_.begin() + before,
                                       [&](const Step& s) { return s.array == step.array; });
        if (!known) chosen_.push_back(step);
      }
      if (search(i + 1)) return true;
      chosen_.resize(before);
    }
    if (option.field->allows_absent) {
      absent_.push_back(&option);
      if (search(i + 1)) return true;
      absent_.pop_back();
    }
    return false;
  }

  std::vector<Option> options_;
  Membership chosen_;
  std::vector<const Option*> absent_;
};

bool rule_matches(const SubRule& rule, const Fields& fields, const PatternRules& rules) {
  std::vector<Option> options;
  for (const auto& field : rule.fields) {
    auto found = fields.find(field->name);
    const std::vector<Leaf>* leaves = found == fields.end() ? nullptr : &found->second;
    if (!leaves) {
      if (field->allows_absent) continue;
      return false;
    }
    Option option{field.get(), leaves, {}};
    for (const Leaf& leaf : *leaves) {
      const bool hit =
          std::any_of(field->any_of.begin(), field->any_of.end(),
                      [&](const Condition& c) { return satisfies(c, *leaf.value, rules); });
      if (!hit) continue;
      if (leaf.membership.empty()) {  // fits every choice, so it is the only one worth trying
        option.choices.assign(1, &leaf);
        break;
      }
      const bool repeat =
          std::any_of(option.choices.begin(), option.choices.end(), [&](const Leaf* l) {
            return l->membership.size() == leaf.membership.size() &&
                   std::equal(l->membership.begin(), l->membership.end(), leaf.membership.begin(),
                              [](const Step& a, const Step& b) {
                                return a.array == b.array && a.index == b.index;
                              });
          });
      if (!repeat) option.choices.push_back(&leaf);
    }
    if (option.choices.empty() && !field->allows_absent) return false;
    // A leaf outside every array constrains nothing: the field is settled without a search.
    if (option.choices.size() == 1 && option.choices.front()->membership.empty()) continue;
    options.push_back(std::move(option));
  }
  std::sort(options.begin(), options.end(),
            [](const Option& a, const Option& b) { return a.choices.size() < b.choices.size(); });
  return RuleSearch(std::move(options)).run();
}

}  // namespace

bool matches(const CompiledPattern& pattern, const nlohmann::json& event) {
  if (!event.is_object()) return false;
  const PatternRules& rules = *pattern.rules_;
  const Fields fields = Flattener(rules).flatten(event);
  return std::any_of(rules.any_of.begin(), rules.any_of.end(), [&](const SubRule& rule) {
    return rule_matches(rule, fields, rules);
  });
}

}  // namespace wyvern
