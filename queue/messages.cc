// Messages: send, receive (with long polling), delete and visibility changes.
//
// Lifecycle of a message: enqueue() inserts it with visible_at = now + delay. take() hands out
// messages whose visible_at has passed, bumping receive_count and receipt and pushing
// visible_at out by the visibility timeout. DeleteMessage erases it; retention (expire())
// erases it when it is too old; a receive past maxReceiveCount moves it to the dead-letter
// queue instead (redrive.cc). Every change is written to the store in the caller's batch.
//
// Long polling: a receive that finds nothing parks a Waiter on its queue with a deadline
// timer. Anything that may make a message available (a send, a visibility change, the queue's
// next visible_at passing) calls serve_waiters(), which answers parked receives in arrival order.
#include <algorithm>
#include <cctype>
#include <set>

#include "engine.h"
#include "foundation/codec.h"

namespace wyvern::queue {
namespace {

Error invalid(std::string message) {
  return Error{ErrorCode::kInvalidParameterValue, std::move(message)};
}

// MessageGroupId, MessageDeduplicationId, ReceiveRequestAttemptId: 1-128 characters,
// alphanumeric or punctuation.
bool valid_token(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || std::ispunct(u);
  });
}

std::string hex_char(uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "#x%X", cp);
  return buf;
}

bool attribute_wanted(const std::vector<std::string>& names, const std::string& name) {
  for (const auto& n : names) {
    if (n == "All" || n == ".*" || n == "*" || n == name) return true;
    if (n.size() > 2 && n.compare(n.size() - 2, 2, ".*") == 0 &&
        name.compare(0, n.size() - 1, n, 0, n.size() - 1) == 0)
      return true;
  }
  return false;
}

}  // namespace

uint64_t Engine::next_seq(TimeMs now) {
  // Time-based so that sequence numbers keep growing across restarts even when every message
  // of a queue was deleted (a stale receipt handle must never name a newer message).
  uint64_t now_us = static_cast<uint64_t>(now) * 1000;
  last_seq_ = std::max(last_seq_ + 1, now_us);
  return last_seq_;
}

std::string message_key(const Queue& q, uint64_t seq) {
  std::string key = q.key + '\0';
  put_u64_be(key, seq);
  return key;
}

void Engine::persist_message(const Queue& q, const StoredMessage& m, WriteBatch& batch) const {
  batch.put_with(kMessagesTable, message_key(q, m.seq),
                 [&](std::string& value) { append_encoded_message(m, value); });
}

void Engine::insert_message(Queue& q, StoredMessage m, WriteBatch& batch) {
  persist_message(q, m, batch);
  q.messages.insert(std::move(m));
}

void Engine::erase_message(Queue& q, StoredMessage& m, WriteBatch& batch) {
  batch.erase(kMessagesTable, message_key(q, m.seq));
  q.messages.erase(m);
}

void Engine::expire(Queue& q, TimeMs now, WriteBatch& batch, size_t limit) {
  TimeMs horizon = now - TimeMs{q.retention_seconds} * 1000;
  while (limit-- > 0) {
    StoredMessage* oldest = q.messages.oldest_retained();
    if (!oldest || oldest->retained_from > horizon) break;
    erase_message(q, *oldest, batch);
  }
}

