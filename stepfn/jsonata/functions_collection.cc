// Aggregation ($sum $max $min $average $count), arrays ($append $sort $reverse $shuffle
// $distinct $zip), objects ($keys $lookup $spread $merge $sift $each) and the higher-order
// functions ($map $filter $single $reduce).
//
// A function passed to a higher-order function gets as many of (value, index, whole) as it
// declares parameters, as in JSONata.
#include <cmath>

#include "stepfn/jsonata/runtime.h"

namespace wyvern::jsonata::detail {

namespace {

std::vector<Value> items_of(const Value& v) {
  std::vector<Value> out;
  if (v.is_array()) {
    out.reserve(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) out.push_back(v.at(i));
  } else if (v.defined()) {
    out.push_back(v);
  }
  return out;
}

std::vector<Value> hof_args(CallContext& c, const Value& fn, const Value& a, const Value& b,
                            const Value& whole) {
  std::vector<Value> args{a};
  int arity = c.ev.arity(fn);
  if (arity >= 2) args.push_back(b);
  if (arity >= 3) args.push_back(whole);
  return args;
}

Value call(CallContext& c, const Value& fn, std::vector<Value> args) {
  return c.ev.apply(fn, std::move(args), Value(), c.env);
}

// --- aggregation ------------------------------------------------------------------------------

Value fn_sum(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  double total = 0;
  for (auto& v : items_of(c.arg(0))) total += v.num();
  return Value::number(total);
}

Value extreme(CallContext& c, bool max) {
  const Value& arr = c.arg(0);
  if (arr.undefined() || arr.size() == 0) return {};
  double best = arr.at(0).num();
  for (std::size_t i = 1; i < arr.size(); ++i) {
    double v = arr.at(i).num();
    if (max ? v > best : v < best) best = v;
  }
  return Value::number(best);
}

Value fn_max(CallContext& c) {
  return extreme(c, true);
}
Value fn_min(CallContext& c) {
  return extreme(c, false);
}

Value fn_average(CallContext& c) {
  const Value& arr = c.arg(0);
  if (arr.undefined() || arr.size() == 0) return {};
  double total = 0;
  for (std::size_t i = 0; i < arr.size(); ++i) total += arr.at(i).num();
  return Value::number(total / static_cast<double>(arr.size()));
}

Value fn_count(CallContext& c) {
  if (c.arg(0).undefined()) return Value::number(0);
  return Value::number(static_cast<double>(c.arg(0).size()));
}

// --- arrays -----------------------------------------------------------------------------------

Value fn_append(CallContext& c) {
  c.ev.charge(c.arg(0).size() + c.arg(1).size());
  return append_values(c.arg(0), c.arg(1));
}

Value fn_sort(CallContext& c) {
  const Value& arr = c.arg(0);
  if (arr.undefined()) return {};
  if (arr.size() <= 1) return arr;
  std::vector<Value> items = items_of(arr);
  if (c.arg(1).undefined()) {
    bool numbers = true, strings = true;
    for (auto& v : items) {
      numbers = numbers && v.is_number();
      strings = strings && v.is_string();
    }
    if (!numbers && !strings) throw failure("D3070").with_number("index", 1);
    merge_sort(items, [&](const Value& a, const Value& b) {
      return numbers ? a.num() > b.num() : a.str() > b.str();
    });
  } else {
    const Value fn = c.arg(1);
    merge_sort(items, [&](const Value& a, const Value& b) { return truthy(call(c, fn, {a, b})); });
  }
  return make_array(std::move(items));
}

Value fn_reverse(CallContext& c) {
  const Value& arr = c.arg(0);
  if (arr.undefined()) return {};
  if (arr.size() <= 1) return arr;
  std::vector<Value> items = items_of(arr);
  std::reverse(items.begin(), items.end());
  return make_array(std::move(items));
}

Value fn_shuffle(CallContext& c) {
  const Value& arr = c.arg(0);
  if (arr.undefined()) return {};
  if (arr.size() <= 1) return arr;
  std::vector<Value> items = items_of(arr);
  auto& rng = c.ev.rng();
  for (std::size_t i = items.size(); i-- > 1;) {
    std::size_t j = std::uniform_int_distribution<std::size_t>(0, i)(rng);
    std::swap(items[i], items[j]);
  }
  return make_array(std::move(items));
}

Value fn_distinct(CallContext& c) {
  const Value& arr = c.arg(0);
  if (arr.undefined()) return {};
  if (!arr.is_array() || arr.size() <= 1) return arr;
  std::vector<Value> out;
  for (std::size_t i = 0; i < arr.size(); ++i) {
    Value v = arr.at(i);
    bool seen = false;
    for (auto& o : out)
      if (deep_equal(o, v)) {
        seen = true;
        break;
      }
    if (!seen) out.push_back(std::move(v));
  }
  return arr.is_sequence() ? make_sequence(std::move(out)) : make_array(std::move(out));
}

Value fn_zip(CallContext& c) {
  std::size_t length = c.args.empty() ? 0 : SIZE_MAX;
  for (auto& a : c.args) length = std::min(length, a.is_array() ? a.size() : 0);
  std::vector<Value> out;
  for (std::size_t i = 0; i < length; ++i) {
    std::vector<Value> tuple;
    for (auto& a : c.args) tuple.push_back(a.at(i));
    out.push_back(make_array(std::move(tuple)));
  }
  return make_array(std::move(out));
}

// --- objects ----------------------------------------------------------------------------------

void collect_keys(const Value& v, std::vector<std::string>& keys) {
  if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i) collect_keys(v.at(i), keys);
  } else if (v.is_object()) {
    v.for_each_entry([&](std::string_view k, const Value&) {
      for (auto& existing : keys)
        if (existing == k) return;
      keys.emplace_back(k);
    });
  }
}

