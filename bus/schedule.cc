// Schedule expressions: a strict parser for rate(...), a Quartz-shaped parser for cron(...), and
// a next-firing search that walks the calendar field by field.
//
// Where the rules come from. AWS documents the grammar in the EventBridge user guide ("Cron
// expressions reference", "Rate expressions reference"); the rest follows from AWS's cron being
// Quartz's (six fields, SUN = 1, '?', L, W, #, the same quirks), with these choices where
// neither AWS nor its observed behaviour says more:
//   - Names and the letters L, W are case-insensitive (Quartz upper-cases the expression);
//     "cron(" and "rate(" and the rate units are not (AWS refuses "rate(10 MINUTES)").
//   - Cron fields are separated, and may be padded, by runs of spaces or tabs (Quartz tokenizes
//     so). A rate takes exactly one space and no padding (AWS refuses "rate( 10 minutes )" and
//     " rate(10 minutes)").
//   - Empty list items are skipped, so "0/5," is "0/5": AWS accepted "cron(0/5, 9-18, ?, *,
//     MON-FRI, *)" (boto/boto3#2876, aws/aws-sdk#161), as Quartz's tokenizer does.
//   - A range may wrap ("20-2" hours is documented; NOV-FEB, FRI-MON as Quartz), except in
//     Year. A step must be 1 to the field's largest value (AWS refuses "*/60" minutes).
//   - '?', L, W and # forms stand alone in their field (empty items aside), never in a list
//     (AWS: "#" allows only one expression; Quartz: W takes a single day, L no list of weekdays).
//   - A name is three letters; names do not mix with numbers in a range and take no step
//     (Quartz cannot parse the first and silently drops the second).
#include "bus/schedule.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <limits>
#include <string>
#include <vector>