std::optional<Error> Engine::validate_send(const Queue& q, const SendMessageRequest& r) const {
  if (r.body.empty())
    return Error{ErrorCode::kMissingParameter,
                 "The request must contain the parameter MessageBody."};
  if (auto bad = first_invalid_character(r.body))
    return Error{ErrorCode::kInvalidMessageContents,
                 "Invalid binary character '" + hex_char(*bad) +
                     "' was found in the message body, the set of allowed characters is #x9 | "
                     "#xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]"};
  if (r.delay_seconds) {
    if (q.fifo && *r.delay_seconds != 0)
      return invalid("Value " + std::to_string(*r.delay_seconds) +
                     " for parameter DelaySeconds is invalid. Reason: The request include "
                     "parameter that is not valid for this queue type.");
    if (*r.delay_seconds < 0 || *r.delay_seconds > 900)
      return invalid("Value " + std::to_string(*r.delay_seconds) +
                     " for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 "
                     "and <= 900.");
  }
  if (auto err = validate_message_attributes(r.attributes)) return err;
  for (const auto& [name, v] : r.system_attributes) {
    if (name != "AWSTraceHeader")
      return invalid("Message system attribute name '" + name + "' is invalid.");
    if (v.data_type != "String" || !v.string_value || v.string_value->empty())
      return invalid("Message system attribute '" + name +
                     "' must contain a non-empty value of type 'String'.");
  }
  if (r.group_id && !valid_token(*r.group_id))
    return invalid("Value " + *r.group_id +
                   " for parameter MessageGroupId is invalid. Reason: "
                   "MessageGroupId can only include alphanumeric and punctuation characters. 1 "
                   "to 128 in length.");
  if (r.deduplication_id && !valid_token(*r.deduplication_id))
    return invalid("Value " + *r.deduplication_id +
                   " for parameter MessageDeduplicationId is invalid. Reason: "
                   "MessageDeduplicationId can only include alphanumeric and punctuation "
                   "characters. 1 to 128 in length.");
  if (q.fifo) {
    if (!r.group_id)
      return Error{ErrorCode::kMissingParameter,
                   "The request must contain the parameter MessageGroupId."};
    if (!r.deduplication_id && !q.content_based_deduplication)
      return invalid(
          "The queue should either have ContentBasedDeduplication enabled or "
          "MessageDeduplicationId provided explicitly");
  } else if (r.deduplication_id) {
    return invalid(
        "The request include parameter MessageDeduplicationId which is not valid for "
        "this queue type");
  }
  if (message_size(r.body, r.attributes) > static_cast<size_t>(q.maximum_message_size))
    return invalid("One or more parameters are invalid. Reason: Message must be shorter than " +
                   std::to_string(q.maximum_message_size) + " bytes.");
  return std::nullopt;
}

SendMessageResult Engine::enqueue(Queue& q, SendMessageRequest r, const Caller& caller, TimeMs now,
                                  WriteBatch& batch, std::optional<Md5Digest> md5_of_body_given) {
  SendMessageResult out;
  Md5Digest md5_of_body = md5_of_body_given ? *md5_of_body_given : Md5Digest::of(r.body);
  out.md5_of_body = md5_of_body.hex();
  if (!r.attributes.empty()) out.md5_of_attributes = md5_of_attributes(r.attributes);
  std::optional<std::string> trace;
  if (auto it = r.system_attributes.find("AWSTraceHeader"); it != r.system_attributes.end()) {
    trace = it->second.string_value;
    out.md5_of_system_attributes = md5_of_attributes(r.system_attributes);
  }

  MessageId message_id;
  if (q.fifo) {
    std::string dedup_id = r.deduplication_id ? *r.deduplication_id : sha256_hex(r.body);
    std::string dedup_key = (q.dedup_per_group ? *r.group_id : std::string()) + '\n' + dedup_id;
    auto it = q.dedup.find(dedup_key);
    if (it != q.dedup.end() && it->second.expires_at > now) {
      // A duplicate within the window: accepted, not enqueued, answered as the original.
      out.message_id = it->second.message_id;
      char seq[24];
      std::snprintf(seq, sizeof seq, "%020llu", static_cast<unsigned long long>(it->second.seq));
      out.sequence_number = seq;
      return out;
    }
    r.deduplication_id = dedup_id;
    message_id = MessageId::random();
    DedupEntry entry{now + kDedupWindowMs, message_id.text(), next_seq(now)};
    std::string value;
    put_u64_be(value, static_cast<uint64_t>(entry.expires_at));
    put_u64_be(value, entry.seq);
    value += entry.message_id;
    batch.put(kDedupTable, q.key + '\0' + dedup_key, std::move(value));
    q.dedup[dedup_key] = entry;
    out.message_id = entry.message_id;
    char seq[24];
    std::snprintf(seq, sizeof seq, "%020llu", static_cast<unsigned long long>(entry.seq));
    out.sequence_number = seq;
  } else {
    message_id = MessageId::random();
    out.message_id = message_id.text();
  }

  StoredMessage m;
  m.seq = q.fifo ? std::stoull(*out.sequence_number) : next_seq(now);
  m.message_id = message_id;
  m.md5_of_body = md5_of_body;
  m.body = std::move(r.body);
  m.sender_id = SenderId(caller.account);
  if (!r.attributes.empty() || trace || r.group_id || r.deduplication_id) {
    MessageExtras& x = m.mutable_extras();
    x.attributes = std::move(r.attributes);
    x.trace_header = std::move(trace);
    x.group_id = r.group_id.value_or("");
    x.deduplication_id = r.deduplication_id.value_or("");
  }
  m.sent_at = m.retained_from = now;
  int delay = r.delay_seconds && !q.fifo ? *r.delay_seconds : q.delay_seconds;
  m.visible_at = now + TimeMs{delay} * 1000;
  insert_message(q, std::move(m), batch);
  return out;
}

