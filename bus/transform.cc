// Target input: PutTargets' checks on Input, InputPath and InputTransformer, and the text a
// target receives for a matched event.
//
// Where the rules come from. The member constraints are the events service model's (Input at
// most 8192 characters, InputPath 256, InputPathsMap at most 100 entries whose keys match
// [A-Za-z0-9\_\-]+ with 1 to 256 characters and whose values have at most 256, InputTemplate
// 1 to 8192), worded as AWS's request validation words them; a recorded answer shows the
// key rule failing for a map, so a reserved "aws.events.*" name is refused by its dots.
// The service's messages are AWS's, from recorded answers. The rendering follows the user
// guide's "Amazon EventBridge input transformation" page and answers recorded from AWS:
//  - A template whose first non-blank character is "{" is a JSON template; anything else
//    (a quoted string, an array, plain text) is text. <aws.events.event> and
//    <aws.events.event.json> are accepted only in JSON templates.
//  - Outside quotes in a JSON template a placeholder becomes its value as JSON: a string gets
//    quotes (and nothing else: EventBridge does not escape extracted values). Inside quotes,
//    and anywhere in a text template, a string goes in as its bare characters. An object or an
//    array inside quotes loses its own quotes ("Detail is {key1: value1}"); elsewhere it goes
//    in as JSON, its keys in the event's order.
//  - A path that matches nothing gives an empty value: "" as a bare JSON value, nothing at all
//    inside a string or a text template (recorded: {"command": <command>} -> {"command": ""}).
//  - A JSON template's result must be valid JSON, and is delivered minified; when it is not
//    valid (a value holding a quote, say) nothing is delivered. A text template's result is
//    delivered as it comes out.
//  - <aws.events.event> is the envelope without "detail", its keys as AWS delivers them (id,
//    account, detailType, time, source, region, resources, version) and "time" the ingestion
//    time; <aws.events.event.json> is the whole envelope; <aws.events.event.ingestion-time> is
//    ISO 8601 to the second.
// Not confirmed by a recorded answer, and chosen as the nearest reading of the above: a JSON
// null renders as null (as "null" inside a string), and an InputPath that selects nothing
// delivers nothing.
#include "bus/transform.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "foundation/jsonpath.h"

