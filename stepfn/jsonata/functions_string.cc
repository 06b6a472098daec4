// String functions: $length $substring $substringBefore $substringAfter $uppercase $lowercase
// $trim $pad $contains $split $join $match $replace $base64encode $base64decode and the four URL
// codecs. Characters are Unicode code points, as JSONata counts them. The pattern arguments of
// $contains/$split/$match/$replace take a string, a /regex/, or a custom matcher function.
#include <cctype>
#include <cmath>
#include <cstring>

#include "stepfn/jsonata/regex.h"
#include "stepfn/jsonata/runtime.h"

namespace wyvern::jsonata::detail {

namespace {

std::string slice_chars(const std::vector<std::string_view>& chars, double start, double end) {
  double len = static_cast<double>(chars.size());
  start = js_trunc(start);
  end = js_trunc(end);
  if (start < 0) start = std::max(len + start, 0.0);
  if (end < 0) end = std::max(len + end, 0.0);
  start = std::min(start, len);
  end = std::min(end, len);
  std::string out;
  for (auto i = static_cast<std::size_t>(start); i < static_cast<std::size_t>(std::max(start, end));
       ++i)
    out.append(chars[i]);
  return out;
}

Value fn_length(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  return Value::number(static_cast<double>(utf8_length(c.arg(0).str())));
}

Value fn_substring(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  auto chars = utf8_chars(c.arg(0).str());
  double len = static_cast<double>(chars.size());
  double start = js_trunc(c.arg(1).num());
  if (len + start < 0) start = 0;
  if (c.arg(2).defined()) {
    double length = c.arg(2).num();
    if (length <= 0) return Value::string("");
    double end = start >= 0 ? start + length : len + start + length;
    return Value::string(slice_chars(chars, start, end));
  }
  return Value::string(slice_chars(chars, start, len));
}

Value fn_substring_before(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  std::string_view s = c.arg(0).str();
  auto pos = s.find(c.arg(1).str());
  return pos == std::string_view::npos ? c.arg(0) : Value::string(std::string(s.substr(0, pos)));
}

Value fn_substring_after(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  std::string_view s = c.arg(0).str();
  std::string_view t = c.arg(1).str();
  auto pos = s.find(t);
  return pos == std::string_view::npos ? c.arg(0)
                                       : Value::string(std::string(s.substr(pos + t.size())));
}

// Case mapping for the scripts JSON data meets most: Latin (with Latin-1 and Latin Extended-A),
// Greek and Cyrillic. Other characters are left as they are.
std::uint32_t decode_char(std::string_view ch) {
  auto b = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(ch[i]));
  };
  if (ch.size() == 1) return b(0);
  if (ch.size() == 2) return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
  if (ch.size() == 3) return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
  return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
}

std::uint32_t to_upper(std::uint32_t cp) {
  if (cp >= 'a' && cp <= 'z') return cp - 32;
  if (cp >= 0xE0 && cp <= 0xFE && cp != 0xF7) return cp - 32;
  if (cp == 0xFF) return 0x178;
  if (cp >= 0x100 && cp <= 0x17F && cp != 0x130 && cp != 0x131 && cp != 0x138 && cp != 0x149) {
    bool odd_lower = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    if (odd_lower ? (cp % 2 == 0) : (cp % 2 == 1)) return cp - 1;
    return cp;
  }
  if (cp >= 0x3B1 && cp <= 0x3C9 && cp != 0x3C2) return cp - 32;
  if (cp == 0x3C2) return 0x3A3;
  if (cp >= 0x430 && cp <= 0x44F) return cp - 32;
  if (cp >= 0x450 && cp <= 0x45F) return cp - 80;
  return cp;
}

std::uint32_t to_lower(std::uint32_t cp) {
  if (cp >= 'A' && cp <= 'Z') return cp + 32;
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;
  if (cp == 0x178) return 0xFF;
  if (cp >= 0x100 && cp <= 0x17F && cp != 0x130 && cp != 0x131 && cp != 0x138 && cp != 0x149) {
    bool odd_lower = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    if (odd_lower ? (cp % 2 == 1) : (cp % 2 == 0)) return cp + 1;
    return cp;
  }
  if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 32;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 32;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 80;
  return cp;
}

