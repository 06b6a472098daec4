// Publishing and delivering: validation, FIFO ordering and deduplication, the durable record
// of what is still to be delivered, and each protocol's delivery with its retries and
// dead-letter queue.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "foundation/codec.h"
#include "foundation/http_client.h"
#include "topics/engine.h"

namespace wyvern::topics {
namespace {

Error invalid(const std::string& what) {
  return Error{ErrorCode::kSnsInvalidParameter, "Invalid parameter: " + what};
}
Error invalid_value(const std::string& what) {
  return Error{ErrorCode::kSnsParameterValueInvalid, what};
}

constexpr size_t kMaxBatchEntries = 10;
constexpr size_t kOutboxLimit = 1000;

bool valid_token(const std::string& s) {  // MessageGroupId, MessageDeduplicationId
  return !s.empty() && s.size() <= 128 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '!' && c <= '~'; });
}

bool valid_batch_id(const std::string& id) {
  return !id.empty() && id.size() <= 80 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

size_t message_size(const PublishRequest& r) {
  size_t size = r.message ? r.message->size() : 0;
  for (const auto& [name, a] : r.attributes)
    size += name.size() + a.data_type.size() + a.string_value.value_or("").size() +
            a.binary_value.value_or("").size();
  return size;
}

std::optional<Error> check_attributes(const MessageAttributes& attributes) {
  for (const auto& [name, a] : attributes) {
    if (name.size() > 256)
      return invalid_value("Length of message attribute name must be less than 256 bytes.");
    if (name.empty() || name[0] == '.')
      return invalid_value("Invalid message attribute name starting with character '" +
                           name.substr(0, 1) + "' was found.");
    if (name.back() == '.')
      return invalid_value("Invalid message attribute name ending with character '.' was found.");
    if (name.find("..") != std::string::npos)
      return invalid_value("Message attribute name can not have successive '.' character.");
    for (char c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
        char code[8];
        std::snprintf(code, sizeof code, "#x%X", static_cast<unsigned char>(c));
        return invalid_value(std::string("Invalid non-alphanumeric character '") + code +
                             "' was found in the message attribute name. Can only include "
                             "alphanumeric characters, hyphens, underscores, or dots.");
      }
    std::string_view type = a.data_type;
    std::string_view base = type.substr(0, type.find('.'));
    if (type.empty())
      return invalid_value("The message attribute '" + name +
                           "' must contain non-empty message attribute type.");
    if (base != "String" && base != "Number" && base != "Binary")
      return invalid_value("The message attribute '" + name +
                           "' has an invalid message attribute type, the set of supported type "
                           "prefixes is Binary, Number, and String.");
    bool binary = base == "Binary";
    // String and Number values travel in StringValue, Binary ones in BinaryValue.
    if (binary ? !a.binary_value && a.string_value : !a.string_value && a.binary_value)
      return invalid_value("The message attribute '" + name + "' with type '" + std::string(base) +
                           "' must use field '" + (binary ? "Binary" : "String") + "'.");
    if (binary ? !a.binary_value || a.binary_value->empty()
               : !a.string_value || a.string_value->empty())
      return invalid_value("The message attribute '" + name +
                           "' must contain non-empty message attribute value for message "
                           "attribute type '" +
                           std::string(base) + "'.");
    if (base == "Number") {
      json number = json::parse(*a.string_value, nullptr, false);
      if (!number.is_number())
        return invalid_value("Could not cast message attribute '" + name + "' value to number.");
    }
    if (type.rfind("String.Array", 0) == 0) {
      json array = json::parse(*a.string_value, nullptr, false);
      bool flat = array.is_array() && std::all_of(array.begin(), array.end(), [](const json& v) {
                    return !v.is_object() && !v.is_array();
                  });
      if (!flat)
        return invalid_value("Invalid parameter: Message attribute '" + name +
                             "' has an invalid value for String.Array.");
    }
  }
  return std::nullopt;
}

std::string outbox_key(uint64_t sequence) {
  char key[24];
  std::snprintf(key, sizeof key, "%020llu", static_cast<unsigned long long>(sequence));
  return key;
}

json attributes_json(const MessageAttributes& attributes) {
  json out = json::object();
  for (const auto& [name, a] : attributes) {
    json v = {{"type", a.data_type}};
    if (a.string_value) v["string"] = *a.string_value;
    if (a.binary_value) v["binary"] = base64_encode(*a.binary_value);
    out[name] = std::move(v);
  }
  return out;
}

}  // namespace

