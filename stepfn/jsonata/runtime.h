// The evaluator's runtime (private): frames, function values, the Evaluator, and the table of
// built-in functions that the functions_*.cc files fill.
//
// Lifecycle of one evaluation: Expression::evaluate creates an Evaluator on its own stack, binds
// `$$` in a root frame and evaluates the tree. Frames and values are reference counted; a lambda
// kept in a variable of the frame it closes over is a cycle, so the Evaluator tracks every live
// frame and, when it ends, clears their variables, which frees whatever the cycles held.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "stepfn/jsonata/ast.h"
#include "stepfn/jsonata/errors.h"
#include "stepfn/jsonata/jsonata.h"
#include "stepfn/jsonata/signature.h"
#include "stepfn/jsonata/value.h"

namespace wyvern::jsonata::detail {

class Evaluator;
struct Frame;

struct FrameList {
  Frame* head = nullptr;
};

struct Frame : HeapObj {
  Ref<Frame> parent;
  std::vector<std::pair<std::string, Value>> vars;
  FrameList* list = nullptr;
  Frame* prev = nullptr;
  Frame* next = nullptr;

  ~Frame() override;
  const Value* find_local(std::string_view name) const {
    for (auto& v : vars)
      if (v.first == name) return &v.second;
    return nullptr;
  }
  void bind(std::string_view name, Value v) {
    for (auto& e : vars) {
      if (e.first == name) {
        e.second = std::move(v);
        return;
      }
    }
    vars.emplace_back(std::string(name), std::move(v));
  }
};

struct FunctionObj : HeapObj {
  enum class Kind { Lambda, Host, Partial, Regex, Transform, Chain, Thunk };
  explicit FunctionObj(Kind k) : kind(k) {}
  ~FunctionObj() override;

  Kind kind;
  const Node* node = nullptr;     // Lambda/Transform: its node; Thunk: the call in tail position
  Ref<Frame> env;                 // Lambda, Transform, Thunk: the frame it was made in
  Value input;                    // Lambda, Thunk: the context it was made in
  Value target, second;           // Partial: the function; Chain: first, then second; Thunk: callee
  std::vector<Value> args;        // Partial: bound arguments; Thunk: evaluated arguments
  std::vector<bool> placeholder;  // Partial: which arguments are `?`
  const HostFunction* host = nullptr;
  std::string name;              // Host: its name, for errors
  const Regex* regex = nullptr;  // Regex: owned by the tree
  int arity = 1;
};

inline Value Value::of(FunctionObj* f) {
  return Value(Rep::Fn, static_cast<HeapObj*>(f));
}
inline FunctionObj* Value::function() const {
  return rep_ == Rep::Fn ? static_cast<FunctionObj*>(h_) : nullptr;
}

// One call of a built-in function: validated arguments and the call site's context.
struct CallContext {
  Evaluator& ev;
  std::vector<Value>& args;
  const Value& input;
  Frame* env;
  const Value& arg(std::size_t i) const {
    static const Value kUndefined;
    return i < args.size() ? args[i] : kUndefined;
  }
};

struct Builtin {
  std::string_view name;
  std::string_view signature_text;
  Value (*impl)(CallContext&);
  int arity;  // how many arguments a higher-order function offers it (JavaScript's fn.length)
  Signature signature;
};

// The built-in function named `name` (no '$'), or nullptr.
const Builtin* find_builtin(std::string_view name);

// Registration, one per functions_*.cc file.
void add_string_functions(std::vector<Builtin>& out);
void add_numeric_functions(std::vector<Builtin>& out);
void add_collection_functions(std::vector<Builtin>& out);
void add_datetime_functions(std::vector<Builtin>& out);
void add_other_functions(std::vector<Builtin>& out);

class Evaluator {
 public:
  Evaluator(const Bindings& bindings, std::vector<std::shared_ptr<const void>>* keep_alive);
  ~Evaluator();
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;

  // Evaluates `tree` against `input` (undefined allowed): the entry point.
  Value run(const Node* tree, const Value& input);

  Value eval(const Node* n, const Value& input, Frame* env);
  // Applies a function value to arguments (trampolining tail calls).
  Value apply(const Value& fn, std::vector<Value> args, const Value& input, Frame* env,
              std::size_t position = 0);
  Value lookup(Frame* env, std::string_view name);
  Ref<Frame> new_frame(Frame* parent);
  // How many arguments a higher-order function should pass to `fn`.
  int arity(const Value& fn) const;

