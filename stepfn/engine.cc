// The engine itself: its construction and destruction, recovery from the store after a
// restart, reset, and the records the store keeps of runs and their history events.
#include <algorithm>
#include <charconv>

#include "engine.h"
#include "foundation/codec.h"

namespace wyvern::stepfn {
namespace {

std::string history_key(const std::string& execution_arn, int64_t id) {
  std::string key = execution_arn + '\0';
  put_u64_be(key, static_cast<uint64_t>(id));
  return key;
}

json task_record(const Run::PendingTask& t) {
  json doc = {{"token", t.token},
              {"activity_arn", t.activity_arn},
              {"input", t.input},
              {"scheduled_at", t.scheduled_at},
              {"deadline", t.deadline},
              {"heartbeat_deadline", t.heartbeat_deadline},
              {"heartbeat_seconds", t.heartbeat_seconds},
              {"timeout_seconds", t.timeout_seconds},
              {"started", t.started},
              {"callback", t.callback},
              {"submitted", t.submitted}};
  if (!t.child.empty()) doc["child"] = t.child;
  if (t.output) doc["output"] = *t.output;
  if (t.failure) doc["failure"] = {{"error", t.failure->error}, {"cause", t.failure->cause}};
  return doc;
}

Run::PendingTask task_from(const json& doc) {
  Run::PendingTask t;
  t.token = doc.value("token", "");
  t.activity_arn = doc.value("activity_arn", "");
  t.input = doc.value("input", "{}");
  t.scheduled_at = doc.value("scheduled_at", TimeMs{0});
  t.deadline = doc.value("deadline", TimeMs{0});
  t.heartbeat_deadline = doc.value("heartbeat_deadline", TimeMs{0});
  t.heartbeat_seconds = doc.value("heartbeat_seconds", int64_t{0});
  t.timeout_seconds = doc.value("timeout_seconds", int64_t{0});
  t.started = doc.value("started", false);
  t.callback = doc.value("callback", false);
  t.submitted = doc.value("submitted", false);
  t.child = doc.value("child", "");
  if (doc.contains("output") && doc["output"].is_string())
    t.output = doc["output"].get<std::string>();
  if (doc.contains("failure") && doc["failure"].is_object())
    t.failure = StateError{doc["failure"].value("error", ""), doc["failure"].value("cause", "")};
  return t;
}

json run_record(const Run& r) {
  json doc = {{"arn", r.info.arn},
              {"state_machine_arn", r.info.state_machine_arn},
              {"name", r.info.name},
              {"status", r.info.status},
              {"input", r.info.input},
              {"started_at", r.info.started_at},
              {"definition", r.definition},
              {"role_arn", r.role_arn},
              {"machine_name", r.state_machine_name},
              {"state", r.state},
              {"state_input", r.state_input},
              {"entered", r.entered},
              {"wait_until", r.wait_until},
              {"state_entered_at", r.state_entered_at},
              {"retries", r.retries},
              {"retry_at", r.retry_at},
              {"test_case", r.test_case},
              {"parent", r.parent},
              {"parent_state", r.parent_state},
              {"index", r.index},
              {"map_item", r.map_item},
              {"map_iteration", r.map_iteration},
              {"own_history", r.own_history},
              {"map_run_arn", r.map_run_arn},
              {"running_map_run", r.running_map_run},
              {"kept_outputs", r.kept_outputs},
              {"kept_state", r.kept_state},
              {"redriving_container", r.redriving_container},
              {"container_started", r.container_started},
              {"map_items", r.map_items},
              {"mock_calls", r.mock_calls},
              {"definition_text", r.definition_text},
              {"redrive_count", r.info.redrive_count},
              {"variables", r.variables}};
  if (r.task) doc["task"] = task_record(*r.task);
  if (r.info.version_arn) doc["version_arn"] = *r.info.version_arn;
  if (r.info.alias_arn) doc["alias_arn"] = *r.info.alias_arn;
  if (r.info.redrive_date) doc["redrive_date"] = *r.info.redrive_date;
  if (r.info.output) doc["output"] = *r.info.output;
  if (r.info.error) doc["error"] = *r.info.error;
  if (r.info.cause) doc["cause"] = *r.info.cause;
  if (r.info.stopped_at) doc["stopped_at"] = *r.info.stopped_at;
  return doc;
}

json event_record(const HistoryEvent& e) {
  return {{"id", e.id},     {"previous_id", e.previous_id}, {"timestamp", e.timestamp},
          {"type", e.type}, {"details_key", e.details_key}, {"details", e.details}};
}

}  // namespace

Engine::Engine(Env env) : env_(env), sink_(std::make_shared<Sink>()) {
  sink_->engine = this;
  sink_->post = env_.post;
}

Engine::~Engine() {
  {
    std::lock_guard lock(sink_->mu);
    sink_->open = false;
  }
  for (auto* runs : {&runs_, &express_})
    for (auto& [arn, r] : *runs) {
      env_.timers->cancel(r.timer);
      env_.timers->cancel(r.deadline_timer);
    }
  for (auto& [arn, list] : pollers_)
    for (auto& p : list) env_.timers->cancel(p.timer);
}

void Engine::recover() {
  env_.store->scan(kActivitiesTable, [&](std::string_view key, std::string_view value) {
    auto doc = json::parse(value, nullptr, false);
    if (!doc.is_object()) return;
    activities_[std::string(key)] =
        Activity{std::string(key), doc.value("name", ""), doc.value("created_at", TimeMs{0})};
  });
  env_.store->scan(kMachinesTable, [&](std::string_view key, std::string_view value) {
    auto doc = json::parse(value, nullptr, false);
    if (!doc.is_object()) return;
    StateMachine m;
    m.arn = key;
    m.name = doc.value("name", "");
    m.definition = doc.value("definition", "");
    m.role_arn = doc.value("role_arn", "");
    m.type = doc.value("type", "STANDARD");
    m.created_at = doc.value("created_at", TimeMs{0});
    m.tags = doc.value("tags", std::map<std::string, std::string>{});
    m.revision_id = doc.value("revision_id", "");
    if (int last = doc.value("last_version", 0); last > 0) last_version_[m.arn] = last;
    machines_[m.arn] = std::move(m);
  });
  env_.store->scan(kVersionsTable, [&](std::string_view key, std::string_view value) {
    auto doc = json::parse(value, nullptr, false);
    std::string arn(key);
    auto machine = machines_.find(arn.substr(0, arn.rfind(':')));
    if (!doc.is_object() || machine == machines_.end()) return;
    StateMachine v = machine->second;
    v.arn = arn;
    v.definition = doc.value("definition", "");
    v.role_arn = doc.value("role_arn", "");
    v.created_at = doc.value("created_at", TimeMs{0});
    v.description = doc.value("description", "");
    v.revision_id = doc.value("revision_id", "");
    v.tags.clear();
    versions_[arn] = std::move(v);
  });
  env_.store->scan(kAliasesTable, [&](std::string_view key, std::string_view value) {
    auto doc = json::parse(value, nullptr, false);
    if (!doc.is_object() || !doc["routing"].is_array()) return;
    StateMachineAlias a;
    a.arn = key;
    a.name = doc.value("name", "");
    a.description = doc.value("description", "");
    a.created_at = doc.value("created_at", TimeMs{0});
    a.updated_at = doc.value("updated_at", TimeMs{0});
    for (const auto& e : doc["routing"])
      a.routing.push_back({e.value("version_arn", ""), e.value("weight", 0)});
    aliases_[a.arn] = std::move(a);
  });
  env_.store->scan(kExecutionsTable, [&](std::string_view key, std::string_view value) {
    auto doc = json::parse(value, nullptr, false);
    if (!doc.is_object()) return;
    Run r;
    r.info.arn = key;
    r.info.state_machine_arn = doc.value("state_machine_arn", "");
    r.info.name = doc.value("name", "");
    r.info.status = doc.value("status", "RUNNING");
    r.info.input = doc.value("input", "{}");
    r.info.started_at = doc.value("started_at", TimeMs{0});
    if (doc.contains("output")) r.info.output = doc["output"].get<std::string>();
    if (doc.contains("error")) r.info.error = doc["error"].get<std::string>();
    if (doc.contains("cause")) r.info.cause = doc["cause"].get<std::string>();
    if (doc.contains("stopped_at")) r.info.stopped_at = doc["stopped_at"].get<TimeMs>();
    r.definition = doc["definition"];
    propagate_query_language(r.definition);
    r.definition_text = doc.value("definition_text", "");
    r.info.redrive_count = doc.value("redrive_count", 0);
    if (doc.contains("redrive_date")) r.info.redrive_date = doc["redrive_date"].get<TimeMs>();
    if (doc.contains("version_arn")) r.info.version_arn = doc["version_arn"].get<std::string>();
    if (doc.contains("alias_arn")) r.info.alias_arn = doc["alias_arn"].get<std::string>();
    r.role_arn = doc.value("role_arn", "");
    r.state_machine_name = doc.value("machine_name", "");
    r.state = doc.value("state", "");
    r.state_input = doc["state_input"];
    r.entered = doc.value("entered", false);
    r.wait_until = doc.value("wait_until", TimeMs{0});
    r.state_entered_at = doc.value("state_entered_at", TimeMs{0});
    r.retries = doc.value("retries", std::vector<int>{});
    r.test_case = doc.value("test_case", "");
    r.parent = doc.value("parent", "");
    r.parent_state = doc.value("parent_state", "");
    r.index = doc.value("index", -1);
    r.map_item = doc.contains("map_item") ? doc["map_item"] : json();
    r.map_iteration = doc.value("map_iteration", !r.map_item.is_null());  // older records
    r.own_history = doc.value("own_history", false);
    r.map_run_arn = doc.value("map_run_arn", "");
    r.running_map_run = doc.value("running_map_run", "");
    if (doc.contains("kept_outputs")) r.kept_outputs = doc["kept_outputs"];
    r.kept_state = doc.value("kept_state", "");
    r.redriving_container = doc.value("redriving_container", false);
    if (r.own_history) r.info.map_run_arn = r.map_run_arn;
    r.container_started = doc.value("container_started", false);
    r.map_items = doc.contains("map_items") ? doc["map_items"] : json();
    if (doc.contains("mock_calls") && doc["mock_calls"].is_object())
      for (const auto& [k, v] : doc["mock_calls"].items())
        if (v.is_number_integer()) r.mock_calls[k] = v.get<int>();
    r.retry_at = doc.value("retry_at", TimeMs{0});
    if (doc.contains("task") && doc["task"].is_object()) r.task = task_from(doc["task"]);
    if (doc.contains("variables") && doc["variables"].is_object()) r.variables = doc["variables"];
    for (const auto& [name, value] : r.variables.items()) r.variable_bytes += variable_bytes(value);
    runs_[r.info.arn] = std::move(r);
  });
  env_.store->scan(kHistoryTable, [&](std::string_view key, std::string_view value) {
    auto nul = key.find('\0');
    auto it = runs_.find(std::string(key.substr(0, nul)));
    auto doc = json::parse(value, nullptr, false);
    if (it == runs_.end() || !doc.is_object()) return;
    HistoryEvent e{doc["id"],   doc["previous_id"], doc["timestamp"],
                   doc["type"], doc["details_key"], doc["details"]};
    it->second.history.push_back(std::move(e));
  });
  recover_closed_tokens();
  adopt_children();
  for (auto& [arn, r] : runs_) root_of(r).execution_variable_bytes += r.variable_bytes;
  std::vector<Run*> waiting_tasks;
  for (auto& [arn, r] : runs_) {
    r.persisted_events = r.history.size();
    if (r.info.status != "RUNNING") continue;
    if (r.task) {
      // A task still out with a worker (or waiting for one) keeps its token; the run
      // resumes when the worker answers or a deadline passes.
      tokens_[r.task->token] = arn;
      if (!r.task->started) waiting_tasks.push_back(&r);
      // A .sync task follows its execution again; one that ended meanwhile ends the task.
      if (!r.task->child.empty() && !r.task->output && !r.task->failure) {
        sync_parents_[r.task->child] = arn;
        auto child = runs_.find(r.task->child);
        if (child != runs_.end() && child->second.info.status != "RUNNING")
          env_.post([this, parent = arn, c = child->second.info] { sync_child_ended(parent, c); });
      }
    }
    arm_execution_deadline(r);
    // Resume: advance() re-arms whatever the run waits for (Wait, retry, task deadline).
    std::string key = arn;
    r.timer = env_.timers->schedule(env_.clock->now_ms(), [this, key] { resume(key); });
  }
  std::sort(waiting_tasks.begin(), waiting_tasks.end(), [](const Run* a, const Run* b) {
    return a->task->scheduled_at < b->task->scheduled_at;
  });
  for (Run* r : waiting_tasks) queued_[r->task->activity_arn].push_back(r->task->token);
}

void Engine::reset() {
  for (auto& [arn, r] : runs_) {
    env_.timers->cancel(r.timer);
    env_.timers->cancel(r.deadline_timer);
  }
  for (auto& [arn, list] : pollers_)
    for (auto& p : list) {
      env_.timers->cancel(p.timer);
      p.reply(ActivityTask{});
    }
  for (auto& [arn, r] : express_) {
    env_.timers->cancel(r.timer);
    env_.timers->cancel(r.deadline_timer);
    for (auto& reply : r.on_end)
      reply(Error{ErrorCode::kExecutionDoesNotExist, "Execution Does Not Exist: '" + arn + "'"});
  }
  runs_.clear();
  express_.clear();
  machines_.clear();
  versions_.clear();
  last_version_.clear();
  aliases_.clear();
  activities_.clear();
  functions_in_flight_.clear();
  finished_children_.clear();
  changed_children_.clear();
  tokens_.clear();
  closed_tokens_.clear();
  closed_order_.clear();
  closed_unsaved_.clear();
  next_closed_order_ = 1;
  queued_.clear();
  pollers_.clear();
}

// The closed task tokens, in the order they closed; beyond kMaxClosedTokens (a record left
// by a broker with a larger bound), the oldest are forgotten and erased by the next write.
void Engine::recover_closed_tokens() {
  std::vector<std::pair<uint64_t, std::string>> closed;
  env_.store->scan(kClosedTokensTable, [&](std::string_view key, std::string_view value) {
    uint64_t order = 0;
    std::from_chars(value.data(), value.data() + value.size(), order);
    if (order > 0) closed.emplace_back(order, std::string(key));
  });
  std::sort(closed.begin(), closed.end());
  size_t forget = closed.size() > kMaxClosedTokens ? closed.size() - kMaxClosedTokens : 0;
  for (size_t i = 0; i < closed.size(); ++i) {
    if (i < forget) {
      closed_unsaved_.emplace_back(std::move(closed[i].second), 0);
      continue;
    }
    auto [it, added] = closed_tokens_.insert(std::move(closed[i].second));
    if (added) closed_order_.push_back(&*it);
  }
  if (!closed.empty()) next_closed_order_ = closed.back().first + 1;
}

Run* Engine::find_run(const std::string& arn) {
  if (auto it = runs_.find(arn); it != runs_.end()) return &it->second;
  if (auto it = express_.find(arn); it != express_.end()) return &it->second;
  return nullptr;
}

// The execution a run belongs to (itself, for an execution or a distributed Map's child).
Run& Engine::root_of(const Run& r) {
  Run* at = const_cast<Run*>(&r);
  while (!at->parent.empty() && !at->own_history) {
    Run* up = find_run(at->parent);
    if (!up) break;
    at = up;
  }
  return *at;
}

void Engine::persist_machine(const StateMachine& m, WriteBatch& batch) {
  json doc = {{"name", m.name},
              {"definition", m.definition},
              {"role_arn", m.role_arn},
              {"type", m.type},
              {"created_at", m.created_at},
              {"tags", m.tags},
              {"revision_id", m.revision_id}};
  if (auto last = last_version_.find(m.arn); last != last_version_.end())
    doc["last_version"] = last->second;
  batch.put(kMachinesTable, m.arn, doc.dump());
}

void Engine::persist_alias(const StateMachineAlias& a, WriteBatch& batch) {
  json routing = json::array();
  for (const auto& e : a.routing)
    routing.push_back({{"version_arn", e.version_arn}, {"weight", e.weight}});
  json doc = {{"name", a.name},
              {"description", a.description},
              {"created_at", a.created_at},
              {"updated_at", a.updated_at},
              {"routing", routing}};
  batch.put(kAliasesTable, a.arn, doc.dump());
}

// After a restart, gives each Parallel or Map run its children back, with what it derives
// from them. A run's record does not list its children (it would then be rewritten each time
// one starts); each child's record names its parent and its index instead, and the store
// holds exactly the children of the states running now (end_container erases the others
// in the same batch).
void Engine::adopt_children() {
  for (auto& [arn, r] : runs_)
    if (!r.parent.empty())
      if (auto parent = runs_.find(r.parent); parent != runs_.end())
        parent->second.children.push_back(arn);
  for (auto& [arn, r] : runs_) {
    if (r.children.empty()) continue;
    std::sort(r.children.begin(), r.children.end(),
              [&](const auto& a, const auto& b) { return runs_.at(a).index < runs_.at(b).index; });
    if (r.map_items.is_array()) r.map_next = r.children.size();  // iterations start in order
    const Run* first = nullptr;
    for (const auto& child : r.children) {
      const Run& c = runs_.at(child);
      if (c.info.status == "RUNNING") {
        ++r.children_running;
      } else if (c.info.status != "SUCCEEDED" && c.info.status != "ABORTED") {
        ++r.children_failed;
        if (!first || c.info.stopped_at < first->info.stopped_at) first = &c;
      }
    }
    if (first) r.first_failed = first->info.arn;
  }
}

// Writes `r` (unless its record is still current), the children that started or stopped
// since the last write, the task tokens closed since then, and the history events its
// execution added. The runs above `r` have not changed: a child's end only tells its parent
// to look again.
void Engine::persist_run(Run& r, WriteBatch& batch) {
  for (const auto& arn : finished_children_) batch.erase(kExecutionsTable, arn);
  finished_children_.clear();
  for (const auto& arn : changed_children_)
    if (Run* c = find_run(arn); c && c != &r) {
      batch.put(kExecutionsTable, arn, text_of(run_record(*c)));
      if (c->own_history) persist_history(*c, batch);
    }
  changed_children_.clear();
  for (const auto& [id, order] : closed_unsaved_) {
    if (order > 0)
      batch.put(kClosedTokensTable, id, std::to_string(order));
    else
      batch.erase(kClosedTokensTable, id);
  }
  closed_unsaved_.clear();
  if (!r.record_current) batch.put(kExecutionsTable, r.info.arn, text_of(run_record(r)));
  r.record_current = false;
  persist_history(root_of(r), batch);
}

// The history events an execution added since its last write.
void Engine::persist_history(Run& root, WriteBatch& batch) {
  for (size_t i = root.persisted_events; i < root.history.size(); ++i)
    batch.put(kHistoryTable, history_key(root.info.arn, root.history[i].id),
              text_of(event_record(root.history[i])));
  root.persisted_events = root.history.size();
}

std::unique_ptr<StepFunctions> make_step_functions(Env env) {
  return std::make_unique<Engine>(env);
}

}  // namespace wyvern::stepfn
