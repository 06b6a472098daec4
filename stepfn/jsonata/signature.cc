// Signature parsing and argument validation. JSONata turns a signature into a regular expression
// over one symbol per argument; this does the same matching with a small backtracking matcher
// (a few parameters at most), so that greedy `+` and optional parameters resolve exactly as the
// regular expression would.
#include "stepfn/jsonata/signature.h"

#include "stepfn/jsonata/errors.h"

namespace wyvern::jsonata::detail {

char type_symbol(const Value& v) {
  switch (v.type()) {
    case Value::Type::String:
      return 's';
    case Value::Type::Number:
      return 'n';
    case Value::Type::Boolean:
      return 'b';
    case Value::Type::Null:
      return 'l';
    case Value::Type::Array:
      return 'a';
    case Value::Type::Object:
      return 'o';
    case Value::Type::Function:
      return 'f';
    case Value::Type::Undefined:
      return 'm';
  }
  return 'm';
}

bool parse_signature(std::string_view text, Signature* out, std::string* error_code,
                     std::size_t* error_offset) {
  out->text = std::string(text);
  out->params.clear();
  auto closing = [&](std::size_t start, char open, char close) {
    int depth = 1;
    std::size_t pos = start;
    while (pos + 1 < text.size()) {
      ++pos;
      if (text[pos] == close) {
        if (--depth == 0) break;
      } else if (text[pos] == open) {
        ++depth;
      }
    }
    return pos;
  };
  for (std::size_t pos = 1; pos < text.size(); ++pos) {
    char c = text[pos];
    if (c == ':') break;  // the return type is not checked
    SigParam* prev = out->params.empty() ? nullptr : &out->params.back();
    switch (c) {
      case 's':
      case 'n':
      case 'b':
      case 'l':
      case 'o':
        out->params.push_back({std::string{c, 'm'}, '1', c, false, {}});
        break;
      case 'a':
        out->params.push_back({"asnblfom", '1', 'a', false, {}});
        break;
      case 'f':
        out->params.push_back({"f", '1', 'f', false, {}});
        break;
      case 'j':
        out->params.push_back({"asnblom", '1', 'j', false, {}});
        break;
      case 'x':
        out->params.push_back({"asnblfom", '1', 'x', false, {}});
        break;
      case '-':
        if (prev) {
          prev->context = true;
          prev->quantifier = '?';
        }
        break;
      case '?':
      case '+':
        if (prev) prev->quantifier = c;
        break;
      case '(': {
        std::size_t end = closing(pos, '(', ')');
        std::string choice(text.substr(pos + 1, end - pos - 1));
        if (choice.find('<') != std::string::npos) {
          *error_code = "S0402";
          *error_offset = pos;
          return false;
        }
        out->params.push_back({choice + "m", '1', '(', false, {}});
        pos = end;
        break;
      }
      case '<': {
        if (prev && (prev->type == 'a' || prev->type == 'f')) {
          std::size_t end = closing(pos, '<', '>');
          prev->subtype = std::string(text.substr(pos + 1, end - pos - 1));
          pos = end;
        } else {
          *error_code = "S0401";
          *error_offset = pos;
          return false;
        }
        break;
      }
      default:
        break;
    }
  }
  return true;
}

namespace {

bool accepts(const SigParam& p, char sym) {
  return p.accepts.find(sym) != std::string::npos;
}

// Matches params[pi..] against symbols[si..]; `full` requires consuming every symbol. Records
// each parameter's [start, end) in `spans`. Greedy with backtracking, like the regex.
bool match(const std::vector<SigParam>& params, std::size_t pi, const std::string& symbols,
           std::size_t si, bool full, std::vector<std::pair<std::size_t, std::size_t>>& spans,
           std::size_t limit) {
  if (pi == limit) return !full || si == symbols.size();
  const SigParam& p = params[pi];
  std::size_t max_take = 0;
  if (p.quantifier == '+') {
    while (si + max_take < symbols.size() && accepts(p, symbols[si + max_take])) ++max_take;
  } else if (si < symbols.size() && accepts(p, symbols[si])) {
    max_take = 1;
  }
  std::size_t min_take = (p.quantifier == '?') ? 0 : 1;
  for (std::size_t take = max_take + 1; take-- > min_take;) {
    spans[pi] = {si, si + take};
    if (match(params, pi + 1, symbols, si + take, full, spans, limit)) return true;
    if (take == 0) break;
  }
  return false;
}

const char* array_type_name(char c) {
  switch (c) {
    case 'a':
      return "arrays";
    case 'b':
      return "booleans";
    case 'f':
      return "functions";
    case 'n':
      return "numbers";
    case 'o':
      return "objects";
    case 's':
      return "strings";
  }
  return "values";
}

[[noreturn]] void mismatch(const std::vector<SigParam>& params, const std::string& symbols,
                           const std::vector<Value>& args, std::string_view name) {
  // Find the first argument a growing prefix of the signature cannot match.
  std::size_t good_to = 0;
  std::vector<std::pair<std::size_t, std::size_t>> spans(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (!match(params, 0, symbols, 0, false, spans, i + 1)) break;
    good_to = spans[i].second;
  }
  Failure f = failure("T0410");
  f.with_token(std::string(name));
  f.with_number("index", static_cast<double>(good_to + 1));
  f.with("value", good_to < args.size() ? args[good_to] : Value());
  throw f;
}

}  // namespace

std::vector<Value> validate_arguments(const Signature& sig, std::vector<Value>&& args,
                                      const Value& context, std::string_view name) {
  std::string symbols;
  symbols.reserve(args.size());
  for (auto& a : args) symbols += type_symbol(a);
  const auto& params = sig.params;
  std::vector<std::pair<std::size_t, std::size_t>> spans(params.size());
  if (!match(params, 0, symbols, 0, true, spans, params.size()))
    mismatch(params, symbols, args, name);

  std::vector<Value> out;
  out.reserve(params.size() + 1);
  for (std::size_t pi = 0; pi < params.size(); ++pi) {
    const SigParam& p = params[pi];
    auto [start, end] = spans[pi];
    if (start == end) {
      if (p.context) {
        char ctype = type_symbol(context);
        if (accepts(p, ctype)) {
          out.push_back(context);
        } else {
          throw failure("T0411")
              .with_token(std::string(name))
              .with_number("index", start + 1)
              .with("value", context);
        }
      } else {
        // An optional parameter not given: the function sees undefined.
        out.emplace_back();
      }
      continue;
    }
    for (std::size_t k = start; k < end; ++k) {
      char single = symbols[k];
      Value arg = args[k];
      if (p.type == 'a') {
        if (single == 'm') {
          arg = Value();
        } else {
          bool ok = true;
          if (!p.subtype.empty()) {
            if (single != 'a' && std::string(1, single) != p.subtype) {
              ok = false;
            } else if (single == 'a' && arg.size() > 0) {
              char item_type = type_symbol(arg.at(0));
              if (item_type != p.subtype[0]) {
                ok = false;
              } else {
                for (std::size_t i = 1; i < arg.size() && ok; ++i)
                  if (type_symbol(arg.at(i)) != item_type) ok = false;
              }
            }
          }
          if (!ok) {
            throw failure("T0412")
                .with_token(std::string(name))
                .with_number("index", k + 1)
                .with("value", arg)
                .with_text("type", array_type_name(p.subtype[0]));
          }
          if (single != 'a') arg = make_array({arg});
        }
      }
      out.push_back(std::move(arg));
    }
  }
  return out;
}

}  // namespace wyvern::jsonata::detail
