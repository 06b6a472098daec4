// Step Functions' JSONata query language mode (transforming-data.html): which states use it,
// what a "{% ... %}" field value is, and how such values are evaluated against `$states` and
// the variables in scope. The interpreter calls these in place of the JSONPath-mode
// processing (processing.h) for a state whose QueryLanguage is JSONata.
//
// Compiled expressions are cached per thread by their text: a machine's expressions are
// compiled once at creation (to validate them) and then looked up on every evaluation.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "processing.h"
#include "variables.h"

namespace wyvern::stepfn {

using json = nlohmann::json;

inline constexpr char kQueryEvaluationError[] = "States.QueryEvaluationError";

// Whether `state` runs in JSONata mode: its own QueryLanguage, which
// propagate_query_language() filled in from the machine's.
bool is_jsonata(const json& state);

// Writes a JSONata machine's QueryLanguage onto each of its states (branches and item
// processors included) that does not name its own, so each state answers is_jsonata() alone.
// For the interpreter's copy of a definition only: what DescribeStateMachine returns stays as
// written.
void propagate_query_language(json& definition);

// Whether `value` is a JSONata expression: a string that starts with "{%" and ends with "%}".
bool is_expression(const json& value);

// What validation needs to know of the expression inside `value`'s delimiters.
struct ExpressionFacts {
  std::optional<std::string> syntax_error;  // the parser's message, when it does not compile
  // What it reads from the top-level context, which Step Functions never gives an expression:
  // field names that begin a path, "$" and "$$" (jsonata::Expression::context_references).
  std::vector<std::string> context_references;
  std::vector<std::string> states_fields;  // "result" for $states.result, ...
};
ExpressionFacts expression_facts(const std::string& value);

// What a JSONata field is evaluated against.
struct JsonataFrame {
  json states;                               // `$states`: input, context, result, errorOutput
  const VariableScope* variables = nullptr;  // `$name`
  std::string state;                         // the state's name, for error causes
  int64_t entered_event = 0;                 // its StateEntered event's id, for error causes
  int64_t now_millis = 0;                    // what $now() and $millis() read
};

// The `$states` object: `input` and `context` always; `result` and `error_output` where the
// field may read them.
json states_object(const json& input, const json& context, const json* result = nullptr,
                   const json* error_output = nullptr);

// Evaluates a JSONata-mode field: an expression string gives its value; objects and arrays
// are evaluated member by member; anything else is a literal. An expression that fails, or
// that gives nothing (undefined), raises States.QueryEvaluationError naming `field` in its
// cause and as its location (the run records it as an EvaluationFailed event).
Outcome evaluate_jsonata(const json& value, const JsonataFrame& frame, const std::string& field);

// As evaluate_jsonata(), for a field that must give an integer from `low` to `high`
// (TimeoutSeconds, Seconds, MaxConcurrency, ...); a literal integer passes as it is.
Outcome evaluate_jsonata_integer(const json& value, const JsonataFrame& frame,
                                 const std::string& field, int64_t low, int64_t high);

// The QueryEvaluationError a field whose value has the wrong type raises, located in `field`.
StateError query_evaluation_error(const JsonataFrame& frame, const std::string& field,
                                  const std::string& problem);

// A JSONata Fail state's Error and Cause: each an expression or literal that must give a
// string. The value is {"error": ..., "cause": ...} with the fields the state has.
Outcome jsonata_fail_details(const json& state, const JsonataFrame& frame);

}  // namespace wyvern::stepfn
