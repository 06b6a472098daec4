// The SQS action table: each action reads the JSON request shape, calls the queue engine and
// builds the JSON response shape (members with no value are left out, as AWS does).
#include "sqs_api.h"

#include <algorithm>

#include "foundation/codec.h"

namespace wyvern::server::sqs {
namespace {

using queue::QueueService;

// Reads members of a request, remembering the first problem. Type mismatches are
// SerializationException on the JSON protocol (as AWS's framework answers) and
// InvalidParameterValue on Query, where every value arrives as text.
class Input {
 public:
  Input(const json& j, WireProtocol protocol) : j_(j), protocol_(protocol) {}

  std::optional<Error> error;

  bool has(const char* name) const {
    if (!j_.is_object() || !j_.contains(name) || j_[name].is_null()) return false;
    // Query clients send an empty list or map as "Name=" (botocore does): that is "none".
    return !(protocol_ == WireProtocol::kQuery && j_[name].is_string() &&
             j_[name].get<std::string>().empty() && !scalar_member(name));
  }

  std::optional<std::string> str(const char* name) {
    if (!has(name)) return std::nullopt;
    const json& v = j_[name];
    if (!v.is_string()) {
      type_error(name, "STRING_VALUE");
      return std::nullopt;
    }
    return v.get<std::string>();
  }

  std::string required(const char* name) {
    auto v = str(name);
    if (!v && !error)
      error = Error{ErrorCode::kMissingParameter,
                    std::string("The request must contain the parameter ") + name + "."};
    return v.value_or("");
  }

  std::optional<int> integer(const char* name) {
    if (!has(name)) return std::nullopt;
    const json& v = j_[name];
    if (v.is_number_integer()) {
      auto n = v.get<int64_t>();
      return static_cast<int>(std::clamp<int64_t>(n, INT32_MIN, INT32_MAX));
    }
    if (v.is_string() && protocol_ == WireProtocol::kQuery) {
      if (!error)
        error = Error{ErrorCode::kInvalidParameterValue,
                      "Value " + v.get<std::string>() + " for parameter " + name +
                          " is invalid. Reason: Must be an integer."};
      return std::nullopt;
    }
    type_error(name, "INTEGER_VALUE");
    return std::nullopt;
  }

