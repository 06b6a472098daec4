// JSONata 2.0 (https://docs.jsonata.org), the expression language of Step Functions' JSONata
// mode: compile an expression once, evaluate it against many inputs.
//
//   auto compiled = jsonata::compile("$sum(Account.Order.Product.(Price * Quantity))");
//   if (auto* error = std::get_if<jsonata::Error>(&compiled)) ... // syntax error, with position
//   jsonata::Bindings bindings;                   // $variables and host functions
//   auto result = std::get<jsonata::Expression>(compiled).evaluate(input, bindings);
//
// Values are nlohmann::json. JSONata's *undefined* (no match) is an empty optional, never
// null. Numbers are doubles inside; a result that is a whole number within +-2^53 comes back as
// an integer, so it serializes as `3`, not `3.0`.
//
// Thread-safety: an Expression is immutable once compiled and may be evaluated from several
// threads at once; Bindings are read, never written, by evaluate().
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace wyvern::jsonata {

using json = nlohmann::json;

// A JSONata error: its code as the reference implementation names it ("S0201" syntax, "T2001"
// type, "D3001" dynamic, "U1001" stack, ...), the character position it concerns (1-based
// offset just past the offending token, as jsonata-js reports; 0 when none), the token when
// there is one, and the message with its inserts filled in.
struct Error {
  std::string code;
  std::size_t position = 0;
  std::string token;
  std::string message;
};

// A function supplied by the host (Step Functions adds $partition, $hash, ...). Arguments
// arrive evaluated; an undefined argument is an empty optional. Return an Error to fail the
// evaluation with it.
using HostFunction = std::function<std::variant<std::optional<json>, Error>(
    const std::vector<std::optional<json>>& args)>;

struct Bindings {
  std::map<std::string, json, std::less<>> variables;          // $name -> value (no '$')
  std::map<std::string, HostFunction, std::less<>> functions;  // $name(...) -> host function
  // What $now() and $millis() answer: milliseconds since the epoch, the same for every call in
  // one evaluation. Injected so that a virtual clock drives it.
  std::int64_t now_millis = 0;
  // Deepest call nesting before U1001 (stack overflow); guards against runaway recursion.
  int max_depth = 500;
  // Budget of work before U1003: each expression node evaluated counts one, and so does each
  // member copied into a built array and every two characters of a built string. Without it an
  // endless tail-recursive loop (tail calls do not deepen the stack), nested ranges, or a value
  // doubled in a loop would run forever or exhaust memory.
  std::uint64_t max_steps = 100'000'000;
};

struct Node;

class Expression {
 public:
  // The value of the expression against `input` (JSONata's `$` and `$$`), or the error that
  // stopped it. Never throws for anything an expression or input can do.
  std::variant<std::optional<json>, Error> evaluate(const std::optional<json>& input,
                                                    const Bindings& bindings) const;

  // Names of the functions and $variables the expression reads (free ones only: not bound by
  // := or a lambda parameter inside it), without the '$', sorted, for a host's checks (Step
  // Functions fails a call of $eval). A function is any name called, and any standard-library or
  // Step Functions function name used as a value (`$map(x, $eval)` lists "eval" too).
  const std::vector<std::string>& referenced_functions() const;
  const std::vector<std::string>& referenced_variables() const;
  // The fields read straight off free variables, as "variable.field" (`$states.result.x` gives
  // "states.result"), each once, in the order written.
  const std::vector<std::string>& referenced_variable_fields() const;
  // What the expression reads from its input (the context item), for a host that evaluates
  // with none: the field names that begin paths at the top level ("phone" in `phone.number`),
  // "$" for the context item and "$$" for the root, each once, in the order written. Later path
  // steps, predicates, sort terms, grouping and transforms read what came before them and are
  // not listed; a lambda body is, as it keeps the context it was written in.
  const std::vector<std::string>& context_references() const;

  const std::string& text() const;

 private:
  friend std::variant<Expression, Error> compile(std::string_view text);
  std::shared_ptr<const struct Compiled> compiled_;
};

// Parses `text`; the Error is JSONata's syntax error (code S0xxx) with its position.
std::variant<Expression, Error> compile(std::string_view text);

// The functions Step Functions adds to JSONata: $partition, $range, $hash, $random, $uuid,
// $parse. $random and $uuid draw from a per-thread generator unless $random is given a seed.
void add_step_functions_functions(Bindings& bindings);

}  // namespace wyvern::jsonata
