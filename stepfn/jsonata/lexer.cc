// Tokenizer: whitespace and /* comments */, operators (longest first), quoted strings with
// JSON escapes, numbers, `backquoted` names, $variables, names, and regular expressions.
#include "stepfn/jsonata/lexer.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "foundation/text.h"
#include "stepfn/jsonata/errors.h"
#include "stepfn/jsonata/value.h"

namespace wyvern::jsonata::detail {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v';
}

// Characters that end a name: JSONata's single-character operators.
bool is_operator_char(char c) {
  return c != 0 && std::strchr(".[]{}(),@#;:?+-*/%|=<>^&!~", c) != nullptr;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

Token Lexer::make(Token::Type type, std::string value) {
  Token t;
  t.type = type;
  t.value = std::move(value);
  t.position = pos_;
  switch (type) {
    case Token::Name:
    case Token::Variable:
    case Token::String:
    case Token::Number:
    case Token::Value:
    case Token::RegexLit:
      operand_before_ = true;
      break;
    case Token::Operator:
      operand_before_ = t.value == ")" || t.value == "]" || t.value == "}" || t.value == "*" ||
                        t.value == "**" || t.value == "%";
      break;
    case Token::End:
      break;
  }
  return t;
}

Token Lexer::scan_regex() {
  std::size_t start = pos_;
  int depth = 0;
  while (pos_ < text_.size()) {
    char c = text_[pos_];
    if (c == '/' && depth == 0) {
      std::size_t backslashes = 0;
      while (pos_ >= start + backslashes + 1 && text_[pos_ - backslashes - 1] == '\\')
        ++backslashes;
      if (backslashes % 2 == 0) {
        std::string pattern(text_.substr(start, pos_ - start));
        if (pattern.empty()) throw failure("S0301").at(pos_);
        ++pos_;
        std::size_t flags_start = pos_;
        while (pos_ < text_.size() && (text_[pos_] == 'i' || text_[pos_] == 'm')) ++pos_;
        std::string flags(text_.substr(flags_start, pos_ - flags_start));
        std::string error;
        auto re = Regex::compile(pattern, flags, &error);
        if (!re) throw failure("S0303").at(pos_).with_text("value", error).with_token(pattern);
        Token t = make(Token::RegexLit, pattern);
        t.regex = std::move(re);
        return t;
      }
    }
    bool escaped = pos_ > start && text_[pos_ - 1] == '\\';
    if ((c == '(' || c == '[' || c == '{') && !escaped) ++depth;
    if ((c == ')' || c == ']' || c == '}') && !escaped) --depth;
    ++pos_;
  }
  throw failure("S0302").at(pos_);
}

Token Lexer::next() {
  for (;;) {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
    if (pos_ + 1 < text_.size() && text_[pos_] == '/' && text_[pos_ + 1] == '*') {
      std::size_t end = text_.find("*/", pos_ + 2);
      if (end == std::string_view::npos) {
        pos_ = text_.size();
        throw failure("S0106").at(pos_);
      }
      pos_ = end + 2;
      continue;
    }
    break;
  }
  if (pos_ >= text_.size()) {
    Token t;
    t.type = Token::End;
    t.position = text_.size();
    return t;
  }
  char c = text_[pos_];
  if (c == '/' && !operand_before_) {
    ++pos_;
    return scan_regex();
  }
  char n = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
  static const char* const kTwoChar[] = {"..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??"};
  for (const char* op : kTwoChar) {
    if (c == op[0] && n == op[1]) {
      pos_ += 2;
      return make(Token::Operator, op);
    }
  }
  if (is_operator_char(c)) {
    ++pos_;
    return make(Token::Operator, std::string(1, c));
  }
  if (c == '"' || c == '\'') {
    char quote = c;
    ++pos_;
    std::string out;
    while (pos_ < text_.size()) {
      char ch = text_[pos_];
      if (ch == '\\') {
        ++pos_;
        char e = pos_ < text_.size() ? text_[pos_] : '\0';
        switch (e) {
          case '"':
            out += '"';
            break;
          case '\\':
            out += '\\';
            break;
          case '/':
            out += '/';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'n':
            out += '\n';
            break;
          case 'r':
            out += '\r';
            break;
          case 't':
            out += '\t';
            break;
          case 'u': {
            auto read4 = [&](std::size_t at, std::uint32_t* cp) {
              if (at + 4 > text_.size()) return false;
              std::uint32_t v = 0;
              for (std::size_t k = 0; k < 4; ++k) {
                int h = text::hex_digit_value(text_[at + k]);
                if (h < 0) return false;
                v = v * 16 + h;
              }
              *cp = v;
              return true;
            };
            std::uint32_t cp = 0;
            if (!read4(pos_ + 1, &cp)) throw failure("S0104").at(pos_);
            pos_ += 4;
            // A surrogate pair written as two escapes is one character.
            if (cp >= 0xD800 && cp <= 0xDBFF && pos_ + 2 < text_.size() &&
                text_[pos_ + 1] == '\\' && text_[pos_ + 2] == 'u') {
              std::uint32_t low = 0;
              if (read4(pos_ + 3, &low) && low >= 0xDC00 && low <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                pos_ += 6;
              }
            }
            // A lone surrogate has no UTF-8 form: it becomes U+FFFD, as JSON text needs.
            if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
            append_utf8(out, cp);
            break;
          }
          default:
            throw failure("S0103").at(pos_).with_token(std::string(1, e));
        }
      } else if (ch == quote) {
        ++pos_;
        return make(Token::String, std::move(out));
      } else {
        out += ch;
      }
      ++pos_;
    }
    throw failure("S0101").at(pos_);
  }
  if (is_digit(c)) {
    std::size_t start = pos_;
    std::size_t p = pos_;
    if (text_[p] == '0') {
      ++p;
    } else {
      while (p < text_.size() && is_digit(text_[p])) ++p;
    }
    if (p + 1 < text_.size() && text_[p] == '.' && is_digit(text_[p + 1])) {
      ++p;
      while (p < text_.size() && is_digit(text_[p])) ++p;
    }
    if (p < text_.size() && (text_[p] == 'e' || text_[p] == 'E')) {
      std::size_t q = p + 1;
      if (q < text_.size() && (text_[q] == '+' || text_[q] == '-')) ++q;
      if (q < text_.size() && is_digit(text_[q])) {
        while (q < text_.size() && is_digit(text_[q])) ++q;
        p = q;
      }
    }
    std::string literal(text_.substr(start, p - start));
    double d = std::strtod(literal.c_str(), nullptr);
    pos_ = p;
    if (!std::isfinite(d)) throw failure("S0102").at(pos_).with_token(literal);
    Token t = make(Token::Number, literal);
    t.number = d;
    return t;
  }
  if (c == '`') {
    std::size_t end = text_.find('`', pos_ + 1);
    if (end == std::string_view::npos) {
      pos_ = text_.size();
      throw failure("S0105").at(pos_);
    }
    std::string name(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return make(Token::Name, std::move(name));
  }
  std::size_t i = pos_;
  while (i < text_.size() && !is_space(text_[i]) && !is_operator_char(text_[i])) ++i;
  std::string word(text_.substr(pos_, i - pos_));
  pos_ = i;
  if (word[0] == '$') return make(Token::Variable, word.substr(1));
  if (word == "and" || word == "or" || word == "in") return make(Token::Operator, word);
  if (word == "true" || word == "false" || word == "null") return make(Token::Value, word);
  return make(Token::Name, std::move(word));
}

std::string Lexer::signature_after_open(std::size_t open_end) {
  int depth = 1;
  std::size_t p = open_end;
  while (p < text_.size() && depth > 0) {
    char c = text_[p];
    if (c == '{') break;
    if (c == '<') ++depth;
    if (c == '>') --depth;
    ++p;
  }
  if (depth != 0)
    throw failure("S0202")
        .at(p)
        .with_text("value", ">")
        .with_token(p < text_.size() ? std::string(1, text_[p]) : "");
  std::string sig(text_.substr(open_end - 1, p - open_end + 1));
  pos_ = p;
  operand_before_ = true;
  return sig;
}

}  // namespace wyvern::jsonata::detail
