// Archives and replays: a bus's events kept as they arrived (those the archive's pattern
// matches, for its retention period), and replays of a time window back to the bus's rules,
// each replayed event marked with "replay-name".
#include <algorithm>
#include <cstdio>
#include <regex>

#include "bus/engine.h"
#include "foundation/codec.h"

namespace wyvern::bus {
namespace {

using ordered_json = nlohmann::ordered_json;

constexpr TimeMs kDayMs = 24LL * 3600 * 1000;

Error validation(const std::string& message) {
  return Error{ErrorCode::kEventsValidation, message};
}
Error null_member(const std::string& name) {
  return validation("1 validation error detected: Value null at '" + name +
                    "' failed to satisfy constraint: Member must not be null");
}

// Timestamps arrive as epoch seconds (the JSON protocol's form).
std::optional<TimeMs> time_member(const json& in, const char* name) {
  if (in.contains(name) && in[name].is_number())
    return static_cast<TimeMs>(in[name].get<double>() * 1000);
  return std::nullopt;
}

std::string seq_key(const std::string& arn, uint64_t seq) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(seq));
  return arn + "\n" + digits;
}

// Archive and replay names: [\.\-_A-Za-z0-9]+, 1 to 48 characters.
std::optional<Error> check_name(const std::string& value, const std::string& member) {
  static const std::regex pattern(R"([\.\-_A-Za-z0-9]+)");
  if (value.size() > 48)
    return validation("1 validation error detected: Value '" + value + "' at '" + member +
                      "' failed to satisfy constraint: Member must have length less than or "
                      "equal to 48");
  if (!std::regex_match(value, pattern))
    return validation("1 validation error detected: Value '" + value + "' at '" + member +
                      "' failed to satisfy constraint: Member must satisfy regular expression "
                      "pattern: [\\.\\-_A-Za-z0-9]+");
  return std::nullopt;
}

// Looks up the archive or replay a request names by its name member ("ArchiveName"); sets `it`.
template <typename T>
std::optional<Error> find_named(std::map<std::string, T>& items, const Caller& caller,
                                const json& in, const char* member, const std::string& kind,
                                typename std::map<std::string, T>::iterator& it) {
  auto name = str(in, member);
  std::string lower_member = member;
  lower_member[0] = static_cast<char>(std::tolower(lower_member[0]));
  if (!name) return null_member(lower_member);
  it = items.find("arn:aws:events:" + caller.region + ":" + caller.account + ":" + kind + "/" +
                  *name);
  if (it != items.end()) return std::nullopt;
  std::string title = kind;
  title[0] = static_cast<char>(std::toupper(title[0]));
  return Error{ErrorCode::kEventsResourceNotFound, title + " " + *name + " does not exist."};
}

}  // namespace

void Engine::persist(const Archive& a, WriteBatch& batch) const {
  json doc = {{"name", a.name},
              {"bus_key", a.bus_key},
              {"bus_arn", a.bus_arn},
              {"retention_days", a.retention_days},
              {"created_at", a.created_at},
              {"next_seq", a.next_seq}};
  if (a.description) doc["description"] = *a.description;
  if (a.event_pattern) doc["event_pattern"] = *a.event_pattern;
  batch.put(kArchivesTable, a.arn, doc.dump());
}

void Engine::persist(const Replay& r, WriteBatch& batch) const {
  json doc = {{"name", r.name},
              {"archive", r.archive_arn},
              {"destination", r.destination},
              {"event_start", r.event_start},
              {"event_end", r.event_end},
              {"state", r.state},
              {"state_reason", r.state_reason},
              {"started_at", r.started_at},
              {"ended_at", r.ended_at},
              {"last_replayed", r.last_replayed}};
  if (r.description) doc["description"] = *r.description;
  batch.put(kReplaysTable, r.arn, doc.dump());
}

