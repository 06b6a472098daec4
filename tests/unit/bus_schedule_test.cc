#include <catch2/catch.hpp>

// EventBridge schedule expressions as PutRule sees them: tables of expressions AWS accepts, of
// expressions it refuses (each with why), and of next firing times.
//
// Expectations come from the EventBridge user guide ("Cron expressions reference", "Rate
// expressions reference") and from AWS's observed answers where issues record them. Where AWS
// documents nothing, rows follow Quartz, whose cron AWS's is, and say "(Quartz)"; rows that pin
// a choice of Wyvern's where neither says anything say "(Wyvern)".

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "bus/schedule.h"

using namespace wyvern;
using namespace wyvern::bus;

namespace {

constexpr TimeMs kDayMs = 86'400'000;

// "2024-06-03T10:05:17Z" or "2024-06-03T10:05:17.250Z", UTC, as epoch milliseconds.
TimeMs at(const std::string& iso) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
  int fields = std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &y, &mo, &d, &h, &mi, &s, &ms);
  REQUIRE(fields >= 6);
  std::chrono::sys_days day = std::chrono::year{y} / mo / d;
  return day.time_since_epoch().count() * kDayMs + ((h * 60 + mi) * 60 + s) * 1000 + ms;
}

// The inverse of at(), with milliseconds only when there are some, so failures read as dates.
std::string iso(std::optional<TimeMs> t) {
  if (!t) return "never";
  TimeMs days = *t / kDayMs - (*t % kDayMs < 0 ? 1 : 0);
  TimeMs in_day = *t - days * kDayMs;
  std::chrono::year_month_day date{std::chrono::sys_days{std::chrono::days{days}}};
  char text[40];
  int ms = static_cast<int>(in_day % 1000);
  int s = static_cast<int>(in_day / 1000);
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(date.year()),
                unsigned(date.month()), unsigned(date.day()), s / 3600, s / 60 % 60, s % 60);
  std::string out = text;
  if (ms != 0) {
    std::snprintf(text, sizeof text, ".%03d", ms);
    out += text;
  }
  return out + "Z";
}

struct Accepted {
  const char* expression;
  const char* why;
};