void Engine::send_message(const Caller& caller, const std::string& url, SendMessageRequest r,
                          Reply<SendMessageResult> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  if (auto err = validate_send(**q, r)) return reply(*err);
  WriteBatch batch;
  auto result = enqueue(**q, std::move(r), caller, env_.clock->now_ms(), batch);
  commit_then_reply(std::move(batch), std::move(reply), std::move(result));
  serve_waiters(**q);
}

namespace {

// Checks that apply to every batch call: count, entry ids, distinct ids.
template <typename T>
std::optional<Error> validate_batch(const std::vector<BatchEntry<T>>& entries,
                                    const std::string& entry_name) {
  if (entries.empty())
    return Error{ErrorCode::kEmptyBatchRequest,
                 "There should be at least one " + entry_name + " in the request."};
  if (entries.size() > 10)
    return Error{ErrorCode::kTooManyEntriesInBatchRequest,
                 "Maximum number of entries per request are 10. You have sent " +
                     std::to_string(entries.size()) + "."};
  std::set<std::string> seen;
  for (const auto& e : entries) {
    bool ok =
        !e.id.empty() && e.id.size() <= 80 && std::all_of(e.id.begin(), e.id.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
        });
    if (!ok)
      return Error{ErrorCode::kInvalidBatchEntryId,
                   "A batch entry id can only contain alphanumeric characters, hyphens and "
                   "underscores. It can be at most 80 letters long."};
    if (!seen.insert(e.id).second)
      return Error{ErrorCode::kBatchEntryIdsNotDistinct, "Id " + e.id + " repeated."};
  }
  return std::nullopt;
}

BatchError batch_error(const std::string& id, const Error& e) {
  const auto& info = e.info();
  return BatchError{id, std::string(info.query_code), e.message, info.sender_fault};
}

}  // namespace

void Engine::send_message_batch(const Caller& caller, const std::string& url,
                                std::vector<BatchEntry<SendMessageRequest>> entries,
                                Reply<BatchResult<SendMessageResult>> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  Queue& queue = **q;
  if (auto err = validate_batch(entries, "SendMessageBatchRequestEntry")) return reply(*err);
  size_t total = 0;
  for (const auto& e : entries) total += message_size(e.request.body, e.request.attributes);
  if (total > 1048576)
    return reply(Error{ErrorCode::kBatchRequestTooLong,
                       "Batch requests cannot be longer than 1048576 bytes. You have sent " +
                           std::to_string(total) + " bytes."});
  if (queue.fifo) {
    // On FIFO queues these fail the whole request, not one entry.
    for (const auto& e : entries) {
      if (!e.request.group_id)
        return reply(invalid("The request must contain the parameter MessageGroupId."));
      if (!e.request.deduplication_id && !queue.content_based_deduplication)
        return reply(
            invalid("The queue should either have ContentBasedDeduplication enabled or "
                    "MessageDeduplicationId provided explicitly"));
    }
  }
  TimeMs now = env_.clock->now_ms();
  WriteBatch batch;
  // A message's record is its body and attributes plus some 250 bytes of key and fields; on
  // a FIFO queue each message also has a deduplication record.
  batch.reserve(2 * entries.size() + 1, total + 320 * entries.size());
  BatchResult<SendMessageResult> out;
  out.successful.reserve(entries.size());
  // Every body's digest in one pass: several at a time is a third of the cost of one by one.
  std::vector<std::string_view> bodies;
  bodies.reserve(entries.size());
  for (const auto& e : entries) bodies.push_back(e.request.body);
  std::vector<std::array<uint8_t, 16>> digests(entries.size());
  md5_many(bodies.data(), bodies.size(), digests.data());
  for (size_t i = 0; i < entries.size(); ++i) {
    auto& e = entries[i];
    if (auto err = validate_send(queue, e.request)) {
      Error entry_error = *err;
      // Inside a batch AWS words the size failure differently.
      const std::string kInvalid = "One or more parameters are invalid.";
      if (entry_error.message.rfind(kInvalid, 0) == 0)
        entry_error.message = "One or more parameters cannot be validated." +
                              entry_error.message.substr(kInvalid.size());
      out.failed.push_back(batch_error(e.id, entry_error));
      continue;
    }
    out.successful.emplace_back(
        e.id, enqueue(queue, std::move(e.request), caller, now, batch, Md5Digest{digests[i]}));
  }
  commit_then_reply(std::move(batch), std::move(reply), std::move(out));
  serve_waiters(queue);
}

