// Dates, times and integer pictures: $now $millis $fromMillis $toMillis $formatInteger
// $parseInteger. Pictures follow XPath F&O 3.1 (format-dateTime §9.8, format-integer §4.6) as
// JSONata implements them: [Y0001]-[M01]-[D01], names ([MNn], [FNn,3-3]), ordinals ([D1o]),
// words ([Dw]), roman numerals ([YI]), 12-hour clocks ([h]:[m01][P]) and offsets ([Z01:01t]).
//
// $now and $millis read the evaluation's injected clock (Bindings::now_millis), never the real
// one. A timestamp without an offset is read as UTC.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <numeric>

#include "stepfn/jsonata/runtime.h"

namespace wyvern::jsonata::detail {

namespace {

// --- calendar arithmetic (proleptic Gregorian, days since 1970-01-01) -------------------------

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  std::int64_t year;
  unsigned month, day;
};

Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

constexpr std::int64_t kDayMs = 86400000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

const char* const kMonths[] = {"January",   "February", "March",    "April",
                               "May",       "June",     "July",     "August",
                               "September", "October",  "November", "December"};
const char* const kDays[] = {"",         "Monday", "Tuesday",  "Wednesday",
                             "Thursday", "Friday", "Saturday", "Sunday"};

// --- integer pictures -------------------------------------------------------------------------

enum class Primary { Decimal, Letters, Roman, Words, Sequence };
enum class Case { Lower, Upper, Title };

struct Separator {
  int position;
  std::string character;
};

struct IntegerFormat {
  Primary primary = Primary::Decimal;
  Case letter_case = Case::Lower;
  bool ordinal = false;
  std::uint32_t zero = '0';
  int mandatory = 0, optional = 0;
  bool regular = false;
  Separator regular_sep{0, ""};
  std::vector<Separator> separators;
  std::string token;
};

std::uint32_t code_point(std::string_view ch) {
  auto b = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(ch[i]));
  };
  if (ch.size() == 1) return b(0);
  if (ch.size() == 2) return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
  if (ch.size() == 3) return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
}

// Zero digits of the Unicode decimal digit groups JSONata recognises.
const std::uint32_t kDecimalGroups[] = {
    0x30,   0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6,
    0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0,
    0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620,
    0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10};

IntegerFormat analyse_integer_picture(std::string_view picture) {
  IntegerFormat f;
  std::string_view primary = picture;
  auto semicolon = picture.rfind(';');
  if (semicolon != std::string_view::npos) {
    primary = picture.substr(0, semicolon);
    std::string_view modifier = picture.substr(semicolon + 1);
    if (!modifier.empty() && modifier[0] == 'o') f.ordinal = true;
  }
  if (primary == "A" || primary == "a") {
    f.primary = Primary::Letters;
    f.letter_case = primary == "A" ? Case::Upper : Case::Lower;
  } else if (primary == "I" || primary == "i") {
    f.primary = Primary::Roman;
    f.letter_case = primary == "I" ? Case::Upper : Case::Lower;
  } else if (primary == "W") {
    f.primary = Primary::Words;
    f.letter_case = Case::Upper;
  } else if (primary == "Ww") {
    f.primary = Primary::Words;
    f.letter_case = Case::Title;
  } else if (primary == "w") {
    f.primary = Primary::Words;
  } else {
    auto chars = utf8_chars(primary);
    std::int64_t zero = -1;
    int position = 0;
    for (std::size_t i = chars.size(); i-- > 0;) {
      std::uint32_t cp = code_point(chars[i]);
      bool digit = false;
      for (std::uint32_t group : kDecimalGroups) {
        if (cp >= group && cp <= group + 9) {
          digit = true;
          ++f.mandatory;
          ++position;
          if (zero < 0)
            zero = group;
          else if (zero != group)
            throw failure("D3131");
          break;
        }
      }
      if (digit) continue;
      if (cp == '#') {
        ++position;
        ++f.optional;
      } else {
        f.separators.push_back({position, std::string(chars[i])});
      }
    }
    if (f.mandatory > 0) {
      f.primary = Primary::Decimal;
      f.zero = static_cast<std::uint32_t>(zero);
      if (!f.separators.empty()) {
        bool same = true;
        for (auto& s : f.separators) same = same && s.character == f.separators[0].character;
        int factor = 0;
        for (auto& s : f.separators) factor = std::gcd(factor, s.position);
        bool regular = same && factor > 0;
        for (std::size_t k = 1; regular && k <= f.separators.size(); ++k) {
          bool found = false;
          for (auto& s : f.separators) found = found || s.position == static_cast<int>(k) * factor;
          regular = found;
        }
        if (regular) {
          f.regular = true;
          f.regular_sep = {factor, f.separators[0].character};
        }
      }
    } else {
      f.primary = Primary::Sequence;
      f.token = std::string(primary);
    }
  }
  return f;
}

