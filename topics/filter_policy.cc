#include "filter_policy.h"

namespace wyvern::topics {

using json = nlohmann::json;

std::optional<FilterScope> parse_filter_scope(std::string_view text) {
  if (text == "MessageAttributes") return FilterScope::kMessageAttributes;
  if (text == "MessageBody") return FilterScope::kMessageBody;
  return std::nullopt;
}

std::string_view scope_name(FilterScope scope) {
  return scope == FilterScope::kMessageBody ? "MessageBody" : "MessageAttributes";
}

Result<FilterPolicy> FilterPolicy::compile(std::string_view policy_json, FilterScope scope) {
  FilterPolicy policy;
  policy.scope_ = scope;
  // An empty object is what a cleared FilterPolicy reads back as: no filtering.
  json parsed = json::parse(policy_json, nullptr, false);
  if (policy_json.empty() || (parsed.is_object() && parsed.empty())) return policy;
  auto compiled = compile_pattern(policy_json, scope == FilterScope::kMessageBody
                                                   ? PatternDialect::kSnsMessageBody
                                                   : PatternDialect::kSnsMessageAttributes);
  if (!compiled) return compiled.error();
  policy.pattern_ = std::move(compiled.value());
  return policy;
}

bool FilterPolicy::accepts(std::string_view body, const MessageAttributes& attributes) const {
  if (!pattern_) return true;
  if (scope_ == FilterScope::kMessageAttributes) {
    // Key matching: "exists": false "only matches if at least one attribute is present. An
    // empty set of attributes results in the filter not matching." Nothing else could match one.
    if (attributes.empty()) return false;
    return matches(*pattern_, attributes_as_event(attributes));
  }
  json event = json::parse(body, nullptr, false);
  return event.is_object() && matches(*pattern_, event);
}

namespace {

// A String attribute as SNS compares it: with '"' and '\\' escaped, which is why the filter
// policy constraints page says attribute-based policies must double-escape those two characters
// ({"title": ["say \\\"hi\\\""]} matches the String attribute say "hi").
std::string as_compared(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

json attributes_as_event(const MessageAttributes& attributes) {
  json event = json::object();
  for (const auto& [name, attribute] : attributes) {
    if (!attribute.string_value) continue;  // Binary: filter policies never see it
    const std::string& value = *attribute.string_value;
    // "Number.float" is a Number; "String.Array" is its own type, not a custom String.
    std::string_view type = attribute.data_type;
    bool array = type.rfind("String.Array", 0) == 0;
    type = type.substr(0, type.find('.'));
    if (array) {
      json items = json::parse(value, nullptr, false);
      if (items.is_array()) event[name] = std::move(items);
    } else if (type == "Number") {
      json number = json::parse(value, nullptr, false);
      if (number.is_number()) event[name] = std::move(number);
    } else if (type == "String") {
      event[name] = as_compared(value);
    }
  }
  return event;
}

}  // namespace wyvern::topics
