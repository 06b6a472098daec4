// Topics and subscriptions: creating, listing, attributes, tags, permissions, and the
// confirmation handshake, with SNS's validation texts.
#include <algorithm>
#include <regex>

#include "foundation/arn.h"
#include "foundation/codec.h"
#include "topics/engine.h"

namespace wyvern::topics {
namespace {

Error invalid(const std::string& what) {
  return Error{ErrorCode::kSnsInvalidParameter, "Invalid parameter: " + what};
}
Error topic_not_found() {
  return Error{ErrorCode::kSnsNotFound, "Topic does not exist"};
}

constexpr size_t kPageSize = 100;
constexpr size_t kMaxTags = 50;
// Subscriptions of one topic that may carry a filter policy (AWS's default quota).
constexpr size_t kMaxFilterPoliciesPerTopic = 200;

// Attributes a caller may set on a topic, and those only a FIFO topic takes.
const std::set<std::string> kTopicAttributes = {"DeliveryPolicy",
                                                "DisplayName",
                                                "Policy",
                                                "TracingConfig",
                                                "KmsMasterKeyId",
                                                "SignatureVersion",
                                                "ContentBasedDeduplication",
                                                "FifoThroughputScope",
                                                "ArchivePolicy",
                                                "DataProtectionPolicy",
                                                "HTTPSuccessFeedbackRoleArn",
                                                "HTTPSuccessFeedbackSampleRate",
                                                "HTTPFailureFeedbackRoleArn",
                                                "SQSSuccessFeedbackRoleArn",
                                                "SQSSuccessFeedbackSampleRate",
                                                "SQSFailureFeedbackRoleArn",
                                                "LambdaSuccessFeedbackRoleArn",
                                                "LambdaSuccessFeedbackSampleRate",
                                                "LambdaFailureFeedbackRoleArn",
                                                "ApplicationSuccessFeedbackRoleArn",
                                                "ApplicationSuccessFeedbackSampleRate",
                                                "ApplicationFailureFeedbackRoleArn",
                                                "FirehoseSuccessFeedbackRoleArn",
                                                "FirehoseSuccessFeedbackSampleRate",
                                                "FirehoseFailureFeedbackRoleArn"};
const std::set<std::string> kFifoOnlyAttributes = {"ContentBasedDeduplication",
                                                   "FifoThroughputScope", "ArchivePolicy"};
const std::set<std::string> kSubscriptionAttributes = {
    "DeliveryPolicy", "FilterPolicy",        "FilterPolicyScope", "RawMessageDelivery",
    "RedrivePolicy",  "SubscriptionRoleArn", "ReplayPolicy"};
const std::set<std::string> kProtocols = {"http", "https", "email", "email-json",
                                          "sms",  "sqs",   "lambda"};

struct ArnParts {
  std::string service, region, account, resource;
};
// "arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE" (RESOURCE may hold more colons).
std::optional<ArnParts> parse_arn(const std::string& arn) {
  auto parts = wyvern::parse_arn(arn);
  if (!parts || parts->partition.rfind("aws", 0) != 0) return std::nullopt;
  ArnParts out{parts->service, parts->region, parts->account, parts->resource};
  if (out.resource.empty() || out.region.empty() || out.account.empty()) return std::nullopt;
  return out;
}

// AWS's first check of an ARN parameter: its number of colon-separated elements.
std::optional<Error> check_arn_shape(const std::string& arn, const std::string& parameter) {
  size_t elements = std::count(arn.begin(), arn.end(), ':') + 1;
  if (elements >= 6) return std::nullopt;
  return invalid(parameter + " Reason: An ARN must have at least 6 elements, not " +
                 std::to_string(elements));
}

bool valid_topic_name(const std::string& name) {
  std::string base = name;
  if (base.size() > 5 && base.ends_with(".fifo")) base.resize(base.size() - 5);
  return !name.empty() && name.size() <= 256 && std::all_of(base.begin(), base.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool is_json_object(const std::string& text) {
  json doc = json::parse(text, nullptr, false);
  return doc.is_object();
}


std::string default_policy(const Topic& t) {
  // Ordered as AWS writes it: Version, Id, Statement.
  using ordered = nlohmann::ordered_json;
  ordered statement = {{"Sid", "__default_statement_ID"},
                       {"Effect", "Allow"},
                       {"Principal", {{"AWS", "*"}}},
                       {"Action",
                        {"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                         "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                         "SNS:ListSubscriptionsByTopic", "SNS:Publish"}},
                       {"Resource", t.arn},
                       {"Condition", {{"StringEquals", {{"AWS:SourceOwner", t.account}}}}}};
  return ordered{{"Version", "2008-10-17"},
                 {"Id", "__default_policy_ID"},
                 {"Statement", ordered::array({statement})}}
      .dump();
}

const char kDefaultDeliveryPolicy[] =
    R"({"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,)"
    R"("numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,)"
    R"("backoffFunction":"linear"},"disableSubscriptionOverrides":false,)"
    R"("defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}})";

std::optional<Error> check_delivery_policy(const std::string& value) {
  json doc = json::parse(value, nullptr, false);
  if (!doc.is_object()) return invalid("DeliveryPolicy: failed to parse JSON.");
  return std::nullopt;
}

// Pages over `items` with the opaque token being the index of the first item of the page.
template <typename T>
Page<T> page_of(std::vector<T> items, const std::optional<std::string>& token) {
  size_t start = token ? std::strtoull(token->c_str(), nullptr, 10) : 0;
  Page<T> page;
  for (size_t i = start; i < items.size() && page.items.size() < kPageSize; ++i)
    page.items.push_back(std::move(items[i]));
  if (start + kPageSize < items.size()) page.next_token = std::to_string(start + kPageSize);
  return page;
}

}  // namespace