std::string Engine::receipt_handle(const Queue& q, const StoredMessage& m) const {
  return base64_encode(q.key + '\n' + std::to_string(m.seq) + '\n' + std::to_string(m.receipt) +
                       '\n' + m.message_id.text());
}

Result<Engine::ReceiptRef> Engine::resolve_receipt(Queue& q, const std::string& handle) {
  auto not_valid =
      Error{ErrorCode::kReceiptHandleIsInvalid,
            "The input receipt handle \"" + handle + "\" is not a valid receipt handle."};
  auto decoded = base64_decode(handle);
  if (!decoded) return not_valid;
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t nl; (nl = decoded->find('\n', start)) != std::string::npos; start = nl + 1)
    parts.push_back(decoded->substr(start, nl - start));
  parts.push_back(decoded->substr(start));
  if (parts.size() != 4) return not_valid;
  if (parts[0] != q.key)
    return Error{ErrorCode::kReceiptHandleIsInvalid,
                 "The receipt handle \"" + handle + "\" is not valid for this queue."};
  uint64_t seq = 0, receipt = 0;
  try {
    seq = std::stoull(parts[1]);
    receipt = std::stoull(parts[2]);
  } catch (...) {
    return not_valid;
  }
  StoredMessage* m = q.messages.find(seq);
  if (!m || MessageId::parse(parts[3]) != m->message_id) return ReceiptRef{nullptr, receipt};
  return ReceiptRef{m, receipt};
}

ReceivedMessage Engine::render(const Queue& q, const StoredMessage& m,
                               const ReceiveMessageRequest& r) const {
  ReceivedMessage out;
  out.message_id = m.message_id.text();
  out.receipt_handle = receipt_handle(q, m);
  out.md5_of_body = m.md5_of_body.hex();
  out.body = m.body;
  std::vector<std::string> names = r.attribute_names;
  names.insert(names.end(), r.system_attribute_names.begin(), r.system_attribute_names.end());
  auto want = [&](const char* name) {
    return std::any_of(names.begin(), names.end(),
                       [&](const std::string& n) { return n == "All" || n == name; });
  };
  if (want("SenderId")) out.attributes["SenderId"] = m.sender_id.text();
  if (want("SentTimestamp")) out.attributes["SentTimestamp"] = std::to_string(m.sent_at);
  if (want("ApproximateReceiveCount"))
    out.attributes["ApproximateReceiveCount"] = std::to_string(m.receive_count);
  if (want("ApproximateFirstReceiveTimestamp"))
    out.attributes["ApproximateFirstReceiveTimestamp"] = std::to_string(m.first_received_at);
  const MessageExtras& x = m.extras();
  if (x.trace_header && want("AWSTraceHeader")) out.attributes["AWSTraceHeader"] = *x.trace_header;
  if (!x.dead_letter_source.empty() && want("DeadLetterQueueSourceArn"))
    out.attributes["DeadLetterQueueSourceArn"] = x.dead_letter_source;
  if (!x.group_id.empty() && want("MessageGroupId")) out.attributes["MessageGroupId"] = x.group_id;
  if (q.fifo) {
    if (want("MessageDeduplicationId"))
      out.attributes["MessageDeduplicationId"] = x.deduplication_id;
    if (want("SequenceNumber")) {
      char seq[24];
      std::snprintf(seq, sizeof seq, "%020llu", static_cast<unsigned long long>(m.seq));
      out.attributes["SequenceNumber"] = seq;
    }
  }
  for (const auto& [name, value] : x.attributes)
    if (attribute_wanted(r.message_attribute_names, name))
      out.message_attributes.emplace(name, value);
  if (!out.message_attributes.empty())
    out.md5_of_attributes = md5_of_attributes(out.message_attributes);
  return out;
}