namespace wyvern::bus {
namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

constexpr size_t kMaxInput = 8192;
constexpr size_t kMaxPath = 256;
constexpr size_t kMaxTemplate = 8192;
constexpr size_t kMaxPaths = 100;
constexpr size_t kMaxKey = 256;

constexpr std::string_view kRuleArn = "aws.events.rule-arn";
constexpr std::string_view kRuleName = "aws.events.rule-name";
constexpr std::string_view kEvent = "aws.events.event";
constexpr std::string_view kEventJson = "aws.events.event.json";
constexpr std::string_view kIngestionTime = "aws.events.event.ingestion-time";

bool predefined(std::string_view name) {
  return name == kRuleArn || name == kRuleName || name == kEvent || name == kEventJson ||
         name == kIngestionTime;
}

// Length as the model counts it: in characters, not bytes.
size_t chars(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool key_ok(const std::string& key) {
  if (key.empty() || chars(key) > kMaxKey) return false;
  for (unsigned char c : key)
    if (!std::isalnum(c) && c != '_' && c != '-') return false;
  return true;
}

// A map as AWS's validation messages print it: {key=value, key=value}.
std::string map_text(const std::map<std::string, std::string>& map) {
  std::string out = "{";
  for (const auto& [k, v] : map) out += (out.size() > 1 ? ", " : "") + k + "=" + v;
  return out + "}";
}

std::string violation(const std::string& value, const std::string& member,
                      const std::string& constraint) {
  return "Value " + value + " at '" + member + "' failed to satisfy constraint: " + constraint;
}

std::string quoted(const std::string& s) {
  return "'" + s + "'";
}

// AWS takes JSONPath rooted at $, and refuses quoted bracket notation ($.a['b']).
bool path_ok(const std::string& text) {
  if (!jsonpath::parse(text)) return false;
  for (size_t open = text.find('['); open != std::string::npos; open = text.find('[', open + 1)) {
    size_t i = open + 1;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i < text.size() && (text[i] == '\'' || text[i] == '"')) return false;
  }
  return true;
}

bool json_template(std::string_view tmpl) {
  size_t i = tmpl.find_first_not_of(" \t\r\n");
  return i != std::string_view::npos && tmpl[i] == '{';
}

// A template cut into literal text and <name> placeholders. "<" and ">" cannot be escaped, so
// any "<" closed by a ">" with neither in between opens a placeholder. in_string: whether the
// placeholder sits between double quotes (a backslash escapes the character after it there).
struct Piece {
  std::string_view text;  // the literal, or the placeholder's name
  bool placeholder;
  bool in_string;
};

std::vector<Piece> pieces(std::string_view tmpl) {
  std::vector<Piece> out;
  bool in_string = false;
  size_t literal = 0;
  for (size_t i = 0; i < tmpl.size();) {
    char c = tmpl[i];
    if (c == '<') {
      size_t close = tmpl.find_first_of("<>", i + 1);
      if (close != std::string_view::npos && tmpl[close] == '>' && close > i + 1) {
        if (i > literal) out.push_back({tmpl.substr(literal, i - literal), false, in_string});
        out.push_back({tmpl.substr(i + 1, close - i - 1), true, in_string});
        i = literal = close + 1;
        continue;
      }
    } else if (in_string && c == '\\') {
      i += 2;
      continue;
    } else if (c == '"') {
      in_string = !in_string;
    }
    ++i;
  }
  if (literal < tmpl.size()) out.push_back({tmpl.substr(literal), false, in_string});
  return out;
}

// What `path` selects in the event, with objects keeping the event's key order. Deep scans and
// filters, outside what AWS documents, are answered by the foundation's evaluator.
std::optional<ojson> select(const jsonpath::Path& path, const ojson& doc, const json& event) {
  using Kind = jsonpath::Segment::Kind;
  for (const auto& seg : path.segments)
    if (seg.kind == Kind::kDeepField || seg.kind == Kind::kDeepWildcard ||
        seg.kind == Kind::kFilter) {
      auto found = jsonpath::query(path, event);
      if (!found) return std::nullopt;
      return ojson::parse(found->dump());
    }
  auto at = [](const ojson& array, long i) -> const ojson* {
    long n = static_cast<long>(array.size());
    if (i < 0) i += n;
    return i >= 0 && i < n ? &array[static_cast<size_t>(i)] : nullptr;
  };
  std::vector<const ojson*> nodes{&doc};
  for (const auto& seg : path.segments) {
    std::vector<const ojson*> next;
    for (const ojson* node : nodes) {
      switch (seg.kind) {
        case Kind::kField:
          if (node->is_object())
            if (auto it = node->find(seg.name); it != node->end()) next.push_back(&*it);
          break;
        case Kind::kIndex:
          if (node->is_array())
            if (auto* v = at(*node, seg.index)) next.push_back(v);
          break;
        case Kind::kWildcard:
          if (node->is_object() || node->is_array())
            for (const auto& v : *node) next.push_back(&v);
          break;
        case Kind::kSlice:
          if (node->is_array()) {
            long n = static_cast<long>(node->size());
            long step = seg.step.value_or(1);
            auto clamp = [&](std::optional<long> v, long fallback) {
              if (!v) return fallback;
              long x = *v < 0 ? n + *v : *v;
              return std::max(step > 0 ? 0L : -1L, std::min(x, step > 0 ? n : n - 1));
            };
            long start = clamp(seg.start, step > 0 ? 0 : n - 1);
            long end = clamp(seg.end, step > 0 ? n : -1);
            for (long i = start; step > 0 ? i < end : i > end; i += step)
              next.push_back(&(*node)[static_cast<size_t>(i)]);
          }
          break;
        case Kind::kUnion:
          for (const auto& member : seg.members) {
            if (member.is_string() && node->is_object()) {
              if (auto it = node->find(member.get<std::string>()); it != node->end())
                next.push_back(&*it);
            } else if (member.is_number_integer() && node->is_array()) {
              if (auto* v = at(*node, member.get<long>())) next.push_back(v);
            }
          }
          break;
        default:
          break;
      }
    }
    nodes = std::move(next);
  }
  if (path.definite) {
    if (nodes.empty()) return std::nullopt;
    return *nodes.front();
  }
  ojson out = ojson::array();
  for (const ojson* n : nodes) out.push_back(*n);
  return out;
}

std::string dump(const ojson& v) {
  return v.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace);
}

