// The parser: a Pratt (top-down operator precedence) parser builds the raw tree; the Processor
// then rewrites it into the evaluator's form. Both passes follow the structure of JSONata's
// reference parser so that precedence, error codes and the subtle parts (predicates versus
// stages, the parent operator's ancestor slots) behave the same.
//
// Depth is bounded twice: the Pratt recursion counts its nesting, and each node records the
// depth of the tree under it, so neither deep brackets nor long left-associative chains can
// overflow the stack here or later in the evaluator.
#include "stepfn/jsonata/parser.h"

#include <algorithm>
#include <map>

#include "stepfn/jsonata/errors.h"
#include "stepfn/jsonata/lexer.h"
#include "stepfn/jsonata/signature.h"

namespace wyvern::jsonata::detail {

namespace {

int binding_power(const Token& t) {
  if (t.type != Token::Operator) return 0;
  static const std::map<std::string_view, int> kPower = {
      {".", 75},  {"[", 80},   {"{", 70},  {"(", 80},  {"@", 80},  {"#", 80},  {"?", 20},
      {"+", 50},  {"-", 50},   {"*", 60},  {"/", 60},  {"%", 60},  {"=", 40},  {"<", 40},
      {">", 40},  {"^", 40},   {"!=", 40}, {"<=", 40}, {">=", 40}, {"~>", 40}, {"?:", 40},
      {"??", 40}, {"and", 30}, {"or", 25}, {"in", 40}, {"&", 50},  {":=", 10}};
  auto it = kPower.find(t.value);
  return it == kPower.end() ? 0 : it->second;
}

int depth_of(const NodePtr& n) {
  return n ? n->depth : 0;
}

// Records the depth of `n` from its children; refuses trees deeper than the limit.
void finish(Node& n) {
  int d = 0;
  auto take = [&](const NodePtr& c) { d = std::max(d, depth_of(c)); };
  take(n.lhs);
  take(n.rhs);
  take(n.procedure);
  take(n.body);
  take(n.condition);
  take(n.then);
  take(n.otherwise);
  take(n.pattern);
  take(n.update);
  take(n.remove);
  for (auto& c : n.items) take(c);
  for (auto& [k, v] : n.pairs) {
    take(k);
    take(v);
  }
  for (auto& t : n.terms) take(t.expr);
  n.depth = d + 1;
  if (n.depth > kMaxTreeDepth)
    throw failure("S0220").at(n.position).with_text("value", std::to_string(kMaxTreeDepth));
}

class Pratt {
 public:
  explicit Pratt(std::string_view text) : lexer_(text) { advance(); }

  NodePtr parse_all() {
    NodePtr root = expression(0);
    if (tok_.type != Token::End) throw failure("S0201").at(tok_.position).with_token(tok_.value);
    return root;
  }

 private:
  void advance() {
    tok_ = lexer_.next();
    if (tok_.type == Token::Operator && (tok_.value == "!" || tok_.value == "~"))
      throw failure("S0204").at(tok_.position).with_token(tok_.value);
  }
  bool is(std::string_view op) const { return tok_.type == Token::Operator && tok_.value == op; }
  void expect(std::string_view op) {
    if (!is(op)) {
      if (tok_.type == Token::End)
        throw failure("S0203")
            .at(tok_.position)
            .with_text("value", std::string(op))
            .with_token("(end)");
      throw failure("S0202")
          .at(tok_.position)
          .with_text("value", std::string(op))
          .with_token(tok_.value);
    }
    advance();
  }

  NodePtr expression(int rbp) {
    if (++nesting_ > kMaxTreeDepth)
      throw failure("S0220").at(tok_.position).with_text("value", std::to_string(kMaxTreeDepth));
    Token t = std::move(tok_);
    advance();
    NodePtr left = nud(t);
    while (rbp < binding_power(tok_)) {
      Token op = std::move(tok_);
      advance();
      left = led(op, std::move(left));
    }
    --nesting_;
    return left;
  }