bool valid_phone_number(const std::string& number) {
  static const std::regex e164(R"(\+?[1-9][0-9]{4,14})");
  return std::regex_match(number, e164);
}

std::optional<std::string> Subscription::dead_letter_queue() const {
  auto it = attributes.find("RedrivePolicy");
  if (it == attributes.end()) return std::nullopt;
  json doc = json::parse(it->second, nullptr, false);
  if (!doc.is_object() || !doc.contains("deadLetterTargetArn") ||
      !doc["deadLetterTargetArn"].is_string())
    return std::nullopt;
  return doc["deadLetterTargetArn"].get<std::string>();
}

Engine::Engine(Env env) : env_(std::move(env)) {}

Engine::~Engine() {
  if (key_maker_.joinable()) key_maker_.join();
  sink_.close();
  for (auto id : retry_timers_) env_.timers->cancel(id);
}

void Engine::commit(WriteBatch batch, std::function<void()> then) {
  env_.store->commit(std::move(batch), on_strand<bool>([then = std::move(then)](bool) { then(); }));
}

void Engine::persist(const Topic& t, WriteBatch& batch) const {
  json doc = {{"arn", t.arn},
              {"name", t.name},
              {"region", t.region},
              {"account", t.account},
              {"fifo", t.fifo},
              {"attributes", t.attributes},
              {"tags", t.tags},
              {"subscriptions", t.subscriptions},
              {"deleted", t.subscriptions_deleted},
              {"sequence", t.sequence}};
  batch.put(kTopicsTable, t.arn, doc.dump());
}

void Engine::persist(const Subscription& s, WriteBatch& batch) const {
  json doc = {{"arn", s.arn},           {"topic", s.topic_arn},      {"protocol", s.protocol},
              {"endpoint", s.endpoint}, {"owner", s.owner},          {"confirmed", s.confirmed},
              {"token", s.token},       {"attributes", s.attributes}};
  batch.put(kSubscriptionsTable, s.arn, doc.dump());
}

void Engine::recover() {
  // The signing key outlives restarts, so a certificate fetched once keeps verifying.
  std::string key_pem, certificate_pem;
  env_.store->scan(kSettingsTable, [&](std::string_view key, std::string_view value) {
    if (key == "signing_key") key_pem = value;
    if (key == "signing_certificate") certificate_pem = value;
    if (key == "sms_attributes") {
      json doc = json::parse(value, nullptr, false);
      if (doc.is_object()) sms_attributes_ = doc.get<StringMap>();
    }
  });
  auto certificate_path = [](const Signer& signer) {
    return "/_wyvern/sns/SimpleNotificationService-" + md5_hex(signer.certificate_pem()) + ".pem";
  };
  std::promise<SigningKey> key;
  signing_key_ = key.get_future().share();
  std::optional<Signer> loaded;
  if (!key_pem.empty()) {
    if (auto read = Signer::load(key_pem, certificate_pem)) loaded = std::move(read.value());
  }
  if (key_maker_.joinable()) key_maker_.join();
  if (loaded) {
    key.set_value({*loaded, certificate_path(*loaded)});
  } else {
    key_maker_ = std::thread([this, key = std::move(key), certificate_path]() mutable {
      auto made = Signer::generate();
      if (!made) std::abort();  // OpenSSL cannot make an RSA key: nothing would work
      // Committed before anyone can sign with it, so that whatever they sign commits later.
      WriteBatch batch;
      batch.put(kSettingsTable, "signing_key", made.value().key_pem());
      batch.put(kSettingsTable, "signing_certificate", made.value().certificate_pem());
      env_.store->commit(std::move(batch), [](bool) {});
      std::string path = certificate_path(made.value());
      key.set_value({std::move(made.value()), std::move(path)});
    });
  }

  env_.store->scan(kTopicsTable, [&](std::string_view, std::string_view value) {
    json doc = json::parse(value, nullptr, false);
    if (!doc.is_object()) return;
    Topic t;
    t.arn = doc.value("arn", "");
    t.name = doc.value("name", "");
    t.region = doc.value("region", "");
    t.account = doc.value("account", "");
    t.fifo = doc.value("fifo", false);
    t.attributes = doc.value("attributes", StringMap{});
    t.tags = doc.value("tags", StringMap{});
    t.subscriptions = doc.value("subscriptions", std::vector<std::string>{});
    t.subscriptions_deleted = doc.value("deleted", int64_t{0});
    t.sequence = doc.value("sequence", uint64_t{0});
    topics_[t.arn] = std::move(t);
  });
  env_.store->scan(kSubscriptionsTable, [&](std::string_view, std::string_view value) {
    json doc = json::parse(value, nullptr, false);
    if (!doc.is_object()) return;
    Subscription s;
    s.arn = doc.value("arn", "");
    s.topic_arn = doc.value("topic", "");
    s.protocol = doc.value("protocol", "");
    s.endpoint = doc.value("endpoint", "");
    s.owner = doc.value("owner", "");
    s.confirmed = doc.value("confirmed", false);
    s.token = doc.value("token", "");
    for (auto& [name, v] : doc.value("attributes", StringMap{}))
      apply_subscription_attribute(s, name, v);
    subscriptions_[s.arn] = std::move(s);
  });
  env_.store->scan(kSettingsTable, [&](std::string_view key, std::string_view value) {
    // FIFO sequence numbers only grow, also across restarts.
    if (key.rfind("sequence/", 0) == 0)
      if (auto it = topics_.find(std::string(key.substr(9))); it != topics_.end())
        it->second.sequence = std::max<uint64_t>(
            it->second.sequence, std::strtoull(std::string(value).c_str(), nullptr, 10));
  });
  TimeMs now = env_.clock->now_ms();
  WriteBatch expired;
  env_.store->scan(kDedupTable, [&](std::string_view key, std::string_view value) {
    std::string k(key);
    size_t newline = k.find('\n');
    json doc = json::parse(value, nullptr, false);
    auto topic = newline == std::string::npos ? topics_.end() : topics_.find(k.substr(0, newline));
    if (topic == topics_.end() || !doc.is_object() || doc.value("expires_at", TimeMs{0}) <= now)
      return expired.erase(kDedupTable, k);
    topic->second.deduplication[k.substr(newline + 1)] = {
        doc.value("expires_at", TimeMs{0}), doc.value("message_id", ""), doc.value("sequence", "")};
  });
  env_.store->commit(std::move(expired), [](bool) {});
  env_.store->scan(kOutboxTable, [&](std::string_view key, std::string_view value) {
    json doc = json::parse(value, nullptr, false);
    if (doc.is_object()) outbox_.push_back(std::move(doc));
    outbox_sequence_ =
        std::max<uint64_t>(outbox_sequence_, std::strtoull(std::string(key).c_str(), nullptr, 10));
  });
  std::vector<std::string> unfinished;
  env_.store->scan(kPendingTable, [&](std::string_view, std::string_view value) {
    json doc = json::parse(value, nullptr, false);
    if (!doc.is_object()) return;
    Publication p;
    p.message_id = doc.value("id", "");
    p.topic_arn = doc.value("topic", "");
    p.message = doc.value("message", "");
    if (doc.contains("subject")) p.subject = doc["subject"].get<std::string>();
    p.structured = doc.value("structured", false);
    json attributes = doc.value("attributes", json::object());
    for (auto& [name, a] : attributes.items()) {
      MessageAttribute attribute{a.value("type", "String"), std::nullopt, std::nullopt};
      if (a.contains("string")) attribute.string_value = a["string"].get<std::string>();
      if (a.contains("binary"))
        attribute.binary_value = base64_decode(a["binary"].get<std::string>()).value_or("");
      p.attributes[name] = std::move(attribute);
    }
    if (doc.contains("group")) p.group_id = doc["group"].get<std::string>();
    if (doc.contains("dedup")) p.deduplication_id = doc["dedup"].get<std::string>();
    if (doc.contains("sequence")) p.sequence_number = doc["sequence"].get<std::string>();
    p.timestamp = doc.value("timestamp", TimeMs{0});
    p.endpoint = doc.value("endpoint", "");
    for (const auto& arn : doc.value("pending", std::vector<std::string>{}))
      if (subscriptions_.count(arn)) p.pending.insert(arn);
    unfinished.push_back(p.message_id);
    publications_[p.message_id] = std::move(p);
  });
  // Deliveries resume once the broker is serving (the outlets may need it).
  for (const auto& id : unfinished) env_.post([this, id] { deliver(id); });
}

