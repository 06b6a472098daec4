// Step Functions' language pieces, with expectations taken from the AWS Step Functions
// Developer Guide (intrinsic functions, input and output processing, Choice rules).
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <map>

#include "foundation/clock.h"
#include "foundation/codec.h"
#include "foundation/store.h"
#include "foundation/timers.h"
#include "stepfn/definition.h"
#include "stepfn/intrinsics.h"
#include "stepfn/processing.h"
#include "stepfn/stepfn.h"

using namespace wyvern::stepfn;
using wyvern::Caller;
using wyvern::ManualClock;
using wyvern::Store;
using wyvern::TimeMs;
using wyvern::Timers;
using wyvern::WriteBatch;

namespace {

// Paths that read no context object and no variables.
const Bindings& nothing_bound() {
  static const json context = json::object();
  static const VariableScope variables;
  static const Bindings bindings{context, variables};
  return bindings;
}

json call(const char* expr, const json& input = json::object()) {
  auto r = evaluate_intrinsic(expr, input, nothing_bound());
  if (!r.value) FAIL("intrinsic failed: " << r.error);
  return *r.value;
}

bool fails(const char* expr, const json& input = json::object()) {
  return !evaluate_intrinsic(expr, input, nothing_bound()).value.has_value();
}

// The memory store, counting how often each key of each table is written.
class CountingStore final : public Store {
 public:
  explicit CountingStore(Store& inner) : inner_(inner) {}
  void commit(WriteBatch batch, Done done) override {
    for (const auto& op : batch.ops())
      if (op.kind == WriteBatch::Kind::kPut) ++puts[std::string(op.table) + " " + std::string(op.key)];
    inner_.commit(std::move(batch), std::move(done));
  }
  void scan(std::string_view table, const Visitor& visit) override { inner_.scan(table, visit); }
  void close() override {}

  std::map<std::string, int> puts;

 private:
  Store& inner_;
};

// The engine on a manual clock over the memory store; restart() opens a new engine on the
// same store, as a broker that was killed and started again.
struct Engine {
  ManualClock clock;
  std::unique_ptr<Store> memory = wyvern::open_memory_store();
  CountingStore store{*memory};
  boost::asio::io_context io;
  Timers timers{io.get_executor(), clock};
  std::unique_ptr<StepFunctions> sfn;
  Caller caller;

  Engine() { restart(); }

  void restart() {
    sfn.reset();
    Env env{};  // no mocks, functions, posting or other services
    env.clock = &clock;
    env.store = &store;
    env.timers = &timers;
    sfn = make_step_functions(env);
    sfn->recover();
    settle();
  }
  void advance(TimeMs ms) {
    clock.advance(ms);
    timers.clock_moved();
    settle();
  }
  void settle() {
    for (int i = 0; i < 100; ++i) {
      io.restart();
      if (io.poll() == 0) break;
    }
  }

  template <typename T>
  T ok(std::function<void(Reply<T>)> call) {
    std::optional<wyvern::Result<T>> got;
    call([&](wyvern::Result<T> r) { got.emplace(std::move(r)); });
    settle();
    REQUIRE(got.has_value());
    if (!got->ok()) FAIL("unexpected error: " << got->error().message);
    return std::move(got->value());
  }
  // The error a call that must fail answers with.
  template <typename T>
  wyvern::ErrorCode error(std::function<void(Reply<T>)> call) {
    std::optional<wyvern::Result<T>> got;
    call([&](wyvern::Result<T> r) { got.emplace(std::move(r)); });
    settle();
    REQUIRE(got.has_value());
    REQUIRE_FALSE(got->ok());
    return got->error().code;
  }
  int created = 0;
  std::string machine(const json& definition) {
    CreateStateMachineRequest r;
    r.name = "m" + std::to_string(++created);
    r.definition = definition.dump();
    r.role_arn = "arn:aws:iam::000000000000:role/r";
    return ok<StateMachine>([&](auto reply) { sfn->create_state_machine(caller, r, reply); }).arn;
  }
  std::string start(const std::string& machine_arn, const json& input) {
    auto started = ok<Execution>([&](auto reply) {
      sfn->start_execution(caller, machine_arn, std::nullopt, input.dump(), reply);
    });
    return started.arn;
  }
  Execution describe(const std::string& arn) {
    return ok<Execution>([&](auto reply) { sfn->describe_execution(caller, arn, reply); });
  }
  std::vector<std::string> history(const std::string& arn) {
    ListRequest all{1000, std::nullopt};
    auto page = ok<Page<HistoryEvent>>(
        [&](auto reply) { sfn->get_execution_history(caller, arn, false, false, all, reply); });
    std::vector<std::string> types;
    for (const auto& e : page.items) types.push_back(e.type);
    return types;
  }
};

// A Map over `n` items whose iterations wait `seconds` each, MaxConcurrency `limit`.
json napping_map(int limit) {
  return {{"StartAt", "Each"},
          {"States",
           {{"Each",
             {{"Type", "Map"},
              {"MaxConcurrency", limit},
              {"ItemProcessor",
               {{"StartAt", "Nap"},
                {"States", {{"Nap", {{"Type", "Wait"}, {"SecondsPath", "$"}, {"End", true}}}}}}},
              {"End", true}}}}}};
}

// A machine whose one state is a task of a fresh activity; returns the task's token once a
// worker holds it.
std::string handed_out_task(Engine& engine) {
  std::string activity =
      engine
          .ok<Activity>([&](auto reply) { engine.sfn->create_activity(engine.caller, "a", reply); })
          .arn;
  engine.start(
      engine.machine(
          {{"StartAt", "Work"},
           {"States", {{"Work", {{"Type", "Task"}, {"Resource", activity}, {"End", true}}}}}}),
      json::object());
  auto task = engine.ok<ActivityTask>(
      [&](auto reply) { engine.sfn->get_activity_task(engine.caller, activity, "w", reply); });
  REQUIRE(task.token.has_value());
  return *task.token;
}

// A token of Wyvern's shape ("<id>:<execution ARN>", base64) with the given id.
std::string token_with_id(const std::string& id) {
  return wyvern::base64_encode(id + ":arn:aws:states:us-east-1:000000000000:execution:m:e");
}

}  // namespace