const std::vector<Accepted> kAccepted = {
    // rate: the documented units, singular for 1 and plural above.
    {"rate(1 minute)", "documented: every minute"},
    {"rate(5 minutes)", "documented: every five minutes"},
    {"rate(1 hour)", "documented"},
    {"rate(1 day)", "documented"},
    {"rate(90 minutes)", "a rate need not divide an hour"},
    {"rate(12 hours)", "plural above 1"},
    {"rate(30 days)", "plural above 1"},
    {"rate(2147483647 minutes)", "the largest value (Wyvern: a 32-bit int)"},
    // cron: the user guide's examples.
    {"cron(0 10 * * ? *)", "documented: 10:00 every day"},
    {"cron(15 12 * * ? *)", "documented: 12:15 every day"},
    {"cron(0 18 ? * MON-FRI *)", "documented: 18:00 on weekdays"},
    {"cron(0 8 1 * ? *)", "documented: 08:00 on the 1st"},
    {"cron(0/15 * * * ? *)", "documented: every 15 minutes"},
    {"cron(0/10 * ? * MON-FRI *)", "documented"},
    {"cron(0/5 8-17 ? * MON-FRI *)", "documented"},
    {"cron(0/30 20-2 ? * MON-FRI *)", "documented: an hour range that wraps past midnight"},
    {"cron(5,35 14 * * ? *)", "documented: a list"},
    {"cron(15 10 ? * 6L 2019-2022)", "documented: last Friday, years already past"},
    // cron: each wildcard the reference lists, in each field that takes it.
    {"cron(* * * * ? *)", "every minute"},
    {"cron(* * ? * * *)", "'*' in Day-of-week with '?' in Day-of-month"},
    {"cron(*/5 */2 */3 */4 ? */10)", "steps from '*' in every field but Day-of-week"},
    {"cron(1/10 0/6 1/7 1/3 ? 2020/5)", "steps from a value"},
    {"cron(10-50/20 8-18/5 2-30/14 2-11/3 ? 2030-2040/2)", "steps over ranges"},
    {"cron(0 0 1 JAN,APR,JUL,OCT ? *)", "month names in a list"},
    {"cron(0 0 1 NOV-FEB ? *)", "a month range that wraps (Quartz)"},
    {"cron(0 0 ? * FRI-MON *)", "a weekday range that wraps (Quartz)"},
    {"cron(0 0 ? * SUN,SAT *)", "weekday names"},
    {"cron(0 0 ? * 1-7 *)", "weekday numbers, SUN = 1"},
    {"cron(0 0 ? * mon-fri *)", "names are case-insensitive (Quartz)"},
    {"cron(0 12 L * ? *)", "documented: L, the last day of the month"},
    {"cron(0 12 L-3 * ? *)", "L-n, n days before the last (Quartz)"},
    {"cron(0 12 L-30 * ? *)", "the largest offset (Quartz)"},
    {"cron(0 12 LW * ? *)", "LW, the last weekday of the month (Quartz)"},
    {"cron(0 12 lw * ? *)", "letters are case-insensitive (Quartz)"},
    {"cron(0 12 L-2W * ? *)", "the weekday nearest to L-2 (Quartz)"},
    {"cron(0 12 3W * ? *)", "documented: the weekday nearest the 3rd"},
    {"cron(0 12 31W * ? *)", "31W is valid; short months have no 31st to move"},
    {"cron(0 12 ? * L *)", "documented: L in Day-of-week, the last day of the week"},
    {"cron(0 12 ? * 5L *)", "the last Thursday"},
    {"cron(0 12 ? * FRIL *)", "a name before L (Quartz)"},
    {"cron(0 12 ? * 3#2 *)", "documented: the second Tuesday"},
    {"cron(0 12 ? * TUE#2 *)", "a name before # (Quartz)"},
    {"cron(0 12 ? * 6#5 *)", "the fifth Friday, in months that have one"},
    {"cron(0 0 ? * 1/2 *)", "a step in Day-of-week (Quartz; AWS's table omits it)"},
    {"cron(0 0 29 2 ? 2024,2028)", "Feb 29 in leap years"},
    {"cron(0 0 30 2 ? *)", "a date that never comes still parses (Quartz)"},
    {"cron(0 0 1 1 ? 1970)", "the first year"},
    {"cron(59 23 31 12 ? 2199)", "the last minute of the last year"},
    {"cron(45-45 7-7 * * ? *)", "a range of one value"},
    {"cron(00 09 * * ? *)", "leading zeros"},
    {"cron(0  12\t* *  ? *)", "runs of spaces and tabs separate fields (Quartz)"},
    {"cron(0/20, 6-9, *, *, ?, *)",
     "empty list items are skipped: AWS took \"0/5,\"-style fields (boto/boto3#2876)"},
};

struct Refused {
  const char* expression;
  const char* why;
};