Value map_case(const Value& v, bool upper) {
  if (v.undefined()) return {};
  std::string out;
  for (auto ch : utf8_chars(v.str())) {
    if (ch.size() == 1) {
      char x = ch[0];
      out += upper ? (x >= 'a' && x <= 'z' ? x - 32 : x) : (x >= 'A' && x <= 'Z' ? x + 32 : x);
      continue;
    }
    std::uint32_t cp = decode_char(ch);
    if (upper && cp == 0xDF) {
      out += "SS";
      continue;
    }
    append_utf8(out, upper ? to_upper(cp) : to_lower(cp));
  }
  return Value::string(std::move(out));
}

Value fn_uppercase(CallContext& c) {
  return map_case(c.arg(0), true);
}
Value fn_lowercase(CallContext& c) {
  return map_case(c.arg(0), false);
}

Value fn_trim(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  std::string out;
  bool in_space = false;
  for (char ch : c.arg(0).str()) {
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
      if (!in_space) out += ' ';
      in_space = true;
    } else {
      out += ch;
      in_space = false;
    }
  }
  if (!out.empty() && out.front() == ' ') out.erase(0, 1);
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return Value::string(std::move(out));
}

Value fn_pad(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  std::string_view s = c.arg(0).str();
  std::string pad_char =
      c.arg(2).is_string() && !c.arg(2).str().empty() ? std::string(c.arg(2).str()) : " ";
  double width = js_trunc(c.arg(1).num());
  double size = std::fabs(width);
  double missing = size - static_cast<double>(utf8_length(s));
  if (missing <= 0) return c.arg(0);
  auto pad_chars = utf8_chars(pad_char);
  c.ev.charge(static_cast<std::uint64_t>(std::min(missing, 1e18)) / 2);
  std::string padding;
  for (std::size_t i = 0; i < static_cast<std::size_t>(missing); ++i)
    padding.append(pad_chars[i % pad_chars.size()]);
  return Value::string(width < 0 ? padding + std::string(s) : std::string(s) + padding);
}

// --- matchers ---------------------------------------------------------------------------------

struct Found {
  std::size_t start = 0, end = 0;  // byte offsets
  std::vector<Value> groups;
};

// Walks the matches of a regex (or of a custom matcher function) through a string with the
// semantics of JSONata's matcher closures, including D1004 for a repeated empty match.
class Matcher {
 public:
  Matcher(CallContext& c, const Value& pattern, std::string_view subject)
      : c_(c), pattern_(pattern), s_(subject) {}

  bool next(Found* out) {
    if (FunctionObj* f = pattern_.function(); f && f->kind == FunctionObj::Kind::Regex) {
      if (started_ && last_ >= s_.size()) return false;
      Regex::Match m;
      if (!f->regex->find(s_, last_, &m)) return false;
      if (started_ && m.start == m.end)
        throw failure("D1004").with("value", Value::string(f->regex->source));
      started_ = true;
      last_ = m.end;
      out->start = m.start;
      out->end = m.end;
      out->groups.clear();
      for (auto& g : m.groups) out->groups.push_back(g ? Value::string(*g) : Value());
      return true;
    }
    return custom(out);
  }

 private:
  bool custom(Found* out) {
    Value result;
    if (!started_) {
      result = c_.ev.apply(pattern_, {Value::string(std::string(s_))}, Value(), c_.env);
    } else {
      if (next_.undefined()) return false;
      result = c_.ev.apply(next_, {}, Value(), c_.env);
    }
    started_ = true;
    if (result.undefined()) return false;
    Value match, start, end, groups;
    if (!result.is_object() || !result.get("match", &match) || !result.get("start", &start) ||
        !result.get("end", &end) || !result.get("groups", &groups) || !match.is_string() ||
        !start.is_number() || !end.is_number() || !groups.is_array())
      throw failure("T1010");
    result.get("next", &next_);
    out->start = utf8_offset(s_, static_cast<std::size_t>(std::max(0.0, start.num())));
    out->end = utf8_offset(s_, static_cast<std::size_t>(std::max(0.0, end.num())));
    out->groups.clear();
    for (std::size_t i = 0; i < groups.size(); ++i) out->groups.push_back(groups.at(i));
    return true;
  }

  CallContext& c_;
  Value pattern_;
  std::string_view s_;
  std::size_t last_ = 0;
  bool started_ = false;
  Value next_;
};

Value fn_contains(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  std::string_view s = c.arg(0).str();
  if (c.arg(1).is_string()) return Value::boolean(s.find(c.arg(1).str()) != std::string_view::npos);
  Matcher m(c, c.arg(1), s);
  Found f;
  return Value::boolean(m.next(&f));
}