void Engine::reset() {
  for (auto id : retry_timers_) env_.timers->cancel(id);
  retry_timers_.clear();
  topics_.clear();
  subscriptions_.clear();
  publications_.clear();
  unsubscribed_.clear();
  outbox_ = json::array();
  delivery_status_.clear();
  sms_attributes_.clear();
  // The signing key survives a reset (certificates fetched earlier stay valid); write it back
  // after the caller's wipe.
  WriteBatch batch;
  batch.put(kSettingsTable, "signing_key", signer().key_pem());
  batch.put(kSettingsTable, "signing_certificate", signer().certificate_pem());
  env_.post([this, batch = std::move(batch)]() mutable {
    env_.store->commit(std::move(batch), [](bool) {});
  });
}

Result<Topic*> Engine::find_topic(const Caller& caller, const std::string& arn) {
  if (auto err = check_arn_shape(arn, "TopicArn")) return *err;
  auto parts = parse_arn(arn);
  if (!parts || parts->service != "sns" || parts->region != caller.region)
    return invalid("TopicArn");
  auto it = topics_.find(arn);
  if (it == topics_.end()) return topic_not_found();
  return &it->second;
}

Result<Subscription*> Engine::find_subscription(const Caller& caller, const std::string& arn) {
  if (auto err = check_arn_shape(arn, "SubscriptionArn")) return *err;
  auto parts = parse_arn(arn);
  if (!parts || parts->service != "sns" || parts->region != caller.region)
    return invalid("SubscriptionArn");
  if (parts->resource.find(':') == std::string::npos) return invalid("SubscriptionId");
  auto it = subscriptions_.find(arn);
  if (it == subscriptions_.end())
    return Error{ErrorCode::kSnsNotFound, "Subscription does not exist"};
  return &it->second;
}

// --- Topics -----------------------------------------------------------------------------