const std::vector<Refused> kRefused = {
    // rate
    {"rate(1 minutes)", "documented: 1 takes the singular"},
    {"rate(1 hours)", "documented: 1 takes the singular"},
    {"rate(1 days)", "documented: 1 takes the singular"},
    {"rate(5 minute)", "documented: more than 1 takes the plural"},
    {"rate(5 hour)", "documented: more than 1 takes the plural"},
    {"rate(2 day)", "documented: more than 1 takes the plural"},
    {"rate(0 minutes)", "documented: a positive number"},
    {"rate(-5 minutes)", "documented: a positive number"},
    {"rate(1.5 hours)", "not an integer"},
    {"rate(30 seconds)", "documented units are minutes, hours and days"},
    {"rate(2 weeks)", "documented units are minutes, hours and days"},
    {"rate(5 MINUTES)", "units are lower case"},
    {"RATE(5 minutes)", "the keyword is lower case"},
    {"rate(5minutes)", "value and unit are separated by a space"},
    {"rate(5  minutes)", "by one space (Wyvern)"},
    {"rate( 5 minutes)", "no padding inside the parentheses"},
    {"rate(5 minutes )", "no padding inside the parentheses"},
    {" rate(5 minutes)", "no padding outside"},
    {"rate(5 minutes) ", "no padding outside"},
    {"rate()", "both fields are required"},
    {"rate(5)", "the unit is required"},
    {"rate(minutes)", "the value is required"},
    {"rate(2147483648 minutes)", "past a 32-bit int (Wyvern)"},
    {"", "empty"},
    {"every 5 minutes", "neither rate(...) nor cron(...)"},
    // cron: shape
    {"cron(0 12 * * ?)", "documented: six fields; five is cron(8)'s form"},
    {"cron(0 0 12 * * ? *)", "documented: six fields; seven is Quartz's with seconds"},
    {"cron()", "no fields"},
    {"cron(0 12 * * ? *", "no closing parenthesis"},
    {"CRON(0 12 * * ? *)", "the keyword is lower case (Wyvern, as rate)"},
    {"cron(0 12 , * ? *)", "a field with no value at all"},
    // cron: Day-of-month against Day-of-week
    {"cron(0 12 * * * *)", "documented: '*' in both day fields"},
    {"cron(0 12 ? * ? *)", "'?' in both day fields (Quartz)"},
    {"cron(0 12 1 * MON *)", "documented: a value in both day fields"},
    {"cron(0 12 ?,1 * * *)", "'?' stands alone"},
    // cron: values out of range
    {"cron(60 12 * * ? *)", "documented: minutes 0-59"},
    {"cron(-1 12 * * ? *)", "documented: minutes 0-59"},
    {"cron(0 24 * * ? *)", "documented: hours 0-23"},
    {"cron(0 12 0 * ? *)", "documented: days 1-31"},
    {"cron(0 12 32 * ? *)", "documented: days 1-31"},
    {"cron(0 12 1 13 ? *)", "documented: months 1-12"},
    {"cron(0 12 1 1-13 ? *)", "documented: months 1-12"},
    {"cron(0 12 ? * 0 *)", "documented: weekdays 1-7, SUN = 1"},
    {"cron(0 12 ? * 8 *)", "documented: weekdays 1-7"},
    {"cron(0 12 * * ? 1969)", "documented: years 1970-2199"},
    {"cron(0 12 * * ? 2200)", "documented: years 1970-2199"},
    // cron: steps and ranges
    {"cron(*/60 * * * ? *)", "a minute step past 59 (AWS refused \"*/60\")"},
    {"cron(0 */24 * * ? *)", "an hour step past 23 (Quartz)"},
    {"cron(0/0 * * * ? *)", "a step of zero (Wyvern)"},
    {"cron(0 12 * * ? 2020/0)", "a step of zero (Wyvern)"},
    {"cron(1- 12 * * ? *)", "a range without its end"},
    {"cron(0 12 * * ? 2030-2020)", "a year range cannot wrap (Quartz)"},
    {"cron(0 12 ? * MON-5 *)", "a name and a number in one range (Quartz)"},
    {"cron(0 12 1 JAN/2 ? *)", "a step after a name (Wyvern; Quartz would drop it)"},
    // cron: wildcards where the reference does not list them
    {"cron(? 12 * * ? *)", "documented: '?' only in the day fields"},
    {"cron(0 12 1 ? ? *)", "documented: '?' only in the day fields"},
    {"cron(L 12 * * ? *)", "documented: L only in the day fields"},
    {"cron(0 12 ? * 3W *)", "documented: W only in Day-of-month"},
    {"cron(0 12 3#2 * ? *)", "documented: # only in Day-of-week"},
    {"cron(0 12 ? * 3#2,5#1 *)", "documented: one expression beside '#'"},
    {"cron(0 12 ? * 3#6 *)", "no sixth weekday in a month (Quartz: 1-5)"},
    {"cron(0 12 ? * 3#0 *)", "# counts from 1 (Quartz)"},
    {"cron(0 12 1W,15 * ? *)", "W takes a single day (Quartz)"},
    {"cron(0 12 1-5W * ? *)", "W takes a single day (Quartz)"},
    {"cron(0 12 32W * ? *)", "documented: days 1-31"},
    {"cron(0 12 L-31 * ? *)", "offsets from L reach 30 (Quartz)"},
    {"cron(0 12 ? * 5L,1 *)", "L takes no other weekdays (Quartz)"},
    // cron: names
    {"cron(0 12 * JANUARY ? *)", "names are three letters"},
    {"cron(0 12 * FOO ? *)", "not a month"},
    {"cron(0 MON * * ? *)", "names only in Month and Day-of-week"},
};

