#include <catch2/catch.hpp>

// SNS subscription filter policies as a user sees them: a table of policies, messages and
// outcomes (tests/sns/filter_policies.json), shared with the end-to-end runner that publishes
// each row through a real broker. Here every row goes through FilterPolicy::compile and accepts.
//
//   "match":   a policy, a message (attributes and/or body), and whether the subscription gets it
//   "invalid": a policy text, and the error SetSubscriptionAttributes gives after
//              "Invalid parameter: "
//
// A row marked "pending" records AWS's documented behaviour where Wyvern does not follow it yet:
// it is counted and evaluated but not checked, and a warning says when it starts to pass.

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

#include "foundation/codec.h"
#include "topics/filter_policy.h"

#ifndef WYVERN_SNS_FILTER_TABLE
#error "WYVERN_SNS_FILTER_TABLE must name tests/sns/filter_policies.json"
#endif

using namespace wyvern;
using namespace wyvern::topics;
// Ordered, so that a policy is sent with its keys in the order the table gives them.
using ojson = nlohmann::ordered_json;

namespace {

constexpr size_t kMinMatchRows = 150;
constexpr size_t kMinInvalidRows = 40;
// What an attributes-scope row publishes as its body when it names none.
constexpr const char* kDefaultBody = "filter policy test message";

ojson load_table() {
  std::ifstream in(WYVERN_SNS_FILTER_TABLE);
  INFO("table " << WYVERN_SNS_FILTER_TABLE);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  ojson table = ojson::parse(text.str(), nullptr, false);
  REQUIRE_FALSE(table.is_discarded());
  REQUIRE(table.is_object());
  REQUIRE(table.contains("match"));
  REQUIRE(table.contains("invalid"));
  REQUIRE(table["match"].is_array());
  REQUIRE(table["invalid"].is_array());
  return table;
}

FilterScope scope_of(const ojson& row) {
  REQUIRE(row.contains("scope"));
  REQUIRE(row["scope"].is_string());
  auto scope = parse_filter_scope(row["scope"].get<std::string>());
  REQUIRE(scope.has_value());
  return *scope;
}

// The row's "attributes", as Publish hands them to the filter: Binary values decoded.
MessageAttributes attributes_of(const ojson& row) {
  MessageAttributes attributes;
  if (!row.contains("attributes")) return attributes;
  REQUIRE(row["attributes"].is_object());
  for (const auto& [name, spec] : row["attributes"].items()) {
    INFO("attribute " << name);
    REQUIRE(spec.is_object());
    REQUIRE(spec.contains("DataType"));
    MessageAttribute attribute;
    attribute.data_type = spec["DataType"].get<std::string>();
    const bool binary = attribute.data_type == "Binary";
    if (binary) {
      REQUIRE(spec.contains("BinaryValue"));
      REQUIRE_FALSE(spec.contains("StringValue"));
      auto bytes = base64_decode(spec["BinaryValue"].get<std::string>());
      REQUIRE(bytes.has_value());
      attribute.binary_value = std::move(*bytes);
    } else {
      REQUIRE(spec.contains("StringValue"));
      REQUIRE_FALSE(spec.contains("BinaryValue"));
      attribute.string_value = spec["StringValue"].get<std::string>();
    }
    attributes.emplace(name, std::move(attribute));
  }
  return attributes;
}

std::string text_field(const ojson& row, const char* field) {
  INFO("field " << field);
  REQUIRE(row.contains(field));
  REQUIRE(row[field].is_string());
  return row[field].get<std::string>();
}

// Every row has a unique, non-empty name.
std::string name_of(const ojson& row, std::set<std::string>& names) {
  REQUIRE(row.is_object());
  std::string name = text_field(row, "name");
  REQUIRE_FALSE(name.empty());
  INFO("row " << name);
  CHECK(names.insert(name).second);
  return name;
}

bool pending(const ojson& row) {
  if (!row.contains("pending")) return false;
  REQUIRE(row["pending"].is_string());
  REQUIRE_FALSE(row["pending"].get<std::string>().empty());
  return true;
}

}  // namespace

TEST_CASE("SNS filter policies decide which messages a subscription gets", "[sns-filter]") {
  const ojson table = load_table();
  std::set<std::string> names;
  size_t checked = 0, skipped = 0;
  for (const ojson& row : table["match"]) {
    const std::string name = name_of(row, names);
    INFO("row " << name);
    const FilterScope scope = scope_of(row);
    REQUIRE(row.contains("policy"));
    REQUIRE(row["policy"].is_object());
    REQUIRE(row.contains("expected"));
    REQUIRE(row["expected"].is_boolean());
    REQUIRE_FALSE(text_field(row, "why").empty());
    const bool expected = row["expected"].get<bool>();
    // A body-scope row is about its body, so it must give one.
    if (scope == FilterScope::kMessageBody) REQUIRE(row.contains("body"));
    const std::string body = row.contains("body") ? text_field(row, "body") : kDefaultBody;
    const MessageAttributes attributes = attributes_of(row);
    const std::string policy_text = row["policy"].dump();
    INFO("policy " << policy_text);
    INFO("body   " << body);

    auto policy = FilterPolicy::compile(policy_text, scope);
    const bool compiled = policy.ok();
    const bool accepted = compiled && policy->accepts(body, attributes);
    if (pending(row)) {
      ++skipped;
      if (compiled && accepted == expected)
        WARN("pending row " << name << " now passes; drop its \"pending\" mark");
      continue;
    }
    ++checked;
    INFO((compiled ? std::string() : "refused: " + policy.error().message));
    REQUIRE(compiled);
    CHECK(accepted == expected);
  }
  INFO("match rows: " << checked << " checked, " << skipped << " pending");
  CHECK(checked + skipped == table["match"].size());
  CHECK(table["match"].size() >= kMinMatchRows);
  if (skipped) WARN(skipped << " pending match rows skipped");
}

TEST_CASE("SNS refuses malformed filter policies as SetSubscriptionAttributes does",
          "[sns-filter]") {
  const ojson table = load_table();
  // Names are unique across the whole table: the end-to-end runner reports rows by name.
  std::set<std::string> names;
  for (const ojson& row : table["match"])
    if (row.contains("name") && row["name"].is_string())
      names.insert(row["name"].get<std::string>());
  size_t checked = 0, skipped = 0;
  for (const ojson& row : table["invalid"]) {
    const std::string name = name_of(row, names);
    INFO("row " << name);
    const FilterScope scope = scope_of(row);
    const std::string policy_text = text_field(row, "policy_text");
    const std::string error = text_field(row, "error");
    const std::string source = text_field(row, "source");
    CHECK((source == "aws" || source == "engine"));
    INFO("policy " << policy_text);

    auto policy = FilterPolicy::compile(policy_text, scope);
    const std::string got = policy.ok() ? "<compiled>" : policy.error().message;
    if (pending(row)) {
      ++skipped;
      if (got == error) WARN("pending row " << name << " now passes; drop its \"pending\" mark");
      continue;
    }
    ++checked;
    CHECK(got == error);
    if (!policy.ok()) CHECK(policy.error().code == ErrorCode::kInvalidParameterValue);
  }
  CHECK(checked + skipped == table["invalid"].size());
  CHECK(table["invalid"].size() >= kMinInvalidRows);
  if (skipped) WARN(skipped << " pending invalid rows skipped");
}
