// The SNS engine on a manual clock and the memory store, with the broker's outlets replaced by
// recorders: what is delivered where, retries, dead-letter queues and recovery.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <optional>

#include "foundation/clock.h"
#include "foundation/store.h"
#include "foundation/timers.h"
#include "topics/engine.h"
#include "topics/topics.h"

using namespace wyvern;
using namespace wyvern::topics;
using json = nlohmann::json;

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
};

struct Fixture {
  ManualClock clock;
  std::unique_ptr<Store> store = open_memory_store();
  boost::asio::io_context io;
  Timers timers{io.get_executor(), clock};
  Caller caller;
  std::vector<QueueDelivery> delivered;  // every queue delivery, in order
  std::vector<Delivered> held;           // completions not yet given (hold_queue_deliveries)
  bool queues_exist = true;
  bool hold_queue_deliveries = false;
  std::unique_ptr<TopicService> sns;

  Fixture() { open(); }

  void open() {
    Outlets outlets;
    outlets.send_to_queue = [this](QueueDelivery d, Delivered done) {
      delivered.push_back(d);
      if (hold_queue_deliveries) return held.push_back(std::move(done));
      done({queues_exist, false, queues_exist ? "" : "The specified queue does not exist."});
    };
    outlets.invoke_function = [](std::string, std::string, Delivered done) {
      done({true, false, ""});
    };
    sns = make_topic_service(
        {&clock, store.get(), &timers, std::move(outlets),
         [this](std::function<void()> fn) { boost::asio::post(io, std::move(fn)); }});
    sns->recover();
    settle();
  }

  void settle() {
    for (int i = 0; i < 20; ++i) {
      io.restart();
      if (io.poll() == 0) break;
    }
  }
  void advance(TimeMs ms) {
    clock.advance(ms);
    timers.clock_moved();
    settle();
  }

  std::string topic(const std::string& name, StringMap attributes = {}) {
    Captured<std::string> arn;
    sns->create_topic(caller, name, attributes, {}, arn.reply());
    settle();
    return arn.value();
  }
  std::string subscribe(const std::string& topic_arn, const std::string& queue,
                        StringMap attributes = {}) {
    Captured<std::string> arn;
    sns->subscribe(
        caller,
        {topic_arn, "sqs", "arn:aws:sqs:us-east-1:000000000000:" + queue, attributes, false},
        arn.reply());
    settle();
    return arn.value();
  }
  PublishResult publish(PublishRequest r) {
    Captured<PublishResult> result;
    sns->publish(caller, std::move(r), result.reply());
    settle();
    return result.value();
  }
  PublishResult publish(const std::string& topic_arn, const std::string& message) {
    PublishRequest r;
    r.topic_arn = topic_arn;
    r.message = message;
    return publish(std::move(r));
  }
  size_t pending_records() {
    size_t n = 0;
    store->scan(kPendingTable, [&](std::string_view, std::string_view) { ++n; });
    return n;
  }
};

}  // namespace

TEST_CASE("HTTP retry policies space their retries as the delivery policy says", "[sns]") {
  RetryPolicy defaults;
  CHECK(defaults.delay_before(1) == 20);
  CHECK(defaults.delay_before(3) == 20);

  RetryPolicy phased;
  phased.num_retries = 6;
  phased.num_no_delay = 1;
  phased.num_min_delay = 1;
  phased.num_max_delay = 1;
  phased.min_delay = 2;
  phased.max_delay = 16;
  phased.backoff = "exponential";
  std::vector<int> delays;
  for (int retry = 1; retry <= 6; ++retry) delays.push_back(phased.delay_before(retry));
  // immediate, pre-backoff at the minimum, three backoff steps from min to max, post-backoff.
  CHECK(delays == std::vector<int>{0, 2, 2, 6, 16, 16});

  phased.backoff = "linear";
  CHECK(phased.delay_before(4) == 9);
}

