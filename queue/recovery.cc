// Startup recovery, state reset and the periodic sweep.
//
// recover() rebuilds every queue, message and deduplication record from the store. Nothing
// else needs re-arming: a message's visibility is its stored visible_at, so in-flight and
// delayed messages become receivable on time after a restart without any timer.
// The sweep runs once per virtual second: it drops expired messages (bounded per queue per
// pass), deduplication ids past their window and stale FIFO receive attempts.
#include <nlohmann/json.hpp>

#include "engine.h"
#include "foundation/codec.h"

namespace wyvern::queue {
namespace {

constexpr TimeMs kSweepIntervalMs = 1000;
constexpr size_t kExpiriesPerQueuePerSweep = 10000;

}  // namespace

std::unique_ptr<QueueService> make_queue_service(Env env) {
  return std::make_unique<Engine>(env);
}

void Engine::recover() {
  using json = nlohmann::json;
  env_.store->scan(kQueuesTable, [&](std::string_view key, std::string_view value) {
    auto doc = json::parse(value, nullptr, false);
    if (!doc.is_object()) return;
    Queue q;
    q.key = std::string(key);
    q.name = doc.value("name", "");
    q.account = doc.value("account", "");
    q.region = doc.value("region", "");
    q.arn = "arn:aws:sqs:" + q.region + ":" + q.account + ":" + q.name;
    q.fifo = doc.value("fifo", false);
    q.attributes = doc.value("attributes", StringMap{});
    q.tags = doc.value("tags", StringMap{});
    q.created_at = doc.value("created_at", TimeMs{0});
    q.modified_at = doc.value("modified_at", TimeMs{0});
    q.last_purge_at = doc.value("last_purge_at", INT64_MIN);
    derive_settings(q);
    queues_.emplace(q.key, std::move(q));
  });
  env_.store->scan(kMessagesTable, [&](std::string_view key, std::string_view value) {
    auto nul = key.find('\0');
    if (nul == std::string_view::npos) return;
    auto q = queues_.find(std::string(key.substr(0, nul)));
    auto m = decode_message(value);
    if (q == queues_.end() || !m) return;
    last_seq_ = std::max(last_seq_, m->seq);
    q->second.messages.insert(std::move(*m));
  });
  env_.store->scan(kDedupTable, [&](std::string_view key, std::string_view value) {
    auto nul = key.find('\0');
    if (nul == std::string_view::npos || value.size() < 16) return;
    auto q = queues_.find(std::string(key.substr(0, nul)));
    if (q == queues_.end()) return;
    DedupEntry entry{static_cast<TimeMs>(get_u64_be(value)), std::string(value.substr(16)),
                     get_u64_be(value.substr(8))};
    last_seq_ = std::max(last_seq_, entry.seq);
    q->second.dedup.emplace(std::string(key.substr(nul + 1)), std::move(entry));
  });
  schedule_sweep();
}

void Engine::reset() {
  for (auto& [key, q] : queues_) {
    for (auto& w : q.waiters) {
      env_.timers->cancel(w.deadline_timer);
      w.reply(std::vector<ReceivedMessage>{});
    }
    env_.timers->cancel(q.wake_timer);
  }
  for (auto& [id, t] : move_tasks_) env_.timers->cancel(t.timer);
  queues_.clear();
  move_tasks_.clear();
}

void Engine::release_waiters() {
  for (auto& [key, q] : queues_) {
    while (!q.waiters.empty()) finish_waiter(key, q.waiters.front().id);
    env_.timers->cancel(q.wake_timer);
    q.wake_at = INT64_MAX;
  }
}

void Engine::schedule_sweep() {
  sweep_timer_ = env_.timers->schedule(env_.clock->now_ms() + kSweepIntervalMs, [this] {
    sweep();
    schedule_sweep();
  });
}

void Engine::sweep() {
  TimeMs now = env_.clock->now_ms();
  WriteBatch batch;
  for (auto& [key, q] : queues_) {
    expire(q, now, batch, kExpiriesPerQueuePerSweep);
    for (auto it = q.dedup.begin(); it != q.dedup.end();) {
      if (it->second.expires_at > now) {
        ++it;
        continue;
      }
      batch.erase(kDedupTable, q.key + '\0' + it->first);
      it = q.dedup.erase(it);
    }
    std::erase_if(q.receive_attempts, [&](const auto& a) { return a.second.expires_at <= now; });
  }
  if (!batch.empty()) env_.store->commit(std::move(batch), nullptr);
}

}  // namespace wyvern::queue