const char* const kFew[] = {"Zero",    "One",     "Two",       "Three",    "Four",
                            "Five",    "Six",     "Seven",     "Eight",    "Nine",
                            "Ten",     "Eleven",  "Twelve",    "Thirteen", "Fourteen",
                            "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"};
const char* const kOrdinals[] = {
    "Zeroth",     "First",     "Second",    "Third",       "Fourth",     "Fifth",     "Sixth",
    "Seventh",    "Eighth",    "Ninth",     "Tenth",       "Eleventh",   "Twelfth",   "Thirteenth",
    "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"};
const char* const kDecades[] = {"Twenty", "Thirty",  "Forty",  "Fifty",
                                "Sixty",  "Seventy", "Eighty", "Ninety"};
const char* const kMagnitudes[] = {"Thousand", "Million", "Billion", "Trillion"};

std::string words(double num, bool prev, bool ord) {
  std::string out;
  if (num <= 19) {
    out = std::string(prev ? " and " : "") +
          (ord ? kOrdinals[static_cast<int>(num)] : kFew[static_cast<int>(num)]);
  } else if (num < 100) {
    int tens = static_cast<int>(num / 10), rem = static_cast<int>(std::fmod(num, 10));
    out = std::string(prev ? " and " : "") + kDecades[tens - 2];
    if (rem > 0)
      out += "-" + words(rem, false, ord);
    else if (ord)
      out = out.substr(0, out.size() - 1) + "ieth";
  } else if (num < 1000) {
    int hundreds = static_cast<int>(num / 100);
    double rem = std::fmod(num, 100);
    out = std::string(prev ? ", " : "") + kFew[hundreds] + " Hundred";
    if (rem > 0)
      out += words(rem, true, ord);
    else if (ord)
      out += "th";
  } else {
    int mag = static_cast<int>(std::floor(std::log10(num) / 3));
    if (mag > 4) mag = 4;
    double factor = std::pow(10, mag * 3);
    double mant = std::floor(num / factor);
    double rem = num - mant * factor;
    out = std::string(prev ? ", " : "") + words(mant, false, false) + " " + kMagnitudes[mag - 1];
    if (rem > 0)
      out += words(rem, true, ord);
    else if (ord)
      out += "th";
  }
  return out;
}

std::string ascii_case(std::string s, Case c) {
  for (auto& ch : s) {
    if (c == Case::Upper && ch >= 'a' && ch <= 'z') ch -= 32;
    if (c == Case::Lower && ch >= 'A' && ch <= 'Z') ch += 32;
  }
  return s;
}