int RetryPolicy::delay_before(int retry) const {
  if (retry <= num_no_delay) return 0;
  if (retry <= num_no_delay + num_min_delay) return min_delay;
  int backoff_retries = std::max(0, num_retries - num_no_delay - num_min_delay - num_max_delay);
  int i = retry - num_no_delay - num_min_delay;  // 1-based within the backoff phase
  if (i > backoff_retries) return max_delay;
  double f = backoff_retries <= 1 ? 1.0 : double(i - 1) / (backoff_retries - 1);
  if (backoff == "linear" || backoff == "arithmetic" || min_delay <= 0)
    return static_cast<int>(std::lround(min_delay + (max_delay - min_delay) * f));
  // geometric and exponential: the delay grows by a constant factor from min to max.
  return static_cast<int>(std::lround(min_delay * std::pow(double(max_delay) / min_delay, f)));
}

// The subscription's requestPolicy, else the topic's defaultRequestPolicy, else text/plain.
std::string Engine::request_content_type(const Subscription& sub) const {
  auto content_type = [](const json& policy) -> std::optional<std::string> {
    if (policy.is_object() && policy.contains("headerContentType") &&
        policy["headerContentType"].is_string())
      return policy["headerContentType"].get<std::string>();
    return std::nullopt;
  };
  if (auto it = sub.attributes.find("DeliveryPolicy"); it != sub.attributes.end())
    if (auto type =
            content_type(json::parse(it->second, nullptr, false).value("requestPolicy", json())))
      return *type;
  if (auto t = topics_.find(sub.topic_arn); t != topics_.end())
    if (auto it = t->second.attributes.find("DeliveryPolicy"); it != t->second.attributes.end()) {
      json policy = json::parse(it->second, nullptr, false);
      if (policy.is_object() && policy.contains("http") && policy["http"].is_object())
        if (auto type = content_type(policy["http"].value("defaultRequestPolicy", json())))
          return *type;
    }
  return "text/plain; charset=UTF-8";
}

RetryPolicy Engine::retry_policy(const Subscription& sub) const {
  RetryPolicy policy;
  json doc;
  if (auto it = sub.attributes.find("DeliveryPolicy"); it != sub.attributes.end())
    doc = json::parse(it->second, nullptr, false).value("healthyRetryPolicy", json());
  if (!doc.is_object())
    if (auto t = topics_.find(sub.topic_arn); t != topics_.end())
      if (auto it = t->second.attributes.find("DeliveryPolicy"); it != t->second.attributes.end()) {
        json topic_policy = json::parse(it->second, nullptr, false);
        if (topic_policy.is_object() && topic_policy.contains("http") &&
            topic_policy["http"].is_object())
          doc = topic_policy["http"].value("defaultHealthyRetryPolicy", json());
      }
  if (!doc.is_object()) return policy;
  auto number = [&](const char* key, int& into) {
    if (doc.contains(key) && doc[key].is_number_integer()) into = doc[key].get<int>();
  };
  number("minDelayTarget", policy.min_delay);
  number("maxDelayTarget", policy.max_delay);
  number("numRetries", policy.num_retries);
  number("numNoDelayRetries", policy.num_no_delay);
  number("numMinDelayRetries", policy.num_min_delay);
  number("numMaxDelayRetries", policy.num_max_delay);
  if (doc.contains("backoffFunction") && doc["backoffFunction"].is_string())
    policy.backoff = doc["backoffFunction"].get<std::string>();
  return policy;
}