TEST_CASE("a closed task token answers TaskTimedOut, after a restart too", "[stepfn][tokens]") {
  Engine engine;
  std::string token = handed_out_task(engine);
  auto succeed = [&](const std::string& t) {
    return [&engine, t](Reply<wyvern::Ok> reply) {
      engine.sfn->send_task_success(engine.caller, t, "{}", reply);
    };
  };
  engine.ok<wyvern::Ok>(succeed(token));
  CHECK(engine.error<wyvern::Ok>(succeed(token)) == wyvern::ErrorCode::kTaskTimedOut);
  engine.restart();
  CHECK(engine.error<wyvern::Ok>(succeed(token)) == wyvern::ErrorCode::kTaskTimedOut);
  CHECK(engine.error<wyvern::Ok>(succeed(token_with_id("never"))) ==
        wyvern::ErrorCode::kTaskDoesNotExist);
  CHECK(engine.error<wyvern::Ok>(succeed("not a token")) == wyvern::ErrorCode::kInvalidToken);
}

TEST_CASE("only the newest 100,000 closed task tokens are remembered", "[stepfn][tokens]") {
  Engine engine;
  // As a broker with a larger bound would have left them: ids "t1" (oldest) to "t100001".
  WriteBatch batch;
  for (int i = 1; i <= 100'001; ++i)
    batch.put("sfn.closed_tokens", "t" + std::to_string(i), std::to_string(i));
  engine.store.commit(std::move(batch), nullptr);
  engine.restart();
  auto heartbeat = [&](const std::string& id) {
    return engine.error<wyvern::Ok>([&](Reply<wyvern::Ok> reply) {
      engine.sfn->send_task_heartbeat(engine.caller, token_with_id(id), reply);
    });
  };
  CHECK(heartbeat("t1") == wyvern::ErrorCode::kTaskDoesNotExist);
  CHECK(heartbeat("t2") == wyvern::ErrorCode::kTaskTimedOut);
  CHECK(heartbeat("t100001") == wyvern::ErrorCode::kTaskTimedOut);
  // Closing one more forgets the next oldest, in the store as well.
  std::string token = handed_out_task(engine);
  engine.ok<wyvern::Ok>([&](auto reply) {
    engine.sfn->send_task_failure(engine.caller, token, "E", std::nullopt, reply);
  });
  CHECK(heartbeat("t2") == wyvern::ErrorCode::kTaskDoesNotExist);
  size_t stored = 0;
  bool oldest_kept = false;
  engine.store.scan("sfn.closed_tokens", [&](std::string_view key, std::string_view) {
    ++stored;
    oldest_kept |= key == "t1" || key == "t2";
  });
  CHECK(stored == 100'000);
  CHECK_FALSE(oldest_kept);
  engine.restart();
  CHECK(heartbeat("t2") == wyvern::ErrorCode::kTaskDoesNotExist);
  CHECK(heartbeat("t3") == wyvern::ErrorCode::kTaskTimedOut);
  CHECK(engine.error<wyvern::Ok>([&](Reply<wyvern::Ok> reply) {
    engine.sfn->send_task_heartbeat(engine.caller, token, reply);
  }) == wyvern::ErrorCode::kTaskTimedOut);
}

TEST_CASE("a Map's record is not rewritten as each of its iterations ends", "[stepfn][map]") {
  Engine engine;
  std::string run = engine.start(engine.machine(napping_map(10)), json(std::vector<int>(500, 1)));
  for (int second = 0; second < 50; ++second) engine.advance(1000);
  CHECK(engine.describe(run).status == "SUCCEEDED");
  // Entering the state, starting it, and leaving it: not once per iteration.
  CHECK(engine.store.puts["sfn.executions " + run] <= 4);
}

TEST_CASE("a Map carries on after a restart with the iterations it had started",
          "[stepfn][map][recovery]") {
  Engine engine;
  std::string run = engine.start(engine.machine(napping_map(2)), json::array({1, 3, 2, 1, 4}));
  engine.advance(1000);  // item 0 done; items 1 and 2 wait
  engine.restart();
  for (int second = 0; second < 6; ++second) engine.advance(1000);
  Execution done = engine.describe(run);
  REQUIRE(done.status == "SUCCEEDED");
  CHECK(json::parse(*done.output) == json::array({1, 3, 2, 1, 4}));
  auto types = engine.history(run);
  CHECK(std::count(types.begin(), types.end(), "MapIterationStarted") == 5);
  CHECK(std::count(types.begin(), types.end(), "WaitStateEntered") == 5);
}

TEST_CASE("an iteration over a null item records its events like any other", "[stepfn][map]") {
  Engine engine;
  json pass_each = {
      {"StartAt", "Each"},
      {"States",
       {{"Each",
         {{"Type", "Map"},
          {"ItemSelector", {{"index.$", "$$.Map.Item.Index"}}},
          {"ItemProcessor",
           {{"StartAt", "Echo"}, {"States", {{"Echo", {{"Type", "Pass"}, {"End", true}}}}}}},
          {"End", true}}}}}};
  std::string run = engine.start(engine.machine(pass_each), json::array({nullptr, 0}));
  Execution done = engine.describe(run);
  REQUIRE(done.status == "SUCCEEDED");
  CHECK(json::parse(*done.output) == json::parse(R"([{"index": 0}, {"index": 1}])"));
  auto types = engine.history(run);
  CHECK(std::count(types.begin(), types.end(), "MapIterationSucceeded") == 2);
}

namespace {

// A Map whose iterations fail for the item "bad" and succeed otherwise; `extra` adds fields.
json picky_map(const json& extra) {
  json map = {{"Type", "Map"},
              {"ItemProcessor",
               {{"StartAt", "Check"},
                {"States",
                 {{"Check",
                   {{"Type", "Choice"},
                    {"Choices",
                     json::array({{{"Variable", "$"}, {"StringEquals", "bad"}, {"Next", "Bad"}}})},
                    {"Default", "Good"}}},
                  {"Bad", {{"Type", "Fail"}, {"Error", "BadItem"}, {"Cause", "bad"}}},
                  {"Good", {{"Type", "Succeed"}}}}}}},
              {"End", true}};
  map.update(extra);
  return {{"StartAt", "Each"}, {"States", {{"Each", map}}}};
}

}  // namespace

TEST_CASE("MaxConcurrencyPath reads the limit from the state's input", "[stepfn][map]") {
  Engine engine;
  json def = napping_map(0);
  def["States"]["Each"].erase("MaxConcurrency");
  def["States"]["Each"]["ItemsPath"] = "$.waits";
  def["States"]["Each"]["MaxConcurrencyPath"] = "$.limit";
  std::string machine = engine.machine(def);
  std::string run = engine.start(machine, {{"waits", {2, 2}}, {"limit", 1}});
  engine.advance(2000);
  CHECK(engine.describe(run).status == "RUNNING");  // one after the other: 4 s
  engine.advance(2000);
  CHECK(engine.describe(run).status == "SUCCEEDED");

  for (json limit : {json(-1), json(1.5), json("2")}) {
    Execution bad = engine.describe(engine.start(machine, {{"waits", {1}}, {"limit", limit}}));
    CHECK(bad.status == "FAILED");
    CHECK(bad.error == "States.Runtime");
  }
}

TEST_CASE("a Map fails only when its failed iterations exceed its tolerance",
          "[stepfn][map][tolerance]") {
  Engine engine;
  auto run = [&](const json& extra, const json& items) {
    return engine.describe(engine.start(engine.machine(picky_map(extra)), items));
  };
  Execution tolerated = run({{"ToleratedFailureCount", 1}}, {"good", "bad", "good"});
  REQUIRE(tolerated.status == "SUCCEEDED");
  CHECK(json::parse(*tolerated.output) == json::parse(R"(["good", null, "good"])"));

  Execution exceeded = run({{"ToleratedFailureCount", 1}}, {"bad", "good", "bad"});
  CHECK(exceeded.status == "FAILED");
  CHECK(exceeded.error == "States.ExceedToleratedFailureThreshold");

  // A percentage of all the items: 1 of 3 is 33.3%.
  CHECK(run({{"ToleratedFailurePercentage", 34}}, {"bad", "good", "good"}).status == "SUCCEEDED");
  CHECK(run({{"ToleratedFailurePercentage", 33}}, {"bad", "good", "good"}).error ==
        "States.ExceedToleratedFailureThreshold");
  // With both, exceeding either fails the state.
  CHECK(run({{"ToleratedFailureCount", 5}, {"ToleratedFailurePercentage", 50}},
            {"bad", "bad", "good"})
            .error == "States.ExceedToleratedFailureThreshold");
  // The *Path variants read the state's input.
  json items_and_tolerance = {{"items", {"bad", "good"}}, {"tolerance", 1}};
  CHECK(run({{"ItemsPath", "$.items"}, {"ToleratedFailureCountPath", "$.tolerance"}},
            items_and_tolerance)
            .status == "SUCCEEDED");
  CHECK(run({{"ItemsPath", "$.items"}, {"ToleratedFailurePercentagePath", "$.items"}},
            items_and_tolerance)
            .error == "States.Runtime");
  // Without a tolerance, the failed iteration's own error fails the state.
  CHECK(run(json::object(), {"good", "bad"}).error == "BadItem");
}

TEST_CASE("a Map whose ItemSelector fails stops the iterations it started", "[stepfn][map]") {
  Engine engine;
  json def = napping_map(0);
  def["States"]["Each"]["ItemSelector"] = {{"wait.$", "$$.Map.Item.Value.wait"}};
  def["States"]["Each"]["ItemProcessor"]["States"]["Nap"]["SecondsPath"] = "$.wait";
  std::string run = engine.start(engine.machine(def), json::parse(R"([{"wait": 5}, {}])"));
  Execution failed = engine.describe(run);
  CHECK(failed.status == "FAILED");
  engine.advance(10000);  // the first iteration's Wait would end now
  auto types = engine.history(run);
  CHECK(std::count(types.begin(), types.end(), "WaitStateExited") == 0);
  CHECK(types.back() == "ExecutionFailed");
}

TEST_CASE("a Map retried after its ItemsPath failed reads its items again", "[stepfn][map]") {
  Engine engine;
  json def = napping_map(0);
  def["States"]["Each"]["ItemsPath"] = "$.missing";
  def["States"]["Each"]["Retry"] =
      json::array({{{"ErrorEquals", {"States.ALL"}}, {"MaxAttempts", 1}, {"IntervalSeconds", 1}}});
  std::string run = engine.start(engine.machine(def), json::object());
  engine.advance(2000);
  Execution done = engine.describe(run);
  CHECK(done.status == "FAILED");  // not a Map of no items on the second attempt
  CHECK(done.error == "States.Runtime");
}

TEST_CASE("intrinsic functions give the developer guide's results", "[stepfn][intrinsics]") {
  json input = {{"name", "Arnav"},
                {"escapedJsonString", "{\"foo\": \"bar\"}"},
                {"unescapedJson", {{"foo", "bar"}}},
                {"inputArray", {1, 2, 3, 4, 5, 6, 7, 8, 9}},
                {"lookingFor", 5},
                {"index", 5},
                {"json1", {{"a", {{"a1", 1}, {"a2", 2}}}, {"b", 2}}},
                {"json2", {{"a", {{"a3", 1}, {"a4", 2}}}, {"c", 3}}}};
  CHECK(call("States.Format('Hello, my name is {}.', $.name)", input) ==
        "Hello, my name is Arnav.");
  CHECK(call("States.StringToJson($.escapedJsonString)", input) == json({{"foo", "bar"}}));
  CHECK(call("States.JsonToString($.unescapedJson)", input) == "{\"foo\":\"bar\"}");
  CHECK(call("States.Array('Foo', 2020, $.unescapedJson, null)", input) ==
        json::array({"Foo", 2020, {{"foo", "bar"}}, nullptr}));
  CHECK(call("States.ArrayPartition($.inputArray, 4)", input) ==
        json::parse("[[1,2,3,4],[5,6,7,8],[9]]"));
  CHECK(call("States.ArrayContains($.inputArray, $.lookingFor)", input) == true);
  CHECK(call("States.ArrayRange(1, 9, 2)") == json::array({1, 3, 5, 7, 9}));
  CHECK(call("States.ArrayGetItem($.inputArray, $.index)", input) == 6);
  CHECK(call("States.ArrayLength($.inputArray)", input) == 9);
  CHECK(call("States.ArrayUnique(States.Array(1, 2, 3, 3, 3, 3, 3, 3, 4))") ==
        json::array({1, 2, 3, 4}));
  CHECK(call("States.Base64Encode('Data to encode')") == "RGF0YSB0byBlbmNvZGU=");
  CHECK(call("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')") == "Data to encode");
  CHECK(call("States.Hash('input data', 'SHA-1')") == "aaff4a450a104cd177d28d18d74485e8cae074b7");
  CHECK(call("States.JsonMerge($.json1, $.json2, false)", input) ==
        json::parse(R"({"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3})"));
  CHECK(call("States.MathAdd(111, -1)") == 110);
  CHECK(call("States.StringSplit('1,2,3,4,5', ',')") == json::array({"1", "2", "3", "4", "5"}));
  CHECK(call("States.StringSplit('This.is+a,test=string', '.+,=')") ==
        json::array({"This", "is", "a", "test", "string"}));
  json r = call("States.MathRandom(1, 999)");
  CHECK((r.get<int>() >= 1 && r.get<int>() < 999));
  CHECK(call("States.MathRandom(1, 999, 42)") == call("States.MathRandom(1, 999, 42)"));
  std::string id = call("States.UUID()");
  CHECK(id.size() == 36);
  CHECK(id[14] == '4');
}

TEST_CASE("intrinsics round fractional numbers where AWS's guide says they do",
          "[stepfn][intrinsics]") {
  CHECK(call("States.ArrayPartition(States.Array(1, 2, 3, 4, 5), 3.2)") ==
        json::parse("[[1,2,3],[4,5]]"));
  CHECK(call("States.ArrayRange(1.2, 4.8, 1)") == json::array({1, 2, 3, 4, 5}));
  CHECK(call("States.MathAdd(1.4, 2.2)") == 3);
  CHECK(call("States.MathAdd(2.5, -2.5)") == 1);  // halves go up, as Java rounds them
  CHECK(call("States.MathRandom(4.6, 5.6)") == 5);
  CHECK(fails("States.ArrayGetItem(States.Array(1, 2), 0.5)"));  // not one of them
}

TEST_CASE("intrinsics fail beyond AWS's documented limits", "[stepfn][intrinsics]") {
  CHECK(call("States.MathAdd(2147483647, -2147483648)") == -1);
  CHECK(fails("States.MathAdd($.big, 1)", {{"big", 2147483648LL}}));
  CHECK(fails("States.MathAdd(1, -2147483649)"));
  json at_limit = {{"data", std::string(10000, 'a')}};
  json over = {{"data", std::string(10001, 'a')}};
  CHECK(call("States.Base64Encode($.data)", at_limit).get<std::string>().size() == 13336);
  CHECK(fails("States.Base64Encode($.data)", over));
  CHECK(call("States.Hash($.data, 'MD5')", at_limit).get<std::string>().size() == 32);
  CHECK(fails("States.Hash($.data, 'MD5')", over));
  // Characters, not bytes: 10,000 two-byte characters are within the limit.
  std::string wide;
  for (int i = 0; i < 10000; ++i) wide += "\xc3\xa9";
  CHECK_FALSE(fails("States.Base64Encode($.data)", {{"data", wide}}));
}

TEST_CASE("intrinsic strings honour AWS's escapes", "[stepfn][intrinsics]") {
  CHECK(call(R"(States.Format('It\'s {} \{literal\}', 'fine'))") == "It's fine {literal}");
  CHECK(call(R"(States.Format('a\\b'))") == "a\\b");
}

TEST_CASE("misused intrinsics fail, and definitions catch bad calls", "[stepfn][intrinsics]") {
  CHECK(fails("States.Format('{} and {}', 'one')"));
  CHECK(fails("States.ArrayGetItem(States.Array(1), 3)"));
  CHECK(fails("States.StringToJson('not json')"));
  CHECK(fails("States.Hash('x', 'CRC32')"));
  CHECK(fails("States.ArrayLength($.missing)"));
  CHECK(check_intrinsic("States.Nope(1)").has_value());
  CHECK(check_intrinsic("States.UUID(1)").has_value());
  CHECK(check_intrinsic("States.Format('x'").has_value());
  CHECK_FALSE(check_intrinsic("States.Format('{}', States.MathAdd(1, 2))").has_value());
}

TEST_CASE("input and output processing follow AWS's order and defaults", "[stepfn][paths]") {
  json input = {{"comment", "An input comment."}, {"data", {{"val1", 23}, {"val2", 17}}}};
  json state = {{"ResultPath", "$.data.sum"}, {"OutputPath", "$.data"}};
  auto placed = apply_result_path(state, input, 40);
  REQUIRE_FALSE(placed.error);
  auto out = apply_output_path(state, placed.value, nothing_bound());
  CHECK(out.value == json({{"val1", 23}, {"val2", 17}, {"sum", 40}}));

  CHECK(apply_result_path(json::object(), input, "x").value == "x");               // default "$"
  CHECK(apply_result_path({{"ResultPath", nullptr}}, input, "x").value == input);  // discard
  CHECK(apply_input_path({{"InputPath", nullptr}}, input, nothing_bound()).value == json::object());
  CHECK(apply_result_path({{"ResultPath", "$.comment.x"}}, input, 1).error->error ==
        "States.ResultPathMatchFailure");
  CHECK(apply_input_path({{"InputPath", "$.nope"}}, input, nothing_bound()).error->error ==
        "States.Runtime");
  json execution = {{"Execution", {{"Input", {{"first", "input"}}}}}, {"State", {{"Name", "P"}}}};
  VariableScope no_variables;
  Bindings with_execution{execution, no_variables};
  CHECK(apply_input_path({{"InputPath", "$$.Execution.Input"}}, input, with_execution).value ==
        json({{"first", "input"}}));
  CHECK(apply_output_path({{"OutputPath", "$$.State.Name"}}, input, with_execution).value == "P");

  json params = {
      {"flagged", true},
      {"parts",
       {{"first.$", "$.data.val1"}, {"sum.$", "States.MathAdd($.data.val1, $.data.val2)"}}},
      {"name.$", "$$.Execution.Name"}};
  json context = {{"Execution", {{"Name", "run-1"}}}};
  auto built = apply_payload(params, input, Bindings{context, no_variables}, "Parameters");
  CHECK(built.value ==
        json({{"flagged", true}, {"parts", {{"first", 23}, {"sum", 40}}}, {"name", "run-1"}}));
}

TEST_CASE("Choice rules cover every operator family", "[stepfn][choice]") {
  json input = {{"type", "Private"},  {"value", 22},
                {"flag", true},       {"when", "2026-11-28T10:00:00Z"},
                {"other", 20},        {"nothing", nullptr},
                {"name", "wyvern-01"}};
  auto pick = [&](json rule) {
    rule["Next"] = "Yes";
    json state = {{"Choices", json::array({rule})}, {"Default", "No"}};
    auto o = choose(state, input, nothing_bound());
    REQUIRE_FALSE(o.error);
    return o.next == "Yes";
  };
  CHECK(pick({{"Variable", "$.type"}, {"StringEquals", "Private"}}));
  CHECK(pick({{"Variable", "$.name"}, {"StringMatches", "wyvern-*"}}));
  CHECK_FALSE(pick({{"Variable", "$.name"}, {"StringMatches", "dragon*"}}));
  CHECK(pick({{"Variable", "$.value"}, {"NumericGreaterThanPath", "$.other"}}));
  CHECK(pick({{"Variable", "$.value"}, {"NumericLessThanEquals", 22}}));
  CHECK(pick({{"Variable", "$.flag"}, {"BooleanEquals", true}}));
  CHECK(pick({{"Variable", "$.when"}, {"TimestampGreaterThan", "2026-11-28T09:59:59Z"}}));
  CHECK(pick({{"Variable", "$.when"}, {"TimestampEquals", "2026-11-28T11:00:00+01:00"}}));
  CHECK(pick({{"Variable", "$.nothing"}, {"IsNull", true}}));
  CHECK(pick({{"Variable", "$.missing"}, {"IsPresent", false}}));
  CHECK(pick({{"Variable", "$.when"}, {"IsTimestamp", true}}));
  CHECK(pick({{"Variable", "$.value"}, {"IsNumeric", true}}));
  CHECK(pick({{"And",
               {{{"Variable", "$.value"}, {"NumericGreaterThanEquals", 20}},
                {{"Variable", "$.value"}, {"NumericLessThan", 30}}}}}));
  CHECK(pick({{"Not", {{"Variable", "$.type"}, {"StringEquals", "Public"}}}}));
  CHECK(pick({{"Or",
               {{{"Variable", "$.type"}, {"StringEquals", "Public"}},
                {{"Variable", "$.flag"}, {"BooleanEquals", true}}}}}));
  CHECK_FALSE(pick({{"Variable", "$.type"}, {"NumericEquals", 1}}));  // type mismatch: false

  json no_default = {
      {"Choices", json::array({{{"Variable", "$.value"}, {"NumericEquals", 1}, {"Next", "X"}}})}};
  CHECK(choose(no_default, input, nothing_bound()).error->error == "States.NoChoiceMatched");
  json missing = {
      {"Choices", json::array({{{"Variable", "$.missing"}, {"NumericEquals", 1}, {"Next", "X"}}})}};
  CHECK(choose(missing, input, nothing_bound()).error->error == "States.Runtime");
}

TEST_CASE("RFC 3339 timestamps parse with offsets and fractions", "[stepfn]") {
  CHECK(parse_timestamp("1970-01-01T00:00:01Z") == 1000);
  CHECK(parse_timestamp("1970-01-01T00:00:01.5Z") == 1500);
  CHECK(parse_timestamp("1970-01-01T01:00:00+01:00") == 0);
  CHECK_FALSE(parse_timestamp("1970-01-01 00:00:00Z"));
  CHECK_FALSE(parse_timestamp("yesterday"));
}

TEST_CASE("definitions are validated with AWS's diagnostic codes", "[stepfn][validation]") {
  auto codes = [](const char* def) {
    std::vector<std::string> out;
    for (const auto& d : validate_definition(def)) out.push_back(d.code + " " + d.location);
    return out;
  };
  CHECK(codes(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})").empty());
  CHECK(codes("not json") == std::vector<std::string>{"INVALID_JSON_DESCRIPTION /"});
  CHECK(codes(R"({"States":{"A":{"Type":"Pass","End":true}}})") ==
        std::vector<std::string>{"SCHEMA_VALIDATION_FAILED /"});
  CHECK(codes(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}})") ==
        std::vector<std::string>{"MISSING_TRANSITION_TARGET /States/A/Next"});
  CHECK(
      codes(
          R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"B":{"Type":"Succeed"}}})") ==
      std::vector<std::string>{"UNREACHABLE_STATE /States/B"});
  CHECK(codes(R"({"StartAt":"A","States":{"A":{"Type":"Teleport","End":true}}})") ==
        std::vector<std::string>{"SCHEMA_VALIDATION_FAILED /States/A/Type"});
  CHECK(codes(R"({"StartAt":"A","States":{"A":{"Type":"Pass"}}})") ==
        std::vector<std::string>{"SCHEMA_VALIDATION_FAILED /States/A"});
  CHECK(
      codes(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"ResultPath":"$.a[*]"}}})") ==
      std::vector<std::string>{"SCHEMA_VALIDATION_FAILED /States/A/ResultPath"});
  CHECK(
      codes(
          R"J({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Parameters":{"x.$":"States.Nope()"}}}})J") ==
      std::vector<std::string>{"SCHEMA_VALIDATION_FAILED /States/A/Parameters/x.$"});
  CHECK(
      codes(
          R"({"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":1,"Timestamp":"x","End":true}}})") ==
      std::vector<std::string>{"SCHEMA_VALIDATION_FAILED /States/A"});
  CHECK(
      codes(
          R"({"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.x","StringEquals":"a","Next":"Gone"}],"Default":"D"},"D":{"Type":"Succeed"}}})") ==
      std::vector<std::string>{"MISSING_TRANSITION_TARGET /States/C/Choices/0/Next"});
}

