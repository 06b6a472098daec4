#include <catch2/catch.hpp>

#include "server/sqs_api.h"

using namespace wyvern;
using namespace wyvern::server;
using json = nlohmann::json;

namespace {

// What the general path reads from the same body (sqs_api.cc's Input over nlohmann::json).
void check_same_as_document(const queue::SendMessageRequest& m, const json& j) {
  CHECK(m.body == j.value("MessageBody", ""));
  CHECK(m.delay_seconds.has_value() == j.contains("DelaySeconds"));
  if (m.delay_seconds) CHECK(*m.delay_seconds == j["DelaySeconds"].get<int>());
  CHECK(m.group_id.has_value() == j.contains("MessageGroupId"));
  if (m.group_id) CHECK(*m.group_id == j["MessageGroupId"].get<std::string>());
  CHECK(m.deduplication_id.has_value() == j.contains("MessageDeduplicationId"));
  if (m.deduplication_id)
    CHECK(*m.deduplication_id == j["MessageDeduplicationId"].get<std::string>());
}

}  // namespace

TEST_CASE("the fast SendMessage reader reads plain requests as the JSON document does", "[sqs]") {
  const char* bodies[] = {
      R"({"QueueUrl":"http://localhost:4566/000000000000/q","MessageBody":"hello"})",
      R"( { "QueueUrl" : "q" , "MessageBody" : "a\"b\\c\/d\b\f\n\r\te" , "DelaySeconds" : 5 } )",
      R"({"QueueUrl":"q","MessageBody":"caf\u00e9 \u20ac \u0000 end","DelaySeconds":-0})",
      "{\"QueueUrl\":\"q\",\"MessageBody\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\x89\"}",
      R"({"QueueUrl":"q.fifo","MessageBody":"x","MessageGroupId":"g","MessageDeduplicationId":"d"})",
      R"({"MessageBody":"","QueueUrl":""})",
      R"({"QueueUrl":"q","MessageBody":"x","DelaySeconds":999999999})",
  };
  for (const char* body : bodies) {
    INFO(body);
    auto fast = sqs::parse_fast("SendMessage", body);
    REQUIRE(fast);
    json j = json::parse(body);
    CHECK_FALSE(fast->batch);
    CHECK(fast->queue_url == j["QueueUrl"].get<std::string>());
    check_same_as_document(fast->single, j);
  }
}

TEST_CASE("the fast SendMessageBatch reader reads plain requests as the JSON document does",
          "[sqs]") {
  const char* bodies[] = {
      R"({"QueueUrl":"q","Entries":[{"Id":"a","MessageBody":"1"},{"Id":"b","MessageBody":"2","DelaySeconds":3}]})",
      R"({"Entries":[],"QueueUrl":"q"})",
      R"({"Entries":[{}, {"MessageBody":"no id"}],"QueueUrl":"q"})",
  };
  for (const char* body : bodies) {
    INFO(body);
    auto fast = sqs::parse_fast("SendMessageBatch", body);
    REQUIRE(fast);
    json j = json::parse(body);
    CHECK(fast->batch);
    CHECK(fast->queue_url == j["QueueUrl"].get<std::string>());
    REQUIRE(fast->entries.size() == j["Entries"].size());
    for (size_t i = 0; i < fast->entries.size(); ++i) {
      CHECK(fast->entries[i].id == j["Entries"][i].value("Id", ""));
      check_same_as_document(fast->entries[i].request, j["Entries"][i]);
    }
  }
}

