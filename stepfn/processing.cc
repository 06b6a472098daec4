#include "processing.h"

#include <cmath>
#include <ctime>
#include <functional>
#include <vector>

#include "foundation/jsonpath.h"
#include "intrinsics.h"
#include "jsonata_mode.h"

namespace wyvern::stepfn {
namespace {

Outcome read_path(const std::string& text, const json& input, const Bindings& bindings,
                  const std::string& field) {
  Selection found = select(text, input, bindings);
  switch (found.problem) {
    case Selection::Problem::kNone:
      return {std::move(*found.value), std::nullopt};
    case Selection::Problem::kInvalid:
      return Outcome::fail("States.Runtime", "Invalid path '" + text + "'");
    case Selection::Problem::kUndefinedVariable:
      // AWS's wording for this case is not documented (see README: differences).
      return Outcome::fail("States.Runtime",
                           "The JSONPath '" + text + "' specified for the field '" + field +
                               "' references the variable '" + path_ref(text)->variable +
                               "', which has no value in this scope");
    case Selection::Problem::kNoMatch:
      break;
  }
  return Outcome::fail("States.Runtime", "The JSONPath '" + text + "' specified for the field '" +
                                             field + "' could not be found in the input '" +
                                             found.searched->dump() + "'");
}

// StringMatches: '*' matches any run of characters; '\*' is a literal star and '\\' a
// literal backslash. Greedy with one backtrack point, so it runs in O(pattern x text).
bool wildcard_match(const std::string& pattern, const std::string& text) {
  // Tokens: (character, is_star).
  std::vector<std::pair<char, bool>> p;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size())
      p.emplace_back(pattern[++i], false);
    else
      p.emplace_back(pattern[i], pattern[i] == '*');
  }
  size_t pi = 0, ti = 0, star = std::string::npos, mark = 0;
  while (ti < text.size()) {
    if (pi < p.size() && !p[pi].second && p[pi].first == text[ti]) {
      ++pi, ++ti;
    } else if (pi < p.size() && p[pi].second) {
      star = pi++;
      mark = ti;
    } else if (star != std::string::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi].second) ++pi;
  return pi == p.size();
}

struct Rule {
  const json& input;
  const Bindings& bindings;

  std::optional<json> variable(const json& rule) const {
    return select(rule.value("Variable", "$"), input, bindings).value;
  }

  // Evaluates a rule; an error when a Path operand or the Variable is missing where AWS fails.
  Outcome eval(const json& rule) const {
    if (rule.contains("And") || rule.contains("Or")) {
      bool is_and = rule.contains("And");
      for (const auto& sub : rule[is_and ? "And" : "Or"]) {
        Outcome o = eval(sub);
        if (o.error) return o;
        if (o.value.get<bool>() != is_and) return {!is_and, std::nullopt};
      }
      return {is_and, std::nullopt};
    }
    if (rule.contains("Not")) {
      Outcome o = eval(rule["Not"]);
      if (o.error) return o;
      return {!o.value.get<bool>(), std::nullopt};
    }
    auto v = variable(rule);
    for (const auto& [op, operand] : rule.items()) {
      if (op == "Variable" || op == "Next" || op == "Comment" || op == "Assign") continue;
      if (op == "IsPresent") return {v.has_value() == operand.get<bool>(), std::nullopt};
      if (!v)
        return Outcome::fail("States.Runtime", "Invalid path '" + rule.value("Variable", "") +
                                                   "': The choice state's condition path "
                                                   "references an undefined value.");
      if (op.rfind("Is", 0) == 0) {
        bool is = false;
        if (op == "IsNull") is = v->is_null();
        if (op == "IsBoolean") is = v->is_boolean();
        if (op == "IsNumeric") is = v->is_number();
        if (op == "IsString") is = v->is_string();
        if (op == "IsTimestamp") is = v->is_string() && parse_timestamp(*v).has_value();
        return {is == operand.get<bool>(), std::nullopt};
      }
      json other = operand;
      std::string name = op;
      if (name.size() > 4 && name.compare(name.size() - 4, 4, "Path") == 0) {
        name.resize(name.size() - 4);
        Outcome o = read_path(operand.get<std::string>(), input, bindings, op);
        if (o.error) return o;
        other = o.value;
      }
      return {compare(name, *v, other), std::nullopt};
    }
    return {false, std::nullopt};
  }