void Engine::recover_archives() {
  env_.store->scan(kArchivesTable, [&](std::string_view key, std::string_view value) {
    json doc = json::parse(value, nullptr, false);
    if (!doc.is_object()) return;
    Archive& a = archives_[std::string(key)];
    a.arn = key;
    a.name = doc.value("name", "");
    a.bus_key = doc.value("bus_key", "");
    a.bus_arn = doc.value("bus_arn", "");
    a.retention_days = doc.value("retention_days", int64_t{0});
    a.created_at = doc.value("created_at", TimeMs{0});
    a.next_seq = doc.value("next_seq", uint64_t{1});
    if (doc.contains("description")) a.description = doc["description"].get<std::string>();
    if (doc.contains("event_pattern")) {
      a.event_pattern = doc["event_pattern"].get<std::string>();
      if (auto p = compile_pattern(*a.event_pattern, PatternDialect::kEventBridge))
        a.pattern = std::move(p.value());
    }
  });
  env_.store->scan(kArchivedTable, [&](std::string_view key, std::string_view value) {
    std::string k(key);
    size_t newline = k.rfind('\n');
    auto it = archives_.find(k.substr(0, newline));
    json doc = json::parse(value, nullptr, false);
    if (it == archives_.end() || !doc.is_object()) return;
    uint64_t seq = std::strtoull(k.substr(newline + 1).c_str(), nullptr, 10);
    it->second.events.push_back({seq, doc.value("at", TimeMs{0}), doc.value("event", "")});
    it->second.next_seq = std::max(it->second.next_seq, seq + 1);
  });
  env_.store->scan(kReplaysTable, [&](std::string_view key, std::string_view value) {
    json doc = json::parse(value, nullptr, false);
    if (!doc.is_object()) return;
    Replay& r = replays_[std::string(key)];
    r.arn = key;
    r.name = doc.value("name", "");
    r.archive_arn = doc.value("archive", "");
    r.destination = doc.value("destination", json::object());
    r.event_start = doc.value("event_start", TimeMs{0});
    r.event_end = doc.value("event_end", TimeMs{0});
    r.state = doc.value("state", "COMPLETED");
    r.state_reason = doc.value("state_reason", "");
    r.started_at = doc.value("started_at", TimeMs{0});
    r.ended_at = doc.value("ended_at", TimeMs{0});
    r.last_replayed = doc.value("last_replayed", TimeMs{0});
    if (doc.contains("description")) r.description = doc["description"].get<std::string>();
    // A replay the restart interrupted runs again from the start of its window.
    if (r.state == "STARTING" || r.state == "RUNNING")
      env_.post([this, arn = r.arn] { run_replay(arn); });
  });
}

// The rule AWS makes for an archive on its bus, "Events-Archive-<name>", managed by EventBridge:
// the archive's pattern, and never a replayed event. (Wyvern archives without it; the rule is
// there for clients that list a bus's rules.)
void Engine::put_archive_rule(const Archive& a, WriteBatch& batch) {
  auto b = buses_.find(a.bus_key);
  if (b == buses_.end()) return;
  ordered_json pattern = a.event_pattern ? ordered_json::parse(*a.event_pattern, nullptr, false)
                                         : ordered_json::object();
  if (!pattern.is_object()) pattern = ordered_json::object();
  pattern["replay-name"] = ordered_json::array({{{"exists", false}}});
  std::string name = "Events-Archive-" + a.name;
  Rule& r = b->second.rules[name];
  if (r.name.empty()) {
    r.name = name;
    r.bus_key = b->second.key;
    r.arn = "arn:aws:events:" + b->second.region + ":" + b->second.account + ":rule/" +
            (b->second.name == "default" ? "" : b->second.name + "/") + name;
    r.created_by = b->second.account;
    r.created_at = env_.clock->now_ms();
  }
  r.managed_by = "prod.vhs.events.aws.internal";
  r.event_pattern = pattern.dump();
  index(b->second, r);
  persist(b->second, r, batch);
}

void Engine::drop_archive_rule(const Archive& a, WriteBatch& batch) {
  auto b = buses_.find(a.bus_key);
  if (b == buses_.end()) return;
  auto it = b->second.rules.find("Events-Archive-" + a.name);
  if (it == b->second.rules.end() || !it->second.managed_by) return;
  unindex(b->second, it->second);
  batch.erase(kRulesTable, b->second.key + "\n" + it->first);
  b->second.rules.erase(it);
}

void Engine::archive(const Bus& b, const std::string& event_text, const json& event,
                     WriteBatch& batch) {
  TimeMs now = env_.clock->now_ms();
  for (auto& [arn, a] : archives_) {
    if (a.bus_key != b.key) continue;
    if (a.pattern && !matches(*a.pattern, event)) continue;
    uint64_t seq = a.next_seq++;
    a.events.push_back({seq, now, event_text});
    batch.put(kArchivedTable, seq_key(arn, seq), json{{"at", now}, {"event", event_text}}.dump());
    // Retention is enforced as events arrive: what has aged out is dropped then.
    if (a.retention_days > 0) {
      TimeMs oldest = now - a.retention_days * kDayMs;
      while (!a.events.empty() && a.events.front().at < oldest) {
        batch.erase(kArchivedTable, seq_key(arn, a.events.front().seq));
        a.events.erase(a.events.begin());
      }
    }
  }
}