// The event with its keys in the order of its text.
ojson ordered(const std::string& event_text, const json& event) {
  ojson doc = ojson::parse(event_text, nullptr, false);
  return doc.is_discarded() ? ojson::parse(event.dump()) : doc;
}

std::string iso8601(TimeMs ms) {
  std::time_t seconds = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// A placeholder's value: nothing (a path that matched nothing), a string, or other JSON.
struct Value {
  enum class Kind { kMissing, kString, kJson } kind;
  std::string text;  // the string's characters, or the JSON text
};

Value value_of(const ojson& v) {
  if (v.is_string()) return {Value::Kind::kString, v.get<std::string>()};
  return {Value::Kind::kJson, dump(v)};
}

std::string render(const Value& v, bool in_string, bool json_tmpl) {
  bool bare_json = json_tmpl && !in_string;
  switch (v.kind) {
    case Value::Kind::kMissing:
      return bare_json ? "\"\"" : "";
    case Value::Kind::kString:
      return bare_json ? "\"" + v.text + "\"" : v.text;
    case Value::Kind::kJson:
      break;
  }
  if (!in_string) return v.text;
  std::string out;
  for (char c : v.text)
    if (c != '"') out += c;
  return out;
}

// `text` (valid JSON) without the whitespace between its tokens.
std::string minify(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
      out += c;
    } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> transform(const TargetInput& target, const json& event,
                                     const std::string& event_text, const RuleContext& rule) {
  const std::string tmpl = target.input_template.value_or("");
  const bool json_tmpl = json_template(tmpl);
  const auto parts = pieces(tmpl);
  ojson doc = ordered(event_text, event);

  std::map<std::string, Value, std::less<>> values;
  if (target.paths_map)
    for (const auto& [name, text] : *target.paths_map) {
      Value v{Value::Kind::kMissing, {}};
      if (auto path = jsonpath::parse(text))
        if (auto found = select(*path, doc, event)) v = value_of(*found);
      values[name] = std::move(v);
    }
  values[std::string(kRuleArn)] = {Value::Kind::kString, rule.rule_arn};
  values[std::string(kRuleName)] = {Value::Kind::kString, rule.rule_name};
  values[std::string(kIngestionTime)] = {Value::Kind::kString, iso8601(rule.ingestion_time)};
  values[std::string(kEventJson)] = {Value::Kind::kJson, event_text};
  ojson envelope = ojson::object();
  static const std::pair<const char*, const char*> kFields[] = {{"id", "id"},
                                                                {"account", "account"},
                                                                {"detail-type", "detailType"},
                                                                {"time", "time"},
                                                                {"source", "source"},
                                                                {"region", "region"},
                                                                {"resources", "resources"},
                                                                {"version", "version"}};
  for (const auto& [from, to] : kFields) {
    if (std::string_view(from) == "time")
      envelope[to] = iso8601(rule.ingestion_time);
    else if (doc.is_object() && doc.contains(from))
      envelope[to] = doc[from];
  }
  values[std::string(kEvent)] = {Value::Kind::kJson, dump(envelope)};

  std::string out;
  for (const auto& piece : parts) {
    if (!piece.placeholder) {
      out += piece.text;
      continue;
    }
    auto it = values.find(piece.text);
    if (it == values.end()) {
      out += "<" + std::string(piece.text) + ">";
      continue;
    }
    out += render(it->second, piece.in_string, json_tmpl);
  }
  if (!json_tmpl) return out;
  if (json::accept(out)) return minify(out);
  return std::nullopt;
}

}  // namespace