  const Bindings& bindings;
  std::int64_t now_millis() const { return bindings.now_millis; }
  // Counts work that is not an expression step (members copied, characters built) against
  // Bindings::max_steps, so that doubling a value in a loop ends in U1003, not in exhausted memory.
  void charge(std::uint64_t units) {
    steps_ += units;
    if (steps_ > bindings.max_steps) throw failure("U1003");
  }
  std::mt19937_64& rng();
  // Keeps something (an expression compiled by $eval) alive until the evaluation ends.
  void keep(std::shared_ptr<const void> p) { keep_alive_->push_back(std::move(p)); }
  // Owns json that host functions return, so that values can borrow it.
  const json& own(json j);

 private:
  Value eval_path(const Node* n, const Value& input, Frame* env);
  Value eval_step(const Node* step, const Value& input, Frame* env, bool last);
  Value eval_tuple_step(const Node* step, const Value& input, const Value& tuples, Frame* env);
  Value eval_stages(const std::vector<Stage>& stages, Value input, Frame* env);
  Value eval_filter(const Node* predicate, const Value& input, Frame* env);
  Value eval_sort(const Node* sort, const Value& input, Frame* env);
  Value eval_group(const std::vector<std::pair<NodePtr, NodePtr>>& pairs, std::size_t position,
                   const Value& input, Frame* env);
  Value eval_binary(const Node* n, const Value& input, Frame* env);
  Value eval_array(const Node* n, const Value& input, Frame* env);
  Value eval_call(const Node* n, const Value& input, Frame* env, const Value* applyto);
  Value eval_partial(const Node* n, const Value& input, Frame* env);
  Value eval_apply(const Node* n, const Value& input, Frame* env);
  Value eval_transform(const Node* n, const Value& input, Frame* env);
  Value run_transform(const FunctionObj& fn, const Value& obj);
  Value apply_once(const Value& fn, std::vector<Value>& args, const Value& input, Frame* env);
  Ref<Frame> frame_from_tuple(Frame* env, const Value& tuple);

  FrameList frames_;
  std::vector<std::shared_ptr<const void>>* keep_alive_;
  std::vector<std::unique_ptr<json>> owned_;
  int depth_ = 0;
  std::uint64_t steps_ = 0;
  std::unique_ptr<std::mt19937_64>
      rng_;  // made on first use: seeding costs more than most evaluations
};

// JSONata's effective boolean value ($boolean): undefined stays undefined.
Value to_boolean(const Value& v);
bool truthy(const Value& v);  // undefined -> false
// $string's conversion (JSON.stringify with 15-digit numbers); throws D3001 on non-finite.
std::string to_string_value(const Value& v, bool pretty = false);
// $round: half to even at `precision` decimal places.
double round_half_even(double value, int precision);
// A number for an index/length argument: JavaScript-style truncation toward zero.
double js_trunc(double d);
// JSONata's fn.lookup: field `key` of an object, or of each object in an array (flattened).
Value lookup_field(const Value& input, std::string_view key);
// fn.append.
Value append_values(const Value& a, const Value& b);
// JSONata's merge sort: `after(a, b)` is true when a must come after b. Stable, and it asks the
// comparator the same questions in the same order as the reference implementation.
template <class T, class After>
void merge_sort(std::vector<T>& v, After&& after) {
  std::vector<T> tmp(v.size());
  struct Sorter {
    std::vector<T>& v;
    std::vector<T>& tmp;
    After& after;
    void sort(std::size_t lo, std::size_t hi) {
      if (hi - lo <= 1) return;
      std::size_t mid = lo + (hi - lo) / 2;
      sort(lo, mid);
      sort(mid, hi);
      std::size_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi)
        tmp[k++] = after(v[i], v[j]) ? std::move(v[j++]) : std::move(v[i++]);
      while (i < mid) tmp[k++] = std::move(v[i++]);
      while (j < hi) tmp[k++] = std::move(v[j++]);
      for (k = lo; k < hi; ++k) v[k] = std::move(tmp[k]);
    }
  } sorter{v, tmp, after};
  sorter.sort(0, v.size());
}

// Compiles and evaluates text for $eval.
Value eval_text(Evaluator& ev, std::string_view text, const Value& context, Frame* env);

}  // namespace wyvern::jsonata::detail