  NodePtr nud(Token& t) {
    switch (t.type) {
      case Token::End:
        throw failure("S0207").at(t.position).with_token("(end)");
      case Token::Name: {
        auto n = std::make_unique<Node>(NodeKind::Name, t.position);
        n->value = std::move(t.value);
        return n;
      }
      case Token::Variable: {
        auto n = std::make_unique<Node>(NodeKind::Variable, t.position);
        n->value = std::move(t.value);
        return n;
      }
      case Token::String: {
        auto n = std::make_unique<Node>(NodeKind::String, t.position);
        n->literal = t.value;
        n->value = std::move(t.value);
        return n;
      }
      case Token::Number: {
        auto n = std::make_unique<Node>(NodeKind::Number, t.position);
        n->number = t.number;
        n->value = std::move(t.value);
        return n;
      }
      case Token::Value: {
        auto n = std::make_unique<Node>(NodeKind::Literal, t.position);
        n->literal = t.value == "true"    ? json(true)
                     : t.value == "false" ? json(false)
                                          : json(nullptr);
        n->value = std::move(t.value);
        return n;
      }
      case Token::RegexLit: {
        auto n = std::make_unique<Node>(NodeKind::Regex, t.position);
        n->regex = std::move(t.regex);
        n->value = std::move(t.value);
        return n;
      }
      case Token::Operator:
        break;
    }
    const std::string& op = t.value;
    if (op == "-") {
      auto n = std::make_unique<Node>(NodeKind::Negate, t.position);
      n->value = "-";
      n->lhs = expression(70);
      finish(*n);
      return n;
    }
    if (op == "*") return std::make_unique<Node>(NodeKind::Wildcard, t.position);
    if (op == "**") return std::make_unique<Node>(NodeKind::Descendant, t.position);
    if (op == "%") return std::make_unique<Node>(NodeKind::Parent, t.position);
    if (op == "and" || op == "or" || op == "in") {
      auto n = std::make_unique<Node>(NodeKind::RawOperator, t.position);
      n->value = op;
      return n;
    }
    if (op == "(") {
      auto n = std::make_unique<Node>(NodeKind::Block, t.position);
      while (!is(")")) {
        n->items.push_back(expression(0));
        if (!is(";")) break;
        advance();
      }
      expect(")");
      finish(*n);
      return n;
    }
    if (op == "[") {
      auto n = std::make_unique<Node>(NodeKind::ArrayCons, t.position);
      if (!is("]")) {
        for (;;) {
          NodePtr item = expression(0);
          if (is("..")) {
            auto range = std::make_unique<Node>(NodeKind::RawBinary, tok_.position);
            range->value = "..";
            range->lhs = std::move(item);
            advance();
            range->rhs = expression(0);
            finish(*range);
            item = std::move(range);
          }
          n->items.push_back(std::move(item));
          if (!is(",")) break;
          advance();
        }
      }
      expect("]");
      finish(*n);
      return n;
    }
    if (op == "{") {
      auto n = std::make_unique<Node>(NodeKind::ObjectCons, t.position);
      object_pairs(*n);
      finish(*n);
      return n;
    }
    if (op == "|") {
      auto n = std::make_unique<Node>(NodeKind::Transform, t.position);
      n->pattern = expression(0);
      expect("|");
      n->update = expression(0);
      if (is(",")) {
        advance();
        n->remove = expression(0);
      }
      expect("|");
      finish(*n);
      return n;
    }
    throw failure("S0211").at(t.position).with_token(op);
  }

  void object_pairs(Node& n) {
    if (!is("}")) {
      for (;;) {
        NodePtr key = expression(0);
        expect(":");
        NodePtr value = expression(0);
        n.pairs.emplace_back(std::move(key), std::move(value));
        if (!is(",")) break;
        advance();
      }
    }
    expect("}");
  }

