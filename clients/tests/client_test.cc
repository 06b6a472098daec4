// The client library against a running broker (build/wyvern, started on a free port for each
// test): every call, the consumer loop (acceptance, rejection and redelivery, a dead-letter
// queue, a prompt stop) and the task-token worker (success, failure into a Catch, heartbeats
// that keep a task alive and a heartbeat that lapses), time moved by the broker's virtual clock.
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <cstdlib>
#include <future>
#include <mutex>
#include <thread>

#include "wyvern/client.h"

namespace {

using json = nlohmann::json;
using namespace wyvern::client;
using namespace std::chrono_literals;

// One wyvern process on a free port, in memory; stopped with SIGTERM.
class LiveBroker {
 public:
  LiveBroker() {
    const char* binary = std::getenv("WYVERN_BIN");
    REQUIRE(binary);
    int out[2];
    REQUIRE(pipe(out) == 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, STDERR_FILENO);
      close(out[0]);
      execl(binary, binary, "--port", "0", "--in-memory", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    std::string line;
    char c;
    while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
    auto at = line.find("http://");
    REQUIRE(at != std::string::npos);
    std::string address = line.substr(at, line.find(' ', at) - at);
    endpoint_ = address;
    // Whatever else the broker prints is read and dropped, so it never blocks on the pipe.
    drain_ = std::thread([fd = out[0]] {
      char buffer[4096];
      while (read(fd, buffer, sizeof buffer) > 0) {
      }
      close(fd);
    });
  }
  ~LiveBroker() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    drain_.join();
  }

  Options options() const {
    Options o;
    o.endpoint = endpoint_;
    return o;
  }

