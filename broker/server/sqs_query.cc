// The Query protocol's shapes for SQS, as rewrites to and from the JSON protocol's shapes.
//
// Query names flattened lists and maps with numbered keys ("AttributeName.1",
// "Attribute.2.Name"/"Attribute.2.Value", "SendMessageBatchRequestEntry.3.Id"). The rules
// below give, for each such Query name, the JSON member it becomes and its kind; everything
// else is a scalar whose name is the same in both protocols.
#include <algorithm>
#include <map>

#include "sqs_api.h"

namespace wyvern::server::sqs {
namespace {

enum class Kind { kScalarList, kStructList, kStringMap, kStructMap };
struct Rule {
  std::string_view query_name;
  std::string_view json_name;
  Kind kind;
  std::string_view key_field = "Name";     // maps: the member naming the key ...
  std::string_view value_field = "Value";  // ... and the one holding the value
};

constexpr Rule kRules[] = {
    {"AttributeName", "AttributeNames", Kind::kScalarList},
    {"MessageAttributeName", "MessageAttributeNames", Kind::kScalarList},
    {"MessageSystemAttributeName", "MessageSystemAttributeNames", Kind::kScalarList},
    {"TagKey", "TagKeys", Kind::kScalarList},
    {"AWSAccountId", "AWSAccountIds", Kind::kScalarList},
    {"ActionName", "Actions", Kind::kScalarList},
    {"Attribute", "Attributes", Kind::kStringMap},
    {"Tag", "Tags", Kind::kStringMap, "Key", "Value"},
    {"MessageAttribute", "MessageAttributes", Kind::kStructMap},
    {"MessageSystemAttribute", "MessageSystemAttributes", Kind::kStructMap},
    {"SendMessageBatchRequestEntry", "Entries", Kind::kStructList},
    {"DeleteMessageBatchRequestEntry", "Entries", Kind::kStructList},
    {"ChangeMessageVisibilityBatchRequestEntry", "Entries", Kind::kStructList},
};

// Members that are integers in the JSON protocol.
constexpr std::string_view kIntegerMembers[] = {
    "DelaySeconds",    "MaxNumberOfMessages", "VisibilityTimeout",
    "WaitTimeSeconds", "MaxResults",          "MaxNumberOfMessagesPerSecond"};

// A parameter tree: "A.1.B" becomes node A -> child "1" -> child "B" with a value.
struct Node {
  std::optional<std::string> value;
  std::map<std::string, Node> children;
};

json scalar(std::string_view name, const std::string& value) {
  bool integer = std::find(std::begin(kIntegerMembers), std::end(kIntegerMembers), name) !=
                 std::end(kIntegerMembers);
  if (integer && !value.empty() && value.size() < 10 &&
      std::all_of(value.begin() + (value[0] == '-'), value.end(), ::isdigit) && value != "-")
    return std::stoi(value);
  return value;  // left as text: the action reports it as an invalid value
}

// Children numbered 1..n in numeric order.
std::vector<const Node*> numbered(const Node& node) {
  std::vector<std::pair<long, const Node*>> items;
  for (const auto& [k, child] : node.children) {
    char* end = nullptr;
    long n = std::strtol(k.c_str(), &end, 10);
    if (end && *end == '\0') items.emplace_back(n, &child);
  }
  std::sort(items.begin(), items.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const Node*> out;
  for (auto& [n, child] : items) out.push_back(child);
  return out;
}

json convert_struct(const Node& node);

json convert_member(std::string_view name, const Node& node, json& parent) {
  auto rule = std::find_if(std::begin(kRules), std::end(kRules),
                           [&](const Rule& r) { return r.query_name == name; });
  if (rule == std::end(kRules)) {
    if (!node.children.empty()) return parent[std::string(name)] = convert_struct(node);
    return parent[std::string(name)] = scalar(name, node.value.value_or(""));
  }
  json& out = parent[std::string(rule->json_name)];
  switch (rule->kind) {
    case Kind::kScalarList:
      out = json::array();
      for (const Node* item : numbered(node)) out.push_back(item->value.value_or(""));
      break;
    case Kind::kStructList:
      out = json::array();
      for (const Node* item : numbered(node)) out.push_back(convert_struct(*item));
      break;
    case Kind::kStringMap:
    case Kind::kStructMap:
      out = json::object();
      for (const Node* item : numbered(node)) {
        auto key = item->children.find(std::string(rule->key_field));
        auto value = item->children.find(std::string(rule->value_field));
        if (key == item->children.end() || !key->second.value) continue;
        if (rule->kind == Kind::kStringMap)
          out[*key->second.value] =
              value == item->children.end() ? "" : value->second.value.value_or("");
        else
          out[*key->second.value] =
              value == item->children.end() ? json::object() : convert_struct(value->second);
      }
      break;
  }
  return out;
}

json convert_struct(const Node& node) {
  json out = json::object();
  for (const auto& [name, child] : node.children) convert_member(name, child, out);
  return out;
}

void xml_value(std::string& out, const std::string& name, const json& value);

// Element names for the members of results that the Query protocol flattens.
std::string list_item_name(std::string_view action, const std::string& member) {
  if (member == "QueueUrls" || member == "queueUrls") return "QueueUrl";
  if (member == "Messages") return "Message";
  if (member == "Successful") return std::string(action) + "ResultEntry";
  if (member == "Failed") return "BatchResultErrorEntry";
  if (member == "Results") return "ListMessageMoveTasksResultEntry";
  return member;
}

void xml_members(std::string& out, std::string_view action, const json& object) {
  for (const auto& [name, value] : object.items()) {
    if (value.is_array()) {
      std::string item = list_item_name(action, name);
      for (const auto& element : value) xml_value(out, item, element);
    } else if (value.is_object() && (name == "Attributes" || name == "Tags")) {
      std::string item = name == "Tags" ? "Tag" : "Attribute";
      std::string key = name == "Tags" ? "Key" : "Name";
      for (const auto& [k, v] : value.items()) {
        out += "<" + item + "><" + key + ">" + xml_escape(k) + "</" + key + "><Value>" +
               xml_escape(v.is_string() ? v.get<std::string>() : v.dump()) + "</Value></" + item +
               ">";
      }
    } else if (value.is_object() && name == "MessageAttributes") {
      for (const auto& [k, v] : value.items()) {
        out += "<MessageAttribute><Name>" + xml_escape(k) + "</Name>";
        xml_value(out, "Value", v);
        out += "</MessageAttribute>";
      }
    } else {
      xml_value(out, name, value);
    }
  }
}

void xml_value(std::string& out, const std::string& name, const json& value) {
  out += "<" + name + ">";
  if (value.is_object())
    xml_members(out, "", value);
  else if (value.is_string())
    out += xml_escape(value.get<std::string>());
  else
    out += value.dump();  // numbers and booleans print as Query expects
  out += "</" + name + ">";
}

}  // namespace

json query_to_json(const std::vector<std::pair<std::string, std::string>>& params) {
  Node root;
  for (const auto& [key, value] : params) {
    Node* node = &root;
    size_t start = 0;
    while (true) {
      size_t dot = key.find('.', start);
      node = &node->children[key.substr(start, dot - start)];
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    node->value = value;
  }
  return convert_struct(root);
}

std::string result_to_xml(std::string_view action, const json& result) {
  std::string out;
  if (result.is_object()) xml_members(out, action, result);
  return out;
}

}  // namespace wyvern::server::sqs