  NodePtr led(Token& t, NodePtr left) {
    const std::string& op = t.value;
    int bp = binding_power(t);
    if (op == "(") return call(t, std::move(left));
    if (op == "[") {
      if (is("]")) {
        // `[]` keeps singleton arrays: flag the step under any predicates.
        Node* step = left.get();
        while (step->kind == NodeKind::RawBinary && step->value == "[") step = step->lhs.get();
        step->keep_array = true;
        advance();
        return left;
      }
      auto n = binary(t, std::move(left));
      n->rhs = expression(0);
      expect("]");
      finish(*n);
      return n;
    }
    if (op == "{") {
      auto n = binary(t, std::move(left));
      object_pairs(*n);
      finish(*n);
      return n;
    }
    if (op == "^") {
      auto n = binary(t, std::move(left));
      expect("(");
      for (;;) {
        SortTerm term;
        if (is("<")) {
          advance();
        } else if (is(">")) {
          term.descending = true;
          advance();
        }
        term.expr = expression(0);
        n->terms.push_back(std::move(term));
        if (!is(",")) break;
        advance();
      }
      expect(")");
      finish(*n);
      return n;
    }
    if (op == ":=") {
      if (left->kind != NodeKind::Variable)
        throw failure("S0212").at(left->position).with_token(left->value);
      auto n = binary(t, std::move(left));
      n->rhs = expression(bp - 1);  // right associative
      finish(*n);
      return n;
    }
    if (op == "@" || op == "#") {
      auto n = binary(t, std::move(left));
      n->rhs = expression(bp);
      if (n->rhs->kind != NodeKind::Variable)
        throw failure("S0214").at(n->rhs->position).with_token(op);
      finish(*n);
      return n;
    }
    if (op == "?") {
      auto n = std::make_unique<Node>(NodeKind::Condition, t.position);
      n->condition = std::move(left);
      n->then = expression(0);
      if (is(":")) {
        advance();
        n->otherwise = expression(0);
      }
      finish(*n);
      return n;
    }
    if (op == "?:" || op == "??") {
      auto n = std::make_unique<Node>(NodeKind::Condition, t.position);
      n->condition = std::move(left);
      n->elvis = op == "?:";
      n->coalesce = op == "??";
      n->otherwise = expression(0);
      finish(*n);
      return n;
    }
    auto n = binary(t, std::move(left));
    n->rhs = expression(bp);
    finish(*n);
    return n;
  }

  NodePtr binary(Token& t, NodePtr left) {
    auto n = std::make_unique<Node>(NodeKind::RawBinary, t.position);
    n->value = t.value;
    n->lhs = std::move(left);
    return n;
  }

  NodePtr call(Token& t, NodePtr left) {
    auto n = std::make_unique<Node>(NodeKind::Call, t.position);
    if (!is(")")) {
      for (;;) {
        if (is("?")) {
          n->kind = NodeKind::Partial;
          auto placeholder = std::make_unique<Node>(NodeKind::RawOperator, tok_.position);
          placeholder->value = "?";
          n->items.push_back(std::move(placeholder));
          advance();
        } else {
          n->items.push_back(expression(0));
        }
        if (!is(",")) break;
        advance();
      }
    }
    expect(")");
    if (left->kind == NodeKind::Name && (left->value == "function" || left->value == "\xCE\xBB")) {
      for (std::size_t i = 0; i < n->items.size(); ++i) {
        const Node& arg = *n->items[i];
        if (arg.kind != NodeKind::Variable)
          throw failure("S0208").at(arg.position).with_token(arg.value).with_number("value", i + 1);
        n->params.push_back(arg.value);
      }
      n->items.clear();
      n->kind = NodeKind::Lambda;
      if (is("<")) {
        std::size_t sig_pos = tok_.position;
        std::string text = lexer_.signature_after_open(tok_.position);
        auto sig = std::make_shared<Signature>();
        std::string code;
        std::size_t offset = 0;
        if (!parse_signature(text, sig.get(), &code, &offset))
          throw failure(code).at(sig_pos + offset);
        n->signature = std::move(sig);
        advance();
      }
      expect("{");
      n->body = expression(0);
      expect("}");
    } else {
      n->procedure = std::move(left);
    }
    finish(*n);
    return n;
  }

  Lexer lexer_;
  Token tok_;
  int nesting_ = 0;
};

const char* kind_name(NodeKind k) {
  switch (k) {
    case NodeKind::Path:
      return "path";
    case NodeKind::Call:
      return "function";
    case NodeKind::Partial:
      return "partial";
    case NodeKind::Lambda:
      return "lambda";
    case NodeKind::Variable:
      return "variable";
    case NodeKind::String:
      return "string";
    case NodeKind::Number:
      return "number";
    case NodeKind::Literal:
      return "value";
    case NodeKind::Condition:
      return "condition";
    case NodeKind::Binary:
      return "binary";
    case NodeKind::Negate:
    case NodeKind::ArrayCons:
    case NodeKind::ObjectCons:
      return "unary";
    case NodeKind::Parent:
      return "parent";
    case NodeKind::Bind:
      return "bind";
    case NodeKind::Apply:
      return "apply";
    case NodeKind::Transform:
      return "transform";
    case NodeKind::Regex:
      return "regex";
    case NodeKind::Descendant:
      return "descendant";
    case NodeKind::Sort:
      return "sort";
    default:
      return "expression";
  }
}

Op binary_op(const std::string& s) {
  static const std::map<std::string_view, Op> kOps = {
      {"+", Op::Add},   {"-", Op::Sub}, {"*", Op::Mul},    {"/", Op::Div},
      {"%", Op::Mod},   {"=", Op::Eq},  {"!=", Op::Ne},    {"<", Op::Lt},
      {"<=", Op::Le},   {">", Op::Gt},  {">=", Op::Ge},    {"&", Op::Concat},
      {"and", Op::And}, {"or", Op::Or}, {"..", Op::Range}, {"in", Op::In}};
  auto it = kOps.find(s);
  if (it == kOps.end()) throw failure("S0204").with_token(s);
  return it->second;
}

// The second pass (JSONata's processAST).
class Processor {
 public:
  explicit Processor(std::vector<std::unique_ptr<Slot>>& slots) : slots_(slots) {}