  void advance(double seconds) {
    httplib::Client http(endpoint_);
    auto r = http.Post("/_wyvern/clock/advance", json{{"seconds", seconds}}.dump(),
                       "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
  }

 private:
  pid_t pid_ = -1;
  std::string endpoint_;
  std::thread drain_;
};

template <typename T>
T value_of(Result<T> r) {
  if (!r) FAIL(r.error().code + ": " + r.error().message);
  return std::move(r.value());
}

// Polls `done` until it holds (the broker works asynchronously); gives up after 10 s.
template <typename F>
bool eventually(F done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

std::string queue_arn(const std::string& name) {
  return "arn:aws:sqs:us-east-1:000000000000:" + name;
}

}  // namespace

TEST_CASE("Queues: create, send, receive, change visibility, delete", "[broker]") {
  LiveBroker broker;
  Queues sqs(broker.options());
  std::string url = value_of(sqs.create_queue("sightings", {{"VisibilityTimeout", "30"}}));
  CHECK(url.ends_with("/000000000000/sightings"));
  CHECK(value_of(sqs.queue_url("sightings")) == url);
  CHECK(value_of(sqs.create_queue("sightings", {{"VisibilityTimeout", "30"}})) == url);
  value_of(sqs.create_queue("other"));
  CHECK(value_of(sqs.list_queues("sight")) == std::vector<std::string>{url});
  CHECK(value_of(sqs.list_queues()).size() == 2);

  SendOptions options;
  options.attributes["colour"] = {"String", "green", ""};
  options.attributes["weight"] = {"Number", "12", ""};
  options.attributes["egg"] = {"Binary", "", std::string("\x00\xff", 2)};
  SentMessage sent = value_of(sqs.send(url, "{\"dragon\":\"Smaug\"}", options));
  CHECK(sent.md5_of_body == "9e4eaa34ab185008ab72405f5e2e037c");
  CHECK(value_of(sqs.attributes(url)).at("ApproximateNumberOfMessages") == "1");

  auto got = value_of(sqs.receive(url, {10, 0, std::nullopt}));
  REQUIRE(got.size() == 1);
  CHECK(got[0].message_id == sent.message_id);
  CHECK(got[0].body == "{\"dragon\":\"Smaug\"}");
  CHECK(got[0].attributes.at("ApproximateReceiveCount") == "1");
  CHECK(got[0].message_attributes.at("colour").string_value == "green");
  CHECK(got[0].message_attributes.at("weight").data_type == "Number");
  CHECK(got[0].message_attributes.at("egg").binary_value == std::string("\x00\xff", 2));
  CHECK(value_of(sqs.receive(url, {10, 0, std::nullopt})).empty());  // in flight

  value_of(sqs.change_visibility(url, got[0].receipt_handle, 0));
  auto again = value_of(sqs.receive(url, {10, 0, std::nullopt}));
  REQUIRE(again.size() == 1);
  CHECK(again[0].attributes.at("ApproximateReceiveCount") == "2");
  value_of(sqs.delete_message(url, again[0].receipt_handle));
  broker.advance(31);
  CHECK(value_of(sqs.receive(url, {10, 0, std::nullopt})).empty());

  value_of(sqs.send(url, "delayed", {.delay_seconds = 5}));
  CHECK(value_of(sqs.receive(url, {10, 0, std::nullopt})).empty());
  broker.advance(5);
  CHECK(value_of(sqs.receive(url, {10, 0, std::nullopt})).size() == 1);

  value_of(sqs.purge(url));
  value_of(sqs.delete_queue(url));
  auto gone = sqs.queue_url("sightings");
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code == "QueueDoesNotExist");
  CHECK(gone.error().http_status == 400);
  CHECK_FALSE(gone.error().transient());
}

TEST_CASE("Queues: a batch reports each entry, FIFO order and sequence numbers", "[broker]") {
  LiveBroker broker;
  Queues sqs(broker.options());
  std::string url = value_of(sqs.create_queue(
      "nests.fifo", {{"FifoQueue", "true"}, {"ContentBasedDeduplication", "true"}}));
  std::vector<BatchEntry> entries;
  for (int i = 0; i < 3; ++i) {
    BatchEntry e{"e" + std::to_string(i), "egg " + std::to_string(i), {}};
    e.options.group_id = "clutch";
    entries.push_back(e);
  }
  // An entry without a group fails the whole FIFO batch, as on AWS.
  auto refused = sqs.send_batch(url, {{"lone", "no group", {}}});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "InvalidParameterValueException");
  // An entry with characters SQS does not allow fails alone.
  BatchEntry big{"bad", std::string("egg \x01"), {}};
  big.options.group_id = "clutch";
  entries.push_back(big);
  BatchResult result = value_of(sqs.send_batch(url, entries));
  REQUIRE(result.successful.size() == 3);
  CHECK_FALSE(result.successful[0].sequence_number.empty());
  REQUIRE(result.failed.size() == 1);
  CHECK(result.failed[0].id == "bad");
  CHECK(result.failed[0].code == "InvalidMessageContents");
  CHECK(result.failed[0].sender_fault);
  auto got = value_of(sqs.receive(url, {10, 0, std::nullopt}));
  REQUIRE(got.size() == 3);
  CHECK(got[0].body == "egg 0");
  CHECK(got[2].body == "egg 2");
  CHECK(got[0].attributes.at("MessageGroupId") == "clutch");
}

TEST_CASE("Errors are values: no broker is a transient ConnectionError", "[broker]") {
  Options nowhere;
  nowhere.endpoint = "http://127.0.0.1:1";
  Queues sqs(nowhere);
  auto r = sqs.list_queues();
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "ConnectionError");
  CHECK(r.error().http_status == 0);
  CHECK(r.error().transient());
}

TEST_CASE("Consumer: accepted messages are deleted, rejected ones come back, then dead-letter",
          "[broker]") {
  LiveBroker broker;
  Queues sqs(broker.options());
  std::string dlq = value_of(sqs.create_queue("lost-eggs"));
  std::string url = value_of(sqs.create_queue(
      "eggs", {{"VisibilityTimeout", "10"},
               {"RedrivePolicy", json{{"deadLetterTargetArn", queue_arn("lost-eggs")},
                                      {"maxReceiveCount", 2}}
                                     .dump()}}));
  for (std::string body : {"good 1", "rotten", "good 2"}) value_of(sqs.send(url, body));

  std::mutex mu;
  std::vector<std::string> seen;
  Consumer consumer(broker.options(), url,
                    [&](const Message& m) {
                      std::lock_guard lock(mu);
                      seen.push_back(m.body);
                      if (m.body == "rotten") throw std::runtime_error("cannot hatch");
                      return true;
                    },
                    {.wait_seconds = 1});
  auto running = std::async(std::launch::async, [&] { return consumer.run(); });
  auto seen_count = [&] {
    std::lock_guard lock(mu);
    return seen.size();
  };
  REQUIRE(eventually([&] { return consumer.handled() == 2 && consumer.rejected() == 1; }));
  // The rejected message returns once its visibility timeout passes, and is rejected again;
  // the redrive policy then moves it to the dead-letter queue.
  broker.advance(10);
  REQUIRE(eventually([&] { return seen_count() == 4; }));
  broker.advance(10);
  REQUIRE(eventually([&] {
    auto dead = sqs.receive(dlq, {10, 0, std::nullopt});
    return dead && dead->size() == 1 && (*dead)[0].body == "rotten";
  }));
  consumer.stop();
  CHECK(running.get().ok());  // a stop ends the long poll at once
  CHECK(consumer.handled() == 2);
  CHECK(consumer.rejected() == 2);
  std::lock_guard lock(mu);
  CHECK(std::count(seen.begin(), seen.end(), "rotten") == 2);
}

