// SQS on the AWS JSON 1.0 protocol (AmazonSQS.<Action>), with the body digests checked as the
// AWS SDKs check them.
#include <openssl/evp.h>

#include "transport.h"

namespace wyvern::client {
namespace {

using json = nlohmann::json;

constexpr char kContentType[] = "application/x-amz-json-1.0";

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n);
  return out;
}

std::string unbase64(const std::string& text) {
  std::string out(3 * text.size() / 4 + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return "";
  size_t padding = 0;
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

json attributes_json(const MessageAttributes& attributes) {
  json out = json::object();
  for (const auto& [name, a] : attributes) {
    json value = {{"DataType", a.data_type}};
    if (a.data_type.rfind("Binary", 0) == 0)
      value["BinaryValue"] = base64(a.binary_value);
    else
      value["StringValue"] = a.string_value;
    out[name] = value;
  }
  return out;
}

void add_send_options(json& request, const SendOptions& o) {
  if (o.delay_seconds) request["DelaySeconds"] = *o.delay_seconds;
  if (!o.group_id.empty()) request["MessageGroupId"] = o.group_id;
  if (!o.deduplication_id.empty()) request["MessageDeduplicationId"] = o.deduplication_id;
  if (!o.attributes.empty()) request["MessageAttributes"] = attributes_json(o.attributes);
}

std::string text(const json& j, const char* member) {
  return j.contains(member) && j[member].is_string() ? j[member].get<std::string>() : "";
}

Error digest_mismatch(const std::string& what) {
  return Error{"ChecksumMismatch", "the MD5 of " + what + " differs from the queue's", 0};
}

}  // namespace

Queues::Queues(Options options) : transport_(std::make_unique<Transport>(options, "sqs")) {}
Queues::~Queues() = default;
Queues::Queues(Queues&&) noexcept = default;
Queues& Queues::operator=(Queues&&) noexcept = default;

Result<json> Queues::call(const std::string& action, const json& request) {
  return transport_->json_call("AmazonSQS." + action, kContentType, request);
}

void Queues::interrupt() {
  transport_->interrupt();
}

Result<std::string> Queues::create_queue(const std::string& name,
                                         const std::map<std::string, std::string>& attributes) {
  json request = {{"QueueName", name}};
  if (!attributes.empty()) request["Attributes"] = attributes;
  auto r = call("CreateQueue", request);
  if (!r) return r.error();
  return text(*r, "QueueUrl");
}

Result<std::string> Queues::queue_url(const std::string& name) {
  auto r = call("GetQueueUrl", {{"QueueName", name}});
  if (!r) return r.error();
  return text(*r, "QueueUrl");
}

Result<std::vector<std::string>> Queues::list_queues(const std::string& prefix) {
  std::vector<std::string> urls;
  std::string token;
  do {
    json request = {{"MaxResults", 1000}};
    if (!prefix.empty()) request["QueueNamePrefix"] = prefix;
    if (!token.empty()) request["NextToken"] = token;
    auto r = call("ListQueues", request);
    if (!r) return r.error();
    if (r->contains("QueueUrls"))
      for (const auto& url : (*r)["QueueUrls"]) urls.push_back(url.get<std::string>());
    token = text(*r, "NextToken");
  } while (!token.empty());
  return urls;
}

Result<std::map<std::string, std::string>> Queues::attributes(const std::string& queue_url,
                                                              std::vector<std::string> names) {
  auto r = call("GetQueueAttributes", {{"QueueUrl", queue_url}, {"AttributeNames", names}});
  if (!r) return r.error();
  std::map<std::string, std::string> out;
  if (r->contains("Attributes"))
    for (const auto& [name, value] : (*r)["Attributes"].items())
      out[name] = value.is_string() ? value.get<std::string>() : value.dump();
  return out;
}

Result<Ok> Queues::delete_queue(const std::string& queue_url) {
  auto r = call("DeleteQueue", {{"QueueUrl", queue_url}});
  if (!r) return r.error();
  return Ok{};
}

Result<Ok> Queues::purge(const std::string& queue_url) {
  auto r = call("PurgeQueue", {{"QueueUrl", queue_url}});
  if (!r) return r.error();
  return Ok{};
}

Result<SentMessage> Queues::send(const std::string& queue_url, const std::string& body,
                                 const SendOptions& options) {
  json request = {{"QueueUrl", queue_url}, {"MessageBody", body}};
  add_send_options(request, options);
  auto r = call("SendMessage", request);
  if (!r) return r.error();
  SentMessage sent{text(*r, "MessageId"), text(*r, "MD5OfMessageBody"), text(*r, "SequenceNumber")};
  if (sent.md5_of_body != md5_hex(body)) return digest_mismatch("the message body");
  return sent;
}

Result<BatchResult> Queues::send_batch(const std::string& queue_url,
                                       const std::vector<BatchEntry>& entries) {
  json list = json::array();
  for (const BatchEntry& e : entries) {
    json entry = {{"Id", e.id}, {"MessageBody", e.body}};
    add_send_options(entry, e.options);
    list.push_back(entry);
  }
  auto r = call("SendMessageBatch", {{"QueueUrl", queue_url}, {"Entries", list}});
  if (!r) return r.error();
  BatchResult out;
  if (r->contains("Successful"))
    for (const auto& s : (*r)["Successful"]) {
      std::string id = text(s, "Id");
      for (const BatchEntry& e : entries)
        if (e.id == id && text(s, "MD5OfMessageBody") != md5_hex(e.body))
          return digest_mismatch("entry " + id + "'s body");
      out.successful.push_back({id, text(s, "MessageId"), text(s, "SequenceNumber")});
    }
  if (r->contains("Failed"))
    for (const auto& f : (*r)["Failed"])
      out.failed.push_back({text(f, "Id"), text(f, "Code"), text(f, "Message"),
                            f.value("SenderFault", false)});
  return out;
}

Result<std::vector<Message>> Queues::receive(const std::string& queue_url,
                                             const ReceiveOptions& options) {
  json request = {{"QueueUrl", queue_url},
                  {"MaxNumberOfMessages", options.max_messages},
                  {"AttributeNames", {"All"}},
                  {"MessageAttributeNames", {"All"}}};
  if (options.wait_seconds) request["WaitTimeSeconds"] = *options.wait_seconds;
  if (options.visibility_timeout) request["VisibilityTimeout"] = *options.visibility_timeout;
  // A queue's own ReceiveMessageWaitTimeSeconds can hold the call up to 20 s.
  auto r = transport_->json_call("AmazonSQS.ReceiveMessage", kContentType, request,
                                 std::chrono::seconds(options.wait_seconds.value_or(20)));
  if (!r) return r.error();
  std::vector<Message> out;
  if (!r->contains("Messages")) return out;
  for (const auto& m : (*r)["Messages"]) {
    Message message{text(m, "MessageId"), text(m, "ReceiptHandle"), text(m, "Body"),
                    text(m, "MD5OfBody"), {}, {}};
    if (message.md5_of_body != md5_hex(message.body))
      return digest_mismatch("message " + message.message_id + "'s body");
    if (m.contains("Attributes"))
      for (const auto& [name, value] : m["Attributes"].items())
        message.attributes[name] = value.is_string() ? value.get<std::string>() : value.dump();
    if (m.contains("MessageAttributes"))
      for (const auto& [name, value] : m["MessageAttributes"].items()) {
        MessageAttribute a{text(value, "DataType"), text(value, "StringValue"),
                           unbase64(text(value, "BinaryValue"))};
        message.message_attributes[name] = std::move(a);
      }
    out.push_back(std::move(message));
  }
  return out;
}

Result<Ok> Queues::delete_message(const std::string& queue_url, const std::string& receipt_handle) {
  auto r = call("DeleteMessage", {{"QueueUrl", queue_url}, {"ReceiptHandle", receipt_handle}});
  if (!r) return r.error();
  return Ok{};
}

Result<Ok> Queues::change_visibility(const std::string& queue_url,
                                     const std::string& receipt_handle, int visibility_timeout) {
  auto r = call("ChangeMessageVisibility", {{"QueueUrl", queue_url},
                                            {"ReceiptHandle", receipt_handle},
                                            {"VisibilityTimeout", visibility_timeout}});
  if (!r) return r.error();
  return Ok{};
}

}  // namespace wyvern::client