std::vector<ReceivedMessage> Engine::take(Queue& q, const ReceiveMessageRequest& r, TimeMs now,
                                          WriteBatch& batch) {
  expire(q, now, batch);
  size_t max = static_cast<size_t>(r.max_number_of_messages.value_or(1));
  int visibility = r.visibility_timeout.value_or(q.visibility_timeout);

  // A FIFO retry with the same ReceiveRequestAttemptId gets the same messages back while they
  // are still in flight under the same receipts.
  if (q.fifo && r.receive_request_attempt_id) {
    auto it = q.receive_attempts.find(*r.receive_request_attempt_id);
    if (it != q.receive_attempts.end() && it->second.expires_at > now) {
      std::vector<ReceivedMessage> again;
      for (auto [seq, receipt] : it->second.receipts) {
        StoredMessage* m = q.messages.find(seq);
        if (!m || m->receipt != receipt || m->state(now) != StoredMessage::State::kInFlight) {
          again.clear();
          break;
        }
        again.push_back(render(q, *m, r));
      }
      if (!again.empty()) return again;
    }
  }

  std::vector<StoredMessage*> picked, to_dead_letter;
  auto over_limit = [&](const StoredMessage& m) {
    return q.redrive && m.receive_count >= q.redrive->max_receive_count;
  };
  if (q.fifo) {
    // Arrival order; a group whose earliest message is not visible (in flight or delayed)
    // is held back entirely, so each group is delivered strictly in order.
    std::set<std::string> held;
    for (StoredMessage& m : q.messages.by_arrival()) {
      if (picked.size() >= max) break;
      const std::string& group = m.extras().group_id;
      if (held.count(group)) continue;
      if (m.state(now) != StoredMessage::State::kVisible) {
        held.insert(group);
        continue;
      }
      (over_limit(m) ? to_dead_letter : picked).push_back(&m);
    }
  } else {
    for (StoredMessage& m : q.messages.by_visible_at()) {
      if (m.visible_at > now || picked.size() >= max) break;
      (over_limit(m) ? to_dead_letter : picked).push_back(&m);
    }
  }
  for (StoredMessage* m : to_dead_letter) dead_letter(q, *m, now, batch);

  std::vector<ReceivedMessage> out;
  Queue::Attempt attempt{now + kDedupWindowMs, {}};
  for (StoredMessage* picked_message : picked) {
    StoredMessage& m = *picked_message;
    ++m.receive_count;
    ++m.receipt;
    if (m.first_received_at == 0) m.first_received_at = now;
    m.last_received_at = now;
    q.messages.set_visible_at(m, now + TimeMs{visibility} * 1000);
    persist_message(q, m, batch);
    out.push_back(render(q, m, r));
    attempt.receipts.emplace_back(m.seq, m.receipt);
  }
  if (q.fifo && r.receive_request_attempt_id && !out.empty())
    q.receive_attempts[*r.receive_request_attempt_id] = std::move(attempt);
  return out;
}

