// The queue engine on a manual clock and the memory store: no HTTP, no sleeping.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <optional>

#include "foundation/clock.h"
#include "foundation/store.h"
#include "foundation/timers.h"
#include "queue/message.h"
#include "queue/queue.h"

using namespace wyvern;
using namespace wyvern::queue;

namespace {

template <typename T>
struct Captured {
  std::optional<Result<T>> result;
  Reply<T> reply() {
    return [this](Result<T> r) { result.emplace(std::move(r)); };
  }
  T& value() {
    REQUIRE(result.has_value());
    if (!result->ok()) FAIL("unexpected error: " << result->error().message);
    return result->value();
  }
  ErrorCode error() {
    REQUIRE(result.has_value());
    REQUIRE_FALSE(result->ok());
    return result->error().code;
  }
};

struct Fixture {
  ManualClock clock;
  std::unique_ptr<Store> store = open_memory_store();
  boost::asio::io_context io;
  Timers timers{io.get_executor(), clock};
  std::unique_ptr<QueueService> sqs = make_queue_service({&clock, store.get(), &timers});
  Caller caller;

  Fixture() { sqs->recover(); }

  // Moves virtual time and runs whatever timers became due.
  void advance(TimeMs ms) {
    clock.advance(ms);
    timers.clock_moved();
    settle();
  }
  void settle() {
    for (int i = 0; i < 10; ++i) {
      io.restart();
      if (io.poll() == 0) break;
    }
  }

  std::string create(const std::string& name, StringMap attrs = {}) {
    Captured<std::string> url;
    sqs->create_queue(caller, {name, std::move(attrs), {}}, url.reply());
    return url.value();
  }
  SendMessageResult send(const std::string& url, const std::string& body,
                         std::optional<std::string> group = std::nullopt,
                         std::optional<std::string> dedup = std::nullopt,
                         std::optional<int> delay = std::nullopt) {
    Captured<SendMessageResult> r;
    SendMessageRequest req;
    req.body = body;
    req.group_id = group;
    req.deduplication_id = dedup;
    req.delay_seconds = delay;
    sqs->send_message(caller, url, std::move(req), r.reply());
    return r.value();
  }
  std::vector<ReceivedMessage> receive(const std::string& url, int max = 10,
                                       std::optional<int> visibility = std::nullopt) {
    Captured<std::vector<ReceivedMessage>> r;
    ReceiveMessageRequest req;
    req.max_number_of_messages = max;
    req.visibility_timeout = visibility;
    req.attribute_names = {"All"};
    sqs->receive_message(caller, url, req, r.reply());
    return r.value();
  }
  std::vector<std::string> bodies(const std::vector<ReceivedMessage>& ms) {
    std::vector<std::string> out;
    for (const auto& m : ms) out.push_back(m.body);
    return out;
  }
  StringMap attributes(const std::string& url) {
    Captured<StringMap> r;
    sqs->get_queue_attributes(caller, url, {"All"}, r.reply());
    return r.value();
  }
  void remove(const std::string& url, const std::string& handle) {
    Captured<Ok> r;
    sqs->delete_message(caller, url, handle, r.reply());
    r.value();
  }
};

}  // namespace

