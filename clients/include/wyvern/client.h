// wyvern::client: a small C++ client for SQS, SNS, EventBridge and Step Functions, for Wyvern
// and for AWS itself (requests are SigV4-signed, so the same code runs against either).
//
// Each service has a client class (Queues, Topics, Bus, StateMachines) built from Options. Calls
// block until the service answers and return a Result: the value, or an Error carrying AWS's
// error code and message. No exception escapes for an expected failure (a missing queue, a
// refused connection); exceptions mean a bug.
//
// Thread-safety: a client object serves one thread at a time; give each thread its own (they
// are cheap: one keep-alive connection each). Consumer and TaskWorker run their loop on the
// thread that calls run(); stop() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace wyvern::client {

// --- Results ------------------------------------------------------------------------------

struct Error {
  std::string code;     // AWS's error code ("QueueDoesNotExist", "NotFound", ...); for a
                        // request that got no answer, "ConnectionError"
  std::string message;  // AWS's message, or what went wrong on the way
  int http_status = 0;  // 0 when there was no HTTP answer

  // A failure worth retrying: no answer, throttling or a server-side error.
  bool transient() const;
};

struct Ok {};

// A value of T, or an Error.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  // REQUIRES: ok().
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  // REQUIRES: !ok().
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// --- Configuration ------------------------------------------------------------------------

struct Credentials {
  std::string access_key_id = "test";
  std::string secret_access_key = "test";
  std::string session_token;  // empty: none
};

struct Options {
  // Where every service is reached, "http://localhost:4566" for Wyvern. Empty: AWS itself,
  // at https://<service>.<region>.amazonaws.com.
  std::string endpoint = "http://localhost:4566";
  std::string region = "us-east-1";
  Credentials credentials;
  std::chrono::seconds timeout{30};  // per request, beyond any long-poll wait

  // From the environment, as the AWS CLI reads it: AWS_ENDPOINT_URL (else WYVERN_ENDPOINT, else
  // http://localhost:4566), AWS_REGION or AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID,
  // AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
  static Options from_environment();
};

class Transport;  // private: one signed keep-alive HTTP connection

// --- SQS ----------------------------------------------------------------------------------

struct MessageAttribute {
  std::string data_type = "String";  // String, Number, Binary (and custom suffixes)
  std::string string_value;          // String and Number
  std::string binary_value;          // Binary: the raw bytes
};
using MessageAttributes = std::map<std::string, MessageAttribute>;

struct SendOptions {
  std::optional<int> delay_seconds;
  std::string group_id;          // FIFO queues
  std::string deduplication_id;  // FIFO queues without content-based deduplication
  MessageAttributes attributes;
};

struct SentMessage {
  std::string message_id;
  std::string md5_of_body;
  std::string sequence_number;  // FIFO queues
};

struct BatchEntry {
  std::string id;
  std::string body;
  SendOptions options;
};

struct BatchResult {
  struct Sent {
    std::string id, message_id, sequence_number;
  };
  struct Failed {
    std::string id, code, message;
    bool sender_fault = false;
  };
  std::vector<Sent> successful;
  std::vector<Failed> failed;
};

struct Message {
  std::string message_id;
  std::string receipt_handle;
  std::string body;
  std::string md5_of_body;
  std::map<std::string, std::string> attributes;  // ApproximateReceiveCount, SentTimestamp, ...
  MessageAttributes message_attributes;
};

struct ReceiveOptions {
  int max_messages = 1;                   // 1 to 10
  std::optional<int> wait_seconds;        // long poll, 0 to 20; the queue's default if unset
  std::optional<int> visibility_timeout;  // the queue's default if unset
};

class Queues {
 public:
  explicit Queues(Options options = Options::from_environment());
  ~Queues();
  Queues(Queues&&) noexcept;
  Queues& operator=(Queues&&) noexcept;

  // The queue's URL. Creating an existing queue with the same attributes answers its URL.
  Result<std::string> create_queue(const std::string& name,
                                   const std::map<std::string, std::string>& attributes = {});
  Result<std::string> queue_url(const std::string& name);
  Result<std::vector<std::string>> list_queues(const std::string& prefix = "");
  Result<std::map<std::string, std::string>> attributes(const std::string& queue_url,
                                                        std::vector<std::string> names = {"All"});
  Result<Ok> delete_queue(const std::string& queue_url);
  Result<Ok> purge(const std::string& queue_url);

