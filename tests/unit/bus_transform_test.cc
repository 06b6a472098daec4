#include <catch2/catch.hpp>

#include "bus/transform.h"

using namespace wyvern;
using bus::TargetInput;
using json = nlohmann::json;
using Paths = std::map<std::string, std::string>;

namespace {

// One order event, its keys in the order EventBridge writes an envelope.
const std::string kEvent =
    R"({"version":"0","id":"0d6b3c55-8f2e-4b8a-9c1d-5e7f00a1b2c3","detail-type":"Order Placed",)"
    R"("source":"com.example.shop","account":"111122223333","time":"2026-03-04T05:06:07Z",)"
    R"("region":"eu-west-1","resources":["arn:aws:shop:eu-west-1:111122223333:order/42"],)"
    R"("detail":{"order":"o-42","total":12.5,"count":3,"paid":true,"coupon":null,)"
    R"("customer":{"tier":"gold","name":"Ada"},"items":[{"sku":"A1","qty":1},{"sku":"B2","qty":2}],)"
    R"("tags":["new","gift"],"note":"say \"hi\"","lines":"one\ntwo","path":"C:\\tmp","empty":"",)"
    R"("zero":0,"neg":-7,"unicode":"h\u00e9llo"}})";

const bus::RuleContext kRule{"arn:aws:events:eu-west-1:111122223333:rule/shop/orders", "orders",
                             1772600768000};  // 2026-03-04T05:06:08Z

// <aws.events.event> for kEvent and kRule: no detail, "detailType", and the ingestion time.
const std::string kEnvelope =
    R"({"id":"0d6b3c55-8f2e-4b8a-9c1d-5e7f00a1b2c3","account":"111122223333",)"
    R"("detailType":"Order Placed","time":"2026-03-04T05:06:08Z","source":"com.example.shop",)"
    R"("region":"eu-west-1","resources":["arn:aws:shop:eu-west-1:111122223333:order/42"],)"
    R"("version":"0"})";

// The delivered text, or "<dropped>" when nothing is delivered.
std::string deliver(const TargetInput& target, const std::string& event_text = kEvent) {
  auto out = bus::target_payload(target, json::parse(event_text), event_text, kRule);
  return out ? *out : "<dropped>";
}

std::string shown(const std::optional<std::string>& expected) {
  return expected ? *expected : "<dropped>";
}

TargetInput transformer(std::string tmpl, Paths paths) {
  TargetInput t;
  t.input_template = std::move(tmpl);
  t.paths_map = std::move(paths);
  return t;
}

std::string message(const TargetInput& target, size_t number = 1) {
  auto error = bus::validate_target_input(target, "t1", number);
  return error ? error->message : "";
}

const std::optional<std::string> kDropped;

struct Row {
  const char* what;
  std::string tmpl;
  Paths paths;
  std::optional<std::string> expected;  // kDropped: nothing is delivered
};