TEST_CASE("InputPath, OutputPath and ItemsPath may read the context object, ResultPath not",
          "[stepfn][validation]") {
  auto pass = [](const char* field, const char* path) {
    json def = {{"StartAt", "P"}, {"States", {{"P", {{"Type", "Pass"}, {"End", true}}}}}};
    def["States"]["P"][field] = path;
    return validate_definition(def.dump()).size();
  };
  CHECK(pass("InputPath", "$$.Execution.Input") == 0);
  CHECK(pass("OutputPath", "$$.State.Name") == 0);
  CHECK(pass("ResultPath", "$$.State.Name") == 1);
  CHECK(pass("InputPath", "$$.[") == 1);
}

TEST_CASE("a Map's concurrency and failure tolerance are validated", "[stepfn][validation]") {
  auto map = [](json fields) {
    json def = picky_map(fields);
    std::vector<std::string> out;
    for (const auto& d : validate_definition(def.dump())) out.push_back(d.location);
    return out;
  };
  using Where = std::vector<std::string>;
  CHECK(map({{"MaxConcurrency", 0}, {"ToleratedFailureCount", 0}}).empty());
  CHECK(map({{"ToleratedFailurePercentage", 12.5}}).empty());
  CHECK(map({{"MaxConcurrencyPath", "$.limit"},
             {"ToleratedFailureCountPath", "$.n"},
             {"ToleratedFailurePercentagePath", "$.p"}})
            .empty());
  CHECK(map({{"MaxConcurrency", -1}}) == Where{"/States/Each/MaxConcurrency"});
  CHECK(map({{"MaxConcurrency", 1.5}}) == Where{"/States/Each/MaxConcurrency"});
  CHECK(map({{"ToleratedFailureCount", -2}}) == Where{"/States/Each/ToleratedFailureCount"});
  CHECK(map({{"ToleratedFailurePercentage", 101}}) ==
        Where{"/States/Each/ToleratedFailurePercentage"});
  CHECK(map({{"ToleratedFailurePercentage", "50"}}) ==
        Where{"/States/Each/ToleratedFailurePercentage"});
  CHECK(map({{"MaxConcurrencyPath", "$.limits[*]"}}) == Where{"/States/Each/MaxConcurrencyPath"});
  CHECK(map({{"ToleratedFailureCount", 1}, {"ToleratedFailureCountPath", "$.n"}}) ==
        Where{"/States/Each"});
}

