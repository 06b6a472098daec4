// The SNS engine's private state: topics, subscriptions, publications in flight and the
// outbox. Split across topics.cc (resources and their attributes), publish.cc (publishing and
// delivering) and envelope.cc (what a subscriber receives).
#pragma once

#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "foundation/strand_sink.h"
#include "topics/filter_policy.h"
#include "topics/signing.h"
#include "topics/topics.h"

namespace wyvern::topics {

using json = nlohmann::json;

inline constexpr char kTopicsTable[] = "sns.topics";
inline constexpr char kSubscriptionsTable[] = "sns.subscriptions";
inline constexpr char kPendingTable[] = "sns.pending";
inline constexpr char kOutboxTable[] = "sns.outbox";
inline constexpr char kSettingsTable[] = "sns.settings";
inline constexpr char kDedupTable[] = "sns.dedup";

// A FIFO topic's deduplication id as a key of kDedupTable.
inline std::string dedup_key(const std::string& topic_arn, const std::string& id) {
  return topic_arn + "\n" + id;
}

inline constexpr size_t kMaxMessageBytes = 262144;
inline constexpr TimeMs kDeduplicationWindowMs = 5 * 60 * 1000;
inline constexpr char kPendingConfirmation[] = "pending confirmation";

struct Topic {
  std::string arn, name, region, account;
  bool fifo = false;
  StringMap attributes;  // as set by the caller (DisplayName, Policy, DeliveryPolicy, ...)
  StringMap tags;
  std::vector<std::string> subscriptions;  // ARNs, in subscription order
  int64_t subscriptions_deleted = 0;
  uint64_t sequence = 0;  // FIFO: the last SequenceNumber handed out
  // FIFO: deduplication id -> the publish it was first seen on (in memory, like SQS's).
  struct Seen {
    TimeMs expires_at;
    std::string message_id, sequence_number;
  };
  std::unordered_map<std::string, Seen> deduplication;

  bool content_based_deduplication() const {
    auto it = attributes.find("ContentBasedDeduplication");
    return it != attributes.end() && it->second == "true";
  }
  std::string signature_version() const {
    auto it = attributes.find("SignatureVersion");
    return it == attributes.end() ? "1" : it->second;
  }
};

struct Subscription {
  std::string arn, topic_arn, protocol, endpoint, owner;
  bool confirmed = false;
  std::string token;     // confirmation token while pending
  StringMap attributes;  // RawMessageDelivery, FilterPolicy, FilterPolicyScope, RedrivePolicy, ...
  std::optional<FilterPolicy> filter;  // compiled FilterPolicy; empty: accept all

  bool raw() const {
    auto it = attributes.find("RawMessageDelivery");
    return it != attributes.end() && it->second == "true";
  }
  std::optional<std::string> dead_letter_queue() const;
};

// A published message and the subscriptions it still has to reach.
struct Publication {
  std::string message_id, topic_arn;
  std::string message;  // the Message parameter as sent
  std::optional<std::string> subject;
  bool structured = false;  // MessageStructure=json: `message` holds one text per protocol
  MessageAttributes attributes;
  std::optional<std::string> group_id, deduplication_id, sequence_number;
  TimeMs timestamp = 0;
  std::string endpoint;           // the broker's URL as the publisher reached it
  std::set<std::string> pending;  // subscription ARNs not yet done
  // Signatures made so far, by protocol: what is signed is the same for every subscriber of
  // one protocol, and an RSA signature is the dearest part of a delivery.
  mutable std::map<std::string, std::string> signatures;
};

// An E.164-shaped phone number (an optional "+", 5 to 15 digits, no leading 0): what SNS takes
// for sms endpoints and Publish's PhoneNumber.
bool valid_phone_number(const std::string& number);

// HTTP/S retry policy (healthyRetryPolicy) in seconds.
struct RetryPolicy {
  int min_delay = 20, max_delay = 20, num_retries = 3;
  int num_no_delay = 0, num_min_delay = 0, num_max_delay = 0;
  std::string backoff = "linear";
  // Seconds before retry number `retry` (1-based).
  int delay_before(int retry) const;
};

class Engine final : public TopicService {
 public:
  explicit Engine(Env env);
  ~Engine() override;

