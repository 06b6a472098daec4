// SNS speaks only the Query protocol; Step Functions' aws-sdk:sns integration speaks JSON. These
// two translations let that integration use the same action table a client's request does.
//
// Requests follow botocore's Query serialiser for SNS: a structure's members are
// "<prefix>.<Member>", a list's items "<prefix>.member.N", a map's entries
// "<prefix>.entry.N.key/value" (SNS's message-attribute maps name them "Name"/"Value").
// Results follow the shapes of SNS's model: "member" children make a list, "entry" children a
// map, and the few boolean members are booleans.
#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <cctype>
#include <set>
#include <sstream>

#include "sns_api.h"

namespace wyvern::server::sns {
namespace {

using json = nlohmann::json;

// The members of SNS's requests that are maps (everything else object-valued is a structure).
bool is_map(const std::string& member) {
  return member == "Attributes" || member == "attributes" || member == "MessageAttributes";
}

// Step Functions takes every member in PascalCase; the SMS actions' members are camelCase on
// the wire ("phoneNumber", "attributes", "nextToken").
bool camel_case_members(std::string_view action) {
  return action == "CheckIfPhoneNumberIsOptedOut" || action == "GetSMSAttributes" ||
         action == "SetSMSAttributes" || action == "ListPhoneNumbersOptedOut" ||
         action == "OptInPhoneNumber";
}

std::string scalar(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_null()) return "";
  return v.dump();
}

void flatten(const std::string& prefix, const std::string& member, const json& v, Params& out) {
  if (v.is_null()) return;  // an absent member, as the SDK leaves it out
  if (v.is_array()) {
    if (v.empty()) {
      out.emplace_back(prefix, "");  // botocore's way of sending an empty list
      return;
    }
    long n = 0;
    for (const auto& item : v) flatten(prefix + ".member." + std::to_string(++n), "", item, out);
    return;
  }
  if (v.is_object() && is_map(member)) {
    bool attributes = member == "MessageAttributes";
    long n = 0;
    for (const auto& [key, value] : v.items()) {
      std::string entry = prefix + ".entry." + std::to_string(++n);
      out.emplace_back(entry + (attributes ? ".Name" : ".key"), key);
      flatten(entry + (attributes ? ".Value" : ".value"), "", value, out);
    }
    return;
  }
  if (v.is_object()) {
    for (const auto& [key, value] : v.items())
      flatten(prefix.empty() ? key : prefix + "." + key, key, value, out);
    return;
  }
  out.emplace_back(prefix, scalar(v));
}

using Tree = boost::property_tree::ptree;

// Result members whose value is a list or a map even when empty, and the boolean ones.
const std::set<std::string> kLists = {"Topics", "Subscriptions", "Tags", "Successful", "Failed"};
const std::set<std::string> kMaps = {"Attributes", "attributes"};
const std::set<std::string> kBooleans = {"SenderFault", "isOptedOut"};

std::string pascal(std::string name) {
  if (!name.empty()) name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
  return name;
}

json value_of(const std::string& name, const Tree& node) {
  bool members = false, entries = false, others = false;
  for (const auto& [child, _] : node) {
    if (child == "<xmlattr>" || child == "<xmlcomment>") continue;
    (child == "member" ? members : child == "entry" ? entries : others) = true;
  }
  if (members && !others && !entries) {
    json list = json::array();
    for (const auto& [child, item] : node)
      if (child == "member") list.push_back(value_of("", item));
    return list;
  }
  if (entries && !others && !members) {
    json map = json::object();
    for (const auto& [child, entry] : node)
      if (child == "entry") map[entry.get("key", "")] = entry.get("value", "");
    return map;
  }
  if (others) {
    json object = json::object();
    for (const auto& [child, sub] : node)
      if (child != "<xmlattr>" && child != "<xmlcomment>") object[pascal(child)] = value_of(child, sub);
    return object;
  }
  if (kLists.count(name)) return json::array();
  if (kMaps.count(name)) return json::object();
  std::string text = node.data();
  if (kBooleans.count(name)) return text == "true";
  return text;
}

}  // namespace

Params query_params(std::string_view action, const json& request) {
  Params out;
  if (!request.is_object()) return out;
  for (const auto& [key, value] : request.items()) {
    std::string name = key;
    if (camel_case_members(action) && !name.empty())
      name[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(name[0])));
    flatten(name, name, value, out);
  }
  return out;
}

json result_json(const std::optional<std::string>& result_xml) {
  if (!result_xml || result_xml->empty()) return json::object();
  Tree tree;
  std::istringstream in("<Result>" + *result_xml + "</Result>");
  try {
    boost::property_tree::read_xml(in, tree);
  } catch (const boost::property_tree::xml_parser_error&) {
    return json::object();  // our own rendering; unreachable unless it is broken
  }
  json out = value_of("Result", tree.get_child("Result"));
  return out.is_object() ? out : json::object();
}

}  // namespace wyvern::server::sns