struct Firing {
  const char* expression;
  const char* after;
  const char* next;  // "never" when none
  const char* why;
};

// Weekdays named here were read off a calendar; each row says what it pins.
const std::vector<Firing> kFirings = {
    // Whole minutes strictly after `after`.
    {"cron(0 12 * * ? *)", "2024-06-03T11:59:59.999Z", "2024-06-03T12:00:00Z", "same day"},
    {"cron(0 12 * * ? *)", "2024-06-03T12:00:00Z", "2024-06-04T12:00:00Z", "strictly after"},
    {"cron(* * * * ? *)", "2024-06-03T12:00:30Z", "2024-06-03T12:01:00Z", "second 0"},
    {"cron(* * * * ? *)", "2024-12-31T23:59:00Z", "2025-01-01T00:00:00Z", "into a new year"},
    // Steps and ranges.
    {"cron(1/10 * * * ? *)", "2024-06-03T10:05:00Z", "2024-06-03T10:11:00Z",
     "documented: 1/10 is minutes 1, 11, 21, ..."},
    {"cron(1/10 * * * ? *)", "2024-06-03T10:51:00Z", "2024-06-03T11:01:00Z", "next hour"},
    {"cron(10-50/20 * * * ? *)", "2024-06-03T10:31:00Z", "2024-06-03T10:50:00Z", "10, 30, 50"},
    {"cron(5,35 14 * * ? *)", "2024-06-03T14:05:00Z", "2024-06-03T14:35:00Z", "a list"},
    {"cron(0 22-2/2 * * ? *)", "2024-06-03T22:30:00Z", "2024-06-04T00:00:00Z",
     "22, 0, 2: a stepped range that wraps (Quartz)"},
    {"cron(0/30 20-2 ? * MON-FRI *)", "2024-06-07T23:45:00Z", "2024-06-10T00:00:00Z",
     "Friday night ends at midnight: hours and weekday are checked on the same day (Quartz)"},
    {"cron(0/30 20-2 ? * MON-FRI *)", "2024-06-10T02:30:00Z", "2024-06-10T20:00:00Z",
     "Monday 02:30 is the last of the early run"},
    {"cron(0/5 8-17 ? * MON-FRI *)", "2024-06-07T17:55:00Z", "2024-06-10T08:00:00Z",
     "documented: weekdays 08:00-17:55; Friday's last to Monday's first"},
    {"cron(0 18 ? * MON-FRI *)", "2024-06-07T18:00:00.001Z", "2024-06-10T18:00:00Z",
     "over the weekend"},
    {"cron(0 0 1 */5 ? *)", "2024-06-01T00:00:00Z", "2024-11-01T00:00:00Z", "months 1, 6, 11"},
    {"cron(0 0 2-30/14 * ? *)", "2024-02-16T00:00:00Z", "2024-03-02T00:00:00Z",
     "days 2, 16, 30; February has no 30th"},
    {"cron(0 0 ? * 1/2 *)", "2024-06-03T00:00:00Z", "2024-06-04T00:00:00Z",
     "Sun, Tue, Thu, Sat; the 3rd is a Monday (Quartz)"},
    // Names.
    {"cron(0 0 1 NOV-FEB ? *)", "2024-02-15T00:00:00Z", "2024-11-01T00:00:00Z",
     "Nov, Dec, Jan, Feb (Quartz)"},
    {"cron(0 0 ? * FRI-MON *)", "2024-06-04T00:00:00Z", "2024-06-07T00:00:00Z",
     "Tuesday to Friday (Quartz)"},
    {"cron(0 0 1 JAN ? 2024,2026)", "2024-01-01T00:00:00Z", "2026-01-01T00:00:00Z",
     "a list of years"},
    // L in Day-of-month.
    {"cron(0 0 L * ? *)", "2024-02-10T00:00:00Z", "2024-02-29T00:00:00Z", "leap February"},
    {"cron(0 0 L * ? *)", "2025-02-10T00:00:00Z", "2025-02-28T00:00:00Z", "common February"},
    {"cron(0 0 L * ? *)", "2024-02-29T00:00:00Z", "2024-03-31T00:00:00Z", "then March's"},
    {"cron(0 0 L-3 * ? *)", "2024-02-01T00:00:00Z", "2024-02-26T00:00:00Z",
     "three days before the 29th (Quartz)"},
    {"cron(0 0 L-30 * ? *)", "2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z",
     "February has no 30 days before its last; March's 31st less 30 (Quartz)"},
    // W in Day-of-month, never leaving the month.
    {"cron(0 9 1W * ? *)", "2022-09-15T00:00:00Z", "2022-10-03T09:00:00Z",
     "1 Oct 2022 is a Saturday: Monday the 3rd, not Friday 30 Sep (Quartz)"},
    {"cron(0 9 1W * ? *)", "2025-02-03T09:00:00Z", "2025-03-03T09:00:00Z",
     "1 Mar 2025 is a Saturday too"},
    {"cron(0 9 1W * ? *)", "2026-01-31T00:00:00Z", "2026-02-02T09:00:00Z",
     "1 Feb 2026 is a Sunday: Monday the 2nd"},
    {"cron(0 9 15W * ? *)", "2023-04-01T00:00:00Z", "2023-04-14T09:00:00Z",
     "15 Apr 2023 is a Saturday: Friday the 14th"},
    {"cron(0 9 16W * ? *)", "2023-04-01T00:00:00Z", "2023-04-17T09:00:00Z",
     "16 Apr 2023 is a Sunday: Monday the 17th"},
    {"cron(0 9 30W * ? *)", "2023-04-01T00:00:00Z", "2023-04-28T09:00:00Z",
     "30 Apr 2023 is a Sunday and the last day: Friday the 28th (Quartz)"},
    {"cron(0 9 31W * ? *)", "2024-11-01T00:00:00Z", "2024-12-31T09:00:00Z",
     "November has no 31st; 31 Dec 2024 is a Tuesday (Quartz)"},
    {"cron(0 9 LW * ? *)", "2024-03-01T00:00:00Z", "2024-03-29T09:00:00Z",
     "31 Mar 2024 is a Sunday: Friday the 29th"},
    {"cron(0 9 LW * ? *)", "2024-08-01T00:00:00Z", "2024-08-30T09:00:00Z",
     "31 Aug 2024 is a Saturday: Friday the 30th"},
    {"cron(0 9 LW * ? *)", "2024-02-01T00:00:00Z", "2024-02-29T09:00:00Z",
     "29 Feb 2024 is a Thursday"},
    {"cron(0 12 L-1W * ? *)", "2026-05-01T00:00:00Z", "2026-05-29T12:00:00Z",
     "30 May 2026 is a Saturday: Friday the 29th (Quartz)"},
    // L and # in Day-of-week.
    {"cron(0 0 ? * L *)", "2024-06-03T00:00:00Z", "2024-06-08T00:00:00Z",
     "L alone is the week's last day, Saturday"},
    {"cron(30 18 ? * 5L *)", "2024-02-01T00:00:00Z", "2024-02-29T18:30:00Z",
     "the last Thursday of February 2024 is the 29th"},
    {"cron(0 10 ? * 6L *)", "2024-11-01T00:00:00Z", "2024-11-29T10:00:00Z",
     "documented form: the last Friday"},
    {"cron(0 10 ? * SUNL *)", "2025-08-01T00:00:00Z", "2025-08-31T10:00:00Z",
     "the last Sunday (Quartz)"},
    {"cron(0 12 ? * 3#2 *)", "2024-08-01T00:00:00Z", "2024-08-13T12:00:00Z",
     "documented: the second Tuesday"},
    {"cron(0 12 ? * 6#5 *)", "2024-09-01T00:00:00Z", "2024-11-29T12:00:00Z",
     "no fifth Friday in September or October 2024"},
    {"cron(0 12 ? * MON#1 *)", "2025-09-01T12:00:00Z", "2025-10-06T12:00:00Z",
     "1 Sep 2025 was the first Monday; then 6 Oct"},
    {"cron(0 12 ? * 1#1 *)", "2023-12-01T00:00:00Z", "2023-12-03T12:00:00Z", "the first Sunday"},
    // Leap years.
    {"cron(0 0 29 2 ? *)", "2024-03-01T00:00:00Z", "2028-02-29T00:00:00Z", "next leap day"},
    {"cron(0 0 29 2 ? *)", "2096-03-01T00:00:00Z", "2104-02-29T00:00:00Z",
     "2100 is not a leap year"},
    {"cron(0 0 29 FEB ? 2025-2027)", "2024-01-01T00:00:00Z", "never", "no leap year in range"},
    {"cron(0 0 30 2 ? *)", "2024-01-01T00:00:00Z", "never", "30 February never comes"},
    // Year limits.
    {"cron(59 23 31 12 ? 2199)", "2024-01-01T00:00:00Z", "2199-12-31T23:59:00Z",
     "the last minute allowed"},
    {"cron(59 23 31 12 ? 2199)", "2199-12-31T23:59:00Z", "never", "and nothing after it"},
    {"cron(0 0 1 1 ? *)", "2199-06-01T00:00:00Z", "never", "'*' years end at 2199"},
    {"cron(0 0 1 1 ? 1970)", "1969-06-01T00:00:00Z", "1970-01-01T00:00:00Z",
     "from before the epoch"},
    {"cron(0 0 1 1 ? 2030-2040/5)", "2030-01-01T00:00:00Z", "2035-01-01T00:00:00Z",
     "2030, 2035, 2040"},
    {"cron(15 10 ? * 6L 2019-2022)", "2024-01-01T00:00:00Z", "never",
     "documented example whose years are past"},
};

