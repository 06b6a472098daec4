// EventBridge schedule expressions: the ScheduleExpression of a scheduled rule, parsed once and
// then asked when the rule next fires.
//
//   rate(value unit)   value a positive integer; unit minute|hour|day when value is 1 and
//                      minutes|hours|days when it is more ("rate(1 minutes)" is refused).
//   cron(Minutes Hours Day-of-month Month Day-of-week Year), six fields, in UTC:
//     Minutes 0-59, Hours 0-23, Year 1970-2199          , - * /
//     Day-of-month 1-31                                  , - * / ?  L  L-n  W  LW
//     Month 1-12 or JAN-DEC                              , - * /
//     Day-of-week 1-7 or SUN-SAT (SUN = 1)               , - * / ?  L  nL  n#k
//   Exactly one of Day-of-month and Day-of-week is '?'.
//
// Thread-safety: Schedules are immutable values and every function here is pure.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string_view>

#include "foundation/clock.h"
#include "foundation/errors.h"

namespace wyvern::bus {

// A parsed ScheduleExpression. Build one only with parse_schedule; its fields are the parsed
// form, for next_fire, and not a contract.
struct Schedule {
  static constexpr int kFirstYear = 1970;
  static constexpr int kLastYear = 2199;

  // How a cron expression picks the days of a month.
  enum class DayRule {
    kMonthDays,       // days_of_month: a list of days (Day-of-month given, Day-of-week '?')
    kFromMonthEnd,    // L, L-n, LW, L-nW: `offset` days before the last day, maybe as a weekday
    kNearestWeekday,  // nW: the weekday nearest to day `day`, never leaving the month
    kWeekDays,        // days_of_week: a list of weekdays (Day-of-week given, Day-of-month '?')
    kLastWeekday,     // nL: the last weekday `day` of the month
    kNthWeekday,      // n#k: the `nth` weekday `day` of the month
  };

  struct Cron {
    uint64_t minutes = 0;                           // bit m: minute m
    uint32_t hours = 0;                             // bit h: hour h
    uint16_t months = 0;                            // bit m: month m, 1-12
    std::bitset<kLastYear - kFirstYear + 1> years;  // bit i: year kFirstYear + i
    DayRule day_rule = DayRule::kMonthDays;
    uint32_t days_of_month = 0;  // kMonthDays, bit d: day d, 1-31
    uint8_t days_of_week = 0;    // kWeekDays, bit d: weekday d, 1 (Sunday) - 7 (Saturday)
    int offset = 0;              // kFromMonthEnd
    bool as_weekday = false;     // kFromMonthEnd: the W of LW / L-nW
    int day = 0;                 // kNearestWeekday: a day 1-31; kLastWeekday, kNthWeekday: 1-7
    int nth = 0;                 // kNthWeekday: 1-5
  };

  int64_t rate_period_ms = 0;  // > 0 for rate(...); 0 for cron(...)
  Cron cron;                   // cron(...) only

  bool is_rate() const { return rate_period_ms > 0; }
};

// Parses a ScheduleExpression as PutRule does. When AWS would refuse it, an Error with
// ErrorCode::kSfnValidation (the catalogue's ValidationException) and AWS's message,
// "Parameter ScheduleExpression is not valid.".
Result<Schedule> parse_schedule(std::string_view expression);

// The first firing strictly after `after` (epoch ms, UTC), or nullopt when there is none.
//
// rate(...): AWS starts a rate when the rule is created, so a rate fires at
//   anchor + k * period for k = 1, 2, ... where `anchor` is the rule's creation time.
// cron(...): `anchor` is ignored. Fires on whole minutes (second 0) that every field allows;
//   nullopt when no such minute is left before the end of 2199 (a cron whose years are past).
std::optional<TimeMs> next_fire(const Schedule& schedule, TimeMs after, TimeMs anchor);

}  // namespace wyvern::bus