std::optional<Error> Engine::validate_publish(const PublishRequest& r, const Topic* topic) const {
  if (!r.message || r.message->empty()) return invalid("Empty message");
  if (r.subject) {
    // UTF-8 text of at most 100 characters, without line breaks or control characters.
    size_t characters = 0;
    bool text = true;
    for (unsigned char c : *r.subject) {
      if ((c & 0xC0) != 0x80) ++characters;  // count lead bytes, not continuation bytes
      if (c < 0x20 || c == 0x7F) text = false;
    }
    if (r.subject->empty() || characters > 100 || !text) return invalid("Subject");
  }
  if (message_size(r) > kMaxMessageBytes) return invalid("Message too long");
  if (auto err = check_attributes(r.attributes)) return err;
  return validate_publish_shape(r, topic);
}

// What PublishBatch refuses for the whole request when any entry has it wrong.
std::optional<Error> Engine::validate_publish_shape(const PublishRequest& r,
                                                    const Topic* topic) const {
  if (r.message_structure && r.message) {
    if (*r.message_structure != "json") return invalid("MessageStructure");
    json doc = json::parse(*r.message, nullptr, false);
    if (!doc.is_object()) return invalid("Message Structure - JSON message body failed to parse");
    if (!doc.contains("default") || !doc["default"].is_string())
      return invalid("Message Structure - No default entry in JSON message body");
  }
  if (r.group_id && !valid_token(*r.group_id))
    return invalid(
        "MessageGroupId Reason: MessageGroupId can only include alphanumeric and "
        "punctuation characters. 1 to 128 in length.");
  if (r.deduplication_id && !valid_token(*r.deduplication_id))
    return invalid(
        "MessageDeduplicationId Reason: MessageDeduplicationId can only include "
        "alphanumeric and punctuation characters. 1 to 128 in length.");
  if (topic && topic->fifo) {
    if (!r.group_id) return invalid("The MessageGroupId parameter is required for FIFO topics");
    if (!r.deduplication_id && !topic->content_based_deduplication())
      return invalid(
          "The topic should either have ContentBasedDeduplication enabled or "
          "MessageDeduplicationId provided explicitly");
  } else if (r.deduplication_id) {
    return invalid(
        "MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
        "parameter that is not valid for this topic type");
  }
  return std::nullopt;
}

Result<PublishResult> Engine::accept(const Caller& caller, Topic& topic, PublishRequest r,
                                     WriteBatch& batch, std::vector<std::string>& started) {
  TimeMs now = env_.clock->now_ms();
  Publication p;
  p.message_id = uuid4();
  p.topic_arn = topic.arn;
  p.message = std::move(*r.message);
  p.subject = std::move(r.subject);
  p.structured = r.message_structure.has_value();
  p.attributes = std::move(r.attributes);
  p.group_id = std::move(r.group_id);
  p.timestamp = now;
  p.endpoint = caller.endpoint;
  if (topic.fifo) {
    // Within five minutes, a deduplication id already seen is acknowledged again, not re-sent.
    std::string dedup = r.deduplication_id ? *r.deduplication_id : sha256_hex(p.message);
    auto seen = topic.deduplication.find(dedup);
    if (seen != topic.deduplication.end() && seen->second.expires_at > now)
      return PublishResult{seen->second.message_id, seen->second.sequence_number};
    // SNS's sequence numbers are 20 digits and only grow.
    p.sequence_number = std::to_string(10000000000000000000ull + ++topic.sequence);
    p.deduplication_id = dedup;
    Topic::Seen first{now + kDeduplicationWindowMs, p.message_id, *p.sequence_number};
    topic.deduplication[dedup] = first;
    // Kept durably too: a restart inside the window must not let the id through again.
    batch.put(kDedupTable, dedup_key(topic.arn, dedup),
              json{{"expires_at", first.expires_at},
                   {"message_id", first.message_id},
                   {"sequence", first.sequence_number}}
                  .dump());
    batch.put(kSettingsTable, "sequence/" + topic.arn, std::to_string(topic.sequence));
    if (topic.deduplication.size() > 10000)
      std::erase_if(topic.deduplication, [&](const auto& kv) {
        if (kv.second.expires_at > now) return false;
        batch.erase(kDedupTable, dedup_key(topic.arn, kv.first));
        return true;
      });
  }
  PublishResult result{p.message_id, p.sequence_number};
  for (const auto& arn : topic.subscriptions) {
    auto it = subscriptions_.find(arn);
    if (it == subscriptions_.end() || !it->second.confirmed) continue;
    const Subscription& sub = it->second;
    if (sub.filter && !sub.filter->accepts(message_for(p, sub.protocol), p.attributes)) continue;
    p.pending.insert(arn);
  }
  if (p.pending.empty()) return result;
  json record = {{"id", p.message_id},
                 {"topic", p.topic_arn},
                 {"message", p.message},
                 {"structured", p.structured},
                 {"attributes", attributes_json(p.attributes)},
                 {"timestamp", p.timestamp},
                 {"endpoint", p.endpoint},
                 {"pending", p.pending}};
  if (p.subject) record["subject"] = *p.subject;
  if (p.group_id) record["group"] = *p.group_id;
  if (p.deduplication_id) record["dedup"] = *p.deduplication_id;
  if (p.sequence_number) record["sequence"] = *p.sequence_number;
  batch.put(kPendingTable, p.message_id,
            record.dump(-1, ' ', false, json::error_handler_t::replace));
  started.push_back(p.message_id);
  publications_[p.message_id] = std::move(p);
  return result;
}