std::vector<std::string> target_input_violations(const TargetInput& target, size_t target_number) {
  const std::string member = "targets." + std::to_string(target_number) + ".member.";
  std::vector<std::string> out;
  auto too_long = [](size_t max) {
    return "Member must have length less than or equal to " + std::to_string(max);
  };
  if (target.input && chars(*target.input) > kMaxInput)
    out.push_back(violation(quoted(*target.input), member + "input", too_long(kMaxInput)));
  if (target.input_path && chars(*target.input_path) > kMaxPath)
    out.push_back(violation(quoted(*target.input_path), member + "inputPath", too_long(kMaxPath)));
  if (!target.has_transformer()) return out;

  if (const auto& map = target.paths_map) {
    const std::string at = member + "inputTransformer.inputPathsMap";
    const std::string value = quoted(map_text(*map));
    if (map->size() > kMaxPaths) out.push_back(violation(value, at, too_long(kMaxPaths)));
    bool keys = true, values = true;
    for (const auto& [k, v] : *map) {
      keys = keys && key_ok(k);
      values = values && chars(v) <= kMaxPath;
    }
    if (!keys)
      out.push_back(violation(value, at,
                              "Map keys must satisfy constraint: [Member must have length less "
                              "than or equal to 256, Member must have length greater than or "
                              "equal to 1, Member must satisfy regular expression pattern: "
                              "[A-Za-z0-9\\_\\-]+]"));
    if (!values)
      out.push_back(violation(value, at,
                              "Map value must satisfy constraint: [Member must have length less "
                              "than or equal to 256]"));
  }
  const std::string at = member + "inputTransformer.inputTemplate";
  if (!target.input_template) {
    out.push_back(violation("null", at, "Member must not be null"));
  } else if (target.input_template->empty()) {
    out.push_back(violation("''", at, "Member must have length greater than or equal to 1"));
  } else if (chars(*target.input_template) > kMaxTemplate) {
    out.push_back(violation(quoted(*target.input_template), at, too_long(kMaxTemplate)));
  }
  return out;
}

std::optional<Error> validate_target_input(const TargetInput& target, std::string_view target_id,
                                           size_t target_number) {
  auto fail = [](std::string message) {
    return Error{ErrorCode::kSfnValidation, std::move(message)};
  };
  auto model = target_input_violations(target, target_number);
  if (!model.empty()) {
    std::string message = std::to_string(model.size()) +
                          (model.size() == 1 ? " validation error" : " validation errors") +
                          " detected: ";
    for (size_t i = 0; i < model.size(); ++i) message += (i ? "; " : "") + model[i];
    return fail(std::move(message));
  }
  const std::string id(target_id);
  int shapes = target.input.has_value() + target.input_path.has_value() + target.has_transformer();
  if (shapes > 1)
    return fail("Only one of Input, InputPath, or InputTransformer must be provided for target " +
                id + ".");
  if (target.input && !json::accept(*target.input))
    return fail("JSON syntax error in input for target " + id + ".");
  if (target.input_path && !path_ok(*target.input_path))
    return fail("InputPath for target " + id + " is invalid.");
  if (!target.has_transformer()) return std::nullopt;
  if (target.paths_map)
    for (const auto& [name, path] : *target.paths_map)
      if (!path_ok(path)) return fail("InputPath for target " + id + " is invalid.");
  const bool json_tmpl = json_template(*target.input_template);
  for (const auto& piece : pieces(*target.input_template)) {
    if (!piece.placeholder) continue;
    const std::string name(piece.text);
    bool known = predefined(name) || (target.paths_map && target.paths_map->count(name));
    if (!known)
      return fail("InputTemplate for target " + id + " contains invalid placeholder " + name + ".");
    if ((name == kEvent || name == kEventJson) && !json_tmpl)
      return fail("InputTemplate for target " + id + " contains placeholder " + name +
                  " valid only for JSON template.");
  }
  return std::nullopt;
}

std::optional<std::string> target_payload(const TargetInput& target, const json& event,
                                          const std::string& event_text, const RuleContext& rule) {
  if (target.input) return *target.input;
  if (target.input_path) {
    auto path = jsonpath::parse(*target.input_path);
    if (!path) return std::nullopt;
    if (path->segments.empty()) return event_text;
    auto found = select(*path, ordered(event_text, event), event);
    if (!found) return std::nullopt;
    return dump(*found);
  }
  if (target.has_transformer()) return transform(target, event, event_text, rule);
  return event_text;
}

}  // namespace wyvern::bus