Value fn_keys(CallContext& c) {
  std::vector<std::string> keys;
  const Value& v = c.arg(0);
  if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i)
      if (v.at(i).is_object()) collect_keys(v.at(i), keys);
  } else {
    collect_keys(v, keys);
  }
  std::vector<Value> out;
  for (auto& k : keys) out.push_back(Value::string(k));
  return make_sequence(std::move(out));
}

Value fn_lookup(CallContext& c) {
  return lookup_field(c.arg(0), c.arg(1).str());
}

Value fn_spread(CallContext& c) {
  const Value& v = c.arg(0);
  if (v.is_array()) {
    Value result = make_sequence();
    for (std::size_t i = 0; i < v.size(); ++i) {
      std::vector<Value> args{v.at(i)};
      CallContext inner{c.ev, args, c.input, c.env};
      result = append_values(result, fn_spread(inner));
    }
    return result;
  }
  if (v.is_object()) {
    std::vector<Value> out;
    v.for_each_entry([&](std::string_view k, const Value& e) {
      Value o = make_object();
      o.heap_object()->set(k, e);
      out.push_back(std::move(o));
    });
    return make_sequence(std::move(out));
  }
  return v;
}

Value fn_merge(CallContext& c) {
  const Value& arr = c.arg(0);
  if (arr.undefined()) return {};
  Value result = make_object();
  ObjectObj* o = result.heap_object();
  for (std::size_t i = 0; i < arr.size(); ++i)
    arr.at(i).for_each_entry([&](std::string_view k, const Value& e) { o->set(k, e); });
  return result;
}

Value fn_sift(CallContext& c) {
  const Value& obj = c.arg(0);
  const Value fn = c.arg(1);
  if (obj.undefined()) return {};
  Value result = make_object();
  ObjectObj* o = result.heap_object();
  obj.for_each_entry([&](std::string_view k, const Value& e) {
    Value key = Value::string(std::string(k));
    if (truthy(call(c, fn, hof_args(c, fn, e, key, obj)))) o->set(k, e);
  });
  if (o->entries.empty()) return {};
  return result;
}

Value fn_each(CallContext& c) {
  const Value& obj = c.arg(0);
  const Value fn = c.arg(1);
  if (obj.undefined()) return {};
  std::vector<Value> out;
  obj.for_each_entry([&](std::string_view k, const Value& e) {
    Value r = call(c, fn, hof_args(c, fn, e, Value::string(std::string(k)), obj));
    if (r.defined()) out.push_back(std::move(r));
  });
  return make_sequence(std::move(out));
}

// --- higher-order -----------------------------------------------------------------------------