void Engine::create_topic(const Caller& caller, const std::string& name,
                          const StringMap& attributes, const StringMap& tags,
                          Reply<std::string> reply) {
  auto fifo_attr = attributes.find("FifoTopic");
  bool fifo = fifo_attr != attributes.end() && fifo_attr->second == "true";
  if (fifo_attr != attributes.end() && fifo_attr->second != "true" && fifo_attr->second != "false")
    return reply(invalid("Attributes Reason: FifoTopic: Invalid value [" + fifo_attr->second +
                         "]. Must be true or false."));
  if (name.empty() || !valid_topic_name(name)) return reply(invalid("Topic Name"));
  if (fifo != name.ends_with(".fifo"))
    return reply(fifo ? invalid("Fifo Topic names must end with .fifo and must be made up of "
                                "only uppercase and lowercase ASCII letters, numbers, "
                                "underscores, and hyphens, and must be between 1 and 256 "
                                "characters long.")
                      : invalid("Topic Name"));
  for (const auto& [key, value] : attributes) {
    if (key == "FifoTopic") continue;
    if (!kTopicAttributes.count(key))
      return reply(invalid("Attributes Reason: Unknown attribute " + key));
    if (kFifoOnlyAttributes.count(key) && !fifo)
      return reply(invalid("Attributes Reason: " + key + " is only valid for FIFO topics"));
  }
  if (tags.size() > kMaxTags)
    return reply(Error{ErrorCode::kSnsTagLimitExceeded,
                       "Could not complete request: tag quota of per resource exceeded"});
  std::string arn = "arn:aws:sns:" + caller.region + ":" + caller.account + ":" + name;
  if (auto it = topics_.find(arn); it != topics_.end()) {
    // Creating an existing topic is idempotent when nothing about it would change.
    for (const auto& [key, value] : attributes) {
      if (key == "FifoTopic") continue;
      auto have = it->second.attributes.find(key);
      if (have == it->second.attributes.end() || have->second != value)
        return reply(invalid("Attributes Reason: Topic already exists with different attributes"));
    }
    for (const auto& [key, value] : tags) {
      auto have = it->second.tags.find(key);
      if (have != it->second.tags.end() && have->second != value)
        return reply(invalid("Tags Reason: Topic already exists with different tags"));
    }
    return reply(arn);
  }
  Topic t;
  t.arn = arn;
  t.name = name;
  t.region = caller.region;
  t.account = caller.account;
  t.fifo = fifo;
  t.tags = tags;
  for (const auto& [key, value] : attributes) {
    if (key == "FifoTopic") continue;
    if (key == "SignatureVersion" && value != "1" && value != "2")
      return reply(invalid("Attributes Reason: SignatureVersion"));
    if ((key == "Policy" || key == "DeliveryPolicy") && !is_json_object(value))
      return reply(invalid("Attributes Reason: " + key + ": failed to parse JSON."));
    if (key == "ContentBasedDeduplication" && value != "true" && value != "false")
      return reply(invalid("Attributes Reason: ContentBasedDeduplication: Invalid value [" + value +
                           "]. Must be true or false."));
    t.attributes[key] = value;
  }
  WriteBatch batch;
  persist(t, batch);
  topics_[arn] = std::move(t);
  commit(std::move(batch), reply, [reply, arn] { reply(arn); });
}

void Engine::delete_topic(const Caller& caller, const std::string& topic_arn, Reply<Ok> reply) {
  auto topic = find_topic(caller, topic_arn);
  if (!topic) {
    // Deleting a topic that is already gone succeeds, as in AWS.
    if (topic.error().code == ErrorCode::kSnsNotFound) return reply(Ok{});
    return reply(topic.error());
  }
  WriteBatch batch;
  for (const auto& arn : (*topic)->subscriptions) {
    subscriptions_.erase(arn);
    batch.erase(kSubscriptionsTable, arn);
  }
  for (const auto& [id, seen] : (*topic)->deduplication)
    batch.erase(kDedupTable, dedup_key(topic_arn, id));
  batch.erase(kTopicsTable, topic_arn);
  batch.erase(kSettingsTable, "sequence/" + topic_arn);
  topics_.erase(topic_arn);
  commit(std::move(batch), reply, [reply] { reply(Ok{}); });
}

void Engine::list_topics(const Caller& caller, const std::optional<std::string>& next_token,
                         Reply<Page<std::string>> reply) {
  std::vector<std::string> arns;
  for (const auto& [arn, t] : topics_)
    if (t.region == caller.region && t.account == caller.account) arns.push_back(arn);
  reply(page_of(std::move(arns), next_token));
}

StringMap Engine::topic_attributes(const Topic& t) const {
  StringMap out;
  int64_t confirmed = 0, pending = 0;
  for (const auto& arn : t.subscriptions) {
    auto it = subscriptions_.find(arn);
    if (it == subscriptions_.end()) continue;
    (it->second.confirmed ? confirmed : pending)++;
  }
  out["TopicArn"] = t.arn;
  out["Owner"] = t.account;
  out["Policy"] = default_policy(t);
  out["DisplayName"] = "";
  out["SubscriptionsConfirmed"] = std::to_string(confirmed);
  out["SubscriptionsPending"] = std::to_string(pending);
  out["SubscriptionsDeleted"] = std::to_string(t.subscriptions_deleted);
  out["EffectiveDeliveryPolicy"] = kDefaultDeliveryPolicy;
  if (t.fifo) {
    out["FifoTopic"] = "true";
    out["ContentBasedDeduplication"] = "false";
  }
  for (const auto& [key, value] : t.attributes) out[key] = value;
  if (auto it = t.attributes.find("DeliveryPolicy"); it != t.attributes.end())
    out["EffectiveDeliveryPolicy"] = it->second;
  return out;
}

void Engine::get_topic_attributes(const Caller& caller, const std::string& topic_arn,
                                  Reply<StringMap> reply) {
  auto topic = find_topic(caller, topic_arn);
  if (!topic) return reply(topic.error());
  reply(topic_attributes(**topic));
}

