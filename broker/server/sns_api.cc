// SNS actions on the Query protocol: form parameters in, the <ActionResult> element's XML out.
//
// SNS flattens collections with ".member.N" (lists) and ".entry.N.key/.value" (maps); message
// attributes are maps whose entries are "Name" plus a "Value" structure. Required members that
// are absent are refused the way SNS's request validation refuses them.
#include "sns_api.h"

#include <algorithm>
#include <map>

#include "foundation/codec.h"
#include "protocol.h"

namespace wyvern::server::sns {
namespace {

using topics::MessageAttribute;
using topics::MessageAttributes;
using topics::TopicService;
using StringMap = topics::StringMap;

// SNS's request validation for an absent required member.
Error missing(std::string_view member) {
  return Error{ErrorCode::kSnsValidationError,
               "1 validation error detected: Value null at '" + std::string(member) +
                   "' failed to satisfy constraint: Member must not be null"};
}

// The form parameters of one request, looked up by name and by collection prefix.
class Form {
 public:
  explicit Form(const Params& params) : params_(params.begin(), params.end()) {}

  std::optional<std::string> get(const std::string& name) const {
    auto it = params_.find(name);
    if (it == params_.end()) return std::nullopt;
    return it->second;
  }

  // The numbers N for which some "<prefix>.N..." parameter exists, ascending.
  std::vector<long> indices(const std::string& prefix) const {
    std::vector<long> out;
    std::string head = prefix + ".";
    for (auto it = params_.lower_bound(head); it != params_.end(); ++it) {
      if (it->first.compare(0, head.size(), head) != 0) break;
      std::string rest = it->first.substr(head.size());
      rest = rest.substr(0, rest.find('.'));
      char* end = nullptr;
      long n = std::strtol(rest.c_str(), &end, 10);
      if (!rest.empty() && end && *end == '\0' && n > 0) out.push_back(n);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  // "<prefix>.member.N" values.
  std::vector<std::string> list(const std::string& prefix) const {
    std::vector<std::string> out;
    for (long n : indices(prefix + ".member"))
      if (auto v = get(prefix + ".member." + std::to_string(n))) out.push_back(*v);
    return out;
  }

  // "<prefix>.entry.N.key" -> "<prefix>.entry.N.value".
  StringMap map(const std::string& prefix) const {
    StringMap out;
    for (long n : indices(prefix + ".entry")) {
      std::string item = prefix + ".entry." + std::to_string(n);
      if (auto key = get(item + ".key")) out[*key] = get(item + ".value").value_or("");
    }
    return out;
  }

  // "<prefix>.member.N.Key" -> "<prefix>.member.N.Value"; a key given twice is refused.
  Result<StringMap> tags(const std::string& prefix) const {
    StringMap out;
    for (long n : indices(prefix + ".member")) {
      std::string item = prefix + ".member." + std::to_string(n);
      auto key = get(item + ".Key");
      if (!key) continue;
      if (!out.emplace(*key, get(item + ".Value").value_or("")).second)
        return Error{ErrorCode::kSnsInvalidParameter,
                     "Invalid parameter: Duplicated keys are not allowed."};
    }
    return out;
  }

  Result<MessageAttributes> attributes(const std::string& prefix) const {
    MessageAttributes out;
    for (long n : indices(prefix + ".entry")) {
      std::string item = prefix + ".entry." + std::to_string(n);
      auto name = get(item + ".Name");
      if (!name) continue;
      MessageAttribute a;
      auto type = get(item + ".Value.DataType");
      if (!type) return missing("messageAttributes." + *name + ".member.dataType");
      a.data_type = *type;
      a.string_value = get(item + ".Value.StringValue");
      if (auto b64 = get(item + ".Value.BinaryValue")) {
        auto bytes = base64_decode(*b64);
        if (!bytes)
          return Error{ErrorCode::kSnsParameterValueInvalid,
                       "The message attribute '" + *name + "' has an invalid binary value."};
        a.binary_value = std::move(*bytes);
      }
      out[*name] = std::move(a);
    }
    return out;
  }

 private:
  std::map<std::string, std::string> params_;
};

std::string element(std::string_view name, const std::string& value) {
  return "<" + std::string(name) + ">" + xml_escape(value) + "</" + std::string(name) + ">";
}

std::string entries(std::string_view name, const StringMap& map) {
  std::string out = "<" + std::string(name) + ">";
  for (const auto& [k, v] : map)
    out += "<entry>" + element("key", k) + element("value", v) + "</entry>";
  return out + "</" + std::string(name) + ">";
}

template <typename T>
topics::Reply<T> reply_with(Done done, std::function<std::optional<std::string>(const T&)> render) {
  return [done = std::move(done), render = std::move(render)](Result<T> r) {
    if (!r) return done(r.error());
    done(render(r.value()));
  };
}

topics::Reply<Ok> no_result(Done done) {
  return [done = std::move(done)](Result<Ok> r) {
    if (!r) return done(r.error());
    done(std::optional<std::string>());
  };
}

topics::Reply<Ok> empty_result(Done done) {
  return [done = std::move(done)](Result<Ok> r) {
    if (!r) return done(r.error());
    done(std::optional<std::string>(""));
  };
}

// --- Topics ---------------------------------------------------------------------------------

void create_topic(TopicService& sns, const Caller& c, const Params& p, Done done) {
  Form f(p);
  auto name = f.get("Name");
  if (!name) return done(missing("name"));
  auto tags = f.tags("Tags");
  if (!tags) return done(tags.error());
  sns.create_topic(c, *name, f.map("Attributes"), tags.value(),
                   reply_with<std::string>(std::move(done), [](const std::string& arn) {
                     return element("TopicArn", arn);
                   }));
}

void delete_topic(TopicService& sns, const Caller& c, const Params& p, Done done) {
  auto arn = Form(p).get("TopicArn");
  if (!arn) return done(missing("topicArn"));
  sns.delete_topic(c, *arn, no_result(std::move(done)));
}

void list_topics(TopicService& sns, const Caller& c, const Params& p, Done done) {
  sns.list_topics(c, Form(p).get("NextToken"),
                  reply_with<topics::Page<std::string>>(
                      std::move(done), [](const topics::Page<std::string>& page) {
                        std::string out = "<Topics>";
                        for (const auto& arn : page.items)
                          out += "<member>" + element("TopicArn", arn) + "</member>";
                        out += "</Topics>";
                        if (page.next_token) out += element("NextToken", *page.next_token);
                        return out;
                      }));
}

void get_topic_attributes(TopicService& sns, const Caller& c, const Params& p, Done done) {
  auto arn = Form(p).get("TopicArn");
  if (!arn) return done(missing("topicArn"));
  sns.get_topic_attributes(c, *arn,
                           reply_with<StringMap>(std::move(done), [](const StringMap& attributes) {
                             return entries("Attributes", attributes);
                           }));
}

void set_topic_attributes(TopicService& sns, const Caller& c, const Params& p, Done done) {
  Form f(p);
  auto arn = f.get("TopicArn");
  auto name = f.get("AttributeName");
  if (!arn) return done(missing("topicArn"));
  if (!name) return done(missing("attributeName"));
  sns.set_topic_attributes(c, *arn, *name, f.get("AttributeValue").value_or(""),
                           no_result(std::move(done)));
}

// --- Subscriptions -------------------------------------------------------------------------

void subscribe(TopicService& sns, const Caller& c, const Params& p, Done done) {
  Form f(p);
  topics::SubscribeRequest r;
  auto arn = f.get("TopicArn");
  auto protocol = f.get("Protocol");
  if (!arn) return done(missing("topicArn"));
  if (!protocol) return done(missing("protocol"));
  r.topic_arn = *arn;
  r.protocol = *protocol;
  r.endpoint = f.get("Endpoint");
  r.attributes = f.map("Attributes");
  r.return_subscription_arn = f.get("ReturnSubscriptionArn").value_or("false") == "true";
  sns.subscribe(c, std::move(r),
                reply_with<std::string>(std::move(done), [](const std::string& arn) {
                  return element("SubscriptionArn", arn);
                }));
}

void confirm_subscription(TopicService& sns, const Caller& c, const Params& p, Done done) {
  Form f(p);
  auto arn = f.get("TopicArn");
  auto token = f.get("Token");
  if (!arn) return done(missing("topicArn"));
  if (!token) return done(missing("token"));
  sns.confirm_subscription(c, *arn, *token,
                           reply_with<std::string>(std::move(done), [](const std::string& arn) {
                             return element("SubscriptionArn", arn);
                           }));
}

void unsubscribe(TopicService& sns, const Caller& c, const Params& p, Done done) {
  auto arn = Form(p).get("SubscriptionArn");
  if (!arn) return done(missing("subscriptionArn"));
  sns.unsubscribe(c, *arn, no_result(std::move(done)));
}

std::string subscriptions_xml(const topics::Page<topics::SubscriptionSummary>& page) {
  std::string out = "<Subscriptions>";
  for (const auto& s : page.items)
    out += "<member>" + element("Owner", s.owner) + element("Endpoint", s.endpoint) +
           element("Protocol", s.protocol) + element("SubscriptionArn", s.subscription_arn) +
           element("TopicArn", s.topic_arn) + "</member>";
  out += "</Subscriptions>";
  if (page.next_token) out += element("NextToken", *page.next_token);
  return out;
}

void list_subscriptions(TopicService& sns, const Caller& c, const Params& p, Done done) {
  sns.list_subscriptions(
      c, std::nullopt, Form(p).get("NextToken"),
      reply_with<topics::Page<topics::SubscriptionSummary>>(std::move(done), subscriptions_xml));
}

void list_subscriptions_by_topic(TopicService& sns, const Caller& c, const Params& p, Done done) {
  Form f(p);
  auto arn = f.get("TopicArn");
  if (!arn) return done(missing("topicArn"));
  sns.list_subscriptions(
      c, *arn, f.get("NextToken"),
      reply_with<topics::Page<topics::SubscriptionSummary>>(std::move(done), subscriptions_xml));
}

void get_subscription_attributes(TopicService& sns, const Caller& c, const Params& p, Done done) {
  auto arn = Form(p).get("SubscriptionArn");
  if (!arn) return done(missing("subscriptionArn"));
  sns.get_subscription_attributes(
      c, *arn, reply_with<StringMap>(std::move(done), [](const StringMap& attributes) {
        return entries("Attributes", attributes);
      }));
}

void set_subscription_attributes(TopicService& sns, const Caller& c, const Params& p, Done done) {
  Form f(p);
  auto arn = f.get("SubscriptionArn");
  auto name = f.get("AttributeName");
  if (!arn) return done(missing("subscriptionArn"));
  if (!name) return done(missing("attributeName"));
  sns.set_subscription_attributes(c, *arn, *name, f.get("AttributeValue").value_or(""),
                                  no_result(std::move(done)));
}

// --- Publishing --------------------------------------------------------------------------

Result<topics::PublishRequest> publish_request(const Form& f, const std::string& prefix) {
  topics::PublishRequest r;
  r.message = f.get(prefix + "Message");
  r.subject = f.get(prefix + "Subject");
  r.message_structure = f.get(prefix + "MessageStructure");
  r.group_id = f.get(prefix + "MessageGroupId");
  r.deduplication_id = f.get(prefix + "MessageDeduplicationId");
  auto attributes = f.attributes(prefix + "MessageAttributes");
  if (!attributes) return attributes.error();
  r.attributes = std::move(attributes.value());
  return r;
}

void publish(TopicService& sns, const Caller& c, const Params& p, Done done) {
  Form f(p);
  auto r = publish_request(f, "");
  if (!r) return done(r.error());
  if (!r->message) return done(missing("message"));
  r->topic_arn = f.get("TopicArn");
  r->target_arn = f.get("TargetArn");
  r->phone_number = f.get("PhoneNumber");
  sns.publish(
      c, std::move(r.value()),
      reply_with<topics::PublishResult>(std::move(done), [](const topics::PublishResult& result) {
        std::string out = element("MessageId", result.message_id);
        if (result.sequence_number) out += element("SequenceNumber", *result.sequence_number);
        return out;
      }));
}

void publish_batch(TopicService& sns, const Caller& c, const Params& p, Done done) {
  Form f(p);
  auto arn = f.get("TopicArn");
  if (!arn) return done(missing("topicArn"));
  std::vector<topics::PublishBatchEntry> entries;
  for (long n : f.indices("PublishBatchRequestEntries.member")) {
    std::string prefix = "PublishBatchRequestEntries.member." + std::to_string(n) + ".";
    auto r = publish_request(f, prefix);
    if (!r) return done(r.error());
    auto id = f.get(prefix + "Id");
    if (!id) return done(missing("publishBatchRequestEntries.member." + std::to_string(n) + ".id"));
    if (!r->message)
      return done(missing("publishBatchRequestEntries.member." + std::to_string(n) + ".message"));
    entries.push_back({*id, std::move(r.value())});
  }
  sns.publish_batch(
      c, *arn, std::move(entries),
      reply_with<topics::PublishBatchResult>(
          std::move(done), [](const topics::PublishBatchResult& result) {
            std::string out = "<Successful>";
            for (const auto& [id, r] : result.successful) {
              out += "<member>" + element("Id", id) + element("MessageId", r.message_id);
              if (r.sequence_number) out += element("SequenceNumber", *r.sequence_number);
              out += "</member>";
            }
            out += "</Successful><Failed>";
            for (const auto& e : result.failed)
              out += "<member>" + element("Id", e.id) + element("Code", e.code) +
                     element("Message", e.message) +
                     element("SenderFault", e.sender_fault ? "true" : "false") + "</member>";
            return out + "</Failed>";
          }));
}

// --- Tags and permissions ---------------------------------------------------------------

void tag_resource(TopicService& sns, const Caller& c, const Params& p, Done done) {
  Form f(p);
  auto arn = f.get("ResourceArn");
  if (!arn) return done(missing("resourceArn"));
  auto tags = f.tags("Tags");
  if (!tags) return done(tags.error());
  sns.tag_resource(c, *arn, tags.value(), empty_result(std::move(done)));
}

void untag_resource(TopicService& sns, const Caller& c, const Params& p, Done done) {
  Form f(p);
  auto arn = f.get("ResourceArn");
  if (!arn) return done(missing("resourceArn"));
  sns.untag_resource(c, *arn, f.list("TagKeys"), empty_result(std::move(done)));
}

void list_tags_for_resource(TopicService& sns, const Caller& c, const Params& p, Done done) {
  auto arn = Form(p).get("ResourceArn");
  if (!arn) return done(missing("resourceArn"));
  sns.list_tags_for_resource(
      c, *arn, reply_with<StringMap>(std::move(done), [](const StringMap& tags) {
        std::string out = "<Tags>";
        for (const auto& [k, v] : tags)
          out += "<member>" + element("Key", k) + element("Value", v) + "</member>";
        return out + "</Tags>";
      }));
}

void add_permission(TopicService& sns, const Caller& c, const Params& p, Done done) {
  Form f(p);
  topics::Permission perm;
  auto arn = f.get("TopicArn");
  auto label = f.get("Label");
  if (!arn) return done(missing("topicArn"));
  if (!label) return done(missing("label"));
  perm.topic_arn = *arn;
  perm.label = *label;
  perm.accounts = f.list("AWSAccountId");
  perm.actions = f.list("ActionName");
  sns.add_permission(c, std::move(perm), no_result(std::move(done)));
}

void remove_permission(TopicService& sns, const Caller& c, const Params& p, Done done) {
  Form f(p);
  auto arn = f.get("TopicArn");
  auto label = f.get("Label");
  if (!arn) return done(missing("topicArn"));
  if (!label) return done(missing("label"));
  sns.remove_permission(c, *arn, *label, no_result(std::move(done)));
}

// --- SMS ----------------------------------------------------------------------------------

void get_sms_attributes(TopicService& sns, const Caller& c, const Params& p, Done done) {
  sns.get_sms_attributes(c, Form(p).list("attributes"),
                         reply_with<StringMap>(std::move(done), [](const StringMap& attributes) {
                           return entries("attributes", attributes);
                         }));
}

void set_sms_attributes(TopicService& sns, const Caller& c, const Params& p, Done done) {
  sns.set_sms_attributes(c, Form(p).map("attributes"), empty_result(std::move(done)));
}

void check_if_phone_number_is_opted_out(TopicService& sns, const Caller& c, const Params& p,
                                        Done done) {
  auto number = Form(p).get("phoneNumber");
  if (!number) return done(missing("phoneNumber"));
  sns.check_if_phone_number_is_opted_out(
      c, *number, reply_with<bool>(std::move(done), [](const bool& opted_out) {
        return element("isOptedOut", opted_out ? "true" : "false");
      }));
}

constexpr Action kActions[] = {
    {"CreateTopic", create_topic},
    {"DeleteTopic", delete_topic},
    {"ListTopics", list_topics},
    {"GetTopicAttributes", get_topic_attributes},
    {"SetTopicAttributes", set_topic_attributes},
    {"Subscribe", subscribe},
    {"ConfirmSubscription", confirm_subscription},
    {"Unsubscribe", unsubscribe},
    {"ListSubscriptions", list_subscriptions},
    {"ListSubscriptionsByTopic", list_subscriptions_by_topic},
    {"GetSubscriptionAttributes", get_subscription_attributes},
    {"SetSubscriptionAttributes", set_subscription_attributes},
    {"Publish", publish},
    {"PublishBatch", publish_batch},
    {"TagResource", tag_resource},
    {"UntagResource", untag_resource},
    {"ListTagsForResource", list_tags_for_resource},
    {"AddPermission", add_permission},
    {"RemovePermission", remove_permission},
    {"GetSMSAttributes", get_sms_attributes},
    {"SetSMSAttributes", set_sms_attributes},
    {"CheckIfPhoneNumberIsOptedOut", check_if_phone_number_is_opted_out},
    // Mobile push, SMS sandbox and data protection: SNS actions Wyvern does not serve.
    {"CreatePlatformApplication", nullptr},
    {"CreatePlatformEndpoint", nullptr},
    {"CreateSMSSandboxPhoneNumber", nullptr},
    {"DeleteEndpoint", nullptr},
    {"DeletePlatformApplication", nullptr},
    {"DeleteSMSSandboxPhoneNumber", nullptr},
    {"GetDataProtectionPolicy", nullptr},
    {"GetEndpointAttributes", nullptr},
    {"GetPlatformApplicationAttributes", nullptr},
    {"GetSMSSandboxAccountStatus", nullptr},
    {"ListEndpointsByPlatformApplication", nullptr},
    {"ListOriginationNumbers", nullptr},
    {"ListPhoneNumbersOptedOut", nullptr},
    {"ListPlatformApplications", nullptr},
    {"ListSMSSandboxPhoneNumbers", nullptr},
    {"OptInPhoneNumber", nullptr},
    {"PutDataProtectionPolicy", nullptr},
    {"SetEndpointAttributes", nullptr},
    {"SetPlatformApplicationAttributes", nullptr},
    {"VerifySMSSandboxPhoneNumber", nullptr},
};

}  // namespace

const Action* find_action(std::string_view name) {
  for (const Action& a : kActions)
    if (a.name == name) return &a;
  return nullptr;
}

}  // namespace wyvern::server::sns