const Row kRows[] = {
    // A JSON template: bare placeholders take the value as JSON, quoted ones its text.
    {"a bare string gets quotes",
     R"({"order": <o>})",
     {{"o", "$.detail.order"}},
     R"({"order":"o-42"})"},
    {"a quoted string goes in as its characters",
     R"({"order": "<o>"})",
     {{"o", "$.detail.order"}},
     R"({"order":"o-42"})"},
    {"a bare number stays a number",
     R"({"total": <t>})",
     {{"t", "$.detail.total"}},
     R"({"total":12.5})"},
    {"a quoted number becomes text",
     R"({"total": "<t>"})",
     {{"t", "$.detail.total"}},
     R"({"total":"12.5"})"},
    {"a bare integer", R"({"count": <c>})", {{"c", "$.detail.count"}}, R"({"count":3})"},
    {"zero and a negative number",
     R"({"z": <z>, "n": <n>})",
     {{"z", "$.detail.zero"}, {"n", "$.detail.neg"}},
     R"({"z":0,"n":-7})"},
    {"a bare boolean", R"({"paid": <p>})", {{"p", "$.detail.paid"}}, R"({"paid":true})"},
    {"a quoted boolean becomes text",
     R"({"paid": "<p>"})",
     {{"p", "$.detail.paid"}},
     R"({"paid":"true"})"},
    {"a bare null stays null",
     R"({"coupon": <c>})",
     {{"c", "$.detail.coupon"}},
     R"({"coupon":null})"},
    {"a quoted null becomes text",
     R"({"coupon": "<c>"})",
     {{"c", "$.detail.coupon"}},
     R"({"coupon":"null"})"},
    {"a bare object keeps the event's key order",
     R"({"customer": <c>})",
     {{"c", "$.detail.customer"}},
     R"({"customer":{"tier":"gold","name":"Ada"}})"},
    {"a quoted object loses its quotes",
     R"({"customer": "<c>"})",
     {{"c", "$.detail.customer"}},
     R"({"customer":"{tier:gold,name:Ada}"})"},
    {"a bare array of objects",
     R"({"items": <i>})",
     {{"i", "$.detail.items"}},
     R"({"items":[{"sku":"A1","qty":1},{"sku":"B2","qty":2}]})"},
    {"a quoted array loses its quotes",
     R"({"tags": "<t>"})",
     {{"t", "$.detail.tags"}},
     R"({"tags":"[new,gift]"})"},
    {"placeholders inside a longer string",
     R"({"msg": "order <o> has <c> items"})",
     {{"o", "$.detail.order"}, {"c", "$.detail.count"}},
     R"({"msg":"order o-42 has 3 items"})"},
    // A path that matches nothing.
    {"a missing bare value becomes an empty string",
     R"({"x": <m>})",
     {{"m", "$.detail.nothere"}},
     R"({"x":""})"},
    {"a missing value inside a string is nothing",
     R"({"x": "[<m>]"})",
     {{"m", "$.detail.nothere"}},
     R"({"x":"[]"})"},
    {"a missing value beside present ones",
     R"({"order": <o>, "gone": <m>})",
     {{"o", "$.detail.order"}, {"m", "$.detail.nothere"}},
     R"({"order":"o-42","gone":""})"},
    // Paths.
    {"an array index", R"({"sku": <s>})", {{"s", "$.detail.items[0].sku"}}, R"({"sku":"A1"})"},
    {"a negative array index",
     R"({"last": <l>})",
     {{"l", "$.detail.tags[-1]"}},
     R"({"last":"gift"})"},
    {"a wildcard gives an array",
     R"({"skus": <s>})",
     {{"s", "$.detail.items[*].sku"}},
     R"({"skus":["A1","B2"]})"},
    {"a wildcard that matches nothing gives an empty array",
     R"({"none": <n>})",
     {{"n", "$.detail.nothere[*]"}},
     R"({"none":[]})"},
    {"a field name with a dash",
     R"({"type": <t>})",
     {{"t", "$.detail-type"}},
     R"({"type":"Order Placed"})"},
    {"an element of resources",
     R"({"r": <r>})",
     {{"r", "$.resources[0]"}},
     R"({"r":"arn:aws:shop:eu-west-1:111122223333:order/42"})"},
    // EventBridge does not escape the values it puts in: a JSON template must still parse.
    {"a quote inside a quoted placeholder breaks the JSON",
     R"({"note": "<n>"})",
     {{"n", "$.detail.note"}},
     kDropped},
    {"a quote inside a bare string breaks the JSON",
     R"({"note": <n>})",
     {{"n", "$.detail.note"}},
     kDropped},
    {"a newline inside a string breaks the JSON",
     R"({"lines": "<l>"})",
     {{"l", "$.detail.lines"}},
     kDropped},
    {"a backslash goes in as it is",
     R"({"p": <p>})",
     {{"p", "$.detail.path"}},
     R"({"p":"C:\tmp"})"},
    {"an empty string, bare and quoted",
     R"({"a": <e>, "b": "[<e>]"})",
     {{"e", "$.detail.empty"}},
     R"({"a":"","b":"[]"})"},
    {"non-ASCII text", R"({"u": <u>})", {{"u", "$.detail.unicode"}}, "{\"u\":\"h\xc3\xa9llo\"}"},
    // The template's own shape.
    {"a JSON template is delivered minified",
     "{\n  \"order\" : <o>,\n  \"note\" : \"a  b\"\n}",
     {{"o", "$.detail.order"}},
     R"({"order":"o-42","note":"a  b"})"},
    {"static values mixed with placeholders",
     R"({"state": [ 9, <o>, true ], "done": "yes"})",
     {{"o", "$.detail.order"}},
     R"({"state":[9,"o-42",true],"done":"yes"})"},
    {"a placeholder deep in the template",
     R"({"a": {"b": [<o>]}})",
     {{"o", "$.detail.order"}},
     R"({"a":{"b":["o-42"]}})"},
    {"escaped quotes around a placeholder",
     R"({"s": "order \"<o>\" placed"})",
     {{"o", "$.detail.order"}},
     R"({"s":"order \"o-42\" placed"})"},
    {"one placeholder used three times",
     R"({"a": <o>, "b": "<o>/<o>"})",
     {{"o", "$.detail.order"}},
     R"({"a":"o-42","b":"o-42/o-42"})"},
    {"the template's keys keep their order",
     R"({"z": 1, "a": <o>})",
     {{"o", "$.detail.order"}},
     R"({"z":1,"a":"o-42"})"},
    {"a result that is not JSON is dropped",
     R"({"a": <o> <o>})",
     {{"o", "$.detail.order"}},
     kDropped},
    {"a template that is not JSON is dropped", R"({"a": 1,})", {}, kDropped},
    {"blanks before the brace still make a JSON template",
     "  \n{\"a\": <o>}",
     {{"o", "$.detail.order"}},
     R"({"a":"o-42"})"},
    // Predefined variables.
    {"rule ARN and name, bare",
     R"({"arn": <aws.events.rule-arn>, "name": <aws.events.rule-name>})",
     {},
     R"({"arn":"arn:aws:events:eu-west-1:111122223333:rule/shop/orders","name":"orders"})"},
    {"the ingestion time, bare",
     R"({"t": <aws.events.event.ingestion-time>})",
     {},
     R"({"t":"2026-03-04T05:06:08Z"})"},
    {"the whole event", R"({"e": <aws.events.event.json>})", {}, R"({"e":)" + kEvent + "}"},
    {"the event without its detail",
     R"({"e": <aws.events.event>})",
     {},
     R"({"e":)" + kEnvelope + "}"},
    {"predefined variables inside a string",
     R"({"m": "rule <aws.events.rule-name> at <aws.events.event.ingestion-time>"})",
     {},
     R"({"m":"rule orders at 2026-03-04T05:06:08Z"})"},
    {"predefined and own variables together",
     R"({"rule": <aws.events.rule-name>, "order": <o>, "e": <aws.events.event.json>})",
     {{"o", "$.detail.order"}},
     R"({"rule":"orders","order":"o-42","e":)" + kEvent + "}"},
    // Anything else is text: values go in as their characters and nothing is checked.
    {"a quoted string template",
     R"("Order <o> totals <t>")",
     {{"o", "$.detail.order"}, {"t", "$.detail.total"}},
     R"("Order o-42 totals 12.5")"},
    {"a plain text template",
     "Order <o> paid: <p>",
     {{"o", "$.detail.order"}, {"p", "$.detail.paid"}},
     "Order o-42 paid: true"},
    {"a missing value in a text template",
     R"("Order <m> done")",
     {{"m", "$.detail.nothere"}},
     R"("Order  done")"},
    {"an object outside quotes in text",
     "customer <c>",
     {{"c", "$.detail.customer"}},
     R"(customer {"tier":"gold","name":"Ada"})"},
    {"an object inside quotes in text",
     R"("customer <c>")",
     {{"c", "$.detail.customer"}},
     R"("customer {tier:gold,name:Ada}")"},
    {"a quote-holding value in text is delivered as it is",
     R"("note: <n>")",
     {{"n", "$.detail.note"}},
     R"("note: say "hi"")"},
    {"a newline in text is delivered as it is",
     "lines: <l>",
     {{"l", "$.detail.lines"}},
     "lines: one\ntwo"},
    {"the rule name in a string template",
     R"("<aws.events.rule-name> triggered")",
     {},
     R"("orders triggered")"},
    {"the rule ARN and ingestion time in text",
     "<aws.events.rule-arn> took it at <aws.events.event.ingestion-time>",
     {},
     "arn:aws:events:eu-west-1:111122223333:rule/shop/orders took it at 2026-03-04T05:06:08Z"},
    {"an array template is text",
     "[<o>, <c>]",
     {{"o", "$.detail.order"}, {"c", "$.detail.count"}},
     "[o-42, 3]"},
    {"a lone placeholder for an object",
     "<c>",
     {{"c", "$.detail.customer"}},
     R"({"tier":"gold","name":"Ada"})"},
    {"a '<' without its '>' is text", "total < <t>", {{"t", "$.detail.total"}}, "total < 12.5"},
    {"a null in text", "coupon <c>", {{"c", "$.detail.coupon"}}, "coupon null"},
    {"escaped quotes in a string template",
     R"("instance \"<o>\" is <p>")",
     {{"o", "$.detail.order"}, {"p", "$.detail.paid"}},
     R"("instance \"o-42\" is true")"},
    {"a number in a string template", R"("<c> items")", {{"c", "$.detail.count"}}, R"("3 items")"},
};

}  // namespace