std::string format_integer(double value, const IntegerFormat& f) {
  bool negative = value < 0;
  value = std::fabs(value);
  std::string out;
  switch (f.primary) {
    case Primary::Letters: {
      char a = f.letter_case == Case::Upper ? 'A' : 'a';
      std::string letters;
      for (double v = value; v > 0; v = std::floor((v - 1) / 26))
        letters.insert(letters.begin(),
                       static_cast<char>(a + static_cast<int>(std::fmod(v - 1, 26))));
      out = letters;
      break;
    }
    case Primary::Roman: {
      // A numeral of over a few thousand characters is no numeral; JSONata would overflow.
      if (value > 1e6) throw failure("U1001");
      static const std::pair<int, const char*> kRoman[] = {
          {1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"}, {50, "l"},
          {40, "xl"},  {10, "x"},   {9, "ix"},  {5, "v"},    {4, "iv"},  {1, "i"}};
      auto v = static_cast<long>(value);
      for (auto& [n, s] : kRoman)
        while (v >= n) {
          out += s;
          v -= n;
        }
      if (f.letter_case == Case::Upper) out = ascii_case(out, Case::Upper);
      break;
    }
    case Primary::Words:
      out = words(value, false, f.ordinal);
      if (f.letter_case != Case::Title) out = ascii_case(out, f.letter_case);
      break;
    case Primary::Decimal: {
      std::string digits = js_number_to_string(value);
      if (static_cast<int>(digits.size()) < f.mandatory)
        digits.insert(0, f.mandatory - digits.size(), '0');
      std::vector<std::string> chars;
      for (char ch : digits) {
        std::string c;
        if (ch >= '0' && ch <= '9')
          append_utf8(c, f.zero + (ch - '0'));
        else
          c = std::string(1, ch);
        chars.push_back(std::move(c));
      }
      if (f.regular) {
        int n = static_cast<int>((chars.size() - 1) / f.regular_sep.position);
        for (int i = n; i > 0; --i) {
          std::size_t pos = chars.size() - i * f.regular_sep.position;
          chars.insert(chars.begin() + pos, f.regular_sep.character);
        }
      } else {
        for (auto it = f.separators.rbegin(); it != f.separators.rend(); ++it) {
          long pos = static_cast<long>(chars.size()) - it->position;
          if (pos >= 0) chars.insert(chars.begin() + pos, it->character);
        }
      }
      for (auto& c : chars) out += c;
      if (f.ordinal) {
        char last = digits.back();
        const char* suffix = last == '1' ? "st" : last == '2' ? "nd" : last == '3' ? "rd" : "th";
        if (digits.size() > 1 && digits[digits.size() - 2] == '1') suffix = "th";
        out += suffix;
      }
      break;
    }
    case Primary::Sequence:
      throw failure("D3130").with_text("value", f.token);
  }
  return negative ? "-" + out : out;
}

// --- reading integers back --------------------------------------------------------------------

std::string lower(std::string_view s) {
  return ascii_case(std::string(s), Case::Lower);
}

double words_to_number(std::string_view text) {
  auto value_of = [](const std::string& w) -> double {
    for (int i = 0; i < 20; ++i) {
      if (w == lower(kFew[i]) || w == lower(kOrdinals[i])) return i;
    }
    for (int i = 0; i < 8; ++i) {
      std::string d = lower(kDecades[i]);
      if (w == d || w == d.substr(0, d.size() - 1) + "ieth") return (i + 2) * 10;
    }
    if (w == "hundred" || w == "hundredth") return 100;
    for (int i = 0; i < 4; ++i) {
      std::string m = lower(kMagnitudes[i]);
      if (w == m || w == m + "th") return std::pow(10, (i + 1) * 3);
    }
    return NAN;
  };
  std::vector<std::string> parts;
  std::string current;
  std::string s = lower(text);
  for (std::size_t i = 0; i <= s.size(); ++i) {
    char c = i < s.size() ? s[i] : ' ';
    if (c == ' ' || c == '-' || c == ',') {
      if (!current.empty() && current != "and") parts.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  std::vector<double> segs{0};
  for (auto& p : parts) {
    double v = value_of(p);
    if (std::isnan(v)) return NAN;
    if (v < 100) {
      double top = segs.back();
      segs.pop_back();
      if (top >= 1000) {
        segs.push_back(top);
        top = 0;
      }
      segs.push_back(top + v);
    } else {
      double top = segs.back();
      segs.pop_back();
      segs.push_back(top * v);
    }
  }
  double total = 0;
  for (double v : segs) total += v;
  return total;
}

double roman_to_number(std::string_view s) {
  auto value = [](char c) {
    switch (c) {
      case 'm':
      case 'M':
        return 1000;
      case 'd':
      case 'D':
        return 500;
      case 'c':
      case 'C':
        return 100;
      case 'l':
      case 'L':
        return 50;
      case 'x':
      case 'X':
        return 10;
      case 'v':
      case 'V':
        return 5;
      case 'i':
      case 'I':
        return 1;
    }
    return 0;
  };
  double total = 0;
  int max = 1;
  for (std::size_t i = s.size(); i-- > 0;) {
    int v = value(s[i]);
    if (v == 0) return NAN;
    if (v < max) {
      total -= v;
    } else {
      max = v;
      total += v;
    }
  }
  return total;
}

// Reads an integer in format `f` at the start of `s`; returns the characters consumed (0: none).
std::size_t read_integer(std::string_view s, const IntegerFormat& f, double* out,
                         std::size_t max_digits = 0) {
  switch (f.primary) {
    case Primary::Letters: {
      std::size_t i = 0;
      double v = 0;
      while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i]))) {
        v = v * 26 + (std::tolower(static_cast<unsigned char>(s[i])) - 'a' + 1);
        ++i;
      }
      *out = v;
      return i;
    }
    case Primary::Roman: {
      std::size_t i = 0;
      while (i < s.size() && std::strchr("mdclxviMDCLXVI", s[i]) && s[i] != 0) ++i;
      *out = roman_to_number(s.substr(0, i));
      return std::isnan(*out) ? 0 : i;
    }
    case Primary::Words: {
      std::size_t i = 0;
      while (i < s.size() && (std::isalpha(static_cast<unsigned char>(s[i])) || s[i] == ' ' ||
                              s[i] == '-' || s[i] == ','))
        ++i;
      while (i > 0 && (s[i - 1] == ' ' || s[i - 1] == ',' || s[i - 1] == '-')) --i;
      *out = words_to_number(s.substr(0, i));
      return std::isnan(*out) ? 0 : i;
    }
    case Primary::Decimal: {
      std::size_t i = 0;
      std::size_t digits = 0;
      double v = 0;
      auto seq_len = [](unsigned char c) -> std::size_t {
        return c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
      };
      while (i < s.size()) {
        std::size_t len = std::min(seq_len(static_cast<unsigned char>(s[i])), s.size() - i);
        std::uint32_t cp = code_point(s.substr(i, len));
        if (cp >= f.zero && cp <= f.zero + 9) {
          if (max_digits && digits == max_digits) break;
          v = v * 10 + (cp - f.zero);
          ++digits;
          i += len;
          continue;
        }
        // A grouping separator between digits is skipped.
        std::size_t sep = 0;
        for (auto& x : f.separators)
          if (!x.character.empty() && s.substr(i, x.character.size()) == x.character)
            sep = x.character.size();
        if (sep == 0 || digits == 0 || max_digits || i + sep >= s.size()) break;
        std::uint32_t after = static_cast<unsigned char>(s[i + sep]);
        if (after < f.zero || after > f.zero + 9) {
          if (f.zero == '0') break;
        }
        i += sep;
      }
      if (digits == 0) return 0;
      if (f.ordinal && i + 2 <= s.size()) {
        std::string suffix = lower(s.substr(i, 2));
        if (suffix == "st" || suffix == "nd" || suffix == "rd" || suffix == "th") i += 2;
      }
      *out = v;
      return i;
    }
    case Primary::Sequence:
      throw failure("D3130").with_text("value", f.token);
  }
  return 0;
}