TEST_CASE("Consumer: a missing queue ends the loop with its error", "[broker]") {
  LiveBroker broker;
  Queues sqs(broker.options());
  std::string url = value_of(sqs.create_queue("brief"));
  value_of(sqs.delete_queue(url));
  Consumer consumer(broker.options(), url, [](const Message&) { return true; }, {.wait_seconds = 1});
  auto r = consumer.run();
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "QueueDoesNotExist");
}

TEST_CASE("Topics: create, subscribe a queue, publish, list, delete", "[broker]") {
  LiveBroker broker;
  Queues sqs(broker.options());
  Topics sns(broker.options());
  std::string url = value_of(sqs.create_queue("alerts"));
  std::string topic = value_of(sns.create_topic("sightings", {{"DisplayName", "Sightings"}}));
  CHECK(topic == "arn:aws:sns:us-east-1:000000000000:sightings");
  std::string subscription = value_of(
      sns.subscribe(topic, "sqs", queue_arn("alerts"), {{"RawMessageDelivery", "true"}}));
  CHECK(subscription.rfind(topic + ":", 0) == 0);
  PublishOptions options;
  options.subject = "ignored when raw";
  options.attributes["kind"] = {"String", "wyvern", ""};
  Published published = value_of(sns.publish(topic, "a <wyvern> & a drake", options));
  CHECK_FALSE(published.message_id.empty());
  auto got = value_of(sqs.receive(url, {10, 5, std::nullopt}));
  REQUIRE(got.size() == 1);
  CHECK(got[0].body == "a <wyvern> & a drake");
  CHECK(got[0].message_attributes.at("kind").string_value == "wyvern");
  CHECK(value_of(sns.list_topics()) == std::vector<std::string>{topic});
  value_of(sns.delete_topic(topic));
  auto missing = sns.publish(topic, "nobody");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == "NotFound");
  CHECK(missing.error().http_status == 404);
}

TEST_CASE("Bus: put events that a rule routes to a queue; per-entry failures", "[broker]") {
  LiveBroker broker;
  Queues sqs(broker.options());
  Bus bus(broker.options());
  std::string url = value_of(sqs.create_queue("routed"));
  value_of(bus.call("PutRule", {{"Name", "dragons"},
                                {"EventPattern", json{{"source", {"dragons"}}}.dump()}}));
  value_of(bus.call("PutTargets", {{"Rule", "dragons"},
                                   {"Targets", {{{"Id", "q"}, {"Arn", queue_arn("routed")}}}}}));
  Event seen{"dragons", "Sighting", {{"name", "Peter"}}, "", {}};
  Event reserved{"aws.dragons", "Sighting", {{"name", "Atlas"}}, "", {}};  // AWS's own source
  PutEventsResult put = value_of(bus.put_events({seen, reserved}));
  CHECK(put.failed_entry_count == 1);
  REQUIRE(put.entries.size() == 2);
  CHECK_FALSE(put.entries[0].event_id.empty());
  CHECK(put.entries[1].event_id.empty());
  CHECK(put.entries[1].error_code == "NotAuthorizedForSourceException");
  auto got = value_of(sqs.receive(url, {10, 5, std::nullopt}));
  REQUIRE(got.size() == 1);
  json event = json::parse(got[0].body);
  CHECK(event["detail"] == json{{"name", "Peter"}});
  CHECK(event["id"] == put.entries[0].event_id);
}

