// The JSONata engine against the conformance cases in tests/jsonata/*.json (written from the
// JSONata and AWS documentation; see tests/jsonata/README.md), plus behaviours no case file can
// express: host functions, the injected clock, one Expression shared by threads, and the limits
// that keep a runaway expression from crashing or hanging the broker.
#include <pthread.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "stepfn/jsonata/jsonata.h"

using namespace wyvern;
using json = nlohmann::json;

namespace {

struct Outcome {
  std::optional<json> value;
  std::optional<jsonata::Error> error;
};

Outcome run(const std::string& text, const std::optional<json>& input,
            const jsonata::Bindings& bindings) {
  auto compiled = jsonata::compile(text);
  if (auto* e = std::get_if<jsonata::Error>(&compiled)) return {std::nullopt, *e};
  auto result = std::get<jsonata::Expression>(compiled).evaluate(input, bindings);
  if (auto* e = std::get_if<jsonata::Error>(&result)) return {std::nullopt, *e};
  return {std::get<std::optional<json>>(result), std::nullopt};
}

Outcome run(const std::string& text, const json& input = json()) {
  jsonata::Bindings bindings;
  return run(text, input, bindings);
}

std::string describe(const Outcome& o) {
  if (o.error)
    return "error " + o.error->code + " at " + std::to_string(o.error->position) + ": " +
           o.error->message;
  if (!o.value) return "undefined";
  return o.value->dump();
}

// Numbers compare by value whichever json number type holds them.
bool same(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!same(a[i], b[i])) return false;
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it)
      if (!b.contains(it.key()) || !same(it.value(), b[it.key()])) return false;
    return true;
  }
  return a == b;
}

// One case: "expr", optional "input", "bindings" (variables), "now" (the clock), and one of
// "result", "undefined": true, "error": {"code": ..., "position": ...}.
std::string check_case(const json& c, bool step_functions) {
  jsonata::Bindings bindings;
  if (step_functions) jsonata::add_step_functions_functions(bindings);
  if (c.contains("bindings"))
    for (auto& [k, v] : c["bindings"].items()) bindings.variables[k] = v;
  if (c.contains("now")) bindings.now_millis = c["now"].get<std::int64_t>();
  if (c.contains("max_depth")) bindings.max_depth = c["max_depth"].get<int>();
  std::optional<json> input;
  if (c.contains("input")) input = c["input"];
  Outcome got = run(c["expr"].get<std::string>(), input, bindings);
  if (c.contains("error")) {
    const json& want = c["error"];
    if (!got.error)
      return "expected error " + want["code"].get<std::string>() + ", got " + describe(got);
    if (got.error->code != want["code"].get<std::string>())
      return "expected error " + want["code"].get<std::string>() + ", got " + describe(got);
    if (want.contains("position") && got.error->position != want["position"].get<std::size_t>())
      return "expected position " + want["position"].dump() + ", got " + describe(got);
    if (want.contains("message") && got.error->message != want["message"].get<std::string>())
      return "expected message " + want["message"].dump() + ", got " + describe(got);
    return "";
  }
  if (c.contains("undefined")) {
    if (got.error || got.value) return "expected undefined, got " + describe(got);
    return "";
  }
  if (!got.value || got.error) return "expected " + c["result"].dump() + ", got " + describe(got);
  if (!same(*got.value, c["result"]))
    return "expected " + c["result"].dump() + ", got " + describe(got);
  // Whole numbers must come back as integers (they serialize as 3, not 3.0).
  if (got.value->is_number_float() &&
      got.value->get<double>() == std::floor(got.value->get<double>()))
    return "whole number came back as a double: " + got.value->dump();
  return "";
}

}  // namespace

TEST_CASE("every conformance case in tests/jsonata gives its documented result", "[jsonata]") {
  std::vector<std::filesystem::path> files;
  for (auto& entry : std::filesystem::directory_iterator(WYVERN_JSONATA_CASES))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  REQUIRE(!files.empty());
  std::size_t total = 0, failed = 0;
  for (auto& file : files) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    json cases = json::parse(text.str(), nullptr, false);
    INFO(file.filename().string());
    REQUIRE(cases.is_array());
    bool sfn = file.filename() == "step_functions.json";
    std::size_t file_failed = 0;
    for (std::size_t i = 0; i < cases.size(); ++i) {
      std::string problem = check_case(cases[i], sfn);
      if (!problem.empty()) {
        ++file_failed;
        FAIL_CHECK(file.filename().string()
                   << " #" << i << " " << cases[i]["expr"].get<std::string>() << "\n  " << problem);
      }
    }
    std::printf("  %-28s %4zu cases, %4zu pass\n", file.filename().string().c_str(), cases.size(),
                cases.size() - file_failed);
    total += cases.size();
    failed += file_failed;
  }
  std::printf("  %-28s %4zu cases, %4zu pass\n", "all", total, total - failed);
  CHECK(total >= 500);
}