TEST_CASE("a Fail state's ErrorPath and CausePath may be string intrinsics",
          "[stepfn][validation]") {
  auto fail_state = [](const char* error_path, const char* cause_path) {
    json def = {
        {"StartAt", "F"},
        {"States",
         {{"F", {{"Type", "Fail"}, {"ErrorPath", error_path}, {"CausePath", cause_path}}}}}};
    std::vector<std::string> out;
    for (const auto& d : validate_definition(def.dump())) out.push_back(d.location);
    return out;
  };
  CHECK(fail_state("States.Format('{}', $.Error)", "States.JsonToString($.detail)").empty());
  CHECK(fail_state("States.ArrayGetItem($.codes, 1)", "States.Hash($.Data, 'SHA-1')").empty());
  CHECK(fail_state("States.UUID()", "States.Base64Decode($.encoded)").empty());
  CHECK(fail_state("$.error", "$.cause").empty());
  // Not one that returns a string, not a known function, not a call.
  CHECK(fail_state("States.MathAdd(1, 2)", "States.Nope($.x)") ==
        std::vector<std::string>{"/States/F/ErrorPath", "/States/F/CausePath"});
  CHECK(fail_state("States.Format('{}'", "cause") ==
        std::vector<std::string>{"/States/F/ErrorPath", "/States/F/CausePath"});
}

