// The tokenizer (private). Positions are as JSONata reports them: the offset just past the
// token. A `/` starts a regular expression where an operand is expected (after an operator, an
// opening bracket, a comma or at the start) and is division after an operand.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "stepfn/jsonata/regex.h"

namespace wyvern::jsonata::detail {

struct Token {
  enum Type { End, Name, Variable, Operator, String, Number, Value, RegexLit } type = End;
  std::string value;  // name, variable (no '$'), operator, string contents, "true"/"false"/"null"
  double number = 0;
  std::shared_ptr<const Regex> regex;
  std::size_t position = 0;
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}
  // The next token; throws Failure on a lexical error.
  Token next();
  // After a lambda's parameter list: the raw text of a signature, from the `<` just read to its
  // matching `>`. Throws Failure when unbalanced.
  std::string signature_after_open(std::size_t open_end);
  std::size_t position() const { return pos_; }

 private:
  Token make(Token::Type type, std::string value);
  Token scan_regex();

  std::string_view text_;
  std::size_t pos_ = 0;
  bool operand_before_ = false;  // the previous token ends an operand: `/` divides
};

}  // namespace wyvern::jsonata::detail
