// Location paths: steps mapped over the context sequence, predicates and positional filters,
// tuple streams (the steps that bind @$var, #$var or an ancestor for %), order-by and grouping.
//
// A tuple is an object binding '@' (the current item) and the labels of the variables and
// ancestors bound so far; a step in a tuple stream runs with those bindings as a frame.
#include <cmath>
#include <unordered_map>

#include "stepfn/jsonata/runtime.h"

namespace wyvern::jsonata::detail {

namespace {

Value tuple_at(const Value& tuple) {
  Value at;
  tuple.get("@", &at);
  return at;
}

Value copy_tuple(const Value& tuple) {
  Value out = make_object();
  ObjectObj* o = out.heap_object();
  tuple.for_each_entry([&](std::string_view k, const Value& v) { o->set(k, v); });
  return out;
}

Value tuple_stream(std::vector<Value> items = {}) {
  Value s = make_sequence(std::move(items));
  s.heap_array()->tuple_stream = true;
  return s;
}

bool is_array_of_numbers(const Value& v) {
  if (!v.is_array()) return false;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!v.at(i).is_number()) return false;
  return true;
}

}  // namespace

namespace {

// A step that only names a field: nothing about it needs sequences or tuples.
bool plain_name(const Node* step) {
  return step->kind == NodeKind::Name && step->stages.empty() && step->predicates.empty() &&
         !step->group && !step->keep_array && !step->tuple && step->focus.empty() &&
         step->index_var.empty();
}

}  // namespace

Value Evaluator::eval_path(const Node* n, const Value& input, Frame* env) {
  const auto& steps = n->items;
  // Fast walk: while each value is a single non-array and each step just names a field, the
  // general algorithm below would wrap and unwrap a one-member sequence at every step. Walk
  // directly instead, and hand over to it at the first step that needs more.
  std::size_t start = 0;
  Value input_seq;
  bool plain_path = !n->keep_singleton_array && !n->group && !n->tuple;
  if (plain_path) {
    Value cur;
    bool walking = false;
    if (steps[0]->kind == NodeKind::Variable && steps[0]->predicates.empty() && !steps[0]->group &&
        !steps[0]->keep_array && !steps[0]->tuple && steps[0]->stages.empty() &&
        steps[0]->focus.empty() && steps[0]->index_var.empty() && !steps[0]->value.empty()) {
      cur = lookup(env, steps[0]->value);
      start = 1;
      walking = true;
    } else if (!input.is_array() && plain_name(steps[0].get())) {
      cur = input;
      walking = true;
    }
    if (walking) {
      for (; start < steps.size(); ++start) {
        if (cur.undefined()) return {};
        if (cur.is_array()) break;
        if (!plain_name(steps[start].get())) break;
        Value next;
        if (cur.is_object()) cur.get(steps[start]->value, &next);
        cur = std::move(next);
      }
      if (start == steps.size()) return cur;  // a final array comes back as it is, as below
      if (cur.undefined()) return {};
      input_seq = cur.is_array() ? cur : make_sequence({cur});
    }
  }
  if (input_seq.undefined())
    input_seq =
        (input.is_array() && steps[0]->kind != NodeKind::Variable) ? input : make_sequence({input});
  Value result_seq = start > 0 ? input_seq : Value();
  Value tuples;
  bool in_tuples = false;
  for (std::size_t i = start; i < steps.size(); ++i) {
    const Node* step = steps[i].get();
    if (step->tuple) in_tuples = true;
    if (i == 0 && step->cons_array) {
      result_seq = eval(step, input_seq, env);
    } else if (in_tuples) {
      tuples = eval_tuple_step(step, input_seq, tuples, env);
    } else {
      result_seq = eval_step(step, input_seq, env, i == steps.size() - 1);
    }
    if (!in_tuples && (result_seq.undefined() || (result_seq.is_array() && result_seq.size() == 0)))
      break;
    if (step->focus.empty()) input_seq = result_seq;
  }
  if (in_tuples) {
    if (n->tuple) {
      result_seq = tuples;  // ancestry still needed by an enclosing path
    } else {
      std::vector<Value> items;
      for (std::size_t i = 0; i < tuples.size(); ++i) items.push_back(tuple_at(tuples.at(i)));
      result_seq = make_sequence(std::move(items));
    }
  }
  if (n->keep_singleton_array && result_seq.is_array()) {
    if (result_seq.is_cons() && !result_seq.is_sequence()) result_seq = make_sequence({result_seq});
    if (ArrayObj* a = result_seq.heap_array()) a->keep_singleton = true;
  }
  if (n->group)
    result_seq =
        eval_group(n->group->pairs, n->group->position, in_tuples ? tuples : result_seq, env);
  return result_seq;
}