TEST_CASE("A publish reaches every subscribed queue, enveloped or raw", "[sns]") {
  Fixture f;
  std::string t = f.topic("sightings");
  f.subscribe(t, "enveloped");
  f.subscribe(t, "raw", {{"RawMessageDelivery", "true"}});
  PublishRequest r;
  r.topic_arn = t;
  r.message = "a green dragon";
  r.subject = "sighting";
  r.attributes["colour"] = {"String", "green", std::nullopt};
  PublishResult result = f.publish(std::move(r));

  REQUIRE(f.delivered.size() == 2);
  const QueueDelivery& raw =
      f.delivered[0].queue_arn.ends_with(":raw") ? f.delivered[0] : f.delivered[1];
  const QueueDelivery& enveloped = &raw == &f.delivered[0] ? f.delivered[1] : f.delivered[0];
  CHECK(raw.body == "a green dragon");
  CHECK(raw.attributes.at("colour").string_value == "green");
  json envelope = json::parse(enveloped.body);
  CHECK(envelope["Type"] == "Notification");
  CHECK(envelope["MessageId"] == result.message_id);
  CHECK(envelope["Subject"] == "sighting");
  CHECK(envelope["MessageAttributes"]["colour"] == json{{"Type", "String"}, {"Value", "green"}});
  CHECK(enveloped.attributes.empty());
  // Every delivery is done: the durable record of the publish is gone.
  CHECK(f.pending_records() == 0);
}

TEST_CASE("A delivery SQS refuses goes to the subscription's dead-letter queue", "[sns]") {
  Fixture f;
  std::string t = f.topic("sightings");
  f.subscribe(
      t, "gone",
      {{"RedrivePolicy", R"({"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq"})"}});
  f.queues_exist = false;  // the first attempt fails; the DLQ send is recorded all the same
  f.publish(t, "lost");
  REQUIRE(f.delivered.size() == 2);
  CHECK(f.delivered[1].queue_arn == "arn:aws:sqs:us-east-1:000000000000:dlq");
  CHECK(json::parse(f.delivered[1].body)["Message"] == "lost");
  CHECK(f.delivered[1].attributes.at("ErrorCode").string_value == "ClientError");
  CHECK(f.pending_records() == 0);
}

TEST_CASE("Deliveries unfinished at a restart are made after it", "[sns]") {
  Fixture f;
  std::string t = f.topic("sightings");
  f.subscribe(t, "q");
  f.hold_queue_deliveries = true;
  f.publish(t, "in flight");
  CHECK(f.pending_records() == 1);

  f.sns.reset();  // the broker stops before SQS answered
  f.delivered.clear();
  f.hold_queue_deliveries = false;
  f.open();
  REQUIRE(f.delivered.size() == 1);
  CHECK(json::parse(f.delivered[0].body)["Message"] == "in flight");
  CHECK(f.pending_records() == 0);
}

TEST_CASE("A FIFO topic drops a repeated deduplication id for five minutes", "[sns]") {
  Fixture f;
  std::string t = f.topic("orders.fifo", {{"FifoTopic", "true"}});
  f.subscribe(t, "orders.fifo");
  auto send = [&](const std::string& dedup) {
    PublishRequest r;
    r.topic_arn = t;
    r.message = "order";
    r.group_id = "g";
    r.deduplication_id = dedup;
    return f.publish(std::move(r));
  };
  PublishResult first = send("d1");
  PublishResult again = send("d1");
  CHECK(again.message_id == first.message_id);
  CHECK(f.delivered.size() == 1);
  CHECK(f.delivered[0].group_id == "g");
  CHECK(f.delivered[0].deduplication_id == "d1");

  f.advance(5 * 60 * 1000 + 1);
  PublishResult later = send("d1");
  CHECK(later.message_id != first.message_id);
  CHECK(std::stoull(*later.sequence_number) > std::stoull(*first.sequence_number));
  CHECK(f.delivered.size() == 2);
}

namespace {

// A store whose disk is full: every commit is refused.
class RefusingStore final : public Store {
 public:
  void commit(WriteBatch, Done done) override { done(false); }
  void scan(std::string_view, const Visitor&) override {}
  void close() override {}
};

}  // namespace

TEST_CASE("A write the store refuses is answered with InternalFailure, not acknowledged", "[sns]") {
  ManualClock clock;
  RefusingStore store;
  boost::asio::io_context io;
  Timers timers{io.get_executor(), clock};
  auto sns = make_topic_service(
      {&clock, &store, &timers, Outlets{},
       [&io](std::function<void()> fn) { boost::asio::post(io, std::move(fn)); }});
  sns->recover();
  Captured<std::string> arn;
  sns->create_topic(Caller{}, "sightings", {}, {}, arn.reply());
  for (int i = 0; i < 10 && io.poll(); ++i) io.restart();
  REQUIRE(arn.result.has_value());
  REQUIRE_FALSE(arn.result->ok());
  CHECK(arn.result->error().code == ErrorCode::kInternalFailure);
}