// --- date/time pictures -----------------------------------------------------------------------

struct Marker {
  bool literal = false;
  std::string text;  // literal text
  char component = 0;
  std::string presentation1, presentation2;
  int width_min = -1, width_max = -1;
  Case names = Case::Lower;
  bool has_names = false;
  IntegerFormat integer;
  int year_digits = -1;  // Y: keep only this many low digits
};

std::vector<Marker> analyse_date_picture(std::string_view picture) {
  auto default_for = [](char c) -> std::string {
    switch (c) {
      case 'Y':
      case 'M':
      case 'D':
      case 'd':
      case 'W':
      case 'w':
      case 'X':
      case 'x':
      case 'H':
      case 'h':
      case 'f':
        return "1";
      case 'F':
      case 'P':
      case 'C':
      case 'E':
        return "n";
      case 'm':
      case 's':
        return "01";
      case 'Z':
      case 'z':
        return "01:01";
    }
    return "";
  };
  std::vector<Marker> out;
  auto add_literal = [&](std::size_t start, std::size_t end) {
    if (end <= start) return;
    std::string lit(picture.substr(start, end - start));
    std::string fixed;
    for (std::size_t i = 0; i < lit.size(); ++i) {
      fixed += lit[i];
      if (lit[i] == ']' && i + 1 < lit.size() && lit[i + 1] == ']') ++i;
    }
    Marker m;
    m.literal = true;
    m.text = fixed;
    out.push_back(std::move(m));
  };
  std::size_t start = 0, pos = 0;
  while (pos < picture.size()) {
    if (picture[pos] == '[') {
      if (pos + 1 < picture.size() && picture[pos + 1] == '[') {
        add_literal(start, pos);
        Marker m;
        m.literal = true;
        m.text = "[";
        out.push_back(std::move(m));
        pos += 2;
        start = pos;
        continue;
      }
      add_literal(start, pos);
      start = pos;
      pos = picture.find(']', start);
      if (pos == std::string_view::npos) throw failure("D3135");
      std::string marker;
      for (char c : picture.substr(start + 1, pos - start - 1))
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') marker += c;
      Marker m;
      m.component = marker.empty() ? ' ' : marker[0];
      std::string pres;
      auto comma = marker.rfind(',');
      if (comma != std::string::npos) {
        std::string width = marker.substr(comma + 1);
        auto dash = width.find('-');
        std::string min = dash == std::string::npos ? width : width.substr(0, dash);
        std::string max = dash == std::string::npos ? "" : width.substr(dash + 1);
        // Widths past a few dozen characters mean nothing for a date; the clamp keeps a
        // picture from asking for gigabytes of padding.
        auto clamped = [](const std::string& w) {
          return static_cast<int>(std::clamp(std::strtol(w.c_str(), nullptr, 10), 0L, 1000L));
        };
        if (!min.empty() && min != "*") m.width_min = clamped(min);
        if (!max.empty() && max != "*") m.width_max = clamped(max);
        pres = marker.substr(1, comma - 1);
      } else {
        pres = marker.size() > 1 ? marker.substr(1) : "";
      }
      if (pres.size() == 1) {
        m.presentation1 = pres;
      } else if (pres.size() > 1) {
        char last = pres.back();
        if (std::string_view("atco").find(last) != std::string_view::npos) {
          m.presentation2 = std::string(1, last);
          m.presentation1 = pres.substr(0, pres.size() - 1);
        } else {
          m.presentation1 = pres;
        }
      } else {
        m.presentation1 = default_for(m.component);
      }
      if (m.presentation1.empty())
        throw failure("D3132").with_text("value", std::string(1, m.component));
      if (m.presentation1[0] == 'n') {
        m.has_names = true;
        m.names = Case::Lower;
      } else if (m.presentation1[0] == 'N') {
        m.has_names = true;
        m.names =
            m.presentation1.size() > 1 && m.presentation1[1] == 'n' ? Case::Title : Case::Upper;
      } else if (std::string_view("YMDdFWwXxHhmsf").find(m.component) != std::string_view::npos) {
        std::string pattern = m.presentation1;
        if (!m.presentation2.empty()) pattern += ";" + m.presentation2;
        m.integer = analyse_integer_picture(pattern);
        if (m.width_min >= 0 && m.integer.mandatory < m.width_min)
          m.integer.mandatory = m.width_min;
        if (m.component == 'Y' || m.component == 'M' || m.component == 'D') {
          if (m.width_max >= 0) {
            m.year_digits = m.width_max;
            m.integer.mandatory = m.width_max;
          } else if (m.integer.mandatory + m.integer.optional >= 2) {
            m.year_digits = m.integer.mandatory + m.integer.optional;
          }
        }
      }
      if (m.component == 'Z' || m.component == 'z')
        m.integer = analyse_integer_picture(m.presentation1);
      out.push_back(std::move(m));
      start = pos + 1;
    }
    ++pos;
  }
  add_literal(start, pos);
  return out;
}

