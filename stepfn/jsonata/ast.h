// The syntax tree (private to stepfn/jsonata). The parser builds it in two passes, as JSONata's
// reference implementation does: a Pratt parser produces a raw tree of operators, then a second
// pass (parser.cc: Processor) flattens `.` chains into paths of steps, attaches predicates,
// grouping and sorting to those steps, resolves the parent operator `%` to labelled ancestor
// slots, and marks calls in tail position. The evaluator only ever sees the second form.
//
// A compiled tree is immutable and shared by every evaluation (several threads at once).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "stepfn/jsonata/value.h"

namespace wyvern::jsonata::detail {

struct Signature;
struct Regex;
struct Node;
using NodePtr = std::unique_ptr<Node>;

enum class NodeKind {
  // Raw-tree only (the second pass rewrites them).
  RawBinary,    // op: . [ { ^ := @ # ~> and every binary operator
  RawOperator,  // `and`/`or`/`in` used as a name, and `?` in an argument list
  // Both trees.
  Name,      // a field name (in the final tree: only as a path step)
  Variable,  // $name; "" is the context `$`, "$" the root `$$`
  String,    // literal
  Number,    // literal
  Literal,   // true, false, null
  Regex,
  Wildcard,    // *
  Descendant,  // **
  Parent,      // %
  Negate,      // unary minus
  ArrayCons,   // [a, b, 1..3]
  ObjectCons,  // {k: v} (unary); grouping on a step is `group` below
  Call,        // f(args)
  Partial,     // f(?, arg)
  Lambda,      // function($a){body}
  Condition,   // c ? a : b, a ?: b (elvis), a ?? b (coalesce)
  Block,       // (a; b)
  Transform,   // | pattern | update, delete |
  // Final tree only.
  Path,    // steps[0].steps[1]...
  Binary,  // arithmetic, comparison, boolean, &, .., in
  Bind,    // $x := value
  Apply,   // a ~> f
  Sort,    // ^(terms) as a path step
};

enum class Op { Add, Sub, Mul, Div, Mod, Eq, Ne, Lt, Le, Gt, Ge, Concat, And, Or, Range, In };

// A `%` reference: which ancestor step binds it, under which label.
struct Slot {
  std::string label;
  int level = 1;
  int index = 0;
};

struct Stage {
  enum Kind { Filter, Index } kind = Filter;
  NodePtr expr;     // Filter
  std::string var;  // Index: the #$var name
  std::size_t position = 0;
};

struct SortTerm {
  bool descending = false;
  NodePtr expr;
};

struct Group {
  std::vector<std::pair<NodePtr, NodePtr>> pairs;
  std::size_t position = 0;
};

struct Node {
  NodeKind kind;
  std::string value;  // name, variable name, string literal, operator token
  std::size_t position = 0;
  double number = 0;
  json literal;  // String and Literal values, kept as json so evaluations borrow them
  Op op = Op::Add;

  NodePtr lhs, rhs;            // RawBinary, Binary, Bind (lhs unused), Apply; Negate: lhs
  std::vector<NodePtr> items;  // ArrayCons, Block, Call/Partial arguments, Path steps
  std::vector<std::pair<NodePtr, NodePtr>> pairs;  // ObjectCons; raw `{` grouping
  NodePtr procedure;                               // Call, Partial
  NodePtr body;                                    // Lambda
  std::vector<std::string> params;                 // Lambda parameter names (no '$')
  std::shared_ptr<const Signature> signature;      // Lambda
  NodePtr condition, then, otherwise;              // Condition (then is null for elvis/coalesce)
  bool elvis = false, coalesce = false;            // Condition flavours
  NodePtr pattern, update, remove;                 // Transform
  std::shared_ptr<const Regex> regex;              // Regex
  std::vector<SortTerm> terms;                     // Sort; raw `^`

  // Filters written on a node that is not a path step (`$x[0]`, `(a.b)[1]`): applied to its
  // whole value. On a step they become `stages`, applied per context item.
  std::vector<NodePtr> predicates;
  std::vector<Stage> stages;
  std::unique_ptr<Group> group;

  bool keep_array = false;            // a `[]` follows this step
  bool keep_singleton_array = false;  // Path: some step had `[]`
  bool cons_array = false;            // array constructor as first/last step, or block of one
  bool tuple = false;                 // step evaluated as a tuple stream (needs @, #, %)
  bool tail_call = false;             // Call in tail position of a lambda body
  std::string focus;                  // step@$var
  std::string index_var;              // step#$var (no stages yet)
  Slot* ancestor = nullptr;           // step binds this ancestor label for a later %
  Slot* slot = nullptr;               // Parent
  std::vector<Slot*> seeking_parent;  // % references below this node still unresolved
  int depth = 1;                      // levels below and including this node (raw tree)

  explicit Node(NodeKind k, std::size_t pos = 0) : kind(k), position(pos) {}
};

}  // namespace wyvern::jsonata::detail
