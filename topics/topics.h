// topics/: SNS. Topics (standard and FIFO), subscriptions with filter policies, and the fan-out
// of each published message to its subscribers: SQS queues, HTTP/S endpoints, local functions,
// and an outbox standing in for SMS and email. On domain types only: no XML here.
//
// Thread-safety: a TopicService is owned by the broker's core strand, like every service; every
// method must be called there. Replies may run on any thread and must only hand results on.
//
// Durability: a Publish is acknowledged once the message and the list of subscriptions it is
// for are committed; deliveries follow and the record is dropped when all of them are done, so a
// restart re-delivers what was unfinished (SNS delivers at least once).
//
// Other services are reached only through the Outlets the broker passes in (queues by ARN,
// local functions by ARN); this folder includes no other service's headers.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "foundation/caller.h"
#include "foundation/clock.h"
#include "foundation/errors.h"
#include "foundation/store.h"
#include "foundation/timers.h"
#include "topics/filter_policy.h"

namespace wyvern::topics {

template <typename T>
using Reply = std::function<void(Result<T>)>;
using StringMap = std::map<std::string, std::string>;

struct PublishRequest {
  std::optional<std::string> topic_arn, target_arn, phone_number;
  std::optional<std::string> message;
  std::optional<std::string> subject, message_structure;
  std::optional<std::string> group_id, deduplication_id;
  MessageAttributes attributes;
};
struct PublishResult {
  std::string message_id;
  std::optional<std::string> sequence_number;  // FIFO topics
};
struct PublishBatchEntry {
  std::string id;
  PublishRequest request;
};
struct BatchFailure {
  std::string id, code, message;
  bool sender_fault = true;
};
struct PublishBatchResult {
  std::vector<std::pair<std::string, PublishResult>> successful;  // (entry Id, result)
  std::vector<BatchFailure> failed;
};

struct SubscribeRequest {
  std::string topic_arn, protocol;
  std::optional<std::string> endpoint;
  StringMap attributes;
  bool return_subscription_arn = false;
};
struct SubscriptionSummary {
  std::string subscription_arn;  // "PendingConfirmation" until confirmed
  std::string owner, protocol, endpoint, topic_arn;
};
template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<std::string> next_token;
};

struct Permission {
  std::string topic_arn, label;
  std::vector<std::string> accounts, actions;
};

// One message SNS delivers into an SQS queue.
struct QueueDelivery {
  std::string queue_arn;
  std::string body;
  MessageAttributes attributes;
  std::optional<std::string> group_id, deduplication_id;
};
// A delivery's outcome. `retryable`: a server-side failure, worth trying again later;
// otherwise a client-side one (the queue or function is gone), which SNS never retries.
struct DeliveryOutcome {
  bool ok = false;
  bool retryable = false;
  std::string error;
};
using Delivered = std::function<void(DeliveryOutcome)>;

// What the broker lends SNS to reach other services. Each is called on the core strand; its
// completion may run on any thread (SNS posts it back to the core strand itself).
struct Outlets {
  std::function<void(QueueDelivery, Delivered)> send_to_queue;
  // Invokes a local function bound to a Lambda ARN with an event (JSON text).
  std::function<void(std::string function_arn, std::string event, Delivered)> invoke_function;
};

struct Env {
  const Clock* clock;
  Store* store;
  Timers* timers;
  Outlets outlets;
  std::function<void(std::function<void()>)> post;  // runs a function on the core strand
};

class TopicService {
 public:
  virtual ~TopicService() = default;

  // Rebuilds topics and subscriptions, and resumes unfinished deliveries. Call once, first.
  virtual void recover() = 0;
  // Forgets everything (the store is wiped by the caller).
  virtual void reset() = 0;

