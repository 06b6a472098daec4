// Step Functions variables (workflow-variables.html): the names a state's "Assign" field may
// give, the scopes a state reads them from, AWS's size limits, and how a JSONPath-mode path
// reaches its value ("$..." the document, "$$..." the context object, "$name..." a variable).
// Pure functions and views: no clock, no store.
//
// Scopes: an execution's top-level states share one scope; each Parallel branch and inline Map
// iteration has one of its own, which reads the scopes around it (innermost first) but never
// another branch's or iteration's. A distributed Map's child execution starts a scope chain of
// its own. A state sees every variable as it was on state entry; what its Assign evaluates is
// stored only when it exits.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wyvern::stepfn {

using json = nlohmann::json;

// AWS's limits (workflow-variables.html#limits), in UTF-8 bytes of a value's compact JSON text.
inline constexpr size_t kMaxVariableBytes = 256 * 1024;                 // one variable
inline constexpr size_t kMaxAssignBytes = 256 * 1024;                   // one Assign field
inline constexpr size_t kMaxExecutionVariableBytes = 10 * 1024 * 1024;  // one execution
inline constexpr size_t kMaxVariableNameLength = 80;                    // code points

// "states" is reserved in every query language: no state may assign it.
inline constexpr char kReservedVariable[] = "states";

// Whether `name` (UTF-8) is a Unicode identifier (UAX #31: an ID_Start code point, then
// ID_Continue ones) of at most 80 code points. The reserved name passes: callers reject it.
bool is_variable_name(std::string_view name);

// The variables a state reads: a chain of scopes, innermost first, each a JSON object of name
// -> value owned elsewhere (the runs) and outliving this view.
class VariableScope {
 public:
  VariableScope() = default;
  explicit VariableScope(std::vector<const json*> scopes) : scopes_(std::move(scopes)) {}

  // The variable's value, or null when no scope in the chain has it.
  const json* find(std::string_view name) const;
  // Every visible variable in one object (TestState's inspection data; JSONata's bindings).
  json all() const;

 private:
  std::vector<const json*> scopes_;
};

// What a JSONPath-mode path reads besides the document it is applied to.
struct JsonataFrame;

struct Bindings {
  const json& context;             // `$$`: the context object
  const VariableScope& variables;  // `$name`: the variables in scope
  // For a state in JSONata mode: what its expressions read (jsonata_mode.h); null otherwise.
  const JsonataFrame* jsonata = nullptr;
};

// The root a path starts from.
enum class PathRoot { kDocument, kContext, kVariable };

// A parsed path's root, and for kVariable the variable's name and the rest of the path
// written from "$" ("$x.a[0]" -> "x" and "$.a[0]").
struct PathRef {
  PathRoot root = PathRoot::kDocument;
  std::string variable;
  std::string rest;
};

// Splits a path into its root and the rest; nullopt when it starts with none of "$", "$$" or
// "$name" (a valid variable name). The rest is not parsed here.
std::optional<PathRef> path_ref(std::string_view text);

// What a path selected: the value, or why there is none.
struct Selection {
  enum class Problem { kNone, kInvalid, kUndefinedVariable, kNoMatch };
  std::optional<json> value;
  Problem problem = Problem::kNone;
  const json* searched = nullptr;  // for kNoMatch: the document, context or variable searched
};

// Applies a JSONPath-mode path to `document`, the context object or a variable.
Selection select(std::string_view text, const json& document, const Bindings& bindings);

// Whether `text` is a valid path with one of the roots allowed; `reference` asks for a
// reference path (one that names at most one value).
bool is_valid_path(std::string_view text, bool context_allowed, bool variables_allowed,
                   bool reference = false);

}  // namespace wyvern::stepfn
