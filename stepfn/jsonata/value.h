// The engine's value model (private to stepfn/jsonata). JSONata works on JSON plus three things
// JSON lacks: *undefined* (no value at all), functions, and *sequences* (arrays that the path
// operators build and that collapse to their single member). A Value is one of those, 16 bytes.
//
// Lifecycle: Values live inside one evaluation and never cross threads. Heap parts (strings,
// arrays, objects, functions, frames) are reference counted without atomics for that reason.
// Parts of the caller's input, of the bindings and of the compiled expression's literals are not
// copied: a Value can *borrow* a json node (strings, arrays, objects), which the caller keeps
// alive for the whole evaluation. Borrowed containers are read-only; the evaluator builds new
// heap arrays and objects instead of changing them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "foundation/text.h"

namespace wyvern::jsonata::detail {

using json = nlohmann::json;

struct HeapObj {
  std::uint32_t refs = 0;
  virtual ~HeapObj() = default;
};

inline void retain(HeapObj* h) {
  ++h->refs;
}
inline void release(HeapObj* h) {
  if (--h->refs == 0) delete h;
}
// Releases `h` without recursing: a heap part being destroyed hands its children here, and the
// outermost call drains them in a loop, so deeply nested values cannot overflow the stack.
void defer_release(HeapObj* h);

// Throws U1001 when the thread's stack is nearly used up. Every recursion over trees or values
// calls it, so that no expression or input can overflow the stack.
[[noreturn]] void throw_stack_overflow();
std::uintptr_t stack_floor();
inline void guard_stack() {
  char probe;
  if (reinterpret_cast<std::uintptr_t>(&probe) < stack_floor()) throw_stack_overflow();
}

// An intrusive pointer to a heap part.
template <class T>
class Ref {
 public:
  Ref() = default;
  explicit Ref(T* p) : p_(p) {
    if (p_) retain(p_);
  }
  Ref(const Ref& o) : p_(o.p_) {
    if (p_) retain(p_);
  }
  Ref(Ref&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  Ref& operator=(Ref o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~Ref() {
    if (p_) release(p_);
  }
  T* get() const { return p_; }
  // Gives up ownership without releasing (for defer_release).
  T* steal() {
    T* p = p_;
    p_ = nullptr;
    return p;
  }
  T* operator->() const { return p_; }
  T& operator*() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

struct StringObj;
struct ArrayObj;
struct ObjectObj;
struct FunctionObj;
struct Builtin;

class Value {
 public:
  enum class Type : std::uint8_t {
    Undefined,
    Null,
    Boolean,
    Number,
    String,
    Array,
    Object,
    Function
  };

  Value() noexcept : rep_(Rep::Undefined), n_(0) {}
  Value(const Value& o) noexcept : rep_(o.rep_), n_(o.n_) {
    if (heap()) retain(h_);
  }
  Value(Value&& o) noexcept : rep_(o.rep_), n_(o.n_) { o.rep_ = Rep::Undefined; }
  Value& operator=(const Value& o) noexcept {
    Value copy(o);
    swap(copy);
    return *this;
  }
  Value& operator=(Value&& o) noexcept {
    Value moved(std::move(o));
    swap(moved);
    return *this;
  }
  ~Value() {
    if (heap()) release(h_);
  }
  void swap(Value& o) noexcept {
    std::swap(rep_, o.rep_);
    std::swap(n_, o.n_);
  }

  static Value null() { return Value(Rep::Null); }
  static Value boolean(bool b) {
    Value v(Rep::Bool);
    v.b_ = b;
    return v;
  }
  static Value number(double d) {
    Value v(Rep::Num);
    v.n_ = d;
    return v;
  }
  static Value string(std::string s);
  // A view of a json node the caller keeps alive; scalars are copied in.
  static Value borrow(const json& j);
  static Value builtin(const Builtin* b) {
    Value v(Rep::Builtin);
    v.bi_ = b;
    return v;
  }
  static Value of(StringObj* s);
  static Value of(ArrayObj* a);
  static Value of(ObjectObj* o);
  static Value of(FunctionObj* f);

  Type type() const;
  bool undefined() const { return rep_ == Rep::Undefined; }
  bool defined() const { return rep_ != Rep::Undefined; }
  bool is_null() const { return rep_ == Rep::Null; }
  bool is_bool() const { return rep_ == Rep::Bool; }
  bool is_number() const { return rep_ == Rep::Num; }
  bool is_string() const { return rep_ == Rep::Str || rep_ == Rep::JStr; }
  bool is_array() const { return rep_ == Rep::Arr || rep_ == Rep::JArr; }
  bool is_object() const { return rep_ == Rep::Obj || rep_ == Rep::JObj; }
  bool is_function() const { return rep_ == Rep::Fn || rep_ == Rep::Builtin; }

  bool as_bool() const { return b_; }
  double num() const { return n_; }
  std::string_view str() const;

  // Arrays (owned or borrowed).
  std::size_t size() const;
  Value at(std::size_t i) const;
  ArrayObj* heap_array() const;
  bool is_sequence() const;
  bool is_cons() const;
  bool is_outer_wrapper() const;
  bool is_tuple_stream() const;
  bool keeps_singleton() const;

  // Objects (owned or borrowed). Entries come in insertion order (borrowed: json's key order).
  bool get(std::string_view key, Value* out) const;
  std::size_t object_size() const;
  template <class F>
  void for_each_entry(F&& f) const;
  ObjectObj* heap_object() const;

  FunctionObj* function() const;  // defined in runtime.h
  const Builtin* builtin_fn() const { return rep_ == Rep::Builtin ? bi_ : nullptr; }
  // The json node this Value borrows, when it borrows one.
  const json* borrowed() const {
    return (rep_ == Rep::JStr || rep_ == Rep::JArr || rep_ == Rep::JObj) ? j_ : nullptr;
  }
  // Same heap part or same borrowed node (JavaScript's === on objects).
  bool same_reference(const Value& o) const;
  // Gives up the heap part without releasing it (for defer_release); leaves undefined.
  HeapObj* steal() {
    if (!heap()) return nullptr;
    rep_ = Rep::Undefined;
    return h_;
  }

 private:
  enum class Rep : std::uint8_t {
    Undefined,
    Null,
    Bool,
    Num,
    Str,
    Arr,
    Obj,
    Fn,
    JStr,
    JArr,
    JObj,
    Builtin
  };
  explicit Value(Rep r) : rep_(r), n_(0) {}
  Value(Rep r, HeapObj* h) : rep_(r), h_(h) { retain(h_); }
  bool heap() const {
    return rep_ == Rep::Str || rep_ == Rep::Arr || rep_ == Rep::Obj || rep_ == Rep::Fn;
  }

  Rep rep_;
  union {
    bool b_;
    double n_;
    HeapObj* h_;
    const json* j_;
    const Builtin* bi_;
  };
};

struct StringObj : HeapObj {
  explicit StringObj(std::string s) : s(std::move(s)) {}
  std::string s;
};

struct ArrayObj : HeapObj {
  ~ArrayObj() override;
  std::vector<Value> items;
  bool sequence = false;        // built by a path or a function; a singleton collapses
  bool keep_singleton = false;  // `[]` on a step: do not collapse
  bool cons = false;            // built by an array constructor: steps do not flatten it
  bool outer_wrapper = false;   // the wrapper around an input that is itself an array
  bool tuple_stream = false;    // members are tuples (objects binding '@' and labels)
};

// An object keeping insertion order, as JavaScript objects do for string keys.
struct ObjectObj : HeapObj {
  ~ObjectObj() override;
  std::vector<std::pair<std::string, Value>> entries;

  const Value* find(std::string_view key) const;
  void set(std::string_view key, Value v);
  void erase(std::string_view key);

 private:
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  void reindex() const;
  // Key -> position in `entries`, built once an object passes a few keys.
  mutable std::unordered_map<std::string, std::size_t, KeyHash, std::equal_to<>> index_;
  mutable bool indexed_ = false;
};

inline Value Value::string(std::string s) {
  return of(new StringObj(std::move(s)));
}
inline Value Value::of(StringObj* s) {
  return Value(Rep::Str, static_cast<HeapObj*>(s));
}
inline Value Value::of(ArrayObj* a) {
  return Value(Rep::Arr, static_cast<HeapObj*>(a));
}
inline Value Value::of(ObjectObj* o) {
  return Value(Rep::Obj, static_cast<HeapObj*>(o));
}
inline ArrayObj* Value::heap_array() const {
  return rep_ == Rep::Arr ? static_cast<ArrayObj*>(h_) : nullptr;
}
inline ObjectObj* Value::heap_object() const {
  return rep_ == Rep::Obj ? static_cast<ObjectObj*>(h_) : nullptr;
}

template <class F>
void Value::for_each_entry(F&& f) const {
  if (rep_ == Rep::Obj) {
    // Copy the entry list first: the callback may run user code that grows this object
    // (transform updates mutate clones in place).
    auto* o = static_cast<ObjectObj*>(h_);
    for (std::size_t i = 0; i < o->entries.size(); ++i) {
      std::string key = o->entries[i].first;
      Value v = o->entries[i].second;
      f(std::string_view(key), v);
    }
  } else if (rep_ == Rep::JObj) {
    for (auto it = j_->begin(); it != j_->end(); ++it)
      f(std::string_view(it.key()), borrow(it.value()));
  }
}

// New owned containers.
Value make_array(std::vector<Value> items = {});
Value make_sequence(std::vector<Value> items = {});
Value make_object();

// Deep equality of JSON values (functions compare by identity).
bool deep_equal(const Value& a, const Value& b);

// The value as json. Undefined and functions have no JSON form: top level gives nullopt, inside an
// object the key is dropped, inside an array the member becomes null (JSON.stringify's rules).
// Integral doubles within +-2^53 become integers; other doubles keep every digit (JavaScript's
// JSON.stringify of the result; only $string rounds to 15 significant digits).
std::optional<json> to_json(const Value& v);

// A deep copy into owned heap parts (transform's clone).
Value deep_clone(const Value& v);

// JavaScript's Number#toString for a finite double (shortest round-trip digits).
std::string js_number_to_string(double d);
// Number(d.toPrecision(15)): what $string and serialization show of a double.
double round15(double d);

// UTF-8 helpers: JSONata counts characters as code points.
std::vector<std::string_view> utf8_chars(std::string_view s);
std::size_t utf8_length(std::string_view s);
using text::append_utf8;
using text::append_json_string;
// Whether `s` is well-formed UTF-8 (no surrogates, no overlong forms): json can only hold that.
bool valid_utf8(std::string_view s);
// Each byte as the code point of the same value (how JavaScript reads "binary" data).
std::string latin1_to_utf8(std::string_view bytes);
// Byte offset of the n-th code point (clamped to the end).
std::size_t utf8_offset(std::string_view s, std::size_t n);

}  // namespace wyvern::jsonata::detail