json Engine::archive_json(const Archive& a, bool full) const {
  size_t bytes = 0;
  for (const auto& e : a.events) bytes += e.text.size();
  json out = {{"ArchiveName", a.name},
              {"EventSourceArn", a.bus_arn},
              {"State", "ENABLED"},
              {"RetentionDays", a.retention_days},
              {"SizeBytes", bytes},
              {"EventCount", a.events.size()},
              {"CreationTime", seconds(a.created_at)}};
  if (full) {
    out["ArchiveArn"] = a.arn;
    if (a.description) out["Description"] = *a.description;
    if (a.event_pattern) out["EventPattern"] = *a.event_pattern;
  }
  return out;
}

json Engine::replay_json(const Replay& r, bool full) const {
  json out = {{"ReplayName", r.name},
              {"EventSourceArn", r.archive_arn},
              {"State", r.state},
              {"EventStartTime", seconds(r.event_start)},
              {"EventEndTime", seconds(r.event_end)},
              {"ReplayStartTime", seconds(r.started_at)}};
  if (!r.state_reason.empty()) out["StateReason"] = r.state_reason;
  if (r.last_replayed) out["EventLastReplayedTime"] = seconds(r.last_replayed);
  if (r.ended_at) out["ReplayEndTime"] = seconds(r.ended_at);
  if (full) {
    out["ReplayArn"] = r.arn;
    out["Destination"] = r.destination;
    if (r.description) out["Description"] = *r.description;
  }
  return out;
}

// --- Archives -------------------------------------------------------------------------------

void Engine::create_archive(const Caller& caller, const json& in, Reply<json> reply) {
  auto name = str(in, "ArchiveName");
  auto source = str(in, "EventSourceArn");
  if (!name) return reply(null_member("archiveName"));
  if (!source) return reply(null_member("eventSourceArn"));
  if (auto err = check_name(*name, "archiveName")) return reply(*err);
  auto b = find_bus(caller, *source);
  if (!b) return reply(b.error());
  std::string arn = "arn:aws:events:" + caller.region + ":" + caller.account + ":archive/" + *name;
  if (archives_.count(arn))
    return reply(
        Error{ErrorCode::kEventsResourceAlreadyExists, "Archive " + *name + " already exists."});
  Archive a;
  a.name = *name;
  a.arn = arn;
  a.bus_key = (*b)->key;
  a.bus_arn = (*b)->arn;
  a.description = str(in, "Description");
  a.event_pattern = str(in, "EventPattern");
  if (a.event_pattern) {
    auto p = compile_pattern(*a.event_pattern, PatternDialect::kEventBridge);
    if (!p) return reply(Error{ErrorCode::kEventsInvalidEventPattern, p.error().message});
    a.pattern = std::move(p.value());
  }
  if (in.contains("RetentionDays") && in["RetentionDays"].is_number_integer())
    a.retention_days = in["RetentionDays"].get<int64_t>();
  if (a.retention_days < 0)
    return reply(validation("1 validation error detected: Value '" +
                            std::to_string(a.retention_days) +
                            "' at 'retentionDays' failed to satisfy constraint: Member must have "
                            "value greater than or equal to 0"));
  a.created_at = env_.clock->now_ms();
  WriteBatch batch;
  persist(a, batch);
  put_archive_rule(a, batch);
  json out = {{"ArchiveArn", arn}, {"State", "ENABLED"}, {"CreationTime", seconds(a.created_at)}};
  archives_[arn] = std::move(a);
  commit(std::move(batch), reply, [reply, out] { reply(out); });
}

void Engine::describe_archive(const Caller& caller, const json& in, Reply<json> reply) {
  auto it = archives_.end();
  if (auto err = find_named(archives_, caller, in, "ArchiveName", "archive", it))
    return reply(*err);
  reply(archive_json(it->second, true));
}