TEST_CASE("Retry, Catch and Task timeouts are validated before anything runs",
          "[stepfn][validation]") {
  // Each Task below differs from a valid one in one field; the location names that field.
  auto locations = [](const json& task) {
    json def = {{"StartAt", "T"}, {"States", {{"T", task}, {"Handle", {{"Type", "Succeed"}}}}}};
    std::vector<std::string> out;
    for (const auto& d : validate_definition(def.dump()))
      if (d.location != "/States/Handle") out.push_back(d.location);  // unreachable sans Catch
    return out;
  };
  json task = {{"Type", "Task"}, {"Resource", "arn:aws:states:::lambda:invoke"}, {"End", true}};
  auto with = [&](const char* field, json value) {
    json t = task;
    t[field] = std::move(value);
    return t;
  };
  json catch_all = {{"ErrorEquals", {"States.ALL"}}, {"Next", "Handle"}};
  CHECK(locations(with("Catch", json::array({catch_all}))).empty());
  CHECK(locations(
            with("Catch", json::array({{{"ErrorEquals", {"States.ALL"}}, {"Next", "Gone"}}}))) ==
        std::vector<std::string>{"/States/T/Catch/0/Next"});
  CHECK(locations(with("Catch", json::array({{{"ErrorEquals", {"States.ALL"}}}}))) ==
        std::vector<std::string>{"/States/T/Catch/0"});
  CHECK(locations(with("Catch", json::array({{{"Next", "Handle"}}}))) ==
        std::vector<std::string>{"/States/T/Catch/0"});
  CHECK(locations(with("Catch",
                       json::array({catch_all, {{"ErrorEquals", {"X"}}, {"Next", "Handle"}}}))) ==
        std::vector<std::string>{"/States/T/Catch/0/ErrorEquals/0"});
  CHECK(
      locations(with(
          "Catch",
          json::array({{{"ErrorEquals", {"X"}}, {"Next", "Handle"}, {"ResultPath", "$.a[*]"}}}))) ==
      std::vector<std::string>{"/States/T/Catch/0/ResultPath"});
  CHECK(locations(with("Retry", json::array({{{"ErrorEquals", {"X"}}, {"IntervalSeconds", 0}}}))) ==
        std::vector<std::string>{"/States/T/Retry/0/IntervalSeconds"});
  CHECK(locations(with("Retry", json::array({{{"ErrorEquals", {"X"}}, {"MaxAttempts", -1}}}))) ==
        std::vector<std::string>{"/States/T/Retry/0/MaxAttempts"});
  CHECK(locations(with("Retry", json::array({{{"ErrorEquals", {"X"}}, {"BackoffRate", 0.5}}}))) ==
        std::vector<std::string>{"/States/T/Retry/0/BackoffRate"});
  CHECK(locations(
            with("Retry", json::array({{{"ErrorEquals", {"X"}}, {"JitterStrategy", "SOME"}}}))) ==
        std::vector<std::string>{"/States/T/Retry/0/JitterStrategy"});
  // A field the schema lacks is reported at the object holding it, as AWS does.
  CHECK(locations(with("Retry", json::array({{{"ErrorEquals", {"X"}}, {"Tries", 2}}}))) ==
        std::vector<std::string>{"/States/T/Retry/0"});
  CHECK(locations(with("TimeoutSeconds", 0)) ==
        std::vector<std::string>{"/States/T/TimeoutSeconds"});
  json both = with("TimeoutSeconds", 10);
  both["HeartbeatSeconds"] = 10;
  CHECK(locations(both) == std::vector<std::string>{"/States/T/HeartbeatSeconds"});
  both.erase("HeartbeatSeconds");
  both["TimeoutSecondsPath"] = "$.t";
  CHECK(locations(both) == std::vector<std::string>{"/States/T"});
}

