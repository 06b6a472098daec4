// queue/: the SQS engine. Standard and FIFO queues, visibility, delays, long polling,
// retention, dead-letter redrive and message move tasks, on domain types only: no HTTP, XML or
// JSON wire shapes live here (broker/server owns those).
//
// Thread-safety: a QueueService is owned by the broker's core strand. Every method must be
// called there; replies may run on any thread (after the store commit), so a Reply must only
// hand its result on (post it), never touch the service.
//
// Durability: a reply that reports success is sent only after the change is durable in the
// Store. Reads are answered from memory.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "foundation/caller.h"
#include "foundation/clock.h"
#include "foundation/errors.h"
#include "foundation/store.h"
#include "foundation/timers.h"

namespace wyvern::queue {

template <typename T>
using Reply = std::function<void(Result<T>)>;

using Caller = ::wyvern::Caller;

struct MessageAttributeValue {
  std::string data_type;  // "String", "Number", "Binary", optionally with ".custom" suffix
  std::optional<std::string> string_value;
  std::optional<std::string> binary_value;  // raw bytes (the wire carries base64)
};
using MessageAttributes = std::map<std::string, MessageAttributeValue>;
using StringMap = std::map<std::string, std::string>;

struct CreateQueueRequest {
  std::string queue_name;
  StringMap attributes;
  StringMap tags;
};
struct GetQueueUrlRequest {
  std::string queue_name;
  std::optional<std::string> owner_account;
};
struct ListQueuesRequest {
  std::optional<std::string> prefix;
  std::optional<int> max_results;
  std::optional<std::string> next_token;
};
struct ListQueuesResult {
  std::vector<std::string> queue_urls;
  std::optional<std::string> next_token;
};

struct SendMessageRequest {
  std::string body;
  std::optional<int> delay_seconds;
  MessageAttributes attributes;
  MessageAttributes system_attributes;  // AWSTraceHeader
  std::optional<std::string> deduplication_id;
  std::optional<std::string> group_id;
};
struct SendMessageResult {
  std::string message_id;
  std::string md5_of_body;
  std::optional<std::string> md5_of_attributes;
  std::optional<std::string> md5_of_system_attributes;
  std::optional<std::string> sequence_number;
};

// One entry of a batch call: its caller-chosen Id plus the request.
template <typename T>
struct BatchEntry {
  std::string id;
  T request;
};
struct BatchError {
  std::string id;
  std::string code;
  std::string message;
  bool sender_fault = true;
};
template <typename T>
struct BatchResult {
  std::vector<std::pair<std::string, T>> successful;  // (entry Id, result)
  std::vector<BatchError> failed;
};

struct ReceiveMessageRequest {
  std::optional<int> max_number_of_messages;
  std::optional<int> visibility_timeout;
  std::optional<int> wait_time_seconds;
  std::vector<std::string> attribute_names;  // legacy AttributeNames
  std::vector<std::string> system_attribute_names;
  std::vector<std::string> message_attribute_names;
  std::optional<std::string> receive_request_attempt_id;
};
struct ReceivedMessage {
  std::string message_id;
  std::string receipt_handle;
  std::string md5_of_body;
  std::string body;
  StringMap attributes;  // system attributes that were asked for
  std::optional<std::string> md5_of_attributes;
  MessageAttributes message_attributes;  // those that were asked for
};

// A message as it sits in its queue, looked at without being received (the console's view).
struct PeekedMessage {
  std::string message_id;
  std::string body;
  std::string state;  // "visible", "in_flight" or "delayed"
  int receive_count = 0;
  TimeMs sent_at = 0;
  TimeMs visible_at = 0;
  std::string group_id;            // FIFO only
  std::string dead_letter_source;  // the queue it was dead-lettered from, if any
  MessageAttributes attributes;
};

struct ChangeVisibilityRequest {
  std::string receipt_handle;
  int visibility_timeout = 0;
};

struct MoveTask {
  std::string task_handle;
  std::string status;  // RUNNING, COMPLETED, CANCELLING, CANCELLED, FAILED
  std::string source_arn;
  std::optional<std::string> destination_arn;
  std::optional<int> max_per_second;
  int64_t moved = 0;
  int64_t to_move = 0;
  std::optional<std::string> failure_reason;
  TimeMs started_at = 0;
};

// The services a queue engine needs from the broker.
struct Env {
  const Clock* clock;
  Store* store;
  Timers* timers;
};

class QueueService {
 public:
  virtual ~QueueService() = default;

