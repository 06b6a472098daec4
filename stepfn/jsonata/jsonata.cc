// The door: compile() parses once into an immutable tree shared by every copy of the
// Expression; evaluate() runs a fresh Evaluator per call, so one Expression serves many threads.
// Every internal Failure (and any exception a library might raise) becomes an Error value here.
#include <algorithm>
#include <set>

#include "stepfn/jsonata/jsonata.h"
#include "stepfn/jsonata/parser.h"
#include "stepfn/jsonata/runtime.h"

namespace wyvern::jsonata {

struct Compiled {
  std::string text;
  detail::ParsedTree tree;
  std::vector<std::string> functions;
  std::vector<std::string> variables;
  std::vector<std::string> variable_fields;
  std::vector<std::string> context_references;
};

namespace {

using detail::Node;
using detail::NodeKind;

// The functions Step Functions adds: named as functions even when passed as values.
bool is_host_function_name(std::string_view name) {
  return name == "partition" || name == "range" || name == "hash" || name == "random" ||
         name == "uuid" || name == "parse";
}

// Adds `name` to `names` unless it is there already (first-written order).
void add_once(std::vector<std::string>& names, std::string name) {
  if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
}

// Collects the free $names of a tree: a name is bound by a lambda parameter, or by := / @ / #
// anywhere in an enclosing block (JSONata binds at run time; a block is the scope).
class NameCollector {
 public:
  std::set<std::string> functions, variables;
  std::vector<std::string> variable_fields;  // "states.result" for $states.result...

  void walk(const Node* n) {
    if (!n) return;
    detail::guard_stack();
    bool scope = n->kind == NodeKind::Block || n->kind == NodeKind::Lambda;
    if (scope) {
      scopes_.emplace_back();
      if (n->kind == NodeKind::Lambda)
        for (auto& p : n->params) scopes_.back().insert(p);
      collect_bindings(n);
    }
    switch (n->kind) {
      case NodeKind::Variable:
        reference(n->value, false);
        break;
      case NodeKind::Path:
        if (n->items.size() >= 2 && n->items[0]->kind == NodeKind::Variable &&
            n->items[1]->kind == NodeKind::Name && !bound(n->items[0]->value))
          add_once(variable_fields, n->items[0]->value + "." + n->items[1]->value);
        break;
      case NodeKind::Call:
      case NodeKind::Partial:
        if (n->procedure && n->procedure->kind == NodeKind::Variable &&
            n->procedure->predicates.empty()) {
          reference(n->procedure->value, true);
        } else {
          walk(n->procedure.get());
        }
        break;
      default:
        walk(n->procedure.get());
        break;
    }
    walk(n->lhs.get());
    walk(n->rhs.get());
    walk(n->body.get());
    walk(n->condition.get());
    walk(n->then.get());
    walk(n->otherwise.get());
    walk(n->pattern.get());
    walk(n->update.get());
    walk(n->remove.get());
    for (auto& c : n->items) walk(c.get());
    for (auto& [k, v] : n->pairs) {
      walk(k.get());
      walk(v.get());
    }
    for (auto& t : n->terms) walk(t.expr.get());
    for (auto& p : n->predicates) walk(p.get());
    for (auto& s : n->stages) walk(s.expr.get());
    if (n->group)
      for (auto& [k, v] : n->group->pairs) {
        walk(k.get());
        walk(v.get());
      }
    if (scope) scopes_.pop_back();
  }

 private:
  // Names bound directly in this scope (not inside nested lambdas or blocks).
  void collect_bindings(const Node* scope_node) {
    std::vector<const Node*> stack{scope_node};
    while (!stack.empty()) {
      const Node* n = stack.back();
      stack.pop_back();
      if (n != scope_node && (n->kind == NodeKind::Block || n->kind == NodeKind::Lambda)) continue;
      if (n->kind == NodeKind::Bind) scopes_.back().insert(n->value);
      if (!n->focus.empty()) scopes_.back().insert(n->focus);
      if (!n->index_var.empty()) scopes_.back().insert(n->index_var);
      for (auto& s : n->stages)
        if (s.kind == detail::Stage::Index) scopes_.back().insert(s.var);
      auto push = [&](const detail::NodePtr& c) {
        if (c) stack.push_back(c.get());
      };
      push(n->lhs);
      push(n->rhs);
      push(n->condition);
      push(n->then);
      push(n->otherwise);
      push(n->procedure);
      for (auto& c : n->items) push(c);
      for (auto& [k, v] : n->pairs) {
        push(k);
        push(v);
      }
      for (auto& p : n->predicates) push(p);
      for (auto& s : n->stages) push(s.expr);
      if (scope_node->kind == NodeKind::Lambda && n == scope_node) push(n->body);
    }
  }

  bool bound(const std::string& name) const {
    for (auto& s : scopes_)
      if (s.count(name)) return true;
    return false;
  }

  void reference(const std::string& name, bool called) {
    if (name.empty() || name == "$" || bound(name)) return;
    if (called || detail::find_builtin(name) || is_host_function_name(name)) {
      functions.insert(name);
    } else {
      variables.insert(name);
    }
  }