void Engine::publish(const Caller& caller, PublishRequest r, Reply<PublishResult> reply) {
  int targets = r.topic_arn.has_value() + r.target_arn.has_value() + r.phone_number.has_value();
  if (targets == 0)
    return reply(invalid("TopicArn or TargetArn Reason: no value for required parameter"));
  if (targets > 1)
    return reply(
        invalid("TopicArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may "
                "be specified"));
  if (r.phone_number) {
    // A text to a phone goes to the outbox; nothing is sent.
    if (!valid_phone_number(*r.phone_number))
      return reply(
          invalid("PhoneNumber Reason: " + *r.phone_number + " is not valid to publish to"));
    if (auto err = validate_publish(r, nullptr)) return reply(*err);
    if (r.message->size() > 1600) return reply(invalid("Message too long"));
    std::string id = uuid4();
    WriteBatch batch;
    json entry = {{"kind", "sms"},
                  {"destination", *r.phone_number},
                  {"message", *r.message},
                  {"message_id", id}};
    if (auto type = r.attributes.find("AWS.SNS.SMS.SMSType"); type != r.attributes.end())
      entry["sms_type"] = type->second.string_value.value_or("");
    if (auto sender = r.attributes.find("AWS.SNS.SMS.SenderID"); sender != r.attributes.end())
      entry["sender_id"] = sender->second.string_value.value_or("");
    record_outbox(std::move(entry), batch);
    return commit(std::move(batch), reply, [reply, id] { reply(PublishResult{id, std::nullopt}); });
  }
  const std::string& arn = r.topic_arn ? *r.topic_arn : *r.target_arn;
  if (r.target_arn && arn.find(":endpoint/") != std::string::npos)
    return reply(
        Error{ErrorCode::kNotImplemented, "Wyvern does not deliver to mobile platform endpoints."});
  auto topic = find_topic(caller, arn);
  if (!topic) return reply(topic.error());
  if (auto err = validate_publish(r, *topic)) return reply(*err);
  WriteBatch batch;
  std::vector<std::string> started;
  auto result = accept(caller, **topic, std::move(r), batch, started);
  if (!result) return reply(result.error());
  commit(std::move(batch), reply, [this, reply, result = result.value(), started] {
    reply(result);
    for (const auto& id : started) deliver(id);
  });
}