TEST_CASE("StateMachines: create, list, start, describe, history, stop", "[broker]") {
  LiveBroker broker;
  StateMachines sfn(broker.options());
  json definition = {{"StartAt", "Greet"},
                     {"States",
                      {{"Greet", {{"Type", "Pass"}, {"Parameters", {{"hello.$", "$.name"}}}, {"Next", "Rest"}}},
                       {"Rest", {{"Type", "Wait"}, {"Seconds", 60}, {"End", true}}}}}};
  std::string arn = value_of(sfn.create("greeter", definition));
  CHECK(value_of(sfn.list()) == std::vector<std::string>{arn});
  StartedExecution run = value_of(sfn.start(arn, {{"name", "Peter"}}, "first"));
  CHECK(run.execution_arn.ends_with(":execution:greeter:first"));
  CHECK(run.start_date > 0);
  Execution running = value_of(sfn.describe(run.execution_arn));
  CHECK(running.status == "RUNNING");
  CHECK(json::parse(running.input) == json{{"name", "Peter"}});
  broker.advance(60);
  REQUIRE(eventually([&] { return value_of(sfn.describe(run.execution_arn)).status == "SUCCEEDED"; }));
  Execution done = value_of(sfn.describe(run.execution_arn));
  CHECK(json::parse(done.output) == json{{"hello", "Peter"}});
  CHECK(done.stop_date >= done.start_date);
  auto history = value_of(sfn.history(run.execution_arn));
  std::vector<std::string> types;
  for (const auto& e : history) types.push_back(e.type);
  CHECK(types == std::vector<std::string>{"ExecutionStarted", "PassStateEntered", "PassStateExited",
                                          "WaitStateEntered", "WaitStateExited", "ExecutionSucceeded"});
  CHECK(history[1].details["name"] == "Greet");
  CHECK(history[1].previous_event_id == 1);

  StartedExecution second = value_of(sfn.start(arn, {{"name", "Atlas"}}));
  value_of(sfn.stop(second.execution_arn, "Knight.Arrived", "quest over"));
  Execution stopped = value_of(sfn.describe(second.execution_arn));
  CHECK(stopped.status == "ABORTED");
  CHECK(stopped.error == "Knight.Arrived");
  auto duplicate = sfn.create("greeter", json{{"StartAt", "X"}, {"States", {{"X", {{"Type", "Succeed"}}}}}});
  REQUIRE_FALSE(duplicate);
  CHECK(duplicate.error().code == "StateMachineAlreadyExists");
}

namespace {

// A machine that sends the task token to `queue` and waits for it (HeartbeatSeconds 10);
// a failure is caught into "Caught".
std::string callback_machine(StateMachines& sfn, const std::string& queue_url) {
  json definition = {
      {"StartAt", "Hatch"},
      {"States",
       {{"Hatch",
         {{"Type", "Task"},
          {"Resource", "arn:aws:states:::sqs:sendMessage.waitForTaskToken"},
          {"HeartbeatSeconds", 10},
          {"Parameters",
           {{"QueueUrl", queue_url},
            {"MessageBody", {{"TaskToken.$", "$$.Task.Token"}, {"egg.$", "$.egg"}}}}},
          {"Catch", {{{"ErrorEquals", {"States.ALL"}}, {"Next", "Caught"}}}},
          {"End", true}}},
        {"Caught", {{"Type", "Pass"}, {"End", true}}}}}};
  return value_of(sfn.create("hatchery", definition));
}

std::string status_of(StateMachines& sfn, const std::string& execution) {
  return value_of(sfn.describe(execution)).status;
}

}  // namespace