TEST_CASE("variable names are Unicode identifiers of at most 80 characters",
          "[stepfn][variables]") {
  // workflow-variables.html: "The first character of a variable name must be a Unicode
  // ID_Start character, and the second and subsequent characters must be Unicode ID_Continue
  // characters. The maximum length of a variable name is 80."
  CHECK(is_variable_name("productName"));
  CHECK(is_variable_name("x1_y"));
  CHECK(is_variable_name("\xC3\xA9t\xC3\xA9"));         // "été"
  CHECK(is_variable_name("\xE5\x90\x8D\xE5\x89\x8D"));  // "名前"
  CHECK(is_variable_name(std::string(80, 'a')));
  CHECK_FALSE(is_variable_name(std::string(81, 'a')));
  CHECK_FALSE(is_variable_name(""));
  CHECK_FALSE(is_variable_name("1abc"));  // a digit is ID_Continue, not ID_Start
  CHECK_FALSE(is_variable_name("_abc"));  // so is the underscore
  CHECK_FALSE(is_variable_name("x.y"));   // "you cannot assign a value to a part of a variable"
  CHECK_FALSE(is_variable_name("x[2]"));
  CHECK_FALSE(is_variable_name("my-var"));
  CHECK_FALSE(is_variable_name("a b"));
  CHECK_FALSE(is_variable_name("\xC3"));  // a truncated UTF-8 sequence
}

