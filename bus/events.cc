// PutEvents and what follows it: the event envelope, matching against a bus's rules, one
// durable delivery per (rule, target), retries with backoff on the virtual clock, dead-letter
// queues, and scheduled rules firing on the broker's clock.
#include <algorithm>
#include <cmath>

#include "bus/engine.h"
#include "foundation/arn.h"
#include "foundation/codec.h"

namespace wyvern::bus {
namespace {

using ordered_json = nlohmann::ordered_json;

constexpr int kDefaultMaximumRetryAttempts = 185;
constexpr int kDefaultMaximumEventAgeSeconds = 86400;
constexpr TimeMs kLongestBackoffMs = 5 * 60 * 1000;

Error validation(const std::string& message) {
  return Error{ErrorCode::kEventsValidation, message};
}

// "2026-11-28T19:00:00Z": EventBridge's event time has whole seconds.
std::string event_time(TimeMs ms) {
  std::string iso = iso8601_ms(ms - ms % 1000);
  return iso.substr(0, 19) + "Z";
}

// The Time member of an entry: epoch seconds (what the SDKs send) or an ISO-8601 text.
std::optional<TimeMs> entry_time(const std::string& text) {
  char* end = nullptr;
  double seconds = std::strtod(text.c_str(), &end);
  if (end && *end == '\0' && !text.empty())
    return static_cast<TimeMs>(std::llround(seconds * 1000));
  return std::nullopt;
}

// The size AWS counts for an entry: Time (14 bytes if given), Source, DetailType, Detail and
// each Resource, in UTF-8 bytes.
size_t entry_size(const PutEventsEntry& e) {
  size_t size = e.time ? 14 : 0;
  size += e.source.value_or("").size() + e.detail_type.value_or("").size() +
          e.detail.value_or("").size();
  for (const auto& r : e.resources) size += r.size();
  return size;
}

std::string service_of(const std::string& arn) {
  // arn:aws:SERVICE:...
  size_t first = arn.find(':'), second = arn.find(':', first + 1),
         third = arn.find(':', second + 1);
  if (first == std::string::npos || second == std::string::npos || third == std::string::npos)
    return "";
  return arn.substr(second + 1, third - second - 1);
}

// The region and account an ARN names, as the caller to reach its resource with.
Caller caller_of(const std::string& arn) {
  Caller c;
  if (auto parts = parse_arn(arn)) {
    if (!parts->region.empty()) c.region = parts->region;
    if (!parts->account.empty()) c.account = parts->account;
  }
  return c;
}

}  // namespace

TargetInput target_input_of(const Target& t) {
  TargetInput input;
  if (t.contains("Input") && t["Input"].is_string()) input.input = t["Input"].get<std::string>();
  if (t.contains("InputPath") && t["InputPath"].is_string())
    input.input_path = t["InputPath"].get<std::string>();
  if (t.contains("InputTransformer") && t["InputTransformer"].is_object()) {
    const json& transformer = t["InputTransformer"];
    input.paths_map.emplace();
    if (transformer.contains("InputPathsMap") && transformer["InputPathsMap"].is_object())
      for (const auto& [key, path] : transformer["InputPathsMap"].items())
        if (path.is_string()) (*input.paths_map)[key] = path.get<std::string>();
    if (transformer.contains("InputTemplate") && transformer["InputTemplate"].is_string())
      input.input_template = transformer["InputTemplate"].get<std::string>();
  }
  return input;
}

void Engine::put_events(const Caller& caller, std::vector<PutEventsEntry> entries,
                        Reply<PutEventsResult> reply) {
  put(caller, std::move(entries), false, std::move(reply));
}

void Engine::put_service_events(const Caller& caller, std::vector<PutEventsEntry> entries,
                                Reply<PutEventsResult> reply) {
  put(caller, std::move(entries), true, std::move(reply));
}

void Engine::put(const Caller& caller, std::vector<PutEventsEntry> entries, bool from_service,
                 Reply<PutEventsResult> reply) {
  if (entries.empty())
    return reply(
        validation("1 validation error detected: Value '[]' at 'entries' failed to "
                   "satisfy constraint: Member must have length greater than or equal "
                   "to 1"));
  if (entries.size() > kMaxEntriesPerPutEvents)
    return reply(
        validation("1 validation error detected: Value '[PutEventsRequestEntry]' at "
                   "'entries' failed to satisfy constraint: Member must have length "
                   "less than or equal to 10"));
  size_t total = 0;
  for (const auto& e : entries) total += entry_size(e);
  if (total > kMaxPutEventsBytes)
    return reply(validation("Total size of the entries in the request is over the limit."));

  PutEventsResult out;
  WriteBatch batch;
  std::vector<std::string> started;
  TimeMs now = env_.clock->now_ms();
  for (const auto& e : entries) {
    PutEventsResult::Entry result;
    auto fail = [&](std::string code, std::string message) {
      result.error_code = std::move(code);
      result.error_message = std::move(message);
      out.failed++;
      out.entries.push_back(result);
    };
    if (!e.source || e.source->empty()) {
      fail("InvalidArgument",
           "Parameter Source is not valid. Reason: Source is a required argument.");
      continue;
    }
    if (!e.detail_type || e.detail_type->empty()) {
      fail("InvalidArgument",
           "Parameter DetailType is not valid. Reason: DetailType is a required argument.");
      continue;
    }
    if (!e.detail || e.detail->empty()) {
      fail("InvalidArgument",
           "Parameter Detail is not valid. Reason: Detail is a required argument.");
      continue;
    }
    // Deeper nesting than any real event has would only exhaust the stack when it is written out.
    ordered_json detail = json_nesting_within(*e.detail, kMaxJsonNesting)
                              ? ordered_json::parse(*e.detail, nullptr, false)
                              : ordered_json();
    if (!detail.is_object()) {
      fail("MalformedDetail", "Detail is malformed.");
      continue;
    }
    if (!from_service && e.source->rfind("aws.", 0) == 0) {
      fail("NotAuthorizedForSourceException", "Not authorized for the source.");
      continue;
    }
    auto b = find_bus(caller, e.event_bus_name);
    if (!b) {
      // AWS accepts an event for a bus that does not exist, gives it an id, and drops it.
      result.event_id = uuid4();
      out.entries.push_back(result);
      continue;
    }
    TimeMs at = now;
    if (e.time)
      if (auto parsed = entry_time(*e.time)) at = *parsed;
    std::string id = uuid4();
    ordered_json event = {{"version", "0"},
                          {"id", id},
                          {"detail-type", *e.detail_type},
                          {"source", *e.source},
                          {"account", (*b)->account},
                          {"time", event_time(at)},
                          {"region", (*b)->region},
                          {"resources", e.resources},
                          {"detail", std::move(detail)}};
    std::string text = event.dump(-1, ' ', false, json::error_handler_t::replace);
    json parsed = json::parse(text);
    route(**b, text, parsed, batch, started);
    archive(**b, text, parsed, batch);
    result.event_id = id;
    out.entries.push_back(result);
  }
  commit(std::move(batch), reply, [this, reply, out = std::move(out), started] {
    reply(out);
    for (const auto& id : started) attempt(id);
  });
}

void Engine::test_event_pattern(const Caller&, const std::string& pattern,
                                const std::string& event_text, Reply<bool> reply) {
  auto compiled = compile_pattern(pattern, PatternDialect::kEventBridge);
  if (!compiled)
    return reply(Error{ErrorCode::kEventsInvalidEventPattern, compiled.error().message});
  json event = json_nesting_within(event_text, kMaxJsonNesting)
                   ? json::parse(event_text, nullptr, false)
                   : json();
  if (!event.is_object()) return reply(validation("Parameter Event is not valid."));
  // AWS checks that the event carries the envelope's fields.
  for (const char* field : {"id", "account", "source", "time", "region", "detail-type"})
    if (!event.contains(field))
      return reply(
          validation("Parameter Event is not valid. Reason: Provided Event is missing "
                     "required field " +
                     std::string(field) + "."));
  reply(matches(*compiled, event));
}

Result<RecentEvents> Engine::recent_events(const Caller& caller, const std::optional<std::string>& bus) {
  auto b = find_bus(caller, bus);
  if (!b) return b.error();
  auto it = recent_.find((*b)->key);
  return it == recent_.end() ? RecentEvents{} : it->second;
}

void Engine::route(const Bus& b, const std::string& event_text, const json& event,
                   WriteBatch& batch, std::vector<std::string>& started,
                   const std::string* only_rule, bool from_bus,
                   const std::set<std::string>* only_rule_arns) {
  std::vector<const Rule*> matched;
  if (only_rule) {
    if (auto it = b.rules.find(*only_rule); it != b.rules.end()) matched.push_back(&it->second);
  } else {
    for (RuleSet::RuleId id : b.matcher.match(event))
      if (auto name = b.rule_names.find(id); name != b.rule_names.end())
        if (auto it = b.rules.find(name->second); it != b.rules.end())
          matched.push_back(&it->second);
  }
  TimeMs now = env_.clock->now_ms();
  RecentEvents& recent = recent_[b.key];
  recent.seen++;
  RecentEvent seen{now, event_text, {}};
  for (const Rule* r : matched)
    if (r->enabled) seen.matched_rules.push_back(r->name);
  recent.newest_first.insert(recent.newest_first.begin(), std::move(seen));
  if (recent.newest_first.size() > kRecentEventsKept) recent.newest_first.pop_back();
  for (const Rule* r : matched) {
    if (!r->enabled) continue;
    if (only_rule_arns && !only_rule_arns->empty() && !only_rule_arns->count(r->arn)) continue;
    for (const Target& t : r->targets) {
      Delivery d;
      d.id = uuid4();
      d.event_text = event_text;
      d.bus_key = b.key;
      d.rule_name = r->name;
      d.rule_arn = r->arn;
      d.target = t;
      d.first_at = now;
      d.from_bus = from_bus;
      add_delivery(std::move(d), batch, started);
    }
  }
}

void Engine::persist(const Delivery& d, WriteBatch& batch) const {
  json record = {{"event", d.event_text},  {"bus", d.bus_key},   {"rule", d.rule_name},
                 {"rule_arn", d.rule_arn}, {"target", d.target}, {"first_at", d.first_at},
                 {"from_bus", d.from_bus}, {"attempts", d.attempts}};
  batch.put(kDeliveriesTable, d.id, record.dump(-1, ' ', false, json::error_handler_t::replace));
}

void Engine::add_delivery(Delivery d, WriteBatch& batch, std::vector<std::string>& started) {
  persist(d, batch);
  started.push_back(d.id);
  deliveries_[d.id] = std::move(d);
}

void Engine::attempt(const std::string& delivery_id) {
  auto it = deliveries_.find(delivery_id);
  if (it == deliveries_.end()) return;
  Delivery& d = it->second;
  d.attempts++;
  Delivered done = on_strand<DeliveryOutcome>(
      [this, delivery_id](DeliveryOutcome outcome) { attempt_done(delivery_id, outcome); });
  json event = json::parse(d.event_text, nullptr, false);
  std::string arn = text_member(d.target, "Arn");
  std::optional<std::string> payload =
      target_payload(target_input_of(d.target), event, d.event_text,
                     RuleContext{d.rule_arn, d.rule_name, d.first_at});
  // A transformer whose output is not valid JSON drops the event without a word, as AWS does.
  if (!payload) return finish(delivery_id);
  std::string service = service_of(arn);
  if (service == "sqs") {
    QueueMessage m;
    m.queue_arn = arn;
    m.body = *payload;
    if (arn.ends_with(".fifo")) {
      if (d.target.contains("SqsParameters") && d.target["SqsParameters"].is_object())
        if (auto group = text_member(d.target["SqsParameters"], "MessageGroupId"); !group.empty())
          m.group_id = group;
      std::string event_id = text_member(event, "id");
      m.deduplication_id = event_id.empty() ? d.id : event_id;
    }
    return env_.outlets.send_to_queue(std::move(m), done);
  }
  if (service == "sns") return env_.outlets.publish_to_topic(caller_of(arn), arn, *payload, done);
  if (service == "states") return env_.outlets.start_execution(caller_of(arn), arn, *payload, done);
  if (service == "lambda") return env_.outlets.invoke_function(arn, *payload, done);
  if (service == "events" && arn.find(":api-destination/") != std::string::npos)
    return invoke_api_destination(delivery_id, *payload, done);
  if (service == "events" && arn.find(":event-bus/") != std::string::npos) {
    if (d.from_bus)
      return done({false, false, "THIRD_ACCOUNT_HOP_DETECTED",
                   "An event can be sent to an event bus target only once."});
    // Another bus receives the event itself, to match against its own rules.
    Caller target_caller = caller_of(arn);
    auto target_bus = find_bus(target_caller, arn);
    if (!target_bus)
      return done({false, false, "NO_RESOURCE", target_bus.error().message});
    WriteBatch batch;
    std::vector<std::string> started;
    route(**target_bus, d.event_text, event, batch, started, nullptr, true);
    archive(**target_bus, d.event_text, event, batch);
    return commit(std::move(batch), [this, done, started] {
      done({true, false, "", ""});
      for (const auto& id : started) attempt(id);
    });
  }
  done({false, false, "INVALID_PARAMETER",
        "Wyvern does not deliver to " + (service.empty() ? arn : service) + " targets."});
}

void Engine::attempt_done(const std::string& delivery_id, DeliveryOutcome outcome) {
  if (outcome.ok) return finish(delivery_id);
  auto it = deliveries_.find(delivery_id);
  if (it == deliveries_.end()) return;
  Delivery& d = it->second;
  int max_attempts = kDefaultMaximumRetryAttempts;
  int max_age = kDefaultMaximumEventAgeSeconds;
  if (d.target.contains("RetryPolicy") && d.target["RetryPolicy"].is_object()) {
    const json& policy = d.target["RetryPolicy"];
    if (policy.contains("MaximumRetryAttempts") && policy["MaximumRetryAttempts"].is_number())
      max_attempts = policy["MaximumRetryAttempts"].get<int>();
    if (policy.contains("MaximumEventAgeInSeconds") &&
        policy["MaximumEventAgeInSeconds"].is_number())
      max_age = policy["MaximumEventAgeInSeconds"].get<int>();
  }
  if (!outcome.retryable) return dead_letter(d, outcome, "");
  int retries = d.attempts - 1;
  // Exponential backoff on the virtual clock: 1 s, 2 s, 4 s, ... up to 5 minutes.
  TimeMs delay = std::min<TimeMs>(kLongestBackoffMs, TimeMs{1000} << std::min(retries, 20));
  TimeMs now = env_.clock->now_ms();
  if (retries >= max_attempts) return dead_letter(d, outcome, "MaximumRetryAttempts");
  if (now + delay - d.first_at > TimeMs{max_age} * 1000)
    return dead_letter(d, outcome, "MaximumEventAgeInSeconds");
  // The attempts made so far are written down: a restart carries on counting, so a retry
  // policy's limit holds across it.
  WriteBatch batch;
  persist(d, batch);
  env_.store->commit(std::move(batch), [](bool) {});
  auto timer = std::make_shared<Timers::TimerId>(0);
  *timer = env_.timers->schedule(now + delay, [this, timer, delivery_id] {
    retry_timers_.erase(*timer);
    attempt(delivery_id);
  });
  retry_timers_.insert(*timer);
}

void Engine::dead_letter(const Delivery& d, const DeliveryOutcome& outcome,
                         const std::string& condition) {
  std::string dlq;
  if (d.target.contains("DeadLetterConfig") && d.target["DeadLetterConfig"].is_object())
    dlq = text_member(d.target["DeadLetterConfig"], "Arn");
  if (dlq.empty()) return finish(d.id);
  // The dead letter is the event, with why it could not be delivered as message attributes.
  QueueMessage m;
  m.queue_arn = dlq;
  m.body = d.event_text;
  m.attributes = {
      {"RULE_ARN", d.rule_arn},
      {"TARGET_ARN", text_member(d.target, "Arn")},
      {"ERROR_CODE", outcome.error_code.empty() ? "UNKNOWN" : outcome.error_code},
      {"ERROR_MESSAGE", outcome.error_message.empty() ? "Delivery failed" : outcome.error_message},
      {"RETRY_ATTEMPTS", std::to_string(std::max(0, d.attempts - 1))}};
  if (!condition.empty()) m.attributes["EXHAUSTED_RETRY_CONDITION"] = condition;
  if (dlq.ends_with(".fifo")) {
    m.group_id = d.rule_name;
    m.deduplication_id = d.id;
  }
  std::string id = d.id;
  env_.outlets.send_to_queue(
      std::move(m), on_strand<DeliveryOutcome>([this, id](DeliveryOutcome) { finish(id); }));
}

void Engine::finish(const std::string& delivery_id) {
  if (!deliveries_.erase(delivery_id)) return;
  WriteBatch batch;
  batch.erase(kDeliveriesTable, delivery_id);
  env_.store->commit(std::move(batch), [](bool) {});
}

// --- Schedules ------------------------------------------------------------------------------

void Engine::arm_schedule(Bus& b, Rule& r) {
  TimeMs now = env_.clock->now_ms();
  // A firing missed while the broker was down happens once, at once; never twice.
  if (r.next_fire == 0) {
    auto next = next_fire(*r.schedule, now, r.created_at);
    if (!next) return;
    r.next_fire = *next;
  }
  std::string key = b.key, name = r.name;
  r.timer = env_.timers->schedule(r.next_fire, [this, key, name] { fire_schedule(key, name); });
}

void Engine::fire_schedule(const std::string& bus_key_, const std::string& rule_name) {
  auto b = buses_.find(bus_key_);
  if (b == buses_.end()) return;
  auto it = b->second.rules.find(rule_name);
  if (it == b->second.rules.end() || !it->second.schedule || !it->second.enabled) return;
  Rule& r = it->second;
  r.timer = 0;
  TimeMs fired_at = r.next_fire;
  ordered_json event = {{"version", "0"},
                        {"id", uuid4()},
                        {"detail-type", "Scheduled Event"},
                        {"source", "aws.events"},
                        {"account", b->second.account},
                        {"time", event_time(fired_at)},
                        {"region", b->second.region},
                        {"resources", {r.arn}},
                        {"detail", ordered_json::object()}};
  std::string text = event.dump();
  WriteBatch batch;
  std::vector<std::string> started;
  route(b->second, text, json::parse(text), batch, started, &rule_name);
  TimeMs now = env_.clock->now_ms();
  auto next = next_fire(*r.schedule, std::max(fired_at, now), r.created_at);
  r.next_fire = next.value_or(0);
  // The next firing time is written with the deliveries: a restart neither repeats this one
  // nor skips the next.
  persist(b->second, r, batch);
  if (next) arm_schedule(b->second, r);
  commit(std::move(batch), [this, started] {
    for (const auto& id : started) attempt(id);
  });
}

}  // namespace wyvern::bus