  static bool compare(const std::string& op, const json& a, const json& b) {
    auto kind = [&](const char* prefix) { return op.rfind(prefix, 0) == 0; };
    std::string relation = op;
    int cmp = 0;
    if (kind("Boolean")) {
      return a.is_boolean() && b.is_boolean() && a == b;
    } else if (kind("Numeric")) {
      if (!a.is_number() || !b.is_number()) return false;
      double x = a.get<double>(), y = b.get<double>();
      cmp = x < y ? -1 : x > y ? 1 : 0;
      relation = op.substr(7);
    } else if (op == "StringMatches") {
      return a.is_string() && b.is_string() &&
             wildcard_match(b.get<std::string>(), a.get<std::string>());
    } else if (kind("String")) {
      if (!a.is_string() || !b.is_string()) return false;
      int c = a.get<std::string>().compare(b.get<std::string>());
      cmp = c < 0 ? -1 : c > 0 ? 1 : 0;
      relation = op.substr(6);
    } else if (kind("Timestamp")) {
      if (!a.is_string() || !b.is_string()) return false;
      auto x = parse_timestamp(a), y = parse_timestamp(b);
      if (!x || !y) return false;
      cmp = *x < *y ? -1 : *x > *y ? 1 : 0;
      relation = op.substr(9);
    }
    if (relation == "Equals") return cmp == 0;
    if (relation == "GreaterThan") return cmp > 0;
    if (relation == "GreaterThanEquals") return cmp >= 0;
    if (relation == "LessThan") return cmp < 0;
    if (relation == "LessThanEquals") return cmp <= 0;
    return false;
  }
};

}  // namespace

Outcome apply_input_path(const json& state, const json& input, const Bindings& bindings) {
  if (!state.contains("InputPath")) return {input, std::nullopt};
  if (state["InputPath"].is_null()) return {json::object(), std::nullopt};
  return read_path(state["InputPath"].get<std::string>(), input, bindings, "InputPath");
}

Outcome apply_payload(const json& payload, const json& input, const Bindings& bindings,
                      const std::string& field) {
  if (payload.is_array()) {
    json out = json::array();
    for (const auto& item : payload) {
      Outcome o = apply_payload(item, input, bindings, field);
      if (o.error) return o;
      out.push_back(std::move(o.value));
    }
    return {std::move(out), std::nullopt};
  }
  if (!payload.is_object()) return {payload, std::nullopt};
  json out = json::object();
  for (const auto& [key, value] : payload.items()) {
    if (key.size() > 2 && key.compare(key.size() - 2, 2, ".$") == 0) {
      std::string name = key.substr(0, key.size() - 2);
      Outcome o = read_path_field(value, input, bindings, key);
      if (o.error) return o;
      out[name] = std::move(o.value);
    } else {
      Outcome o = apply_payload(value, input, bindings, field);
      if (o.error) return o;
      out[key] = std::move(o.value);
    }
  }
  return {std::move(out), std::nullopt};
}

Outcome read_path_field(const json& text, const json& input, const Bindings& bindings,
                        const std::string& field) {
  const std::string path = text.is_string() ? text.get<std::string>() : text.dump();
  if (!is_intrinsic(path)) return read_path(path, input, bindings, field);
  IntrinsicResult r = evaluate_intrinsic(path, input, bindings);
  if (!r.value) return Outcome::fail("States.IntrinsicFailure", r.error);
  return {std::move(*r.value), std::nullopt};
}

Outcome apply_result_path(const json& state, const json& input, const json& result) {
  if (!state.contains("ResultPath")) return {result, std::nullopt};
  if (state["ResultPath"].is_null()) return {input, std::nullopt};
  std::string text = state["ResultPath"].get<std::string>();
  auto path = jsonpath::parse(text);
  auto written = path ? jsonpath::set(*path, input, result) : std::nullopt;
  if (!written)
    return Outcome::fail("States.ResultPathMatchFailure",
                         "Unable to apply ReferencePath " + text + " to input " + input.dump());
  return {std::move(*written), std::nullopt};
}