Value Evaluator::eval_step(const Node* step, const Value& input, Frame* env, bool last) {
  if (step->kind == NodeKind::Sort) {
    Value r = eval_sort(step, input, env);
    if (!step->stages.empty()) r = eval_stages(step->stages, r, env);
    return r;
  }
  auto* seq = new ArrayObj;
  seq->sequence = true;
  Value out = Value::of(seq);
  auto add = [&](Value&& res) {
    if (!res.is_array() || res.is_cons()) {
      seq->items.push_back(std::move(res));
    } else {
      std::size_t m = res.size();
      charge(m);
      for (std::size_t k = 0; k < m; ++k) seq->items.push_back(res.at(k));
    }
  };
  // The first defined result is held back: a lone array from the last step is returned as it
  // is, not flattened.
  Value first;
  std::size_t defined = 0;
  std::size_t n = input.size();
  for (std::size_t i = 0; i < n; ++i) {
    Value res = eval(step, input.at(i), env);
    for (auto& stage : step->stages)
      if (stage.kind == Stage::Filter) res = eval_filter(stage.expr.get(), res, env);
    if (res.undefined()) continue;
    if (defined == 0) {
      first = std::move(res);
    } else {
      if (defined == 1) add(std::move(first));
      add(std::move(res));
    }
    ++defined;
  }
  if (defined == 1) {
    if (last && first.is_array() && !first.is_sequence()) return first;
    add(std::move(first));
  }
  return out;
}

Value Evaluator::eval_tuple_step(const Node* step, const Value& input, const Value& tuples_in,
                                 Frame* env) {
  if (step->kind == NodeKind::Sort) {
    Value result;
    if (tuples_in.defined()) {
      result = eval_sort(step, tuples_in, env);
    } else {
      Value sorted = eval_sort(step, input, env);
      std::vector<Value> items;
      for (std::size_t i = 0; i < sorted.size(); ++i) {
        Value t = make_object();
        t.heap_object()->set("@", sorted.at(i));
        if (!step->index_var.empty())
          t.heap_object()->set(step->index_var, Value::number(static_cast<double>(i)));
        items.push_back(std::move(t));
      }
      result = tuple_stream(std::move(items));
    }
    if (!step->stages.empty()) result = eval_stages(step->stages, result, env);
    return result;
  }
  Value tuples = tuples_in;
  if (tuples.undefined()) {
    std::vector<Value> items;
    for (std::size_t i = 0; i < input.size(); ++i) {
      Value t = make_object();
      t.heap_object()->set("@", input.at(i));
      items.push_back(std::move(t));
    }
    tuples = tuple_stream(std::move(items));
  }
  Value result = tuple_stream();
  auto& out = result.heap_array()->items;
  for (std::size_t e = 0; e < tuples.size(); ++e) {
    Value tuple = tuples.at(e);
    Ref<Frame> step_env = frame_from_tuple(env, tuple);
    Value at = tuple_at(tuple);
    Value res = eval(step, at, step_env.get());
    if (res.undefined()) continue;
    std::vector<Value> members;
    if (res.is_array()) {
      for (std::size_t k = 0; k < res.size(); ++k) members.push_back(res.at(k));
    } else {
      members.push_back(res);
    }
    bool nested = res.is_tuple_stream();
    for (std::size_t b = 0; b < members.size(); ++b) {
      Value t = copy_tuple(tuple);
      ObjectObj* o = t.heap_object();
      if (nested) {
        members[b].for_each_entry([&](std::string_view k, const Value& v) { o->set(k, v); });
      } else {
        if (!step->focus.empty()) {
          o->set(step->focus, members[b]);
          o->set("@", at);
        } else {
          o->set("@", members[b]);
        }
        if (!step->index_var.empty())
          o->set(step->index_var, Value::number(static_cast<double>(b)));
        if (step->ancestor) o->set(step->ancestor->label, at);
      }
      out.push_back(std::move(t));
    }
  }
  if (!step->stages.empty()) result = eval_stages(step->stages, result, env);
  return result;
}