TEST_CASE("an input template fills its placeholders as AWS does", "[transform]") {
  for (const auto& row : kRows) {
    INFO(row.what << "\n  template: " << row.tmpl);
    auto target = transformer(row.tmpl, row.paths);
    CHECK(message(target) == "");
    CHECK(deliver(target) == shown(row.expected));
  }
  CHECK(std::size(kRows) >= 50);
}

TEST_CASE("an input path delivers the value it selects as JSON", "[transform]") {
  struct PathRow {
    const char* path;
    std::optional<std::string> expected;
  };
  const PathRow rows[] = {
      {"$.detail.order", R"("o-42")"},
      {"$.detail.customer", R"({"tier":"gold","name":"Ada"})"},
      {"$.detail.items[1]", R"({"sku":"B2","qty":2})"},
      {"$.detail.total", "12.5"},
      {"$.detail.paid", "true"},
      {"$.detail.coupon", "null"},
      {"$.detail.tags", R"(["new","gift"])"},
      {"$.detail.items[*].qty", "[1,2]"},
      {"$.detail.note", R"("say \"hi\"")"},
      {"$.resources[0]", R"("arn:aws:shop:eu-west-1:111122223333:order/42")"},
      {"$.detail.nothere", kDropped},
      {"$.detail.items[5]", kDropped},
  };
  for (const auto& row : rows) {
    INFO(row.path);
    TargetInput target;
    target.input_path = row.path;
    CHECK(message(target) == "");
    CHECK(deliver(target) == shown(row.expected));
  }
}