void Engine::receive_message(const Caller& caller, const std::string& url, ReceiveMessageRequest r,
                             Reply<std::vector<ReceivedMessage>> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  Queue& queue = **q;
  if (r.max_number_of_messages && (*r.max_number_of_messages < 1 || *r.max_number_of_messages > 10))
    return reply(invalid("Value " + std::to_string(*r.max_number_of_messages) +
                         " for parameter MaxNumberOfMessages is invalid. Reason: Must be between "
                         "1 and 10, if provided."));
  if (r.wait_time_seconds && (*r.wait_time_seconds < 0 || *r.wait_time_seconds > 20))
    return reply(invalid("Value " + std::to_string(*r.wait_time_seconds) +
                         " for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= "
                         "20, if provided."));
  if (r.visibility_timeout && (*r.visibility_timeout < 0 || *r.visibility_timeout > 43200))
    return reply(invalid("Value " + std::to_string(*r.visibility_timeout) +
                         " for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and "
                         "<= 43200, if provided."));
  if (r.receive_request_attempt_id && !valid_token(*r.receive_request_attempt_id))
    return reply(invalid("Value " + *r.receive_request_attempt_id +
                         " for parameter ReceiveRequestAttemptId is invalid. Reason: "
                         "ReceiveRequestAttemptId can only include alphanumeric and punctuation "
                         "characters. 1 to 128 in length."));

  TimeMs now = env_.clock->now_ms();
  WriteBatch batch;
  auto messages = take(queue, r, now, batch);
  int wait = r.wait_time_seconds.value_or(queue.receive_wait_seconds);
  if (!messages.empty() || wait == 0) {
    commit_then_reply(std::move(batch), std::move(reply), std::move(messages));
    wake_dead_letter_queues();
    return;
  }
  if (!batch.empty()) env_.store->commit(std::move(batch), nullptr);  // expiries, dead-letters
  wake_dead_letter_queues();

  uint64_t id = next_waiter_id_++;
  Waiter w{id, caller, std::move(r), std::move(reply)};
  w.deadline_timer = env_.timers->schedule(now + TimeMs{wait} * 1000,
                                           [this, key = queue.key, id] { finish_waiter(key, id); });
  queue.waiters.push_back(std::move(w));
  arm_wake(queue, now);
}

void Engine::finish_waiter(const std::string& queue_key, uint64_t waiter_id) {
  auto q = queues_.find(queue_key);
  if (q == queues_.end()) return;
  auto& waiters = q->second.waiters;
  auto it = std::find_if(waiters.begin(), waiters.end(),
                         [&](const Waiter& w) { return w.id == waiter_id; });
  if (it == waiters.end()) return;
  // The wait ran out: one last look, then an empty answer.
  WriteBatch batch;
  auto messages = take(q->second, it->request, env_.clock->now_ms(), batch);
  auto reply = std::move(it->reply);
  env_.timers->cancel(it->deadline_timer);
  waiters.erase(it);
  commit_then_reply(std::move(batch), std::move(reply), std::move(messages));
  wake_dead_letter_queues();
}

void Engine::serve_waiters(Queue& q) {
  if (q.waiters.empty()) return;
  TimeMs now = env_.clock->now_ms();
  while (!q.waiters.empty()) {
    WriteBatch batch;
    auto messages = take(q, q.waiters.front().request, now, batch);
    if (messages.empty()) {
      if (!batch.empty()) env_.store->commit(std::move(batch), nullptr);
      break;
    }
    Waiter w = std::move(q.waiters.front());
    q.waiters.pop_front();
    env_.timers->cancel(w.deadline_timer);
    commit_then_reply(std::move(batch), std::move(w.reply), std::move(messages));
  }
  arm_wake(q, now);
  wake_dead_letter_queues();
}

void Engine::arm_wake(Queue& q, TimeMs now) {
  if (q.waiters.empty()) return;
  // The next moment something in this queue becomes visible on its own.
  const auto& order = q.messages.by_visible_at();
  auto next = order.upper_bound({now, UINT64_MAX});
  if (next == order.end() || next->visible_at >= q.wake_at) return;
  env_.timers->cancel(q.wake_timer);
  q.wake_at = next->visible_at;
  q.wake_timer = env_.timers->schedule(q.wake_at, [this, key = q.key] {
    auto it = queues_.find(key);
    if (it == queues_.end()) return;
    it->second.wake_at = INT64_MAX;
    serve_waiters(it->second);
  });
}