Value Evaluator::eval_stages(const std::vector<Stage>& stages, Value input, Frame* env) {
  Value result = std::move(input);
  for (auto& stage : stages) {
    if (stage.kind == Stage::Filter) {
      result = eval_filter(stage.expr.get(), result, env);
    } else {
      for (std::size_t i = 0; i < result.size(); ++i)
        if (ObjectObj* o = result.at(i).heap_object())
          o->set(stage.var, Value::number(static_cast<double>(i)));
    }
  }
  return result;
}

Value Evaluator::eval_filter(const Node* predicate, const Value& input, Frame* env) {
  bool tuples = input.is_tuple_stream();
  Value in = input.is_array() ? input : make_sequence({input});
  std::size_t n = in.size();
  if (predicate->kind == NodeKind::Number) {
    double index = std::floor(predicate->number);
    if (index < 0) index += static_cast<double>(n);
    Value out = make_sequence();
    out.heap_array()->tuple_stream = tuples;
    if (index >= 0 && index < static_cast<double>(n)) {
      Value item = in.at(static_cast<std::size_t>(index));
      if (item.is_array()) return item;
      if (item.defined()) out.heap_array()->items.push_back(std::move(item));
    }
    return out;
  }
  Value out = make_sequence();
  ArrayObj* arr = out.heap_array();
  arr->tuple_stream = tuples;
  for (std::size_t i = 0; i < n; ++i) {
    Value item = in.at(i);
    Value res;
    if (tuples) {
      Ref<Frame> tenv = frame_from_tuple(env, item);
      res = eval(predicate, tuple_at(item), tenv.get());
    } else {
      res = eval(predicate, item, env);
    }
    if (res.is_number()) res = make_array({res});
    if (is_array_of_numbers(res)) {
      for (std::size_t k = 0; k < res.size(); ++k) {
        double ii = std::floor(res.at(k).num());
        if (ii < 0) ii += static_cast<double>(n);
        if (ii == static_cast<double>(i)) arr->items.push_back(item);
      }
    } else if (truthy(res)) {
      arr->items.push_back(std::move(item));
    }
  }
  return out;
}

Value Evaluator::eval_sort(const Node* sort, const Value& input, Frame* env) {
  if (!input.is_array()) return input;
  std::size_t n = input.size();
  if (n <= 1) return input;
  bool tuples = input.is_tuple_stream();
  std::vector<Value> items;
  items.reserve(n);
  for (std::size_t i = 0; i < n; ++i) items.push_back(input.at(i));
  // Sort keys are computed on demand, once per item and term.
  std::size_t terms = sort->terms.size();
  std::vector<Value> keys(n * terms);
  std::vector<bool> have(n * terms, false);
  auto key = [&](std::size_t i, std::size_t t) -> const Value& {
    std::size_t slot = i * terms + t;
    if (!have[slot]) {
      if (tuples) {
        Ref<Frame> tenv = frame_from_tuple(env, items[i]);
        keys[slot] = eval(sort->terms[t].expr.get(), tuple_at(items[i]), tenv.get());
      } else {
        keys[slot] = eval(sort->terms[t].expr.get(), items[i], env);
      }
      have[slot] = true;
    }
    return keys[slot];
  };
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  auto after = [&](std::size_t a, std::size_t b) {
    int comp = 0;
    for (std::size_t t = 0; comp == 0 && t < terms; ++t) {
      const Value& aa = key(a, t);
      const Value& bb = key(b, t);
      if (aa.undefined()) {
        comp = bb.undefined() ? 0 : 1;
        continue;
      }
      if (bb.undefined()) {
        comp = -1;
        continue;
      }
      bool a_ok = aa.is_string() || aa.is_number();
      bool b_ok = bb.is_string() || bb.is_number();
      if (!a_ok || !b_ok) throw failure("T2008").at(sort->position).with("value", a_ok ? bb : aa);
      if (aa.is_string() != bb.is_string())
        throw failure("T2007").at(sort->position).with("value", aa).with("value2", bb);
      if (aa.is_string()) {
        int c = aa.str().compare(bb.str());
        comp = c == 0 ? 0 : c < 0 ? -1 : 1;
      } else {
        comp = aa.num() == bb.num() ? 0 : aa.num() < bb.num() ? -1 : 1;
      }
      if (sort->terms[t].descending) comp = -comp;
    }
    return comp == 1;
  };
  merge_sort(order, after);
  std::vector<Value> sorted;
  sorted.reserve(n);
  for (std::size_t i : order) sorted.push_back(items[i]);
  Value out = make_sequence(std::move(sorted));
  out.heap_array()->tuple_stream = tuples;
  return out;
}