  NodePtr process(NodePtr expr) {
    bool keep_array = expr->keep_array;
    NodePtr result;
    switch (expr->kind) {
      case NodeKind::RawBinary:
        result = binary(std::move(expr));
        break;
      case NodeKind::ArrayCons:
        for (auto& item : expr->items) {
          item = process(std::move(item));
          push_ancestry(*expr, *item);
        }
        result = std::move(expr);
        break;
      case NodeKind::ObjectCons:
        for (auto& [k, v] : expr->pairs) {
          k = process(std::move(k));
          push_ancestry(*expr, *k);
          v = process(std::move(v));
          push_ancestry(*expr, *v);
        }
        result = std::move(expr);
        break;
      case NodeKind::Negate:
        expr->lhs = process(std::move(expr->lhs));
        if (expr->lhs->kind == NodeKind::Number) {
          result = std::move(expr->lhs);
          result->number = -result->number;
        } else {
          push_ancestry(*expr, *expr->lhs);
          result = std::move(expr);
        }
        break;
      case NodeKind::Call:
      case NodeKind::Partial:
        for (auto& arg : expr->items) {
          arg = process(std::move(arg));
          push_ancestry(*expr, *arg);
        }
        expr->procedure = process(std::move(expr->procedure));
        result = std::move(expr);
        break;
      case NodeKind::Lambda:
        expr->body = process(std::move(expr->body));
        mark_tail_calls(expr->body.get());
        result = std::move(expr);
        break;
      case NodeKind::Condition:
        expr->condition = process(std::move(expr->condition));
        push_ancestry(*expr, *expr->condition);
        if (expr->then) {
          expr->then = process(std::move(expr->then));
          push_ancestry(*expr, *expr->then);
        }
        if (expr->otherwise) {
          expr->otherwise = process(std::move(expr->otherwise));
          push_ancestry(*expr, *expr->otherwise);
        }
        result = std::move(expr);
        break;
      case NodeKind::Transform:
        expr->pattern = process(std::move(expr->pattern));
        expr->update = process(std::move(expr->update));
        if (expr->remove) expr->remove = process(std::move(expr->remove));
        result = std::move(expr);
        break;
      case NodeKind::Block:
        for (auto& item : expr->items) {
          item = process(std::move(item));
          push_ancestry(*expr, *item);
          if (item->cons_array || (item->kind == NodeKind::Path && item->items[0]->cons_array))
            expr->cons_array = true;
        }
        result = std::move(expr);
        break;
      case NodeKind::Name: {
        auto path = std::make_unique<Node>(NodeKind::Path, expr->position);
        path->keep_singleton_array = expr->keep_array;
        path->items.push_back(std::move(expr));
        result = std::move(path);
        break;
      }
      case NodeKind::Parent: {
        auto slot = std::make_unique<Slot>();
        slot->label = "!" + std::to_string(next_label_++);
        slot->index = next_index_++;
        expr->slot = slot.get();
        slots_.push_back(std::move(slot));
        result = std::move(expr);
        break;
      }
      case NodeKind::RawOperator:
        if (expr->value == "and" || expr->value == "or" || expr->value == "in") {
          expr->kind = NodeKind::Name;
          result = process(std::move(expr));
        } else if (expr->value == "?") {
          result = std::move(expr);
        } else {
          throw failure("S0201").at(expr->position).with_token(expr->value);
        }
        break;
      default:  // literals, variables, wildcards, regex
        result = std::move(expr);
        break;
    }
    if (keep_array) result->keep_array = true;
    return result;
  }

 private:
  static NodePtr wrap_in_path(NodePtr step) {
    auto path = std::make_unique<Node>(NodeKind::Path, step->position);
    path->items.push_back(std::move(step));
    return path;
  }