TEST_CASE("a path reads the document, the context object or a variable", "[stepfn][variables]") {
  json outer = {{"order", {{"numItems", 3}, {"items", {"a", "b"}}}}};
  json inner = {{"x", 42}};
  VariableScope scope({&inner, &outer});
  json context = {{"Execution", {{"Name", "run"}}}};
  Bindings bindings{context, scope};
  json doc = {{"a", 1}};
  CHECK(select("$.a", doc, bindings).value == json(1));
  CHECK(select("$$.Execution.Name", doc, bindings).value == json("run"));
  CHECK(select("$x", doc, bindings).value == json(42));
  CHECK(select("$order.numItems", doc, bindings).value == json(3));
  CHECK(select("$order.items[1]", doc, bindings).value == json("b"));
  CHECK(select("$nope", doc, bindings).problem == Selection::Problem::kUndefinedVariable);
  CHECK(select("$order.missing", doc, bindings).problem == Selection::Problem::kNoMatch);
  CHECK(scope.all() == json({{"x", 42}, {"order", outer["order"]}}));
  CHECK(is_valid_path("$x.a", false, true));
  CHECK_FALSE(is_valid_path("$x.a", false, false));
  CHECK_FALSE(is_valid_path("$1x", true, true));
  CHECK(is_valid_path("$x[0]", false, true, true));
  CHECK_FALSE(is_valid_path("$x[*]", false, true, true));  // not a reference path
  // Intrinsic arguments read variables too (workflow-variables.html: "variables can be used
  // in the arguments").
  auto formatted = evaluate_intrinsic("States.Format('{} items', $order.numItems)", doc, bindings);
  CHECK(formatted.value == json("3 items"));
}

TEST_CASE("an Assign evaluates every value against the variables on state entry",
          "[stepfn][variables]") {
  json variables = {{"x", 3}, {"a", 6}};
  VariableScope scope({&variables});
  json context = {{"Execution", {{"StartTime", "2024-11-22T00:00:00Z"}}}};
  Bindings bindings{context, scope};
  json assign = {{"x.$", "$a"},
                 {"nextX.$", "$x"},
                 {"details", {{"status", "SUCCESS"}, {"lineItems.$", "$.order.items"}}},
                 {"literal", "$.not.a.path"},
                 {"startTime.$", "$$.Execution.StartTime"}};
  json result = {{"order", {{"items", {1, 2}}}}};
  auto values = evaluate_assign(json::object(), assign, result, bindings);
  REQUIRE_FALSE(values.error);
  CHECK(values.value == json({{"x", 6},
                              {"nextX", 3},
                              {"details", {{"status", "SUCCESS"}, {"lineItems", {1, 2}}}},
                              {"literal", "$.not.a.path"},
                              {"startTime", "2024-11-22T00:00:00Z"}}));
  CHECK(variables == json({{"x", 3}, {"a", 6}}));  // nothing assigned yet
  auto undefined = evaluate_assign(json::object(), {{"y.$", "$nope"}}, result, bindings);
  REQUIRE(undefined.error);
  CHECK(undefined.error->error == "States.Runtime");
}

TEST_CASE("an Assign within AWS's size limits passes, beyond them fails", "[stepfn][variables]") {
  std::string big(kMaxVariableBytes - 2, 'x');  // with its quotes: exactly 256 KiB
  CHECK_FALSE(assignment_limits("S", {{"a", big}}, kMaxVariableBytes));
  auto one = assignment_limits("S", {{"a", big + "x"}}, 0);
  REQUIRE(one);
  CHECK(one->error == "States.DataLimitExceeded");
  std::string half(kMaxAssignBytes / 2, 'x');
  CHECK(assignment_limits("S", {{"a", half}, {"b", half}}, 0));  // 128 KiB + quotes, twice
  CHECK(assignment_limits("S", {{"a", 1}}, kMaxExecutionVariableBytes + 1));
  CHECK_FALSE(assignment_limits("S", {{"a", 1}}, kMaxExecutionVariableBytes));
}

