// The value model: borrowing json nodes, insertion-ordered objects, deep equality, the way back
// to json, and the JavaScript number formatting JSONata's output relies on.
#include "stepfn/jsonata/value.h"

#include <pthread.h>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace wyvern::jsonata::detail {

Value Value::borrow(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return null();
    case json::value_t::boolean:
      return boolean(j.get<bool>());
    case json::value_t::number_integer:
      return number(static_cast<double>(j.get<std::int64_t>()));
    case json::value_t::number_unsigned:
      return number(static_cast<double>(j.get<std::uint64_t>()));
    case json::value_t::number_float:
      return number(j.get<double>());
    case json::value_t::string: {
      Value v(Rep::JStr);
      v.j_ = &j;
      return v;
    }
    case json::value_t::array: {
      Value v(Rep::JArr);
      v.j_ = &j;
      return v;
    }
    case json::value_t::object: {
      Value v(Rep::JObj);
      v.j_ = &j;
      return v;
    }
    default:
      return null();
  }
}

Value::Type Value::type() const {
  switch (rep_) {
    case Rep::Undefined:
      return Type::Undefined;
    case Rep::Null:
      return Type::Null;
    case Rep::Bool:
      return Type::Boolean;
    case Rep::Num:
      return Type::Number;
    case Rep::Str:
    case Rep::JStr:
      return Type::String;
    case Rep::Arr:
    case Rep::JArr:
      return Type::Array;
    case Rep::Obj:
    case Rep::JObj:
      return Type::Object;
    case Rep::Fn:
    case Rep::Builtin:
      return Type::Function;
  }
  return Type::Undefined;
}

std::string_view Value::str() const {
  if (rep_ == Rep::Str) return static_cast<StringObj*>(h_)->s;
  if (rep_ == Rep::JStr) return j_->get_ref<const std::string&>();
  return {};
}

std::size_t Value::size() const {
  if (rep_ == Rep::Arr) return static_cast<ArrayObj*>(h_)->items.size();
  if (rep_ == Rep::JArr) return j_->size();
  return 0;
}

Value Value::at(std::size_t i) const {
  if (rep_ == Rep::Arr) return static_cast<ArrayObj*>(h_)->items[i];
  if (rep_ == Rep::JArr) return borrow((*j_)[i]);
  return {};
}

bool Value::is_sequence() const {
  return rep_ == Rep::Arr && static_cast<ArrayObj*>(h_)->sequence;
}
bool Value::is_cons() const {
  return rep_ == Rep::Arr && static_cast<ArrayObj*>(h_)->cons;
}
bool Value::is_outer_wrapper() const {
  return rep_ == Rep::Arr && static_cast<ArrayObj*>(h_)->outer_wrapper;
}
bool Value::is_tuple_stream() const {
  return rep_ == Rep::Arr && static_cast<ArrayObj*>(h_)->tuple_stream;
}
bool Value::keeps_singleton() const {
  return rep_ == Rep::Arr && static_cast<ArrayObj*>(h_)->keep_singleton;
}

bool Value::get(std::string_view key, Value* out) const {
  if (rep_ == Rep::Obj) {
    const Value* v = static_cast<ObjectObj*>(h_)->find(key);
    if (!v) return false;
    *out = *v;
    return true;
  }
  if (rep_ == Rep::JObj) {
    auto it = j_->find(key);
    if (it == j_->end()) return false;
    *out = borrow(*it);
    return true;
  }
  return false;
}

std::size_t Value::object_size() const {
  if (rep_ == Rep::Obj) return static_cast<ObjectObj*>(h_)->entries.size();
  if (rep_ == Rep::JObj) return j_->size();
  return 0;
}

bool Value::same_reference(const Value& o) const {
  if (rep_ != o.rep_) return false;
  if (heap()) return h_ == o.h_;
  if (rep_ == Rep::JArr || rep_ == Rep::JObj || rep_ == Rep::JStr) return j_ == o.j_;
  if (rep_ == Rep::Builtin) return bi_ == o.bi_;
  return false;
}

// --- destruction and the stack guard ------------------------------------------------------

namespace {
thread_local std::vector<HeapObj*>* graveyard = nullptr;
}

void defer_release(HeapObj* h) {
  if (graveyard) {
    graveyard->push_back(h);
    return;
  }
  std::vector<HeapObj*> pending{h};
  graveyard = &pending;
  while (!pending.empty()) {
    HeapObj* next = pending.back();
    pending.pop_back();
    release(next);
  }
  graveyard = nullptr;
}

ArrayObj::~ArrayObj() {
  for (auto& v : items)
    if (HeapObj* h = v.steal()) defer_release(h);
}

ObjectObj::~ObjectObj() {
  for (auto& e : entries)
    if (HeapObj* h = e.second.steal()) defer_release(h);
}