Value Evaluator::eval_group(const std::vector<std::pair<NodePtr, NodePtr>>& pairs,
                            std::size_t position, const Value& input, Frame* env) {
  bool reduce = input.is_tuple_stream();
  std::vector<Value> items;
  if (input.is_array()) {
    for (std::size_t i = 0; i < input.size(); ++i) items.push_back(input.at(i));
  } else {
    items.push_back(input);
  }
  // An empty input still evaluates the constructor once, so that literal objects appear.
  if (items.empty()) items.emplace_back();
  // A group's members are collected first and joined once (as repeated fn.append would join
  // them, flattening array members), so that a large group is not copied for every member.
  struct Entry {
    std::string key;
    std::size_t expr_index;
    std::vector<Value> members;
    Value data;
  };
  std::vector<Entry> groups;
  std::unordered_map<std::string, std::size_t> index;  // used once there are many groups
  auto find_group = [&](std::string_view k) -> Entry* {
    if (groups.size() < 16) {
      for (auto& g : groups)
        if (g.key == k) return &g;
      return nullptr;
    }
    if (index.empty())
      for (std::size_t i = 0; i < groups.size(); ++i) index.emplace(groups[i].key, i);
    auto it = index.find(std::string(k));
    return it == index.end() ? nullptr : &groups[it->second];
  };
  for (auto& item : items) {
    Ref<Frame> item_env = reduce ? frame_from_tuple(env, item) : Ref<Frame>(env);
    Value context = reduce ? tuple_at(item) : item;
    for (std::size_t p = 0; p < pairs.size(); ++p) {
      Value key = eval(pairs[p].first.get(), context, item_env.get());
      if (key.undefined()) continue;
      if (!key.is_string()) throw failure("T1003").at(position).with("value", key);
      if (Entry* e = find_group(key.str())) {
        if (e->expr_index != p) throw failure("D1009").at(position).with("value", key);
        e->members.push_back(item);
      } else {
        groups.push_back({std::string(key.str()), p, {item}, Value()});
        if (!index.empty()) index.emplace(groups.back().key, groups.size() - 1);
      }
    }
  }
  for (auto& g : groups) {
    if (g.members.size() == 1) {
      g.data = g.members[0];
      continue;
    }
    std::vector<Value> joined;
    for (auto& m : g.members) {
      if (m.is_array()) {
        for (std::size_t i = 0; i < m.size(); ++i) joined.push_back(m.at(i));
      } else {
        joined.push_back(m);
      }
    }
    charge(joined.size());
    g.data = make_array(std::move(joined));
  }
  Value result = make_object();
  ObjectObj* obj = result.heap_object();
  for (auto& g : groups) {
    Value context = g.data;
    Ref<Frame> genv(env);
    if (reduce) {
      // Merge the group's tuples: each label collects the values its members bound.
      Value tuple;
      if (!g.data.is_array()) {
        tuple = copy_tuple(g.data);
      } else {
        tuple = copy_tuple(g.data.at(0));
        ObjectObj* t = tuple.heap_object();
        for (std::size_t i = 1; i < g.data.size(); ++i) {
          g.data.at(i).for_each_entry([&](std::string_view k, const Value& v) {
            const Value* prev = t->find(k);
            t->set(k, append_values(prev ? *prev : Value(), v));
          });
        }
      }
      context = tuple_at(tuple);
      tuple.heap_object()->erase("@");
      genv = frame_from_tuple(env, tuple);
    }
    Value v = eval(pairs[g.expr_index].second.get(), context, genv.get());
    if (v.defined()) obj->set(g.key, std::move(v));
  }
  return result;
}

}  // namespace wyvern::jsonata::detail