void Engine::publish_batch(const Caller& caller, const std::string& topic_arn,
                           std::vector<PublishBatchEntry> entries,
                           Reply<PublishBatchResult> reply) {
  auto topic = find_topic(caller, topic_arn);
  if (!topic) return reply(topic.error());
  if (entries.empty())
    return reply(
        Error{ErrorCode::kSnsEmptyBatchRequest, "The batch request doesn't contain any entries"});
  if (entries.size() > kMaxBatchEntries)
    return reply(Error{ErrorCode::kSnsTooManyEntriesInBatchRequest,
                       "The batch request contains more entries than permissible."});
  std::set<std::string> ids;
  size_t total = 0;
  for (const auto& e : entries) {
    if (!valid_batch_id(e.id))
      return reply(Error{ErrorCode::kSnsInvalidBatchEntryId,
                         "A batch entry id can only contain alphanumeric characters, hyphens and "
                         "underscores. It can be at most 80 letters long."});
    if (!ids.insert(e.id).second)
      return reply(Error{ErrorCode::kSnsBatchEntryIdsNotDistinct,
                         "Two or more batch entries in the request have the same Id."});
    total += message_size(e.request);
  }
  if (total > kMaxMessageBytes)
    return reply(Error{ErrorCode::kSnsBatchRequestTooLong,
                       "The length of all the messages put together is more than the limit."});
  PublishBatchResult out;
  WriteBatch batch;
  std::vector<std::string> started;
  // An entry with a malformed structure or FIFO ids fails the whole request, as Publish would;
  // one with bad content (attributes, subject, size) fails alone.
  for (const auto& e : entries)
    if (auto err = validate_publish_shape(e.request, *topic)) return reply(*err);
  for (auto& e : entries) {
    if (auto err = validate_publish(e.request, *topic)) {
      out.failed.push_back({e.id, std::string(err->info().query_code), err->message, true});
      continue;
    }
    auto result = accept(caller, **topic, std::move(e.request), batch, started);
    if (!result)
      out.failed.push_back(
          {e.id, std::string(result.error().info().query_code), result.error().message, true});
    else
      out.successful.emplace_back(e.id, std::move(result.value()));
  }
  commit(std::move(batch), reply, [this, reply, out = std::move(out), started] {
    reply(out);
    for (const auto& id : started) deliver(id);
  });
}

// --- Deliveries -----------------------------------------------------------------------------

void Engine::deliver(const std::string& message_id) {
  auto it = publications_.find(message_id);
  if (it == publications_.end()) return;
  std::vector<std::string> targets(it->second.pending.begin(), it->second.pending.end());
  for (const auto& arn : targets) deliver_to(message_id, arn, 1);
}