std::uintptr_t stack_floor() {
  // The lowest address this thread's stack may reach, plus a margin for the work done between
  // two checks (library calls, a PCRE2 match, formatting).
  thread_local std::uintptr_t floor = [] {
    pthread_attr_t attr;
    void* addr = nullptr;
    std::size_t size = 0;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) return std::uintptr_t{0};
    pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
    // A quarter of a small stack, 256 KiB of a large one.
    std::uintptr_t margin = std::min<std::uintptr_t>(256 * 1024, size / 4);
    return reinterpret_cast<std::uintptr_t>(addr) + margin;
  }();
  return floor;
}

// --- ObjectObj --------------------------------------------------------------------------------

namespace {
constexpr std::size_t kIndexFrom = 12;  // linear search is faster below this many keys
}

void ObjectObj::reindex() const {
  index_.clear();
  for (std::size_t i = 0; i < entries.size(); ++i) index_.emplace(entries[i].first, i);
  indexed_ = true;
}

const Value* ObjectObj::find(std::string_view key) const {
  if (entries.size() < kIndexFrom) {
    for (auto& e : entries)
      if (e.first == key) return &e.second;
    return nullptr;
  }
  if (!indexed_) reindex();
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &entries[it->second].second;
}

void ObjectObj::set(std::string_view key, Value v) {
  if (const Value* existing = find(key)) {
    *const_cast<Value*>(existing) = std::move(v);
    return;
  }
  entries.emplace_back(std::string(key), std::move(v));
  if (indexed_) index_.emplace(std::string(key), entries.size() - 1);
}

void ObjectObj::erase(std::string_view key) {
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    if (it->first == key) {
      entries.erase(it);
      indexed_ = false;
      return;
    }
  }
}

Value make_array(std::vector<Value> items) {
  auto* a = new ArrayObj;
  a->items = std::move(items);
  return Value::of(a);
}

Value make_sequence(std::vector<Value> items) {
  auto* a = new ArrayObj;
  a->items = std::move(items);
  a->sequence = true;
  return Value::of(a);
}

Value make_object() {
  return Value::of(new ObjectObj);
}

// --- equality, conversion ---------------------------------------------------------------------

bool deep_equal(const Value& a, const Value& b) {
  guard_stack();
  auto ta = a.type();
  if (ta != b.type()) return false;
  switch (ta) {
    case Value::Type::Undefined:
    case Value::Type::Null:
      return true;
    case Value::Type::Boolean:
      return a.as_bool() == b.as_bool();
    case Value::Type::Number:
      return a.num() == b.num();
    case Value::Type::String:
      return a.str() == b.str();
    case Value::Type::Array: {
      if (a.borrowed() && a.borrowed() == b.borrowed()) return true;
      std::size_t n = a.size();
      if (n != b.size()) return false;
      for (std::size_t i = 0; i < n; ++i)
        if (!deep_equal(a.at(i), b.at(i))) return false;
      return true;
    }
    case Value::Type::Object: {
      if (a.borrowed() && a.borrowed() == b.borrowed()) return true;
      if (a.object_size() != b.object_size()) return false;
      bool equal = true;
      a.for_each_entry([&](std::string_view key, const Value& va) {
        if (!equal) return;
        Value vb;
        if (!b.get(key, &vb) || !deep_equal(va, vb)) equal = false;
      });
      return equal;
    }
    case Value::Type::Function:
      return a.same_reference(b);
  }
  return false;
}

namespace {

json number_json(double d) {
  if (!std::isfinite(d)) return json(nullptr);
  if (d == std::floor(d)) {
    if (std::fabs(d) <= 9007199254740992.0) return json(static_cast<std::int64_t>(d));
    return json(d);  // a whole number past 2^53 keeps every digit the double has
  }
  // Every digit the double has, as JavaScript's JSON.stringify gives it: only $string and the
  // other text conversions round to 15 significant digits (a number copied from a state
  // machine's definition must come back as written).
  return json(d);
}

// A copy of borrowed json, recursing with the stack guard (input may be deeply nested), and
// with 3.0 shown as 3: JSONata has one number type.
json copy_json(const json& j) {
  guard_stack();
  switch (j.type()) {
    case json::value_t::number_float:
      return number_json(j.get<double>());
    case json::value_t::array: {
      json out = json::array();
      for (auto& e : j) out.push_back(copy_json(e));
      return out;
    }
    case json::value_t::object: {
      json out = json::object();
      for (auto it = j.begin(); it != j.end(); ++it) out[it.key()] = copy_json(it.value());
      return out;
    }
    default:
      return j;
  }
}

}  // namespace

