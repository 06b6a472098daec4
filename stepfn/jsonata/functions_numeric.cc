// Numeric functions: $number $abs $floor $ceil $round (half to even) $power $sqrt $random
// $formatNumber (XPath F&O 3.1 format-number pictures) and $formatBase.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>

#include "stepfn/jsonata/runtime.h"

namespace wyvern::jsonata::detail {

namespace {

Value checked(double d) {
  if (!std::isfinite(d)) throw failure("D1001").with_number("value", d);
  return Value::number(d == 0 ? 0.0 : d);  // JSON has no -0
}

bool matches_decimal(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  std::size_t digits = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == digits) return false;
  if (i < s.size() && s[i] == '.') {
    std::size_t frac = ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == frac) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exp = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == exp) return false;
  }
  return i == s.size();
}

bool parse_prefixed(std::string_view s, double* out) {
  if (s.size() < 3 || s[0] != '0') return false;
  int base = 0;
  switch (s[1]) {
    case 'x':
    case 'X':
      base = 16;
      break;
    case 'o':
    case 'O':
      base = 8;
      break;
    case 'b':
    case 'B':
      base = 2;
      break;
    default:
      return false;
  }
  double v = 0;
  for (std::size_t i = 2; i < s.size(); ++i) {
    char c = s[i];
    int d = (c >= '0' && c <= '9')   ? c - '0'
            : (c >= 'a' && c <= 'f') ? c - 'a' + 10
            : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                     : 99;
    if (d >= base) return false;
    v = v * base + d;
  }
  *out = v;
  return true;
}

Value fn_number(CallContext& c) {
  const Value& v = c.arg(0);
  if (v.undefined()) return {};
  if (v.is_number()) return v;
  if (v.is_bool()) return Value::number(v.as_bool() ? 1 : 0);
  if (v.is_string()) {
    std::string s(v.str());
    if (matches_decimal(s)) {
      double d = std::strtod(s.c_str(), nullptr);
      if (std::isfinite(d)) return Value::number(d == 0 ? 0.0 : d);
    }
    double d = 0;
    if (parse_prefixed(s, &d)) return Value::number(d);
  }
  throw failure("D3030").with("value", v).with_number("index", 1);
}

Value fn_abs(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  return Value::number(std::fabs(c.arg(0).num()));
}

Value fn_floor(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  return checked(std::floor(c.arg(0).num()));
}

Value fn_ceil(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  return checked(std::ceil(c.arg(0).num()));
}

// Shifts the decimal point by `places` through the number's text, as JSONata does, so that
// no binary multiplication error creeps in (1.005 * 100 is 100.49999...).
double shift_decimal(double value, int places) {
  std::string text = js_number_to_string(value);
  auto e = text.find('e');
  std::string mantissa = text.substr(0, e);
  long exponent = e == std::string::npos ? 0 : std::strtol(text.c_str() + e + 1, nullptr, 10);
  std::string shifted = mantissa + "e" + std::to_string(exponent + places);
  return std::strtod(shifted.c_str(), nullptr);
}

double js_round(double x) {
  double r = std::floor(x);
  if (x - r >= 0.5) r += 1;
  return r;
}

}  // namespace

double round_half_even(double value, int precision) {
  double arg = precision ? shift_decimal(value, precision) : value;
  double result = js_round(arg);
  double diff = result - arg;
  if (std::fabs(diff) == 0.5 && std::fabs(std::fmod(result, 2)) == 1) result -= 1;
  if (precision) result = shift_decimal(result, -precision);
  return result == 0 ? 0.0 : result;
}