struct RateFiring {
  const char* expression;
  const char* anchor;  // the rule's creation
  const char* after;
  const char* next;
  const char* why;
};

// AWS: "A rate expression starts when you create the scheduled event rule". Wyvern fires at
// creation + k periods, k >= 1, to the millisecond (AWS states only minute precision).
const std::vector<RateFiring> kRateFirings = {
    {"rate(5 minutes)", "2024-06-03T10:00:17Z", "2024-06-03T10:00:17Z", "2024-06-03T10:05:17Z",
     "one period after creation, not aligned to the minute"},
    {"rate(5 minutes)", "2024-06-03T10:00:17Z", "2024-06-03T10:05:17Z", "2024-06-03T10:10:17Z",
     "strictly after"},
    {"rate(5 minutes)", "2024-06-03T10:00:17Z", "2024-06-03T09:00:00Z", "2024-06-03T10:05:17Z",
     "before creation: the first firing"},
    {"rate(1 minute)", "2024-06-03T10:00:00.250Z", "2024-06-03T10:30:00Z",
     "2024-06-03T10:30:00.250Z", "milliseconds kept"},
    {"rate(1 hour)", "2024-06-03T10:00:17Z", "2024-06-03T13:30:00Z", "2024-06-03T14:00:17Z",
     "hours"},
    {"rate(1 day)", "2024-02-28T09:00:00Z", "2024-02-28T09:00:00Z", "2024-02-29T09:00:00Z",
     "days are 24 hours, through leap day"},
    {"rate(7 days)", "2024-12-30T06:00:00Z", "2025-01-20T06:00:00Z", "2025-01-27T06:00:00Z",
     "weeks from creation"},
};

}  // namespace