  // Checks the MD5 of the body the queue reports, as the AWS SDKs do.
  Result<SentMessage> send(const std::string& queue_url, const std::string& body,
                           const SendOptions& options = {});
  Result<BatchResult> send_batch(const std::string& queue_url,
                                 const std::vector<BatchEntry>& entries);
  // Up to max_messages messages, every system and message attribute included; checks each
  // body's MD5.
  Result<std::vector<Message>> receive(const std::string& queue_url,
                                       const ReceiveOptions& options = {});
  Result<Ok> delete_message(const std::string& queue_url, const std::string& receipt_handle);
  Result<Ok> change_visibility(const std::string& queue_url, const std::string& receipt_handle,
                               int visibility_timeout);

  // Any SQS action on the JSON protocol ("SendMessage", {...}): the escape hatch.
  Result<nlohmann::json> call(const std::string& action, const nlohmann::json& request);
  // Aborts a call in flight on another thread (it answers ConnectionError).
  void interrupt();

 private:
  std::unique_ptr<Transport> transport_;
};

// Receives from a queue with long polls and hands each message to a handler: a message the
// handler accepts (returns true) is deleted; one it rejects (false, or an exception) is left to
// reappear after its visibility timeout, and so reaches the queue's dead-letter queue once its
// redrive policy says so.
struct ConsumerOptions {
  int wait_seconds = 20;
  int max_messages = 10;
  std::optional<int> visibility_timeout;
  std::chrono::milliseconds retry_delay{1000};  // after a transient receive failure
};

class Consumer {
 public:
  using Handler = std::function<bool(const Message&)>;

  Consumer(Options options, std::string queue_url, Handler handler, ConsumerOptions = {});
  ~Consumer();

  // Polls until stop(), or until the queue answers a permanent error (it is returned). The
  // message in the handler when stop() is called is finished (and deleted if accepted).
  Result<Ok> run();
  // Thread-safe; run() returns soon after, without waiting out a long poll.
  void stop();

  long handled() const { return handled_; }  // accepted and deleted
  long rejected() const { return rejected_; }

 private:
  Queues poller_, acker_;
  std::string queue_url_;
  Handler handler_;
  ConsumerOptions options_;
  std::atomic<bool> stopping_{false};
  std::atomic<long> handled_{0}, rejected_{0};
};

// --- SNS ----------------------------------------------------------------------------------

struct PublishOptions {
  std::string subject;
  std::string group_id;          // FIFO topics
  std::string deduplication_id;  // FIFO topics without content-based deduplication
  MessageAttributes attributes;
};

struct Published {
  std::string message_id;
  std::string sequence_number;  // FIFO topics
};

class Topics {
 public:
  explicit Topics(Options options = Options::from_environment());
  ~Topics();
  Topics(Topics&&) noexcept;
  Topics& operator=(Topics&&) noexcept;

  // The topic's ARN (creating an existing topic answers its ARN).
  Result<std::string> create_topic(const std::string& name,
                                   const std::map<std::string, std::string>& attributes = {});
  Result<std::vector<std::string>> list_topics();
  Result<Ok> delete_topic(const std::string& topic_arn);
  // The subscription's ARN ("pending confirmation" for endpoints that must confirm).
  Result<std::string> subscribe(const std::string& topic_arn, const std::string& protocol,
                                const std::string& endpoint,
                                const std::map<std::string, std::string>& attributes = {});
  Result<Published> publish(const std::string& topic_arn, const std::string& message,
                            const PublishOptions& options = {});

 private:
  std::unique_ptr<Transport> transport_;
};

// --- EventBridge --------------------------------------------------------------------------

struct Event {
  std::string source;
  std::string detail_type;
  nlohmann::json detail = nlohmann::json::object();
  std::string bus;  // empty: the default bus
  std::vector<std::string> resources;
};

struct PutEventsResult {
  struct Entry {
    std::string event_id;  // empty when the entry failed
    std::string error_code, error_message;
  };
  int failed_entry_count = 0;
  std::vector<Entry> entries;  // one per event, in order
};

class Bus {
 public:
  explicit Bus(Options options = Options::from_environment());
  ~Bus();
  Bus(Bus&&) noexcept;
  Bus& operator=(Bus&&) noexcept;

  // REQUIRES: 1 to 10 events (AWS's limit; more is the service's ValidationException).
  Result<PutEventsResult> put_events(const std::vector<Event>& events);
  // Any EventBridge action ("PutRule", {...}).
  Result<nlohmann::json> call(const std::string& action, const nlohmann::json& request);

