// Evaluations per second of typical Step Functions JSONata expressions (one compiled Expression,
// bindings holding `$states` with a 100-item array), on one thread. Prints a markdown table.
//
//   build/bench/bench_jsonata [seconds per expression, default 1]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "stepfn/jsonata/jsonata.h"

using namespace wyvern;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

json states() {
  json items = json::array();
  for (int i = 0; i < 100; ++i)
    items.push_back(
        {{"sku", "sku-" + std::to_string(i)}, {"price", 10 + (i * 7) % 90}, {"qty", 1 + i % 5}});
  return {{"input",
           {{"order", {{"id", "order-123"}, {"total", 249.99}}},
            {"customer", {{"name", "María"}, {"tier", "gold"}}},
            {"price", 12.5},
            {"qty", 4},
            {"items", items}}},
          {"context",
           {{"Execution", {{"Id", "arn:aws:states:us-east-1:123456789012:execution:m:e"}}}}}};
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"field path", "$states.input.order.total"},
      {"arithmetic", "$states.input.price * $states.input.qty"},
      {"string concatenation",
       "'Order ' & $states.input.order.id & ' for ' & $states.input.customer.name"},
      {"object constructor",
       "{'id': $states.input.order.id, 'total': $states.input.order.total, 'tier': "
       "$states.input.customer.tier}"},
      {"$map over 100 items", "$map($states.input.items, function($i){ $i.price * $i.qty })"},
      {"$filter over 100 items", "$filter($states.input.items, function($i){ $i.price > 50 })"},
      {"$hash SHA-256", "$hash($states.input.order.id, 'SHA-256')"},
      {"$sum(items.price)", "$sum($states.input.items.price)"},
      {"predicate + sort", "$states.input.items[qty > 2]^(>price)[0].sku"},
  };
  jsonata::Bindings bindings;
  jsonata::add_step_functions_functions(bindings);
  bindings.variables["states"] = states();
  std::printf("| expression | evaluations/s | µs/evaluation |\n|---|---:|---:|\n");
  for (auto& [name, text] : cases) {
    auto compiled = jsonata::compile(text);
    if (auto* e = std::get_if<jsonata::Error>(&compiled)) {
      std::fprintf(stderr, "%s: %s\n", text, e->message.c_str());
      return 1;
    }
    const auto& expr = std::get<jsonata::Expression>(compiled);
    auto first = expr.evaluate(std::nullopt, bindings);
    if (auto* e = std::get_if<jsonata::Error>(&first)) {
      std::fprintf(stderr, "%s: %s\n", text, e->message.c_str());
      return 1;
    }
    long n = 0;
    auto start = Clock::now();
    auto deadline = start + std::chrono::duration<double>(seconds);
    while (Clock::now() < deadline) {
      for (int i = 0; i < 100; ++i) {
        auto r = expr.evaluate(std::nullopt, bindings);
        (void)r;
      }
      n += 100;
    }
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    std::printf("| %s | %.0f | %.2f |\n", name, n / elapsed, elapsed * 1e6 / n);
  }
  // Compiling is done once per state definition; shown for scale.
  long n = 0;
  auto start = Clock::now();
  while (Clock::now() - start < std::chrono::duration<double>(seconds)) {
    auto c = jsonata::compile(cases[4].second);
    (void)c;
    ++n;
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("| compile `$map(...)` | %.0f | %.2f |\n", n / elapsed, elapsed * 1e6 / n);
  return 0;
}
