// The evaluator: expressions other than paths (paths.cc), function application with tail calls,
// frames and the run-time helpers the built-in functions share.
//
// It follows JSONata's reference evaluator closely, because much of JSONata's meaning lives in
// the evaluator's details: which results are *sequences* (and so collapse to their single
// member), when an array is flattened, and which error a mistyped operand raises.
#include <cmath>

#include "stepfn/jsonata/parser.h"
#include "stepfn/jsonata/regex.h"
#include "stepfn/jsonata/runtime.h"

namespace wyvern::jsonata::detail {

// --- frames and functions -------------------------------------------------------------------

Frame::~Frame() {
  if (list) {
    if (prev)
      prev->next = next;
    else
      list->head = next;
    if (next) next->prev = prev;
  }
  for (auto& v : vars)
    if (HeapObj* h = v.second.steal()) defer_release(h);
  if (Frame* p = parent.steal()) defer_release(p);
}

FunctionObj::~FunctionObj() {
  if (Frame* e = env.steal()) defer_release(e);
  for (Value* v : {&input, &target, &second})
    if (HeapObj* h = v->steal()) defer_release(h);
  for (auto& v : args)
    if (HeapObj* h = v.steal()) defer_release(h);
}

Evaluator::Evaluator(const Bindings& b, std::vector<std::shared_ptr<const void>>* keep_alive)
    : bindings(b), keep_alive_(keep_alive) {}

Evaluator::~Evaluator() {
  // Lambdas stored in the frames they close over form cycles: pin every live frame, drop all
  // variables (which frees what the cycles held), then unpin.
  std::vector<Frame*> live;
  for (Frame* f = frames_.head; f; f = f->next) {
    retain(f);
    live.push_back(f);
  }
  for (Frame* f : live) {
    auto vars = std::move(f->vars);
    f->vars.clear();
    for (auto& v : vars)
      if (HeapObj* h = v.second.steal()) defer_release(h);
  }
  for (Frame* f : live) release(f);
  // Whatever survives is owned by someone outside (it should not happen): detach it.
  for (Frame* f = frames_.head; f;) {
    Frame* next = f->next;
    f->list = nullptr;
    f->prev = f->next = nullptr;
    f = next;
  }
}

Ref<Frame> Evaluator::new_frame(Frame* parent) {
  auto* f = new Frame;
  f->parent = Ref<Frame>(parent);
  f->list = &frames_;
  f->next = frames_.head;
  if (frames_.head) frames_.head->prev = f;
  frames_.head = f;
  return Ref<Frame>(f);
}

std::mt19937_64& Evaluator::rng() {
  if (!rng_) {
    std::random_device rd;
    rng_ = std::make_unique<std::mt19937_64>((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
  }
  return *rng_;
}

const json& Evaluator::own(json j) {
  owned_.push_back(std::make_unique<json>(std::move(j)));
  return *owned_.back();
}

Value Evaluator::lookup(Frame* env, std::string_view name) {
  for (Frame* f = env; f; f = f->parent.get())
    if (const Value* v = f->find_local(name)) return *v;
  if (auto it = bindings.variables.find(name); it != bindings.variables.end())
    return Value::borrow(it->second);
  if (auto it = bindings.functions.find(name); it != bindings.functions.end()) {
    auto* f = new FunctionObj(FunctionObj::Kind::Host);
    f->host = &it->second;
    f->name = std::string(name);
    return Value::of(f);
  }
  if (const Builtin* b = find_builtin(name)) return Value::builtin(b);
  return {};
}

int Evaluator::arity(const Value& fn) const {
  if (const Builtin* b = fn.builtin_fn()) return b->arity;
  if (FunctionObj* f = fn.function()) {
    if (f->kind == FunctionObj::Kind::Lambda) return static_cast<int>(f->node->params.size());
    return f->arity;
  }
  return 0;
}

Ref<Frame> Evaluator::frame_from_tuple(Frame* env, const Value& tuple) {
  Ref<Frame> f = new_frame(env);
  tuple.for_each_entry([&](std::string_view k, const Value& v) { f->bind(k, v); });
  return f;
}

// --- shared helpers ---------------------------------------------------------------------------

Value to_boolean(const Value& v) {
  guard_stack();
  switch (v.type()) {
    case Value::Type::Undefined:
      return {};
    case Value::Type::Null:
      return Value::boolean(false);
    case Value::Type::Boolean:
      return v;
    case Value::Type::Number:
      return Value::boolean(v.num() != 0);
    case Value::Type::String:
      return Value::boolean(!v.str().empty());
    case Value::Type::Object:
      return Value::boolean(v.object_size() > 0);
    case Value::Type::Function:
      return Value::boolean(false);
    case Value::Type::Array: {
      std::size_t n = v.size();
      if (n == 1) return to_boolean(v.at(0));
      for (std::size_t i = 0; i < n; ++i)
        if (truthy(v.at(i))) return Value::boolean(true);
      return Value::boolean(false);
    }
  }
  return {};
}

bool truthy(const Value& v) {
  Value b = to_boolean(v);
  return b.defined() && b.as_bool();
}

double js_trunc(double d) {
  return std::isfinite(d) ? std::trunc(d) : d;
}

Value lookup_field(const Value& input, std::string_view key) {
  if (input.is_array()) {
    guard_stack();
    Value out = make_sequence();
    auto& items = out.heap_array()->items;
    std::size_t n = input.size();
    for (std::size_t i = 0; i < n; ++i) {
      Value res = lookup_field(input.at(i), key);
      if (res.undefined()) continue;
      if (res.is_array()) {
        for (std::size_t k = 0; k < res.size(); ++k) items.push_back(res.at(k));
      } else {
        items.push_back(std::move(res));
      }
    }
    return out;
  }
  Value out;
  if (input.is_object()) input.get(key, &out);
  return out;
}

Value append_values(const Value& a, const Value& b) {
  if (a.undefined()) return b;
  if (b.undefined()) return a;
  std::vector<Value> items;
  if (a.is_array()) {
    for (std::size_t i = 0; i < a.size(); ++i) items.push_back(a.at(i));
  } else {
    items.push_back(a);
  }
  if (b.is_array()) {
    for (std::size_t i = 0; i < b.size(); ++i) items.push_back(b.at(i));
  } else {
    items.push_back(b);
  }
  return make_array(std::move(items));
}

// --- evaluation -------------------------------------------------------------------------------

Value Evaluator::run(const Node* tree, const Value& input) {
  Ref<Frame> root = new_frame(nullptr);
  root->bind("$", input);
  Value context = input;
  if (input.is_array() && !input.is_sequence()) {
    // An input array is one value: wrap it so that paths do not map over its members first.
    context = make_sequence({input});
    context.heap_array()->outer_wrapper = true;
  }
  return eval(tree, context, root.get());
}

namespace {

Value wildcard(const Value& input_in) {
  Value input = input_in;
  if (input.is_outer_wrapper() && input.size() > 0) input = input.at(0);
  Value out = make_sequence();
  ArrayObj* arr = out.heap_array();
  auto add = [&](const Value& v) {
    if (v.is_array()) {
      // Arrays are flattened all the way down; appending one makes the result a plain array.
      std::vector<Value> stack{v};
      std::vector<Value> flat;
      while (!stack.empty()) {
        Value x = std::move(stack.back());
        stack.pop_back();
        if (x.is_array()) {
          for (std::size_t i = x.size(); i-- > 0;) stack.push_back(x.at(i));
        } else {
          flat.push_back(std::move(x));
        }
      }
      for (auto& f : flat) arr->items.push_back(std::move(f));
      arr->sequence = false;
    } else {
      arr->items.push_back(v);
    }
  };
  if (input.is_object()) {
    input.for_each_entry([&](std::string_view, const Value& v) { add(v); });
  } else if (input.is_array()) {
    for (std::size_t i = 0; i < input.size(); ++i) add(input.at(i));
  }
  return out;
}

Value descendants(const Value& input) {
  if (input.undefined()) return {};
  Value out = make_sequence();
  auto& items = out.heap_array()->items;
  std::vector<Value> stack{input};
  while (!stack.empty()) {
    Value v = std::move(stack.back());
    stack.pop_back();
    if (!v.is_array()) items.push_back(v);
    if (v.is_array()) {
      for (std::size_t i = v.size(); i-- > 0;) stack.push_back(v.at(i));
    } else if (v.is_object()) {
      std::vector<Value> members;
      v.for_each_entry([&](std::string_view, const Value& m) { members.push_back(m); });
      for (std::size_t i = members.size(); i-- > 0;) stack.push_back(std::move(members[i]));
    }
  }
  if (items.size() == 1) return items[0];
  return out;
}

std::string_view procedure_name(const Node* procedure) {
  if (procedure->kind == NodeKind::Path && !procedure->items.empty())
    return procedure->items[0]->value;
  return procedure->value;
}

}  // namespace

Value Evaluator::eval(const Node* n, const Value& input, Frame* env) {
  guard_stack();
  if (++steps_ > bindings.max_steps) throw failure("U1003");
  Value result;
  switch (n->kind) {
    case NodeKind::Path:
      result = eval_path(n, input, env);
      break;
    case NodeKind::Binary:
      result = eval_binary(n, input, env);
      break;
    case NodeKind::Negate: {
      Value v = eval(n->lhs.get(), input, env);
      if (v.undefined()) break;
      if (!v.is_number()) throw failure("D1002").at(n->position).with_token("-").with("value", v);
      result = Value::number(-v.num());
      break;
    }
    case NodeKind::ArrayCons:
      result = eval_array(n, input, env);
      break;
    case NodeKind::ObjectCons:
      result = eval_group(n->pairs, n->position, input, env);
      break;
    case NodeKind::Name:
      result = lookup_field(input, n->value);
      break;
    case NodeKind::String:
    case NodeKind::Literal:
      result = Value::borrow(n->literal);
      break;
    case NodeKind::Number:
      result = Value::number(n->number);
      break;
    case NodeKind::Wildcard:
      result = wildcard(input);
      break;
    case NodeKind::Descendant:
      result = descendants(input);
      break;
    case NodeKind::Parent:
      result = lookup(env, n->slot->label);
      break;
    case NodeKind::Condition: {
      Value c = eval(n->condition.get(), input, env);
      if (n->coalesce) {
        result = c.defined() ? c : eval(n->otherwise.get(), input, env);
      } else if (n->elvis) {
        result = truthy(c) ? c : eval(n->otherwise.get(), input, env);
      } else if (truthy(c)) {
        result = eval(n->then.get(), input, env);
      } else if (n->otherwise) {
        result = eval(n->otherwise.get(), input, env);
      }
      break;
    }
    case NodeKind::Block: {
      Ref<Frame> frame = new_frame(env);
      for (auto& item : n->items) result = eval(item.get(), input, frame.get());
      break;
    }
    case NodeKind::Bind: {
      Value v = eval(n->rhs.get(), input, env);
      env->bind(n->value, v);
      result = std::move(v);
      break;
    }
    case NodeKind::Regex: {
      auto* f = new FunctionObj(FunctionObj::Kind::Regex);
      f->regex = n->regex.get();
      f->arity = 1;
      result = Value::of(f);
      break;
    }
    case NodeKind::Call:
      result = eval_call(n, input, env, nullptr);
      break;
    case NodeKind::Partial:
      result = eval_partial(n, input, env);
      break;
    case NodeKind::Variable:
      if (n->value.empty()) {
        result = input.is_outer_wrapper() ? input.at(0) : input;
      } else {
        result = lookup(env, n->value);
      }
      break;
    case NodeKind::Lambda: {
      auto* f = new FunctionObj(FunctionObj::Kind::Lambda);
      f->node = n;
      f->env = Ref<Frame>(env);
      f->input = input;
      f->arity = static_cast<int>(n->params.size());
      result = Value::of(f);
      break;
    }
    case NodeKind::Apply:
      result = eval_apply(n, input, env);
      break;
    case NodeKind::Transform: {
      auto* f = new FunctionObj(FunctionObj::Kind::Transform);
      f->node = n;
      f->env = Ref<Frame>(env);
      f->arity = 1;
      result = Value::of(f);
      break;
    }
    case NodeKind::Sort:
      result = eval_sort(n, input, env);
      break;
    case NodeKind::RawOperator:  // a `?` placeholder outside an argument list
    default:
      throw failure("S0206").at(n->position).with_token(n->value);
  }
  for (auto& p : n->predicates) result = eval_filter(p.get(), result, env);
  if (n->kind != NodeKind::Path && n->group)
    result = eval_group(n->group->pairs, n->group->position, result, env);
  if (ArrayObj* a = result.heap_array(); a && a->sequence && !a->tuple_stream) {
    if (n->keep_array) a->keep_singleton = true;
    if (a->items.empty()) {
      result = Value();
    } else if (a->items.size() == 1 && !a->keep_singleton) {
      Value only = a->items[0];
      result = std::move(only);
    }
  }
  return result;
}

Value Evaluator::eval_binary(const Node* n, const Value& input, Frame* env) {
  Value lhs = eval(n->lhs.get(), input, env);
  if (n->op == Op::And) {
    if (!truthy(lhs)) return Value::boolean(false);
    return Value::boolean(truthy(eval(n->rhs.get(), input, env)));
  }
  if (n->op == Op::Or) {
    if (truthy(lhs)) return Value::boolean(true);
    return Value::boolean(truthy(eval(n->rhs.get(), input, env)));
  }
  Value rhs = eval(n->rhs.get(), input, env);
  auto fail_at = [&](const char* code) {
    return failure(code).at(n->position).with_token(n->value);
  };
  switch (n->op) {
    case Op::Add:
    case Op::Sub:
    case Op::Mul:
    case Op::Div:
    case Op::Mod: {
      if (lhs.defined() && !lhs.is_number()) throw fail_at("T2001").with("value", lhs);
      if (rhs.defined() && !rhs.is_number()) throw fail_at("T2002").with("value", rhs);
      if (lhs.undefined() || rhs.undefined()) return {};
      double a = lhs.num(), b = rhs.num(), r = 0;
      switch (n->op) {
        case Op::Add:
          r = a + b;
          break;
        case Op::Sub:
          r = a - b;
          break;
        case Op::Mul:
          r = a * b;
          break;
        case Op::Div:
          r = a / b;
          break;
        default:
          r = std::fmod(a, b);
          break;
      }
      // JSON has no Infinity or NaN: a result that is not a number is an error here rather
      // than a null later.
      if (!std::isfinite(r)) throw fail_at("D1001").with_number("value", r);
      return Value::number(r);
    }
    case Op::Eq:
    case Op::Ne: {
      if (lhs.undefined() || rhs.undefined()) return Value::boolean(false);
      bool eq = deep_equal(lhs, rhs);
      return Value::boolean(n->op == Op::Eq ? eq : !eq);
    }
    case Op::Lt:
    case Op::Le:
    case Op::Gt:
    case Op::Ge: {
      auto comparable = [](const Value& v) {
        return v.undefined() || v.is_string() || v.is_number();
      };
      if (!comparable(lhs) || !comparable(rhs)) {
        bool lhs_ok = lhs.is_string() || lhs.is_number();
        throw fail_at("T2010").with("value", lhs_ok ? rhs : lhs);
      }
      if (lhs.undefined() || rhs.undefined()) return {};
      if (lhs.is_string() != rhs.is_string())
        throw fail_at("T2009").with("value", lhs).with("value2", rhs);
      int c;
      if (lhs.is_string()) {
        int k = lhs.str().compare(rhs.str());
        c = k < 0 ? -1 : k > 0 ? 1 : 0;
      } else {
        c = lhs.num() < rhs.num() ? -1 : lhs.num() > rhs.num() ? 1 : 0;
      }
      bool r = n->op == Op::Lt   ? c < 0
               : n->op == Op::Le ? c <= 0
               : n->op == Op::Gt ? c > 0
                                 : c >= 0;
      return Value::boolean(r);
    }
    case Op::Concat: {
      std::string s;
      if (lhs.defined()) s = to_string_value(lhs);
      if (rhs.defined()) s += to_string_value(rhs);
      charge(s.size() / 2);
      return Value::string(std::move(s));
    }
    case Op::Range: {
      auto is_int = [](const Value& v) { return v.is_number() && std::trunc(v.num()) == v.num(); };
      if (lhs.defined() && !is_int(lhs)) throw fail_at("T2003").with("value", lhs);
      if (rhs.defined() && !is_int(rhs)) throw fail_at("T2004").with("value", rhs);
      if (lhs.undefined() || rhs.undefined()) return {};
      double a = lhs.num(), b = rhs.num();
      if (a > b) return {};
      double size = b - a + 1;
      if (size > 1e7) throw fail_at("D2014").with_number("value", size);
      charge(static_cast<std::uint64_t>(size));
      std::vector<Value> items;
      items.reserve(static_cast<std::size_t>(size));
      for (double x = a; x <= b; x += 1) items.push_back(Value::number(x));
      return make_sequence(std::move(items));
    }
    case Op::In: {
      if (lhs.undefined() || rhs.undefined()) return Value::boolean(false);
      auto same = [&](const Value& v) {
        if (v.is_array() || v.is_object() || v.is_function()) return v.same_reference(lhs);
        return v.type() == lhs.type() && deep_equal(v, lhs);
      };
      if (!rhs.is_array()) return Value::boolean(same(rhs));
      for (std::size_t i = 0; i < rhs.size(); ++i)
        if (same(rhs.at(i))) return Value::boolean(true);
      return Value::boolean(false);
    }
    default:
      throw fail_at("S0204");
  }
}

Value Evaluator::eval_array(const Node* n, const Value& input, Frame* env) {
  auto* arr = new ArrayObj;
  Value out = Value::of(arr);
  for (auto& item : n->items) {
    Value v = eval(item.get(), input, env);
    if (v.undefined()) continue;
    if (item->kind == NodeKind::ArrayCons) {
      arr->items.push_back(std::move(v));
    } else if (v.is_array()) {
      charge(v.size());
      for (std::size_t i = 0; i < v.size(); ++i) arr->items.push_back(v.at(i));
    } else {
      arr->items.push_back(std::move(v));
    }
  }
  if (n->cons_array) arr->cons = true;
  return out;
}

// --- functions --------------------------------------------------------------------------------

namespace {
struct DepthGuard {
  int& depth;
  DepthGuard(int& d, int max) : depth(d) {
    if (++depth > max) {
      --depth;
      throw failure("U1001");
    }
  }
  ~DepthGuard() { --depth; }
};

void tag_error(Failure& f, std::size_t position, std::string_view token) {
  if (f.position == 0) f.position = position;
  if (f.token.empty()) f.token = std::string(token);
}
}  // namespace

Value Evaluator::eval_call(const Node* n, const Value& input, Frame* env, const Value* applyto) {
  Value proc = eval(n->procedure.get(), input, env);
  std::string_view name = procedure_name(n->procedure.get());
  if (proc.undefined() && n->procedure->kind == NodeKind::Path && lookup(env, name).defined())
    throw failure("T1005").at(n->position).with_token(std::string(name));
  std::vector<Value> args;
  args.reserve(n->items.size() + (applyto ? 1 : 0));
  if (applyto) args.push_back(*applyto);
  for (auto& a : n->items) args.push_back(eval(a.get(), input, env));
  if (n->tail_call) {
    // Tail position in a lambda body: hand the call back to the trampoline in apply().
    auto* t = new FunctionObj(FunctionObj::Kind::Thunk);
    t->node = n;
    t->target = std::move(proc);
    t->args = std::move(args);
    t->input = input;
    t->env = Ref<Frame>(env);
    return Value::of(t);
  }
  try {
    return apply(proc, std::move(args), input, env, n->position);
  } catch (Failure& f) {
    tag_error(f, n->position, name);
    throw;
  }
}

Value Evaluator::apply(const Value& fn, std::vector<Value> args, const Value& input, Frame* env,
                       std::size_t position) {
  Value result = apply_once(fn, args, input, env);
  for (;;) {
    FunctionObj* t = result.function();
    if (!t || t->kind != FunctionObj::Kind::Thunk) break;
    Value callee = t->target;
    std::vector<Value> targs = std::move(t->args);
    Value tinput = t->input;
    Ref<Frame> tenv = t->env;
    const Node* call = t->node;
    result = Value();  // the thunk is no longer needed
    try {
      result = apply_once(callee, targs, tinput, tenv.get());
    } catch (Failure& f) {
      tag_error(f, call->position, procedure_name(call->procedure.get()));
      throw;
    }
  }
  return result;
}

Value Evaluator::apply_once(const Value& fn, std::vector<Value>& args, const Value& input,
                            Frame* env) {
  if (const Builtin* b = fn.builtin_fn()) {
    std::vector<Value> validated =
        validate_arguments(b->signature, std::move(args), input, b->name);
    CallContext ctx{*this, validated, input, env};
    return b->impl(ctx);
  }
  FunctionObj* f = fn.function();
  if (!f) throw failure("T1006");
  switch (f->kind) {
    case FunctionObj::Kind::Lambda: {
      const Node* node = f->node;
      std::vector<Value> actual =
          node->signature ? validate_arguments(*node->signature, std::move(args), input, "")
                          : std::move(args);
      DepthGuard guard(depth_, bindings.max_depth);
      Ref<Frame> frame = new_frame(f->env.get());
      for (std::size_t i = 0; i < node->params.size(); ++i)
        frame->bind(node->params[i], i < actual.size() ? actual[i] : Value());
      // Keep the closure alive while its body runs (the caller may drop its reference).
      Value keep = fn;
      return eval(node->body.get(), f->input, frame.get());
    }
    case FunctionObj::Kind::Host: {
      std::vector<std::optional<json>> jargs;
      jargs.reserve(args.size());
      for (auto& a : args) jargs.push_back(to_json(a));
      auto r = (*f->host)(jargs);
      if (auto* err = std::get_if<Error>(&r)) {
        Failure fl = failure(err->code.empty() ? "D3137" : err->code);
        fl.message = err->message.empty() ? fl.code : err->message;
        fl.position = err->position;
        fl.token = err->token;
        throw fl;
      }
      auto& opt = std::get<std::optional<json>>(r);
      if (!opt) return {};
      return Value::borrow(own(std::move(*opt)));
    }
    case FunctionObj::Kind::Partial: {
      std::vector<Value> full;
      full.reserve(f->args.size());
      std::size_t k = 0;
      for (std::size_t i = 0; i < f->args.size(); ++i) {
        if (f->placeholder[i])
          full.push_back(k < args.size() ? args[k++] : Value());
        else
          full.push_back(f->args[i]);
      }
      Value target = f->target;
      return apply(target, std::move(full), input, env);
    }
    case FunctionObj::Kind::Regex: {
      if (args.empty() || !args[0].is_string()) return {};
      std::string_view s = args[0].str();
      Regex::Match m;
      if (!f->regex->find(s, 0, &m)) return {};
      Value out = make_object();
      ObjectObj* o = out.heap_object();
      o->set("match", Value::string(std::string(s.substr(m.start, m.end - m.start))));
      o->set("start", Value::number(static_cast<double>(utf8_length(s.substr(0, m.start)))));
      o->set("end", Value::number(static_cast<double>(utf8_length(s.substr(0, m.end)))));
      std::vector<Value> groups;
      for (auto& g : m.groups) groups.push_back(g ? Value::string(*g) : Value::string(""));
      o->set("groups", make_array(std::move(groups)));
      return out;
    }
    case FunctionObj::Kind::Transform: {
      Value obj = args.empty() ? Value() : args[0];
      if (obj.defined() && !obj.is_object() && !obj.is_array())
        throw failure("T0410").with_number("index", 1).with("value", obj);
      return run_transform(*f, obj);
    }
    case FunctionObj::Kind::Chain: {
      Value first = f->target, second = f->second;
      Value mid = apply(first, std::move(args), input, env);
      return apply(second, {mid}, input, env);
    }
    case FunctionObj::Kind::Thunk:
      break;
  }
  throw failure("T1006");
}

Value Evaluator::eval_partial(const Node* n, const Value& input, Frame* env) {
  auto* f = new FunctionObj(FunctionObj::Kind::Partial);
  Value result = Value::of(f);
  int holes = 0;
  for (auto& a : n->items) {
    bool hole = a->kind == NodeKind::RawOperator && a->value == "?";
    f->placeholder.push_back(hole);
    f->args.push_back(hole ? Value() : eval(a.get(), input, env));
    holes += hole;
  }
  f->arity = holes;
  Value proc = eval(n->procedure.get(), input, env);
  std::string_view name = procedure_name(n->procedure.get());
  if (proc.undefined() && n->procedure->kind == NodeKind::Path && lookup(env, name).defined())
    throw failure("T1007").at(n->position).with_token(std::string(name));
  if (!proc.is_function()) throw failure("T1008").at(n->position).with_token(std::string(name));
  f->target = std::move(proc);
  return result;
}

Value Evaluator::eval_apply(const Node* n, const Value& input, Frame* env) {
  if (n->rhs->kind == NodeKind::Call) {
    Value context = eval(n->lhs.get(), input, env);
    return eval_call(n->rhs.get(), input, env, &context);
  }
  Value lhs = eval(n->lhs.get(), input, env);
  Value func = eval(n->rhs.get(), input, env);
  if (!func.is_function()) throw failure("T2006").at(n->position).with("value", func);
  if (lhs.is_function()) {
    auto* f = new FunctionObj(FunctionObj::Kind::Chain);
    f->target = std::move(lhs);
    f->second = std::move(func);
    f->arity = 1;
    return Value::of(f);
  }
  try {
    return apply(func, {lhs}, input, env, n->position);
  } catch (Failure& f) {
    tag_error(f, n->position, "~>");
    throw;
  }
}

Value Evaluator::run_transform(const FunctionObj& fn, const Value& obj) {
  if (obj.undefined()) return {};
  const Node* n = fn.node;
  Frame* env = fn.env.get();
  Value clone = lookup(env, "clone");
  if (!clone.is_function()) throw failure("T2013").at(n->position);
  Value result = apply(clone, {obj}, Value(), env);
  Value matches = eval(n->pattern.get(), result, env);
  if (matches.undefined()) return result;
  std::vector<Value> list;
  if (matches.is_array()) {
    for (std::size_t i = 0; i < matches.size(); ++i) list.push_back(matches.at(i));
  } else {
    list.push_back(matches);
  }
  for (auto& match : list) {
    ObjectObj* target = match.heap_object();
    Value update = eval(n->update.get(), match, env);
    if (update.defined()) {
      if (!update.is_object()) throw failure("T2011").at(n->update->position).with("value", update);
      if (target) {
        // Copies, so that an update that mentions the object it changes makes no cycle.
        update.for_each_entry(
            [&](std::string_view k, const Value& v) { target->set(k, deep_clone(v)); });
      }
    }
    if (n->remove) {
      Value dels = eval(n->remove.get(), match, env);
      if (dels.defined()) {
        std::vector<Value> names;
        if (dels.is_array()) {
          for (std::size_t i = 0; i < dels.size(); ++i) names.push_back(dels.at(i));
        } else {
          names.push_back(dels);
        }
        for (auto& name : names)
          if (!name.is_string()) throw failure("T2012").at(n->remove->position).with("value", dels);
        if (target)
          for (auto& name : names) target->erase(name.str());
      }
    }
  }
  return result;
}

}  // namespace wyvern::jsonata::detail