  void recover() override;
  void reset() override;

  void create_topic(const Caller&, const std::string& name, const StringMap& attributes,
                    const StringMap& tags, Reply<std::string>) override;
  void delete_topic(const Caller&, const std::string& topic_arn, Reply<Ok>) override;
  void list_topics(const Caller&, const std::optional<std::string>& next_token,
                   Reply<Page<std::string>>) override;
  void get_topic_attributes(const Caller&, const std::string& topic_arn, Reply<StringMap>) override;
  void set_topic_attributes(const Caller&, const std::string& topic_arn, const std::string& name,
                            const std::string& value, Reply<Ok>) override;
  void subscribe(const Caller&, SubscribeRequest, Reply<std::string>) override;
  void confirm_subscription(const Caller&, const std::string& topic_arn, const std::string& token,
                            Reply<std::string>) override;
  void unsubscribe(const Caller&, const std::string& subscription_arn, Reply<Ok>) override;
  void list_subscriptions(const Caller&, const std::optional<std::string>& topic_arn,
                          const std::optional<std::string>& next_token,
                          Reply<Page<SubscriptionSummary>>) override;
  void get_subscription_attributes(const Caller&, const std::string& subscription_arn,
                                   Reply<StringMap>) override;
  void set_subscription_attributes(const Caller&, const std::string& subscription_arn,
                                   const std::string& name, const std::string& value,
                                   Reply<Ok>) override;
  void publish(const Caller&, PublishRequest, Reply<PublishResult>) override;
  void publish_batch(const Caller&, const std::string& topic_arn, std::vector<PublishBatchEntry>,
                     Reply<PublishBatchResult>) override;
  void tag_resource(const Caller&, const std::string& arn, const StringMap& tags,
                    Reply<Ok>) override;
  void untag_resource(const Caller&, const std::string& arn, const std::vector<std::string>& keys,
                      Reply<Ok>) override;
  void list_tags_for_resource(const Caller&, const std::string& arn, Reply<StringMap>) override;
  void add_permission(const Caller&, Permission, Reply<Ok>) override;
  void remove_permission(const Caller&, const std::string& topic_arn, const std::string& label,
                         Reply<Ok>) override;
  void get_sms_attributes(const Caller&, const std::vector<std::string>& names,
                          Reply<StringMap>) override;
  void set_sms_attributes(const Caller&, const StringMap& attributes, Reply<Ok>) override;
  void check_if_phone_number_is_opted_out(const Caller&, const std::string& phone_number,
                                          Reply<bool>) override;
  json outbox() const override { return outbox_; }
  uint64_t outbox_last_id() const override { return outbox_sequence_; }
  DeliveryStatus delivery_status(const std::string& subscription_arn) const override {
    auto it = delivery_status_.find(subscription_arn);
    return it == delivery_status_.end() ? DeliveryStatus{} : it->second;
  }
  std::string signing_certificate() const override { return signer().certificate_pem(); }
  std::string signing_certificate_path() const override {
    return signing_key_.get().certificate_path;
  }