void Engine::deliver_to(const std::string& message_id, const std::string& subscription_arn,
                        int attempt) {
  auto p_it = publications_.find(message_id);
  if (p_it == publications_.end()) return;
  auto s_it = subscriptions_.find(subscription_arn);
  if (s_it == subscriptions_.end()) return finish(message_id, subscription_arn);
  const Publication& p = p_it->second;
  const Subscription& sub = s_it->second;
  // Completions arrive on other threads; they come back to the core strand to be handled.
  Delivered done = on_strand<DeliveryOutcome>(
      [this, message_id, subscription_arn, attempt](DeliveryOutcome outcome) {
        delivery_done(message_id, subscription_arn, attempt, outcome);
      });
  if (sub.protocol == "sqs") {
    QueueDelivery d;
    d.queue_arn = sub.endpoint;
    if (sub.raw()) {
      d.body = message_for(p, "sqs");
      d.attributes = p.attributes;
    } else {
      d.body = notification(p, sub);
    }
    // Only a FIFO queue takes the ordering and deduplication ids; a standard queue
    // subscribed to a FIFO topic gets the message without them.
    if (sub.endpoint.ends_with(".fifo")) {
      d.group_id = p.group_id;
      d.deduplication_id = p.deduplication_id;
    }
    return env_.outlets.send_to_queue(std::move(d), done);
  }
  if (sub.protocol == "http" || sub.protocol == "https") {
    HttpRequest request;
    request.url = sub.endpoint;
    request.body = sub.raw() ? message_for(p, sub.protocol) : notification(p, sub);
    std::string content_type = request_content_type(sub);
    request.headers = {{"Content-Type", content_type},
                       {"User-Agent", "Amazon Simple Notification Service Agent"},
                       {"x-amz-sns-message-type", "Notification"},
                       {"x-amz-sns-message-id", p.message_id},
                       {"x-amz-sns-topic-arn", p.topic_arn},
                       {"x-amz-sns-subscription-arn", sub.arn}};
    if (sub.raw()) request.headers.push_back({"x-amz-sns-rawdelivery", "true"});
    return http_send(std::move(request), [done](HttpResponse response) {
      DeliveryOutcome outcome;
      outcome.ok = response.error.empty() && response.status >= 200 && response.status < 300;
      // No answer, throttling and server errors are worth retrying; other refusals are not.
      outcome.retryable =
          !response.error.empty() || response.status >= 500 || response.status == 429;
      outcome.error =
          response.error.empty() ? "HTTP " + std::to_string(response.status) : response.error;
      done(outcome);
    });
  }
  if (sub.protocol == "lambda")
    return env_.outlets.invoke_function(sub.endpoint, lambda_event(p, sub), done);
  // sms, email, email-json: the outbox stands in for the phone and the mailbox.
  json entry = {{"kind", sub.protocol},
                {"destination", sub.endpoint},
                {"topic_arn", p.topic_arn},
                {"subscription_arn", sub.arn},
                {"message_id", p.message_id}};
  if (sub.protocol == "email-json") {
    entry["message"] = notification(p, sub);
  } else {
    entry["message"] = message_for(p, sub.protocol);
    if (sub.protocol == "email") entry["subject"] = p.subject.value_or("AWS Notification Message");
  }
  WriteBatch batch;
  record_outbox(std::move(entry), batch);
  commit(std::move(batch), [done] { done(DeliveryOutcome{true, false, ""}); });
}

void Engine::delivery_done(const std::string& message_id, const std::string& subscription_arn,
                           int attempt, DeliveryOutcome outcome) {
  DeliveryStatus& status = delivery_status_[subscription_arn];
  status.last_at = env_.clock->now_ms();
  if (outcome.ok) {
    status.delivered++;
    return finish(message_id, subscription_arn);
  }
  status.last_error = outcome.error.empty() ? "Delivery failed" : outcome.error;
  auto p_it = publications_.find(message_id);
  auto s_it = subscriptions_.find(subscription_arn);
  if (p_it == publications_.end() || s_it == subscriptions_.end())
    return finish(message_id, subscription_arn);
  const Subscription& sub = s_it->second;
  bool http = sub.protocol == "http" || sub.protocol == "https";
  if (outcome.retryable && http) {
    RetryPolicy policy = retry_policy(sub);
    if (attempt <= policy.num_retries) {
      // Retries wait on the virtual clock, so a test can advance through the backoff.
      TimeMs at = env_.clock->now_ms() + TimeMs{policy.delay_before(attempt)} * 1000;
      auto id = std::make_shared<Timers::TimerId>(0);
      *id = env_.timers->schedule(at, [this, id, message_id, subscription_arn, attempt] {
        retry_timers_.erase(*id);
        deliver_to(message_id, subscription_arn, attempt + 1);
      });
      retry_timers_.insert(*id);
      status.retried++;
      return;
    }
  }
  status.failed++;
  // Given up: into the subscription's dead-letter queue, if it has one.
  auto dlq = sub.dead_letter_queue();
  if (!dlq) return finish(message_id, subscription_arn);
  const Publication& p = p_it->second;
  QueueDelivery d;
  d.queue_arn = *dlq;
  if (sub.raw()) {
    d.body = message_for(p, sub.protocol);
    d.attributes = p.attributes;
  } else {
    d.body = notification(p, sub);
  }
  // Why it failed rides along as message attributes, where SQS's limit of 10 leaves room; a
  // message with more attributes than SQS takes (the likely cause of its failure) goes
  // without them: the dead-letter queue must hold it.
  constexpr size_t kSqsMaxAttributes = 10;
  if (d.attributes.size() > kSqsMaxAttributes) d.attributes.clear();
  if (d.attributes.size() + 3 <= kSqsMaxAttributes) {
    d.attributes["ErrorCode"] = {"String", outcome.retryable ? "ServerError" : "ClientError",
                                 std::nullopt};
    d.attributes["ErrorMessage"] = {
        "String", outcome.error.empty() ? "Delivery failed" : outcome.error, std::nullopt};
    d.attributes["TopicArn"] = {"String", p.topic_arn, std::nullopt};
  }
  if (dlq->ends_with(".fifo")) {
    d.group_id = p.group_id;
    d.deduplication_id = p.deduplication_id;
  }
  env_.outlets.send_to_queue(
      std::move(d),
      on_strand<DeliveryOutcome>([this, message_id, subscription_arn](DeliveryOutcome) {
        finish(message_id, subscription_arn);
      }));
}

