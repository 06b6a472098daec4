// The interpreter: the run loop that takes a run from state to state, the states that need
// nothing from outside (Pass, Choice, Wait, Succeed, Fail), Parallel branches and Map
// iterations as child runs, the ends of runs, and the history events they all record. Task
// states are tasks.cc's.
#include <algorithm>
#include <cstdint>

#include "engine.h"
#include "foundation/codec.h"

namespace wyvern::stepfn {
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
    }
    // The context object costs a build per state; most states never read `$$`.
    auto uses = r.uses_context.find(r.state);
    if (uses == r.uses_context.end())
      uses = r.uses_context.emplace(r.state, text_of(st).find("$$") != std::string::npos).first;
    json context = uses->second ? context_object(r) : json::object();
    Outcome effective = apply_input_path(st, r.state_input, context);
    if (effective.error) return fail(r, *effective.error);
    Outcome output;
    std::optional<std::string> next;
    if (type == "Pass") {
      Outcome result = st.contains("Result") ? Outcome{st["Result"], std::nullopt}
                       : st.contains("Parameters")
                           ? apply_payload(st["Parameters"], effective.value, context, "Parameters")
                           : effective;
      if (result.error) return fail(r, *result.error);
      Outcome placed = apply_result_path(st, r.state_input, result.value);
      if (placed.error) return fail(r, *placed.error);
      output = apply_output_path(st, placed.value, context);
    } else if (type == "Choice") {
      Outcome chosen = choose(st, effective.value, context);
      if (chosen.error) return fail(r, *chosen.error);
      next = chosen.value.get<std::string>();
      output = apply_output_path(st, effective.value, context);
    } else if (type == "Wait") {
      if (r.wait_until == 0) {
        auto until = wait_until(st, effective.value, now);
        if (until.error) return fail(r, *until.error);
        r.wait_until = until.value.get<TimeMs>();
      }
      if (r.wait_until > now) {
        std::string key = r.info.arn;
        r.timer = env_.timers->schedule(r.wait_until, [this, key] { resume(key); });
        return;  // parked
      }
      r.wait_until = 0;
      output = apply_output_path(st, effective.value, context);
    } else if (type == "Succeed") {
      output = apply_output_path(st, effective.value, context);
    } else if (type == "Fail") {
      std::string error = st.value("Error", ""), cause = st.value("Cause", "");
      for (const char* f : {"ErrorPath", "CausePath"}) {
        if (!st.contains(f)) continue;
        Outcome v = apply_payload(json{{std::string("v.$"), st[f]}}, r.state_input, context, f);
        if (v.error) return fail(r, *v.error);
        std::string text =
            v.value["v"].is_string() ? v.value["v"].get<std::string>() : text_of(v.value["v"]);
        (std::string(f) == "ErrorPath" ? error : cause) = text;
      }
      json details = json::object();
      if (st.contains("Error") || st.contains("ErrorPath")) details["error"] = error;
      if (st.contains("Cause") || st.contains("CausePath")) details["cause"] = cause;
      r.info.error = error.empty() ? std::nullopt : std::optional<std::string>(error);
      r.info.cause = cause.empty() ? std::nullopt : std::optional<std::string>(cause);
      return finish(r, "FAILED", now, "ExecutionFailed", "executionFailedEventDetails", details);
    } else if (type == "Parallel" || type == "Map") {
      TaskStep step = container_step(r, st, effective.value, context, now);
      if (step.parked) return;
      if (step.error) {
        if (recover_from(r, st, *step.error, now)) continue;
        return;
      }
      output = std::move(step.output);
    } else if (type == "Task") {
      TaskStep step = task_step(r, st, effective.value, context, now);
      if (step.parked) return;
      if (step.error) {
        if (recover_from(r, st, *step.error, now)) continue;  // caught: on to its Next
        return;                                               // retrying, or failed
      }
      output = std::move(step.output);
    } else {
      return fail(r, StateError{"States.Runtime", "Wyvern does not run " + type +
                                                      " states yet (state '" + r.state + "')."});
    }
    if (output.error) return fail(r, *output.error);
    add_event(r, type + "StateExited", "stateExitedEventDetails",
              {{"name", r.state},
               {"output", text_of(output.value)},
               {"outputDetails", {{"truncated", false}}}});
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