Value fn_split(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  std::string_view s = c.arg(0).str();
  const Value& limit_v = c.arg(2);
  if (limit_v.defined() && limit_v.num() < 0) throw failure("D3020").with("value", limit_v);
  double limit = limit_v.defined() ? js_trunc(limit_v.num()) : -1;
  std::vector<Value> out;
  auto full = [&] { return limit >= 0 && static_cast<double>(out.size()) >= limit; };
  if (limit != 0) {
    if (c.arg(1).is_string()) {
      std::string_view sep = c.arg(1).str();
      if (sep.empty()) {
        for (auto ch : utf8_chars(s)) {
          if (full()) break;
          out.push_back(Value::string(std::string(ch)));
        }
      } else {
        std::size_t pos = 0;
        for (;;) {
          if (full()) break;
          auto at = s.find(sep, pos);
          if (at == std::string_view::npos) {
            out.push_back(Value::string(std::string(s.substr(pos))));
            break;
          }
          out.push_back(Value::string(std::string(s.substr(pos, at - pos))));
          pos = at + sep.size();
        }
      }
    } else {
      Matcher m(c, c.arg(1), s);
      Found f;
      std::size_t start = 0;
      bool any = false;
      while (!full() && m.next(&f)) {
        any = true;
        out.push_back(
            Value::string(std::string(s.substr(start, f.start >= start ? f.start - start : 0))));
        start = f.end;
      }
      if (!any) {
        out.push_back(c.arg(0));
      } else if (!full()) {
        out.push_back(Value::string(std::string(s.substr(std::min(start, s.size())))));
      }
    }
  }
  return make_array(std::move(out));
}

Value fn_join(CallContext& c) {
  const Value& arr = c.arg(0);
  if (arr.undefined()) return {};
  std::string sep = c.arg(1).is_string() ? std::string(c.arg(1).str()) : "";
  std::string out;
  for (std::size_t i = 0; i < arr.size(); ++i) {
    if (i) out += sep;
    out += arr.at(i).str();
  }
  c.ev.charge(out.size() / 2);
  return Value::string(std::move(out));
}

Value fn_match(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  std::string_view s = c.arg(0).str();
  const Value& limit_v = c.arg(2);
  if (limit_v.defined() && limit_v.num() < 0) throw failure("D3040").with("value", limit_v);
  double limit = limit_v.defined() ? js_trunc(limit_v.num()) : -1;
  Value out = make_sequence();
  auto& items = out.heap_array()->items;
  if (limit != 0) {
    Matcher m(c, c.arg(1), s);
    Found f;
    while ((limit < 0 || static_cast<double>(items.size()) < limit) && m.next(&f)) {
      Value o = make_object();
      o.heap_object()->set("match", Value::string(std::string(s.substr(f.start, f.end - f.start))));
      o.heap_object()->set("index",
                           Value::number(static_cast<double>(utf8_length(s.substr(0, f.start)))));
      o.heap_object()->set("groups", make_array(f.groups));
      items.push_back(std::move(o));
    }
  }
  return out;
}

// The replacement text for one match: $0 is the match, $n a group, $$ a dollar sign.
std::string substitute(std::string_view replacement, std::string_view matched,
                       const std::vector<Value>& groups) {
  std::string out;
  std::size_t pos = 0;
  while (pos < replacement.size()) {
    auto dollar = replacement.find('$', pos);
    if (dollar == std::string_view::npos) break;
    out.append(replacement.substr(pos, dollar - pos));
    pos = dollar + 1;
    if (pos >= replacement.size()) {
      out += '$';
      break;
    }
    char next = replacement[pos];
    if (next == '$') {
      out += '$';
      ++pos;
    } else if (next == '0') {
      out.append(matched);
      ++pos;
    } else {
      std::size_t max_digits =
          groups.empty() ? 1 : static_cast<std::size_t>(std::floor(std::log10(groups.size()))) + 1;
      auto parse_digits = [&](std::size_t count, std::size_t* used) -> long {
        std::size_t k = 0;
        long v = 0;
        while (k < count && pos + k < replacement.size() && replacement[pos + k] >= '0' &&
               replacement[pos + k] <= '9') {
          v = v * 10 + (replacement[pos + k] - '0');
          ++k;
        }
        *used = k;
        return k == 0 ? -1 : v;
      };
      std::size_t used = 0;
      long index = parse_digits(max_digits, &used);
      if (max_digits > 1 && index > static_cast<long>(groups.size()))
        index = parse_digits(max_digits - 1, &used);
      if (index >= 0) {
        if (!groups.empty() && index >= 1 && static_cast<std::size_t>(index) <= groups.size()) {
          const Value& g = groups[index - 1];
          if (g.is_string()) out.append(g.str());
        }
        pos += used;
      } else {
        out += '$';
      }
    }
  }
  if (pos < replacement.size()) out.append(replacement.substr(pos));
  return out;
}

