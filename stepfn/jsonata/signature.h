// Function signatures (private): `<s-nn?:s>` and friends, as JSONata declares its built-in
// functions and as a lambda may declare itself. Parsed once; validation checks the arguments'
// types, substitutes the context for a missing `-` argument and wraps a single value given for
// an array parameter, raising T0410/T0411/T0412 as JSONata does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "stepfn/jsonata/value.h"

namespace wyvern::jsonata::detail {

struct SigParam {
  std::string accepts;    // type symbols this parameter takes ('m' = undefined)
  char quantifier = '1';  // '1', '?' (optional), '+' (one or more)
  char type = 'x';        // the declared type symbol ('(' for a choice)
  bool context = false;   // `-`: the context value stands in when the argument is missing
  std::string subtype;    // a<n>: the members' type
};

struct Signature {
  std::string text;
  std::vector<SigParam> params;
};

// Parses a signature; on error sets `error_code` (S0401/S0402) and `error_offset`.
bool parse_signature(std::string_view text, Signature* out, std::string* error_code,
                     std::size_t* error_offset);

// Validates `args` against `sig` for function `name`; returns the arguments to call with.
// Throws Failure on a mismatch.
std::vector<Value> validate_arguments(const Signature& sig, std::vector<Value>&& args,
                                      const Value& context, std::string_view name);

// The symbol JSONata gives a value's type in signatures.
char type_symbol(const Value& v);

}  // namespace wyvern::jsonata::detail
