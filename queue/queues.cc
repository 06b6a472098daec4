// Queue lifecycle: create, delete, look up, list, attributes, tags and permissions.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "engine.h"
#include "foundation/arn.h"
#include "foundation/codec.h"

namespace wyvern::queue {
namespace {

using json = nlohmann::json;

Error invalid_value(const std::string& name) {
  return Error{ErrorCode::kInvalidAttributeValue, "Invalid value for the parameter " + name + "."};
}

std::optional<int64_t> parse_int(const std::string& s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  size_t i = (s[0] == '-') ? 1 : 0;
  if (i == s.size()) return std::nullopt;
  for (size_t k = i; k < s.size(); ++k)
    if (!std::isdigit(static_cast<unsigned char>(s[k]))) return std::nullopt;
  return std::stoll(s);
}

bool is_bool(const std::string& s) {
  return s == "true" || s == "false";
}

// Settable attributes with their integer ranges (min, max); others are validated by hand.
struct IntAttribute {
  const char* name;
  int64_t min, max;
};
constexpr IntAttribute kIntAttributes[] = {
    {"DelaySeconds", 0, 900},
    {"MaximumMessageSize", 1024, 1048576},
    {"MessageRetentionPeriod", 60, 1209600},
    {"ReceiveMessageWaitTimeSeconds", 0, 20},
    {"VisibilityTimeout", 0, 43200},
    {"KmsDataKeyReusePeriodSeconds", 60, 86400},
};
constexpr const char* kOtherAttributes[] = {"Policy", "RedrivePolicy", "RedriveAllowPolicy",
                                            "KmsMasterKeyId", "SqsManagedSseEnabled"};
constexpr const char* kFifoAttributes[] = {"FifoQueue", "ContentBasedDeduplication",
                                           "DeduplicationScope", "FifoThroughputLimit"};
constexpr const char* kReadOnlyAttributes[] = {"ApproximateNumberOfMessages",
                                               "ApproximateNumberOfMessagesNotVisible",
                                               "ApproximateNumberOfMessagesDelayed",
                                               "CreatedTimestamp",
                                               "LastModifiedTimestamp",
                                               "QueueArn"};

template <typename List>
bool in(const List& list, const std::string& s) {
  return std::any_of(std::begin(list), std::end(list), [&](const char* n) { return s == n; });
}

bool valid_queue_name(const std::string& name, bool fifo) {
  std::string base = name;
  if (fifo) {
    if (name.size() < 5 || name.compare(name.size() - 5, 5, ".fifo") != 0) return false;
    base = name.substr(0, name.size() - 5);
  }
  if (name.empty() || name.size() > 80 || base.empty()) return false;
  return std::all_of(base.begin(), base.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

std::string arn_of(const std::string& region, const std::string& account, const std::string& name) {
  return "arn:aws:sqs:" + region + ":" + account + ":" + name;
}

// Parses "arn:aws:sqs:region:account:name".
struct ArnParts {
  std::string region, account, name;
};
std::optional<ArnParts> parse_arn(const std::string& arn) {
  auto parts = wyvern::parse_arn(arn);
  if (!parts || parts->service != "sqs" || parts->resource.empty()) return std::nullopt;
  return ArnParts{parts->region, parts->account, parts->resource};
}

// RedrivePolicy as AWS returns it: exactly the two keys, maxReceiveCount as a number.
// REQUIRES: `value` passed validation.
std::string canonical_redrive(const std::string& value) {
  auto doc = json::parse(value, nullptr, false);
  if (!doc.is_object() || !doc.contains("maxReceiveCount")) return value;
  const auto& count = doc["maxReceiveCount"];
  int64_t n = count.is_string()           ? parse_int(count.get<std::string>()).value_or(0)
              : count.is_number_integer() ? count.get<int64_t>()
                                          : 0;
  return json{{"deadLetterTargetArn", doc["deadLetterTargetArn"]}, {"maxReceiveCount", n}}.dump();
}

}  // namespace

Engine::~Engine() {
  // Timers outlive the engine: none of them may call back into it.
  env_.timers->cancel(sweep_timer_);
  for (auto& [key, q] : queues_) {
    for (auto& w : q.waiters) env_.timers->cancel(w.deadline_timer);
    env_.timers->cancel(q.wake_timer);
  }
  for (auto& [id, t] : move_tasks_) env_.timers->cancel(t.timer);
}

std::string Engine::url_of(const Caller& caller, const Queue& q) const {
  return caller.endpoint + "/" + q.account + "/" + q.name;
}

Result<Queue*> Engine::find_by_url(const Caller& caller, const std::string& url) {
  // Accept any host: clients reach us under many names. The path's last two segments are the
  // account and the queue name; a bare queue name is accepted too, as AWS's own endpoint does.
  std::string path = url;
  if (auto scheme = path.find("://"); scheme != std::string::npos) {
    auto slash = path.find('/', scheme + 3);
    path = slash == std::string::npos ? "" : path.substr(slash);
  }
  while (!path.empty() && path.back() == '/') path.pop_back();
  std::string name = path.substr(path.rfind('/') + 1);
  std::string account = caller.account;
  if (auto last = path.rfind('/'); last != std::string::npos && last > 0) {
    auto prev = path.rfind('/', last - 1);
    account = path.substr(prev == std::string::npos ? 0 : prev + 1,
                          last - (prev == std::string::npos ? 0 : prev + 1));
  }
  auto it = queues_.find(caller.region + "/" + account + "/" + name);
  if (name.empty() || it == queues_.end())
    return Error{ErrorCode::kQueueDoesNotExist, "The specified queue does not exist."};
  return &it->second;
}

Queue* Engine::find_by_arn(const std::string& arn) {
  auto parts = parse_arn(arn);
  if (!parts) return nullptr;
  auto it = queues_.find(parts->region + "/" + parts->account + "/" + parts->name);
  return it == queues_.end() ? nullptr : &it->second;
}

std::optional<Error> Engine::apply_attributes(Queue& q, const StringMap& attrs, bool creating) {
  // Validate everything first, so that a rejected call changes nothing.
  for (const auto& [name, value] : attrs) {
    if (in(kReadOnlyAttributes, name))
      return Error{ErrorCode::kInvalidAttributeName, "Unknown Attribute " + name + "."};
    bool known = in(kOtherAttributes, name) || in(kFifoAttributes, name) ||
                 std::any_of(std::begin(kIntAttributes), std::end(kIntAttributes),
                             [&](const IntAttribute& a) { return name == a.name; });
    if (!known) return Error{ErrorCode::kInvalidAttributeName, "Unknown Attribute " + name + "."};
    if (in(kFifoAttributes, name) && !q.fifo) {
      if (name == "DeduplicationScope" || name == "FifoThroughputLimit")
        return Error{ErrorCode::kInvalidAttributeName,
                     "You can specify the " + name + " only when FifoQueue is set to true."};
      return Error{ErrorCode::kInvalidAttributeName, "Unknown Attribute " + name + "."};
    }
    if (name == "FifoQueue" && value != "true")
      return Error{ErrorCode::kInvalidAttributeValue,
                   "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is "
                   "not supported."};
    for (const auto& a : kIntAttributes) {
      if (name != a.name) continue;
      auto v = parse_int(value);
      if (!v || *v < a.min || *v > a.max) return invalid_value(name);
    }
    if ((name == "ContentBasedDeduplication" || name == "SqsManagedSseEnabled") && !is_bool(value))
      return invalid_value(name);
    if (name == "DeduplicationScope" && value != "messageGroup" && value != "queue")
      return invalid_value(name);
    if (name == "FifoThroughputLimit" && value != "perQueue" && value != "perMessageGroupId")
      return invalid_value(name);
    if (name == "Policy" && !value.empty()) {
      auto doc = json::parse(value, nullptr, false);
      if (doc.is_discarded() || !doc.is_object()) return invalid_value(name);
    }
    if (name == "RedrivePolicy" && !value.empty()) {
      auto doc = json::parse(value, nullptr, false);
      if (doc.is_discarded() || !doc.is_object())
        return Error{ErrorCode::kInvalidParameterValue,
                     "Value " + value +
                         " for parameter RedrivePolicy is invalid. Reason: "
                         "Redrive policy is not a valid JSON map."};
      if (!doc.contains("deadLetterTargetArn") || !doc.contains("maxReceiveCount"))
        return Error{
            ErrorCode::kInvalidParameterValue,
            "Value " + value +
                " for parameter RedrivePolicy is invalid. Reason: Redrive policy does "
                "not contain mandatory attribute: " +
                (doc.contains("deadLetterTargetArn") ? "maxReceiveCount" : "deadLetterTargetArn") +
                "."};
      const auto& count = doc["maxReceiveCount"];
      int64_t n = -1;
      if (count.is_number_integer()) n = count.get<int64_t>();
      if (count.is_string()) n = parse_int(count.get<std::string>()).value_or(-1);
      if (n < 1 || n > 1000)
        return Error{ErrorCode::kInvalidParameterValue,
                     "Value " + value +
                         " for parameter RedrivePolicy is invalid. Reason: Invalid value for "
                         "maxReceiveCount: " +
                         count.dump() +
                         ", valid values are from 1 to 1000 "
                         "both inclusive."};
      std::string target = doc["deadLetterTargetArn"].is_string()
                               ? doc["deadLetterTargetArn"].get<std::string>()
                               : "";
      if (!parse_arn(target))
        return Error{ErrorCode::kInvalidParameterValue,
                     "Value " + value +
                         " for parameter RedrivePolicy is invalid. Reason: "
                         "Invalid value for deadLetterTargetArn."};
      Queue* dlq = find_by_arn(target);
      if (!dlq)
        return Error{ErrorCode::kInvalidParameterValue,
                     "Value " + value +
                         " for parameter RedrivePolicy is invalid. Reason: Dead-letter target "
                         "does not exist."};
      if (dlq->fifo != q.fifo)
        return Error{ErrorCode::kInvalidParameterValue,
                     "Value " + value + " for parameter RedrivePolicy is invalid. Reason: " +
                         (q.fifo ? "Dead-letter target must be a FIFO queue."
                                 : "Dead-letter target must be a standard queue.")};
      // The dead-letter queue's RedriveAllowPolicy decides who may use it.
      auto allow_it = dlq->attributes.find("RedriveAllowPolicy");
      if (allow_it != dlq->attributes.end() && !allow_it->second.empty()) {
        auto allow = json::parse(allow_it->second, nullptr, false);
        std::string permission = allow.value("redrivePermission", "allowAll");
        bool allowed = permission == "allowAll";
        if (permission == "byQueue" && allow.contains("sourceQueueArns"))
          for (const auto& src : allow["sourceQueueArns"])
            if (src.is_string() && src.get<std::string>() == q.arn) allowed = true;
        if (!allowed)
          return Error{ErrorCode::kInvalidParameterValue,
                       "Value " + value +
                           " for parameter RedrivePolicy is invalid. Reason: "
                           "Queue " +
                           q.arn + " is not allowed to use " + target +
                           " as its dead-letter queue."};
      }
    }
    if (name == "RedriveAllowPolicy" && !value.empty()) {
      auto doc = json::parse(value, nullptr, false);
      auto bad = [&](const std::string& why) {
        return Error{
            ErrorCode::kInvalidParameterValue,
            "Value " + value + " for parameter RedriveAllowPolicy is invalid. Reason: " + why};
      };
      if (doc.is_discarded() || !doc.is_object()) return bad("Invalid JSON.");
      std::string permission =
          doc.contains("redrivePermission") && doc["redrivePermission"].is_string()
              ? doc["redrivePermission"].get<std::string>()
              : "";
      if (permission != "allowAll" && permission != "denyAll" && permission != "byQueue")
        return bad("Invalid value for redrivePermission.");
      bool has_sources = doc.contains("sourceQueueArns");
      if (permission == "byQueue") {
        if (!has_sources || !doc["sourceQueueArns"].is_array() || doc["sourceQueueArns"].empty() ||
            doc["sourceQueueArns"].size() > 10)
          return bad(
              "Amazon SQS can't create the redrive allow policy, as it's in an invalid "
              "format.");
      } else if (has_sources) {
        return bad(
            "Amazon SQS can't create the redrive allow policy, as it's in an invalid "
            "format.");
      }
    }
  }

  // High-throughput FIFO: per-group throughput needs per-group deduplication.
  auto effective = [&](const char* name) {
    auto it = attrs.find(name);
    if (it != attrs.end()) return it->second;
    auto cur = q.attributes.find(name);
    return cur == q.attributes.end() ? std::string() : cur->second;
  };
  if (q.fifo && effective("FifoThroughputLimit") == "perMessageGroupId" &&
      effective("DeduplicationScope") != "messageGroup")
    return Error{ErrorCode::kInvalidParameterValue,
                 "The perMessageGroupId value is allowed only when the value for "
                 "DeduplicationScope is messageGroup"};

  auto kms = attrs.find("KmsMasterKeyId");
  auto sse = attrs.find("SqsManagedSseEnabled");
  if (kms != attrs.end() && !kms->second.empty() && sse != attrs.end() && sse->second == "true")
    return Error{ErrorCode::kInvalidAttributeName,
                 "You can use one type of server-side encryption (SSE) at one time. You can "
                 "either enable KMS SSE or SQS SSE."};

  for (const auto& [name, value] : attrs) {
    if (name == "KmsMasterKeyId") {
      // KMS and SQS-managed encryption exclude each other; the reuse period shows with KMS.
      if (value.empty()) {
        q.attributes.erase("KmsMasterKeyId");
        q.attributes.erase("KmsDataKeyReusePeriodSeconds");
      } else {
        q.attributes[name] = value;
        q.attributes["SqsManagedSseEnabled"] = "false";
        q.attributes.emplace("KmsDataKeyReusePeriodSeconds", "300");
      }
      continue;
    }
    if (value.empty() &&
        (name == "Policy" || name == "RedrivePolicy" || name == "RedriveAllowPolicy")) {
      q.attributes.erase(name);
      continue;
    }
    if (name == "RedrivePolicy") {
      q.attributes[name] = canonical_redrive(value);
      continue;
    }
    q.attributes[name] = value;
  }

  derive_settings(q);
  return std::nullopt;
}

void Engine::derive_settings(Queue& q) {
  auto get_int = [&](const char* name, int fallback) {
    auto it = q.attributes.find(name);
    return it == q.attributes.end() ? fallback : static_cast<int>(*parse_int(it->second));
  };
  q.visibility_timeout = get_int("VisibilityTimeout", 30);
  q.delay_seconds = get_int("DelaySeconds", 0);
  q.retention_seconds = get_int("MessageRetentionPeriod", 345600);
  q.maximum_message_size = get_int("MaximumMessageSize", 1048576);
  q.receive_wait_seconds = get_int("ReceiveMessageWaitTimeSeconds", 0);
  auto is = [&](const char* name, const char* value) {
    auto it = q.attributes.find(name);
    return it != q.attributes.end() && it->second == value;
  };
  q.content_based_deduplication = is("ContentBasedDeduplication", "true");
  q.dedup_per_group = is("DeduplicationScope", "messageGroup");
  q.redrive.reset();
  if (auto it = q.attributes.find("RedrivePolicy"); it != q.attributes.end()) {
    auto doc = json::parse(it->second);
    q.redrive =
        Redrive{doc["deadLetterTargetArn"].get<std::string>(), doc["maxReceiveCount"].get<int>()};
  }
}

StringMap Engine::all_attributes(Queue& q, TimeMs now) {
  StringMap out = q.attributes;
  int64_t visible = 0, in_flight = 0, delayed = 0;
  for (const StoredMessage& m : q.messages.by_arrival()) {
    switch (m.state(now)) {
      case StoredMessage::State::kVisible:
        ++visible;
        break;
      case StoredMessage::State::kInFlight:
        ++in_flight;
        break;
      case StoredMessage::State::kDelayed:
        ++delayed;
        break;
    }
  }
  out["ApproximateNumberOfMessages"] = std::to_string(visible);
  out["ApproximateNumberOfMessagesNotVisible"] = std::to_string(in_flight);
  out["ApproximateNumberOfMessagesDelayed"] = std::to_string(delayed);
  out["CreatedTimestamp"] = std::to_string(q.created_at / 1000);
  out["LastModifiedTimestamp"] = std::to_string(q.modified_at / 1000);
  out["QueueArn"] = q.arn;
  return out;
}

void Engine::persist_queue(const Queue& q, WriteBatch& batch) const {
  json doc = {{"name", q.name},
              {"account", q.account},
              {"region", q.region},
              {"fifo", q.fifo},
              {"attributes", q.attributes},
              {"tags", q.tags},
              {"created_at", q.created_at},
              {"modified_at", q.modified_at},
              {"last_purge_at", q.last_purge_at}};
  batch.put(kQueuesTable, q.key, doc.dump());
}

void Engine::create_queue(const Caller& caller, CreateQueueRequest r, Reply<std::string> reply) {
  TimeMs now = env_.clock->now_ms();
  auto fifo_attr = r.attributes.find("FifoQueue");
  bool fifo = fifo_attr != r.attributes.end() && fifo_attr->second == "true";
  bool named_fifo =
      r.queue_name.size() >= 5 && r.queue_name.compare(r.queue_name.size() - 5, 5, ".fifo") == 0;
  if (!valid_queue_name(r.queue_name, fifo) || (named_fifo && !fifo))
    return reply(Error{ErrorCode::kInvalidParameterValue,
                       fifo ? "The name of a FIFO queue can only include alphanumeric "
                              "characters, hyphens, or underscores, must end with .fifo suffix "
                              "and be 1 to 80 in length."
                            : "Can only include alphanumeric characters, hyphens, or "
                              "underscores. 1 to 80 in length"});
  if (r.tags.size() > 50)
    return reply(Error{ErrorCode::kInvalidParameterValue,
                       "Too many tags added for queue " + r.queue_name + "."});

  std::string key = caller.region + "/" + caller.account + "/" + r.queue_name;
  if (auto it = queues_.find(key); it != queues_.end()) {
    // Idempotent only when every attribute given matches the existing queue's value.
    Queue& existing = it->second;
    StringMap current = all_attributes(existing, now);
    for (const auto& [name, value] : r.attributes) {
      auto cur = current.find(name);
      std::string have = cur == current.end() ? "" : cur->second;
      if (name == "FifoQueue") have = existing.fifo ? "true" : "false";
      std::string want = name == "RedrivePolicy" ? canonical_redrive(value) : value;
      if (cur == current.end() && name != "FifoQueue") {
        // An attribute left at its default matches its default value.
        static const StringMap kDefaults = {{"DelaySeconds", "0"},
                                            {"MaximumMessageSize", "1048576"},
                                            {"MessageRetentionPeriod", "345600"},
                                            {"ReceiveMessageWaitTimeSeconds", "0"},
                                            {"VisibilityTimeout", "30"},
                                            {"ContentBasedDeduplication", "false"}};
        auto d = kDefaults.find(name);
        if (d != kDefaults.end()) have = d->second;
      }
      if (have != want)
        return reply(Error{ErrorCode::kQueueNameExists,
                           "A queue already exists with the same name and a different value for "
                           "attribute " +
                               name});
    }
    return reply(url_of(caller, existing));
  }

  Queue q;
  q.key = key;
  q.name = r.queue_name;
  q.account = caller.account;
  q.region = caller.region;
  q.arn = arn_of(q.region, q.account, q.name);
  q.fifo = fifo;
  q.created_at = q.modified_at = now;
  q.attributes = {{"DelaySeconds", "0"},
                  {"MaximumMessageSize", "1048576"},
                  {"MessageRetentionPeriod", "345600"},
                  {"ReceiveMessageWaitTimeSeconds", "0"},
                  {"VisibilityTimeout", "30"},
                  {"SqsManagedSseEnabled", "true"}};
  if (fifo) {
    q.attributes["FifoQueue"] = "true";
    q.attributes["ContentBasedDeduplication"] = "false";
    q.attributes["DeduplicationScope"] = "queue";
    q.attributes["FifoThroughputLimit"] = "perQueue";
  }
  if (auto err = apply_attributes(q, r.attributes, true)) return reply(*err);
  q.tags = std::move(r.tags);
  WriteBatch batch;
  persist_queue(q, batch);
  std::string url = url_of(caller, q);
  queues_.emplace(key, std::move(q));
  commit_then_reply(std::move(batch), std::move(reply), std::move(url));
}

void Engine::delete_queue(const Caller& caller, const std::string& url, Reply<Ok> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  Queue& queue = **q;
  WriteBatch batch;
  for (const StoredMessage& m : queue.messages.by_arrival())
    batch.erase(kMessagesTable, message_key(queue, m.seq));
  for (const auto& [k, d] : queue.dedup) batch.erase(kDedupTable, queue.key + '\0' + k);
  batch.erase(kQueuesTable, queue.key);
  // Parked receives end with no messages, as they would when their wait ran out.
  for (auto& w : queue.waiters) {
    env_.timers->cancel(w.deadline_timer);
    w.reply(std::vector<ReceivedMessage>{});
  }
  env_.timers->cancel(queue.wake_timer);
  queues_.erase(queue.key);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

void Engine::get_queue_url(const Caller& caller, const GetQueueUrlRequest& r,
                           Reply<std::string> reply) {
  std::string account = r.owner_account.value_or(caller.account);
  auto it = queues_.find(caller.region + "/" + account + "/" + r.queue_name);
  if (it == queues_.end())
    return reply(Error{ErrorCode::kQueueDoesNotExist, "The specified queue does not exist."});
  reply(url_of(caller, it->second));
}

void Engine::list_queues(const Caller& caller, const ListQueuesRequest& r,
                         Reply<ListQueuesResult> reply) {
  if (r.max_results && (*r.max_results < 1 || *r.max_results > 1000))
    return reply(Error{ErrorCode::kInvalidParameterValue,
                       "Value for parameter MaxResults is invalid. Reason: MaxResults must be an "
                       "integer between 1 and 1000."});
  std::string start;
  if (r.next_token) {
    auto decoded = base64_decode(*r.next_token);
    if (!decoded)
      return reply(Error{ErrorCode::kInvalidParameterValue, "Invalid NextToken value."});
    start = *decoded;
  }
  std::string scope = caller.region + "/" + caller.account + "/";
  std::string prefix = scope + r.prefix.value_or("");
  size_t limit = r.max_results.value_or(1000);
  ListQueuesResult out;
  for (auto it = queues_.lower_bound(std::max(prefix, start)); it != queues_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    if (!start.empty() && it->first == start) continue;
    if (out.queue_urls.size() == limit) {
      // Only a caller who asked for pages gets a token (as AWS does).
      if (r.max_results) out.next_token = base64_encode(std::prev(it)->first);
      break;
    }
    out.queue_urls.push_back(url_of(caller, it->second));
  }
  reply(std::move(out));
}

void Engine::get_queue_attributes(const Caller& caller, const std::string& url,
                                  const std::vector<std::string>& names, Reply<StringMap> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  TimeMs now = env_.clock->now_ms();
  WriteBatch batch;
  expire(**q, now, batch);  // counters are exact: expired messages are gone first
  StringMap all = all_attributes(**q, now);
  StringMap out;
  for (const auto& name : names) {
    if (name == "All") {
      out = all;
      break;
    }
    if (all.count(name)) {
      out[name] = all[name];
      continue;
    }
    bool known = in(kOtherAttributes, name) || in(kFifoAttributes, name) ||
                 in(kReadOnlyAttributes, name) ||
                 std::any_of(std::begin(kIntAttributes), std::end(kIntAttributes),
                             [&](const IntAttribute& a) { return name == a.name; });
    if (!known)
      return reply(Error{ErrorCode::kInvalidAttributeName, "Unknown Attribute " + name + "."});
  }
  if (batch.empty()) return reply(std::move(out));
  commit_then_reply(std::move(batch), std::move(reply), std::move(out));
}

void Engine::set_queue_attributes(const Caller& caller, const std::string& url,
                                  const StringMap& attributes, Reply<Ok> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  if (auto err = apply_attributes(**q, attributes, false)) return reply(*err);
  (*q)->modified_at = env_.clock->now_ms();
  WriteBatch batch;
  persist_queue(**q, batch);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
  serve_waiters(**q);  // a shorter delay or retention can change what is receivable
}

void Engine::tag_queue(const Caller& caller, const std::string& url, const StringMap& tags,
                       Reply<Ok> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  if (tags.empty())
    return reply(
        Error{ErrorCode::kMissingParameter, "The request must contain the parameter Tags."});
  StringMap merged = (*q)->tags;
  for (const auto& [k, v] : tags) merged[k] = v;
  if (merged.size() > 50)
    return reply(Error{ErrorCode::kInvalidParameterValue,
                       "Too many tags added for queue " + (*q)->name + "."});
  (*q)->tags = std::move(merged);
  WriteBatch batch;
  persist_queue(**q, batch);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

void Engine::untag_queue(const Caller& caller, const std::string& url,
                         const std::vector<std::string>& keys, Reply<Ok> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  if (keys.empty())
    return reply(
        Error{ErrorCode::kMissingParameter, "The request must contain the parameter TagKeys."});
  for (const auto& k : keys) (*q)->tags.erase(k);
  WriteBatch batch;
  persist_queue(**q, batch);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

void Engine::list_queue_tags(const Caller& caller, const std::string& url, Reply<StringMap> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  reply((*q)->tags);
}

void Engine::peek_messages(const Caller& caller, const std::string& url, size_t limit,
                           Reply<std::vector<PeekedMessage>> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  TimeMs now = env_.clock->now_ms();
  std::vector<PeekedMessage> out;
  for (const StoredMessage& m : (*q)->messages.by_arrival()) {
    if (out.size() >= limit) break;
    PeekedMessage p;
    p.message_id = m.message_id.text();
    p.body = m.body;
    switch (m.state(now)) {
      case StoredMessage::State::kVisible: p.state = "visible"; break;
      case StoredMessage::State::kInFlight: p.state = "in_flight"; break;
      case StoredMessage::State::kDelayed: p.state = "delayed"; break;
    }
    p.receive_count = m.receive_count;
    p.sent_at = m.sent_at;
    p.visible_at = m.visible_at;
    p.group_id = m.extras().group_id;
    p.dead_letter_source = m.extras().dead_letter_source;
    p.attributes = m.extras().attributes;
    out.push_back(std::move(p));
  }
  reply(std::move(out));
}

void Engine::purge_queue(const Caller& caller, const std::string& url, Reply<Ok> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  Queue& queue = **q;
  TimeMs now = env_.clock->now_ms();
  if (queue.last_purge_at != INT64_MIN && now - queue.last_purge_at < kPurgeIntervalMs)
    return reply(
        Error{ErrorCode::kPurgeQueueInProgress,
              "Only one PurgeQueue operation on " + queue.name + " is allowed every 60 seconds."});
  queue.last_purge_at = now;
  WriteBatch batch;
  while (!queue.messages.empty()) erase_message(queue, *queue.messages.by_arrival().begin(), batch);
  for (const auto& [k, d] : queue.dedup) batch.erase(kDedupTable, queue.key + '\0' + k);
  queue.dedup.clear();  // AWS forgets deduplication ids on purge too
  queue.receive_attempts.clear();
  persist_queue(queue, batch);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

void Engine::add_permission(const Caller& caller, const std::string& url, const std::string& label,
                            const std::vector<std::string>& accounts,
                            const std::vector<std::string>& actions, Reply<Ok> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  if (label.empty())
    return reply(
        Error{ErrorCode::kMissingParameter, "The request must contain the parameter Label."});
  if (accounts.empty())
    return reply(Error{ErrorCode::kMissingParameter,
                       "The request must contain the parameter AWSAccountIds."});
  if (actions.empty())
    return reply(
        Error{ErrorCode::kMissingParameter, "The request must contain the parameter ActionName."});
  if (label.size() > 80 || !std::all_of(label.begin(), label.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
      }))
    return reply(Error{ErrorCode::kInvalidParameterValue,
                       "Value " + label +
                           " for parameter Label is invalid. Reason: Can only "
                           "include alphanumeric characters, hyphens, or underscores. 1 to 80 in "
                           "length."});
  static const std::set<std::string> kActions = {"*",
                                                 "SendMessage",
                                                 "ReceiveMessage",
                                                 "DeleteMessage",
                                                 "ChangeMessageVisibility",
                                                 "GetQueueAttributes",
                                                 "GetQueueUrl",
                                                 "ListDeadLetterSourceQueues",
                                                 "PurgeQueue",
                                                 "ListQueueTags",
                                                 "ListMessageMoveTasks",
                                                 "StartMessageMoveTask",
                                                 "CancelMessageMoveTask"};
  if (actions.size() > 7)
    return reply(Error{ErrorCode::kOverLimit, std::to_string(actions.size()) +
                                                  " Actions were found, maximum allowed is 7."});
  for (const auto& a : actions)
    if (!kActions.count(a))
      return reply(Error{ErrorCode::kInvalidParameterValue,
                         "Value SQS:" + a +
                             " for parameter ActionName is invalid. Reason: "
                             "Please refer to the appropriate WSDL for a list of valid actions."});
  json policy = json::object();
  if (auto it = (*q)->attributes.find("Policy"); it != (*q)->attributes.end())
    policy = json::parse(it->second, nullptr, false);
  if (!policy.is_object()) policy = json::object();
  if (!policy.contains("Version")) policy["Version"] = "2008-10-17";
  if (!policy.contains("Id")) policy["Id"] = (*q)->arn + "/SQSDefaultPolicy";
  if (!policy.contains("Statement") || !policy["Statement"].is_array())
    policy["Statement"] = json::array();
  for (const auto& s : policy["Statement"])
    if (s.is_object() && s.contains("Sid") && s["Sid"] == label)
      return reply(Error{ErrorCode::kInvalidParameterValue,
                         "Value " + label +
                             " for parameter Label is invalid. Reason: Already "
                             "exists."});
  json principals = json::array();
  for (const auto& a : accounts) principals.push_back("arn:aws:iam::" + a + ":root");
  json action_list = json::array();
  for (const auto& a : actions) action_list.push_back("SQS:" + a);
  policy["Statement"].push_back(
      {{"Sid", label},
       {"Effect", "Allow"},
       {"Principal", {{"AWS", principals.size() == 1 ? principals[0] : principals}}},
       {"Action", action_list.size() == 1 ? action_list[0] : action_list},
       {"Resource", (*q)->arn}});
  (*q)->attributes["Policy"] = policy.dump();
  WriteBatch batch;
  persist_queue(**q, batch);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

void Engine::remove_permission(const Caller& caller, const std::string& url,
                               const std::string& label, Reply<Ok> reply) {
  auto q = find_by_url(caller, url);
  if (!q) return reply(q.error());
  if (label.empty())
    return reply(
        Error{ErrorCode::kMissingParameter, "The request must contain the parameter Label."});
  json policy;
  if (auto it = (*q)->attributes.find("Policy"); it != (*q)->attributes.end())
    policy = json::parse(it->second, nullptr, false);
  bool found = false;
  if (policy.is_object() && policy.contains("Statement") && policy["Statement"].is_array()) {
    auto& statements = policy["Statement"];
    for (auto it = statements.begin(); it != statements.end(); ++it)
      if (it->is_object() && it->contains("Sid") && (*it)["Sid"] == label) {
        statements.erase(it);
        found = true;
        break;
      }
  }
  if (!found)
    return reply(Error{ErrorCode::kInvalidParameterValue,
                       "Value " + label +
                           " for parameter Label is invalid. Reason: can't find "
                           "label."});
  if (policy["Statement"].empty())
    (*q)->attributes.erase("Policy");
  else
    (*q)->attributes["Policy"] = policy.dump();
  WriteBatch batch;
  persist_queue(**q, batch);
  commit_then_reply(std::move(batch), std::move(reply), Ok{});
}

}  // namespace wyvern::queue