void Engine::delete_message(const Caller& caller, const std::string& url, const std::string& handle,
                            Reply<Ok> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  if (handle.empty())
    return reply(Error{ErrorCode::kMissingParameter,
                       "The request must contain the parameter ReceiptHandle."});
  auto ref = resolve_receipt(**q, handle);
  if (!ref) return reply(ref.error());
  // Standard queues accept any receipt the message was ever given, and a message already
  // gone deletes quietly.
  if (ref->expired_for(**q, env_.clock->now_ms()))
    return reply(invalid("Value " + handle +
                         " for parameter ReceiptHandle is invalid. Reason: "
                         "The receipt handle has expired."));
  WriteBatch batch;
  if (ref->message) erase_message(**q, *ref->message, batch);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

void Engine::delete_message_batch(const Caller& caller, const std::string& url,
                                  std::vector<BatchEntry<std::string>> entries,
                                  Reply<BatchResult<Ok>> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  if (auto err = validate_batch(entries, "DeleteMessageBatchRequestEntry")) return reply(*err);
  BatchResult<Ok> out;
  WriteBatch batch;
  TimeMs now = env_.clock->now_ms();
  for (const auto& e : entries) {
    auto ref = resolve_receipt(**q, e.request);
    if (!ref) {
      out.failed.push_back(batch_error(e.id, ref.error()));
      continue;
    }
    if (ref->expired_for(**q, now)) {
      out.failed.push_back(
          batch_error(e.id, invalid("Value " + e.request +
                                    " for parameter ReceiptHandle is invalid. Reason: "
                                    "The receipt handle has expired.")));
      continue;
    }
    if (ref->message) erase_message(**q, *ref->message, batch);
    out.successful.emplace_back(e.id, Ok{});
  }
  commit_then_reply(std::move(batch), std::move(reply), std::move(out));
}

std::optional<Error> Engine::change_visibility(Queue& q, const ChangeVisibilityRequest& r,
                                               TimeMs now, WriteBatch& batch) {
  if (r.receipt_handle.empty())
    return Error{ErrorCode::kMissingParameter,
                 "The request must contain the parameter ReceiptHandle."};
  if (r.visibility_timeout < 0 || r.visibility_timeout > 43200)
    return invalid("Value " + std::to_string(r.visibility_timeout) +
                   " for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and "
                   "43200.");
  auto ref = resolve_receipt(q, r.receipt_handle);
  if (!ref) return ref.error();
  if (!ref->message)
    return invalid("Value " + r.receipt_handle +
                   " for parameter ReceiptHandle is invalid. Reason: "
                   "Message does not exist or is not available for visibility timeout change.");
  if (ref->expired_for(q, now))
    return invalid("Value " + r.receipt_handle +
                   " for parameter ReceiptHandle is invalid. "
                   "Reason: The receipt handle has expired.");
  StoredMessage& msg = *ref->message;
  // AWS answers success and changes nothing for a standard message no longer in flight.
  if (msg.state(now) != StoredMessage::State::kInFlight) return std::nullopt;
  TimeMs until = now + TimeMs{r.visibility_timeout} * 1000;
  if (until - msg.last_received_at > TimeMs{43200} * 1000)
    return invalid("Value " + std::to_string(r.visibility_timeout) +
                   " for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout "
                   "for the message is beyond the limit [43200 seconds].");
  q.messages.set_visible_at(msg, until);
  persist_message(q, msg, batch);
  return std::nullopt;
}

void Engine::change_message_visibility(const Caller& caller, const std::string& url,
                                       const ChangeVisibilityRequest& r, Reply<Ok> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  WriteBatch batch;
  if (auto err = change_visibility(**q, r, env_.clock->now_ms(), batch)) return reply(*err);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
  serve_waiters(**q);
}

void Engine::change_message_visibility_batch(
    const Caller& caller, const std::string& url,
    std::vector<BatchEntry<ChangeVisibilityRequest>> entries, Reply<BatchResult<Ok>> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  if (auto err = validate_batch(entries, "ChangeMessageVisibilityBatchRequestEntry"))
    return reply(*err);
  BatchResult<Ok> out;
  WriteBatch batch;
  TimeMs now = env_.clock->now_ms();
  for (const auto& e : entries) {
    if (auto err = change_visibility(**q, e.request, now, batch))
      out.failed.push_back(batch_error(e.id, *err));
    else
      out.successful.emplace_back(e.id, Ok{});
  }
  commit_then_reply(std::move(batch), std::move(reply), std::move(out));
  serve_waiters(**q);
}

}  // namespace wyvern::queue