void Engine::finish(const std::string& message_id, const std::string& subscription_arn) {
  auto it = publications_.find(message_id);
  if (it == publications_.end()) return;
  it->second.pending.erase(subscription_arn);
  if (!it->second.pending.empty()) return;
  publications_.erase(it);
  WriteBatch batch;
  batch.erase(kPendingTable, message_id);
  env_.store->commit(std::move(batch), [](bool) {});
}

void Engine::record_outbox(json entry, WriteBatch& batch) {
  entry["id"] = ++outbox_sequence_;
  entry["timestamp"] = iso8601_ms(env_.clock->now_ms());
  batch.put(kOutboxTable, outbox_key(outbox_sequence_),
            entry.dump(-1, ' ', false, json::error_handler_t::replace));
  outbox_.push_back(std::move(entry));
  // The outbox keeps the latest messages only.
  while (outbox_.size() > kOutboxLimit) {
    batch.erase(kOutboxTable, outbox_key(outbox_[0]["id"].get<uint64_t>()));
    outbox_.erase(outbox_.begin());
  }
}

void Engine::send_confirmation(const Caller& caller, const Subscription& sub, bool unsubscribing) {
  auto topic = topics_.find(sub.topic_arn);
  if (topic == topics_.end()) return;
  std::string message_id;
  std::string body = confirmation(caller, sub, topic->second, unsubscribing, &message_id);
  if (sub.protocol == "http" || sub.protocol == "https") {
    HttpRequest request;
    request.url = sub.endpoint;
    request.body = std::move(body);
    request.headers = {{"Content-Type", "text/plain; charset=UTF-8"},
                       {"User-Agent", "Amazon Simple Notification Service Agent"},
                       {"x-amz-sns-message-type",
                        unsubscribing ? "UnsubscribeConfirmation" : "SubscriptionConfirmation"},
                       {"x-amz-sns-message-id", message_id},
                       {"x-amz-sns-topic-arn", topic->second.arn}};
    if (unsubscribing) request.headers.push_back({"x-amz-sns-subscription-arn", sub.arn});
    http_send(std::move(request), [](HttpResponse) {});
    return;
  }
  // email and email-json: the confirmation lands in the outbox with its link.
  json entry = {{"kind", sub.protocol},
                {"destination", sub.endpoint},
                {"topic_arn", topic->second.arn},
                {"subject", "AWS Notification - Subscription Confirmation"},
                {"subscribe_url", caller.endpoint + "/?Action=ConfirmSubscription&TopicArn=" +
                                      topic->second.arn + "&Token=" + sub.token}};
  entry["message"] = sub.protocol == "email-json"
                         ? body
                         : "You have chosen to subscribe to the topic:\n" + topic->second.arn +
                               "\n\nTo confirm this subscription, click or visit the link "
                               "below:\n" +
                               entry["subscribe_url"].get<std::string>();
  WriteBatch batch;
  record_outbox(std::move(entry), batch);
  env_.store->commit(std::move(batch), [](bool) {});
}

}  // namespace wyvern::topics