  static void predicates_to_stages(Node& step) {
    for (auto& p : step.predicates) {
      Stage s;
      s.kind = Stage::Filter;
      s.position = p->position;
      s.expr = std::move(p);
      step.stages.push_back(std::move(s));
    }
    step.predicates.clear();
  }

  NodePtr binary(NodePtr expr) {
    const std::string& op = expr->value;
    if (op == ".") {
      NodePtr lstep = process(std::move(expr->lhs));
      Slot* lparent = lstep->kind == NodeKind::Parent ? lstep->slot : nullptr;
      NodePtr result =
          lstep->kind == NodeKind::Path ? std::move(lstep) : wrap_in_path(std::move(lstep));
      if (lparent) result->seeking_parent = {lparent};
      NodePtr rest = process(std::move(expr->rhs));
      if (rest->kind == NodeKind::Path) {
        for (auto& s : rest->items) result->items.push_back(std::move(s));
      } else {
        predicates_to_stages(*rest);
        result->items.push_back(std::move(rest));
      }
      for (auto& step : result->items) {
        if (step->kind == NodeKind::Number || step->kind == NodeKind::Literal) {
          Failure f = failure("S0213").at(step->position);
          if (step->kind == NodeKind::Number)
            f.with_number("value", step->number);
          else
            f.with("value", Value::borrow(step->literal));
          throw f;
        }
        if (step->kind == NodeKind::String) step->kind = NodeKind::Name;
        if (step->keep_array) result->keep_singleton_array = true;
      }
      if (result->items.front()->kind == NodeKind::ArrayCons)
        result->items.front()->cons_array = true;
      if (result->items.back()->kind == NodeKind::ArrayCons)
        result->items.back()->cons_array = true;
      resolve_ancestry(*result);
      return result;
    }
    if (op == "[") {
      NodePtr result = process(std::move(expr->lhs));
      Node* step = result.get();
      bool stages = false;
      if (result->kind == NodeKind::Path) {
        step = result->items.back().get();
        stages = true;
      }
      if (step->group) throw failure("S0209").at(expr->position);
      NodePtr predicate = process(std::move(expr->rhs));
      if (!predicate->seeking_parent.empty()) {
        for (Slot* slot : predicate->seeking_parent) {
          if (slot->level == 1)
            seek_parent(*step, slot);
          else
            slot->level--;
        }
        push_ancestry(*step, *predicate);
      }
      if (stages) {
        Stage s;
        s.kind = Stage::Filter;
        s.position = expr->position;
        s.expr = std::move(predicate);
        step->stages.push_back(std::move(s));
      } else {
        step->predicates.push_back(std::move(predicate));
      }
      return result;
    }
    if (op == "{") {
      NodePtr result = process(std::move(expr->lhs));
      if (result->group) throw failure("S0210").at(expr->position);
      auto group = std::make_unique<Group>();
      group->position = expr->position;
      for (auto& [k, v] : expr->pairs)
        group->pairs.emplace_back(process(std::move(k)), process(std::move(v)));
      result->group = std::move(group);
      return result;
    }
    if (op == "^") {
      NodePtr result = process(std::move(expr->lhs));
      if (result->kind != NodeKind::Path) result = wrap_in_path(std::move(result));
      auto sort = std::make_unique<Node>(NodeKind::Sort, expr->position);
      for (auto& term : expr->terms) {
        term.expr = process(std::move(term.expr));
        push_ancestry(*sort, *term.expr);
        sort->terms.push_back(std::move(term));
      }
      result->items.push_back(std::move(sort));
      resolve_ancestry(*result);
      return result;
    }
    if (op == ":=") {
      auto bind = std::make_unique<Node>(NodeKind::Bind, expr->position);
      bind->value = expr->lhs->value;
      bind->rhs = process(std::move(expr->rhs));
      push_ancestry(*bind, *bind->rhs);
      return bind;
    }
    if (op == "@") {
      NodePtr result = process(std::move(expr->lhs));
      Node* step = result->kind == NodeKind::Path ? result->items.back().get() : result.get();
      if (!step->stages.empty() || !step->predicates.empty())
        throw failure("S0215").at(expr->position);
      if (step->kind == NodeKind::Sort) throw failure("S0216").at(expr->position);
      if (expr->keep_array) step->keep_array = true;
      step->focus = expr->rhs->value;
      step->tuple = true;
      return result;
    }
    if (op == "#") {
      NodePtr result = process(std::move(expr->lhs));
      Node* step = result.get();
      if (result->kind == NodeKind::Path) {
        step = result->items.back().get();
      } else {
        result = wrap_in_path(std::move(result));
        predicates_to_stages(*step);
      }
      if (step->stages.empty()) {
        step->index_var = expr->rhs->value;
      } else {
        Stage s;
        s.kind = Stage::Index;
        s.var = expr->rhs->value;
        s.position = expr->position;
        step->stages.push_back(std::move(s));
      }
      step->tuple = true;
      return result;
    }
    if (op == "~>") {
      auto apply = std::make_unique<Node>(NodeKind::Apply, expr->position);
      apply->lhs = process(std::move(expr->lhs));
      apply->rhs = process(std::move(expr->rhs));
      apply->keep_array = apply->lhs->keep_array || apply->rhs->keep_array;
      return apply;
    }
    auto result = std::make_unique<Node>(NodeKind::Binary, expr->position);
    result->value = op;
    result->op = binary_op(op);
    result->lhs = process(std::move(expr->lhs));
    result->rhs = process(std::move(expr->rhs));
    push_ancestry(*result, *result->lhs);
    push_ancestry(*result, *result->rhs);
    return result;
  }

