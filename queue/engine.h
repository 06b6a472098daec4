// The queue engine's private state and the QueueService implementation, split by concern:
// queues.cc (queue lifecycle, attributes, tags, permissions), messages.cc (send, receive,
// delete, visibility, long polling), redrive.cc (dead-letter queues and move tasks),
// recovery.cc (rebuild from the store, periodic sweep).
//
// Ownership: everything here belongs to the core strand (see queue.h). Indexes are kept in
// step by the few helpers in Engine that insert, move and erase messages.
#pragma once

#include <list>
#include <map>
#include <set>
#include <unordered_map>

#include "message.h"
#include "message_index.h"
#include "queue.h"

namespace wyvern::queue {

// Store tables owned by the queue engine (layout: broker/foundation/store_layout.md).
inline constexpr char kQueuesTable[] = "sqs.queues";
inline constexpr char kMessagesTable[] = "sqs.messages";
inline constexpr char kDedupTable[] = "sqs.dedup";

inline constexpr TimeMs kDedupWindowMs = 5 * 60 * 1000;
inline constexpr TimeMs kPurgeIntervalMs = 60 * 1000;

struct Redrive {
  std::string dead_letter_target_arn;
  int max_receive_count = 0;
};

struct DedupEntry {
  TimeMs expires_at;
  std::string message_id;
  uint64_t seq;
};

struct Waiter {
  uint64_t id;
  Caller caller;
  ReceiveMessageRequest request;
  Reply<std::vector<ReceivedMessage>> reply;
  Timers::TimerId deadline_timer = 0;
};

struct Queue {
  std::string key;  // "region/account/name": unique, and the prefix of its message keys
  std::string name, account, region, arn;
  bool fifo = false;
  StringMap attributes;  // settable attributes, canonical string form
  StringMap tags;
  TimeMs created_at = 0, modified_at = 0;

  // Parsed from `attributes` by apply_attributes().
  int visibility_timeout = 30;
  int delay_seconds = 0;
  int retention_seconds = 345600;
  int maximum_message_size = 1048576;
  int receive_wait_seconds = 0;
  bool content_based_deduplication = false;
  bool dedup_per_group = false;  // DeduplicationScope=messageGroup
  std::optional<Redrive> redrive;

  TimeMs last_purge_at = INT64_MIN;
  MessageIndex messages;
  std::unordered_map<std::string, DedupEntry> dedup;  // key: scope + '\n' + dedup id
  struct Attempt {
    TimeMs expires_at;
    std::vector<std::pair<uint64_t, uint64_t>> receipts;  // (seq, receipt)
  };
  std::unordered_map<std::string, Attempt> receive_attempts;  // FIFO ReceiveRequestAttemptId

  std::list<Waiter> waiters;
  Timers::TimerId wake_timer = 0;
  TimeMs wake_at = INT64_MAX;
};

// A message's key in kMessagesTable: its queue's key, a NUL, its seq (big-endian).
std::string message_key(const Queue& q, uint64_t seq);

struct MoveTaskState {
  MoveTask task;
  std::string source_key;
  Timers::TimerId timer = 0;
};

class Engine final : public QueueService {
 public:
  explicit Engine(Env env) : env_(env) {}
  ~Engine() override;

  void recover() override;
  void reset() override;
  void release_waiters() override;

  void create_queue(const Caller&, CreateQueueRequest, Reply<std::string>) override;
  void delete_queue(const Caller&, const std::string&, Reply<Ok>) override;
  void get_queue_url(const Caller&, const GetQueueUrlRequest&, Reply<std::string>) override;
  void list_queues(const Caller&, const ListQueuesRequest&, Reply<ListQueuesResult>) override;
  void get_queue_attributes(const Caller&, const std::string&, const std::vector<std::string>&,
                            Reply<StringMap>) override;
  void set_queue_attributes(const Caller&, const std::string&, const StringMap&,
                            Reply<Ok>) override;
  void tag_queue(const Caller&, const std::string&, const StringMap&, Reply<Ok>) override;
  void untag_queue(const Caller&, const std::string&, const std::vector<std::string>&,
                   Reply<Ok>) override;
  void list_queue_tags(const Caller&, const std::string&, Reply<StringMap>) override;
  void peek_messages(const Caller&, const std::string&, size_t,
                     Reply<std::vector<PeekedMessage>>) override;
  void purge_queue(const Caller&, const std::string&, Reply<Ok>) override;
  void send_message(const Caller&, const std::string&, SendMessageRequest,
                    Reply<SendMessageResult>) override;
  void send_message_batch(const Caller&, const std::string&,
                          std::vector<BatchEntry<SendMessageRequest>>,
                          Reply<BatchResult<SendMessageResult>>) override;
  void receive_message(const Caller&, const std::string&, ReceiveMessageRequest,
                       Reply<std::vector<ReceivedMessage>>) override;
  void delete_message(const Caller&, const std::string&, const std::string&, Reply<Ok>) override;
  void delete_message_batch(const Caller&, const std::string&, std::vector<BatchEntry<std::string>>,
                            Reply<BatchResult<Ok>>) override;
  void change_message_visibility(const Caller&, const std::string&, const ChangeVisibilityRequest&,
                                 Reply<Ok>) override;
  void change_message_visibility_batch(const Caller&, const std::string&,
                                       std::vector<BatchEntry<ChangeVisibilityRequest>>,
                                       Reply<BatchResult<Ok>>) override;
  void list_dead_letter_source_queues(const Caller&, const std::string&, const ListQueuesRequest&,
                                      Reply<ListQueuesResult>) override;
  void start_message_move_task(const Caller&, const std::string&, const std::optional<std::string>&,
                               std::optional<int>, Reply<std::string>) override;
  void list_message_move_tasks(const Caller&, const std::string&, std::optional<int>,
                               Reply<std::vector<MoveTask>>) override;
  void cancel_message_move_task(const Caller&, const std::string&, Reply<int64_t>) override;
  void add_permission(const Caller&, const std::string&, const std::string&,
                      const std::vector<std::string>&, const std::vector<std::string>&,
                      Reply<Ok>) override;
  void remove_permission(const Caller&, const std::string&, const std::string&, Reply<Ok>) override;