void Engine::set_topic_attributes(const Caller& caller, const std::string& topic_arn,
                                  const std::string& name, const std::string& value,
                                  Reply<Ok> reply) {
  auto topic = find_topic(caller, topic_arn);
  if (!topic) return reply(topic.error());
  Topic& t = **topic;
  if (!kTopicAttributes.count(name)) return reply(invalid("AttributeName"));
  if (kFifoOnlyAttributes.count(name) && !t.fifo)
    return reply(invalid("AttributeName: " + name + " is only valid for FIFO topics"));
  if (name == "SignatureVersion" && value != "1" && value != "2")
    return reply(invalid("SignatureVersion"));
  if (name == "ContentBasedDeduplication" && value != "true" && value != "false")
    return reply(invalid("ContentBasedDeduplication"));
  if (name == "Policy" && !is_json_object(value))
    return reply(invalid("Policy: failed to parse JSON."));
  if (name == "DeliveryPolicy" && !value.empty())
    if (auto err = check_delivery_policy(value)) return reply(*err);
  if (value.empty() && name != "DisplayName")
    t.attributes.erase(name);
  else
    t.attributes[name] = value;
  WriteBatch batch;
  persist(t, batch);
  commit(std::move(batch), reply, [reply] { reply(Ok{}); });
}

// --- Subscriptions -----------------------------------------------------------------------

std::optional<Error> Engine::check_subscription_attribute(const Subscription& sub,
                                                          const std::string& name,
                                                          const std::string& value,
                                                          bool subscribing) const {
  // Subscribe reports attribute problems under "Attributes Reason: ".
  std::string prefix = subscribing ? "Attributes Reason: " : "";
  if (!kSubscriptionAttributes.count(name))
    return subscribing ? invalid("Attributes Reason: Unknown attribute " + name)
                       : invalid("AttributeName");
  if (name == "RawMessageDelivery") {
    if (lower(value) != "true" && lower(value) != "false")
      return invalid(prefix + "RawMessageDelivery: Invalid value [" + value +
                     "]. Must be true or false.");
    bool supports_raw = sub.protocol == "sqs" || sub.protocol == "http" ||
                        sub.protocol == "https" || sub.protocol == "firehose";
    if (!supports_raw)
      return invalid(prefix + "Delivery protocol [" + sub.protocol +
                     "] does not support raw message delivery.");
  }
  if (name == "FilterPolicyScope" && !parse_filter_scope(value))
    return invalid(prefix +
                   "FilterPolicyScope: Invalid filter policy scope, please use either "
                   "MessageBody or MessageAttributes");
  if (name == "FilterPolicy" && !value.empty() && !sub.attributes.count("FilterPolicy")) {
    size_t filtered = 0;  // other subscriptions of the topic that filter
    if (auto topic = topics_.find(sub.topic_arn); topic != topics_.end())
      for (const auto& arn : topic->second.subscriptions)
        if (auto it = subscriptions_.find(arn); it != subscriptions_.end() && arn != sub.arn &&
                                                it->second.attributes.count("FilterPolicy"))
          ++filtered;
    if (filtered >= kMaxFilterPoliciesPerTopic)
      return Error{ErrorCode::kSnsFilterPolicyLimitExceeded,
                   "Filter policy limit exceeded: a topic can have at most " +
                       std::to_string(kMaxFilterPoliciesPerTopic) + " filter policies"};
  }
  if (name == "FilterPolicy" && !value.empty()) {
    if (value.size() > kSnsFilterPolicyMaxBytes)
      return invalid(prefix + "FilterPolicy: Filter policy is too long");
    auto scope_it = sub.attributes.find("FilterPolicyScope");
    FilterScope scope =
        scope_it == sub.attributes.end()
            ? FilterScope::kMessageAttributes
            : parse_filter_scope(scope_it->second).value_or(FilterScope::kMessageAttributes);
    auto compiled = FilterPolicy::compile(value, scope);
    if (!compiled) return invalid(prefix + compiled.error().message);
  }
  if (name == "FilterPolicyScope" && value == "MessageAttributes") {
    // A policy written for bodies may nest, which the attributes scope refuses.
    if (auto it = sub.attributes.find("FilterPolicy"); it != sub.attributes.end())
      if (auto compiled = FilterPolicy::compile(it->second, FilterScope::kMessageAttributes);
          !compiled)
        return invalid(prefix + compiled.error().message);
  }
  if (name == "RedrivePolicy" && !value.empty()) {
    json doc = json::parse(value, nullptr, false);
    if (!doc.is_object()) return invalid(prefix + "RedrivePolicy: failed to parse JSON.");
    if (!doc.contains("deadLetterTargetArn") || !doc["deadLetterTargetArn"].is_string())
      return invalid(prefix + "RedrivePolicy: deadLetterTargetArn is missing");
    auto parts = parse_arn(doc["deadLetterTargetArn"].get<std::string>());
    if (!parts || parts->service != "sqs")
      return invalid(prefix + "RedrivePolicy: deadLetterTargetArn is an invalid arn");
  }
  if (name == "DeliveryPolicy" && !value.empty()) {
    if (sub.protocol != "http" && sub.protocol != "https")
      return invalid(prefix + "DeliveryPolicy: Delivery policy is only supported for HTTP/S");
    if (auto err = check_delivery_policy(value)) return err;
  }
  return std::nullopt;
}

void Engine::apply_subscription_attribute(Subscription& sub, const std::string& name,
                                          const std::string& value) {
  std::string stored = value;
  if (name == "RawMessageDelivery")
    stored = lower(value) == "true" ? "true" : "false";  // AWS reads it in any case
  if (value.empty() && name != "RawMessageDelivery")
    sub.attributes.erase(name);
  else
    sub.attributes[name] = stored;
  if (name == "FilterPolicy" || name == "FilterPolicyScope") {
    sub.filter.reset();
    auto policy = sub.attributes.find("FilterPolicy");
    if (policy == sub.attributes.end()) return;
    auto scope_it = sub.attributes.find("FilterPolicyScope");
    FilterScope scope =
        scope_it == sub.attributes.end()
            ? FilterScope::kMessageAttributes
            : parse_filter_scope(scope_it->second).value_or(FilterScope::kMessageAttributes);
    if (auto compiled = FilterPolicy::compile(policy->second, scope))
      sub.filter = std::move(compiled.value());
  }
}

