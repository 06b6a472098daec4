// Step Functions' language pieces, with expectations taken from the AWS Step Functions
// Developer Guide (intrinsic functions, input and output processing, Choice rules).
#include <catch2/catch.hpp>

#include "stepfn/definition.h"
#include "stepfn/intrinsics.h"
#include "stepfn/processing.h"

using namespace wyvern::stepfn;

namespace {

json call(const char* expr, const json& input = json::object()) {
  auto r = evaluate_intrinsic(expr, input, json::object());
  if (!r.value) FAIL("intrinsic failed: " << r.error);
  return *r.value;
}

bool fails(const char* expr, const json& input = json::object()) {
  return !evaluate_intrinsic(expr, input, json::object()).value.has_value();
}

}  // namespace

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
  auto out = apply_output_path(state, placed.value);
  CHECK(out.value == json({{"val1", 23}, {"val2", 17}, {"sum", 40}}));

  CHECK(apply_result_path(json::object(), input, "x").value == "x");               // default "$"
  CHECK(apply_result_path({{"ResultPath", nullptr}}, input, "x").value == input);  // discard
  CHECK(apply_input_path({{"InputPath", nullptr}}, input).value == json::object());
  CHECK(apply_result_path({{"ResultPath", "$.comment.x"}}, input, 1).error->error ==
        "States.ResultPathMatchFailure");
  CHECK(apply_input_path({{"InputPath", "$.nope"}}, input).error->error == "States.Runtime");

  json params = {
      {"flagged", true},
      {"parts",
       {{"first.$", "$.data.val1"}, {"sum.$", "States.MathAdd($.data.val1, $.data.val2)"}}},
      {"name.$", "$$.Execution.Name"}};
  json context = {{"Execution", {{"Name", "run-1"}}}};
  auto built = apply_payload(params, input, context, "Parameters");
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
    auto o = choose(state, input, json::object());
    REQUIRE_FALSE(o.error);
    return o.value.get<std::string>() == "Yes";
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
  CHECK(choose(no_default, input, json::object()).error->error == "States.NoChoiceMatched");
  json missing = {
      {"Choices", json::array({{{"Variable", "$.missing"}, {"NumericEquals", 1}, {"Next", "X"}}})}};
  CHECK(choose(missing, input, json::object()).error->error == "States.Runtime");
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