  virtual void create_topic(const Caller&, const std::string& name, const StringMap& attributes,
                            const StringMap& tags, Reply<std::string> topic_arn) = 0;
  virtual void delete_topic(const Caller&, const std::string& topic_arn, Reply<Ok>) = 0;
  virtual void list_topics(const Caller&, const std::optional<std::string>& next_token,
                           Reply<Page<std::string>>) = 0;
  virtual void get_topic_attributes(const Caller&, const std::string& topic_arn,
                                    Reply<StringMap>) = 0;
  virtual void set_topic_attributes(const Caller&, const std::string& topic_arn,
                                    const std::string& name, const std::string& value,
                                    Reply<Ok>) = 0;

  // Replies with the subscription ARN, or "pending confirmation" for one awaiting it.
  virtual void subscribe(const Caller&, SubscribeRequest, Reply<std::string>) = 0;
  virtual void confirm_subscription(const Caller&, const std::string& topic_arn,
                                    const std::string& token, Reply<std::string>) = 0;
  virtual void unsubscribe(const Caller&, const std::string& subscription_arn, Reply<Ok>) = 0;
  // All of the caller's region's subscriptions, or one topic's when `topic_arn` is given.
  virtual void list_subscriptions(const Caller&, const std::optional<std::string>& topic_arn,
                                  const std::optional<std::string>& next_token,
                                  Reply<Page<SubscriptionSummary>>) = 0;
  virtual void get_subscription_attributes(const Caller&, const std::string& subscription_arn,
                                           Reply<StringMap>) = 0;
  virtual void set_subscription_attributes(const Caller&, const std::string& subscription_arn,
                                           const std::string& name, const std::string& value,
                                           Reply<Ok>) = 0;

  virtual void publish(const Caller&, PublishRequest, Reply<PublishResult>) = 0;
  virtual void publish_batch(const Caller&, const std::string& topic_arn,
                             std::vector<PublishBatchEntry>, Reply<PublishBatchResult>) = 0;

  virtual void tag_resource(const Caller&, const std::string& arn, const StringMap& tags,
                            Reply<Ok>) = 0;
  virtual void untag_resource(const Caller&, const std::string& arn,
                              const std::vector<std::string>& keys, Reply<Ok>) = 0;
  virtual void list_tags_for_resource(const Caller&, const std::string& arn, Reply<StringMap>) = 0;
  virtual void add_permission(const Caller&, Permission, Reply<Ok>) = 0;
  virtual void remove_permission(const Caller&, const std::string& topic_arn,
                                 const std::string& label, Reply<Ok>) = 0;

  virtual void get_sms_attributes(const Caller&, const std::vector<std::string>& names,
                                  Reply<StringMap>) = 0;
  virtual void set_sms_attributes(const Caller&, const StringMap& attributes, Reply<Ok>) = 0;
  virtual void check_if_phone_number_is_opted_out(const Caller&, const std::string& phone_number,
                                                  Reply<bool>) = 0;

  // What SMS and email would have sent, oldest first (the admin API lists it).
  virtual nlohmann::json outbox() const = 0;
  // The id of the newest message the outbox ever held (0: none): it grows with each one.
  virtual uint64_t outbox_last_id() const = 0;
  // How a subscription's deliveries went since the broker started (not stored), for looking.
  struct DeliveryStatus {
    uint64_t delivered = 0, retried = 0, failed = 0;  // failed: given up (to the DLQ, if any)
    TimeMs last_at = 0;                                // 0: nothing tried yet
    std::string last_error;                            // of the latest failed attempt
  };
  virtual DeliveryStatus delivery_status(const std::string& subscription_arn) const = 0;
  // The certificate (PEM) whose key signs notifications, served at their SigningCertURL.
  virtual std::string signing_certificate() const = 0;
  // The SigningCertURL path the certificate is served at, e.g. "/_wyvern/sns/Simple...pem".
  virtual std::string signing_certificate_path() const = 0;
};

std::unique_ptr<TopicService> make_topic_service(Env env);

}  // namespace wyvern::topics