  std::vector<std::string> strings(const char* name) {
    std::vector<std::string> out;
    if (!has(name)) return out;
    const json& v = j_[name];
    if (!v.is_array()) {
      type_error(name, "LIST");
      return out;
    }
    for (const auto& item : v) {
      if (!item.is_string()) {
        type_error(name, "STRING_VALUE");
        return {};
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  queue::StringMap string_map(const char* name) {
    queue::StringMap out;
    if (!has(name)) return out;
    const json& v = j_[name];
    if (!v.is_object()) {
      type_error(name, "MAP");
      return out;
    }
    for (const auto& [k, item] : v.items()) {
      if (!item.is_string()) {
        type_error(name, "STRING_VALUE");
        return {};
      }
      out[k] = item.get<std::string>();
    }
    return out;
  }

  queue::MessageAttributes attributes(const char* name) {
    queue::MessageAttributes out;
    if (!has(name)) return out;
    const json& v = j_[name];
    if (!v.is_object()) {
      type_error(name, "MAP");
      return out;
    }
    for (const auto& [k, item] : v.items()) {
      if (!item.is_object()) {
        type_error(name, "STRUCTURE");
        return {};
      }
      Input value(item, protocol_);
      queue::MessageAttributeValue attr;
      attr.data_type = value.str("DataType").value_or("");
      attr.string_value = value.str("StringValue");
      if (auto b64 = value.str("BinaryValue")) {
        auto raw = base64_decode(*b64);
        if (!raw) {
          error = Error{protocol_ == WireProtocol::kJson ? ErrorCode::kSerialization
                                                         : ErrorCode::kInvalidParameterValue,
                        "Message (user) attribute '" + k + "' has an invalid binary value."};
          return {};
        }
        attr.binary_value = std::move(*raw);
      }
      if (value.has("StringListValues") || value.has("BinaryListValues")) {
        error = Error{ErrorCode::kInvalidParameterValue,
                      "Message attribute list values in SendMessage operation are not "
                      "supported."};
        return {};
      }
      if (value.error && !error) error = value.error;
      out.emplace(k, std::move(attr));
    }
    return out;
  }

  // The members of a list of structures, each as its own Input.
  std::vector<json> entries(const char* name) {
    std::vector<json> out;
    if (!has(name)) return out;
    const json& v = j_[name];
    if (!v.is_array()) {
      type_error(name, "LIST");
      return out;
    }
    for (const auto& item : v) {
      if (!item.is_object()) {
        type_error(name, "STRUCTURE");
        return {};
      }
      out.push_back(item);
    }
    return out;
  }

  WireProtocol protocol() const { return protocol_; }

 private:
  // Members whose empty value is a real (empty) string rather than an absent collection.
  static bool scalar_member(const char* name) {
    static const char* const kCollections[] = {"Entries",
                                               "Attributes",
                                               "AttributeNames",
                                               "MessageAttributes",
                                               "MessageAttributeNames",
                                               "MessageSystemAttributes",
                                               "MessageSystemAttributeNames",
                                               "Tags",
                                               "tags",
                                               "TagKeys",
                                               "AWSAccountIds",
                                               "Actions"};
    for (const char* c : kCollections)
      if (std::string_view(c) == name) return false;
    return true;
  }

  void type_error(const char* name, const char* expected) {
    if (error) return;
    if (protocol_ == WireProtocol::kJson)
      error = Error{ErrorCode::kSerialization,
                    std::string("Value for member ") + name + " is not a valid " + expected + "."};
    else
      error = Error{ErrorCode::kInvalidParameterValue,
                    std::string("Value for parameter ") + name + " is invalid."};
  }

  const json& j_;
  WireProtocol protocol_;
};

// Replies with `f(value)` on success, the error otherwise.
template <typename T, typename F>
queue::Reply<T> reply_with(Done done, F f) {
  return [done = std::move(done), f = std::move(f)](Result<T> r) {
    if (!r.ok()) return done(r.error());
    done(f(r.value()));
  };
}

queue::Reply<Ok> reply_empty(Done done) {
  return reply_with<Ok>(std::move(done), [](const Ok&) { return json::object(); });
}

json attributes_json(const queue::MessageAttributes& attrs) {
  json out = json::object();
  for (const auto& [name, v] : attrs) {
    json a = {{"DataType", v.data_type}};
    if (v.string_value) a["StringValue"] = *v.string_value;
    if (v.binary_value) a["BinaryValue"] = base64_encode(*v.binary_value);
    out[name] = std::move(a);
  }
  return out;
}

json send_result_json(const queue::SendMessageResult& r) {
  json out = {{"MessageId", r.message_id}, {"MD5OfMessageBody", r.md5_of_body}};
  if (r.md5_of_attributes) out["MD5OfMessageAttributes"] = *r.md5_of_attributes;
  if (r.md5_of_system_attributes) out["MD5OfMessageSystemAttributes"] = *r.md5_of_system_attributes;
  if (r.sequence_number) out["SequenceNumber"] = *r.sequence_number;
  return out;
}

template <typename T, typename F>
json batch_json(const queue::BatchResult<T>& r, F entry) {
  json out = json::object();
  if (!r.successful.empty()) {
    out["Successful"] = json::array();
    for (const auto& [id, value] : r.successful) {
      json e = entry(value);
      e["Id"] = id;
      out["Successful"].push_back(std::move(e));
    }
  }
  if (!r.failed.empty()) {
    out["Failed"] = json::array();
    for (const auto& f : r.failed)
      out["Failed"].push_back({{"Id", f.id},
                               {"Code", f.code},
                               {"Message", f.message},
                               {"SenderFault", f.sender_fault}});
  }
  return out;
}

json urls_json(const queue::ListQueuesResult& r, const char* member) {
  json out = json::object();
  if (!r.queue_urls.empty()) out[member] = r.queue_urls;
  if (r.next_token) out["NextToken"] = *r.next_token;
  return out;
}

queue::SendMessageRequest send_request(Input& in) {
  queue::SendMessageRequest r;
  r.body = in.str("MessageBody").value_or("");
  r.delay_seconds = in.integer("DelaySeconds");
  r.attributes = in.attributes("MessageAttributes");
  r.system_attributes = in.attributes("MessageSystemAttributes");
  r.deduplication_id = in.str("MessageDeduplicationId");
  r.group_id = in.str("MessageGroupId");
  return r;
}

#define REQUIRE_OK(in)                        \
  do {                                        \
    if ((in).error) return done(*(in).error); \
  } while (0)

void create_queue(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  queue::CreateQueueRequest r;
  auto name = in.str("QueueName");
  r.attributes = in.string_map("Attributes");
  // The JSON protocol names CreateQueue's tags "tags"; Query's Tag.N becomes "Tags".
  r.tags = in.string_map(in.has("tags") ? "tags" : "Tags");
  REQUIRE_OK(in);
  if (!name)
    return done(Error{ErrorCode::kInvalidParameterValue,
                      "Value for parameter QueueName is invalid. Reason: Must specify a queue "
                      "name."});
  r.queue_name = *name;
  sqs.create_queue(c.caller, std::move(r),
                   reply_with<std::string>(std::move(done), [](const std::string& url) {
                     return json{{"QueueUrl", url}};
                   }));
}

void delete_queue(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto url = in.required("QueueUrl");
  REQUIRE_OK(in);
  sqs.delete_queue(c.caller, url, reply_empty(std::move(done)));
}

void get_queue_url(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  queue::GetQueueUrlRequest r;
  r.queue_name = in.required("QueueName");
  r.owner_account = in.str("QueueOwnerAWSAccountId");
  REQUIRE_OK(in);
  sqs.get_queue_url(c.caller, r,
                    reply_with<std::string>(std::move(done), [](const std::string& url) {
                      return json{{"QueueUrl", url}};
                    }));
}

void list_queues(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  queue::ListQueuesRequest r{in.str("QueueNamePrefix"), in.integer("MaxResults"),
                             in.str("NextToken")};
  REQUIRE_OK(in);
  sqs.list_queues(c.caller, r,
                  reply_with<queue::ListQueuesResult>(
                      std::move(done), [](const auto& r) { return urls_json(r, "QueueUrls"); }));
}

void get_queue_attributes(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto url = in.required("QueueUrl");
  auto names = in.strings("AttributeNames");
  REQUIRE_OK(in);
  sqs.get_queue_attributes(c.caller, url, names,
                           reply_with<queue::StringMap>(std::move(done), [](const auto& attrs) {
                             json out = json::object();
                             if (!attrs.empty()) out["Attributes"] = attrs;
                             return out;
                           }));
}

void set_queue_attributes(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto url = in.required("QueueUrl");
  if (!in.error && !in.has("Attributes"))
    in.error = Error{ErrorCode::kMissingParameter,
                     "The request must contain the parameter Attribute.Name."};
  auto attrs = in.string_map("Attributes");
  REQUIRE_OK(in);
  sqs.set_queue_attributes(c.caller, url, attrs, reply_empty(std::move(done)));
}

void tag_queue(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto url = in.required("QueueUrl");
  auto tags = in.string_map("Tags");
  REQUIRE_OK(in);
  sqs.tag_queue(c.caller, url, tags, reply_empty(std::move(done)));
}

void untag_queue(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto url = in.required("QueueUrl");
  auto keys = in.strings("TagKeys");
  REQUIRE_OK(in);
  sqs.untag_queue(c.caller, url, keys, reply_empty(std::move(done)));
}

void list_queue_tags(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto url = in.required("QueueUrl");
  REQUIRE_OK(in);
  sqs.list_queue_tags(c.caller, url,
                      reply_with<queue::StringMap>(std::move(done), [](const auto& tags) {
                        json out = json::object();
                        if (!tags.empty()) out["Tags"] = tags;
                        return out;
                      }));
}

void purge_queue(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto url = in.required("QueueUrl");
  REQUIRE_OK(in);
  sqs.purge_queue(c.caller, url, reply_empty(std::move(done)));
}

void send_message(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto url = in.required("QueueUrl");
  auto r = send_request(in);
  REQUIRE_OK(in);
  sqs.send_message(c.caller, url, std::move(r),
                   reply_with<queue::SendMessageResult>(std::move(done), send_result_json));
}

void send_message_batch(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto url = in.required("QueueUrl");
  std::vector<queue::BatchEntry<queue::SendMessageRequest>> entries;
  for (const auto& e : in.entries("Entries")) {
    Input entry(e, c.protocol);
    std::string id = entry.str("Id").value_or("");
    auto r = send_request(entry);
    if (entry.error) return done(*entry.error);
    entries.push_back({std::move(id), std::move(r)});
  }
  REQUIRE_OK(in);
  sqs.send_message_batch(
      c.caller, url, std::move(entries),
      reply_with<queue::BatchResult<queue::SendMessageResult>>(
          std::move(done), [](const auto& r) { return batch_json(r, send_result_json); }));
}

void receive_message(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto url = in.required("QueueUrl");
  queue::ReceiveMessageRequest r;
  r.max_number_of_messages = in.integer("MaxNumberOfMessages");
  r.visibility_timeout = in.integer("VisibilityTimeout");
  r.wait_time_seconds = in.integer("WaitTimeSeconds");
  r.attribute_names = in.strings("AttributeNames");
  r.system_attribute_names = in.strings("MessageSystemAttributeNames");
  r.message_attribute_names = in.strings("MessageAttributeNames");
  r.receive_request_attempt_id = in.str("ReceiveRequestAttemptId");
  REQUIRE_OK(in);
  sqs.receive_message(
      c.caller, url, std::move(r),
      reply_with<std::vector<queue::ReceivedMessage>>(std::move(done), [](const auto& messages) {
        json out = json::object();
        if (messages.empty()) return out;
        out["Messages"] = json::array();
        for (const auto& m : messages) {
          json j = {{"MessageId", m.message_id},
                    {"ReceiptHandle", m.receipt_handle},
                    {"MD5OfBody", m.md5_of_body},
                    {"Body", m.body}};
          if (!m.attributes.empty()) j["Attributes"] = m.attributes;
          if (m.md5_of_attributes) j["MD5OfMessageAttributes"] = *m.md5_of_attributes;
          if (!m.message_attributes.empty())
            j["MessageAttributes"] = attributes_json(m.message_attributes);
          out["Messages"].push_back(std::move(j));
        }
        return out;
      }));
}

void delete_message(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto url = in.required("QueueUrl");
  auto handle = in.required("ReceiptHandle");
  REQUIRE_OK(in);
  sqs.delete_message(c.caller, url, handle, reply_empty(std::move(done)));
}

void delete_message_batch(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto url = in.required("QueueUrl");
  std::vector<queue::BatchEntry<std::string>> entries;
  for (const auto& e : in.entries("Entries")) {
    Input entry(e, c.protocol);
    std::string id = entry.str("Id").value_or("");
    std::string handle = entry.str("ReceiptHandle").value_or("");
    if (entry.error) return done(*entry.error);
    entries.push_back({std::move(id), std::move(handle)});
  }
  REQUIRE_OK(in);
  sqs.delete_message_batch(c.caller, url, std::move(entries),
                           reply_with<queue::BatchResult<Ok>>(std::move(done), [](const auto& r) {
                             return batch_json(r, [](const Ok&) { return json::object(); });
                           }));
}

void change_message_visibility(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto url = in.required("QueueUrl");
  queue::ChangeVisibilityRequest r;
  r.receipt_handle = in.required("ReceiptHandle");
  auto timeout = in.integer("VisibilityTimeout");
  if (!timeout && !in.error)
    in.error = Error{ErrorCode::kMissingParameter,
                     "The request must contain the parameter VisibilityTimeout."};
  REQUIRE_OK(in);
  r.visibility_timeout = *timeout;
  sqs.change_message_visibility(c.caller, url, r, reply_empty(std::move(done)));
}

void change_message_visibility_batch(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto url = in.required("QueueUrl");
  std::vector<queue::BatchEntry<queue::ChangeVisibilityRequest>> entries;
  for (const auto& e : in.entries("Entries")) {
    Input entry(e, c.protocol);
    queue::BatchEntry<queue::ChangeVisibilityRequest> be;
    be.id = entry.str("Id").value_or("");
    be.request.receipt_handle = entry.str("ReceiptHandle").value_or("");
    be.request.visibility_timeout = entry.integer("VisibilityTimeout").value_or(0);
    if (entry.error) return done(*entry.error);
    entries.push_back(std::move(be));
  }
  REQUIRE_OK(in);
  sqs.change_message_visibility_batch(
      c.caller, url, std::move(entries),
      reply_with<queue::BatchResult<Ok>>(std::move(done), [](const auto& r) {
        return batch_json(r, [](const Ok&) { return json::object(); });
      }));
}

void list_dead_letter_source_queues(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto url = in.required("QueueUrl");
  queue::ListQueuesRequest paging{std::nullopt, in.integer("MaxResults"), in.str("NextToken")};
  REQUIRE_OK(in);
  sqs.list_dead_letter_source_queues(
      c.caller, url, paging,
      reply_with<queue::ListQueuesResult>(std::move(done),
                                          [](const auto& r) { return urls_json(r, "queueUrls"); }));
}

void start_message_move_task(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto source = in.required("SourceArn");
  auto destination = in.str("DestinationArn");
  auto rate = in.integer("MaxNumberOfMessagesPerSecond");
  REQUIRE_OK(in);
  sqs.start_message_move_task(c.caller, source, destination, rate,
                              reply_with<std::string>(std::move(done), [](const std::string& h) {
                                return json{{"TaskHandle", h}};
                              }));
}

void list_message_move_tasks(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto source = in.required("SourceArn");
  auto max = in.integer("MaxResults");
  REQUIRE_OK(in);
  sqs.list_message_move_tasks(
      c.caller, source, max,
      reply_with<std::vector<queue::MoveTask>>(std::move(done), [](const auto& tasks) {
        json results = json::array();
        for (const auto& t : tasks) {
          json j = {{"Status", t.status},
                    {"SourceArn", t.source_arn},
                    {"ApproximateNumberOfMessagesMoved", t.moved},
                    {"ApproximateNumberOfMessagesToMove", t.to_move},
                    {"StartedTimestamp", t.started_at}};
          if (t.status == "RUNNING") j["TaskHandle"] = t.task_handle;
          if (t.destination_arn) j["DestinationArn"] = *t.destination_arn;
          if (t.max_per_second) j["MaxNumberOfMessagesPerSecond"] = *t.max_per_second;
          if (t.failure_reason) j["FailureReason"] = *t.failure_reason;
          results.push_back(std::move(j));
        }
        json out = json::object();
        if (!results.empty()) out["Results"] = std::move(results);
        return out;
      }));
}

void cancel_message_move_task(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto handle = in.required("TaskHandle");
  REQUIRE_OK(in);
  sqs.cancel_message_move_task(c.caller, handle,
                               reply_with<int64_t>(std::move(done), [](int64_t moved) {
                                 return json{{"ApproximateNumberOfMessagesMoved", moved}};
                               }));
}

void add_permission(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto url = in.required("QueueUrl");
  auto label = in.required("Label");
  auto accounts = in.strings("AWSAccountIds");
  auto actions = in.strings("Actions");
  REQUIRE_OK(in);
  sqs.add_permission(c.caller, url, label, accounts, actions, reply_empty(std::move(done)));
}

void remove_permission(QueueService& sqs, Call& c, Done done) {
  Input in(c.input, c.protocol);
  auto url = in.required("QueueUrl");
  auto label = in.required("Label");
  REQUIRE_OK(in);
  sqs.remove_permission(c.caller, url, label, reply_empty(std::move(done)));
}

// Every action of the SQS API (2012-11-05), the one list that dispatch and the README's
// coverage table are checked against.
constexpr Action kActions[] = {
    {"AddPermission", add_permission, false},
    {"CancelMessageMoveTask", cancel_message_move_task, true},
    {"ChangeMessageVisibility", change_message_visibility, false},
    {"ChangeMessageVisibilityBatch", change_message_visibility_batch, true},
    {"CreateQueue", create_queue, true},
    {"DeleteMessage", delete_message, false},
    {"DeleteMessageBatch", delete_message_batch, true},
    {"DeleteQueue", delete_queue, false},
    {"GetQueueAttributes", get_queue_attributes, true},
    {"GetQueueUrl", get_queue_url, true},
    {"ListDeadLetterSourceQueues", list_dead_letter_source_queues, true},
    {"ListMessageMoveTasks", list_message_move_tasks, true},
    {"ListQueueTags", list_queue_tags, true},
    {"ListQueues", list_queues, true},
    {"PurgeQueue", purge_queue, false},
    {"ReceiveMessage", receive_message, true},
    {"RemovePermission", remove_permission, false},
    {"SendMessage", send_message, true},
    {"SendMessageBatch", send_message_batch, true},
    {"SetQueueAttributes", set_queue_attributes, false},
    {"StartMessageMoveTask", start_message_move_task, true},
    {"TagQueue", tag_queue, false},
    {"UntagQueue", untag_queue, false},
};

}  // namespace

const Action* find_action(std::string_view name) {
  for (const auto& a : kActions)
    if (a.name == name) return &a;
  return nullptr;
}

std::span<const Action> all_actions() {
  return kActions;
}

}  // namespace wyvern::server::sqs