TEST_CASE("the detail keeps the order of its keys through an input path", "[transform]") {
  TargetInput target;
  target.input_path = "$.detail";
  auto out = deliver(target);
  CHECK(out.rfind(R"({"order":"o-42","total":12.5,"count":3,)", 0) == 0);
  CHECK(json::parse(out) == json::parse(kEvent)["detail"]);
}

TEST_CASE("an input path of $ and a target without input get the event's exact text",
          "[transform]") {
  const std::string spaced =
      "{ \"version\": \"0\", \"source\": \"s\", \"detail\": {\"b\": 1, \"a\": 2} }";
  TargetInput whole;
  whole.input_path = "$";
  CHECK(deliver(whole, spaced) == spaced);
  CHECK(deliver(TargetInput{}, spaced) == spaced);
  CHECK(deliver(TargetInput{}) == kEvent);
}

TEST_CASE("a constant input is delivered as it is", "[transform]") {
  for (std::string input : {R"({"fixed": true})", R"("hello")", " [1, 2] ", "42"}) {
    TargetInput target;
    target.input = input;
    CHECK(message(target) == "");
    CHECK(deliver(target) == input);
  }
}

TEST_CASE("PutTargets refuses more than one way to shape the input", "[transform]") {
  const std::string only_one =
      "Only one of Input, InputPath, or InputTransformer must be provided for target t1.";
  TargetInput both;
  both.input = "{}";
  both.input_path = "$.detail";
  CHECK(message(both) == only_one);

  auto path_and_transformer = transformer(R"({"a": <o>})", {{"o", "$.detail.order"}});
  path_and_transformer.input_path = "$.detail";
  CHECK(message(path_and_transformer) == only_one);

  auto input_and_transformer = transformer("x", {});
  input_and_transformer.input = "{}";
  CHECK(message(input_and_transformer) == only_one);

  auto error = bus::validate_target_input(both, "t1");
  REQUIRE(error);
  CHECK(error->info().json_type == "ValidationException");
  CHECK(error->info().http_status == 400);
}