TEST_CASE("mutated conformance expressions compile or fail cleanly, and never crash or hang",
          "[jsonata]") {
  // A fixed-seed mutation of every case expression: characters dropped, tokens and fragments of
  // other expressions spliced in. Each result must be a value, undefined or an Error.
  std::vector<std::string> exprs;
  std::vector<json> inputs;
  for (auto& entry : std::filesystem::directory_iterator(WYVERN_JSONATA_CASES)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    for (auto& c : json::parse(text.str())) {
      exprs.push_back(c["expr"].get<std::string>());
      if (c.contains("input")) inputs.push_back(c["input"]);
    }
  }
  REQUIRE(!exprs.empty());
  const char* tokens[] = {"(",
                          ")",
                          "[",
                          "]",
                          "{",
                          "}",
                          ".",
                          ",",
                          ";",
                          ":",
                          "?",
                          "??",
                          "?:",
                          "-",
                          "*",
                          "/",
                          "%",
                          "|",
                          "=",
                          "<",
                          "^(",
                          "**",
                          "..",
                          ":=",
                          "~>",
                          "@$x",
                          "#$i",
                          "$",
                          "$$",
                          "and",
                          "in",
                          "&",
                          "function($a){$a}",
                          "'s'",
                          "1e5",
                          "/a/",
                          "[]",
                          "null",
                          "$sum",
                          "$f($f)",
                          "$formatNumber(1,'",
                          "$fromMillis(1,'[",
                          "[1.."};
  std::mt19937 rng(20240601);
  jsonata::Bindings bindings;
  jsonata::add_step_functions_functions(bindings);
  bindings.max_steps = 200'000;
  bindings.max_depth = 100;
  std::size_t evaluated = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string e = exprs[rng() % exprs.size()];
    for (int m = 0, n = 1 + static_cast<int>(rng() % 3); m < n; ++m) {
      std::size_t pos = rng() % (e.size() + 1);
      switch (rng() % 4) {
        case 0:
          if (pos < e.size()) e.erase(pos, 1 + rng() % 3);
          break;
        case 1:
          e.insert(pos, tokens[rng() % (sizeof tokens / sizeof *tokens)]);
          break;
        case 2: {
          const std::string& other = exprs[rng() % exprs.size()];
          e = e.substr(0, pos) + other.substr(rng() % (other.size() + 1));
          break;
        }
        default:
          e.insert(pos, 1, static_cast<char>(32 + rng() % 95));
      }
    }
    auto compiled = jsonata::compile(e);
    if (auto* expr = std::get_if<jsonata::Expression>(&compiled)) {
      std::optional<json> input;
      if (!inputs.empty() && rng() % 4) input = inputs[rng() % inputs.size()];
      auto result = expr->evaluate(input, bindings);
      if (auto* err = std::get_if<jsonata::Error>(&result)) CHECK(!err->code.empty());
      ++evaluated;
    } else {
      CHECK(!std::get<jsonata::Error>(compiled).code.empty());
    }
  }
  CHECK(evaluated > 1000);
}

TEST_CASE("a host function receives evaluated arguments and its error stops the evaluation",
          "[jsonata]") {
  jsonata::Bindings bindings;
  bindings.functions["double"] = [](const std::vector<std::optional<json>>& args)
      -> std::variant<std::optional<json>, jsonata::Error> {
    if (!args.at(0)) return std::optional<json>{};
    return std::optional<json>(args[0]->get<double>() * 2);
  };
  bindings.functions["boom"] = [](const std::vector<std::optional<json>>&)
      -> std::variant<std::optional<json>, jsonata::Error> {
    return jsonata::Error{"Custom.Error", 0, "", "it went boom"};
  };
  auto ok = run("$double(a) + 1", json{{"a", 20}}, bindings);
  REQUIRE(ok.value);
  CHECK(*ok.value == 41);
  CHECK(ok.value->is_number_integer());
  auto undefined_arg = run("$double(nothing)", json::object(), bindings);
  CHECK(!undefined_arg.value);
  CHECK(!undefined_arg.error);
  auto boom = run("1 + $boom()", json::object(), bindings);
  REQUIRE(boom.error);
  CHECK(boom.error->code == "Custom.Error");
  CHECK(boom.error->message == "it went boom");
  bindings.functions["throws"] = [](const std::vector<std::optional<json>>&)
      -> std::variant<std::optional<json>, jsonata::Error> {
    throw std::runtime_error("host bug");
  };
  auto thrown = run("($f := function(){ $throws() }; [1, 2].$f())", json::object(), bindings);
  REQUIRE(thrown.error);
  CHECK(thrown.error->code == "U1000");
  auto mapped = run("$map([1,2,3], $double)", json::object(), bindings);
  REQUIRE(mapped.value);
  CHECK(*mapped.value == json::array({2, 4, 6}));
}