TEST_CASE("a received message stays invisible until its visibility timeout passes", "[queue]") {
  Fixture f;
  auto url = f.create("q", {{"VisibilityTimeout", "30"}});
  f.send(url, "one");
  REQUIRE(f.receive(url).size() == 1);
  CHECK(f.receive(url).empty());
  CHECK(f.attributes(url)["ApproximateNumberOfMessagesNotVisible"] == "1");
  f.advance(29'999);
  CHECK(f.receive(url).empty());
  f.advance(1);
  auto again = f.receive(url);
  REQUIRE(again.size() == 1);
  CHECK(again[0].attributes["ApproximateReceiveCount"] == "2");
}

TEST_CASE("a message deleted by its receipt handle never comes back", "[queue]") {
  Fixture f;
  auto url = f.create("q");
  f.send(url, "one");
  auto got = f.receive(url, 1, 0);
  REQUIRE(got.size() == 1);
  f.remove(url, got[0].receipt_handle);
  f.advance(3'600'000);
  CHECK(f.receive(url).empty());
  CHECK(f.attributes(url)["ApproximateNumberOfMessages"] == "0");
}

TEST_CASE("delayed messages appear when their delay ends", "[queue]") {
  Fixture f;
  auto url = f.create("q", {{"DelaySeconds", "10"}});
  f.send(url, "queue-delay");
  f.send(url, "own-delay", std::nullopt, std::nullopt, 60);
  CHECK(f.attributes(url)["ApproximateNumberOfMessagesDelayed"] == "2");
  CHECK(f.receive(url).empty());
  f.advance(10'000);
  auto first = f.receive(url);
  CHECK(f.bodies(first) == std::vector<std::string>{"queue-delay"});
  f.remove(url, first[0].receipt_handle);
  f.advance(50'000);
  CHECK(f.bodies(f.receive(url)) == std::vector<std::string>{"own-delay"});
}

TEST_CASE("messages older than the retention period are gone", "[queue]") {
  Fixture f;
  auto url = f.create("q", {{"MessageRetentionPeriod", "60"}});
  f.send(url, "old");
  f.advance(30'000);
  f.send(url, "young");
  f.advance(30'000);
  CHECK(f.attributes(url)["ApproximateNumberOfMessages"] == "1");
  CHECK(f.bodies(f.receive(url)) == std::vector<std::string>{"young"});
}

TEST_CASE("FIFO delivers each group in order and holds a group while it is in flight",
          "[queue][fifo]") {
  Fixture f;
  auto url = f.create("f.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}});
  f.send(url, "a1", "A");
  f.send(url, "b1", "B");
  f.send(url, "a2", "A");
  auto first = f.receive(url, 1);
  REQUIRE(f.bodies(first) == std::vector<std::string>{"a1"});
  // Group A is held while a1 is in flight; B is free.
  CHECK(f.bodies(f.receive(url, 10)) == std::vector<std::string>{"b1"});
  CHECK(f.receive(url, 10).empty());
  f.remove(url, first[0].receipt_handle);
  CHECK(f.bodies(f.receive(url, 10)) == std::vector<std::string>{"a2"});
}

TEST_CASE("FIFO returns a group's messages again, in order, after visibility expires",
          "[queue][fifo]") {
  Fixture f;
  auto url = f.create("f.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}});
  for (auto body : {"1", "2", "3"}) f.send(url, body, "G");
  CHECK(f.bodies(f.receive(url, 2)) == std::vector<std::string>{"1", "2"});
  f.advance(30'000);
  CHECK(f.bodies(f.receive(url, 10)) == std::vector<std::string>{"1", "2", "3"});
}

TEST_CASE("FIFO drops duplicates within five minutes and accepts them after", "[queue][fifo]") {
  Fixture f;
  auto url = f.create("f.fifo", {{"FifoQueue", "true"}});
  auto original = f.send(url, "x", "G", "d-1");
  auto duplicate = f.send(url, "x", "G", "d-1");
  CHECK(duplicate.message_id == original.message_id);
  CHECK(duplicate.sequence_number == original.sequence_number);
  CHECK(f.attributes(url)["ApproximateNumberOfMessages"] == "1");
  f.advance(5 * 60'000);
  auto later = f.send(url, "x", "G", "d-1");
  CHECK(later.message_id != original.message_id);
  CHECK(*later.sequence_number > *original.sequence_number);
  CHECK(f.attributes(url)["ApproximateNumberOfMessages"] == "2");
}

TEST_CASE("content-based deduplication uses the body's SHA-256", "[queue][fifo]") {
  Fixture f;
  auto url = f.create("f.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}});
  f.send(url, "same", "G");
  f.send(url, "same", "G");
  f.send(url, "different", "G");
  CHECK(f.attributes(url)["ApproximateNumberOfMessages"] == "2");
}

TEST_CASE("a message received more than maxReceiveCount times moves to the dead-letter queue",
          "[queue][redrive]") {
  Fixture f;
  auto dlq = f.create("dlq");
  f.create(
      "src",
      {{"RedrivePolicy",
        R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"2"})"}});
  auto src = f.caller.endpoint + "/000000000000/src";
  f.send(src, "poison");
  for (int i = 0; i < 2; ++i) {
    REQUIRE(f.receive(src, 1, 0).size() == 1);
  }
  CHECK(f.receive(src, 1, 0).empty());  // the third receive moves it instead
  auto dead = f.receive(dlq, 1);
  REQUIRE(dead.size() == 1);
  CHECK(dead[0].body == "poison");
  CHECK(dead[0].attributes["DeadLetterQueueSourceArn"] == "arn:aws:sqs:us-east-1:000000000000:src");
}

TEST_CASE("a parked receive wakes when a message arrives, or ends empty at its deadline",
          "[queue][longpoll]") {
  Fixture f;
  auto url = f.create("q");
  Captured<std::vector<ReceivedMessage>> parked;
  ReceiveMessageRequest req;
  req.wait_time_seconds = 20;
  f.sqs->receive_message(f.caller, url, req, parked.reply());
  CHECK_FALSE(parked.result.has_value());
  f.send(url, "wake up");
  REQUIRE(parked.result.has_value());
  CHECK(f.bodies(parked.value()) == std::vector<std::string>{"wake up"});

  Captured<std::vector<ReceivedMessage>> idle;
  f.sqs->receive_message(f.caller, url, req, idle.reply());
  f.advance(19'999);
  CHECK_FALSE(idle.result.has_value());
  f.advance(1);
  REQUIRE(idle.result.has_value());
  CHECK(idle.value().empty());
}

TEST_CASE("a parked receive wakes when a delayed message becomes visible", "[queue][longpoll]") {
  Fixture f;
  auto url = f.create("q");
  f.send(url, "later", std::nullopt, std::nullopt, 5);
  Captured<std::vector<ReceivedMessage>> parked;
  ReceiveMessageRequest req;
  req.wait_time_seconds = 20;
  f.sqs->receive_message(f.caller, url, req, parked.reply());
  f.advance(4'000);
  CHECK_FALSE(parked.result.has_value());
  f.advance(1'000);
  REQUIRE(parked.result.has_value());
  CHECK(f.bodies(parked.value()) == std::vector<std::string>{"later"});
}

TEST_CASE("queues and messages are rebuilt from the store", "[queue][recovery]") {
  Fixture f;
  auto url = f.create("q", {{"VisibilityTimeout", "100"}});
  f.send(url, "kept");
  f.send(url, "in-flight");
  f.send(url, "deleted");
  auto got = f.receive(url, 10);
  REQUIRE(got.size() == 3);
  f.remove(url, got[2].receipt_handle);
  Captured<Ok> back;
  f.sqs->change_message_visibility(f.caller, url, {got[0].receipt_handle, 0}, back.reply());
  back.value();

  auto revived = make_queue_service({&f.clock, f.store.get(), &f.timers});
  revived->recover();
  f.sqs = std::move(revived);
  auto now = f.receive(url, 10, 1000);
  CHECK(f.bodies(now) == std::vector<std::string>{"kept"});
  f.advance(100'000);
  CHECK(f.bodies(f.receive(url, 10)) == std::vector<std::string>{"in-flight"});
}

TEST_CASE("MD5 of message attributes follows the AWS encoding", "[queue][md5]") {
  // The AWSTraceHeader digest AWS returns for this value (MD5OfMessageSystemAttributes).
  MessageAttributes trace{{"AWSTraceHeader",
                           {"String",
                            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;"
                            "Sampled=1",
                            std::nullopt}}};
  CHECK(md5_of_attributes(trace) == "5ae4d5d7636402d80f4eb6d213245a88");
  CHECK(md5_of_attributes({}).empty());
}

TEST_CASE("message bodies reject characters outside the XML set", "[queue]") {
  CHECK_FALSE(first_invalid_character("plain text \t\r\n émoji 🐉"));
  CHECK(first_invalid_character(std::string("a\x07", 2)) == 0x7u);
  CHECK(first_invalid_character("\xEF\xBF\xBE") == 0xFFFEu);
  CHECK(first_invalid_character("\xC3") == 0xFFFDu);  // truncated UTF-8
  // Long bodies are checked eight ASCII characters at a time: whatever breaks a run is still
  // found, at every offset, and the edges of the printable range pass.
  CHECK_FALSE(first_invalid_character(std::string(64, ' ') + std::string(64, '\x7f')));
  for (size_t at = 0; at < 24; ++at) {
    INFO("offset " << at);
    std::string body(24, 'x');
    body[at] = '\x1f';
    CHECK(first_invalid_character(body) == 0x1Fu);
    body[at] = '\x00';
    CHECK(first_invalid_character(body) == 0x0u);
    body[at] = '\xFF';
    CHECK(first_invalid_character(body) == 0xFFFDu);
    body.replace(at, 1, "\xEF\xBF\xBF");  // U+FFFF, three bytes
    CHECK(first_invalid_character(body) == 0xFFFFu);
    body.replace(at, 3, "\tab\n\r\xC3\xA9");
    CHECK_FALSE(first_invalid_character(body));
  }
}

TEST_CASE("stored messages decode to what was encoded", "[queue]") {
  StoredMessage m;
  m.seq = 42;
  m.message_id = MessageId::random();
  m.body = std::string("b\0dy", 4);
  m.md5_of_body = Md5Digest::of(m.body);
  m.mutable_extras().attributes["n"] = {"Number", "1.5", std::nullopt};
  m.mutable_extras().attributes["b"] = {"Binary.png", std::nullopt, std::string("\x00\x01", 2)};
  m.mutable_extras().trace_header = "Root=1";
  m.receive_count = 3;
  m.visible_at = -5;
  auto decoded = decode_message(encode_message(m));
  REQUIRE(decoded.has_value());
  CHECK(decoded->body == m.body);
  CHECK(decoded->extras().attributes.at("b").binary_value ==
        m.extras().attributes.at("b").binary_value);
  CHECK(decoded->extras().attributes.at("n").string_value == "1.5");
  CHECK(decoded->extras().trace_header == "Root=1");
  StoredMessage plain;
  plain.body = "plain";
  auto plain_decoded = decode_message(encode_message(plain));
  REQUIRE(plain_decoded.has_value());
  CHECK(plain_decoded->body == "plain");
  CHECK(plain_decoded->extras().attributes.empty());
  CHECK_FALSE(plain_decoded->extras().trace_header.has_value());
  CHECK(decoded->receive_count == 3);
  CHECK(decoded->visible_at == -5);
  CHECK(decoded->message_id == m.message_id);
  CHECK(decoded->md5_of_body == m.md5_of_body);
  CHECK_FALSE(decode_message("garbage").has_value());
}

namespace {

std::string field(std::string_view s) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>(s.size() >> shift);
  return out.append(s);
}

std::string u64(uint64_t v) {
  std::string out;
  for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>(v >> shift);
  return out;
}

// A version-2 record as written while ids and digests were kept as text in memory too.
std::string version_2_record() {
  return "\x02" + u64(7) + field("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9") + field("hello") +
         field("5d41402abc4b2a76b9719d911017c592") + field("000000000000") + u64(1000) + u64(1000) +
         u64(31000) + u64(1500) + u64(1500) + u64(2) + u64(2) + u64(0) + '\0' + field("") +
         field("") + field("");
}

// The same message as version 3 writes it: id and MD5 as their 16 bytes, nothing else changed.
std::string version_3_record() {
  return "\x03" + u64(7) + "\x0f\x1e\x2d\x3c\x4b\x5a\x49\x78\x86\x95\xa4\xb3\xc2\xd1\xe0\xf9" +
         field("hello") + "\x5d\x41\x40\x2a\xbc\x4b\x2a\x76\xb9\x71\x9d\x91\x10\x17\xc5\x92" +
         field("000000000000") + u64(1000) + u64(1000) + u64(31000) + u64(1500) + u64(1500) +
         u64(2) + u64(2) + u64(0) + '\0' + field("") + field("") + field("");
}

}  // namespace

TEST_CASE("message records decode from versions 2 (text ids) and 3; 3 is written", "[queue]") {
  for (const std::string& record : {version_2_record(), version_3_record()}) {
    auto decoded = decode_message(record);
    REQUIRE(decoded.has_value());
    CHECK(decoded->seq == 7);
    CHECK(decoded->message_id.text() == "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9");
    CHECK(decoded->md5_of_body.hex() == "5d41402abc4b2a76b9719d911017c592");
    CHECK(decoded->body == "hello");
    CHECK(decoded->sender_id.text() == "000000000000");
    CHECK(decoded->receive_count == 2);
    CHECK(decoded->receipt == 2);
    // Whatever it was read from, a message is written back as version 3.
    CHECK(encode_message(*decoded) == version_3_record());
  }
}

TEST_CASE("message ids parse only the exact text they print", "[queue]") {
  MessageId id = MessageId::random();
  CHECK(MessageId::parse(id.text()) == id);
  CHECK_FALSE(MessageId::parse("0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9").has_value());
  CHECK_FALSE(MessageId::parse("0f1e2d3c4b5a49788695a4b3c2d1e0f9").has_value());
  CHECK_FALSE(MessageId::parse("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f").has_value());
  CHECK(Md5Digest::of("hello").hex() == "5d41402abc4b2a76b9719d911017c592");
  CHECK(Md5Digest::parse_hex("5d41402abc4b2a76b9719d911017c592") == Md5Digest::of("hello"));
  CHECK_FALSE(Md5Digest::parse_hex("5D41402ABC4B2A76B9719D911017C592").has_value());
}

TEST_CASE("a copied message's extras are shared until one copy changes them", "[queue]") {
  StoredMessage original;
  original.mutable_extras().group_id = "g";
  StoredMessage moved = original;
  CHECK(&moved.extras() == &original.extras());
  moved.mutable_extras().dead_letter_source = "arn:aws:sqs:us-east-1:000000000000:src";
  CHECK(moved.extras().group_id == "g");
  CHECK(original.extras().dead_letter_source.empty());
  StoredMessage plain;
  CHECK(plain.extras().attributes.empty());
}