Value fn_replace(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  std::string_view s = c.arg(0).str();
  const Value& pattern = c.arg(1);
  const Value& replacement = c.arg(2);
  if (pattern.is_string() && pattern.str().empty()) throw failure("D3010").with("value", pattern);
  const Value& limit_v = c.arg(3);
  if (limit_v.defined() && limit_v.num() < 0) throw failure("D3011").with("value", limit_v);
  double limit = limit_v.defined() ? js_trunc(limit_v.num()) : -1;
  if (limit == 0) return c.arg(0);
  std::string out;
  std::size_t pos = 0;
  double count = 0;
  auto replace_one = [&](std::size_t start, std::size_t end, const std::vector<Value>& groups) {
    std::string_view matched = s.substr(start, end - start);
    if (replacement.is_string()) {
      out += pattern.is_string() ? std::string(replacement.str())
                                 : substitute(replacement.str(), matched, groups);
      return;
    }
    Value m = make_object();
    ObjectObj* o = m.heap_object();
    o->set("match", Value::string(std::string(matched)));
    o->set("start", Value::number(static_cast<double>(utf8_length(s.substr(0, start)))));
    o->set("end", Value::number(static_cast<double>(utf8_length(s.substr(0, end)))));
    o->set("groups", make_array(groups));
    Value r = c.ev.apply(replacement, {m}, Value(), c.env);
    if (!r.is_string()) throw failure("D3012").with("value", r);
    out += r.str();
  };
  if (pattern.is_string()) {
    std::string_view p = pattern.str();
    for (;;) {
      if (limit >= 0 && count >= limit) break;
      auto at = s.find(p, pos);
      if (at == std::string_view::npos) break;
      out.append(s.substr(pos, at - pos));
      replace_one(at, at + p.size(), {});
      pos = at + p.size();
      ++count;
    }
    out.append(s.substr(pos));
    c.ev.charge(out.size() / 2);
    return Value::string(std::move(out));
  }
  Matcher m(c, pattern, s);
  Found f;
  bool any = false;
  while ((limit < 0 || count < limit) && m.next(&f)) {
    any = true;
    if (f.start >= pos) out.append(s.substr(pos, f.start - pos));
    replace_one(f.start, f.end, f.groups);
    pos = f.end;
    ++count;
  }
  if (!any) return c.arg(0);
  if (pos < s.size()) out.append(s.substr(pos));
  c.ev.charge(out.size() / 2);
  return Value::string(std::move(out));
}

// --- base64 and URLs --------------------------------------------------------------------------

const char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

Value fn_base64encode(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  std::string_view s = c.arg(0).str();
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    std::uint32_t n = (static_cast<unsigned char>(s[i]) << 16) |
                      (static_cast<unsigned char>(s[i + 1]) << 8) |
                      static_cast<unsigned char>(s[i + 2]);
    out += kBase64[(n >> 18) & 63];
    out += kBase64[(n >> 12) & 63];
    out += kBase64[(n >> 6) & 63];
    out += kBase64[n & 63];
  }
  if (i < s.size()) {
    std::uint32_t n = static_cast<unsigned char>(s[i]) << 16;
    if (i + 1 < s.size()) n |= static_cast<unsigned char>(s[i + 1]) << 8;
    out += kBase64[(n >> 18) & 63];
    out += kBase64[(n >> 12) & 63];
    out += i + 1 < s.size() ? kBase64[(n >> 6) & 63] : '=';
    out += '=';
  }
  return Value::string(std::move(out));
}