  // Rebuilds queues and messages from the store and re-arms their timers. Call once, first.
  virtual void recover() = 0;
  // Forgets every queue and message (the store is wiped by the caller).
  virtual void reset() = 0;
  // Answers every parked receive now (with what is available), for a clean shutdown.
  virtual void release_waiters() = 0;

  virtual void create_queue(const Caller&, CreateQueueRequest, Reply<std::string> url) = 0;
  virtual void delete_queue(const Caller&, const std::string& queue_url, Reply<Ok>) = 0;
  virtual void get_queue_url(const Caller&, const GetQueueUrlRequest&, Reply<std::string>) = 0;
  virtual void list_queues(const Caller&, const ListQueuesRequest&, Reply<ListQueuesResult>) = 0;
  virtual void get_queue_attributes(const Caller&, const std::string& queue_url,
                                    const std::vector<std::string>& names, Reply<StringMap>) = 0;
  virtual void set_queue_attributes(const Caller&, const std::string& queue_url,
                                    const StringMap& attributes, Reply<Ok>) = 0;
  virtual void tag_queue(const Caller&, const std::string& queue_url, const StringMap& tags,
                         Reply<Ok>) = 0;
  virtual void untag_queue(const Caller&, const std::string& queue_url,
                           const std::vector<std::string>& keys, Reply<Ok>) = 0;
  virtual void list_queue_tags(const Caller&, const std::string& queue_url, Reply<StringMap>) = 0;
  // Up to `limit` messages in arrival order, none received, none changed. Not an SQS action.
  virtual void peek_messages(const Caller&, const std::string& queue_url, size_t limit,
                             Reply<std::vector<PeekedMessage>>) = 0;
  virtual void purge_queue(const Caller&, const std::string& queue_url, Reply<Ok>) = 0;

  virtual void send_message(const Caller&, const std::string& queue_url, SendMessageRequest,
                            Reply<SendMessageResult>) = 0;
  virtual void send_message_batch(const Caller&, const std::string& queue_url,
                                  std::vector<BatchEntry<SendMessageRequest>>,
                                  Reply<BatchResult<SendMessageResult>>) = 0;
  // May park the request (long polling) until a message is available or the wait ends.
  virtual void receive_message(const Caller&, const std::string& queue_url, ReceiveMessageRequest,
                               Reply<std::vector<ReceivedMessage>>) = 0;
  virtual void delete_message(const Caller&, const std::string& queue_url,
                              const std::string& receipt_handle, Reply<Ok>) = 0;
  virtual void delete_message_batch(const Caller&, const std::string& queue_url,
                                    std::vector<BatchEntry<std::string>> receipt_handles,
                                    Reply<BatchResult<Ok>>) = 0;
  virtual void change_message_visibility(const Caller&, const std::string& queue_url,
                                         const ChangeVisibilityRequest&, Reply<Ok>) = 0;
  virtual void change_message_visibility_batch(const Caller&, const std::string& queue_url,
                                               std::vector<BatchEntry<ChangeVisibilityRequest>>,
                                               Reply<BatchResult<Ok>>) = 0;
  virtual void list_dead_letter_source_queues(const Caller&, const std::string& queue_url,
                                              const ListQueuesRequest& paging,
                                              Reply<ListQueuesResult>) = 0;
  virtual void start_message_move_task(const Caller&, const std::string& source_arn,
                                       const std::optional<std::string>& destination_arn,
                                       std::optional<int> max_per_second,
                                       Reply<std::string> task_handle) = 0;
  virtual void list_message_move_tasks(const Caller&, const std::string& source_arn,
                                       std::optional<int> max_results,
                                       Reply<std::vector<MoveTask>>) = 0;
  virtual void cancel_message_move_task(const Caller&, const std::string& task_handle,
                                        Reply<int64_t> moved) = 0;
  virtual void add_permission(const Caller&, const std::string& queue_url, const std::string& label,
                              const std::vector<std::string>& accounts,
                              const std::vector<std::string>& actions, Reply<Ok>) = 0;
  virtual void remove_permission(const Caller&, const std::string& queue_url,
                                 const std::string& label, Reply<Ok>) = 0;
};

std::unique_ptr<QueueService> make_queue_service(Env env);

}  // namespace wyvern::queue
