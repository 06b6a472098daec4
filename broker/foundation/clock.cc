#include "clock.h"

#include <chrono>

namespace wyvern {

TimeMs SystemClock::now_ms() const {
  auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  return wall + offset_.load();
}

TimeMs SystemClock::advance(TimeMs delta_ms) {
  if (delta_ms < 0) delta_ms = 0;
  return offset_ += delta_ms;
}

}  // namespace wyvern