TEST_CASE("PutTargets checks Input, InputPath and the paths map's values", "[transform]") {
  struct Case {
    const char* what;
    TargetInput target;
    std::string expected;  // empty: accepted
  };
  auto with_input = [](std::string s) {
    TargetInput t;
    t.input = std::move(s);
    return t;
  };
  auto with_path = [](std::string s) {
    TargetInput t;
    t.input_path = std::move(s);
    return t;
  };
  const std::string bad_json = "JSON syntax error in input for target t1.";
  const std::string bad_path = "InputPath for target t1 is invalid.";
  const Case cases[] = {
      {"a bare word is not JSON", with_input("hello"), bad_json},
      {"an unterminated object is not JSON", with_input(R"({"a": 1)"), bad_json},
      {"an empty input is not JSON", with_input(""), bad_json},
      {"a JSON scalar is JSON", with_input(R"("hello")"), ""},
      {"a path must start at $", with_path("detail.order"), bad_path},
      {"quoted brackets are refused", with_path("$.detail['order']"), bad_path},
      {"a path cannot end in a dot", with_path("$.detail."), bad_path},
      {"an index is accepted", with_path("$.detail.items[0]"), ""},
      {"$ alone is accepted", with_path("$"), ""},
      {"a map value without $", transformer("<o>", {{"o", "detail.order"}}), bad_path},
      {"a map value with quoted brackets", transformer("<o>", {{"o", R"($.detail["order"])"}}),
       bad_path},
      {"a map key with a dash", transformer("<detail-type>", {{"detail-type", "$.detail-type"}}),
       ""},
      {"a map key starting with AWS", transformer("<AWSx>", {{"AWSx", "$.id"}}), ""},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    CHECK(message(c.target) == c.expected);
  }
}

TEST_CASE("PutTargets checks the template's placeholders", "[transform]") {
  CHECK(message(transformer(R"("Event of <detail-type> with <notdefinedkey>")",
                            {{"detail-type", "$.detail-type"}})) ==
        "InputTemplate for target t1 contains invalid placeholder notdefinedkey.");
  CHECK(message(transformer(R"({"a": "x < y > z"})", {})) ==
        "InputTemplate for target t1 contains invalid placeholder  y .");
  CHECK(message(transformer(R"({"a": <aws.events.rule-arn>, "b": <aws.events.rule-name>,
      "c": <aws.events.event>, "d": <aws.events.event.json>,
      "e": <aws.events.event.ingestion-time>})",
                            {})) == "");
  CHECK(message(transformer(R"("the event <aws.events.event.json>")", {})) ==
        "InputTemplate for target t1 contains placeholder aws.events.event.json valid only for "
        "JSON template.");
  CHECK(message(transformer("[<aws.events.event.json>]", {})) ==
        "InputTemplate for target t1 contains placeholder aws.events.event.json valid only for "
        "JSON template.");
  CHECK(message(transformer("was <aws.events.event>", {})) ==
        "InputTemplate for target t1 contains placeholder aws.events.event valid only for JSON "
        "template.");
  CHECK(message(transformer(R"("event was <k> today")", {{"k", "$.id"}})) == "");
  CHECK(message(transformer("no placeholders at all", {})) == "");
}