StringMap Engine::subscription_attributes(const Subscription& s) const {
  StringMap out = s.attributes;
  out["SubscriptionArn"] = s.arn;
  out["TopicArn"] = s.topic_arn;
  out["Protocol"] = s.protocol;
  out["Endpoint"] = s.endpoint;
  out["Owner"] = s.owner;
  out["PendingConfirmation"] = s.confirmed ? "false" : "true";
  out["ConfirmationWasAuthenticated"] = s.confirmed ? "true" : "false";
  out["SubscriptionPrincipal"] = "arn:aws:iam::" + s.owner + ":user/wyvern";
  if (!out.count("RawMessageDelivery")) out["RawMessageDelivery"] = "false";
  if (s.attributes.count("FilterPolicy") && !out.count("FilterPolicyScope"))
    out["FilterPolicyScope"] = "MessageAttributes";
  if (s.protocol == "http" || s.protocol == "https") {
    auto topic = topics_.find(s.topic_arn);
    std::string effective = kDefaultDeliveryPolicy;
    if (auto it = s.attributes.find("DeliveryPolicy"); it != s.attributes.end())
      effective = it->second;
    else if (topic != topics_.end())
      if (auto t = topic->second.attributes.find("DeliveryPolicy");
          t != topic->second.attributes.end())
        effective = t->second;
    out["EffectiveDeliveryPolicy"] = effective;
  }
  return out;
}

void Engine::subscribe(const Caller& caller, SubscribeRequest r, Reply<std::string> reply) {
  auto topic = find_topic(caller, r.topic_arn);
  if (!topic) return reply(topic.error());
  Topic& t = **topic;
  if (!kProtocols.count(r.protocol)) {
    if (r.protocol == "application" || r.protocol == "firehose")
      return reply(Error{ErrorCode::kNotImplemented,
                         "Wyvern does not deliver to the " + r.protocol + " protocol."});
    return reply(invalid("Amazon SNS does not support this protocol string: " + r.protocol));
  }
  std::string endpoint = r.endpoint.value_or("");
  if (endpoint.empty()) return reply(invalid("Endpoint"));
  if (r.protocol == "sqs" || r.protocol == "lambda") {
    auto parts = parse_arn(endpoint);
    if (!parts || parts->service != r.protocol)
      return reply(invalid(r.protocol == "sqs" ? "SQS endpoint ARN" : "Lambda endpoint ARN"));
    if (r.protocol == "sqs" && !t.fifo && parts->resource.ends_with(".fifo"))
      return reply(
          // AWS says "Invalid parameter" twice here.
          invalid("Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be "
                  "subscribed to standard SNS topics"));
  }
  if ((r.protocol == "http" || r.protocol == "https") && endpoint.rfind(r.protocol + "://", 0) != 0)
    return reply(invalid("Endpoint must match the specified protocol"));
  if ((r.protocol == "email" || r.protocol == "email-json") &&
      endpoint.find('@') == std::string::npos)
    return reply(invalid("Email address"));
  if (r.protocol == "sms" && !valid_phone_number(endpoint))
    return reply(Error{ErrorCode::kSnsInvalidParameter, "Invalid SMS endpoint: " + endpoint});
  if (t.fifo && r.protocol != "sqs") return reply(invalid("Invalid protocol type: " + r.protocol));

  Subscription sub;
  sub.topic_arn = t.arn;
  sub.protocol = r.protocol;
  sub.endpoint = endpoint;
  sub.owner = caller.account;
  // FilterPolicyScope first: it decides how FilterPolicy is read.
  std::vector<std::pair<std::string, std::string>> ordered(r.attributes.begin(),
                                                           r.attributes.end());
  std::stable_partition(ordered.begin(), ordered.end(),
                        [](const auto& kv) { return kv.first == "FilterPolicyScope"; });
  for (const auto& [name, value] : ordered) {
    if (auto err = check_subscription_attribute(sub, name, value, true)) return reply(*err);
    apply_subscription_attribute(sub, name, value);
  }

  // The same endpoint subscribed twice is the same subscription.
  for (const auto& arn : t.subscriptions) {
    auto it = subscriptions_.find(arn);
    if (it == subscriptions_.end()) continue;
    const Subscription& have = it->second;
    if (have.protocol != sub.protocol || have.endpoint != sub.endpoint) continue;
    for (const auto& [name, value] : sub.attributes) {
      auto a = have.attributes.find(name);
      if (a == have.attributes.end() || a->second != value)
        return reply(
            invalid("Attributes Reason: Subscription already exists with different "
                    "attributes"));
    }
    return reply(have.confirmed || r.return_subscription_arn ? have.arn : kPendingConfirmation);
  }

  sub.arn = t.arn + ":" + uuid4();
  // Queues, functions and phones need no handshake; HTTP and email endpoints confirm first.
  sub.confirmed = r.protocol == "sqs" || r.protocol == "lambda" || r.protocol == "sms";
  if (!sub.confirmed) sub.token = random_hex(64) + random_hex(64);
  t.subscriptions.push_back(sub.arn);
  WriteBatch batch;
  persist(sub, batch);
  persist(t, batch);
  std::string arn = sub.arn;
  bool confirmed = sub.confirmed;
  subscriptions_[arn] = std::move(sub);
  if (!confirmed) send_confirmation(caller, subscriptions_[arn], false);
  commit(std::move(batch), reply, [reply, arn, confirmed, wants = r.return_subscription_arn] {
    reply(confirmed || wants ? arn : kPendingConfirmation);
  });
}