Value fn_map(CallContext& c) {
  const Value arr = c.arg(0);
  const Value fn = c.arg(1);
  if (arr.undefined()) return {};
  std::vector<Value> out;
  for (std::size_t i = 0; i < arr.size(); ++i) {
    Value r = call(c, fn, hof_args(c, fn, arr.at(i), Value::number(static_cast<double>(i)), arr));
    if (r.defined()) out.push_back(std::move(r));
  }
  return make_sequence(std::move(out));
}

Value fn_filter(CallContext& c) {
  const Value arr = c.arg(0);
  const Value fn = c.arg(1);
  if (arr.undefined()) return {};
  std::vector<Value> out;
  for (std::size_t i = 0; i < arr.size(); ++i) {
    Value item = arr.at(i);
    if (truthy(call(c, fn, hof_args(c, fn, item, Value::number(static_cast<double>(i)), arr))))
      out.push_back(std::move(item));
  }
  return make_sequence(std::move(out));
}

Value fn_single(CallContext& c) {
  const Value arr = c.arg(0);
  const Value fn = c.arg(1);
  if (arr.undefined()) return {};
  bool found = false;
  Value result;
  for (std::size_t i = 0; i < arr.size(); ++i) {
    Value item = arr.at(i);
    bool ok = true;
    if (fn.defined())
      ok = truthy(call(c, fn, hof_args(c, fn, item, Value::number(static_cast<double>(i)), arr)));
    if (!ok) continue;
    if (found) throw failure("D3138").with_number("index", static_cast<double>(i));
    result = std::move(item);
    found = true;
  }
  if (!found) throw failure("D3139");
  return result;
}

Value fn_reduce(CallContext& c) {
  const Value arr = c.arg(0);
  const Value fn = c.arg(1);
  if (arr.undefined()) return {};
  int arity = c.ev.arity(fn);
  if (arity < 2) throw failure("D3050").with_number("index", 1);
  Value result;
  std::size_t i = 0;
  if (c.arg(2).undefined() && arr.size() > 0) {
    result = arr.at(0);
    i = 1;
  } else {
    result = c.arg(2);
  }
  for (; i < arr.size(); ++i) {
    std::vector<Value> args{result, arr.at(i)};
    if (arity >= 3) args.push_back(Value::number(static_cast<double>(i)));
    if (arity >= 4) args.push_back(arr);
    result = call(c, fn, std::move(args));
  }
  return result;
}

}  // namespace

void add_collection_functions(std::vector<Builtin>& out) {
  out.push_back({"sum", "<a<n>:n>", fn_sum, 1, {}});
  out.push_back({"max", "<a<n>:n>", fn_max, 1, {}});
  out.push_back({"min", "<a<n>:n>", fn_min, 1, {}});
  out.push_back({"average", "<a<n>:n>", fn_average, 1, {}});
  out.push_back({"count", "<a:n>", fn_count, 1, {}});
  out.push_back({"append", "<xx:a>", fn_append, 2, {}});
  out.push_back({"sort", "<af?:a>", fn_sort, 2, {}});
  out.push_back({"reverse", "<a:a>", fn_reverse, 1, {}});
  out.push_back({"shuffle", "<a:a>", fn_shuffle, 1, {}});
  out.push_back({"distinct", "<x:x>", fn_distinct, 1, {}});
  out.push_back({"zip", "<a+>", fn_zip, 1, {}});
  out.push_back({"keys", "<x-:a<s>>", fn_keys, 1, {}});
  out.push_back({"lookup", "<x-s:x>", fn_lookup, 2, {}});
  out.push_back({"spread", "<x-:a<o>>", fn_spread, 1, {}});
  out.push_back({"merge", "<a<o>:o>", fn_merge, 1, {}});
  out.push_back({"sift", "<o-f?:o>", fn_sift, 2, {}});
  out.push_back({"each", "<o-f:a>", fn_each, 2, {}});
  out.push_back({"map", "<af>", fn_map, 2, {}});
  out.push_back({"filter", "<af>", fn_filter, 2, {}});
  out.push_back({"single", "<af?>", fn_single, 2, {}});
  out.push_back({"reduce", "<afj?:j>", fn_reduce, 3, {}});
}

}  // namespace wyvern::jsonata::detail
