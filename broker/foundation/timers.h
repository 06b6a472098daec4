// Timers on the virtual timeline: "run this at virtual time T" for every service.
//
// Lifecycle: a service schedules a callback for a virtual deadline; one asio steady_timer is
// armed for the earliest deadline (converted to real time through the Clock). When the clock
// is advanced, `clock_moved()` re-arms it, so a 12-hour visibility timeout expires the moment
// the clock passes it. Callbacks run on the executor given at construction (the core strand).
//
// Thread-safety: every method must be called on that executor, except clock_moved(), which
// may be called from anywhere.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>

#include "clock.h"

namespace wyvern {

class Timers {
 public:
  using TimerId = uint64_t;

  Timers(boost::asio::any_io_executor core, const Clock& clock);
  Timers(const Timers&) = delete;
  Timers& operator=(const Timers&) = delete;

  // Runs `fn` on the core executor once virtual time reaches `at` (soon, if it already has).
  TimerId schedule(TimeMs at, std::function<void()> fn);
  // Forgets a timer; cancelling one that already ran is harmless.
  void cancel(TimerId id);
  // Re-evaluates deadlines after the virtual clock jumped forward: everything now due runs
  // on the core executor, and then `then` (if given) runs there, so a caller can tell when
  // the jump's immediate consequences have been set in motion.
  void clock_moved(std::function<void()> then = {});
  // Drops every pending timer (state reset).
  void clear();

 private:
  void arm();
  void on_fire();

  boost::asio::any_io_executor core_;
  const Clock& clock_;
  boost::asio::steady_timer timer_;
  TimerId next_id_ = 1;
  std::multimap<TimeMs, std::pair<TimerId, std::function<void()>>> by_deadline_;
  std::unordered_map<TimerId, decltype(by_deadline_)::iterator> by_id_;
  TimeMs armed_for_ = INT64_MAX;
};

}  // namespace wyvern
