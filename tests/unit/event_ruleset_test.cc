// RuleSet: the many-rule matcher must answer exactly what matches() answers for each rule, and
// confirm a number of candidates that does not grow with the number of rules.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "foundation/event_pattern.h"
#include "foundation/event_ruleset.h"

using namespace wyvern;
using json = nlohmann::json;
using RuleId = RuleSet::RuleId;

namespace {

CompiledPattern compiled(const std::string& text,
                         PatternDialect dialect = PatternDialect::kEventBridge) {
  auto pattern = compile_pattern(text, dialect);
  INFO(text);
  INFO((pattern.ok() ? std::string() : pattern.error().message));
  REQUIRE(pattern.ok());
  return *pattern;
}

// Random patterns and events over a few fields and values chosen to collide often: equal numbers
// spelled differently, addresses spelled two ways, strings that differ in case, that look like
// numbers or addresses, that hold stars, and non-ASCII letters that fold.
class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  size_t below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <class T>
  const T& pick(const std::vector<T>& items) {
    return items[below(items.size())];
  }

  json event() {
    json e = json::object();
    for (const char* name : {"a", "b", "f"})
      if (chance(0.6)) e[name] = value_or_array();
    const size_t shape = below(10);
    if (shape < 5) {
      e["c"] = inner();
    } else if (shape < 7) {
      json elements = json::array();
      for (size_t n = 1 + below(3); n > 0; --n) elements.push_back(inner());
      e["c"] = elements;
    } else if (shape == 7) {
      e["c.d"] = value_or_array();
    } else if (shape == 8) {
      e["c"] = scalar();
    }
    if (chance(0.3)) e["g"] = {{"h", scalar()}};
    return e;
  }

  std::string pattern() {
    json p = object(1 + below(3));
    if (chance(0.3)) {
      json branches = json::array();
      for (size_t n = 2 + below(2); n > 0; --n) branches.push_back(object(1 + below(2)));
      p["$or"] = branches;
    }
    return p.dump();
  }

 private:
  json scalar() {
    const size_t kind = below(10);
    if (kind < 5) return pick(strings_);
    if (kind < 8) return pick(numbers_);
    if (kind == 8) return chance(0.5);
    return nullptr;
  }

  json value_or_array() {
    if (!chance(0.25)) return scalar();
    json array = json::array();
    for (size_t n = below(4); n > 0; --n) array.push_back(scalar());
    return array;
  }

  json inner() {
    json o = json::object();
    if (chance(0.7)) o["d"] = value_or_array();
    if (chance(0.7)) o["e"] = value_or_array();
    return o;
  }

  json object(size_t fields) {
    json o = json::object();
    for (size_t i = 0; i < fields; ++i) {
      json conditions = json::array();
      for (size_t n = 1 + below(3); n > 0; --n) conditions.push_back(condition());
      const std::string name = pick(names_);
      if (name.size() == 1) {
        o[name] = conditions;
      } else if (chance(0.5)) {
        o["c"][name.substr(2)] = conditions;  // {"c": {"d": [...]}}
      } else {
        o[name] = conditions;  // {"c.d": [...]}, the same field
      }
    }
    return o;
  }

  // The offsets between UTF-8 characters of `s`, its ends included.
  static std::vector<size_t> boundaries(const std::string& s) {
    std::vector<size_t> bounds;
    for (size_t i = 0; i <= s.size(); ++i)
      if (i == s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) bounds.push_back(i);
    return bounds;
  }

  // A prefix or suffix of a pool string, cut between characters.
  std::string cut(const std::string& s, bool prefix) {
    const size_t at = pick(boundaries(s));
    return prefix ? s.substr(0, at) : s.substr(at);
  }

  std::string recased(const std::string& s) {
    std::string out = s;
    for (char& ch : out)
      if (std::isalpha(static_cast<unsigned char>(ch)) && chance(0.5)) ch ^= 0x20;
    return out;
  }

  // A wildcard that a pool string (often) matches: a run of it replaced by a star.
  std::string wildcard() {
    const std::string s = pick(strings_);
    const std::vector<size_t> bounds = boundaries(s);
    const size_t first = below(bounds.size());
    const size_t from = bounds[first], to = bounds[first + below(bounds.size() - first)];
    auto escaped = [](const std::string& text) {
      std::string out;
      for (char ch : text) {
        if (ch == '*' || ch == '\\') out += '\\';
        out += ch;
      }
      return out;
    };
    if (chance(0.15)) return escaped(s);
    return escaped(s.substr(0, from)) + "*" + escaped(s.substr(to));
  }

  json number_within_limit() { return pick(bounded_numbers_); }

  json string_list(size_t n, bool (Generator::*ok)(const std::string&)) {
    json list = json::array();
    while (list.size() < n) {
      const std::string s = pick(strings_);
      if (!ok || (this->*ok)(s)) list.push_back(s);
    }
    return list;
  }
  bool non_empty(const std::string& s) { return !s.empty(); }