TEST_CASE("every expression AWS documents or accepts parses", "[schedule]") {
  REQUIRE(kAccepted.size() >= 40);
  for (const Accepted& row : kAccepted) {
    INFO(row.expression << "  -- " << row.why);
    Result<Schedule> schedule = parse_schedule(row.expression);
    CHECK(schedule.ok());
  }
}

TEST_CASE(
    "an expression AWS refuses is a ValidationException, 'Parameter ScheduleExpression is "
    "not valid.'",
    "[schedule]") {
  REQUIRE(kRefused.size() >= 40);
  for (const Refused& row : kRefused) {
    INFO("\"" << row.expression << "\"  -- " << row.why);
    Result<Schedule> schedule = parse_schedule(row.expression);
    REQUIRE_FALSE(schedule.ok());
    CHECK(schedule.error().code == ErrorCode::kSfnValidation);
    CHECK(schedule.error().info().json_type == "ValidationException");
    CHECK(schedule.error().message == "Parameter ScheduleExpression is not valid.");
  }
}

TEST_CASE("a cron fires on the next minute its fields allow, walking the calendar", "[schedule]") {
  REQUIRE(kFirings.size() >= 40);
  for (const Firing& row : kFirings) {
    INFO(row.expression << " after " << row.after << "  -- " << row.why);
    Result<Schedule> schedule = parse_schedule(row.expression);
    REQUIRE(schedule.ok());
    CHECK(iso(next_fire(*schedule, at(row.after), /*anchor=*/0)) == row.next);
  }
}