namespace {

Value fn_round(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  // Past +-400 places every double rounds to itself or to zero.
  double places = c.arg(1).defined() ? std::clamp(js_trunc(c.arg(1).num()), -400.0, 400.0) : 0;
  int precision = static_cast<int>(places);
  return checked(round_half_even(c.arg(0).num(), precision));
}

Value fn_power(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  double r = std::pow(c.arg(0).num(), c.arg(1).num());
  if (!std::isfinite(r)) throw failure("D3061").with("value", c.arg(0)).with("exp", c.arg(1));
  return Value::number(r);
}

Value fn_sqrt(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  double v = c.arg(0).num();
  if (v < 0) throw failure("D3060").with("value", c.arg(0)).with_number("index", 1);
  return Value::number(std::sqrt(v));
}

Value fn_random(CallContext& c) {
  return Value::number(std::uniform_real_distribution<double>(0.0, 1.0)(c.ev.rng()));
}

Value fn_format_base(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  double value = round_half_even(c.arg(0).num(), 0);
  double radix = c.arg(1).defined() ? round_half_even(c.arg(1).num(), 0) : 10;
  if (radix < 2 || radix > 36) throw failure("D3100").with_number("value", radix);
  bool negative = value < 0;
  double v = std::fabs(value);
  std::string digits;
  int base = static_cast<int>(radix);
  do {
    int d = static_cast<int>(std::fmod(v, base));
    digits += static_cast<char>(d < 10 ? '0' + d : 'a' + d - 10);
    v = std::floor(v / base);
  } while (v > 0);
  if (negative) digits += '-';
  return Value::string(std::string(digits.rbegin(), digits.rend()));
}

// --- $formatNumber ----------------------------------------------------------------------------

using U32 = std::u32string;

U32 to_u32(std::string_view s) {
  U32 out;
  for (auto ch : utf8_chars(s)) {
    auto b = [&](std::size_t i) {
      return static_cast<char32_t>(static_cast<unsigned char>(ch[i]));
    };
    if (ch.size() == 1)
      out += b(0);
    else if (ch.size() == 2)
      out += ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    else if (ch.size() == 3)
      out += ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    else
      out += ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
  return out;
}

std::string to_utf8(const U32& s) {
  std::string out;
  for (char32_t c : s) append_utf8(out, c);
  return out;
}

struct Properties {
  U32 decimal = U".", grouping = U",", exponent = U"e", infinity = U"Infinity", minus = U"-",
      nan = U"NaN", percent = U"%", per_mille = U"\u2030", zero = U"0", digit = U"#",
      separator = U";";
};

struct Picture {
  U32 prefix, suffix, active, mantissa, integer, fractional, whole;
  bool has_exponent = false;
  U32 exponent_part;
  std::vector<int> integer_groups, fraction_groups;
  int regular = 0, min_int = 0, scaling = 0, min_frac = 0, max_frac = 0, min_exp = 0;
};

class NumberFormatter {
 public:
  explicit NumberFormatter(const Properties& p) : p_(p) {
    for (int i = 0; i < 10; ++i) family_ += static_cast<char32_t>(p.zero[0] + i);
  }

  std::string format(double value, const U32& picture) {
    std::vector<U32> subs;
    std::size_t start = 0;
    for (;;) {
      auto at = picture.find(p_.separator, start);
      if (at == U32::npos) {
        subs.push_back(picture.substr(start));
        break;
      }
      subs.push_back(picture.substr(start, at - start));
      start = at + p_.separator.size();
    }
    if (subs.size() > 2) throw failure("D3080");
    std::vector<Picture> pics;
    for (auto& s : subs) pics.push_back(split(s));
    for (auto& pic : pics) validate(pic);
    for (auto& pic : pics) analyse(pic);
    if (pics.size() == 1) {
      pics.push_back(pics[0]);
      pics[1].prefix = p_.minus + pics[1].prefix;
    }
    const Picture& pic = value >= 0 ? pics[0] : pics[1];
    double adjusted = value;
    if (pic.whole.find(p_.percent) != U32::npos)
      adjusted = value * 100;
    else if (pic.whole.find(p_.per_mille) != U32::npos)
      adjusted = value * 1000;
    double mantissa = adjusted;
    bool use_exponent = pic.min_exp > 0;
    int exponent = 0;
    if (use_exponent && mantissa != 0) {
      double max_m = std::pow(10, pic.scaling), min_m = std::pow(10, pic.scaling - 1);
      while (std::fabs(mantissa) < min_m) {
        mantissa *= 10;
        exponent -= 1;
      }
      while (std::fabs(mantissa) > max_m) {
        mantissa /= 10;
        exponent += 1;
      }
    }
    double rounded = round_half_even(mantissa, pic.max_frac);
    U32 s = fixed(rounded, pic.max_frac);
    auto dot = s.find(U'.');
    if (dot == U32::npos)
      s += p_.decimal;
    else
      s.replace(dot, 1, p_.decimal);
    while (!s.empty() && s.front() == p_.zero[0]) s.erase(0, 1);
    while (!s.empty() && s.back() == p_.zero[0]) s.pop_back();
    auto dpos = static_cast<long>(s.find(p_.decimal));
    long pad_left = pic.min_int - dpos;
    long pad_right =
        pic.min_frac - (static_cast<long>(s.size()) - dpos - static_cast<long>(p_.decimal.size()));
    if (pad_left > 0) s = U32(static_cast<std::size_t>(pad_left), p_.zero[0]) + s;
    if (pad_right > 0) s += U32(static_cast<std::size_t>(pad_right), p_.zero[0]);
    dpos = static_cast<long>(s.find(p_.decimal));
    if (pic.regular > 0) {
      long groups = (dpos - 1) / pic.regular;
      for (long g = 1; g <= groups; ++g)
        s.insert(static_cast<std::size_t>(dpos - g * pic.regular), p_.grouping);
    } else {
      for (int pos : pic.integer_groups) {
        if (dpos - pos >= 0) s.insert(static_cast<std::size_t>(dpos - pos), p_.grouping);
        dpos += static_cast<long>(p_.grouping.size());
      }
    }
    dpos = static_cast<long>(s.find(p_.decimal));
    for (int pos : pic.fraction_groups) {
      std::size_t at = static_cast<std::size_t>(pos + dpos + 1);
      if (at <= s.size()) s.insert(at, p_.grouping);
    }
    // No fractional digits: drop the decimal separator.
    if (s.size() >= p_.decimal.size() &&
        s.compare(s.size() - p_.decimal.size(), p_.decimal.size(), p_.decimal) == 0)
      s.erase(s.size() - p_.decimal.size());
    if (use_exponent) {
      U32 e = fixed(std::fabs(static_cast<double>(exponent)), 0);
      if (static_cast<int>(e.size()) < pic.min_exp) e = U32(pic.min_exp - e.size(), p_.zero[0]) + e;
      s += p_.exponent + (exponent < 0 ? p_.minus : U32()) + e;
    }
    return to_utf8(pic.prefix + s + pic.suffix);
  }

 private:
  bool in_family(char32_t c) const { return family_.find(c) != U32::npos; }
  bool is_digitish(char32_t c) const { return in_family(c) || c == p_.digit[0]; }
  bool is_active(char32_t c) const {
    return in_family(c) || c == p_.decimal[0] || c == p_.exponent[0] || c == p_.grouping[0] ||
           c == p_.digit[0] || c == p_.separator[0];
  }

  U32 fixed(double v, int dp) const {
    char buf[512];
    std::snprintf(buf, sizeof buf, "%.*f", std::max(0, std::min(dp, 100)), std::fabs(v));
    U32 out;
    for (char* p = buf; *p; ++p)
      out += (*p >= '0' && *p <= '9') ? family_[*p - '0'] : static_cast<char32_t>(*p);
    return out;
  }

  Picture split(const U32& sub) const {
    Picture pic;
    pic.whole = sub;
    std::size_t first = sub.size(), last = sub.size();
    for (std::size_t i = 0; i < sub.size(); ++i)
      if (is_active(sub[i]) && sub[i] != p_.exponent[0]) {
        first = i;
        break;
      }
    for (std::size_t i = sub.size(); i-- > 0;)
      if (is_active(sub[i]) && sub[i] != p_.exponent[0]) {
        last = i;
        break;
      }
    pic.prefix = sub.substr(0, first);
    pic.suffix = last == sub.size() ? U32() : sub.substr(last + 1);
    pic.active = first == sub.size() ? U32() : sub.substr(first, last - first + 1);
    auto exp_at = pic.active.find(p_.exponent);
    if (exp_at == U32::npos) {
      pic.mantissa = pic.active;
    } else {
      pic.mantissa = pic.active.substr(0, exp_at);
      pic.exponent_part = pic.active.substr(exp_at + p_.exponent.size());
      pic.has_exponent = true;
    }
    auto dot = pic.mantissa.find(p_.decimal);
    if (dot == U32::npos) {
      pic.integer = pic.mantissa;
    } else {
      pic.integer = pic.mantissa.substr(0, dot);
      pic.fractional = pic.mantissa.substr(dot + p_.decimal.size());
    }
    return pic;
  }

  void validate(const Picture& pic) const {
    const U32& sub = pic.whole;
    auto count = [&](const U32& needle) {
      std::size_t n = 0;
      for (std::size_t at = sub.find(needle); at != U32::npos;
           at = sub.find(needle, at + needle.size()))
        ++n;
      return n;
    };
    if (count(p_.decimal) > 1) throw failure("D3081");
    if (count(p_.percent) > 1) throw failure("D3082");
    if (count(p_.per_mille) > 1) throw failure("D3083");
    if (count(p_.percent) && count(p_.per_mille)) throw failure("D3084");
    bool valid = false;
    for (char32_t ch : pic.mantissa)
      if (is_digitish(ch)) valid = true;
    if (!valid) throw failure("D3085");
    for (char32_t ch : pic.active)
      if (!is_active(ch)) throw failure("D3086");
    auto dot = sub.find(p_.decimal);
    if (dot != U32::npos) {
      if ((dot > 0 && sub[dot - 1] == p_.grouping[0]) ||
          (dot + 1 < sub.size() && sub[dot + 1] == p_.grouping[0]))
        throw failure("D3087");
    } else if (!pic.integer.empty() && pic.integer.back() == p_.grouping[0]) {
      throw failure("D3088");
    }
    if (sub.find(p_.grouping + p_.grouping) != U32::npos) throw failure("D3089");
    auto opt = pic.integer.find(p_.digit);
    if (opt != U32::npos)
      for (std::size_t i = 0; i < opt; ++i)
        if (in_family(pic.integer[i])) throw failure("D3090");
    auto last_opt = pic.fractional.rfind(p_.digit);
    if (last_opt != U32::npos)
      for (std::size_t i = last_opt; i < pic.fractional.size(); ++i)
        if (in_family(pic.fractional[i])) throw failure("D3091");
    if (pic.has_exponent && !pic.exponent_part.empty() &&
        (count(p_.percent) || count(p_.per_mille)))
      throw failure("D3092");
    if (pic.has_exponent) {
      if (pic.exponent_part.empty()) throw failure("D3093");
      for (char32_t ch : pic.exponent_part)
        if (!in_family(ch)) throw failure("D3093");
    }
  }

  void analyse(Picture& pic) const {
    auto digits_in = [&](const U32& part, std::size_t from, std::size_t to) {
      int n = 0;
      for (std::size_t i = from; i < to && i < part.size(); ++i)
        if (is_digitish(part[i])) ++n;
      return n;
    };
    for (auto at = pic.integer.find(p_.grouping); at != U32::npos;
         at = pic.integer.find(p_.grouping, at + 1))
      pic.integer_groups.push_back(digits_in(pic.integer, at, pic.integer.size()));
    for (auto at = pic.fractional.find(p_.grouping); at != U32::npos;
         at = pic.fractional.find(p_.grouping, at + 1))
      pic.fraction_groups.push_back(digits_in(pic.fractional, 0, at));
    // Regular grouping: every separator at a multiple of one interval.
    if (!pic.integer_groups.empty()) {
      int factor = 0;
      for (int g : pic.integer_groups) factor = std::gcd(factor, g);
      bool regular = factor > 0;
      for (std::size_t k = 1; regular && k <= pic.integer_groups.size(); ++k)
        if (std::find(pic.integer_groups.begin(), pic.integer_groups.end(),
                      static_cast<int>(k) * factor) == pic.integer_groups.end())
          regular = false;
      pic.regular = regular ? factor : 0;
    }
    for (char32_t ch : pic.integer)
      if (in_family(ch)) ++pic.min_int;
    pic.scaling = pic.min_int;
    for (char32_t ch : pic.fractional) {
      if (in_family(ch)) ++pic.min_frac;
      if (is_digitish(ch)) ++pic.max_frac;
    }
    if (pic.min_int == 0 && pic.max_frac == 0) {
      if (pic.has_exponent) {
        pic.min_frac = pic.max_frac = 1;
      } else {
        pic.min_int = 1;
      }
    }
    if (pic.has_exponent && pic.min_int == 0 && pic.integer.find(p_.digit) != U32::npos)
      pic.min_int = 1;
    if (pic.min_int == 0 && pic.min_frac == 0) pic.min_frac = 1;
    if (pic.has_exponent)
      for (char32_t ch : pic.exponent_part)
        if (in_family(ch)) ++pic.min_exp;
  }

  const Properties& p_;
  U32 family_;
};

Value fn_format_number(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  Properties props;
  if (c.arg(2).is_object()) {
    c.arg(2).for_each_entry([&](std::string_view key, const Value& v) {
      if (!v.is_string() || v.str().empty()) return;
      U32 text = to_u32(v.str());
      if (key == "decimal-separator")
        props.decimal = text;
      else if (key == "grouping-separator")
        props.grouping = text;
      else if (key == "exponent-separator")
        props.exponent = text;
      else if (key == "infinity")
        props.infinity = text;
      else if (key == "minus-sign")
        props.minus = text;
      else if (key == "NaN")
        props.nan = text;
      else if (key == "percent")
        props.percent = text;
      else if (key == "per-mille")
        props.per_mille = text;
      else if (key == "zero-digit")
        props.zero = text;
      else if (key == "digit")
        props.digit = text;
      else if (key == "pattern-separator")
        props.separator = text;
    });
  }
  NumberFormatter f(props);
  return Value::string(f.format(c.arg(0).num(), to_u32(c.arg(1).str())));
}

}  // namespace

void add_numeric_functions(std::vector<Builtin>& out) {
  out.push_back({"number", "<(nsbl)-:(n)>", fn_number, 1, {}});
  out.push_back({"abs", "<n-:n>", fn_abs, 1, {}});
  out.push_back({"floor", "<n-:n>", fn_floor, 1, {}});
  out.push_back({"ceil", "<n-:n>", fn_ceil, 1, {}});
  out.push_back({"round", "<n-n?:n>", fn_round, 2, {}});
  out.push_back({"power", "<n-n:n>", fn_power, 2, {}});
  out.push_back({"sqrt", "<n-:n>", fn_sqrt, 1, {}});
  out.push_back({"random", "<:n>", fn_random, 0, {}});
  out.push_back({"formatNumber", "<n-so?:s>", fn_format_number, 3, {}});
  out.push_back({"formatBase", "<n-n?:s>", fn_format_base, 2, {}});
}

}  // namespace wyvern::jsonata::detail
