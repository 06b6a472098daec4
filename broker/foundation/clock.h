// Clock: the one source of "now" for every service, so tests and lessons can move time.
//
// Thread-safe: now_ms() may be called from any thread. Times are milliseconds since the Unix
// epoch on the *virtual* timeline, which is the system clock plus an offset that only grows.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>

namespace wyvern {

using TimeMs = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs now_ms() const = 0;
};

// The broker's clock: wall time plus an adjustable forward offset (the admin endpoint's
// "advance"). Listeners are told after every advance so that timers can re-arm.
class SystemClock final : public Clock {
 public:
  TimeMs now_ms() const override;
  // Moves virtual time forward by `delta_ms` (>= 0). Returns the new offset.
  TimeMs advance(TimeMs delta_ms);
  TimeMs offset_ms() const { return offset_.load(); }

 private:
  std::atomic<TimeMs> offset_{0};
};

// A clock that moves only when told to, for unit tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start = 1'700'000'000'000) : now_(start) {}
  TimeMs now_ms() const override { return now_.load(); }
  void advance(TimeMs delta_ms) { now_ += delta_ms; }

 private:
  std::atomic<TimeMs> now_;
};

}  // namespace wyvern
