#include "jsonata_mode.h"

#include <algorithm>
#include <map>
#include <variant>

#include "jsonata/jsonata.h"

namespace wyvern::stepfn {
namespace {

constexpr char kJsonata[] = "JSONata";

// The expression between "{%" and "%}", without the spaces around it (AWS's error causes
// quote it so).
std::string inside(const std::string& value) {
  std::string text = value.substr(2, value.size() - 4);
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// Compiled expressions by their text. Per thread because TestState and the engine may run on
// different threads; an Expression is immutable, so sharing one within a thread is safe. The
// cache only grows with distinct expression texts, which come from stored definitions.
const std::variant<jsonata::Expression, jsonata::Error>& compiled(const std::string& text) {
  thread_local std::map<std::string, std::variant<jsonata::Expression, jsonata::Error>, std::less<>>
      cache;
  auto it = cache.find(text);
  if (it == cache.end()) it = cache.emplace(text, jsonata::compile(text)).first;
  return it->second;
}

std::string cause_prefix(const JsonataFrame& frame) {
  return "An error occurred while executing the state '" + frame.state +
         "' (entered at the event id #" + std::to_string(frame.entered_event) + "). ";
}

// A QueryEvaluationError located in `field`.
Outcome located_failure(const std::string& field, std::string cause) {
  return {nullptr, StateError{kQueryEvaluationError, std::move(cause), field}};
}

Outcome evaluate_expression(const std::string& value, const JsonataFrame& frame,
                            const std::string& field) {
  std::string text = inside(value);
  const auto& program = compiled(text);
  if (const auto* error = std::get_if<jsonata::Error>(&program))
    return located_failure(field, cause_prefix(frame) + "The JSONata expression '" + text +
                                      "' specified for the field '" + field +
                                      "' could not be parsed: " + error->code + ": " +
                                      error->message);
  // "$eval is not available" (transforming-data.html): the engine has it built in, so a call
  // fails here as a call of an unbound function would (JSONata's T1006).
  const auto& expression = std::get<jsonata::Expression>(program);
  const auto& functions = expression.referenced_functions();
  if (std::find(functions.begin(), functions.end(), "eval") != functions.end())
    return located_failure(field,
                           cause_prefix(frame) + "The JSONata expression '" + text +
                               "' specified for the field '" + field +
                               "' threw an error during evaluation. T1006: Attempted to invoke a "
                               "non-function: $eval is not supported in Step Functions workflows");
  jsonata::Bindings bindings;
  if (frame.variables) {
    json all = frame.variables->all();
    for (auto& [name, v] : all.items()) bindings.variables[name] = v;
  }
  bindings.variables["states"] = frame.states;
  bindings.now_millis = frame.now_millis;
  // Step Functions' additions; $eval stays unbound ("$eval is not available",
  // transforming-data.html), so calling it is JSONata's T1006.
  jsonata::add_step_functions_functions(bindings);
  auto result = expression.evaluate(std::nullopt, bindings);
  if (const auto* error = std::get_if<jsonata::Error>(&result))
    return located_failure(field, cause_prefix(frame) + "The JSONata expression '" + text +
                                      "' specified for the field '" + field +
                                      "' threw an error during evaluation. " + error->code + ": " +
                                      error->message);
  auto& produced = std::get<std::optional<json>>(result);
  if (!produced)
    return located_failure(field, cause_prefix(frame) + "The JSONata expression '" + text +
                                      "' specified for the field '" + field +
                                      "' returned nothing (undefined).");
  return {std::move(*produced), std::nullopt};
}

// A state without a QueryLanguage takes its machine's (transforming-data.html); a branch or
// item processor without one takes the language of the machine around it.
void propagate(json& machine, const std::string& inherited) {
  if (!machine.is_object()) return;
  std::string language = machine.contains("QueryLanguage") && machine["QueryLanguage"].is_string()
                             ? machine["QueryLanguage"].get<std::string>()
                             : inherited;
  if (!machine.contains("States") || !machine["States"].is_object()) return;
  for (auto& [name, st] : machine["States"].items()) {
    if (!st.is_object()) continue;
    if (!st.contains("QueryLanguage") && language == kJsonata) st["QueryLanguage"] = language;
    if (st.contains("Branches") && st["Branches"].is_array())
      for (auto& branch : st["Branches"]) propagate(branch, language);
    for (const char* nested : {"ItemProcessor", "Iterator"})
      if (st.contains(nested)) propagate(st[nested], language);
  }
}

}  // namespace

bool is_jsonata(const json& state) {
  return state.is_object() && state.contains("QueryLanguage") && state["QueryLanguage"] == kJsonata;
}

void propagate_query_language(json& definition) {
  propagate(definition, "JSONPath");
}

bool is_expression(const json& value) {
  if (!value.is_string()) return false;
  const std::string& text = value.get_ref<const std::string&>();
  return text.size() >= 4 && text.compare(0, 2, "{%") == 0 &&
         text.compare(text.size() - 2, 2, "%}") == 0;
}

ExpressionFacts expression_facts(const std::string& value) {
  ExpressionFacts facts;
  const auto& program = compiled(inside(value));
  if (const auto* error = std::get_if<jsonata::Error>(&program)) {
    facts.syntax_error = error->message;
    return facts;
  }
  const auto& expression = std::get<jsonata::Expression>(program);
  facts.context_references = expression.context_references();
  for (const auto& field : expression.referenced_variable_fields())
    if (field.rfind("states.", 0) == 0) facts.states_fields.push_back(field.substr(7));
  return facts;
}

json states_object(const json& input, const json& context, const json* result,
                   const json* error_output) {
  json states = {{"input", input}, {"context", context}};
  if (result) states["result"] = *result;
  if (error_output) states["errorOutput"] = *error_output;
  return states;
}

Outcome evaluate_jsonata(const json& value, const JsonataFrame& frame, const std::string& field) {
  if (is_expression(value)) return evaluate_expression(value.get<std::string>(), frame, field);
  if (value.is_object()) {
    json out = json::object();
    for (const auto& [key, member] : value.items()) {
      Outcome v = evaluate_jsonata(member, frame, field);
      if (v.error) return v;
      out[key] = std::move(v.value);
    }
    return {std::move(out), std::nullopt};
  }
  if (value.is_array()) {
    json out = json::array();
    for (const auto& member : value) {
      Outcome v = evaluate_jsonata(member, frame, field);
      if (v.error) return v;
      out.push_back(std::move(v.value));
    }
    return {std::move(out), std::nullopt};
  }
  return {value, std::nullopt};
}

StateError query_evaluation_error(const JsonataFrame& frame, const std::string& field,
                                  const std::string& problem) {
  return {kQueryEvaluationError,
          cause_prefix(frame) + "The value of the field '" + field + "' " + problem, field};
}

Outcome evaluate_jsonata_integer(const json& value, const JsonataFrame& frame,
                                 const std::string& field, int64_t low, int64_t high) {
  Outcome v = evaluate_jsonata(value, frame, field);
  if (v.error) return v;
  const json& n = v.value;
  bool whole = n.is_number_integer() ||
               (n.is_number_float() &&
                n.get<double>() == static_cast<double>(static_cast<int64_t>(n.get<double>())));
  if (!n.is_number() || !whole || n.get<double>() < static_cast<double>(low) ||
      n.get<double>() > static_cast<double>(high))
    return {nullptr,
            query_evaluation_error(frame, field,
                                   "must be an integer from " + std::to_string(low) + " to " +
                                       std::to_string(high) + ", not " + n.dump())};
  return {json(static_cast<int64_t>(n.get<double>())), std::nullopt};
}

Outcome jsonata_fail_details(const json& state, const JsonataFrame& frame) {
  json details = json::object();
  for (const char* f : {"Error", "Cause"}) {
    if (!state.contains(f)) continue;
    Outcome v = evaluate_jsonata(state[f], frame, f);
    if (v.error) return v;
    if (!v.value.is_string())
      return {nullptr, query_evaluation_error(frame, f, "must be a string, not " + v.value.dump())};
    details[std::string(f) == "Error" ? "error" : "cause"] = std::move(v.value);
  }
  return {std::move(details), std::nullopt};
}

}  // namespace wyvern::stepfn