// The start (ms) of week 1 of the year or month starting at `first_day` (days since epoch):
// the week holding its first Thursday, weeks starting on Monday.
std::int64_t start_of_first_week(std::int64_t first_day) {
  std::int64_t dow = ((first_day % 7) + 7 + 3) % 7 + 1;  // 1 = Monday ... 7 = Sunday
  std::int64_t start = dow > 4 ? first_day + (8 - dow) : first_day - (dow - 1);
  return start * kDayMs;
}

std::int64_t first_of(std::int64_t year, int month0) {
  while (month0 < 0) {
    month0 += 12;
    --year;
  }
  while (month0 > 11) {
    month0 -= 12;
    ++year;
  }
  return days_from_civil(year, static_cast<unsigned>(month0 + 1), 1);
}

struct Broken {
  std::int64_t year;
  int month, day, hour, minute, second, millis, weekday, day_of_year;
  std::int64_t day_number, ms;
};

Broken break_down(std::int64_t ms) {
  Broken b;
  b.ms = ms;
  b.day_number = floor_div(ms, kDayMs);
  std::int64_t in_day = ms - b.day_number * kDayMs;
  Civil c = civil_from_days(b.day_number);
  b.year = c.year;
  b.month = static_cast<int>(c.month);
  b.day = static_cast<int>(c.day);
  b.hour = static_cast<int>(in_day / 3600000);
  b.minute = static_cast<int>(in_day / 60000 % 60);
  b.second = static_cast<int>(in_day / 1000 % 60);
  b.millis = static_cast<int>(in_day % 1000);
  b.weekday = static_cast<int>(((b.day_number % 7) + 7 + 3) % 7 + 1);
  b.day_of_year = static_cast<int>(b.day_number - days_from_civil(b.year, 1, 1) + 1);
  return b;
}

double component_value(const Broken& b, char component) {
  switch (component) {
    case 'Y':
      return static_cast<double>(b.year);
    case 'M':
      return b.month;
    case 'D':
      return b.day;
    case 'd':
      return b.day_of_year;
    case 'F':
      return b.weekday;
    case 'H':
      return b.hour;
    case 'h':
      return b.hour % 12 == 0 ? 12 : b.hour % 12;
    case 'm':
      return b.minute;
    case 's':
      return b.second;
    case 'f':
      return b.millis;
    case 'W': {
      std::int64_t today = b.day_number * kDayMs;
      double week =
          static_cast<double>(today - start_of_first_week(first_of(b.year, 0))) / (kDayMs * 7.0) +
          1;
      if (week > 52) {
        if (today >= start_of_first_week(first_of(b.year + 1, 0))) week = 1;
      } else if (week < 1) {
        week = static_cast<double>(today - start_of_first_week(first_of(b.year - 1, 0))) /
                   (kDayMs * 7.0) +
               1;
      }
      return std::floor(week);
    }
    case 'w': {
      std::int64_t today = b.day_number * kDayMs;
      int m0 = b.month - 1;
      double week =
          static_cast<double>(today - start_of_first_week(first_of(b.year, m0))) / (kDayMs * 7.0) +
          1;
      if (week > 4) {
        if (today >= start_of_first_week(first_of(b.year, m0 + 1))) week = 1;
      } else if (week < 1) {
        week = static_cast<double>(today - start_of_first_week(first_of(b.year, m0 - 1))) /
                   (kDayMs * 7.0) +
               1;
      }
      return std::floor(week);
    }
    case 'X': {
      if (b.ms < start_of_first_week(first_of(b.year, 0))) return static_cast<double>(b.year - 1);
      if (b.ms >= start_of_first_week(first_of(b.year + 1, 0)))
        return static_cast<double>(b.year + 1);
      return static_cast<double>(b.year);
    }
    case 'x': {
      int m0 = b.month - 1;
      if (b.ms < start_of_first_week(first_of(b.year, m0))) return m0 == 0 ? 12 : m0;
      if (b.ms >= start_of_first_week(first_of(b.year, m0 + 1))) return m0 + 2 > 12 ? 1 : m0 + 2;
      return m0 + 1;
    }
  }
  return 0;
}