  json anything_but() {
    switch (below(9)) {
      case 0:
        return {{"anything-but", pick(strings_)}};
      case 1:
        return {{"anything-but", string_list(1 + below(3), nullptr)}};
      case 2:
        return {{"anything-but", number_within_limit()}};
      case 3: {
        json list = json::array();
        for (size_t n = 1 + below(3); n > 0; --n) list.push_back(number_within_limit());
        return {{"anything-but", list}};
      }
      case 4:
        return {{"anything-but", {{"prefix", cut_non_empty(true)}}}};
      case 5:
        return {{"anything-but", {{"suffix", cut_non_empty(false)}}}};
      case 6:
        return {{"anything-but", {{"equals-ignore-case", recased(pick(strings_))}}}};
      case 7:
        return {{"anything-but", {{"equals-ignore-case", string_list(2, nullptr)}}}};
      default:
        return {{"anything-but", {{"wildcard", wildcard()}}}};
    }
  }

  std::string cut_non_empty(bool prefix) {
    while (true) {
      std::string s = cut(pick(strings_), prefix);
      if (!s.empty()) return s;
    }
  }

  json numeric() {
    static const std::vector<std::string> kOps = {"=", "<", "<=", ">", ">="};
    if (chance(0.6)) return {{"numeric", {pick(kOps), number_within_limit()}}};
    double low = pick(bounded_numbers_).get<double>(), high = pick(bounded_numbers_).get<double>();
    if (low == high) high = low + 1;
    if (low > high) std::swap(low, high);
    return {{"numeric", {chance(0.5) ? ">" : ">=", low, chance(0.5) ? "<" : "<=", high}}};
  }

  json condition() {
    switch (below(16)) {
      case 0:
      case 1:
        return pick(strings_);
      case 2:
        return pick(numbers_);
      case 3:
        return chance(0.4) ? json(nullptr) : json(chance(0.5));
      case 4:
        return {{"prefix", cut(pick(strings_), true)}};
      case 5:
        return {{"suffix", cut(pick(strings_), false)}};
      case 6:
        return {{"equals-ignore-case", recased(pick(strings_))}};
      case 7:
        return {{"prefix", {{"equals-ignore-case", recased(cut(pick(strings_), true))}}}};
      case 8:
        return {{"suffix", {{"equals-ignore-case", recased(cut(pick(strings_), false))}}}};
      case 9:
        return {{"wildcard", wildcard()}};
      case 10:
        return anything_but();
      case 11:
        return numeric();
      case 12:
        return {{"exists", chance(0.5)}};
      case 13:
        return {{"cidr", pick(blocks_)}};
      case 14:
        return {{"exactly", pick(strings_)}};
      default:
        return pick(strings_);
    }
  }

  std::mt19937 rng_;
  const std::vector<std::string> names_ = {"a", "b", "f", "c.d", "c.e"};
  const std::vector<std::string> strings_ = {
      "",         "alpha",       "Alpha", "ALPHA",           "alphabet",
      "alp",      "beta",        "abeta", "10.0.0.1",        "10.0.0.01",
      "10.0.1.5", "192.168.7.9", "::1",   "0:0:0:0:0:0:0:1", "2001:db8::5",
      "300",      "true",        "null",  "éclair",          "ÉCLAIR",
      "Éclair",   "x*y",         "x\\y",  "dir/a.png",       "dir/b.PNG",
      "a.b"};
  const std::vector<json> numbers_ = {0,
                                      json(-0.0),
                                      1,
                                      300,
                                      300.0,
                                      1.5,
                                      -7,
                                      6e9,
                                      1e9,
                                      json(int64_t{9007199254740993}),
                                      json(9007199254740992.0),
                                      json(uint64_t{18446744073709551615u}),
                                      json(-5e9)};
  const std::vector<json> bounded_numbers_ = {0, 1, 300, 300.0, 1.5, -7, 1e9, json(-5e9), 4e9};
  const std::vector<std::string> blocks_ = {"10.0.0.0/24", "10.0.0.0/8",    "192.168.0.0/16",
                                            "::0/127",     "2001:db8::/32", "0.0.0.0/0"};
};