void Engine::update_archive(const Caller& caller, const json& in, Reply<json> reply) {
  auto it = archives_.end();
  if (auto err = find_named(archives_, caller, in, "ArchiveName", "archive", it))
    return reply(*err);
  Archive& a = it->second;
  if (auto pattern = str(in, "EventPattern")) {
    auto p = compile_pattern(*pattern, PatternDialect::kEventBridge);
    if (!p) return reply(Error{ErrorCode::kEventsInvalidEventPattern, p.error().message});
    a.event_pattern = pattern;
    a.pattern = std::move(p.value());
  }
  if (auto description = str(in, "Description")) a.description = description;
  if (in.contains("RetentionDays") && in["RetentionDays"].is_number_integer())
    a.retention_days = in["RetentionDays"].get<int64_t>();
  WriteBatch batch;
  persist(a, batch);
  put_archive_rule(a, batch);
  json out = {{"ArchiveArn", a.arn}, {"State", "ENABLED"}, {"CreationTime", seconds(a.created_at)}};
  commit(std::move(batch), reply, [reply, out] { reply(out); });
}

void Engine::delete_archive(const Caller& caller, const json& in, Reply<json> reply) {
  auto it = archives_.end();
  if (auto err = find_named(archives_, caller, in, "ArchiveName", "archive", it))
    return reply(*err);
  WriteBatch batch;
  for (const auto& e : it->second.events) batch.erase(kArchivedTable, seq_key(it->first, e.seq));
  batch.erase(kArchivesTable, it->first);
  drop_archive_rule(it->second, batch);
  archives_.erase(it);
  commit(std::move(batch), reply, [reply] { reply(json::object()); });
}

void Engine::list_archives(const Caller& caller, const json& in, Reply<json> reply) {
  auto prefix = str(in, "NamePrefix");
  auto source = str(in, "EventSourceArn");
  std::string mine = "arn:aws:events:" + caller.region + ":" + caller.account + ":archive/";
  // Archives of a bus that does not exist are not an empty list but the bus's absence.
  if (source)
    if (auto b = find_bus(caller, *source); !b) return reply(b.error());
  reply(listed(archives_, in, "Archives", [&](const Archive& a) -> std::optional<json> {
    if (a.arn.rfind(mine, 0) != 0) return std::nullopt;
    if (prefix && a.name.rfind(*prefix, 0) != 0) return std::nullopt;
    if (source && a.bus_arn != *source) return std::nullopt;
    return archive_json(a, false);
  }));
}

// --- Replays -------------------------------------------------------------------------------

void Engine::start_replay(const Caller& caller, const json& in, Reply<json> reply) {
  auto name = str(in, "ReplayName");
  auto source = str(in, "EventSourceArn");
  auto start = time_member(in, "EventStartTime");
  auto end = time_member(in, "EventEndTime");
  if (!name) return reply(null_member("replayName"));
  if (!source) return reply(null_member("eventSourceArn"));
  if (!start) return reply(null_member("eventStartTime"));
  if (!end) return reply(null_member("eventEndTime"));
  if (!in.contains("Destination") || !in["Destination"].is_object() ||
      !in["Destination"].contains("Arn"))
    return reply(null_member("destination"));
  if (auto err = check_name(*name, "replayName")) return reply(*err);
  auto archive = archives_.find(*source);
  if (archive == archives_.end())
    return reply(validation("Parameter EventSourceArn is not valid. Reason: Archive " +
                            source->substr(source->rfind('/') + 1) + " does not exist."));
  if (*start >= *end)
    return reply(
        validation("Parameter EventEndTime is not valid. Reason: EventStartTime must be "
                   "before EventEndTime."));
  if (*end > env_.clock->now_ms())
    return reply(
        validation("Parameter EventEndTime is not valid. Reason: EventEndTime must be "
                   "before current time."));
  if (text_member(in["Destination"], "Arn") != archive->second.bus_arn)
    return reply(
        validation("Parameter Destination.Arn is not valid. Reason: Cross event bus "
                   "replay is not permitted."));
  std::string arn = "arn:aws:events:" + caller.region + ":" + caller.account + ":replay/" + *name;
  if (replays_.count(arn))
    return reply(
        Error{ErrorCode::kEventsResourceAlreadyExists, "Replay " + *name + " already exists."});
  Replay r;
  r.name = *name;
  r.arn = arn;
  r.archive_arn = *source;
  r.description = str(in, "Description");
  r.destination = in["Destination"];
  r.event_start = *start;
  r.event_end = *end;
  r.started_at = env_.clock->now_ms();
  WriteBatch batch;
  persist(r, batch);
  json out = {
      {"ReplayArn", arn}, {"State", "STARTING"}, {"ReplayStartTime", seconds(r.started_at)}};
  replays_[arn] = std::move(r);
  commit(std::move(batch), reply, [this, reply, out, arn] {
    reply(out);
    run_replay(arn);
  });
}