  std::vector<std::set<std::string>> scopes_{std::set<std::string>{}};
};

// What a tree reads from the input it is evaluated against (see context_references() in the
// door): only the first step of a path reads it; later steps, predicates, sort terms, grouping
// and transforms read what came before them. A lambda body keeps the context it was written in.
void collect_context_references(const Node* n, std::vector<std::string>& out) {
  if (!n) return;
  detail::guard_stack();
  auto each = [&](const std::vector<detail::NodePtr>& nodes) {
    for (const auto& c : nodes) collect_context_references(c.get(), out);
  };
  switch (n->kind) {
    case NodeKind::Path:
      if (!n->items.empty()) collect_context_references(n->items[0].get(), out);
      break;
    case NodeKind::Name:
      add_once(out, n->value);
      break;
    case NodeKind::Variable:
      if (n->value.empty()) add_once(out, "$");
      if (n->value == "$") add_once(out, "$$");
      break;
    case NodeKind::Binary:
    case NodeKind::Apply:
      collect_context_references(n->lhs.get(), out);
      collect_context_references(n->rhs.get(), out);
      break;
    case NodeKind::Bind:
      collect_context_references(n->rhs.get(), out);
      break;
    case NodeKind::Negate:
      collect_context_references(n->lhs.get(), out);
      break;
    case NodeKind::Condition:
      collect_context_references(n->condition.get(), out);
      collect_context_references(n->then.get(), out);
      collect_context_references(n->otherwise.get(), out);
      break;
    case NodeKind::Block:
    case NodeKind::ArrayCons:
      each(n->items);
      break;
    case NodeKind::ObjectCons:
      for (const auto& [key, value] : n->pairs) {
        collect_context_references(key.get(), out);
        collect_context_references(value.get(), out);
      }
      break;
    case NodeKind::Call:
    case NodeKind::Partial:
      collect_context_references(n->procedure.get(), out);
      each(n->items);
      break;
    case NodeKind::Lambda:
      collect_context_references(n->body.get(), out);
      break;
    default:  // literals, regexes, wildcards, descendants, %, sort and transform
      break;
  }
}

Error internal_error(const char* what) {
  Error e;
  e.code = "U1000";
  e.message = std::string("Internal error: ") + what;
  return e;
}

}  // namespace

std::variant<Expression, Error> compile(std::string_view text) {
  try {
    auto compiled = std::make_shared<Compiled>();
    compiled->text = std::string(text);
    compiled->tree = detail::parse(compiled->text);
    NameCollector names;
    names.walk(compiled->tree.root.get());
    compiled->functions.assign(names.functions.begin(), names.functions.end());
    compiled->variables.assign(names.variables.begin(), names.variables.end());
    compiled->variable_fields = std::move(names.variable_fields);
    collect_context_references(compiled->tree.root.get(), compiled->context_references);
    Expression e;
    e.compiled_ = std::move(compiled);
    return e;
  } catch (const detail::Failure& f) {
    return detail::to_error(f);
  } catch (const std::exception& ex) {
    return internal_error(ex.what());
  } catch (...) {
    return internal_error("unknown exception");
  }
}

std::variant<std::optional<json>, Error> Expression::evaluate(const std::optional<json>& input,
                                                              const Bindings& bindings) const {
  if (!compiled_) {
    Error e;
    e.code = "S0500";
    e.message = "Attempted to evaluate an expression containing syntax error(s)";
    return e;
  }
  std::vector<std::shared_ptr<const void>> keep_alive;
  try {
    std::optional<json> out;
    detail::Evaluator ev(bindings, &keep_alive);
    {
      detail::Value in = input ? detail::Value::borrow(*input) : detail::Value();
      detail::Value result = ev.run(compiled_->tree.root.get(), in);
      out = detail::to_json(result);
    }
    return out;
  } catch (const detail::Failure& f) {
    return detail::to_error(f);
  } catch (const std::exception& ex) {
    return internal_error(ex.what());
  } catch (...) {
    return internal_error("unknown exception (from a host function?)");
  }
}

const std::vector<std::string>& Expression::referenced_functions() const {
  static const std::vector<std::string> kNone;
  return compiled_ ? compiled_->functions : kNone;
}

const std::vector<std::string>& Expression::referenced_variables() const {
  static const std::vector<std::string> kNone;
  return compiled_ ? compiled_->variables : kNone;
}

const std::vector<std::string>& Expression::referenced_variable_fields() const {
  static const std::vector<std::string> kNone;
  return compiled_ ? compiled_->variable_fields : kNone;
}

const std::vector<std::string>& Expression::context_references() const {
  static const std::vector<std::string> kNone;
  return compiled_ ? compiled_->context_references : kNone;
}

const std::string& Expression::text() const {
  static const std::string kNone;
  return compiled_ ? compiled_->text : kNone;
}

namespace detail {

Value eval_text(Evaluator& ev, std::string_view text, const Value& context, Frame* env) {
  auto compiled = std::make_shared<Compiled>();
  compiled->text = std::string(text);
  try {
    compiled->tree = parse(compiled->text);
  } catch (const Failure& f) {
    throw failure("D3120").with_text("value", to_error(f).message);
  }
  ev.keep(compiled);  // lambdas it returns point into its tree
  Value input = context;
  if (input.is_array() && !input.is_sequence()) {
    input = make_sequence({context});
    input.heap_array()->outer_wrapper = true;
  }
  try {
    return ev.eval(compiled->tree.root.get(), input, env);
  } catch (const Failure& f) {
    if (f.code == "U1001") throw;
    throw failure("D3121").with_text("value", to_error(f).message);
  }
}

}  // namespace detail

}  // namespace wyvern::jsonata