Outcome Engine::wait_until(const json& st, const json& input, TimeMs now) {
  if (st.contains("Seconds")) return {now + st["Seconds"].get<TimeMs>() * 1000, std::nullopt};
  if (st.contains("SecondsPath")) {
    Outcome v =
        apply_payload(json{{"v.$", st["SecondsPath"]}}, input, json::object(), "SecondsPath");
    if (v.error) return v;
    const json& s = v.value["v"];
    if (!s.is_number_integer() || s.get<TimeMs>() < 0)
      return Outcome::fail("States.Runtime",
                           "The SecondsPath parameter does not reference a valid integer value");
    return {now + s.get<TimeMs>() * 1000, std::nullopt};
  }
  std::string text;
  if (st.contains("Timestamp")) {
    text = st["Timestamp"];
  } else {
    Outcome v =
        apply_payload(json{{"v.$", st["TimestampPath"]}}, input, json::object(), "TimestampPath");
    if (v.error) return v;
    if (!v.value["v"].is_string())
      return Outcome::fail("States.Runtime",
                           "The TimestampPath parameter does not reference a valid ISO-8601 "
                           "extended offset date-time format string");
    text = v.value["v"];
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
Engine::TaskStep Engine::result_step(Run& r, const json& st, const json& result,
                                     const json& context) {
  Outcome selected = st.contains("ResultSelector")
                         ? apply_payload(st["ResultSelector"], result, context, "ResultSelector")
                         : Outcome{result, std::nullopt};
  if (selected.error) return {false, selected.error, {}};
  Outcome placed = apply_result_path(st, r.state_input, selected.value);
  if (placed.error) return {false, placed.error, {}};
  return {false, std::nullopt, apply_output_path(st, placed.value, context)};
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
                                        const json& context, TimeMs now) {
  bool map = st["Type"] == "Map";
  bool resumed = r.container_started;
  if (!r.container_started) {
    if (r.retry_at > now) return park(r, r.retry_at);
    r.retry_at = 0;
    r.container_started = true;
    r.children.clear();
    if (map) {
      std::string items_path = st.contains("ItemsPath") && st["ItemsPath"].is_string()
                                   ? st["ItemsPath"].get<std::string>()
                                   : "$";
      Outcome items = apply_payload(json{{"v.$", items_path}}, effective, context, "ItemsPath");
      if (items.error) return {false, items.error, {}};
      if (!items.value["v"].is_array())
        return {false,
                StateError{"States.Runtime",
                           "Map state input at ItemsPath " + items_path + " must be a JSON array"},
                {}};
      r.map_items = items.value["v"];
      r.map_next = 0;
      add_event(r, "MapStateStarted", "mapStateStartedEventDetails",
                {{"length", r.map_items.size()}});
    } else {
      Outcome input = st.contains("Parameters")
                          ? apply_payload(st["Parameters"], effective, context, "Parameters")
                          : Outcome{effective, std::nullopt};
      if (input.error) return {false, input.error, {}};
      add_event(r, "ParallelStateStarted", "", json::object());
      for (size_t i = 0; i < st["Branches"].size(); ++i)
        start_child(r, st["Branches"][i], input.value, static_cast<int>(i), json(), now);
    }
  }
  // Keep a Map's concurrency topped up.
  if (map) {
    size_t limit = st.contains("MaxConcurrency") && st["MaxConcurrency"].is_number_unsigned() &&
                           st["MaxConcurrency"].get<size_t>() > 0
                       ? st["MaxConcurrency"].get<size_t>()
                       : SIZE_MAX;
    const json& processor = st.contains("ItemProcessor") ? st["ItemProcessor"] : st["Iterator"];
    while (r.map_next < r.map_items.size() && r.children_running < limit &&
           r.children_failed == 0) {
      size_t i = r.map_next++;
      json item = r.map_items[i];
      json item_context = context;
      item_context["Map"] = {{"Item", {{"Index", i}, {"Value", item}}}};
      const char* selector = st.contains("ItemSelector") ? "ItemSelector" : "Parameters";
      Outcome input = st.contains(selector)
                          ? apply_payload(st[selector], effective, item_context, selector)
                          : Outcome{item, std::nullopt};
      if (input.error) return {false, input.error, {}};
      add_event(r, "MapIterationStarted", "mapIterationStartedEventDetails",
                {{"name", r.state}, {"index", i}});
      start_child(r, processor, input.value, static_cast<int>(i), item, now);
    }
  }
  if (r.children_failed > 0) {
    StateError e{"States.BranchFailed", ""};
    if (Run* failed = find_run(r.first_failed))
      e = {failed->info.error.value_or("States.BranchFailed"), failed->info.cause.value_or("")};
    for (const auto& arn : r.children)
      if (Run* c = find_run(arn); c && c->info.status == "RUNNING") abort_quietly(*c);
    add_event(r, map ? "MapStateFailed" : "ParallelStateFailed", "", json::object());
    end_container(r);
    return {false, e, {}};
  }
  bool done = (!map || r.map_next >= r.map_items.size()) && r.children_running == 0;
  if (!done) {
    // Only children started since the state did: the stored record of `r` still holds.
    r.record_current = resumed;
    return {true, std::nullopt, {}};  // the children resume us as they end
  }
  json results = json::array();
  for (const auto& arn : r.children)
    if (Run* c = find_run(arn))
      results.push_back(json::parse(c->info.output.value_or("null"), nullptr, false));
  add_event(r, map ? "MapStateSucceeded" : "ParallelStateSucceeded", "", json::object());
  end_container(r);
  return result_step(r, st, results, context);
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
                         TimeMs now) {
  Run child;
  child.info.arn = r.info.arn + "/" + r.state + "/" + std::to_string(index) + "/" +
                   std::to_string(root_of(r).history.size());
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
  std::string arn = child.info.arn;
  r.children.push_back(arn);
  ++r.children_running;
  if (!r.express) changed_children_.push_back(arn);
  auto& slot = r.express ? express_[arn] : runs_[arn];
  slot = std::move(child);
  advance(slot);
}

// Stops a child whose sibling failed: no events of its own, as AWS records none.
void Engine::abort_quietly(Run& c) {
  env_.timers->cancel(c.timer);
  drop_task(c);
  for (const auto& arn : c.children)
    if (Run* g = find_run(arn); g && g->info.status == "RUNNING") abort_quietly(*g);
  c.info.status = "ABORTED";
  c.info.stopped_at = env_.clock->now_ms();
  child_ended(c);
  if (!c.express) changed_children_.push_back(c.info.arn);
}

// Stops and forgets whatever branches or iterations a run has going.
void Engine::end_children_of(Run& r) {
  for (const auto& arn : r.children)
    if (Run* c = find_run(arn); c && c->info.status == "RUNNING") abort_quietly(*c);
  end_container(r);
}

// Forgets a finished Parallel/Map state's children.
void Engine::end_container(Run& r) {
  for (const auto& arn : r.children) {
    if (Run* c = find_run(arn)) end_container(*c);
    if (Run* c = find_run(arn)) env_.timers->cancel(c->timer);
    if (runs_.erase(arn)) finished_children_.push_back(arn);
    express_.erase(arn);
  }
  r.children.clear();
  r.children_running = r.children_failed = 0;
  r.first_failed.clear();
  r.container_started = false;
  r.map_items = json();
  r.map_next = 0;
}

void Engine::fail(Run& r, const StateError& e) {
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
  add_event(r, event, key, std::move(details));
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

}  // namespace wyvern::stepfn