std::vector<RuleId> brute_force(const std::vector<std::pair<RuleId, CompiledPattern>>& rules,
                                const json& event) {
  std::vector<RuleId> ids;
  for (const auto& [id, pattern] : rules)
    if (matches(pattern, event)) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

TEST_CASE("a rule set matches exactly the rules whose patterns match, for random patterns",
          "[ruleset]") {
  size_t pairs = 0, hits = 0, refused = 0, added = 0;
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    Generator gen(seed);
    std::vector<std::pair<RuleId, CompiledPattern>> rules;
    RuleSet set;
    auto add_random = [&](RuleId id) {
      while (true) {
        const std::string text = gen.pattern();
        const auto dialect =
            gen.chance(0.2) ? PatternDialect::kSnsMessageBody : PatternDialect::kEventBridge;
        auto pattern = compile_pattern(text, dialect);
        if (!pattern.ok()) pattern = compile_pattern(text, PatternDialect::kEventBridge);
        if (!pattern.ok()) {
          ++refused;
          continue;
        }
        set.add(id, *pattern);
        ++added;
        auto same = std::find_if(rules.begin(), rules.end(),
                                 [&](const auto& rule) { return rule.first == id; });
        if (same != rules.end())
          same->second = *pattern;
        else
          rules.emplace_back(id, *pattern);
        return;
      }
    };
    auto compare = [&](size_t events) {
      REQUIRE(set.size() == rules.size());
      for (size_t i = 0; i < events; ++i) {
        const json event = gen.event();
        const auto expected = brute_force(rules, event);
        INFO("seed " << seed << ", event " << event.dump());
        REQUIRE(set.match(event) == expected);
        pairs += rules.size();
        hits += expected.size();
      }
    };

    for (RuleId id = 0; id < 250; ++id) add_random(id * 7 + 3);
    compare(500);

    // Remove a third, replace a third, add more; the answers must follow.
    for (size_t i = 0; i < rules.size();) {
      const size_t roll = gen.below(3);
      if (roll == 0) {
        set.remove(rules[i].first);
        rules.erase(rules.begin() + i);
        continue;
      }
      if (roll == 1) add_random(rules[i].first);
      ++i;
    }
    for (RuleId id = 5000; id < 5050; ++id) add_random(id);
    compare(300);
  }
  INFO("pairs " << pairs << ", hits " << hits << ", refused " << refused);
  CHECK(pairs > 1'500'000);
  CHECK(hits > 20'000);  // the pools collide often enough for the comparison to mean something
  CHECK(refused < added / 10);
}

TEST_CASE("a rule set matches the documented corner cases as matches() does", "[ruleset]") {
  RuleSet set;
  set.add(1, compiled(R"({"n": [300]})"));
  set.add(2, compiled(R"({"n": ["300"]})"));
  set.add(3, compiled(R"({"ip": ["10.0.0.1"]})"));
  set.add(4, compiled(R"({"ip": [{"exactly": "10.0.0.1"}]})"));
  set.add(5, compiled(R"({"s": [{"equals-ignore-case": "ÉCLAIR"}]})"));
  set.add(6, compiled(R"({"s": [{"wildcard": "*.png"}]})"));
  set.add(7, compiled(R"({"n": [{"numeric": ["=", 0]}]})"));
  set.add(8, compiled(R"({"missing": [{"exists": false}]})"));
  set.add(9, compiled(R"({"a": {"b": [{"anything-but": "x"}]}, "c": ["y"]})"));

  CHECK(set.match(json::parse(R"({"n": 300.0})")) == std::vector<RuleId>{1, 8});
  CHECK(set.match(json::parse(R"({"n": "300"})")) == std::vector<RuleId>{2, 8});
  CHECK(set.match(json::parse(R"({"n": -0.0})")) == std::vector<RuleId>{7, 8});
  CHECK(set.match(json::parse(R"({"ip": "10.0.0.01", "missing": 1})")) == std::vector<RuleId>{3});
  CHECK(set.match(json::parse(R"({"ip": "10.0.0.1", "missing": 1})")) == std::vector<RuleId>{3, 4});
  CHECK(set.match(json::parse(R"({"s": ["éclair", "x.png"]})")) == std::vector<RuleId>{5, 6, 8});
  CHECK(set.match(json::parse(R"({"a.b": [1], "c": "y", "missing": 0})")) ==
        std::vector<RuleId>{9});
  CHECK(set.match(json::parse(R"({"a": [{"b": "x"}], "c": "y", "missing": 0})")).empty());
  CHECK(set.match(json::parse(R"([{"n": 300}])")).empty());
  CHECK(set.match(json::parse(R"("n")")).empty());
}

TEST_CASE("rules can be added, removed and replaced by id", "[ruleset]") {
  RuleSet set;
  const json event = json::parse(R"({"source": "app", "detail": {"x": 1}})");
  CHECK(set.size() == 0);
  CHECK(set.match(event).empty());

  set.add(10, compiled(R"({"source": ["app"]})"));
  set.add(3, compiled(R"({"detail": {"x": [1]}})"));
  set.add(7, compiled(R"({"source": ["other"]})"));
  CHECK(set.size() == 3);
  CHECK(set.match(event) == std::vector<RuleId>{3, 10});

  set.add(7, compiled(R"({"source": [{"prefix": "ap"}]})"));  // replaces, does not add
  CHECK(set.size() == 3);
  CHECK(set.match(event) == std::vector<RuleId>{3, 7, 10});

  set.add(10, compiled(R"({"source": ["nope"]})"));
  CHECK(set.match(event) == std::vector<RuleId>{3, 7});

  set.remove(3);
  set.remove(3);   // twice is harmless
  set.remove(99);  // so is an id never added
  CHECK(set.size() == 2);
  CHECK(set.match(event) == std::vector<RuleId>{7});

  set.remove(7);
  set.remove(10);
  CHECK(set.size() == 0);
  CHECK(set.match(event).empty());

  set.add(3, compiled(R"({"detail": {"x": [{"exists": false}]}})"));  // the scan list, too
  CHECK(set.match(event).empty());
  CHECK(set.match(json::parse(R"({"detail": {}})")) == std::vector<RuleId>{3});
  set.remove(3);
  CHECK(set.match(json::parse(R"({"detail": {}})")).empty());

  RuleSet moved = std::move(set);
  moved.add(1, compiled(R"({"source": ["app"]})"));
  CHECK(moved.match(event) == std::vector<RuleId>{1});
}

namespace {

// Builds sets of 10, 1,000 and 10,000 rules from `rule(i)` and checks that the event `event(k)`
// only brings the rules it matches (and the scan list) to confirmation, whatever the size.
template <class Rule, class Event>
void check_flat(Rule rule, Event event, size_t scan_only = 0) {
  for (size_t n : {10, 1000, 10000}) {
    RuleSet set;
    for (size_t i = 0; i < n; ++i) set.add(i, compiled(rule(i)));
    for (size_t i = 0; i < scan_only; ++i)
      set.add(n + i, compiled(R"({"$or": [{"never": [{"exists": false}]}, {"a": [1]}]})"));
    for (size_t k : {size_t{0}, size_t{1}, n / 2, n - 1, n + 5}) {
      RuleSet::MatchStats stats;
      const json e = event(k);
      const auto ids = set.match(e, &stats);
      INFO("rules " << n << ", event " << e.dump());
      CHECK(stats.scanned == scan_only);
      CHECK(stats.candidates <= ids.size() + stats.scanned);
      if (k < n) CHECK(std::count(ids.begin(), ids.end(), k) == 1);
    }
  }
}

}  // namespace

TEST_CASE("the rules confirmed per event do not grow with the number of rules", "[ruleset]") {
  SECTION("distinct sources, a shared detail-type") {
    check_flat(
        [](size_t i) {
          return R"({"source": ["app.)" + std::to_string(i) +
                 R"("], "detail-type": ["T"], "detail": {"x": [)" + std::to_string(i % 5) + "]}}";
        },
        [](size_t k) {
          return json{{"source", "app." + std::to_string(k)},
                      {"detail-type", "T"},
                      {"detail", {{"x", k % 5}, {"y", "z"}}}};
        });
  }
  SECTION("the shared field written first, so early rules must move off it") {
    check_flat(
        [](size_t i) {
          return R"({"detail-type": ["T"], "detail": {"x": [)" + std::to_string(i % 5) +
                 R"(]}, "source": ["app.)" + std::to_string(i) + R"("]})";
        },
        [](size_t k) {
          return json{{"source", "app." + std::to_string(k)},
                      {"detail-type", "T"},
                      {"detail", {{"x", k % 5}}}};
        });
  }
  SECTION("distinct numbers, matched as doubles") {
    check_flat(
        [](size_t i) {
          return R"({"source": ["app"], "detail": {"n": [)" + std::to_string(i) + "]}}";
        },
        [](size_t k) {
          return json{{"source", "app"}, {"detail", {{"n", static_cast<double>(k)}}}};
        });
  }
  SECTION("distinct prefixes and suffixes") {
    check_flat(
        [](size_t i) {
          const std::string n = std::to_string(i);
          return i % 2 ? R"({"source": [{"prefix": "app.)" + n + R"(."}]})"
                       : R"({"resources": [{"suffix": "/)" + n + R"("}]})";
        },
        [](size_t k) {
          const std::string n = std::to_string(k);
          return json{{"source", "app." + n + ".x"}, {"resources", {"arn:a", "arn:b/" + n}}};
        });
  }
  SECTION("$or branches over different fields, and a scan list") {
    check_flat(
        [](size_t i) {
          const std::string n = std::to_string(i);
          return R"({"$or": [{"source": ["app.)" + n +
                 R"("]}, {"detail": {"user": [{"equals-ignore-case": "U)" + n +
                 R"("}]}, "x": [{"numeric": [">", 0]}]}]})";
        },
        [](size_t k) {
          const std::string n = std::to_string(k);
          return json{{"source", "other"}, {"detail", {{"user", "u" + n}}}, {"x", 3}};
        },
        3);
  }
}