namespace wyvern::bus {
namespace {

constexpr TimeMs kMinuteMs = 60'000;
constexpr TimeMs kDayMs = 24 * 60 * kMinuteMs;
constexpr int kYearCount = Schedule::kLastYear - Schedule::kFirstYear + 1;

Error invalid() {
  return Error{ErrorCode::kSfnValidation, "Parameter ScheduleExpression is not valid."};
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// A non-empty run of at most nine digits (so it fits an int), as an int; nullopt otherwise.
std::optional<int> parse_number(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int value = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// ---- rate(value unit) ----------------------------------------------------------------------

std::optional<Schedule> parse_rate(std::string_view body) {
  size_t space = body.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  std::string_view value_text = body.substr(0, space);
  std::string_view unit = body.substr(space + 1);
  // Digits only: no sign, no padding. Values past a 32-bit int are refused, as an int-typed
  // parser would.
  if (value_text.empty() || value_text.size() > 10) return std::nullopt;
  int64_t value = 0;
  for (char c : value_text) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > std::numeric_limits<int32_t>::max()) return std::nullopt;

  int64_t unit_ms = 0;
  bool singular = false;
  if (unit == "minute" || unit == "minutes") {
    unit_ms = kMinuteMs;
    singular = unit == "minute";
  } else if (unit == "hour" || unit == "hours") {
    unit_ms = 60 * kMinuteMs;
    singular = unit == "hour";
  } else if (unit == "day" || unit == "days") {
    unit_ms = kDayMs;
    singular = unit == "day";
  } else {
    return std::nullopt;
  }
  // AWS: "If the value is equal to 1, then the unit must be singular. If the value is greater
  // than 1, the unit must be plural."
  if (singular != (value == 1)) return std::nullopt;

  Schedule schedule;
  schedule.rate_period_ms = value * unit_ms;
  return schedule;
}

// ---- cron(...) fields -------------------------------------------------------------------------

// One cron field's allowed values, as bits indexed by value - min.
using Values = std::bitset<kYearCount>;

struct FieldSpec {
  int min;
  int max;
  int max_step;
  bool wraps;                                  // whether a range may run past max to min
  const std::vector<std::string_view>* names;  // names[i] means min + i; null when none
};

const std::vector<std::string_view> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const std::vector<std::string_view> kDayNames = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

const FieldSpec kMinuteField{0, 59, 59, true, nullptr};
const FieldSpec kHourField{0, 23, 23, true, nullptr};
const FieldSpec kDayOfMonthField{1, 31, 31, true, nullptr};
const FieldSpec kMonthField{1, 12, 12, true, &kMonthNames};
const FieldSpec kDayOfWeekField{1, 7, 7, true, &kDayNames};
// Years do not wrap (Quartz refuses a backwards year range) and any step is allowed.
const FieldSpec kYearField{Schedule::kFirstYear, Schedule::kLastYear, 1'000'000'000, false,
                           nullptr};

// A field value written as a number or, where the field has them, a three-letter name.
struct Value {
  int number;
  bool named;
};

std::optional<Value> parse_value(std::string_view text, const FieldSpec& spec) {
  if (!text.empty() && !is_digit(text[0])) {
    if (spec.names == nullptr) return std::nullopt;
    for (size_t i = 0; i < spec.names->size(); ++i) {
      if ((*spec.names)[i] == text) return Value{spec.min + static_cast<int>(i), true};
    }
    return std::nullopt;
  }
  std::optional<int> number = parse_number(text);
  if (!number || *number < spec.min || *number > spec.max) return std::nullopt;
  return Value{*number, false};
}

// Adds first, first + step, ... up to `last` (which may be below `first` in a wrapping field:
// the run goes on past max from min, as in hours 22-2).
void add_run(Values& values, const FieldSpec& spec, int first, int last, int step) {
  int span = spec.max - spec.min + 1;
  int end = last >= first ? last : last + span;
  for (int v = first; v <= end; v += step) {
    int wrapped = v > spec.max ? v - span : v;
    values.set(wrapped - spec.min);
  }
}

// One list item: *, */s, v, v/s, v-w, v-w/s.
bool parse_item(std::string_view item, const FieldSpec& spec, Values& values) {
  int step = 1;
  bool stepped = false;
  if (size_t slash = item.find('/'); slash != std::string_view::npos) {
    std::optional<int> s = parse_number(item.substr(slash + 1));
    if (!s || *s < 1 || *s > spec.max_step) return false;
    step = *s;
    stepped = true;
    item = item.substr(0, slash);
  }
  if (item == "*") {
    add_run(values, spec, spec.min, spec.max, step);
    return true;
  }
  size_t dash = item.find('-');
  std::optional<Value> first = parse_value(item.substr(0, dash), spec);
  if (!first) return false;
  if (dash == std::string_view::npos) {
    if (first->named && stepped) return false;
    // "v/s" runs from v to the field's end; a bare "v" is just v.
    add_run(values, spec, first->number, stepped ? spec.max : first->number, step);
    return true;
  }
  std::optional<Value> last = parse_value(item.substr(dash + 1), spec);
  if (!last || last->named != first->named || (first->named && stepped)) return false;
  if (last->number < first->number && !spec.wraps) return false;
  add_run(values, spec, first->number, last->number, step);
  return true;
}

// A comma-separated list of items.
std::optional<Values> parse_list(std::string_view field, const FieldSpec& spec) {
  Values values;
  while (true) {
    size_t comma = field.find(',');
    if (!parse_item(field.substr(0, comma), spec, values)) return std::nullopt;
    if (comma == std::string_view::npos) return values;
    field.remove_prefix(comma + 1);
  }
}

// The list's values as a mask whose bit v means value v.
template <typename Mask>
std::optional<Mask> parse_mask(std::string_view field, const FieldSpec& spec) {
  std::optional<Values> values = parse_list(field, spec);
  if (!values) return std::nullopt;
  Mask mask = 0;
  for (int v = spec.min; v <= spec.max; ++v) {
    if (values->test(v - spec.min)) mask |= Mask{1} << v;
  }
  return mask;
}

// Day-of-month when Day-of-week is '?': a list, or one of L, L-n, LW, L-nW, nW.
bool parse_day_of_month(std::string_view field, Schedule::Cron& cron) {
  if (field.find(',') == std::string_view::npos && !field.empty() &&
      (field[0] == 'L' || field.back() == 'W')) {
    if (field[0] == 'L') {
      field.remove_prefix(1);
      if (!field.empty() && field.back() == 'W') {
        cron.as_weekday = true;
        field.remove_suffix(1);
      }
      if (!field.empty()) {
        // Quartz allows offsets up to 30 days before the last.
        if (field[0] != '-') return false;
        std::optional<int> offset = parse_number(field.substr(1));
        if (!offset || *offset > 30) return false;
        cron.offset = *offset;
      }
      cron.day_rule = Schedule::DayRule::kFromMonthEnd;
      return true;
    }
    std::optional<int> day = parse_number(field.substr(0, field.size() - 1));
    if (!day || *day < 1 || *day > 31) return false;
    cron.day_rule = Schedule::DayRule::kNearestWeekday;
    cron.day = *day;
    return true;
  }
  std::optional<uint32_t> days = parse_mask<uint32_t>(field, kDayOfMonthField);
  if (!days) return false;
  cron.day_rule = Schedule::DayRule::kMonthDays;
  cron.days_of_month = *days;
  return true;
}

// Day-of-week when Day-of-month is '?': a list, or one of L (Saturday), nL, n#k.
bool parse_day_of_week(std::string_view field, Schedule::Cron& cron) {
  if (field.find(',') == std::string_view::npos) {
    if (field == "L") {
      cron.day_rule = Schedule::DayRule::kWeekDays;
      cron.days_of_week = 1 << 7;
      return true;
    }
    if (size_t hash = field.find('#'); hash != std::string_view::npos) {
      std::optional<Value> day = parse_value(field.substr(0, hash), kDayOfWeekField);
      std::optional<int> nth = parse_number(field.substr(hash + 1));
      if (!day || !nth || *nth < 1 || *nth > 5) return false;
      cron.day_rule = Schedule::DayRule::kNthWeekday;
      cron.day = day->number;
      cron.nth = *nth;
      return true;
    }
    if (!field.empty() && field.back() == 'L') {
      std::optional<Value> day = parse_value(field.substr(0, field.size() - 1), kDayOfWeekField);
      if (!day) return false;
      cron.day_rule = Schedule::DayRule::kLastWeekday;
      cron.day = day->number;
      return true;
    }
  }
  std::optional<uint8_t> days = parse_mask<uint8_t>(field, kDayOfWeekField);
  if (!days) return false;
  cron.day_rule = Schedule::DayRule::kWeekDays;
  cron.days_of_week = *days;
  return true;
}

std::optional<Schedule> parse_cron(std::string_view body) {
  std::string upper(body);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  std::vector<std::string_view> tokens;
  std::string_view rest = upper;
  while (true) {
    size_t start = rest.find_first_not_of(" \t");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    size_t end = rest.find_first_of(" \t");
    tokens.push_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  if (tokens.size() != 6) return std::nullopt;
  // Empty list items are dropped up front, so that "?," is '?' and "3#2," is 3#2.
  std::vector<std::string> fields;
  for (std::string_view field : tokens) {
    std::string items;
    while (!field.empty()) {
      size_t comma = field.find(',');
      std::string_view item = field.substr(0, comma);
      if (!item.empty()) items += (items.empty() ? "" : ",") + std::string(item);
      field = comma == std::string_view::npos ? std::string_view() : field.substr(comma + 1);
    }
    if (items.empty()) return std::nullopt;
    fields.push_back(std::move(items));
  }

  Schedule schedule;
  Schedule::Cron& cron = schedule.cron;
  std::optional<uint64_t> minutes = parse_mask<uint64_t>(fields[0], kMinuteField);
  std::optional<uint32_t> hours = parse_mask<uint32_t>(fields[1], kHourField);
  std::optional<uint16_t> months = parse_mask<uint16_t>(fields[3], kMonthField);
  std::optional<Values> years = parse_list(fields[5], kYearField);
  if (!minutes || !hours || !months || !years) return std::nullopt;
  cron.minutes = *minutes;
  cron.hours = *hours;
  cron.months = *months;
  cron.years = *years;

  // AWS: "If you specify a value or a * (asterisk) in one of the fields, you must use a ?
  // (question mark) in the other."
  bool no_day_of_month = fields[2] == "?";
  bool no_day_of_week = fields[4] == "?";
  if (no_day_of_month == no_day_of_week) return std::nullopt;
  bool days_ok =
      no_day_of_week ? parse_day_of_month(fields[2], cron) : parse_day_of_week(fields[4], cron);
  if (!days_ok) return std::nullopt;
  return schedule;
}

// ---- next firing --------------------------------------------------------------------------

TimeMs floor_div(TimeMs a, TimeMs b) {
  return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

// The lowest set bit at or above `from`, or -1.
template <typename Mask>
int next_bit(Mask mask, int from) {
  if (from >= std::numeric_limits<Mask>::digits) return -1;
  Mask above = mask >> from;
  return above == 0 ? -1 : from + std::countr_zero(above);
}

using std::chrono::sys_days;
using std::chrono::year_month_day;

// 1 (Sunday) - 7 (Saturday), as cron numbers weekdays.
int weekday_of(int year, int month, int day) {
  sys_days date = std::chrono::year{year} / month / day;
  return static_cast<int>(std::chrono::weekday{date}.c_encoding()) + 1;
}

// Quartz's W: a Saturday moves to the Friday before and a Sunday to the Monday after, unless
// that leaves the month, in which case it moves two days the other way (1W on a Saturday is
// Monday the 3rd; a Sunday last day becomes the Friday before).
int nearest_weekday(int year, int month, int day, int last_day) {
  switch (weekday_of(year, month, day)) {
    case 7:
      return day == 1 ? day + 2 : day - 1;
    case 1:
      return day == last_day ? day - 2 : day + 1;
    default:
      return day;
  }
}

// The days of year/month that the day fields allow, as bits 1-31.
uint32_t allowed_days(const Schedule::Cron& cron, int year, int month) {
  using Rule = Schedule::DayRule;
  int last_day = static_cast<int>(
      unsigned(year_month_day{std::chrono::year{year} / month / std::chrono::last}.day()));
  uint32_t in_month = (uint32_t{2} << last_day) - 2;  // bits 1..last_day
  switch (cron.day_rule) {
    case Rule::kMonthDays:
      return cron.days_of_month & in_month;
    case Rule::kFromMonthEnd: {
      int day = last_day - cron.offset;
      if (day < 1) return 0;  // L-30 in February: no such day this month
      if (cron.as_weekday) day = nearest_weekday(year, month, day, last_day);
      return uint32_t{1} << day;
    }
    case Rule::kNearestWeekday:
      // 31W in a 30-day month names no day, so there is none to move (Quartz).
      if (cron.day > last_day) return 0;
      return uint32_t{1} << nearest_weekday(year, month, cron.day, last_day);
    case Rule::kWeekDays: {
      uint32_t days = 0;
      int weekday = weekday_of(year, month, 1);
      for (int day = 1; day <= last_day; ++day) {
        if (cron.days_of_week & (1 << weekday)) days |= uint32_t{1} << day;
        weekday = weekday == 7 ? 1 : weekday + 1;
      }
      return days;
    }
    case Rule::kLastWeekday: {
      int back = (weekday_of(year, month, last_day) - cron.day + 7) % 7;
      return uint32_t{1} << (last_day - back);
    }
    case Rule::kNthWeekday: {
      int first = 1 + (cron.day - weekday_of(year, month, 1) + 7) % 7;
      int day = first + 7 * (cron.nth - 1);
      return day <= last_day ? uint32_t{1} << day : 0;  // no 5th Friday this month
    }
  }
  return 0;
}

// The first minute of the day at or after hour:minute that the Hours and Minutes fields allow,
// as minutes since midnight.
std::optional<int> first_time_of_day(const Schedule::Cron& cron, int hour, int minute) {
  int h = next_bit(cron.hours, hour);
  if (h < 0) return std::nullopt;
  int m = next_bit(cron.minutes, h == hour ? minute : 0);
  if (m < 0) {
    h = next_bit(cron.hours, h + 1);
    if (h < 0) return std::nullopt;
    m = next_bit(cron.minutes, 0);
  }
  return h * 60 + m;
}

// Walks year, month, day, then time of day, each from where the search starts and from the
// field's beginning once a larger field has moved on: at most 230 years of 12 months.
std::optional<TimeMs> next_cron(const Schedule::Cron& cron, TimeMs after) {
  constexpr TimeMs kEnd = 7'258'118'400'000;  // 2200-01-01T00:00Z: no year is allowed after
  if (after >= kEnd) return std::nullopt;
  // Whole minutes strictly after `after`, and never before 1970, the first allowed year.
  TimeMs start = std::max<TimeMs>(0, (floor_div(after, kMinuteMs) + 1) * kMinuteMs);
  TimeMs start_day = floor_div(start, kDayMs);
  year_month_day date{sys_days{std::chrono::days{start_day}}};
  int start_minutes = static_cast<int>((start - start_day * kDayMs) / kMinuteMs);
  int y0 = static_cast<int>(date.year());
  int m0 = static_cast<int>(unsigned(date.month()));
  int d0 = static_cast<int>(unsigned(date.day()));

  bool at_start = true;  // still inside the start's year (and month, and day)
  for (int year = y0; year <= Schedule::kLastYear; ++year, at_start = false) {
    if (!cron.years.test(year - Schedule::kFirstYear)) continue;
    for (int month = at_start ? m0 : 1; month <= 12; ++month, at_start = false) {
      if (!(cron.months & (1 << month))) continue;
      uint32_t days = allowed_days(cron, year, month);
      for (int day = next_bit(days, at_start ? d0 : 1); day >= 0; day = next_bit(days, day + 1)) {
        bool start_day_now = at_start && day == d0;
        std::optional<int> time =
            start_day_now ? first_time_of_day(cron, start_minutes / 60, start_minutes % 60)
                          : first_time_of_day(cron, 0, 0);
        if (!time) continue;  // only on the start day, late in it
        sys_days fire_day = std::chrono::year{year} / month / day;
        return fire_day.time_since_epoch().count() * kDayMs + *time * kMinuteMs;
      }
    }
  }
  return std::nullopt;
}

std::optional<TimeMs> next_rate(int64_t period, TimeMs after, TimeMs anchor) {
  constexpr TimeMs kMax = std::numeric_limits<TimeMs>::max();
  if (anchor > kMax - period) return std::nullopt;
  if (after < anchor + period) return anchor + period;
  // after - anchor >= period > 0 here, so it cannot overflow the other way.
  int64_t k = (after - anchor) / period + 1;
  if (k > (kMax - anchor) / period) return std::nullopt;
  return anchor + k * period;
}

}  // namespace

Result<Schedule> parse_schedule(std::string_view expression) {
  auto body_of = [&](std::string_view prefix) -> std::optional<std::string_view> {
    if (expression.size() < prefix.size() + 1 || expression.substr(0, prefix.size()) != prefix ||
        expression.back() != ')') {
      return std::nullopt;
    }
    return expression.substr(prefix.size(), expression.size() - prefix.size() - 1);
  };
  std::optional<Schedule> schedule;
  if (std::optional<std::string_view> body = body_of("rate(")) {
    schedule = parse_rate(*body);
  } else if (std::optional<std::string_view> body = body_of("cron(")) {
    schedule = parse_cron(*body);
  }
  if (!schedule) return invalid();
  return *schedule;
}

std::optional<TimeMs> next_fire(const Schedule& schedule, TimeMs after, TimeMs anchor) {
  if (schedule.is_rate()) return next_rate(schedule.rate_period_ms, after, anchor);
  return next_cron(schedule.cron, after);
}

}  // namespace wyvern::bus
