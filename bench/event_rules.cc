// Events matched per second by RuleSet against 10, 1,000 and 10,000 rules, beside asking every
// rule with matches() (what a bus without an index would do). Prints a markdown table.
//
//   build/bench/bench_event_rules [seconds per measurement, default 3] [exact|mixed] [rules]
//                                 [index: measure RuleSet::match alone, for profiling]
//
// Two rule sets. "exact": each rule names a source, the shared detail-type and a detail value,
// the shape of most EventBridge rules. "mixed": eight shapes in turn (exact, prefix with numeric,
// anything-but, equals-ignore-case, $or with wildcard, cidr, suffix, exists). Half the events
// match one rule, half match none. "parse + match" includes reading the event's JSON text, as a
// bus receiving PutEvents must (aws/event-ruler's published figures include it too).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "foundation/event_pattern.h"
#include "foundation/event_ruleset.h"

using namespace wyvern;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

CompiledPattern compiled(const std::string& text) {
  auto pattern = compile_pattern(text, PatternDialect::kEventBridge);
  if (!pattern.ok()) {
    std::fprintf(stderr, "bad pattern %s: %s\n", text.c_str(), pattern.error().message.c_str());
    std::exit(1);
  }
  return *pattern;
}

std::string exact_rule(size_t i) {
  const std::string n = std::to_string(i);
  return R"({"source": ["app.)" + n + R"("], "detail-type": ["Order Placed"], )" +
         R"("detail": {"state": ["s)" + std::to_string(i % 7) + R"("]}})";
}

std::string mixed_rule(size_t i) {
  const std::string n = std::to_string(i);
  switch (i % 8) {
    case 0:
      return exact_rule(i);
    case 1:
      return R"({"source": [{"prefix": "app.)" + n +
             R"(."}], "detail": {"amount": [{"numeric": [">", 100, "<=", 5000]}]}})";
    case 2:
      return R"({"source": ["app.)" + n +
             R"("], "detail": {"state": [{"anything-but": ["s0", "s1"]}]}})";
    case 3:
      return R"({"detail-type": [{"equals-ignore-case": "ORDER PLACED )" + n + R"("}]})";
    case 4:
      return R"({"$or": [{"source": ["app.)" + n +
             R"(.x"]}, {"detail": {"user": [{"wildcard": "u)" + n + R"(-*"}]}}]})";
    case 5:
      return R"({"source": ["app.)" + n + R"("], "detail": {"ip": [{"cidr": "10.)" +
             std::to_string(i % 256) + R"(.0.0/16"}]}})";
    case 6:
      return R"({"resources": [{"suffix": "/r)" + n + R"("}]})";
    default:
      return R"({"source": ["app.)" + n + R"("], "detail": {"flag": [{"exists": true}]}})";
  }
}

// An EventBridge event aimed at rule `k` (which may not exist, so the event matches nothing).
json event_for(size_t k, bool mixed) {
  const std::string n = std::to_string(k);
  json detail = {{"state", "s" + std::to_string(k % 7)},
                 {"amount", 250.5},
                 {"user", "u" + n + "-abc"},
                 {"ip", "10." + std::to_string(k % 256) + ".3.4"},
                 {"flag", true},
                 {"items", {{{"sku", "a"}, {"qty", 1}}, {{"sku", "b"}, {"qty", 2}}}}};
  std::string source = "app." + n;
  std::string detail_type = "Order Placed";
  if (mixed) {
    if (k % 8 == 1) source += ".eu";
    if (k % 8 == 3) detail_type = "order placed " + n;
    if (k % 8 == 4) source = "elsewhere";
  }
  return {{"version", "0"},
          {"id", "6a7e8feb-b491-4cf7-a9f1-bf370346" + std::to_string(1000 + k % 9000)},
          {"detail-type", detail_type},
          {"source", source},
          {"account", "111122223333"},
          {"time", "2026-11-28T18:43:48Z"},
          {"region", "us-east-1"},
          {"resources", {"arn:aws:events:us-east-1:111122223333:thing/r" + n}},
          {"detail", detail}};
}

// Runs `one(i)` over and over for about `seconds`, in three rounds; events per second in the
// best round, so that a neighbour's burst on a shared machine does not count.
double rate(double seconds, size_t events, const std::function<size_t(size_t)>& one, size_t* sink) {
  double best = 0;
  size_t next = 0;
  for (int round = 0; round < 3; ++round) {
    size_t done = 0;
    const auto start = Clock::now();
    const auto stop = start + std::chrono::duration<double>(seconds / 3);
    while (Clock::now() < stop) {
      for (size_t i = 0; i < 64; ++i, ++done) *sink += one(next++ % events);
    }
    best = std::max(best, done / std::chrono::duration<double>(Clock::now() - start).count());
  }
  return best;
}

std::string grouped(double value) {
  std::string digits = std::to_string(static_cast<long long>(value));
  for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) digits.insert(at, ",");
  return digits;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  const std::string only_set = argc > 2 ? argv[2] : "";
  const size_t only_size = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 0;
  const bool index_only = argc > 4 && std::string(argv[4]) == "index";
  std::printf(
      "| rules | set | RuleSet events/s | parse + RuleSet events/s | every rule, matches() "
      "events/s | candidates/event | matches/event |\n");
  std::printf("|---:|---|---:|---:|---:|---:|---:|\n");
  size_t sink = 0;
  for (bool mixed : {false, true}) {
    for (size_t n : {10, 1000, 10000}) {
      if (!only_set.empty() && only_set != (mixed ? "mixed" : "exact")) continue;
      if (only_size && only_size != n) continue;
      RuleSet set;
      std::vector<CompiledPattern> patterns;
      for (size_t i = 0; i < n; ++i) {
        patterns.push_back(compiled(mixed ? mixed_rule(i) : exact_rule(i)));
        set.add(i, patterns.back());
      }
      std::mt19937 rng(42);
      std::vector<json> events;
      std::vector<std::string> texts;
      for (size_t i = 0; i < 4096; ++i) {
        const size_t k = std::uniform_int_distribution<size_t>(0, 2 * n - 1)(rng);
        events.push_back(event_for(k, mixed));
        texts.push_back(events.back().dump());
      }

      size_t candidates = 0, matched = 0;
      for (const json& e : events) {
        RuleSet::MatchStats stats;
        matched += set.match(e, &stats).size();
        candidates += stats.candidates;
      }
      const double indexed = rate(
          seconds, events.size(), [&](size_t i) { return set.match(events[i]).size(); }, &sink);
      const double parsed =
          index_only
              ? 0
              : rate(
                    seconds, texts.size(),
                    [&](size_t i) { return set.match(json::parse(texts[i])).size(); }, &sink);
      const double every = index_only ? 0
                                      : rate(
                                            seconds, events.size(),
                                            [&](size_t i) {
                                              size_t hits = 0;
                                              for (const CompiledPattern& p : patterns)
                                                hits += matches(p, events[i]);
                                              return hits;
                                            },
                                            &sink);
      std::printf("| %s | %s | %s | %s | %s | %.2f | %.2f |\n", grouped(n).c_str(),
                  mixed ? "mixed" : "exact", grouped(indexed).c_str(), grouped(parsed).c_str(),
                  grouped(every).c_str(), double(candidates) / events.size(),
                  double(matched) / events.size());
      std::fflush(stdout);
    }
  }
  return sink == 42 ? 1 : 0;  // keeps the work observable
}