 private:
  // --- topics.cc ---
  // Topics and subscriptions are reached only from their own region, as in AWS.
  Result<Topic*> find_topic(const Caller& caller, const std::string& arn);
  Result<Subscription*> find_subscription(const Caller& caller, const std::string& arn);
  StringMap topic_attributes(const Topic& topic) const;
  StringMap subscription_attributes(const Subscription& sub) const;
  void persist(const Topic& topic, WriteBatch& batch) const;
  void persist(const Subscription& sub, WriteBatch& batch) const;
  std::optional<Error> check_subscription_attribute(const Subscription& sub,
                                                    const std::string& name,
                                                    const std::string& value,
                                                    bool subscribing) const;
  void apply_subscription_attribute(Subscription& sub, const std::string& name,
                                    const std::string& value);
  void confirmed(Subscription& sub, Reply<std::string> reply);
  void send_confirmation(const Caller& caller, const Subscription& sub, bool unsubscribing);
  void commit(WriteBatch batch, std::function<void()> then);
  // Commits, then runs `then`; if the store could not make the batch durable, answers `reply`
  // with InternalFailure instead: a write is acknowledged only once it is on disk.
  template <typename Reply>
  void commit(WriteBatch batch, Reply reply, std::function<void()> then) {
    env_.store->commit(
        std::move(batch),
        on_strand<bool>([reply = std::move(reply), then = std::move(then)](bool durable) {
          if (!durable)
            return reply(Error{ErrorCode::kInternalFailure, "The store refused the write."});
          then();
        }));
  }

  // --- publish.cc ---
  std::optional<Error> validate_publish(const PublishRequest& r, const Topic* topic) const;
  std::optional<Error> validate_publish_shape(const PublishRequest& r, const Topic* topic) const;
  Result<PublishResult> accept(const Caller& caller, Topic& topic, PublishRequest r,
                               WriteBatch& batch, std::vector<std::string>& started);
  void deliver(const std::string& message_id);
  void deliver_to(const std::string& message_id, const std::string& subscription_arn, int attempt);
  void delivery_done(const std::string& message_id, const std::string& subscription_arn,
                     int attempt, DeliveryOutcome outcome);
  void finish(const std::string& message_id, const std::string& subscription_arn);
  void record_outbox(json entry, WriteBatch& batch);
  RetryPolicy retry_policy(const Subscription& sub) const;
  std::string request_content_type(const Subscription& sub) const;

  // --- envelope.cc ---
  std::string message_for(const Publication& p, const std::string& protocol) const;
  std::string notification(const Publication& p, const Subscription& sub) const;
  std::string lambda_event(const Publication& p, const Subscription& sub) const;
  std::string confirmation(const Caller& caller, const Subscription& sub, const Topic& topic,
                           bool unsubscribing, std::string* message_id) const;
  std::string signing_certificate_url(const std::string& endpoint) const {
    return endpoint + signing_key_.get().certificate_path;
  }
  // Waits, the first time, for a key that is still being made.
  const Signer& signer() const { return signing_key_.get().signer; }

  template <typename Arg>
  std::function<void(Arg)> on_strand(std::function<void(Arg)> fn) const {
    return sink_.on_strand(std::move(fn));
  }

  Env env_;
  StrandSink sink_{env_.post};                                 // after env_: it takes env_.post
  std::map<std::string, Topic> topics_;                        // by ARN
  std::map<std::string, Subscription> subscriptions_;          // by ARN
  std::unordered_map<std::string, Publication> publications_;  // in flight, by message id
  // Unsubscribed HTTP/S subscriptions, by token, that their UnsubscribeConfirmation can restore.
  std::unordered_map<std::string, Subscription> unsubscribed_;
  std::set<Timers::TimerId> retry_timers_;
  json outbox_ = json::array();
  std::map<std::string, DeliveryStatus> delivery_status_;  // by subscription ARN
  uint64_t outbox_sequence_ = 0;
  StringMap sms_attributes_;
  // The key that signs envelopes, and where its certificate is served. A store without a key
  // gets one made on key_maker_: RSA key generation took most of an empty broker's startup
  // (100-300 ms), and most runs never sign anything. Readers wait for it (shared_future::get
  // is safe to call from any thread); it is in the store before anyone can use it.
  struct SigningKey {
    Signer signer;
    std::string certificate_path;
  };
  std::shared_future<SigningKey> signing_key_;
  std::thread key_maker_;  // joined by the destructor
};

}  // namespace wyvern::topics
