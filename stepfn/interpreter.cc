// The interpreter: the run loop that takes a run from state to state, the states that need
// nothing from outside (Pass, Choice, Wait, Succeed, Fail), Parallel branches and Map
// iterations as child runs, the ends of runs, and the history events they all record. Task
// states are tasks.cc's.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "engine.h"
#include "foundation/codec.h"

namespace wyvern::stepfn {
namespace {

// How a Map state runs its iterations, from its fields and, for the *Path ones, its input.
struct MapLimits {
  size_t concurrency = SIZE_MAX;  // MaxConcurrency 0 (or none): no limit
  std::optional<int64_t> tolerated_count;
  std::optional<double> tolerated_percentage;  // of all the items
  std::optional<StateError> error;             // a *Path that named no valid value

  bool tolerates_failures() const { return tolerated_count || tolerated_percentage; }
  // Whether `failed` of `items` iterations fail the state. With neither tolerance set, one
  // does; with both, exceeding either does (maprun-fail-threshold.html).
  bool exceeded(size_t failed, size_t items) const {
    if (!tolerates_failures()) return failed > 0;
    return (tolerated_count && static_cast<int64_t>(failed) > *tolerated_count) ||
           (tolerated_percentage &&
            static_cast<double>(failed) * 100 > *tolerated_percentage * static_cast<double>(items));
  }
};

// The number a Map's field gives, or its *Path variant selects from the state's input; null
// when it has neither. States.Runtime when the path selects no number in [0, max] (or, for
// `integer`, no integer).
Outcome map_number(const json& st, const std::string& field, const json& input, bool integer,
                   double max, const Bindings& bindings) {
  if (bindings.jsonata && st.contains(field) && is_expression(st[field])) {
    if (integer)
      return evaluate_jsonata_integer(st[field], *bindings.jsonata, field, 0,
                                      std::numeric_limits<int64_t>::max());
    Outcome v = evaluate_jsonata(st[field], *bindings.jsonata, field);
    if (!v.error &&
        (!v.value.is_number() || v.value.get<double>() < 0 || v.value.get<double>() > max))
      return {nullptr,
              query_evaluation_error(*bindings.jsonata, field,
                                     "must be a number from 0 to 100, not " + text_of(v.value))};
    return v;
  }
  if (st.contains(field) && st[field].is_number()) return {st[field], std::nullopt};
  std::string path_field = field + "Path";
  if (!st.contains(path_field) || !st[path_field].is_string()) return {nullptr, std::nullopt};
  std::string path = st[path_field];
  Outcome v = read_path_field(path, input, bindings, path_field);
  if (v.error) return v;
  const json& n = v.value;
  bool valid =
      n.is_number() && n.get<double>() >= 0 && n.get<double>() <= max &&
      (!integer || n.is_number_integer() || std::floor(n.get<double>()) == n.get<double>());
  if (!valid)
    return Outcome::fail("States.Runtime",
                         "The " + path_field + " field refers to value " + text_of(n) + " at " +
                             path + ", which is not " +
                             (integer ? "a non-negative integer" : "a number from 0 to 100"));
  return {n, std::nullopt};
}

MapLimits map_limits(const json& st, const json& input, const Bindings& bindings) {
  MapLimits limits;
  constexpr double kAny = std::numeric_limits<double>::infinity();
  constexpr double kHuge = 9.2e18;  // beyond it, a count means "no limit" all the same
  Outcome concurrency = map_number(st, "MaxConcurrency", input, true, kAny, bindings);
  Outcome count = map_number(st, "ToleratedFailureCount", input, true, kAny, bindings);
  Outcome percentage = map_number(st, "ToleratedFailurePercentage", input, false, 100, bindings);
  for (const Outcome* o : {&concurrency, &count, &percentage})
    if (o->error) {
      limits.error = o->error;
      return limits;
    }
  if (double n = concurrency.value.is_number() ? concurrency.value.get<double>() : 0; n > 0)
    limits.concurrency = n < kHuge ? static_cast<size_t>(n) : SIZE_MAX;
  if (count.value.is_number())
    limits.tolerated_count = static_cast<int64_t>(std::min(count.value.get<double>(), kHuge));
  if (percentage.value.is_number()) limits.tolerated_percentage = percentage.value.get<double>();
  return limits;
}

}  // namespace

void Engine::resume(const std::string& arn) {
  auto it = runs_.find(arn);
  bool express = false;
  if (it == runs_.end()) {
    it = express_.find(arn);
    express = true;
    if (it == express_.end()) return;
  }
  Run& r = it->second;
  r.timer = 0;
  if (r.info.status != "RUNNING") return;
  advance(r);
  if (!express) {
    WriteBatch batch;
    persist_run(r, batch);
    env_.store->commit(std::move(batch), nullptr);
  }
}

// Runs states until the execution ends or parks in a Wait.
void Engine::advance(Run& r) {
  const json& states = r.definition["States"];
  while (r.info.status == "RUNNING") {
    if (root_of(r).history.size() >= kMaxHistoryEvents)
      return fail(r, StateError{"States.Runtime",
                                "The execution reached the limit of 25,000 events in its "
                                "history."});
    TimeMs now = env_.clock->now_ms();
    const json& st = states[r.state];
    std::string type = st["Type"];
    if (!r.entered) {
      r.entered = true;
      r.state_entered_at = now;
      add_event(r, type + "StateEntered", "stateEnteredEventDetails",
                {{"name", r.state},
                 {"input", text_of(r.state_input)},
                 {"inputDetails", {{"truncated", false}}}});
      r.state_entered_event = static_cast<int64_t>(root_of(r).history.size());
    }
    const bool jsonata = is_jsonata(st);
    // The context object costs a build per state; most states never read `$$`.
    auto uses = r.uses_context.find(r.state);
    if (uses == r.uses_context.end())
      uses = r.uses_context.emplace(r.state, text_of(st).find("$$") != std::string::npos).first;
    json context = uses->second || jsonata ? context_object(r) : json::object();
    VariableScope variables = scope_of(r);
    Bindings bindings{context, variables};
    JsonataFrame frame;
    if (jsonata) {
      frame = jsonata_frame(r, context, variables);
      bindings.jsonata = &frame;
    }
    // A JSONata state has no InputPath: its input is what its expressions read as
    // `$states.input`.
    Outcome effective = jsonata ? Outcome{r.state_input, std::nullopt}
                                : apply_input_path(st, r.state_input, bindings);
    if (effective.error) return fail(r, *effective.error);
    // A JSONata state's Output, or its input when it has none.
    auto jsonata_output = [&](const json& holder) -> Outcome {
      if (!holder.contains("Output")) return {r.state_input, std::nullopt};
      return evaluate_jsonata(holder["Output"], frame, "Output");
    };
    Outcome output;
    std::optional<std::string> next;
    // What the state's Assign evaluates to, stored as it exits. `$` in a JSONPath Assign is
    // the result in Pass, Task, Map and Parallel states, the effective input in Choice and
    // Wait states (workflow-variables.html, "Using variables in JSONPath states").
    json assigned;
    auto evaluate = [&](const json& holder, const json& document) -> std::optional<StateError> {
      if (!holder.contains("Assign")) return std::nullopt;
      Outcome values = evaluate_assign(st, holder["Assign"], document, bindings);
      assigned = std::move(values.value);
      return values.error;
    };
    if (jsonata && type == "Pass") {
      // Assign and Output read the same variables: those on entry.
      if (auto e = evaluate(st, effective.value)) return fail(r, *e);
      output = jsonata_output(st);
    } else if (jsonata && type == "Choice") {
      int rule = -1;
      const json& rules = st["Choices"];
      for (size_t i = 0; i < rules.size() && rule < 0; ++i) {
        Outcome condition = evaluate_jsonata(rules[i]["Condition"], frame, "Condition");
        if (condition.error) return fail(r, *condition.error);
        if (!condition.value.is_boolean())
          return fail(r,
                      query_evaluation_error(frame, "Condition",
                                             "must be a boolean, not " + text_of(condition.value)));
        if (condition.value.get<bool>()) rule = static_cast<int>(i);
      }
      if (rule < 0 && !st.contains("Default"))
        return fail(r, StateError{"States.NoChoiceMatched",
                                  "No Matches! Choice state did not match any rules."});
      // The matching rule's Output and Assign; the state's own when Default is taken.
      const json& holder = rule >= 0 ? rules[rule] : st;
      next = rule >= 0 ? rules[rule]["Next"].get<std::string>() : st["Default"].get<std::string>();
      if (auto e = evaluate(holder, effective.value)) return fail(r, *e);
      output = jsonata_output(holder);
    } else if (type == "Pass") {
      Outcome result =
          st.contains("Result") ? Outcome{st["Result"], std::nullopt}
          : st.contains("Parameters")
              ? apply_payload(st["Parameters"], effective.value, bindings, "Parameters")
              : effective;
      if (result.error) return fail(r, *result.error);
      if (auto e = evaluate(st, result.value)) return fail(r, *e);
      Outcome placed = apply_result_path(st, r.state_input, result.value);
      if (placed.error) return fail(r, *placed.error);
      output = apply_output_path(st, placed.value, bindings);
    } else if (type == "Choice") {
      Chosen chosen = choose(st, effective.value, bindings);
      if (chosen.error) return fail(r, *chosen.error);
      next = chosen.next;
      // The matching rule's Assign; the state's own when Default is taken (as AWS runs it;
      // its guide says only that a rule's Assign applies "when this specific choice rule
      // matches").
      if (auto e = evaluate(chosen.rule >= 0 ? st["Choices"][chosen.rule] : st, effective.value))
        return fail(r, *e);
      output = apply_output_path(st, effective.value, bindings);
    } else if (type == "Wait") {
      if (r.wait_until == 0) {
        auto until = wait_until(st, effective.value, now, bindings);
        if (until.error) return fail(r, *until.error);
        r.wait_until = until.value.get<TimeMs>();
      }
      if (r.wait_until > now) {
        std::string key = r.info.arn;
        r.timer = env_.timers->schedule(r.wait_until, [this, key] { resume(key); });
        return;  // parked
      }
      r.wait_until = 0;
      if (auto e = evaluate(st, effective.value)) return fail(r, *e);
      output = jsonata ? jsonata_output(st) : apply_output_path(st, effective.value, bindings);
    } else if (type == "Succeed") {
      output = jsonata ? jsonata_output(st) : apply_output_path(st, effective.value, bindings);
    } else if (jsonata && type == "Fail") {
      Outcome fields = jsonata_fail_details(st, frame);
      if (fields.error) return fail(r, *fields.error);
      json details = std::move(fields.value);
      std::string error = details.value("error", ""), cause = details.value("cause", "");
      r.info.error = error.empty() ? std::nullopt : std::optional<std::string>(error);
      r.info.cause = cause.empty() ? std::nullopt : std::optional<std::string>(cause);
      return finish(r, "FAILED", now, "ExecutionFailed", "executionFailedEventDetails", details);
    } else if (type == "Fail") {
      std::string error = st.value("Error", ""), cause = st.value("Cause", "");
      for (const char* f : {"ErrorPath", "CausePath"}) {
        if (!st.contains(f)) continue;
        Outcome v = read_path_field(st[f], r.state_input, bindings, f);
        if (v.error) return fail(r, *v.error);
        std::string text = v.value.is_string() ? v.value.get<std::string>() : text_of(v.value);
        (std::string(f) == "ErrorPath" ? error : cause) = text;
      }
      json details = json::object();
      if (st.contains("Error") || st.contains("ErrorPath")) details["error"] = error;
      if (st.contains("Cause") || st.contains("CausePath")) details["cause"] = cause;
      r.info.error = error.empty() ? std::nullopt : std::optional<std::string>(error);
      r.info.cause = cause.empty() ? std::nullopt : std::optional<std::string>(cause);
      return finish(r, "FAILED", now, "ExecutionFailed", "executionFailedEventDetails", details);
    } else if (type == "Parallel" || type == "Map") {
      // A JSONata Parallel's Arguments are its branches' input; its errors are the state's.
      Outcome arguments = jsonata && st.contains("Arguments") && !r.container_started
                              ? evaluate_jsonata(st["Arguments"], frame, "Arguments")
                              : effective;
      TaskStep step = arguments.error ? TaskStep{false, arguments.error}
                                      : container_step(r, st, arguments.value, bindings, now);
      if (step.parked) return;
      if (step.error) {
        if (recover_from(r, st, *step.error, now)) continue;
        return;
      }
      output = std::move(step.output);
      assigned = std::move(step.assigned);
    } else if (type == "Task") {
      // A JSONata Task's Arguments are its request, as Parameters are in JSONPath mode; they
      // are evaluated only while nothing is in flight (a retry evaluates them again).
      Outcome arguments = jsonata && st.contains("Arguments") && !r.task
                              ? evaluate_jsonata(st["Arguments"], frame, "Arguments")
                              : effective;
      TaskStep step = arguments.error ? TaskStep{false, arguments.error}
                                      : task_step(r, st, arguments.value, bindings, now);
      if (step.parked) return;
      if (step.error) {
        if (recover_from(r, st, *step.error, now)) continue;  // caught: on to its Next
        return;                                               // retrying, or failed
      }
      output = std::move(step.output);
      assigned = std::move(step.assigned);
    } else {
      return fail(r, StateError{"States.Runtime", "Wyvern does not run " + type +
                                                      " states yet (state '" + r.state + "')."});
    }
    if (output.error) return fail(r, *output.error);
    std::string output_text = text_of(output.value);
    if (output_text.size() > kMaxPayloadBytes)
      return fail(r, StateError{"States.DataLimitExceeded",
                                "The state/task '" + r.state +
                                    "' returned a result with a size exceeding the maximum "
                                    "number of bytes service limit."});
    json exited = {
        {"name", r.state}, {"output", output_text}, {"outputDetails", {{"truncated", false}}}};
    if (auto e = store_variables(r, assigned, exited)) return fail(r, *e);
    add_event(r, type + "StateExited", "stateExitedEventDetails", std::move(exited));
    if (type == "Succeed" || (!next && st.value("End", false))) {
      r.info.output = text_of(output.value);
      return finish(r, "SUCCEEDED", now, "ExecutionSucceeded", "executionSucceededEventDetails",
                    {{"output", *r.info.output}, {"outputDetails", {{"truncated", false}}}});
    }
    r.state = next ? *next : st["Next"].get<std::string>();
    r.state_input = std::move(output.value);
    r.entered = false;
    r.retries.clear();
  }
}

// The definition's TimeoutSeconds (Express executions: AWS's five minutes at most).
// A redriven execution gets its whole TimeoutSeconds again, counted from the redrive.
void Engine::arm_execution_deadline(Run& r) {
  int64_t seconds = 0;
  if (r.definition.contains("TimeoutSeconds") && r.definition["TimeoutSeconds"].is_number_integer())
    seconds = r.definition["TimeoutSeconds"].get<int64_t>();
  if (r.express) seconds = seconds > 0 ? std::min<int64_t>(seconds, 300) : 300;
  if (seconds <= 0) return;
  std::string key = r.info.arn;
  env_.timers->cancel(r.deadline_timer);
  TimeMs from = r.info.redrive_date.value_or(r.info.started_at);
  r.deadline_timer = env_.timers->schedule(from + seconds * 1000, [this, key] { time_out(key); });
}

void Engine::time_out(const std::string& arn) {
  auto it = runs_.find(arn);
  bool express = it == runs_.end();
  if (express && (it = express_.find(arn)) == express_.end()) return;
  Run& r = it->second;
  r.deadline_timer = 0;
  if (r.info.status != "RUNNING") return;
  env_.timers->cancel(r.timer);
  drop_task(r);
  end_children_of(r);
  r.info.error = "States.Timeout";
  r.info.cause.reset();
  finish(r, "TIMED_OUT", env_.clock->now_ms(), "ExecutionTimedOut", "executionTimedOutEventDetails",
         {{"error", "States.Timeout"}});
  if (express) return;
  WriteBatch batch;
  persist_run(r, batch);
  env_.store->commit(std::move(batch), nullptr);
}

Outcome Engine::wait_until(const json& st, const json& input, TimeMs now,
                           const Bindings& bindings) {
  if (bindings.jsonata) {
    const JsonataFrame& frame = *bindings.jsonata;
    if (st.contains("Seconds")) {
      Outcome seconds = evaluate_jsonata_integer(st["Seconds"], frame, "Seconds", 0, 99999999);
      if (seconds.error) return seconds;
      return {now + seconds.value.get<TimeMs>() * 1000, std::nullopt};
    }
    Outcome stamp = evaluate_jsonata(st["Timestamp"], frame, "Timestamp");
    if (stamp.error) return stamp;
    auto at =
        stamp.value.is_string() ? parse_timestamp(stamp.value.get<std::string>()) : std::nullopt;
    if (!at)
      return {nullptr, query_evaluation_error(frame, "Timestamp",
                                              "must be an ISO-8601 extended offset date-time "
                                              "string, not " +
                                                  text_of(stamp.value))};
    return {*at, std::nullopt};
  }
  if (st.contains("Seconds")) return {now + st["Seconds"].get<TimeMs>() * 1000, std::nullopt};
  if (st.contains("SecondsPath")) {
    Outcome v = read_path_field(st["SecondsPath"], input, bindings, "SecondsPath");
    if (v.error) return v;
    const json& s = v.value;
    if (!s.is_number_integer() || s.get<TimeMs>() < 0)
      return Outcome::fail("States.Runtime",
                           "The SecondsPath parameter does not reference a valid integer value");
    return {now + s.get<TimeMs>() * 1000, std::nullopt};
  }
  std::string text;
  if (st.contains("Timestamp")) {
    text = st["Timestamp"];
  } else {
    Outcome v = read_path_field(st["TimestampPath"], input, bindings, "TimestampPath");
    if (v.error) return v;
    if (!v.value.is_string())
      return Outcome::fail("States.Runtime",
                           "The TimestampPath parameter does not reference a valid ISO-8601 "
                           "extended offset date-time format string");
    text = v.value;
  }
  auto at = parse_timestamp(text);
  if (!at)
    return Outcome::fail("States.Runtime",
                         "The TimestampPath parameter does not reference a valid ISO-8601 "
                         "extended offset date-time format string");
  return {*at, std::nullopt};
}

json Engine::context_object(const Run& r) {
  const Run& root = root_of(r);
  int retry_count = 0;  // retries of the current state so far, across its retriers
  for (int n : r.retries) retry_count += n;
  json out = {{"Execution",
               {{"Id", root.info.arn},
                {"Input", json::parse(root.info.input, nullptr, false)},
                {"Name", root.info.name},
                {"RoleArn", root.role_arn},
                {"StartTime", iso8601_ms(root.info.started_at)},
                {"RedriveCount", root.info.redrive_count}}},
              {"State",
               {{"EnteredTime", iso8601_ms(r.state_entered_at)},
                {"Name", r.state},
                {"RetryCount", retry_count}}},
              {"StateMachine", {{"Id", r.info.state_machine_arn}, {"Name", r.state_machine_name}}}};
  if (r.map_iteration) out["Map"] = {{"Item", {{"Index", r.index}, {"Value", r.map_item}}}};
  return out;
}

// A Task, Parallel or Map state's result through ResultSelector, ResultPath and OutputPath.
// The state's Assign reads the raw result, as ResultSelector does ("the assign step in a
// JSONPath task occurs at the same time as the ResultSelector", workflow-variables.html).
Engine::TaskStep Engine::result_step(Run& r, const json& st, const json& result,
                                     const Bindings& bindings) {
  if (bindings.jsonata) return jsonata_result_step(r, st, result, bindings);
  Outcome selected = st.contains("ResultSelector")
                         ? apply_payload(st["ResultSelector"], result, bindings, "ResultSelector")
                         : Outcome{result, std::nullopt};
  if (selected.error) return {false, selected.error, {}};
  json assigned;
  if (st.contains("Assign")) {
    Outcome values = evaluate_assign(st, st["Assign"], result, bindings);
    if (values.error) return {false, values.error, {}};
    assigned = std::move(values.value);
  }
  Outcome placed = apply_result_path(st, r.state_input, selected.value);
  if (placed.error) return {false, placed.error, {}};
  return {false, std::nullopt, apply_output_path(st, placed.value, bindings), std::move(assigned)};
}

JsonataFrame Engine::jsonata_frame(const Run& r, const json& context,
                                   const VariableScope& variables) {
  JsonataFrame frame;
  frame.states = states_object(r.state_input, context);
  frame.variables = &variables;
  frame.state = r.state;
  frame.entered_event = r.state_entered_event;
  frame.now_millis = env_.clock->now_ms();
  return frame;
}

// Output and Assign both read `$states.result` and the variables as they were on entry
// (the states-language.net spec: "If not provided, the state output is the result in a Task,
// Map, and Parallel State").
Engine::TaskStep Engine::jsonata_result_step(Run& r, const json& st, const json& result,
                                             const Bindings& bindings) {
  (void)r;
  JsonataFrame frame = *bindings.jsonata;
  frame.states["result"] = result;
  Bindings with_result{bindings.context, bindings.variables, &frame};
  json assigned;
  if (st.contains("Assign")) {
    Outcome values = evaluate_assign(st, st["Assign"], result, with_result);
    if (values.error) return {false, values.error, {}};
    assigned = std::move(values.value);
  }
  Outcome output = st.contains("Output") ? evaluate_jsonata(st["Output"], frame, "Output")
                                         : Outcome{result, std::nullopt};
  if (output.error) return {false, output.error, {}};
  return {false, std::nullopt, std::move(output), std::move(assigned)};
}

Engine::TaskStep Engine::park(Run& r, TimeMs at) {
  env_.timers->cancel(r.timer);
  std::string key = r.info.arn;
  r.timer = env_.timers->schedule(at, [this, key] { resume(key); });
  return {true, std::nullopt, {}};
}

// One look at a Parallel or Map state: start its branches or iterations as child runs,
// then, each time one of them ends, see whether the state is done.
Engine::TaskStep Engine::container_step(Run& r, const json& st, const json& effective,
                                        const Bindings& bindings, TimeMs now) {
  bool map = st["Type"] == "Map";
  const json& processor = !map                           ? json::object()
                          : st.contains("ItemProcessor") ? st["ItemProcessor"]
                                                         : st["Iterator"];
  // A distributed Map runs its items as child executions of a Map Run.
  bool distributed = map && processor.contains("ProcessorConfig") &&
                     processor["ProcessorConfig"].is_object() &&
                     processor["ProcessorConfig"].value("Mode", "") == "DISTRIBUTED";
  bool resumed = r.container_started;
  // Stops whatever the state started (AWS records no events for those runs) and fails it.
  auto fail_state = [&](StateError e) -> TaskStep {
    // An ItemSelector that failed is recorded before the Map's own failure event.
    record_evaluation_failure(r, e);
    e.location.clear();
    keep_succeeded_children(r);
    for (const auto& arn : r.children)
      if (Run* c = find_run(arn); c && c->info.status == "RUNNING") abort_quietly(*c);
    if (r.container_started && distributed)
      add_event(r, "MapRunFailed", "mapRunFailedEventDetails",
                {{"error", e.error}, {"cause", e.cause}});
    else if (r.container_started)
      add_event(r, map ? "MapStateFailed" : "ParallelStateFailed", "", json::object());
    end_container(r);
    return {false, std::move(e), {}};
  };
  if (!r.container_started && r.retry_at > now) return park(r, r.retry_at);
  MapLimits limits = map ? map_limits(st, effective, bindings) : MapLimits{};
  if (limits.error) return fail_state(*limits.error);
  // A redrive runs again only what did not succeed; any other start runs everything.
  bool reuse = r.redriving_container && r.kept_state == r.state && r.kept_outputs.is_object();
  if (!r.container_started) {
    r.retry_at = 0;
    r.children.clear();
    r.redriving_container = false;
    if (!reuse) {
      r.kept_outputs = json();
      r.kept_state.clear();
    }
    if (map) {
      Outcome items;
      if (bindings.jsonata) {
        // Items: an expression or a literal array; without it, the state's input.
        items = st.contains("Items") ? evaluate_jsonata(st["Items"], *bindings.jsonata, "Items")
                                     : Outcome{effective, std::nullopt};
        if (!items.error && !items.value.is_array())
          items.error = query_evaluation_error(*bindings.jsonata, "Items",
                                               "must be a JSON array, not " + text_of(items.value));
      } else {
        std::string items_path = st.contains("ItemsPath") && st["ItemsPath"].is_string()
                                     ? st["ItemsPath"].get<std::string>()
                                     : "$";
        items = read_path_field(items_path, effective, bindings, "ItemsPath");
        if (!items.error && !items.value.is_array())
          items.error = StateError{"States.Runtime", "Map state input at ItemsPath " + items_path +
                                                         " must be a JSON array"};
      }
      if (items.error) return {false, items.error, {}};
      r.map_items = std::move(items.value);
      r.map_next = 0;
      if (distributed) {
        if (st.contains("ItemReader"))
          return {
              false,
              StateError{"States.Runtime",
                         std::string("Wyvern reads a distributed Map's items from its input (") +
                             (bindings.jsonata ? "Items" : "ItemsPath") +
                             "); ItemReader sources are not served locally."},
              {}};
        if (st.contains("ItemBatcher")) {
          Outcome batches = batch_items(r, st, effective, bindings);
          if (batches.error) return {false, batches.error, {}};
          r.map_items = std::move(batches.value);
        }
        r.running_map_run = map_run_arn(r, st);
        r.container_started = true;
        add_event(r, "MapRunStarted", "mapRunStartedEventDetails",
                  {{"mapRunArn", r.running_map_run}});
      } else {
        r.container_started = true;
        add_event(r, "MapStateStarted", "mapStateStartedEventDetails",
                  {{"length", r.map_items.size()}});
      }
    } else {
      Outcome input = st.contains("Parameters")
                          ? apply_payload(st["Parameters"], effective, bindings, "Parameters")
                          : Outcome{effective, std::nullopt};
      if (input.error) return {false, input.error, {}};
      r.container_started = true;
      add_event(r, "ParallelStateStarted", "", json::object());
      for (size_t i = 0; i < st["Branches"].size(); ++i)
        if (!reuse || !r.kept_outputs.contains(std::to_string(i)))
          start_child(r, st["Branches"][i], input.value, static_cast<int>(i), json(), now);
    }
  }
  size_t items = map ? r.map_items.size() : 0;
  // Keep a Map's concurrency topped up.
  if (map) {
    bool batched = distributed && st.contains("ItemBatcher");  // batches are inputs already
    bool kept = r.kept_state == r.state && r.kept_outputs.is_object();
    while (r.map_next < items && r.children_running < limits.concurrency &&
           !limits.exceeded(r.children_failed, items)) {
      size_t i = r.map_next++;
      if (kept && r.kept_outputs.contains(std::to_string(i))) continue;  // done before a redrive
      json item = r.map_items[i];
      json item_context = bindings.context;
      item_context["Map"] = {{"Item", {{"Index", i}, {"Value", item}}}};
      const char* selector = st.contains("ItemSelector") ? "ItemSelector" : "Parameters";
      std::optional<JsonataFrame> item_frame;
      if (bindings.jsonata) {
        // ItemSelector reads the item as $states.context.Map.Item.Value.
        item_frame = *bindings.jsonata;
        item_frame->states["context"] = item_context;
      }
      Outcome input = item_frame && st.contains("ItemSelector") && !batched
                          ? evaluate_jsonata(st["ItemSelector"], *item_frame, "ItemSelector")
                      : st.contains(selector) && !batched
                          ? apply_payload(st[selector], effective,
                                          Bindings{item_context, bindings.variables}, selector)
                          : Outcome{item, std::nullopt};
      if (input.error) return fail_state(*input.error);
      if (!distributed)
        add_event(r, "MapIterationStarted", "mapIterationStartedEventDetails",
                  {{"name", r.state}, {"index", i}});
      start_child(r, processor, input.value, static_cast<int>(i), item, now, distributed);
    }
  }
  if (limits.exceeded(r.children_failed, items)) {
    // A Map Run fails as a whole: its child executions' errors stay in their own histories.
    if (limits.tolerates_failures() || distributed)
      return fail_state({"States.ExceedToleratedFailureThreshold",
                         "The Map state failed because the number of failed items exceeded the "
                         "configured tolerated failure threshold."});
    // Without a tolerance the first failure fails the state, with that child's error.
    StateError e{"States.BranchFailed", ""};
    if (Run* failed = find_run(r.first_failed))
      e = {failed->info.error.value_or("States.BranchFailed"), failed->info.cause.value_or("")};
    return fail_state(std::move(e));
  }
  bool done = (!map || r.map_next >= items) && r.children_running == 0;
  if (!done) {
    // Only children started since the state did: the stored record of `r` still holds.
    r.record_current = resumed;
    return {true, std::nullopt, {}};  // the children resume us as they end
  }
  // A failed iteration that the Map tolerated leaves null in its place (the docs do not say
  // what it leaves; this keeps one result per item, in order).
  size_t count = map ? items : st["Branches"].size();
  json results = json::array();
  for (size_t i = 0; i < count; ++i) results.push_back(nullptr);
  if (r.kept_state == r.state && r.kept_outputs.is_object())
    for (const auto& [index, output] : r.kept_outputs.items()) results[std::stoul(index)] = output;
  for (const auto& arn : r.children)
    if (Run* c = find_run(arn); c && c->index >= 0 && static_cast<size_t>(c->index) < count)
      results[c->index] = c->info.status == "SUCCEEDED"
                              ? json::parse(c->info.output.value_or("null"), nullptr, false)
                              : json();
  r.kept_outputs = json();
  r.kept_state.clear();
  if (distributed)
    add_event(r, "MapRunSucceeded", "", json::object());
  else
    add_event(r, map ? "MapStateSucceeded" : "ParallelStateSucceeded", "", json::object());
  end_container(r);
  return result_step(r, st, results, bindings);
}

// "arn:aws:states:REGION:ACCOUNT:mapRun:MACHINE/LABEL:ID", LABEL being the state's Label or,
// without one, its name.
std::string Engine::map_run_arn(const Run& r, const json& st) {
  const Run& root = root_of(r);
  std::string prefix = root.info.arn.substr(0, root.info.arn.find(":execution:"));
  std::string label =
      st.contains("Label") && st["Label"].is_string() ? st["Label"].get<std::string>() : r.state;
  return prefix + ":mapRun:" + root.state_machine_name + "/" + label + ":" + uuid4();
}

// A distributed Map's ItemBatcher: the items (through ItemSelector) grouped into inputs of
// the form {"Items": [...], "BatchInput": ...}, at most MaxItemsPerBatch items and
// MaxInputBytesPerBatch bytes each. In a JSONata state the limits and BatchInput may be
// expressions, and ItemSelector reads each item as `$states.context.Map.Item`.
Outcome Engine::batch_items(const Run& r, const json& st, const json& effective,
                            const Bindings& bindings) {
  const json& batcher = st["ItemBatcher"];
  const JsonataFrame* frame = bindings.jsonata;
  auto limit = [&](const char* field) -> Outcome {
    if (frame && batcher.contains(field))
      return evaluate_jsonata_integer(batcher[field], *frame, field, 0,
                                      std::numeric_limits<int64_t>::max());
    if (batcher.contains(field) && batcher[field].is_number_unsigned()) return {batcher[field], {}};
    std::string path_field = std::string(field) + "Path";
    if (!batcher.contains(path_field)) return {0, std::nullopt};
    Outcome v = read_path_field(batcher[path_field], effective, bindings, path_field);
    if (v.error) return v;
    if (!v.value.is_number_unsigned())
      return Outcome::fail("States.Runtime",
                           "The " + path_field + " field does not refer to a positive integer");
    return v;
  };
  Outcome max_items = limit("MaxItemsPerBatch");
  if (max_items.error) return max_items;
  Outcome max_bytes = limit("MaxInputBytesPerBatch");
  if (max_bytes.error) return max_bytes;
  json batch_input;
  if (batcher.contains("BatchInput")) {
    Outcome b = frame ? evaluate_jsonata(batcher["BatchInput"], *frame, "BatchInput")
                      : apply_payload(batcher["BatchInput"], effective, bindings, "BatchInput");
    if (b.error) return b;
    batch_input = b.value;
  }
  size_t item_cap = max_items.value.get<size_t>(), byte_cap = max_bytes.value.get<size_t>();
  if (item_cap == 0 && byte_cap == 0) byte_cap = 256 * 1024;  // AWS's default: the payload limit
  json batches = json::array(), current = json::array();
  size_t bytes = 0;
  auto flush = [&] {
    if (current.empty()) return;
    json batch = {{"Items", std::move(current)}};
    if (!batch_input.is_null()) batch["BatchInput"] = batch_input;
    batches.push_back(std::move(batch));
    current = json::array();
    bytes = 0;
  };
  for (size_t i = 0; i < r.map_items.size(); ++i) {
    json item_context = bindings.context;
    item_context["Map"] = {{"Item", {{"Index", i}, {"Value", r.map_items[i]}}}};
    Outcome selected{r.map_items[i], std::nullopt};
    if (st.contains("ItemSelector") && frame) {
      JsonataFrame item_frame = *frame;
      item_frame.states["context"] = item_context;
      selected = evaluate_jsonata(st["ItemSelector"], item_frame, "ItemSelector");
    } else if (st.contains("ItemSelector")) {
      selected = apply_payload(st["ItemSelector"], effective,
                               Bindings{item_context, bindings.variables}, "ItemSelector");
    }
    if (selected.error) return selected;
    size_t size = text_of(selected.value).size();
    if ((item_cap && current.size() >= item_cap) ||
        (byte_cap && bytes + size > byte_cap && !current.empty()))
      flush();
    current.push_back(std::move(selected.value));
    bytes += size;
  }
  flush();
  return {std::move(batches), std::nullopt};
}

// Updates the parent's tallies when one of its children stops running.
void Engine::child_ended(const Run& c) {
  Run* p = find_run(c.parent);
  if (!p) return;
  if (p->children_running > 0) --p->children_running;
  if (c.info.status != "SUCCEEDED" && c.info.status != "ABORTED" && p->children_failed++ == 0)
    p->first_failed = c.info.arn;
}

void Engine::start_child(Run& r, const json& machine, const json& input, int index, json item,
                         TimeMs now, bool distributed) {
  Run child;
  std::string child_name;  // a distributed Map's child execution's
  child.info.arn = r.info.arn + "/" + r.state + "/" + std::to_string(index) + "/" +
                   std::to_string(root_of(r).history.size());
  if (distributed) {
    // "...:mapRun:MACHINE/LABEL:RUNID" -> "...:execution:MACHINE/LABEL:CHILDID"
    std::string run = r.running_map_run;
    std::string head = run.substr(0, run.find(":mapRun:"));
    std::string rest = run.substr(run.find(":mapRun:") + 8);
    child_name = uuid4();
    child.info.arn = head + ":execution:" + rest.substr(0, rest.rfind(':')) + ":" + child_name;
  }
  child.info.state_machine_arn = r.info.state_machine_arn;
  child.info.name = r.info.name;
  child.info.status = "RUNNING";
  child.info.input = text_of(input);
  child.info.started_at = now;
  child.definition = machine;
  child.role_arn = r.role_arn;
  child.state_machine_name = r.state_machine_name;
  child.express = r.express;
  child.test_case = r.test_case;
  child.parent = r.info.arn;
  child.parent_state = r.state;
  child.index = index;
  child.map_item = std::move(item);
  child.map_iteration = r.definition["States"][r.state]["Type"] == "Map";
  child.state = machine["StartAt"];
  child.state_input = input;
  if (distributed) {
    const std::string& run = r.running_map_run;
    std::string machine_label = run.substr(run.find(":mapRun:") + 8);
    machine_label = machine_label.substr(0, machine_label.rfind(':'));
    child.own_history = true;
    child.map_iteration = false;
    child.map_run_arn = run;
    child.info.map_run_arn = run;
    child.info.name = child_name;
    child.state_machine_name = machine_label;
    child.info.state_machine_arn =
        run.substr(0, run.find(":mapRun:")) + ":stateMachine:" + machine_label;
    child.definition = {{"StartAt", machine["StartAt"]}, {"States", machine["States"]}};
    add_event(child, "ExecutionStarted", "executionStartedEventDetails",
              {{"input", child.info.input},
               {"inputDetails", {{"truncated", false}}},
               {"roleArn", child.role_arn}});
  }
  std::string arn = child.info.arn;
  r.children.push_back(arn);
  ++r.children_running;
  if (!r.express) changed_children_.push_back(arn);
  auto& slot = r.express ? express_[arn] : runs_[arn];
  slot = std::move(child);
  advance(slot);
}

// Stops a child whose sibling failed, or whose execution stopped: an inline Map's iteration
// records MapIterationAborted; a Parallel's branch records nothing, as AWS records nothing.
void Engine::abort_quietly(Run& c) {
  env_.timers->cancel(c.timer);
  drop_task(c);
  for (const auto& arn : c.children)
    if (Run* g = find_run(arn); g && g->info.status == "RUNNING") abort_quietly(*g);
  c.info.status = "ABORTED";
  c.info.stopped_at = env_.clock->now_ms();
  if (c.own_history)  // a Map Run's child is an execution: its history says how it ended
    add_event(c, "ExecutionAborted", "executionAbortedEventDetails", json::object());
  else if (c.map_iteration)  // an inline Map's iteration: the Map's history says so
    add_event(c, "MapIterationAborted", "mapIterationAbortedEventDetails",
              {{"name", c.parent_state}, {"index", c.index}});
  child_ended(c);
  if (!c.express) changed_children_.push_back(c.info.arn);
}

// Stops and forgets whatever branches or iterations a run has going.
void Engine::end_children_of(Run& r) {
  keep_succeeded_children(r);
  for (const auto& arn : r.children)
    if (Run* c = find_run(arn); c && c->info.status == "RUNNING") abort_quietly(*c);
  end_container(r);
}

// Remembers, for a redrive, the outputs of the branches or iterations of the run's current
// Parallel or Map state that succeeded (with those kept from an earlier attempt).
void Engine::keep_succeeded_children(Run& r) {
  if (r.children.empty()) return;
  if (r.kept_state != r.state || !r.kept_outputs.is_object()) {
    r.kept_outputs = json::object();
    r.kept_state = r.state;
  }
  for (const auto& arn : r.children)
    if (Run* c = find_run(arn); c && c->info.status == "SUCCEEDED" && c->index >= 0)
      r.kept_outputs[std::to_string(c->index)] =
          json::parse(c->info.output.value_or("null"), nullptr, false);
}

// Forgets a finished Parallel/Map state's children.
void Engine::end_container(Run& r) {
  for (const auto& arn : r.children) {
    if (Run* c = find_run(arn)) end_container(*c);
    if (Run* c = find_run(arn)) env_.timers->cancel(c->timer);
    if (Run* c = find_run(arn); c && c->own_history) {
      // A Map Run's child execution outlives the Map state, detached from it.
      c->parent.clear();
      if (!c->express) changed_children_.push_back(arn);
      continue;
    }
    if (Run* c = find_run(arn)) forget_variables(*c);
    if (runs_.erase(arn)) finished_children_.push_back(arn);
    express_.erase(arn);
  }
  r.children.clear();
  r.children_running = r.children_failed = 0;
  r.first_failed.clear();
  r.container_started = false;
  r.map_items = json();
  r.map_next = 0;
  r.running_map_run.clear();
}

void Engine::record_evaluation_failure(Run& r, const StateError& e) {
  if (e.location.empty()) return;
  add_event(r, "EvaluationFailed", "evaluationFailedEventDetails",
            {{"state", r.state}, {"error", e.error}, {"cause", e.cause}, {"location", e.location}});
}

void Engine::fail(Run& r, const StateError& e) {
  record_evaluation_failure(r, e);
  r.info.error = e.error;
  r.info.cause = e.cause;
  finish(r, "FAILED", env_.clock->now_ms(), "ExecutionFailed", "executionFailedEventDetails",
         {{"error", e.error}, {"cause", e.cause}});
}

void Engine::finish(Run& r, const std::string& status, TimeMs now, const std::string& event,
                    const std::string& key, json details) {
  r.info.status = status;
  r.info.stopped_at = now;
  env_.timers->cancel(r.deadline_timer);
  if (r.own_history) add_event(r, event, key, details);  // a Map Run's child execution
  if (!r.parent.empty()) {
    // A branch or iteration ended: its parent looks again, soon (never re-entrantly).
    if (r.map_iteration)
      add_event(r, status == "SUCCEEDED" ? "MapIterationSucceeded" : "MapIterationFailed",
                status == "SUCCEEDED" ? "mapIterationSucceededEventDetails"
                                      : "mapIterationFailedEventDetails",
                {{"name", r.parent_state}, {"index", r.index}});
    child_ended(r);
    std::string parent = r.parent;
    if (Run* p = find_run(parent)) {
      env_.timers->cancel(p->timer);
      p->timer = env_.timers->schedule(now, [this, parent] { resume(parent); });
    }
    return;
  }
  if (!r.own_history) add_event(r, event, key, std::move(details));
  announce(r);
  if (auto waiting = sync_parents_.find(r.info.arn); waiting != sync_parents_.end()) {
    // A parent's .sync task waits on this execution: it goes on in a turn of its own.
    // (An Express child is gone once it ends: its description travels with the call.)
    env_.post(
        [this, parent = waiting->second, child = r.info] { sync_child_ended(parent, child); });
  }
  auto callers = std::move(r.on_end);
  for (auto& reply : callers) reply(r.info);
  if (r.express) express_.erase(r.info.arn);  // nothing keeps an Express execution
}

void Engine::add_event(Run& run, const std::string& type, const std::string& key, json details) {
  Run& r = root_of(run);  // branches and iterations write into their execution's history
  HistoryEvent e;
  e.id = static_cast<int64_t>(r.history.size()) + 1;
  e.previous_id = e.id - 1;
  e.timestamp = env_.clock->now_ms();
  e.type = type;
  e.details_key = key;
  e.details = std::move(details);
  r.history.push_back(std::move(e));
}

VariableScope Engine::scope_of(const Run& r) {
  std::vector<const json*> scopes;
  for (const Run* at = &r; at;) {
    scopes.push_back(&at->variables);
    if (at->own_history || at->parent.empty()) break;
    at = find_run(at->parent);
  }
  return VariableScope(std::move(scopes));
}

std::optional<StateError> Engine::store_variables(Run& r, const json& assigned, json& exited) {
  if (!assigned.is_object() || assigned.empty()) return std::nullopt;
  Run& root = root_of(r);
  // The run's scope owns every name it assigns: validation keeps inner scopes from assigning
  // an outer scope's names.
  size_t before = 0, after = 0;
  for (const auto& [name, value] : assigned.items()) {
    if (auto old = r.variables.find(name); old != r.variables.end()) before += variable_bytes(*old);
    after += variable_bytes(value);
  }
  size_t execution_after =
      root.execution_variable_bytes - std::min(before, root.execution_variable_bytes) + after;
  if (auto e = assignment_limits(r.state, assigned, execution_after)) return e;
  json shown = json::object();
  for (const auto& [name, value] : assigned.items()) {
    shown[name] = text_of(value);
    r.variables[name] = value;
  }
  r.variable_bytes = r.variable_bytes - std::min(before, r.variable_bytes) + after;
  root.execution_variable_bytes = execution_after;
  exited["assignedVariables"] = std::move(shown);
  exited["assignedVariablesDetails"] = {{"truncated", false}};
  return std::nullopt;
}

void Engine::forget_variables(const Run& child) {
  Run& root = root_of(child);
  if (&root == &child) return;
  root.execution_variable_bytes -= std::min(child.variable_bytes, root.execution_variable_bytes);
}

}  // namespace wyvern::stepfn
