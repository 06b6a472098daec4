// Subscription filter policies: when a subscription wants a message. The pattern language and its
// matcher are the foundation's (event_pattern.h, shared with EventBridge); this file holds what
// is SNS's own: the two scopes, and how a message's attributes are read as an event.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "foundation/errors.h"
#include "foundation/event_pattern.h"

namespace wyvern::topics {

struct MessageAttribute {
  std::string data_type;  // String, Number, Binary, String.Array, optionally "String.custom"
  std::optional<std::string> string_value;
  std::optional<std::string> binary_value;  // raw bytes (the wire carries base64)
};
using MessageAttributes = std::map<std::string, MessageAttribute>;

enum class FilterScope { kMessageAttributes, kMessageBody };

// "MessageAttributes" / "MessageBody"; nullopt for anything else.
std::optional<FilterScope> parse_filter_scope(std::string_view text);
std::string_view scope_name(FilterScope scope);

class FilterPolicy {
 public:
  // Compiles a FilterPolicy attribute. An empty text or "{}" accepts every message. Errors carry
  // the SNS text (see compile_pattern), e.g. "FilterPolicy: Filter policy is too complex".
  static Result<FilterPolicy> compile(std::string_view policy_json, FilterScope scope);

  // Whether a message with this body and these attributes passes. In the MessageBody scope a
  // body that is not a JSON object passes nothing but an accept-all policy.
  bool accepts(std::string_view body, const MessageAttributes& attributes) const;

 private:
  std::optional<CompiledPattern> pattern_;  // empty: accepts everything
  FilterScope scope_ = FilterScope::kMessageAttributes;
};

// The event a MessageAttributes-scope policy sees: String -> the string with '"' and '\'
// escaped (why SNS asks policies to double-escape them), Number -> number, String.Array -> the
// array it holds; Binary (and anything unreadable) is left out. A message with no attributes at
// all matches no attributes-scope policy, not even {"exists": false}.
nlohmann::json attributes_as_event(const MessageAttributes& attributes);

}  // namespace wyvern::topics