 private:
  // --- queues.cc
  Result<Queue*> find_by_url(const Caller&, const std::string& url);
  Queue* find_by_arn(const std::string& arn);
  std::string url_of(const Caller&, const Queue&) const;
  // Validates and stores settable attributes; on error nothing changed.
  std::optional<Error> apply_attributes(Queue& q, const StringMap& attrs, bool creating);
  // Recomputes the parsed settings from q.attributes (which must be valid).
  void derive_settings(Queue& q);
  StringMap all_attributes(Queue& q, TimeMs now);
  void persist_queue(const Queue& q, WriteBatch& batch) const;

  // --- messages.cc
  std::optional<Error> validate_send(const Queue& q, const SendMessageRequest& r) const;
  // `md5_of_body`, when given, is the body's digest computed beforehand (a batch digests its
  // bodies together).
  SendMessageResult enqueue(Queue& q, SendMessageRequest r, const Caller& caller, TimeMs now,
                            WriteBatch& batch, std::optional<Md5Digest> md5_of_body = {});
  // Takes available messages; never parks. Mutations go into `batch`.
  std::vector<ReceivedMessage> take(Queue& q, const ReceiveMessageRequest& r, TimeMs now,
                                    WriteBatch& batch);
  ReceivedMessage render(const Queue& q, const StoredMessage& m,
                         const ReceiveMessageRequest& r) const;
  std::string receipt_handle(const Queue& q, const StoredMessage& m) const;
  // The message a receipt handle names and the receive it came from, or the error AWS gives
  // for it. A well-formed handle for a message that is gone yields a null message.
  struct ReceiptRef {
    StoredMessage* message;
    uint64_t receipt;
    // FIFO queues accept only the current receipt of a message still in flight.
    bool expired_for(const Queue& q, TimeMs now) const {
      return q.fifo && message &&
             (message->receipt != receipt ||
              message->state(now) != StoredMessage::State::kInFlight);
    }
  };
  Result<ReceiptRef> resolve_receipt(Queue& q, const std::string& handle);
  std::optional<Error> change_visibility(Queue& q, const ChangeVisibilityRequest& r, TimeMs now,
                                         WriteBatch& batch);
  void serve_waiters(Queue& q);
  void arm_wake(Queue& q, TimeMs now);
  void finish_waiter(const std::string& queue_key, uint64_t waiter_id);

  // Index maintenance shared by every path that changes a message.
  void insert_message(Queue& q, StoredMessage m, WriteBatch& batch);
  void erase_message(Queue& q, StoredMessage& m, WriteBatch& batch);
  void persist_message(const Queue& q, const StoredMessage& m, WriteBatch& batch) const;
  void expire(Queue& q, TimeMs now, WriteBatch& batch, size_t limit = SIZE_MAX);
  // `now` is the caller's reading of the clock (one per request, not one per message).
  uint64_t next_seq(TimeMs now);

  // --- redrive.cc
  bool dead_letter(Queue& q, StoredMessage& m, TimeMs now, WriteBatch& batch);
  // Serves parked receives on dead-letter queues that moves filled; call after committing.
  void wake_dead_letter_queues();
  void run_move_task(const std::string& task_id);

  // --- recovery.cc
  void schedule_sweep();
  void sweep();

  // Commits `batch`, then replies `value` (or InternalFailure if the disk refused it).
  template <typename T>
  void commit_then_reply(WriteBatch batch, Reply<T> reply, T value) {
    wyvern::commit_then_reply(*env_.store, std::move(batch), std::move(reply), std::move(value));
  }

  Env env_;
  std::map<std::string, Queue> queues_;  // by key: sorted, so ListQueues pages are stable
  std::map<std::string, MoveTaskState> move_tasks_;  // by task id
  uint64_t last_seq_ = 0;
  uint64_t next_waiter_id_ = 1;
  std::vector<std::string> dead_letter_wakeups_;  // queue keys
  bool waking_dead_letter_queues_ = false;
  Timers::TimerId sweep_timer_ = 0;
};

}  // namespace wyvern::queue
