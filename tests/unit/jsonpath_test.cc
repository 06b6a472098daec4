#include <catch2/catch.hpp>

#include "foundation/jsonpath.h"

using namespace wyvern;
using json = nlohmann::json;

namespace {

// The example document of the Step Functions developer guide's paths chapter.
const json kDoc = json::parse(R"({
  "foo": 123, "bar": ["a", "b", "c"], "car": {"cdr": true},
  "store": {"book": [
    {"category": "reference", "author": "Nigel Rees", "price": 8.95},
    {"category": "fiction", "author": "Evelyn Waugh", "price": 12.99},
    {"category": "fiction", "author": "Herman Melville", "isbn": "0-553-21311-3", "price": 8.99}
  ]}
})");

json q(const char* path) {
  auto p = jsonpath::parse(path);
  REQUIRE(p.has_value());
  auto v = jsonpath::query(*p, kDoc);
  return v ? *v : json("<missing>");
}

}  // namespace

TEST_CASE("definite paths name one value or nothing", "[jsonpath]") {
  CHECK(q("$") == kDoc);
  CHECK(q("$.foo") == 123);
  CHECK(q("$.bar[1]") == "b");
  CHECK(q("$.bar[-1]") == "c");
  CHECK(q("$['car']['cdr']") == true);
  CHECK(q("$.store.book[0].author") == "Nigel Rees");
  CHECK(q("$.nothing") == "<missing>");
  CHECK(q("$.bar[7]") == "<missing>");
  CHECK(jsonpath::parse("$.store.book[0].author")->definite);
}

TEST_CASE("a dot before a bracket changes nothing, as in AWS's docs", "[jsonpath]") {
  // amazon-states-language-paths.html writes the bracket form as $.abc.['def ghi'].
  json doc = {{"abc", {{"def ghi", "spaced"}}}, {"list", {1, 2}}};
  auto dotted = jsonpath::parse("$.abc.['def ghi']");
  REQUIRE(dotted.has_value());
  CHECK(dotted->definite);
  CHECK(jsonpath::query(*dotted, doc) == "spaced");
  CHECK(jsonpath::query(*jsonpath::parse("$.list.[1]"), doc) == 2);
  CHECK(jsonpath::set(*dotted, doc, 1).value()["abc"]["def ghi"] == 1);
  CHECK_FALSE(jsonpath::parse("$.abc.[").has_value());
}

TEST_CASE("indefinite paths yield every match as a list", "[jsonpath]") {
  CHECK(q("$.bar[*]") == json::array({"a", "b", "c"}));
  CHECK(q("$.bar[0:2]") == json::array({"a", "b"}));
  CHECK(q("$.bar[::2]") == json::array({"a", "c"}));
  CHECK(q("$.bar[-2:]") == json::array({"b", "c"}));
  CHECK(q("$.bar[0,2]") == json::array({"a", "c"}));
  CHECK(q("$.store.book[*].author") ==
        json::array({"Nigel Rees", "Evelyn Waugh", "Herman Melville"}));
  CHECK(q("$..price") == json::array({8.95, 12.99, 8.99}));
  CHECK(q("$.store.book[?(@.price < 10)].author") ==
        json::array({"Nigel Rees", "Herman Melville"}));
  CHECK(q("$.store.book[?(@.isbn)].author") == json::array({"Herman Melville"}));
  CHECK(q("$.store.book[?(@.category == 'fiction' && @.price > 10)].author") ==
        json::array({"Evelyn Waugh"}));
  CHECK(q("$.nothing[*]") == json::array());
  CHECK_FALSE(jsonpath::parse("$.bar[*]")->definite);
}

TEST_CASE("malformed paths do not parse", "[jsonpath]") {
  for (const char* bad : {"", "foo", "$.", "$[", "$.bar[x]", "$..", "$.a[1:2:0]", "$$.a"})
    CHECK_FALSE(jsonpath::parse(bad).has_value());
  CHECK(jsonpath::parse("$$.Execution.Id", "$$").has_value());
}

TEST_CASE("reference paths write into the document", "[jsonpath]") {
  json doc = {{"a", {{"b", 1}}}, {"list", {1, 2}}};
  auto set = [&](const char* path, json v) {
    return jsonpath::set(*jsonpath::parse(path), doc, v);
  };
  CHECK(set("$", 5) == json(5));
  CHECK(set("$.a.c", "x").value()["a"] == json({{"b", 1}, {"c", "x"}}));
  CHECK(set("$.new.deep", true).value()["new"]["deep"] == true);
  CHECK(set("$.list[1]", 9).value()["list"] == json({1, 9}));
  CHECK_FALSE(set("$.a.b.c", 1).has_value());  // b is a number, not an object
  CHECK_FALSE(set("$.list[5]", 1).has_value());
  CHECK_FALSE(set("$.list[*]", 1).has_value());  // not a reference path
}