void Engine::run_replay(const std::string& replay_arn) {
  auto it = replays_.find(replay_arn);
  if (it == replays_.end()) return;
  Replay& r = it->second;
  if (r.state == "CANCELLING" || r.state == "CANCELLED" || r.state == "COMPLETED") return;
  auto archive = archives_.find(r.archive_arn);
  if (archive == archives_.end()) {
    r.state = "FAILED";
    r.state_reason = "The archive no longer exists.";
  } else if (auto b = buses_.find(archive->second.bus_key); b == buses_.end()) {
    r.state = "FAILED";
    r.state_reason = "The destination event bus no longer exists.";
  } else {
    std::set<std::string> filter;
    if (r.destination.contains("FilterArns") && r.destination["FilterArns"].is_array())
      for (const auto& f : r.destination["FilterArns"])
        if (f.is_string()) filter.insert(f.get<std::string>());
    WriteBatch batch;
    std::vector<std::string> started;
    for (const auto& e : archive->second.events) {
      if (e.at < r.event_start || e.at >= r.event_end) continue;
      // The replayed event is the archived one with "replay-name" after "region", where AWS
      // puts it. The envelope's members come in a fixed order and a quote inside a string is
      // escaped, so the first `,"resources":` in the text is the envelope's own.
      std::string text = e.text;
      std::string mark = ",\"replay-name\":" + json(r.name).dump();
      size_t at = text.find(",\"resources\":");
      if (at != std::string::npos)
        text.insert(at, mark);
      else if (!text.empty() && text.back() == '}')
        text.insert(text.size() - 1, mark);
      json event = json::parse(text, nullptr, false);
      if (!event.is_object()) continue;  // an unreadable record is skipped, not fatal
      route(b->second, text, event, batch, started, nullptr, false, &filter);
      r.last_replayed = e.at;
    }
    r.state = "COMPLETED";
    r.ended_at = env_.clock->now_ms();
    persist(r, batch);
    return commit(std::move(batch), [this, started] {
      for (const auto& id : started) attempt(id);
    });
  }
  r.ended_at = env_.clock->now_ms();
  WriteBatch batch;
  persist(r, batch);
  commit(std::move(batch), [] {});
}

void Engine::describe_replay(const Caller& caller, const json& in, Reply<json> reply) {
  auto it = replays_.end();
  if (auto err = find_named(replays_, caller, in, "ReplayName", "replay", it)) return reply(*err);
  reply(replay_json(it->second, true));
}

void Engine::list_replays(const Caller& caller, const json& in, Reply<json> reply) {
  auto prefix = str(in, "NamePrefix");
  auto state = str(in, "State");
  auto source = str(in, "EventSourceArn");
  std::string mine = "arn:aws:events:" + caller.region + ":" + caller.account + ":replay/";
  reply(listed(replays_, in, "Replays", [&](const Replay& r) -> std::optional<json> {
    if (r.arn.rfind(mine, 0) != 0) return std::nullopt;
    if (prefix && r.name.rfind(*prefix, 0) != 0) return std::nullopt;
    if (state && r.state != *state) return std::nullopt;
    if (source && r.archive_arn != *source) return std::nullopt;
    return replay_json(r, false);
  }));
}

void Engine::cancel_replay(const Caller& caller, const json& in, Reply<json> reply) {
  auto it = replays_.end();
  if (auto err = find_named(replays_, caller, in, "ReplayName", "replay", it)) return reply(*err);
  Replay& r = it->second;
  if (r.state != "STARTING" && r.state != "RUNNING")
    return reply(Error{ErrorCode::kEventsIllegalStatus,
                       "Replay " + r.name + " is not in a valid state for this operation."});
  r.state = "CANCELLED";
  r.ended_at = env_.clock->now_ms();
  WriteBatch batch;
  persist(r, batch);
  json out = {{"ReplayArn", r.arn}, {"State", "CANCELLING"}};
  commit(std::move(batch), reply, [reply, out] { reply(out); });
}

}  // namespace wyvern::bus