TEST_CASE("PutTargets applies the request model's limits first", "[transform]") {
  const std::string key_rule =
      "Map keys must satisfy constraint: [Member must have length less than or equal to 256, "
      "Member must have length greater than or equal to 1, Member must satisfy regular "
      "expression pattern: [A-Za-z0-9\\_\\-]+]";

  CHECK(message(transformer("<aws.events.rule-name>", {{"aws.events.rule-name", "$.source"}})) ==
        "1 validation error detected: Value '{aws.events.rule-name=$.source}' at "
        "'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: " +
            key_rule);
  CHECK(message(transformer("<who>", {{"who", "$.a"}, {"who is?", "$.b"}}), 2) ==
        "1 validation error detected: Value '{who=$.a, who is?=$.b}' at "
        "'targets.2.member.inputTransformer.inputPathsMap' failed to satisfy constraint: " +
            key_rule);
  const std::string long_key(257, 'k');
  CHECK(message(transformer("x", {{long_key, "$.a"}})) ==
        "1 validation error detected: Value '{" + long_key +
            "=$.a}' at 'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy "
            "constraint: " +
            key_rule);
  CHECK(message(transformer("x", {{std::string(256, 'k'), "$.a"}})) == "");

  Paths hundred, hundred_one;
  for (int i = 0; i < 101; ++i) (i < 100 ? hundred : hundred_one)["k" + std::to_string(i)] = "$.a";
  hundred_one.insert(hundred.begin(), hundred.end());
  CHECK(message(transformer("x", hundred)) == "");
  auto too_many = message(transformer("x", hundred_one));
  CHECK(too_many.rfind("1 validation error detected: Value '{k0=$.a, k1=$.a, k10=$.a, ", 0) == 0);
  CHECK(too_many.find("' at 'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy "
                      "constraint: Member must have length less than or equal to 100") !=
        std::string::npos);

  const std::string long_path = "$." + std::string(255, 'a');
  CHECK(message(transformer("<p>", {{"p", long_path}})) ==
        "1 validation error detected: Value '{p=" + long_path +
            "}' at 'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy "
            "constraint: Map value must satisfy constraint: [Member must have length less than "
            "or equal to 256]");

  const std::string long_template(8193, 'x');
  CHECK(message(transformer(long_template, {})) ==
        "1 validation error detected: Value '" + long_template +
            "' at 'targets.1.member.inputTransformer.inputTemplate' failed to satisfy "
            "constraint: Member must have length less than or equal to 8192");
  CHECK(message(transformer(std::string(8192, 'x'), {})) == "");
  CHECK(message(transformer("", {})) ==
        "1 validation error detected: Value '' at 'targets.1.member.inputTransformer."
        "inputTemplate' failed to satisfy constraint: Member must have length greater than or "
        "equal to 1");
  TargetInput no_template;
  no_template.paths_map = Paths{{"o", "$.detail.order"}};
  CHECK(message(no_template) ==
        "1 validation error detected: Value null at 'targets.1.member.inputTransformer."
        "inputTemplate' failed to satisfy constraint: Member must not be null");

  TargetInput long_input;
  long_input.input = "\"" + std::string(8191, 'i') + "\"";
  CHECK(message(long_input, 3) ==
        "1 validation error detected: Value '" + *long_input.input +
            "' at 'targets.3.member.input' failed to satisfy constraint: Member must have length "
            "less than or equal to 8192");
  TargetInput long_input_path;
  long_input_path.input_path = long_path + "b";
  CHECK(message(long_input_path) ==
        "1 validation error detected: Value '" + *long_input_path.input_path +
            "' at 'targets.1.member.inputPath' failed to satisfy constraint: Member must have "
            "length less than or equal to 256");

  // Two broken members: both named, before the service's own rule about using only one.
  TargetInput two = transformer("", {{"a.b", "$.a"}});
  two.input = "{}";
  CHECK(message(two) ==
        "2 validation errors detected: Value '{a.b=$.a}' at "
        "'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy constraint: " +
            key_rule +
            "; Value '' at 'targets.1.member.inputTransformer.inputTemplate' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1");
  CHECK(bus::target_input_violations(two, 1).size() == 2);
  CHECK(bus::target_input_violations(transformer("x", {{"a", "$.a"}}), 1).empty());
}