Value fn_base64decode(CallContext& c) {
  if (c.arg(0).undefined()) return {};
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : c.arg(0).str()) {
    const char* p = std::strchr(kBase64, ch);
    if (ch == '=' || ch == 0 || !p) continue;  // padding and stray characters are skipped
    acc = (acc << 6) | static_cast<std::uint32_t>(p - kBase64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // Text encoded as UTF-8 comes back as that text; other bytes each become one character (as
  // jsonata-js decodes them), so the result is always a string JSON can hold.
  if (!valid_utf8(out)) out = latin1_to_utf8(out);
  return Value::string(std::move(out));
}

Value encode_uri(const Value& v, const char* keep) {
  if (v.undefined()) return {};
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : v.str()) {
    if (std::isalnum(ch) || (ch < 0x80 && std::strchr(keep, ch) && ch != 0)) {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return Value::string(std::move(out));
}

Value fn_encode_url_component(CallContext& c) {
  return encode_uri(c.arg(0), "-_.!~*'()");
}
Value fn_encode_url(CallContext& c) {
  return encode_uri(c.arg(0), "-_.!~*'();/?:@&=+$,#");
}

Value decode_uri(const Value& v, const char* reserved, const char* name) {
  if (v.undefined()) return {};
  std::string_view s = v.str();
  auto hex = [](char ch) -> int {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
  };
  auto malformed = [&] {
    return failure("D3140").with("value", v).with_text("functionName", name);
  };
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] != '%') {
      out += s[i++];
      continue;
    }
    // One escaped character: a UTF-8 lead byte and its continuation bytes, each as %XX.
    auto byte_at = [&](std::size_t at) -> int {
      if (at + 2 >= s.size() || s[at] != '%') return -1;
      int h = hex(s[at + 1]), l = hex(s[at + 2]);
      return (h < 0 || l < 0) ? -1 : h * 16 + l;
    };
    int b0 = byte_at(i);
    if (b0 < 0) throw malformed();
    std::size_t count = b0 < 0x80         ? 1
                        : (b0 >> 5) == 6  ? 2
                        : (b0 >> 4) == 14 ? 3
                        : (b0 >> 3) == 30 ? 4
                                          : 0;
    if (count == 0) throw malformed();
    std::string bytes(1, static_cast<char>(b0));
    for (std::size_t k = 1; k < count; ++k) {
      int b = byte_at(i + 3 * k);
      if (b < 0 || (b >> 6) != 2) throw malformed();
      bytes += static_cast<char>(b);
    }
    if (count == 1 && std::strchr(reserved, b0) && b0 != 0) {
      out.append(s.substr(i, 3));  // decodeURI keeps escapes of reserved characters
    } else {
      out += bytes;
    }
    i += 3 * count;
  }
  if (!valid_utf8(out)) throw malformed();
  return Value::string(std::move(out));
}

Value fn_decode_url_component(CallContext& c) {
  return decode_uri(c.arg(0), "", "decodeUrlComponent");
}
Value fn_decode_url(CallContext& c) {
  return decode_uri(c.arg(0), ";/?:@&=+$,#", "decodeUrl");
}

}  // namespace

void add_string_functions(std::vector<Builtin>& out) {
  out.push_back({"length", "<s-:n>", fn_length, 1, {}});
  out.push_back({"substring", "<s-nn?:s>", fn_substring, 3, {}});
  out.push_back({"substringBefore", "<s-s:s>", fn_substring_before, 2, {}});
  out.push_back({"substringAfter", "<s-s:s>", fn_substring_after, 2, {}});
  out.push_back({"uppercase", "<s-:s>", fn_uppercase, 1, {}});
  out.push_back({"lowercase", "<s-:s>", fn_lowercase, 1, {}});
  out.push_back({"trim", "<s-:s>", fn_trim, 1, {}});
  out.push_back({"pad", "<s-ns?:s>", fn_pad, 3, {}});
  out.push_back({"contains", "<s-(sf):b>", fn_contains, 2, {}});
  out.push_back({"split", "<s-(sf)n?:a<s>>", fn_split, 3, {}});
  out.push_back({"join", "<a<s>s?:s>", fn_join, 2, {}});
  out.push_back({"match", "<s-f<s:o>n?:a<o>>", fn_match, 3, {}});
  out.push_back({"replace", "<s-(sf)(sf)n?:s>", fn_replace, 4, {}});
  out.push_back({"base64encode", "<s-:s>", fn_base64encode, 1, {}});
  out.push_back({"base64decode", "<s-:s>", fn_base64decode, 1, {}});
  out.push_back({"encodeUrlComponent", "<s-:s>", fn_encode_url_component, 1, {}});
  out.push_back({"encodeUrl", "<s-:s>", fn_encode_url, 1, {}});
  out.push_back({"decodeUrlComponent", "<s-:s>", fn_decode_url_component, 1, {}});
  out.push_back({"decodeUrl", "<s-:s>", fn_decode_url, 1, {}});
}

}  // namespace wyvern::jsonata::detail