std::string apply_case(std::string s, Case c) {
  if (c == Case::Title) return s;
  return ascii_case(std::move(s), c);
}

std::string format_date(std::int64_t millis, const std::vector<Marker>& picture,
                        int offset_minutes) {
  Broken b = break_down(millis + static_cast<std::int64_t>(offset_minutes) * 60000);
  std::string out;
  for (auto& m : picture) {
    if (m.literal) {
      out += m.text;
      continue;
    }
    char c = m.component;
    if (std::string_view("YMDdFWwXxHhms").find(c) != std::string_view::npos) {
      double v = component_value(b, c);
      if (c == 'Y' && m.year_digits > 0) v = std::fmod(v, std::pow(10, m.year_digits));
      if (m.has_names) {
        std::string name;
        if (c == 'M' || c == 'x')
          name = kMonths[static_cast<int>(v) - 1];
        else if (c == 'F')
          name = kDays[static_cast<int>(v)];
        else
          throw failure("D3133").with_text("value", std::string(1, c));
        name = apply_case(name, m.names);
        if (m.width_max > 0 && static_cast<int>(name.size()) > m.width_max)
          name = name.substr(0, m.width_max);
        out += name;
      } else {
        out += format_integer(v, m.integer);
      }
    } else if (c == 'f') {
      out += format_integer(b.millis, m.integer);
    } else if (c == 'Z' || c == 'z') {
      int hours = std::abs(offset_minutes) / 60, minutes = std::abs(offset_minutes) % 60;
      int sign = offset_minutes < 0 ? -1 : 1;
      int hhmm = sign * (hours * 100 + minutes);
      std::string v;
      if (m.integer.regular) {
        v = format_integer(hhmm, m.integer);
      } else {
        int digits = m.integer.mandatory;
        if (digits == 1 || digits == 2) {
          v = format_integer(sign * hours, m.integer);
          if (minutes != 0) v += ":" + format_integer(minutes, analyse_integer_picture("00"));
        } else if (digits == 3 || digits == 4) {
          v = format_integer(hhmm, m.integer);
        } else {
          throw failure("D3134").with_number("value", digits);
        }
      }
      if (offset_minutes >= 0) v = "+" + v;
      if (c == 'z') v = "GMT" + v;
      if (offset_minutes == 0 && m.presentation2 == "t") v = "Z";
      out += v;
    } else if (c == 'P') {
      std::string v = b.hour >= 12 ? "pm" : "am";
      if (m.has_names && m.names == Case::Upper) v = ascii_case(v, Case::Upper);
      out += v;
    } else if (c == 'C' || c == 'E') {
      out += "ISO";
    } else {
      throw failure("D3132").with_text("value", std::string(1, c));
    }
  }
  return out;
}

const std::vector<Marker>& iso_picture() {
  static const std::vector<Marker> picture =
      analyse_date_picture("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]");
  return picture;
}

// "+0530", "-05:00", "0100": minutes east of UTC.
int parse_timezone(std::string_view tz) {
  int sign = 1;
  std::size_t i = 0;
  if (i < tz.size() && (tz[i] == '+' || tz[i] == '-')) sign = tz[i++] == '-' ? -1 : 1;
  std::string digits;
  for (; i < tz.size(); ++i)
    if (std::isdigit(static_cast<unsigned char>(tz[i]))) digits += tz[i];
  int value =
      digits.empty()
          ? 0
          : static_cast<int>(std::clamp(std::strtol(digits.c_str(), nullptr, 10), 0L, 9999L));
  return sign * ((value / 100) * 60 + value % 100);
}

bool millis_in_range(double ms) {
  return std::isfinite(ms) && std::fabs(ms) <= 8.64e15;
}

// --- parsing timestamps -----------------------------------------------------------------------