 private:
  std::unique_ptr<Transport> transport_;
};

// --- Step Functions -----------------------------------------------------------------------

struct Execution {
  std::string execution_arn, state_machine_arn, name;
  std::string status;  // RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE
  std::string input, output;  // JSON texts; output empty unless SUCCEEDED
  std::string error, cause;
  double start_date = 0, stop_date = 0;  // seconds since the epoch; stop_date 0 while running
};

struct HistoryEvent {
  long id = 0, previous_event_id = 0;
  std::string type;        // "TaskStateEntered", ...
  double timestamp = 0;    // seconds since the epoch
  nlohmann::json details;  // the event's "...EventDetails" object (empty object if none)
};

struct StartedExecution {
  std::string execution_arn;
  double start_date = 0;
};

class StateMachines {
 public:
  explicit StateMachines(Options options = Options::from_environment());
  ~StateMachines();
  StateMachines(StateMachines&&) noexcept;
  StateMachines& operator=(StateMachines&&) noexcept;

  // The state machine's ARN. `type`: STANDARD or EXPRESS.
  Result<std::string> create(const std::string& name, const nlohmann::json& definition,
                             const std::string& role_arn = "arn:aws:iam::000000000000:role/wyvern",
                             const std::string& type = "STANDARD");
  Result<std::vector<std::string>> list();  // state machine ARNs
  Result<StartedExecution> start(const std::string& state_machine_arn,
                                 const nlohmann::json& input = nlohmann::json::object(),
                                 const std::string& name = "");
  Result<Execution> describe(const std::string& execution_arn);
  // Every event, oldest first (follows the pages).
  Result<std::vector<HistoryEvent>> history(const std::string& execution_arn);
  Result<Ok> stop(const std::string& execution_arn, const std::string& error = "",
                  const std::string& cause = "");

  Result<Ok> send_task_success(const std::string& task_token, const nlohmann::json& output);
  Result<Ok> send_task_failure(const std::string& task_token, const std::string& error,
                               const std::string& cause);
  Result<Ok> send_task_heartbeat(const std::string& task_token);

  // Any Step Functions action ("ListExecutions", {...}).
  Result<nlohmann::json> call(const std::string& action, const nlohmann::json& request);

 private:
  std::unique_ptr<Transport> transport_;
};

// Works the tasks a state machine hands out through a queue (a Task state on
// arn:aws:states:::sqs:sendMessage.waitForTaskToken whose MessageBody carries $$.Task.Token):
// receives a message, runs the handler on its own thread while sending a heartbeat every
// `heartbeat_every`, then reports the handler's answer with SendTaskSuccess (its value as the
// output) or SendTaskFailure (its Error's code and message as error and cause; an exception's
// what() as the cause of "Exception"), and deletes the message. A message without a token is
// left alone (it reaches the queue's dead-letter queue in time).
struct Task {
  std::string token;
  nlohmann::json body;  // the message body, parsed
  Message message;
};

struct TaskWorkerOptions {
  int wait_seconds = 20;
  std::chrono::milliseconds heartbeat_every{std::chrono::seconds(10)};
  // Where the token is in the message body; "TaskToken", then "taskToken", are tried.
  std::string token_field = "TaskToken";
  std::chrono::milliseconds retry_delay{1000};  // after a transient receive failure
};

class TaskWorker {
 public:
  using Handler = std::function<Result<nlohmann::json>(const Task&)>;

  TaskWorker(Options options, std::string queue_url, Handler handler, TaskWorkerOptions = {});
  ~TaskWorker();

  // Works tasks until stop(), or until the queue answers a permanent error (it is returned).
  Result<Ok> run();
  // Thread-safe; a task in progress is finished and reported first.
  void stop();

  // Observers, called on the worker's thread: each heartbeat sent, each task reported.
  std::function<void(const std::string& token)> on_heartbeat;
  std::function<void(const Task&, const Result<Ok>& report)> on_reported;

  long succeeded() const { return succeeded_; }
  long failed() const { return failed_; }

 private:
  void work(const Message& message);

  Options options_;
  Queues poller_, acker_;
  StateMachines machines_;
  std::string queue_url_;
  Handler handler_;
  TaskWorkerOptions worker_options_;
  std::atomic<bool> stopping_{false};
  std::atomic<long> succeeded_{0}, failed_{0};
};

}  // namespace wyvern::client
