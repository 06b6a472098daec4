// JSONata's error catalogue and the Failure the engine throws internally (private).
//
// Inside the engine an error unwinds as a C++ exception (Failure): the evaluator is a deep
// recursion and a value-returning style would add a branch to every step of it. The door
// (jsonata.cc) catches every Failure and returns it as a jsonata::Error value; nothing escapes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "stepfn/jsonata/jsonata.h"
#include "stepfn/jsonata/value.h"

namespace wyvern::jsonata::detail {

struct Failure {
  std::string code;
  std::size_t position = 0;  // 0: not known yet; the nearest enclosing call or operator fills it
  std::string token;
  // Inserts for the message template: {{name}} takes `json_text`, {{{name}}} takes `raw`.
  struct Insert {
    std::string name, json_text, raw;
  };
  std::vector<Insert> inserts;
  std::string message;  // set when the message is not from the catalogue ($error, host errors)

  Failure& at(std::size_t pos) {
    position = pos;
    return *this;
  }
  Failure& with_token(std::string t) {
    token = std::move(t);
    return *this;
  }
  Failure& with(std::string name, const Value& v);         // JSON.stringify of a value
  Failure& with_text(std::string name, std::string text);  // a string insert
  Failure& with_number(std::string name, double d);
};

inline Failure failure(std::string code) {
  Failure f;
  f.code = std::move(code);
  return f;
}

// JSON.stringify as the messages use it ("undefined" for undefined and functions).
std::string stringify(const Value& v);

// The public Error: message from the catalogue with the inserts filled in.
Error to_error(const Failure& f);

}  // namespace wyvern::jsonata::detail