// ISO 8601 as $toMillis accepts it without a picture.
bool parse_iso(std::string_view s, double* out) {
  auto digits = [&](std::size_t at, std::size_t n, int* v) {
    if (at + n > s.size()) return false;
    int x = 0;
    for (std::size_t k = 0; k < n; ++k) {
      if (!std::isdigit(static_cast<unsigned char>(s[at + k]))) return false;
      x = x * 10 + (s[at + k] - '0');
    }
    *v = x;
    return true;
  };
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  double frac = 0;
  std::size_t i = 0;
  if (!digits(0, 4, &year)) return false;
  i = 4;
  if (i < s.size() && s[i] == '-') {
    if (!digits(i + 1, 2, &month)) return false;
    i += 3;
    if (i < s.size() && s[i] == '-') {
      if (!digits(i + 1, 2, &day)) return false;
      i += 3;
    }
  }
  if (i < s.size() && s[i] == 'T') {
    if (!digits(i + 1, 2, &hour) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !digits(i + 4, 2, &minute) || i + 6 >= s.size() || s[i + 6] != ':' ||
        !digits(i + 7, 2, &second))
      return false;
    i += 9;
  }
  if (i < s.size() && s[i] == '.') {
    std::size_t start = ++i;
    double scale = 0.1;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      frac += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
    if (i == start) return false;
  }
  int offset = 0;
  if (i < s.size() && s[i] == 'Z') {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i] == '-' ? -1 : 1;
    int hh = 0, mm = 0;
    if (!digits(i + 1, 2, &hh)) return false;
    std::size_t j = i + 3;
    if (j < s.size() && s[j] == ':') ++j;
    if (!digits(j, 2, &mm)) return false;
    offset = sign * (hh * 60 + mm);
    i = j + 2;
  }
  if (i != s.size()) return false;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 59)
    return false;
  std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  double ms = static_cast<double>(days) * kDayMs + hour * 3600000.0 + minute * 60000.0 +
              second * 1000.0 + std::floor(frac * 1000 + 1e-9) - offset * 60000.0;
  *out = ms;
  return true;
}

Value parse_with_picture(std::string_view s, std::string_view picture_text, std::int64_t now) {
  std::vector<Marker> picture = analyse_date_picture(picture_text);
  std::map<char, double> got;
  int offset = 0;
  bool pm = false, have_p = false;
  std::size_t i = 0;
  for (std::size_t k = 0; k < picture.size(); ++k) {
    const Marker& m = picture[k];
    if (m.literal) {
      if (s.substr(i, m.text.size()) != m.text) return {};
      i += m.text.size();
      continue;
    }
    bool next_is_marker = k + 1 < picture.size() && !picture[k + 1].literal;
    std::string_view rest = s.substr(i);
    char c = m.component;
    if (c == 'P') {
      std::string two = lower(rest.substr(0, 2));
      if (two != "am" && two != "pm") return {};
      pm = two == "pm";
      have_p = true;
      i += 2;
    } else if (c == 'Z' || c == 'z') {
      std::size_t j = 0;
      if (c == 'z') {
        if (rest.substr(0, 3) != "GMT") return {};
        j = 3;
      }
      if (j < rest.size() && rest[j] == 'Z') {
        offset = 0;
        i += j + 1;
        continue;
      }
      if (j >= rest.size() || (rest[j] != '+' && rest[j] != '-')) return {};
      std::size_t end = j + 1;
      while (end < rest.size() &&
             (std::isdigit(static_cast<unsigned char>(rest[end])) || rest[end] == ':'))
        ++end;
      std::string tz(rest.substr(j, end - j));
      std::string digits;
      for (char ch : tz)
        if (std::isdigit(static_cast<unsigned char>(ch))) digits += ch;
      int sign = tz[0] == '-' ? -1 : 1;
      int hh = 0, mm = 0;
      auto colon = tz.find(':');
      auto number = [](const std::string& t) {
        return static_cast<int>(std::clamp(std::strtol(t.c_str(), nullptr, 10), 0L, 9999L));
      };
      if (colon != std::string::npos) {
        hh = number(tz.substr(1, colon - 1));
        mm = number(tz.substr(colon + 1));
      } else if (digits.size() <= 2) {
        hh = number(digits);
      } else {
        int v = number(digits);
        hh = v / 100;
        mm = v % 100;
      }
      offset = sign * (hh * 60 + mm);
      i += end;
    } else if (m.has_names) {
      std::size_t len = 0;
      while (len < rest.size() && std::isalpha(static_cast<unsigned char>(rest[len]))) ++len;
      std::string word = lower(rest.substr(0, len));
      if (word.empty()) return {};
      double value = -1;
      if (c == 'M' || c == 'x') {
        for (int mo = 0; mo < 12; ++mo)
          if (lower(kMonths[mo]).rfind(word, 0) == 0 && word.size() >= 3) value = mo + 1;
      } else if (c == 'F') {
        for (int d = 1; d <= 7; ++d)
          if (lower(kDays[d]).rfind(word, 0) == 0 && word.size() >= 2) value = d;
      } else {
        throw failure("D3133").with_text("value", std::string(1, c));
      }
      if (value < 0) return {};
      got[c] = value;
      i += len;
    } else if (std::string_view("YMDdFWwXxHhmsf").find(c) != std::string_view::npos) {
      double v = 0;
      std::size_t max_digits = 0;
      if (next_is_marker && m.integer.primary == Primary::Decimal)
        max_digits = std::max(1, m.integer.mandatory);
      std::size_t used = read_integer(rest, m.integer, &v, max_digits);
      if (used == 0) return {};
      got[c] = v;
      i += used;
    } else {
      throw failure("D3132").with_text("value", std::string(1, c));
    }
  }
  if (i != s.size()) return {};
  Broken now_b = break_down(now);
  if (got.count('h')) {
    double h = std::fmod(got['h'], 12);
    got['H'] = have_p && pm ? h + 12 : h;
  } else if (have_p && got.count('H') && pm && got['H'] < 12) {
    got['H'] += 12;
  }
  if (got.count('d') && got.count('Y') == 0) got['Y'] = static_cast<double>(now_b.year);
  // Beyond these no calendar arithmetic is meaningful (JavaScript dates end at +-275760).
  for (auto& [k, v] : got)
    if (!std::isfinite(v) || std::fabs(v) > 1e6) return {};
  if (got.count('d')) {
    std::int64_t days = days_from_civil(static_cast<std::int64_t>(got['Y']), 1, 1) +
                        static_cast<std::int64_t>(got['d']) - 1;
    double ms = static_cast<double>(days) * kDayMs + got['H'] * 3600000 + got['m'] * 60000 +
                got['s'] * 1000 + got['f'];
    return Value::number(ms - offset * 60000.0);
  }
  // Missing components above the highest one given come from now; those below are minimal.
  const char order[] = {'Y', 'M', 'D', 'H', 'm', 's', 'f'};
  int highest = -1, lowest = -1;
  for (int k = 0; k < 7; ++k)
    if (got.count(order[k])) {
      if (highest < 0) highest = k;
      lowest = k;
    }
  if (highest < 0) return {};  // nothing to read a time from
  for (int k = highest; k <= lowest; ++k)
    if (!got.count(order[k])) throw failure("D3136");
  const double now_values[] = {static_cast<double>(now_b.year),   static_cast<double>(now_b.month),
                               static_cast<double>(now_b.day),    static_cast<double>(now_b.hour),
                               static_cast<double>(now_b.minute), static_cast<double>(now_b.second),
                               static_cast<double>(now_b.millis)};
  const double minimum[] = {0, 1, 1, 0, 0, 0, 0};
  double v[7];
  for (int k = 0; k < 7; ++k)
    v[k] = got.count(order[k]) ? got[order[k]] : k < highest ? now_values[k] : minimum[k];
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31) return {};
  std::int64_t days = days_from_civil(static_cast<std::int64_t>(v[0]), static_cast<unsigned>(v[1]),
                                      static_cast<unsigned>(v[2]));
  double ms =
      static_cast<double>(days) * kDayMs + v[3] * 3600000 + v[4] * 60000 + v[5] * 1000 + v[6];
  return Value::number(ms - offset * 60000.0);
}

