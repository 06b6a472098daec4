// What a subscriber receives: the JSON envelope SNS wraps a message in (its field order and
// " : " layout, as AWS writes it), signed; the Lambda event; the confirmation messages.
#include "foundation/codec.h"
#include "topics/engine.h"

namespace wyvern::topics {
namespace {

std::string quoted(const std::string& text) {
  return json(text).dump(-1, ' ', false, json::error_handler_t::replace);
}

// Renders fields as AWS lays an envelope out: one "Name" : "value" per line, two-space indent.
std::string layout(const std::vector<std::pair<std::string, std::string>>& fields,
                   const std::string& attributes_block) {
  std::string out = "{\n";
  for (size_t i = 0; i < fields.size(); ++i) {
    out += "  " + quoted(fields[i].first) + " : " + quoted(fields[i].second);
    out += (i + 1 < fields.size() || !attributes_block.empty()) ? ",\n" : "\n";
  }
  out += attributes_block;
  out += "}";
  return out;
}

std::string attribute_value(const MessageAttribute& a) {
  if (a.binary_value) return base64_encode(*a.binary_value);
  return a.string_value.value_or("");
}

json signable(const std::vector<std::pair<std::string, std::string>>& fields) {
  json doc = json::object();
  for (const auto& [k, v] : fields) doc[k] = v;
  return doc;
}

}  // namespace

std::string Engine::message_for(const Publication& p, const std::string& protocol) const {
  if (!p.structured) return p.message;
  json doc = json::parse(p.message, nullptr, false);
  if (doc.is_object() && doc.contains(protocol) && doc[protocol].is_string())
    return doc[protocol].get<std::string>();
  if (doc.is_object() && doc.contains("default") && doc["default"].is_string())
    return doc["default"].get<std::string>();
  return p.message;
}

std::string Engine::notification(const Publication& p, const Subscription& sub) const {
  auto topic = topics_.find(p.topic_arn);
  bool fifo = topic != topics_.end() && topic->second.fifo;
  std::vector<std::pair<std::string, std::string>> fields = {{"Type", "Notification"},
                                                             {"MessageId", p.message_id}};
  if (p.sequence_number) fields.push_back({"SequenceNumber", *p.sequence_number});
  fields.push_back({"TopicArn", p.topic_arn});
  if (p.subject) fields.push_back({"Subject", *p.subject});
  fields.push_back({"Message", message_for(p, sub.protocol)});
  fields.push_back({"Timestamp", iso8601_ms(p.timestamp)});
  if (!fifo) {
    // FIFO topics' notifications carry no signature.
    std::string version = topic != topics_.end() ? topic->second.signature_version() : "1";
    std::string& signature = p.signatures[sub.protocol + "/" + version];
    if (signature.empty()) signature = signer().sign(string_to_sign(signable(fields)), version);
    fields.push_back({"SignatureVersion", version});
    fields.push_back({"Signature", signature});
    fields.push_back({"SigningCertURL", signing_certificate_url(p.endpoint)});
  }
  fields.push_back(
      {"UnsubscribeURL", p.endpoint + "/?Action=Unsubscribe&SubscriptionArn=" + sub.arn});
  std::string block;
  if (!p.attributes.empty()) {
    block = "  \"MessageAttributes\" : {\n";
    size_t i = 0;
    for (const auto& [name, a] : p.attributes) {
      json value = {{"Type", a.data_type}, {"Value", attribute_value(a)}};
      block += "    " + quoted(name) + " : " +
               value.dump(-1, ' ', false, json::error_handler_t::replace);
      block += ++i < p.attributes.size() ? ",\n" : "\n";
    }
    block += "  }\n";
  }
  return layout(fields, block);
}

std::string Engine::lambda_event(const Publication& p, const Subscription& sub) const {
  auto topic = topics_.find(p.topic_arn);
  std::string version = topic != topics_.end() ? topic->second.signature_version() : "1";
  std::vector<std::pair<std::string, std::string>> signed_fields = {
      {"Type", "Notification"}, {"MessageId", p.message_id}, {"TopicArn", p.topic_arn}};
  if (p.subject) signed_fields.push_back({"Subject", *p.subject});
  signed_fields.push_back({"Message", message_for(p, "lambda")});
  signed_fields.push_back({"Timestamp", iso8601_ms(p.timestamp)});
  json attributes = json::object();
  for (const auto& [name, a] : p.attributes)
    attributes[name] = {{"Type", a.data_type}, {"Value", attribute_value(a)}};
  json sns = {{"Type", "Notification"},
              {"MessageId", p.message_id},
              {"TopicArn", p.topic_arn},
              {"Subject", p.subject ? json(*p.subject) : json(nullptr)},
              {"Message", message_for(p, "lambda")},
              {"Timestamp", iso8601_ms(p.timestamp)},
              {"SignatureVersion", version},
              {"Signature", signer().sign(string_to_sign(signable(signed_fields)), version)},
              {"SigningCertUrl", signing_certificate_url(p.endpoint)},
              {"UnsubscribeUrl", p.endpoint + "/?Action=Unsubscribe&SubscriptionArn=" + sub.arn},
              {"MessageAttributes", attributes}};
  json record = {{"EventSource", "aws:sns"},
                 {"EventVersion", "1.0"},
                 {"EventSubscriptionArn", sub.arn},
                 {"Sns", sns}};
  return json{{"Records", json::array({record})}}.dump(-1, ' ', false,
                                                       json::error_handler_t::replace);
}

std::string Engine::confirmation(const Caller& caller, const Subscription& sub, const Topic& topic,
                                 bool unsubscribing, std::string* message_id) const {
  *message_id = uuid4();
  std::string type = unsubscribing ? "UnsubscribeConfirmation" : "SubscriptionConfirmation";
  std::string text =
      unsubscribing
          ? "You have chosen to deactivate subscription " + sub.arn +
                ".\nTo cancel this operation and restore the subscription, visit the "
                "SubscribeURL included in this message."
          : "You have chosen to subscribe to the topic " + topic.arn +
                ".\nTo confirm the subscription, visit the SubscribeURL included in this message.";
  std::string subscribe_url = caller.endpoint +
                              "/?Action=ConfirmSubscription&TopicArn=" + topic.arn +
                              "&Token=" + sub.token;
  std::vector<std::pair<std::string, std::string>> fields = {
      {"Type", type},
      {"MessageId", *message_id},
      {"Token", sub.token},
      {"TopicArn", topic.arn},
      {"Message", text},
      {"SubscribeURL", subscribe_url},
      {"Timestamp", iso8601_ms(env_.clock->now_ms())}};
  std::string version = topic.signature_version();
  std::string signature = signer().sign(string_to_sign(signable(fields)), version);
  fields.push_back({"SignatureVersion", version});
  fields.push_back({"Signature", signature});
  fields.push_back({"SigningCertURL", signing_certificate_url(caller.endpoint)});
  return layout(fields, "");
}

}  // namespace wyvern::topics
