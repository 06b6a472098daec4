// The Jackson-compatible tokenizer behind event-pattern error messages; see the header.
#include "event_pattern_tokens.h"

#include <cctype>
#include <cstdio>

#include "foundation/text.h"

namespace wyvern {
namespace {

size_t utf8_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if ((lead >> 5) == 0x6) return 2;
  if ((lead >> 4) == 0xE) return 3;
  if ((lead >> 3) == 0x1E) return 4;
  return 1;
}

// Decodes the code point at `pos` (a lone byte when the UTF-8 is broken).
uint32_t code_point_at(std::string_view s, size_t pos, size_t* length) {
  auto lead = static_cast<unsigned char>(s[pos]);
  size_t n = utf8_length(lead);
  if (n == 1 || pos + n > s.size()) {
    *length = 1;
    return lead;
  }
  uint32_t cp = lead & (0x7F >> n);
  for (size_t i = 1; i < n; ++i) cp = (cp << 6) | (static_cast<unsigned char>(s[pos + i]) & 0x3F);
  *length = n;
  return cp;
}

}  // namespace

std::string describe_location(std::string_view text, size_t offset) {
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset && i < text.size();) {
    char c = text[i];
    if (c == '\n' || c == '\r') {
      ++line;
      column = 1;
      i += (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
      continue;
    }
    size_t n = utf8_length(static_cast<unsigned char>(c));
    column += (n == 4) ? 2 : 1;
    i += n;
  }
  constexpr size_t kSnippetUnits = 500;
  size_t units = 0, cut = text.size();
  for (size_t i = 0; i < text.size();) {
    size_t n = utf8_length(static_cast<unsigned char>(text[i]));
    size_t width = (n == 4) ? 2 : 1;
    if (units + width > kSnippetUnits && cut == text.size()) cut = i;
    units += width;
    i += n;
  }
  std::string out = "[Source: (String)\"";
  out.append(text.substr(0, cut));
  out += '"';
  if (units > kSnippetUnits)
    out += "[truncated " + std::to_string(units - kSnippetUnits) + " chars]";
  out += "; line: " + std::to_string(line) + ", column: " + std::to_string(column) + "]";
  return out;
}

namespace {

// Jackson's description of a character in its messages.
std::string describe_char(uint32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
    return "(CTRL-CHAR, code " + std::to_string(cp) + ")";
  std::string glyph;
  text::append_utf8(glyph, cp);
  std::string out = "'" + glyph + "' (code " + std::to_string(cp);
  if (cp > 255) {
    char hex[16];
    std::snprintf(hex, sizeof hex, " / 0x%x", static_cast<unsigned>(cp));
    out += hex;
  }
  return out + ")";
}

// Jackson's default StreamReadConstraints; it also bounds the compiler's recursion.
constexpr size_t kMaxNestingDepth = 1000;

constexpr const char* kValidValues =
    "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

// Characters Jackson gathers into an unrecognized token.
bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

}  // namespace

bool Tokens::next(Tok& out) {
  if (pending_) {
    out = current_ = *pending_;
    pending_.reset();
    return true;
  }
  if (string_open_ && !finish_string(nullptr)) return false;
  skip_whitespace();
  const char kind = scopes_.back().kind;
  if (kind == 0) {
    if (pos_ >= s_.size()) {
      out = current_ = Tok::kEnd;
      return true;
    }
    if (!read_value(out)) return false;
    current_ = out;
    return true;
  }
  if (pos_ >= s_.size()) return end_inside_scope();
  const char c = s_[pos_];
  if (kind == '[') {
    if (c == ']') return close_scope(out, Tok::kEndArray);
    if (scopes_.back().has_entries) {
      if (c != ',') return unexpected_char("was expecting comma to separate Array entries");
      ++pos_;
      skip_whitespace();
    }
    scopes_.back().has_entries = true;
    if (!read_value(out)) return false;
    current_ = out;
    return true;
  }
  if (c == '}') return close_scope(out, Tok::kEndObject);
  if (scopes_.back().has_entries) {
    if (c != ',') return unexpected_char("was expecting comma to separate Object entries");
    ++pos_;
    skip_whitespace();
    if (pos_ >= s_.size()) return end_inside_scope();
  }
  if (s_[pos_] != '"') return unexpected_char("was expecting double-quote to start field name");
  ++pos_;
  name_.clear();
  if (!read_string(&name_)) return false;
  skip_whitespace();
  if (pos_ >= s_.size()) return end_inside_scope();
  if (s_[pos_] != ':')
    return unexpected_char("was expecting a colon to separate field name and value");
  ++pos_;
  skip_whitespace();
  scopes_.back().has_entries = true;
  Tok value;
  if (!read_value(value)) return false;
  pending_ = value;
  out = current_ = Tok::kFieldName;
  return true;
}

