#include "timers.h"

#include <algorithm>
#include <boost/asio/post.hpp>

namespace wyvern {

Timers::Timers(boost::asio::any_io_executor core, const Clock& clock)
    : core_(core), clock_(clock), timer_(core) {}

Timers::TimerId Timers::schedule(TimeMs at, std::function<void()> fn) {
  TimerId id = next_id_++;
  auto it = by_deadline_.emplace(at, std::make_pair(id, std::move(fn)));
  by_id_.emplace(id, it);
  if (at < armed_for_) arm();
  return id;
}

void Timers::cancel(TimerId id) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  by_deadline_.erase(it->second);
  by_id_.erase(it);
}

void Timers::clock_moved(std::function<void()> then) {
  boost::asio::post(core_, [this, then = std::move(then)] {
    on_fire();  // runs what is due now, then re-arms against the new offset
    if (then) then();
  });
}

void Timers::clear() {
  by_deadline_.clear();
  by_id_.clear();
}

void Timers::arm() {
  if (by_deadline_.empty()) {
    armed_for_ = INT64_MAX;
    timer_.cancel();
    return;
  }
  TimeMs at = by_deadline_.begin()->first;
  armed_for_ = at;
  // Far deadlines are re-checked daily: the wait stays within what the steady clock can
  // represent, and a clock advance re-arms anyway.
  constexpr TimeMs kLongestWait = 24 * 3600 * 1000;
  TimeMs wait = std::clamp<TimeMs>(at - clock_.now_ms(), 0, kLongestWait);
  timer_.expires_after(std::chrono::milliseconds(wait));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;  // cancelled: a newer arm() owns the timer
    on_fire();
  });
}

void Timers::on_fire() {
  // Read the clock once; run everything due by then. A callback may schedule more.
  TimeMs now = clock_.now_ms();
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
    auto it = by_deadline_.begin();
    auto fn = std::move(it->second.second);
    by_id_.erase(it->second.first);
    by_deadline_.erase(it);
    fn();
  }
  armed_for_ = INT64_MAX;
  arm();
}

}  // namespace wyvern