Outcome apply_output_path(const json& state, const json& value, const Bindings& bindings) {
  if (!state.contains("OutputPath")) return {value, std::nullopt};
  if (state["OutputPath"].is_null()) return {json::object(), std::nullopt};
  return read_path(state["OutputPath"].get<std::string>(), value, bindings, "OutputPath");
}

Chosen choose(const json& state, const json& input, const Bindings& bindings) {
  Rule rules{input, bindings};
  const json& choices = state["Choices"];
  for (size_t i = 0; i < choices.size(); ++i) {
    Outcome o = rules.eval(choices[i]);
    if (o.error) return {"", -1, o.error};
    if (o.value.get<bool>())
      return {choices[i]["Next"].get<std::string>(), static_cast<int>(i), std::nullopt};
  }
  if (state.contains("Default")) return {state["Default"].get<std::string>(), -1, std::nullopt};
  return {
      "", -1,
      StateError{"States.NoChoiceMatched", "No Matches! Choice state did not match any rules."}};
}

Outcome evaluate_assign(const json& state, const json& assign, const json& document,
                        const Bindings& bindings) {
  // JSONata mode: every value is a literal or a "{% %}" expression, evaluated against the
  // `$states` the caller put in the frame (with `result` or `errorOutput` where Assign may
  // read them); `document` is not used.
  if (is_jsonata(state) && bindings.jsonata)
    return evaluate_jsonata(assign, *bindings.jsonata, "Assign");
  // JSONPath mode: "JSONPath variable assignments behave similarly to payload templates"
  // (workflow-variables.html): "name.$" keys take a path's or an intrinsic's value, nested
  // ".$" keys too, and every other value is a literal.
  return apply_payload(assign, document, bindings, "Assign");
}

size_t variable_bytes(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace).size();
}

// AWS documents the limits but not the error that breaking one raises: Wyvern raises the one
// it raises for an oversized state output, States.DataLimitExceeded (README: differences).
std::optional<StateError> assignment_limits(const std::string& state, const json& assigned,
                                            size_t execution_bytes_after) {
  if (!assigned.is_object()) return std::nullopt;
  size_t total = 0;
  for (const auto& [name, value] : assigned.items()) {
    size_t bytes = variable_bytes(value);
    if (bytes > kMaxVariableBytes)
      return StateError{"States.DataLimitExceeded",
                        "The state/task '" + state + "' assigned the variable '" + name +
                            "' a value with a size exceeding the maximum number of bytes "
                            "service limit (256 KiB per variable)."};
    total += bytes;
  }
  if (total > kMaxAssignBytes)
    return StateError{"States.DataLimitExceeded",
                      "The state/task '" + state +
                          "' assigned variables with a combined size exceeding the maximum "
                          "number of bytes service limit (256 KiB per Assign field)."};
  if (execution_bytes_after > kMaxExecutionVariableBytes)
    return StateError{"States.DataLimitExceeded",
                      "The state/task '" + state +
                          "' assigned variables that bring the execution's variables to a size "
                          "exceeding the maximum number of bytes service limit (10 MiB per "
                          "execution)."};
  return std::nullopt;
}

std::optional<int64_t> parse_timestamp(const std::string& s) {
  int y, mo, d, h, mi, sec;
  if (s.size() < 20) return std::nullopt;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) != 6)
    return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits, ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int k = digits; k < 3; ++k) millis *= 10;
  }
  int offset_minutes = 0;
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos + 6 == s.size() && (s[pos] == '+' || s[pos] == '-') && s[pos + 3] == ':' &&
             std::isdigit(static_cast<unsigned char>(s[pos + 1])) &&
             std::isdigit(static_cast<unsigned char>(s[pos + 2])) &&
             std::isdigit(static_cast<unsigned char>(s[pos + 4])) &&
             std::isdigit(static_cast<unsigned char>(s[pos + 5]))) {
    int oh = std::stoi(s.substr(pos + 1, 2)), om = std::stoi(s.substr(pos + 4, 2));
    offset_minutes = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size() || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  int64_t epoch = static_cast<int64_t>(timegm(&tm));
  return (epoch - offset_minutes * 60) * 1000 + millis;
}

}  // namespace wyvern::stepfn
