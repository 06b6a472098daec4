// A pull tokenizer for the JSON of event patterns that keeps Jackson's idea of "where it is".
// Private to the foundation (event_pattern.cc).
//
// AWS compiles patterns with aws/event-ruler on top of Jackson, and its error messages end with
// Jackson's current location, which moves in a particular way:
//  - after a structural token, a number or a literal, it is just past that token;
//  - after a field name Jackson has already read the colon and the start of the value: past a
//    bracket, number or literal, or just past the opening quote of a string;
//  - a string's contents are read only when its text is asked for (the location then moves past
//    the closing quote) or when the next token is.
// Malformed JSON is reported with Jackson's wording for the common cases.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wyvern {

enum class Tok {
  kStartObject,
  kEndObject,
  kStartArray,
  kEndArray,
  kFieldName,
  kString,
  kNumber,
  kTrue,
  kFalse,
  kNull,
  kEnd,
};

class Tokens {
 public:
  // `text` must outlive the tokenizer.
  explicit Tokens(std::string_view text) : s_(text) { scopes_.push_back({0, false, 0}); }

  // The next token; false when the JSON is malformed (error() and offset() say what and where).
  // After the root value the tokenizer reads on as Jackson would, but nothing here asks it to.
  bool next(Tok& out);

  // The current token's text as Jackson's getText() gives it: a string's value, a field's name,
  // a number's literal, or the token's own spelling ("]", "null"...). False if a string's
  // contents are malformed.
  bool text(std::string& out);

  const std::string& name() const { return name_; }    // after kFieldName
  std::string_view number() const { return number_; }  // after kNumber: the literal
  size_t offset() const { return pos_; }               // Jackson's current location
  const std::string& error() const { return error_; }

 private:
  struct Scope {
    char kind;  // '{', '[' or 0 for the root
    bool has_entries;
    size_t start;
  };

  void skip_whitespace();
  bool close_scope(Tok& out, Tok token);
  bool fail(std::string message);
  bool unexpected_char(const std::string& expectation);
  bool end_inside_scope();
  bool unrecognized_token(size_t start);
  bool read_value(Tok& out);
  bool read_literal(std::string_view word, Tok token, Tok& out);
  bool bad_number(const char* what);
  bool read_number(Tok& out);
  bool read_string(std::string* out);
  bool finish_string(std::string* out);
  bool digit_at(size_t i) const { return i < s_.size() && s_[i] >= '0' && s_[i] <= '9'; }

  std::string_view s_;
  size_t pos_ = 0;
  std::vector<Scope> scopes_;
  std::optional<Tok> pending_;  // the value Jackson read ahead with a field name
  Tok current_ = Tok::kEnd;
  bool string_open_ = false;  // a string token whose contents are not read yet
  std::string name_, value_, error_;
  std::string_view number_;
};

// Jackson's "[Source: (String)"..."; line: L, column: C]" for `offset` in `text`: lines end at
// \n, \r or \r\n; columns count UTF-16 units from 1; the source is quoted up to 500 units.
std::string describe_location(std::string_view text, size_t offset);

}  // namespace wyvern