TEST_CASE("$now and $millis read the injected clock, the same for the whole evaluation",
          "[jsonata]") {
  jsonata::Bindings bindings;
  bindings.now_millis = 1700000000123;
  auto millis = run("[$millis(), $millis()]", json(), bindings);
  REQUIRE(millis.value);
  CHECK(*millis.value == json::array({1700000000123LL, 1700000000123LL}));
  auto now = run("$now()", json(), bindings);
  REQUIRE(now.value);
  CHECK(*now.value == "2023-11-14T22:13:20.123Z");
  auto zoned = run("$now('[H01]:[m01]', '+0130')", json(), bindings);
  REQUIRE(zoned.value);
  CHECK(*zoned.value == "23:43");
}

TEST_CASE("one compiled expression evaluates on several threads at once", "[jsonata]") {
  auto compiled = jsonata::compile(
      "($total := $sum(items.(price * qty)); {'total': $total, 'names': items^(>price).name,"
      " 'tags': $join($map(items, function($i){ $uppercase($i.name) }), ',')})");
  REQUIRE(std::holds_alternative<jsonata::Expression>(compiled));
  const auto& expr = std::get<jsonata::Expression>(compiled);
  json input = {
      {"items",
       {{{"name", "a"}, {"price", 2}, {"qty", 3}}, {{"name", "b"}, {"price", 5}, {"qty", 1}}}}};
  json expected = {{"total", 11}, {"names", {"b", "a"}}, {"tags", "A,B"}};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      jsonata::Bindings bindings;
      for (int i = 0; i < 2000; ++i) {
        auto r = expr.evaluate(input, bindings);
        auto* v = std::get_if<std::optional<json>>(&r);
        if (!v || !*v || **v != expected) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(wrong == 0);
}

TEST_CASE("runaway recursion stops at max_depth with U1001; tail calls run in constant depth",
          "[jsonata]") {
  jsonata::Bindings bindings;
  bindings.max_depth = 200;
  auto deep =
      run("($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))", json(), bindings);
  REQUIRE(deep.error);
  CHECK(deep.error->code == "U1001");
  auto shallow =
      run("($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(150))", json(), bindings);
  REQUIRE(shallow.value);
  CHECK(*shallow.value == 150);
  auto tail = run(
      "($loop := function($n, $acc){ $n = 0 ? $acc : $loop($n - 1, $acc + 1) }; $loop(100000, 0))",
      json(), bindings);
  REQUIRE(tail.value);
  CHECK(*tail.value == 100000);
  bindings.max_steps = 1'000'000;
  auto forever = run("($f := function(){ $f() }; $f())", json(), bindings);
  REQUIRE(forever.error);
  CHECK(forever.error->code == "U1003");
  auto nested_ranges = run("$count([1..10000].[1..10000])", json(), bindings);
  REQUIRE(nested_ranges.error);
  CHECK(nested_ranges.error->code == "U1003");
}

TEST_CASE("pathological expressions and inputs give errors, never a crash", "[jsonata]") {
  std::string parens(100000, '(');
  auto p = run(parens + "1" + std::string(100000, ')'));
  REQUIRE(p.error);
  CHECK(p.error->code == "S0220");
  std::string chain = "1";
  for (int i = 0; i < 50000; ++i) chain += "+1";
  auto c = run(chain);
  REQUIRE(c.error);
  CHECK(c.error->code == "S0220");
  std::string brackets(50000, '[');
  auto b = run(brackets);
  REQUIRE(b.error);
  // Deeply nested input: 200,000 levels of arrays (built in place: copying it would recurse).
  std::optional<json> deep = json::array();
  json* cursor = &*deep;
  for (int i = 0; i < 200000; ++i) {
    cursor->push_back(json::array());
    cursor = &(*cursor)[0];
  }
  jsonata::Bindings plain;
  auto d = run("$count(**)", deep, plain);
  CHECK((d.value || d.error));
  auto s = run("$string($)", deep, plain);
  CHECK((s.value || (s.error && s.error->code == "U1001")));
  auto whole = run("$", deep, plain);
  CHECK((whole.value || (whole.error && whole.error->code == "U1001")));
  // A value nested 100,000 deep built by a tail-recursive loop.
  auto nested =
      run("($f := function($n, $a){ $n = 0 ? $a : $f($n - 1, [$a]) }; $count($f(100000, [])))");
  CHECK((nested.value || nested.error));
  auto range = run("[1..100000000]");
  REQUIRE(range.error);
  CHECK(range.error->code == "D2014");
  // Values doubled in a loop exhaust the budget of work, not the memory.
  jsonata::Bindings small_budget;
  small_budget.max_steps = 10'000'000;
  auto doubled = run("$count($reduce([1..40], function($a, $v){ $append($a, $a) }, [1]))", json(),
                     small_budget);
  REQUIRE(doubled.error);
  CHECK(doubled.error->code == "U1003");
  auto text =
      run("$length($reduce([1..40], function($a, $v){ $a & $a }, 'x'))", json(), small_budget);
  REQUIRE(text.error);
  CHECK(text.error->code == "U1003");
  auto padded = run("$pad('a', 1e12)", json(), small_budget);
  REQUIRE(padded.error);
  CHECK(padded.error->code == "U1003");
  auto regex =
      run("$match('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!', /^(a+)+$/)");
  CHECK((!regex.value || regex.error));
}

TEST_CASE("deep recursion on a thread with a small stack ends in U1001, not a crash", "[jsonata]") {
  // Broker threads may have stacks far smaller than the main thread's: the engine measures the
  // stack it runs on rather than trusting max_depth alone.
  struct Job {
    Outcome outcome;
  } job;
  auto body = [](void* arg) -> void* {
    auto* j = static_cast<Job*>(arg);
    jsonata::Bindings bindings;
    bindings.max_depth = 1'000'000;
    j->outcome =
        run("($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(100000))", json(), bindings);
    return nullptr;
  };
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 512 * 1024);
  pthread_t thread;
  REQUIRE(pthread_create(&thread, &attr, body, &job) == 0);
  pthread_join(thread, nullptr);
  pthread_attr_destroy(&attr);
  REQUIRE(job.outcome.error);
  CHECK(job.outcome.error->code == "U1001");
}