void Engine::confirm_subscription(const Caller& caller, const std::string& topic_arn,
                                  const std::string& token, Reply<std::string> reply) {
  auto topic = find_topic(caller, topic_arn);
  if (!topic) {
    if (topic.error().code == ErrorCode::kSnsNotFound) return reply(invalid("Token"));
    return reply(topic.error());
  }
  for (const auto& arn : (*topic)->subscriptions) {
    auto it = subscriptions_.find(arn);
    if (it == subscriptions_.end() || it->second.token.empty() || it->second.token != token)
      continue;
    return confirmed(it->second, std::move(reply));
  }
  // The SubscribeURL of an UnsubscribeConfirmation restores the subscription.
  if (auto gone = unsubscribed_.find(token);
      gone != unsubscribed_.end() && gone->second.topic_arn == topic_arn) {
    Subscription sub = std::move(gone->second);
    unsubscribed_.erase(gone);
    sub.confirmed = true;
    (*topic)->subscriptions.push_back(sub.arn);
    WriteBatch batch;
    persist(sub, batch);
    persist(**topic, batch);
    std::string arn = sub.arn;
    subscriptions_[arn] = std::move(sub);
    return commit(std::move(batch), reply, [reply, arn] { reply(arn); });
  }
  // A token of the shape SNS hands out that matches nothing, versus something no token looks like.
  bool token_shaped = token.size() >= 64 && std::all_of(token.begin(), token.end(), [](char c) {
                        return std::isxdigit(static_cast<unsigned char>(c));
                      });
  reply(token_shaped ? invalid("Token") : Error{ErrorCode::kSnsInvalidParameter, "Invalid token"});
}

void Engine::confirmed(Subscription& sub, Reply<std::string> reply) {
  // Confirming again is harmless; the token stays valid, as AWS's does for days.
  if (sub.confirmed) return reply(sub.arn);
  sub.confirmed = true;
  WriteBatch batch;
  persist(sub, batch);
  commit(std::move(batch), reply, [reply, arn = sub.arn] { reply(arn); });
}

void Engine::unsubscribe(const Caller& caller, const std::string& subscription_arn,
                         Reply<Ok> reply) {
  auto sub = find_subscription(caller, subscription_arn);
  if (!sub) {
    // Unsubscribing what is already gone succeeds, as in AWS.
    if (sub.error().code == ErrorCode::kSnsNotFound) return reply(Ok{});
    return reply(sub.error());
  }
  Subscription& s = **sub;
  WriteBatch batch;
  if (auto topic = topics_.find(s.topic_arn); topic != topics_.end()) {
    auto& list = topic->second.subscriptions;
    list.erase(std::remove(list.begin(), list.end(), s.arn), list.end());
    topic->second.subscriptions_deleted++;
    persist(topic->second, batch);
    if (s.confirmed && (s.protocol == "http" || s.protocol == "https")) {
      send_confirmation(caller, s, true);
      // Kept in memory only: the confirmation's link can restore it until a restart.
      unsubscribed_[s.token] = s;
    }
  }
  batch.erase(kSubscriptionsTable, s.arn);
  subscriptions_.erase(subscription_arn);
  delivery_status_.erase(subscription_arn);
  commit(std::move(batch), reply, [reply] { reply(Ok{}); });
}

void Engine::list_subscriptions(const Caller& caller, const std::optional<std::string>& topic_arn,
                                const std::optional<std::string>& next_token,
                                Reply<Page<SubscriptionSummary>> reply) {
  std::vector<SubscriptionSummary> items;
  auto summary = [](const Subscription& s) {
    return SubscriptionSummary{s.confirmed ? s.arn : "PendingConfirmation", s.owner, s.protocol,
                               s.endpoint, s.topic_arn};
  };
  if (topic_arn) {
    auto topic = find_topic(caller, *topic_arn);
    if (!topic) return reply(topic.error());
    for (const auto& arn : (*topic)->subscriptions)
      if (auto it = subscriptions_.find(arn); it != subscriptions_.end())
        items.push_back(summary(it->second));
  } else {
    for (const auto& [arn, t] : topics_) {
      if (t.region != caller.region || t.account != caller.account) continue;
      for (const auto& sub_arn : t.subscriptions)
        if (auto it = subscriptions_.find(sub_arn); it != subscriptions_.end())
          items.push_back(summary(it->second));
    }
  }
  reply(page_of(std::move(items), next_token));
}

void Engine::get_subscription_attributes(const Caller& caller, const std::string& subscription_arn,
                                         Reply<StringMap> reply) {
  auto sub = find_subscription(caller, subscription_arn);
  if (!sub) return reply(sub.error());
  reply(subscription_attributes(**sub));
}

void Engine::set_subscription_attributes(const Caller& caller, const std::string& subscription_arn,
                                         const std::string& name, const std::string& value,
                                         Reply<Ok> reply) {
  auto sub = find_subscription(caller, subscription_arn);
  if (!sub) return reply(sub.error());
  if (auto err = check_subscription_attribute(**sub, name, value, false)) return reply(*err);
  apply_subscription_attribute(**sub, name, value);
  WriteBatch batch;
  persist(**sub, batch);
  commit(std::move(batch), reply, [reply] { reply(Ok{}); });
}

// --- Tags and permissions ---------------------------------------------------------------