TEST_CASE("a rate fires every period from the rule's creation", "[schedule]") {
  for (const RateFiring& row : kRateFirings) {
    INFO(row.expression << " created " << row.anchor << " after " << row.after << "  -- "
                        << row.why);
    Result<Schedule> schedule = parse_schedule(row.expression);
    REQUIRE(schedule.ok());
    CHECK(iso(next_fire(*schedule, at(row.after), at(row.anchor))) == row.next);
  }
}

TEST_CASE("a cron's firings chain: each next_fire from the last gives the one after",
          "[schedule]") {
  Result<Schedule> schedule = parse_schedule("cron(0 9 1W * ? *)");
  REQUIRE(schedule.ok());
  // The first weekday of each month of 2022 at 09:00.
  std::vector<std::string> expected = {
      "2022-01-03T09:00:00Z", "2022-02-01T09:00:00Z", "2022-03-01T09:00:00Z",
      "2022-04-01T09:00:00Z", "2022-05-02T09:00:00Z", "2022-06-01T09:00:00Z",
      "2022-07-01T09:00:00Z", "2022-08-01T09:00:00Z", "2022-09-01T09:00:00Z",
      "2022-10-03T09:00:00Z", "2022-11-01T09:00:00Z", "2022-12-01T09:00:00Z"};
  std::vector<std::string> got;
  TimeMs t = at("2021-12-31T12:00:00Z");
  for (size_t i = 0; i < expected.size(); ++i) {
    std::optional<TimeMs> next = next_fire(*schedule, t, 0);
    REQUIRE(next);
    got.push_back(iso(next));
    t = *next;
  }
  CHECK(got == expected);
}

TEST_CASE("a cron that never fires again is found out", "[schedule]") {
  // February has no 30th: the search crosses every year up to 2199 and finds nothing. (It walks
  // by month and day, not by minute; speed is for benchmarks, not for this test.)
  Result<Schedule> schedule = parse_schedule("cron(0 0 30 2 ? *)");
  REQUIRE(schedule.ok());
  CHECK_FALSE(next_fire(*schedule, at("1970-01-01T00:00:00Z"), 0));
}

TEST_CASE("a search from anywhere between two firings finds the later one", "[schedule]") {
  // Starting mid-interval takes the partial-day, partial-hour paths that starting on a firing
  // does not; both must agree.
  struct Chain {
    const char* expression;
    int firings;  // from 2024 on, at most 300 followed
  };
  const Chain chains[] = {
      {"cron(0/7 1-3,22 ? * MON,WED-FRI *)", 300},
      {"cron(30 */5 L-1W * ? *)", 300},
      {"cron(59 23 ? * 6#5 2024-2030)", 29},  // months of 2024-2030 with five Fridays
      {"cron(15 0 29-31 1-3 ? *)", 300},
      {"cron(* 12 ? * SATL *)", 300},
      {"cron(0 0 1W */2 ? *)", 300},
  };
  for (const auto& [expression, expected_firings] : chains) {
    INFO(expression);
    Result<Schedule> schedule = parse_schedule(expression);
    REQUIRE(schedule.ok());
    TimeMs previous = at("2024-01-01T00:00:00Z");
    int firings = 0;
    for (; firings < 300; ++firings) {
      std::optional<TimeMs> next = next_fire(*schedule, previous, 0);
      if (!next) break;
      CHECK(*next > previous);
      CHECK(*next % 60'000 == 0);
      for (TimeMs probe : {previous + 1, previous + (*next - previous) / 3,
                           previous + (*next - previous) / 2, *next - 60'000, *next - 1}) {
        if (probe < previous) continue;
        INFO("from " << iso(probe));
        CHECK(iso(next_fire(*schedule, probe, 0)) == iso(next));
      }
      previous = *next;
    }
    CHECK(firings == expected_firings);
  }
}