TEST_CASE("the fast reader leaves every unusual request to the general path", "[sqs]") {
  const char* single[] = {
      "",
      "{}",
      "[]",
      R"({"QueueUrl":"q"})",                                    // no body: its error wording
      R"({"MessageBody":"x"})",                                 // no queue
      R"({"QueueUrl":"q","MessageBody":"x","Extra":1})",        // unknown member
      R"({"QueueUrl":"q","MessageBody":"x","QueueUrl":"r"})",   // repeated member
      R"({"QueueUrl":"q","MessageBody":null})",                 // null
      R"({"QueueUrl":"q","MessageBody":5})",                    // wrong type
      R"({"QueueUrl":"q","MessageBody":"x","DelaySeconds":1.0})",
      R"({"QueueUrl":"q","MessageBody":"x","DelaySeconds":1e2})",
      R"({"QueueUrl":"q","MessageBody":"x","DelaySeconds":01})",
      R"({"QueueUrl":"q","MessageBody":"x","DelaySeconds":1234567890})",
      R"({"QueueUrl":"q","MessageBody":"x","DelaySeconds":"5"})",
      R"({"QueueUrl":"q","MessageBody":"\ud83d\udc09"})",       // surrogate pair
      R"({"QueueUrl":"q","MessageBody":"\ud83d"})",             // lone surrogate
      R"({"QueueUrl":"q","MessageBody":"\x"})",                 // bad escape
      "{\"QueueUrl\":\"q\",\"MessageBody\":\"a\tb\"}",          // raw control character
      "{\"QueueUrl\":\"q\",\"MessageBody\":\"\xc0\xaf\"}",      // overlong UTF-8
      "{\"QueueUrl\":\"q\",\"MessageBody\":\"\xed\xa0\x80\"}",  // UTF-8 surrogate
      "{\"QueueUrl\":\"q\",\"MessageBody\":\"\xe2\x82\"}",      // truncated UTF-8
      R"({"QueueUrl":"q","MessageBody":"x","MessageAttributes":{}})",
      R"({"QueueUrl":"q","MessageBody":"x"} x)",                // trailing text
      R"({"QueueUrl":"q","MessageBody":"x",})",                 // trailing comma
      R"({"QueueUrl":"q","MessageBody":"x")",                   // unterminated
      R"({"QueueUrl":"q","MessageBody":"x)",
  };
  for (const char* body : single) {
    INFO(body);
    CHECK_FALSE(sqs::parse_fast("SendMessage", body));
  }
  const char* batch[] = {
      R"({"QueueUrl":"q"})",
      R"({"QueueUrl":"q","Entries":{}})",
      R"({"QueueUrl":"q","Entries":[1]})",
      R"({"QueueUrl":"q","Entries":[{"Id":"a","MessageBody":"1"},]})",
      R"({"QueueUrl":"q","Entries":[{"Id":"a","Id":"b","MessageBody":"1"}]})",
      R"({"QueueUrl":"q","Entries":[{"Id":"a","MessageBody":"1","MessageAttributes":{}}]})",
      R"({"QueueUrl":"q","MessageBody":"x","Entries":[]})",
  };
  for (const char* body : batch) {
    INFO(body);
    CHECK_FALSE(sqs::parse_fast("SendMessageBatch", body));
  }
  CHECK_FALSE(sqs::parse_fast("ReceiveMessage", R"({"QueueUrl":"q"})"));
}

TEST_CASE("the fast answers are byte for byte the JSON documents' dumps", "[sqs]") {
  auto dump = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };
  queue::SendMessageResult plain{"id-1", "md5", std::nullopt, std::nullopt, std::nullopt};
  queue::SendMessageResult full{"id-2", "md5b", "md5a", "md5s", "00000000000000000001"};
  auto as_json = [](const queue::SendMessageResult& r) {
    json out = {{"MessageId", r.message_id}, {"MD5OfMessageBody", r.md5_of_body}};
    if (r.md5_of_attributes) out["MD5OfMessageAttributes"] = *r.md5_of_attributes;
    if (r.md5_of_system_attributes) out["MD5OfMessageSystemAttributes"] = *r.md5_of_system_attributes;
    if (r.sequence_number) out["SequenceNumber"] = *r.sequence_number;
    return out;
  };
  CHECK(sqs::send_result_body(plain) == dump(as_json(plain)));
  CHECK(sqs::send_result_body(full) == dump(as_json(full)));

  queue::BatchResult<queue::SendMessageResult> batch;
  CHECK(sqs::batch_result_body(batch) == "{}");
  batch.successful = {{"a", plain}, {"b-2_c", full}};
  batch.failed = {{"x", "InvalidParameterValue", "Value \"q\\\x01\n\" is caf\xc3\xa9 invalid", true},
                  {"y", "InternalError", "bad \xff byte", false},
                  // ASCII only, so written by the fast path's own escaping, not nlohmann's.
                  {"z", "Code", "\"lead\" tab\there \\ \x01\x1f\b\f\r\n mid\x7f \"", true}};
  json j = json::object();
  j["Successful"] = json::array();
  for (const auto& [id, r] : batch.successful) {
    json e = as_json(r);
    e["Id"] = id;
    j["Successful"].push_back(e);
  }
  j["Failed"] = json::array();
  for (const auto& f : batch.failed)
    j["Failed"].push_back(
        {{"Id", f.id}, {"Code", f.code}, {"Message", f.message}, {"SenderFault", f.sender_fault}});
  CHECK(sqs::batch_result_body(batch) == dump(j));
  batch.successful.clear();
  j.erase("Successful");
  CHECK(sqs::batch_result_body(batch) == dump(j));
}