void Engine::tag_resource(const Caller& caller, const std::string& arn, const StringMap& tags,
                          Reply<Ok> reply) {
  auto it = topics_.find(arn);
  if (it == topics_.end())
    return reply(Error{ErrorCode::kSnsResourceNotFound, "Resource does not exist"});
  StringMap merged = it->second.tags;
  for (const auto& [k, v] : tags) {
    if (k.empty() || k.size() > 128 || v.size() > 256) return reply(invalid("Tags"));
    merged[k] = v;
  }
  if (merged.size() > kMaxTags)
    return reply(Error{ErrorCode::kSnsTagLimitExceeded,
                       "Could not complete request: tag quota of per resource exceeded"});
  it->second.tags = std::move(merged);
  WriteBatch batch;
  persist(it->second, batch);
  commit(std::move(batch), reply, [reply] { reply(Ok{}); });
}

void Engine::untag_resource(const Caller& caller, const std::string& arn,
                            const std::vector<std::string>& keys, Reply<Ok> reply) {
  auto it = topics_.find(arn);
  if (it == topics_.end())
    return reply(Error{ErrorCode::kSnsResourceNotFound, "Resource does not exist"});
  for (const auto& k : keys) it->second.tags.erase(k);
  WriteBatch batch;
  persist(it->second, batch);
  commit(std::move(batch), reply, [reply] { reply(Ok{}); });
}

void Engine::list_tags_for_resource(const Caller& caller, const std::string& arn,
                                    Reply<StringMap> reply) {
  auto it = topics_.find(arn);
  if (it == topics_.end())
    return reply(Error{ErrorCode::kSnsResourceNotFound, "Resource does not exist"});
  reply(it->second.tags);
}

void Engine::add_permission(const Caller& caller, Permission p, Reply<Ok> reply) {
  auto topic = find_topic(caller, p.topic_arn);
  if (!topic) return reply(topic.error());
  Topic& t = **topic;
  if (p.label.empty()) return reply(invalid("Label"));
  if (p.accounts.empty()) return reply(invalid("AWSAccountId"));
  if (p.actions.empty()) return reply(invalid("ActionName"));
  auto policy_it = t.attributes.find("Policy");
  json policy = json::parse(policy_it == t.attributes.end() ? default_policy(t) : policy_it->second,
                            nullptr, false);
  if (!policy.is_object()) policy = json::parse(default_policy(t));
  if (!policy.contains("Statement") || !policy["Statement"].is_array())
    policy["Statement"] = json::array();
  for (const auto& s : policy["Statement"])
    if (s.is_object() && s.value("Sid", "") == p.label)
      return reply(invalid("Statement already exists"));
  json principals = json::array();
  for (const auto& a : p.accounts) principals.push_back("arn:aws:iam::" + a + ":root");
  json actions = json::array();
  for (const auto& a : p.actions) actions.push_back("SNS:" + a);
  policy["Statement"].push_back({{"Sid", p.label},
                                 {"Effect", "Allow"},
                                 {"Principal", {{"AWS", principals}}},
                                 {"Action", actions},
                                 {"Resource", t.arn}});
  t.attributes["Policy"] = policy.dump();
  WriteBatch batch;
  persist(t, batch);
  commit(std::move(batch), reply, [reply] { reply(Ok{}); });
}

void Engine::remove_permission(const Caller& caller, const std::string& topic_arn,
                               const std::string& label, Reply<Ok> reply) {
  auto topic = find_topic(caller, topic_arn);
  if (!topic) return reply(topic.error());
  Topic& t = **topic;
  auto policy_it = t.attributes.find("Policy");
  json policy = json::parse(policy_it == t.attributes.end() ? default_policy(t) : policy_it->second,
                            nullptr, false);
  if (policy.is_object() && policy.contains("Statement") && policy["Statement"].is_array()) {
    auto& statements = policy["Statement"];
    for (size_t i = 0; i < statements.size(); ++i)
      if (statements[i].is_object() && statements[i].value("Sid", "") == label) {
        statements.erase(i);
        break;
      }
    t.attributes["Policy"] = policy.dump();
  }
  WriteBatch batch;
  persist(t, batch);
  commit(std::move(batch), reply, [reply] { reply(Ok{}); });
}

// --- SMS settings -------------------------------------------------------------------------

void Engine::get_sms_attributes(const Caller& caller, const std::vector<std::string>& names,
                                Reply<StringMap> reply) {
  if (names.empty()) return reply(sms_attributes_);
  StringMap out;
  for (const auto& n : names)
    if (auto it = sms_attributes_.find(n); it != sms_attributes_.end()) out[n] = it->second;
  reply(out);
}

void Engine::set_sms_attributes(const Caller& caller, const StringMap& attributes,
                                Reply<Ok> reply) {
  static const std::set<std::string> known = {
      "MonthlySpendLimit", "DeliveryStatusIAMRole", "DeliveryStatusSuccessSamplingRate",
      "DefaultSenderID",   "DefaultSMSType",        "UsageReportS3Bucket"};
  for (const auto& [k, v] : attributes) {
    if (!known.count(k)) return reply(invalid(k));
    if (k == "DefaultSMSType" && v != "Promotional" && v != "Transactional")
      return reply(invalid("DefaultSMSType"));
  }
  for (const auto& [k, v] : attributes) sms_attributes_[k] = v;
  WriteBatch batch;
  batch.put(kSettingsTable, "sms_attributes", json(sms_attributes_).dump());
  commit(std::move(batch), reply, [reply] { reply(Ok{}); });
}

void Engine::check_if_phone_number_is_opted_out(const Caller& caller,
                                                const std::string& phone_number,
                                                Reply<bool> reply) {
  if (!valid_phone_number(phone_number))
    return reply(invalid("PhoneNumber Reason: input incorrectly formatted"));
  reply(false);  // nobody opts out of a local outbox
}

std::unique_ptr<TopicService> make_topic_service(Env env) {
  return std::make_unique<Engine>(std::move(env));
}

}  // namespace wyvern::topics