  void seek_parent(Node& node, Slot* slot) {
    switch (node.kind) {
      case NodeKind::Name:
      case NodeKind::Wildcard:
        slot->level--;
        if (slot->level == 0) {
          if (node.ancestor) slot->label = node.ancestor->label;  // share the existing label
          node.ancestor = slot;
          node.tuple = true;
        }
        break;
      case NodeKind::Parent:
        slot->level++;
        break;
      case NodeKind::Block:
        if (!node.items.empty()) {
          node.tuple = true;
          seek_parent(*node.items.back(), slot);
        }
        break;
      case NodeKind::Path: {
        node.tuple = true;
        int index = static_cast<int>(node.items.size()) - 1;
        seek_parent(*node.items[index--], slot);
        while (slot->level > 0 && index >= 0) seek_parent(*node.items[index--], slot);
        break;
      }
      default:
        throw failure("S0217").at(node.position).with_token(kind_name(node.kind));
    }
  }

  static void push_ancestry(Node& result, const Node& value) {
    if (value.seeking_parent.empty() && value.kind != NodeKind::Parent) return;
    for (Slot* s : value.seeking_parent) result.seeking_parent.push_back(s);
    if (value.kind == NodeKind::Parent) result.seeking_parent.push_back(value.slot);
  }

  void resolve_ancestry(Node& path) {
    Node& last = *path.items.back();
    std::vector<Slot*> slots = last.seeking_parent;
    if (last.kind == NodeKind::Parent) slots.push_back(last.slot);
    for (Slot* slot : slots) {
      int index = static_cast<int>(path.items.size()) - 2;
      while (slot->level > 0) {
        if (index < 0) {
          path.seeking_parent.push_back(slot);
          break;
        }
        Node* step = path.items[index--].get();
        // Contiguous steps that bind the focus (@) are one step for ancestry.
        while (index >= 0 && !step->focus.empty() && !path.items[index]->focus.empty())
          step = path.items[index--].get();
        seek_parent(*step, slot);
      }
    }
  }

  // A call in tail position of a lambda body returns a thunk instead of growing the stack.
  static void mark_tail_calls(Node* n) {
    bool plain = n->predicates.empty() && n->stages.empty() && !n->group && !n->keep_array;
    if (!plain) return;
    if (n->kind == NodeKind::Call) {
      n->tail_call = true;
    } else if (n->kind == NodeKind::Condition) {
      if (n->then) mark_tail_calls(n->then.get());
      if (n->otherwise) mark_tail_calls(n->otherwise.get());
    } else if (n->kind == NodeKind::Block && !n->items.empty()) {
      mark_tail_calls(n->items.back().get());
    }
  }

  std::vector<std::unique_ptr<Slot>>& slots_;
  int next_label_ = 0;
  int next_index_ = 0;
};

}  // namespace

ParsedTree parse(std::string_view text) {
  ParsedTree tree;
  Pratt pratt(text);
  NodePtr raw = pratt.parse_all();
  Processor processor(tree.slots);
  tree.root = processor.process(std::move(raw));
  if (tree.root->kind == NodeKind::Parent || !tree.root->seeking_parent.empty())
    throw failure("S0217").at(tree.root->position).with_token(kind_name(tree.root->kind));
  return tree;
}

}  // namespace wyvern::jsonata::detail
