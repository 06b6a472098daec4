// The table of built-in functions (built once, read-only after, shared by all threads) and the
// functions that belong to no family: $string, $boolean, $not, $exists, $type, $error, $assert,
// $eval and $clone (which the transform operator calls).
#include <cmath>
#include <unordered_map>

#include "stepfn/jsonata/runtime.h"

namespace wyvern::jsonata::detail {

namespace {

struct Table {
  std::vector<Builtin> list;
  std::unordered_map<std::string_view, const Builtin*> by_name;
  Table() {
    add_string_functions(list);
    add_numeric_functions(list);
    add_collection_functions(list);
    add_datetime_functions(list);
    add_other_functions(list);
    for (auto& b : list) {
      std::string code;
      std::size_t offset = 0;
      parse_signature(b.signature_text, &b.signature, &code, &offset);
      by_name.emplace(b.name, &b);
    }
  }
};

// JSON.stringify(value, replacer, pretty ? 2 : 0) with $string's replacer: numbers to 15
// significant digits, functions as "".
void stringify_js(std::string& out, const Value& v, bool pretty, int level) {
  guard_stack();
  auto newline = [&](int lvl) {
    if (!pretty) return;
    out += '\n';
    out.append(static_cast<std::size_t>(lvl) * 2, ' ');
  };
  switch (v.type()) {
    case Value::Type::Undefined:
    case Value::Type::Null:
      out += "null";
      return;
    case Value::Type::Function:
      out += "\"\"";
      return;
    case Value::Type::Boolean:
      out += v.as_bool() ? "true" : "false";
      return;
    case Value::Type::Number:
      if (!std::isfinite(v.num())) throw failure("D1001").with_number("value", v.num());
      out += js_number_to_string(round15(v.num()));
      return;
    case Value::Type::String:
      append_json_string(out, v.str());
      return;
    case Value::Type::Array: {
      std::size_t n = v.size();
      if (n == 0) {
        out += "[]";
        return;
      }
      out += '[';
      for (std::size_t i = 0; i < n; ++i) {
        if (i) out += ',';
        newline(level + 1);
        stringify_js(out, v.at(i), pretty, level + 1);
      }
      newline(level);
      out += ']';
      return;
    }
    case Value::Type::Object: {
      bool first = true;
      out += '{';
      v.for_each_entry([&](std::string_view k, const Value& e) {
        if (e.undefined()) return;
        if (!first) out += ',';
        first = false;
        newline(level + 1);
        append_json_string(out, k);
        out += pretty ? ": " : ":";
        stringify_js(out, e, pretty, level + 1);
      });
      if (!first) newline(level);
      out += '}';
      return;
    }
  }
}

Value fn_string(CallContext& c) {
  const Value& v = c.arg(0);
  if (v.undefined()) return {};
  bool pretty = c.arg(1).is_bool() && c.arg(1).as_bool();
  std::string text = to_string_value(v, pretty);
  c.ev.charge(text.size() / 2);
  return Value::string(std::move(text));
}

Value fn_boolean(CallContext& c) {
  return to_boolean(c.arg(0));
}

Value fn_not(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  return Value::boolean(!truthy(c.arg(0)));
}

Value fn_exists(CallContext& c) {
  return Value::boolean(c.arg(0).defined());
}

Value fn_type(CallContext& c) {
  switch (c.arg(0).type()) {
    case Value::Type::Undefined:
      return {};
    case Value::Type::Null:
      return Value::string("null");
    case Value::Type::Boolean:
      return Value::string("boolean");
    case Value::Type::Number:
      return Value::string("number");
    case Value::Type::String:
      return Value::string("string");
    case Value::Type::Array:
      return Value::string("array");
    case Value::Type::Object:
      return Value::string("object");
    case Value::Type::Function:
      return Value::string("function");
  }
  return {};
}

Value fn_error(CallContext& c) {
  Failure f = failure("D3137");
  f.message = c.arg(0).is_string() ? std::string(c.arg(0).str()) : "$error() function evaluated";
  throw f;
}

Value fn_assert(CallContext& c) {
  if (!c.arg(0).as_bool()) {
    Failure f = failure("D3141");
    f.message = c.arg(1).is_string() ? std::string(c.arg(1).str()) : "$assert() statement failed";
    throw f;
  }
  return {};
}

Value fn_eval(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  Value context = c.arg(1).defined() ? c.arg(1) : c.input;
  return eval_text(c.ev, c.arg(0).str(), context, c.env);
}

Value fn_clone(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  return deep_clone(c.arg(0));
}

}  // namespace

const Builtin* find_builtin(std::string_view name) {
  static const Table table;
  auto it = table.by_name.find(name);
  return it == table.by_name.end() ? nullptr : it->second;
}

std::string to_string_value(const Value& v, bool pretty) {
  if (v.is_string()) return std::string(v.str());
  if (v.is_function()) return "";
  if (v.is_number() && !std::isfinite(v.num()))
    throw failure("D3001").with_number("value", v.num());
  std::string out;
  stringify_js(out, v.is_outer_wrapper() ? v.at(0) : v, pretty, 0);
  return out;
}

void add_other_functions(std::vector<Builtin>& out) {
  out.push_back({"string", "<x-b?:s>", fn_string, 2, {}});
  out.push_back({"boolean", "<x-:b>", fn_boolean, 1, {}});
  out.push_back({"not", "<x-:b>", fn_not, 1, {}});
  out.push_back({"exists", "<x:b>", fn_exists, 1, {}});
  out.push_back({"type", "<x:s>", fn_type, 1, {}});
  out.push_back({"error", "<s?:x>", fn_error, 1, {}});
  out.push_back({"assert", "<bs?:x>", fn_assert, 2, {}});
  out.push_back({"eval", "<sx?:x>", fn_eval, 2, {}});
  out.push_back({"clone", "<(oa)-:o>", fn_clone, 1, {}});
}

}  // namespace wyvern::jsonata::detail
