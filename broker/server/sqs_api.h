// The SQS API surface: one table of every SQS action, each a function from the JSON
// protocol's request shape to the JSON protocol's response shape, calling the queue engine.
// The Query protocol reuses the same table: its form parameters are first rewritten into the
// JSON shape (query_to_json), and the JSON answer is rendered as Query XML (result_to_xml).
#pragma once

#include <functional>
#include <optional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "foundation/errors.h"
#include "protocol.h"
#include "queue/queue.h"

namespace wyvern::server::sqs {

using json = nlohmann::json;

inline constexpr std::string_view kJsonNamespace = "com.amazonaws.sqs";
inline constexpr std::string_view kXmlNamespace = "http://queue.amazonaws.com/doc/2012-11-05/";

struct Call {
  queue::Caller caller;
  WireProtocol protocol;
  json input;  // the JSON protocol's request shape
};
using Done = std::function<void(Result<json>)>;

struct Action {
  std::string_view name;
  // REQUIRES: runs on the core strand (it calls the queue engine). `done` may run anywhere.
  void (*run)(queue::QueueService& sqs, Call& call, Done done);
  bool has_output;  // false: the Query response carries no <ActionResult> element
};

// nullptr for an action SQS does not have.
const Action* find_action(std::string_view name);
std::span<const Action> all_actions();

// Rewrites Query parameters (without Action and Version) into the JSON request shape, e.g.
// Attribute.1.Name=X&Attribute.1.Value=Y into {"Attributes": {"X": "Y"}}.
json query_to_json(const std::vector<std::pair<std::string, std::string>>& params);

// The <ActionResult> element's XML for a JSON result (empty result: empty string).
std::string result_to_xml(std::string_view action, const json& result);

// The JSON protocol's hot path (sqs_fast.cc): a SendMessage or SendMessageBatch request in its
// plain shape, read straight into the engine's request, its answer written straight out. A
// request it does not take (message attributes, unknown, repeated or null members, anything
// malformed) gets nullopt from parse_fast() and goes through the table above, which answers
// it as it always did: the two paths differ only in speed.
struct FastCall {
  std::string queue_url;
  bool batch = false;
  queue::SendMessageRequest single;                                      // SendMessage
  std::vector<queue::BatchEntry<queue::SendMessageRequest>> entries;  // SendMessageBatch
};
std::optional<FastCall> parse_fast(std::string_view action, std::string_view body);

// REQUIRES: runs on the core strand. `done` (which may run anywhere) gets the response body.
using FastDone = std::function<void(Result<std::string>)>;
void run_fast(queue::QueueService& sqs, const queue::Caller& caller, FastCall call,
              FastDone done);

// The JSON response bodies the fast path writes: byte for byte what the table's results
// dump to (members in nlohmann's sorted order).
std::string send_result_body(const queue::SendMessageResult& result);
std::string batch_result_body(const queue::BatchResult<queue::SendMessageResult>& result);

}  // namespace wyvern::server::sqs