TEST_CASE("referenced names let the host refuse $eval before running anything", "[jsonata]") {
  auto compiled =
      jsonata::compile("($x := $states.input.n; $eval('1 + ' & $string($x)) + $sum($y))");
  REQUIRE(std::holds_alternative<jsonata::Expression>(compiled));
  const auto& e = std::get<jsonata::Expression>(compiled);
  const auto& fns = e.referenced_functions();
  CHECK(std::find(fns.begin(), fns.end(), "eval") != fns.end());
  CHECK(std::find(fns.begin(), fns.end(), "sum") != fns.end());
  const auto& vars = e.referenced_variables();
  CHECK(std::find(vars.begin(), vars.end(), "states") != vars.end());
  CHECK(std::find(vars.begin(), vars.end(), "y") != vars.end());
  CHECK(std::find(vars.begin(), vars.end(), "x") == vars.end());
  auto passed = jsonata::compile("$map([1], $eval)");
  const auto& fns2 = std::get<jsonata::Expression>(passed).referenced_functions();
  CHECK(std::find(fns2.begin(), fns2.end(), "eval") != fns2.end());
  jsonata::Bindings sfn;
  jsonata::add_step_functions_functions(sfn);
  CHECK(sfn.functions.count("eval") == 0);
  CHECK(sfn.functions.count("partition") == 1);
}

TEST_CASE("syntax errors carry JSONata's code and the position past the offending token",
          "[jsonata]") {
  auto e = jsonata::compile("Account.Order[0");
  REQUIRE(std::holds_alternative<jsonata::Error>(e));
  CHECK(std::get<jsonata::Error>(e).code == "S0203");
  auto e2 = jsonata::compile("1 + ");
  REQUIRE(std::holds_alternative<jsonata::Error>(e2));
  CHECK(std::get<jsonata::Error>(e2).code == "S0207");
  CHECK(std::get<jsonata::Error>(e2).position == 4);
}