TEST_CASE("TaskWorker: answers tasks with success or failure and deletes the messages",
          "[broker]") {
  LiveBroker broker;
  Queues sqs(broker.options());
  StateMachines sfn(broker.options());
  std::string url = value_of(sqs.create_queue("tasks"));
  std::string machine = callback_machine(sfn, url);

  TaskWorker worker(broker.options(), url,
                    [](const Task& task) -> Result<json> {
                      std::string egg = task.body["egg"];
                      if (egg == "stone") return Error{"Egg.NotAnEgg", "a stone cannot hatch", 0};
                      return json{{"hatched", egg + " dragon"}};
                    },
                    {.wait_seconds = 1});
  auto running = std::async(std::launch::async, [&] { return worker.run(); });
  auto good = value_of(sfn.start(machine, {{"egg", "red"}})).execution_arn;
  auto bad = value_of(sfn.start(machine, {{"egg", "stone"}})).execution_arn;
  REQUIRE(eventually([&] { return status_of(sfn, good) != "RUNNING" && status_of(sfn, bad) != "RUNNING"; }));
  Execution ok = value_of(sfn.describe(good));
  CHECK(ok.status == "SUCCEEDED");
  CHECK(json::parse(ok.output) == json{{"hatched", "red dragon"}});
  Execution caught = value_of(sfn.describe(bad));
  CHECK(caught.status == "SUCCEEDED");
  CHECK(json::parse(caught.output) == json{{"Error", "Egg.NotAnEgg"}, {"Cause", "a stone cannot hatch"}});
  worker.stop();
  CHECK(running.get().ok());
  CHECK(worker.succeeded() == 1);
  CHECK(worker.failed() == 1);
  CHECK(value_of(sqs.attributes(url)).at("ApproximateNumberOfMessagesNotVisible") == "0");
}

TEST_CASE("TaskWorker: heartbeats keep a long task alive past HeartbeatSeconds", "[broker]") {
  LiveBroker broker;
  Queues sqs(broker.options());
  StateMachines sfn(broker.options());
  std::string url = value_of(sqs.create_queue("slow-tasks"));
  std::string machine = callback_machine(sfn, url);

  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> heartbeats{0};
  TaskWorker worker(broker.options(), url,
                    [&](const Task&) -> Result<json> {
                      std::unique_lock lock(mu);
                      cv.wait(lock, [&] { return release; });
                      return json{{"hatched", true}};
                    },
                    {.wait_seconds = 1, .heartbeat_every = 50ms});
  worker.on_heartbeat = [&](const std::string&) { ++heartbeats; };
  auto running = std::async(std::launch::async, [&] { return worker.run(); });
  auto run = value_of(sfn.start(machine, {{"egg", "gold"}})).execution_arn;
  // 3 x 8 virtual seconds, each after a fresh heartbeat: 24 s of work against a 10 s limit.
  for (int i = 0; i < 3; ++i) {
    int before = heartbeats;
    REQUIRE(eventually([&] { return heartbeats > before; }));
    broker.advance(8);
    CHECK(status_of(sfn, run) == "RUNNING");
  }
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  REQUIRE(eventually([&] { return status_of(sfn, run) != "RUNNING"; }));
  CHECK(value_of(sfn.describe(run)).output == "{\"hatched\":true}");
  worker.stop();
  running.get();
}

TEST_CASE("TaskWorker: a task whose heartbeat lapses times out, and its report is refused",
          "[broker]") {
  LiveBroker broker;
  Queues sqs(broker.options());
  StateMachines sfn(broker.options());
  std::string url = value_of(sqs.create_queue("lapsed-tasks"));
  std::string machine = callback_machine(sfn, url);

  std::mutex mu;
  std::condition_variable cv;
  bool started = false, release = false;
  std::promise<Error> refused;
  TaskWorker worker(broker.options(), url,
                    [&](const Task&) -> Result<json> {
                      std::unique_lock lock(mu);
                      started = true;
                      cv.notify_all();
                      cv.wait(lock, [&] { return release; });
                      return json{{"late", true}};
                    },
                    {.wait_seconds = 1, .heartbeat_every = std::chrono::hours(1)});
  worker.on_reported = [&](const Task&, const Result<Ok>& report) {
    refused.set_value(report ? Error{} : report.error());
  };
  auto running = std::async(std::launch::async, [&] { return worker.run(); });
  auto run = value_of(sfn.start(machine, {{"egg", "blue"}})).execution_arn;
  {
    std::unique_lock lock(mu);
    REQUIRE(cv.wait_for(lock, 10s, [&] { return started; }));
  }
  broker.advance(11);
  REQUIRE(eventually([&] { return status_of(sfn, run) != "RUNNING"; }));
  Execution timed_out = value_of(sfn.describe(run));
  CHECK(json::parse(timed_out.output)["Error"] == "States.Timeout");
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  Error report = refused.get_future().get();
  CHECK(report.code == "TaskTimedOut");
  worker.stop();
  running.get();
}