// --- the functions ----------------------------------------------------------------------------

Value from_millis(double ms, const Value& picture, const Value& timezone) {
  if (!millis_in_range(ms)) return {};
  int offset = timezone.is_string() ? parse_timezone(timezone.str()) : 0;
  auto stamp = static_cast<std::int64_t>(std::floor(ms));
  if (picture.is_string())
    return Value::string(format_date(stamp, analyse_date_picture(picture.str()), offset));
  return Value::string(format_date(stamp, iso_picture(), offset));
}

Value fn_from_millis(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  return from_millis(c.arg(0).num(), c.arg(1), c.arg(2));
}

Value fn_now(CallContext& c) {
  return from_millis(static_cast<double>(c.ev.now_millis()), c.arg(0), c.arg(1));
}

Value fn_millis(CallContext& c) {
  return Value::number(static_cast<double>(c.ev.now_millis()));
}

Value fn_to_millis(CallContext& c) {
  const Value& ts = c.arg(0);
  if (ts.undefined()) return {};
  if (c.arg(1).is_string()) return parse_with_picture(ts.str(), c.arg(1).str(), c.ev.now_millis());
  double ms = 0;
  if (!parse_iso(ts.str(), &ms)) throw failure("D3110").with("value", ts);
  return Value::number(ms);
}

Value fn_format_integer(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  return Value::string(
      format_integer(std::floor(c.arg(0).num()), analyse_integer_picture(c.arg(1).str())));
}

Value fn_parse_integer(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  IntegerFormat f = analyse_integer_picture(c.arg(1).str());
  std::string_view s = c.arg(0).str();
  bool negative = !s.empty() && s[0] == '-';
  if (negative) s.remove_prefix(1);
  double v = 0;
  std::size_t used = read_integer(s, f, &v);
  if (used == 0 || used != s.size()) return {};
  return Value::number(negative ? -v : v);
}

}  // namespace

void add_datetime_functions(std::vector<Builtin>& out) {
  out.push_back({"now", "<s?s?:s>", fn_now, 2, {}});
  out.push_back({"millis", "<:n>", fn_millis, 0, {}});
  out.push_back({"fromMillis", "<n-s?s?:s>", fn_from_millis, 3, {}});
  out.push_back({"toMillis", "<s-s?:n>", fn_to_millis, 2, {}});
  out.push_back({"formatInteger", "<n-s:s>", fn_format_integer, 2, {}});
  out.push_back({"parseInteger", "<s-s:n>", fn_parse_integer, 2, {}});
}

}  // namespace wyvern::jsonata::detail