TEST_CASE("Assign fields and variable references are validated", "[stepfn][validation]") {
  auto problems = [](json def) {
    std::vector<std::string> out;
    for (const auto& d : validate_definition(def.dump())) out.push_back(d.location);
    return out;
  };
  auto pass = [](json assign, json extra = json::object()) {
    json st = {{"Type", "Pass"}, {"End", true}, {"Assign", assign}};
    for (const auto& [k, v] : extra.items()) st[k] = v;
    return json{{"StartAt", "P"}, {"States", {{"P", st}}}};
  };
  CHECK(problems(pass({{"ok", 1}, {"path.$", "$var.x"}})).empty());
  CHECK(problems(pass({{"states", 1}})) == std::vector<std::string>{"/States/P/Assign/states"});
  CHECK(problems(pass({{"1x", 1}})) == std::vector<std::string>{"/States/P/Assign/1x"});
  CHECK(problems(pass({{"x.y", 1}})) == std::vector<std::string>{"/States/P/Assign/x.y"});
  CHECK(problems(pass({{"x", 1}, {"x.$", "$.a"}})).size() == 1);
  CHECK(problems(pass(json::array())) == std::vector<std::string>{"/States/P/Assign"});
  CHECK(problems(pass({{"x.$", "$.a[?"}})) == std::vector<std::string>{"/States/P/Assign/x.$"});
  // Variables are read in any path but ResultPath.
  CHECK(problems(pass(json::object(), {{"InputPath", "$v.a"}, {"OutputPath", "$v"}})).empty());
  CHECK(problems(pass(json::object(), {{"ResultPath", "$v"}})) ==
        std::vector<std::string>{"/States/P/ResultPath"});
  // Succeed and Fail states assign nothing.
  json succeed = {{"StartAt", "S"},
                  {"States", {{"S", {{"Type", "Succeed"}, {"Assign", {{"x", 1}}}}}}}};
  CHECK(problems(succeed) == std::vector<std::string>{"/States/S"});
  // An inner scope may not assign an outer scope's name; sibling branches may share names.
  json parallel = {
      {"StartAt", "Set"},
      {"States",
       {{"Set", {{"Type", "Pass"}, {"Assign", {{"outer", 1}}}, {"Next", "Par"}}},
        {"Par",
         {{"Type", "Parallel"},
          {"End", true},
          {"Branches",
           {{{"StartAt", "A"},
             {"States", {{"A", {{"Type", "Pass"}, {"Assign", {{"inner", 1}}}, {"End", true}}}}}},
            {{"StartAt", "B"},
             {"States",
              {{"B",
                {{"Type", "Pass"},
                 {"Assign", {{"inner", 2}, {"outer", 3}}},
                 {"End", true}}}}}}}}}}}}};
  CHECK(problems(parallel) ==
        std::vector<std::string>{"/States/Par/Branches/1/States/B/Assign/outer"});
  // A Choice rule and a Catcher may assign too.
  json choice = {{"StartAt", "C"},
                 {"States",
                  {{"C",
                    {{"Type", "Choice"},
                     {"Choices",
                      {{{"Variable", "$x"},
                        {"IsPresent", true},
                        {"Assign", {{"seen", true}}},
                        {"Next", "D"}}}},
                     {"Default", "D"},
                     {"Assign", {{"seen", false}}}}},
                   {"D", {{"Type", "Succeed"}}}}}};
  CHECK(problems(choice).empty());
}

TEST_CASE("DescribeStateMachine names the variables each state reads", "[stepfn][variables]") {
  json def = json::parse(R"J({"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Assign": {"x": 1, "lit": "$notRead"}, "InputPath": "$in",
          "Parameters": {"a.$": "$x.y", "b.$": "States.Format('{} $quoted {}', $x, $other[0])"},
          "Next": "C"},
    "C": {"Type": "Choice", "Default": "M", "Choices": [
      {"Not": {"Variable": "$flag", "NumericLessThanPath": "$limit"}, "Assign": {"k.$": "$seen"},
       "Next": "M"}]},
    "M": {"Type": "Map", "ItemsPath": "$items", "ResultPath": "$.r", "End": true,
          "ItemProcessor": {"StartAt": "I", "States": {
            "I": {"Type": "Pass", "Parameters": {"v.$": "$x"}, "End": true}}}}}})J");
  auto refs = variable_references(def);
  CHECK(refs == std::map<std::string, std::vector<std::string>>{{"A", {"in", "other", "x"}},
                                                                {"C", {"flag", "limit", "seen"}},
                                                                {"M", {"items"}},
                                                                {"I", {"x"}}});
}

TEST_CASE("a JSONata Wait reads its Seconds from an expression and $now() from the virtual clock",
          "[stepfn][jsonata]") {
  Engine engine;
  json def = {
      {"QueryLanguage", "JSONata"},
      {"StartAt", "Nap"},
      {"States",
       {{"Nap", {{"Type", "Wait"}, {"Seconds", "{% $states.input.wait %}"}, {"Next", "Tell"}}},
        {"Tell", {{"Type", "Pass"}, {"Output", "{% $toMillis($now()) %}"}, {"End", true}}}}}};
  std::string run = engine.start(engine.machine(def), {{"wait", 7}});
  TimeMs started = engine.clock.now_ms();
  engine.advance(6999);
  CHECK(engine.describe(run).status == "RUNNING");
  engine.advance(1);
  Execution done = engine.describe(run);
  REQUIRE(done.status == "SUCCEEDED");
  CHECK(json::parse(*done.output) == json(started + 7000));
}

TEST_CASE(
    "a JSONata expression that returns nothing fails its state with "
    "States.QueryEvaluationError naming the field",
    "[stepfn][jsonata]") {
  Engine engine;
  json def = {
      {"QueryLanguage", "JSONata"},
      {"StartAt", "Shape"},
      {"States",
       {{"Shape",
         {{"Type", "Pass"}, {"Output", {{"v", "{% $states.input.absent %}"}}}, {"End", true}}}}}};
  Execution failed = engine.describe(engine.start(engine.machine(def), json::object()));
  CHECK(failed.status == "FAILED");
  CHECK(failed.error == "States.QueryEvaluationError");
  CHECK(failed.cause ==
        "An error occurred while executing the state 'Shape' (entered at the event id #2). The "
        "JSONata expression '$states.input.absent' specified for the field 'Output' returned "
        "nothing (undefined).");
}

TEST_CASE("a JSONata state refuses JSONPath fields and a JSONPath state refuses JSONata ones",
          "[stepfn][jsonata]") {
  auto message = [](const json& def) {
    return invalid_definition_message(validate_definition(def.dump()));
  };
  json jsonata = {{"QueryLanguage", "JSONata"},
                  {"StartAt", "P"},
                  {"States", {{"P", {{"Type", "Pass"}, {"InputPath", "$.a"}, {"End", true}}}}}};
  CHECK_THAT(message(jsonata),
             Catch::Contains("The QueryLanguage is set to 'JSONata', but field 'InputPath' is only "
                             "supported for the 'JSONPath' QueryLanguage at /States/P/InputPath"));
  json jsonpath = {{"StartAt", "P"},
                   {"States", {{"P", {{"Type", "Pass"}, {"Output", 1}, {"End", true}}}}}};
  CHECK_THAT(message(jsonpath), Catch::Contains("field 'Output' is only supported for the "
                                                "'JSONata' QueryLanguage at /States/P/Output"));
  json broken = {{"QueryLanguage", "JSONata"},
                 {"StartAt", "P"},
                 {"States", {{"P", {{"Type", "Pass"}, {"Output", "{% 1 + %}"}, {"End", true}}}}}};
  CHECK_THAT(message(broken), Catch::Contains("INVALID_JSONATA_EXPRESSION"));
}