bool Tokens::text(std::string& out) {
  static constexpr const char* kSpelling[] = {"{", "}",    "[",     "]",    "",    "",
                                              "",  "true", "false", "null", "null"};
  switch (current_) {
    case Tok::kString:
      if (string_open_) {
        value_.clear();
        if (!finish_string(&value_)) return false;
      }
      out = value_;
      return true;
    case Tok::kFieldName:
      out = name_;
      return true;
    case Tok::kNumber:
      out = std::string(number_);
      return true;
    default:
      out = kSpelling[static_cast<int>(current_)];
      return true;
  }
}

void Tokens::skip_whitespace() {
  while (pos_ < s_.size() &&
         (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
    ++pos_;
}

bool Tokens::close_scope(Tok& out, Tok token) {
  ++pos_;
  scopes_.pop_back();
  out = current_ = token;
  return true;
}

bool Tokens::fail(std::string message) {
  error_ = std::move(message);
  return false;
}

// Jackson has consumed the offending character when it reports it.
bool Tokens::unexpected_char(const std::string& expectation) {
  size_t n;
  uint32_t cp = code_point_at(s_, pos_, &n);
  pos_ += n;
  return fail("Unexpected character (" + describe_char(cp) + "): " + expectation);
}

bool Tokens::end_inside_scope() {
  const Scope& scope = scopes_.back();
  return fail(std::string("Unexpected end-of-input: expected close marker for ") +
              (scope.kind == '{' ? "OBJECT" : "ARRAY") + " (start marker at " +
              describe_location(s_, scope.start) + ")");
}

bool Tokens::unrecognized_token(size_t start) {
  pos_ = start;
  while (pos_ < s_.size() && is_token_char(s_[pos_])) ++pos_;
  return fail("Unrecognized token '" + std::string(s_.substr(start, pos_ - start)) +
              "': was expecting " + kValidValues);
}

bool Tokens::read_value(Tok& out) {
  if (pos_ >= s_.size()) return end_inside_scope();
  const char c = s_[pos_];
  switch (c) {
    case '{':
    case '[':
      if (scopes_.size() > kMaxNestingDepth) {
        ++pos_;
        return fail("Document nesting depth (" + std::to_string(scopes_.size()) +
                    ") exceeds the maximum allowed (" + std::to_string(kMaxNestingDepth) +
                    ", from `StreamReadConstraints.getMaxNestingDepth()`)");
      }
      scopes_.push_back({c, false, pos_});
      ++pos_;
      out = (c == '{') ? Tok::kStartObject : Tok::kStartArray;
      return true;
    case '"':
      ++pos_;
      string_open_ = true;
      out = Tok::kString;
      return true;
    case 't':
      return read_literal("true", Tok::kTrue, out);
    case 'f':
      return read_literal("false", Tok::kFalse, out);
    case 'n':
      return read_literal("null", Tok::kNull, out);
    default:
      break;
  }
  if (c == '-' || (c >= '0' && c <= '9')) return read_number(out);
  if (std::isalpha(static_cast<unsigned char>(c))) return unrecognized_token(pos_);
  return unexpected_char(std::string("expected a valid value ") + kValidValues);
}

bool Tokens::read_literal(std::string_view word, Tok token, Tok& out) {
  size_t start = pos_;
  if (s_.substr(pos_, word.size()) != word) return unrecognized_token(start);
  pos_ += word.size();
  if (pos_ < s_.size() && is_token_char(s_[pos_])) return unrecognized_token(start);
  out = token;
  return true;
}

bool Tokens::bad_number(const char* what) {
  if (pos_ >= s_.size()) return fail(std::string("Unexpected end-of-input in numeric value"));
  size_t n;
  uint32_t cp = code_point_at(s_, pos_, &n);
  pos_ += n;
  return fail("Unexpected character (" + describe_char(cp) + ") in numeric value: " + what);
}

bool Tokens::read_number(Tok& out) {
  size_t start = pos_;
  if (s_[pos_] == '-') {
    ++pos_;
    if (!digit_at(pos_))
      return bad_number("expected digit (0-9) to follow minus sign, for valid numeric value");
  }
  if (s_[pos_] == '0' && digit_at(pos_ + 1)) {
    pos_ += 2;
    return fail("Invalid numeric value: Leading zeroes not allowed");
  }
  while (digit_at(pos_)) ++pos_;
  if (pos_ < s_.size() && s_[pos_] == '.') {
    ++pos_;
    if (!digit_at(pos_)) return bad_number("Decimal point not followed by a digit");
    while (digit_at(pos_)) ++pos_;
  }
  if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
    if (!digit_at(pos_)) return bad_number("Exponent indicator not followed by a digit");
    while (digit_at(pos_)) ++pos_;
  }
  number_ = s_.substr(start, pos_ - start);
  out = Tok::kNumber;
  return true;
}

// Reads a string's contents after its opening quote, up to and past the closing quote, appending
// them to `out` unless it is null.
bool Tokens::read_string(std::string* out) {
  uint32_t high_surrogate = 0;
  while (true) {
    if (pos_ >= s_.size())
      return fail("Unexpected end-of-input: was expecting closing quote for a string value");
    const char c = s_[pos_];
    if (c == '"') {
      ++pos_;
      return true;
    }
    if (static_cast<unsigned char>(c) < 0x20) {
      ++pos_;
      return fail("Illegal unquoted character (" + describe_char(static_cast<unsigned char>(c)) +
                  "): has to be escaped using backslash to be included in string value");
    }
    if (c != '\\') {
      if (out) *out += c;
      ++pos_;
      continue;
    }
    ++pos_;
    if (pos_ >= s_.size())
      return fail("Unexpected end-of-input: was expecting closing quote for a string value");
    const char e = s_[pos_++];
    // Pairs of (escape letter, the character it stands for).
    static constexpr std::string_view kEscapes = "\"\"\\\\//b\bf\fn\nr\rt\t";
    if (size_t at = kEscapes.find(e); e != 'u' && at != std::string_view::npos && at % 2 == 0) {
      if (out) *out += kEscapes[at + 1];
      continue;
    }
    switch (e) {
      case 'u': {
        uint32_t cp = 0;
        for (int i = 0; i < 4; ++i) {
          if (pos_ >= s_.size())
            return fail("Unexpected end-of-input within/between String entries");
          int h = text::hex_digit_value(s_[pos_]);
          if (h < 0) {
            size_t n;
            uint32_t bad = code_point_at(s_, pos_, &n);
            pos_ += n;
            return fail("Unexpected character (" + describe_char(bad) +
                        "): expected a hex-digit for character escape sequence");
          }
          cp = cp * 16 + h;
          ++pos_;
        }
        if (!out) continue;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          high_surrogate = cp;
          continue;
        }
        if (cp >= 0xDC00 && cp <= 0xDFFF && high_surrogate) {
          cp = 0x10000 + ((high_surrogate - 0xD800) << 10) + (cp - 0xDC00);
        }
        high_surrogate = 0;
        text::append_utf8(*out, cp);
        continue;
      }
      default: {
        size_t n;
        uint32_t bad = code_point_at(s_, pos_ - 1, &n);
        pos_ += n - 1;
        return fail("Unrecognized character escape " + describe_char(bad));
      }
    }
  }
}

// Reads the rest of a string token whose opening quote was read ahead.
bool Tokens::finish_string(std::string* out) {
  string_open_ = false;
  return read_string(out);
}

}  // namespace wyvern