std::optional<json> to_json(const Value& v) {
  guard_stack();
  switch (v.type()) {
    case Value::Type::Undefined:
    case Value::Type::Function:
      return std::nullopt;
    case Value::Type::Null:
      return json(nullptr);
    case Value::Type::Boolean:
      return json(v.as_bool());
    case Value::Type::Number:
      return number_json(v.num());
    case Value::Type::String:
      return json(std::string(v.str()));
    case Value::Type::Array: {
      if (const json* j = v.borrowed()) return copy_json(*j);
      json out = json::array();
      std::size_t n = v.size();
      for (std::size_t i = 0; i < n; ++i) {
        auto e = to_json(v.at(i));
        out.push_back(e ? std::move(*e) : json(nullptr));
      }
      return out;
    }
    case Value::Type::Object: {
      if (const json* j = v.borrowed()) return copy_json(*j);
      json out = json::object();
      v.for_each_entry([&](std::string_view key, const Value& e) {
        if (auto ej = to_json(e)) out[std::string(key)] = std::move(*ej);
      });
      return out;
    }
  }
  return std::nullopt;
}

Value deep_clone(const Value& v) {
  guard_stack();
  switch (v.type()) {
    case Value::Type::String:
      return v.borrowed() ? Value::string(std::string(v.str())) : v;
    case Value::Type::Array: {
      auto* a = new ArrayObj;
      Value out = Value::of(a);
      std::size_t n = v.size();
      a->items.reserve(n);
      for (std::size_t i = 0; i < n; ++i) a->items.push_back(deep_clone(v.at(i)));
      return out;
    }
    case Value::Type::Object: {
      auto* o = new ObjectObj;
      Value out = Value::of(o);
      v.for_each_entry([&](std::string_view key, const Value& e) { o->set(key, deep_clone(e)); });
      return out;
    }
    default:
      return v;
  }
}

// --- numbers ----------------------------------------------------------------------------------

std::string js_number_to_string(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return "0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  std::string sign;
  if (sci[0] == '-') {
    sign = "-";
    sci.erase(0, 1);
  }
  auto epos = sci.find('e');
  std::string mant = sci.substr(0, epos);
  int exp = std::atoi(sci.c_str() + epos + 1);
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  int k = static_cast<int>(digits.size());
  int n = exp + 1;  // position of the decimal point relative to the digits
  std::string out;
  if (k <= n && n <= 21) {
    out = digits + std::string(n - k, '0');
  } else if (0 < n && n <= 21) {
    out = digits.substr(0, n) + "." + digits.substr(n);
  } else if (-6 < n && n <= 0) {
    out = "0." + std::string(-n, '0') + digits;
  } else {
    out = digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += "e";
    out += (n - 1 >= 0) ? "+" : "-";
    out += std::to_string(std::abs(n - 1));
  }
  return sign + out;
}

double round15(double d) {
  if (!std::isfinite(d) || d == 0) return d;
  // Most doubles already have 15 significant digits or fewer: the shortest round-trip form
  // says so cheaply, without formatting and parsing back.
  char shortest[64];
  auto res = std::to_chars(shortest, shortest + sizeof shortest, d, std::chars_format::scientific);
  int digits = 0;
  for (char* p = shortest; p < res.ptr && *p != 'e'; ++p)
    if (*p >= '0' && *p <= '9') ++digits;
  if (digits <= 15) return d;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.14e", d);
  return std::strtod(buf, nullptr);
}

// --- UTF-8 ------------------------------------------------------------------------------------

namespace {
std::size_t utf8_seq_len(unsigned char c) {
  if (c < 0x80) return 1;
  if ((c >> 5) == 0x6) return 2;
  if ((c >> 4) == 0xE) return 3;
  if ((c >> 3) == 0x1E) return 4;
  return 1;  // a stray continuation byte counts as one character
}
}  // namespace

std::vector<std::string_view> utf8_chars(std::string_view s) {
  std::vector<std::string_view> out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = std::min(utf8_seq_len(static_cast<unsigned char>(s[i])), s.size() - i);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size(); ++count)
    i += std::min(utf8_seq_len(static_cast<unsigned char>(s[i])), s.size() - i);
  return count;
}

std::size_t utf8_offset(std::string_view s, std::size_t n) {
  std::size_t i = 0;
  for (std::size_t c = 0; c < n && i < s.size(); ++c)
    i += std::min(utf8_seq_len(static_cast<unsigned char>(s[i])), s.size() - i);
  return i;
}

bool valid_utf8(std::string_view s) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = byte(i);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    std::uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (std::size_t k = 1; k < n; ++k) {
      if ((byte(i + k) >> 6) != 2) return false;
      cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    static const std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

std::string latin1_to_utf8(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) append_utf8(out, c);
  return out;
}

}  // namespace wyvern::jsonata::detail
