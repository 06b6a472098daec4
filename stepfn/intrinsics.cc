#include "intrinsics.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <map>
#include <random>

#include "foundation/codec.h"

namespace wyvern::stepfn {
namespace {

// A parsed argument: a literal, a path, or a nested call.
struct Call;
struct Arg {
  enum class Kind { kLiteral, kPath, kContextPath, kCall } kind;
  json literal;
  std::string path;
  std::shared_ptr<Call> call;
};
struct Call {
  std::string name;
  std::vector<Arg> args;
};

constexpr int kMaxNesting = 10;

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  std::optional<Call> parse_call(int depth) {
    if (depth > kMaxNesting) return fail("intrinsic functions are nested too deeply");
    skip();
    size_t start = pos_;
    while (pos_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.'))
      ++pos_;
    Call call{std::string(s_.substr(start, pos_ - start)), {}};
    if (call.name.rfind("States.", 0) != 0) return fail("expected a States. function");
    skip();
    if (!eat('(')) return fail("expected '(' after " + call.name);
    skip();
    if (eat(')')) return call;
    for (;;) {
      auto arg = parse_arg(depth);
      if (!arg) return std::nullopt;
      call.args.push_back(std::move(*arg));
      skip();
      if (eat(')')) return call;
      if (!eat(',')) return fail("expected ',' or ')'");
    }
  }

  bool at_end() {
    skip();
    return pos_ == s_.size();
  }
  const std::string& error() const { return error_; }

 private:
  std::optional<Arg> parse_arg(int depth) {
    skip();
    if (pos_ >= s_.size()) return fail("missing argument");
    char c = s_[pos_];
    if (c == '\'') {
      ++pos_;
      std::string text;
      while (pos_ < s_.size() && s_[pos_] != '\'') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) {
          char next = s_[pos_ + 1];
          // \' \{ \} \\ are escapes; other backslashes stand for themselves.
          if (next == '\'' || next == '{' || next == '}' || next == '\\') {
            if (next == '{' || next == '}') text += '\\';  // kept for States.Format
            text += next;
            pos_ += 2;
            continue;
          }
        }
        text += s_[pos_++];
      }
      if (!eat('\'')) return fail("unterminated string");
      return Arg{Arg::Kind::kLiteral, json(text), {}, nullptr};
    }
    if (c == '$') {
      size_t start = pos_;
      int depth_brackets = 0;
      while (pos_ < s_.size()) {
        char d = s_[pos_];
        if (d == '[') ++depth_brackets;
        if (d == ']') --depth_brackets;
        if (depth_brackets == 0 &&
            (d == ',' || d == ')' || std::isspace(static_cast<unsigned char>(d))))
          break;
        ++pos_;
      }
      std::string path(s_.substr(start, pos_ - start));
      bool context = path.rfind("$$", 0) == 0;
      return Arg{context ? Arg::Kind::kContextPath : Arg::Kind::kPath, {}, path, nullptr};
    }
    if (s_.compare(pos_, 7, "States.") == 0) {
      auto call = parse_call(depth + 1);
      if (!call) return std::nullopt;
      return Arg{Arg::Kind::kCall, {}, {}, std::make_shared<Call>(std::move(*call))};
    }
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != ')') ++pos_;
    std::string token(trim(s_.substr(start, pos_ - start)));
    json literal = json::parse(token, nullptr, false);
    if (literal.is_discarded() || literal.is_object() || literal.is_array() || literal.is_string())
      return fail("invalid argument " + token);
    return Arg{Arg::Kind::kLiteral, literal, {}, nullptr};
  }

  static std::string_view trim(std::string_view t) {
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.remove_suffix(1);
    return t;
  }
  void skip() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  template <typename T = Call>
  std::nullopt_t fail(std::string why) {
    if (error_.empty()) error_ = std::move(why);
    return std::nullopt;
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
};

struct Arity {
  const char* name;
  int min, max;  // max -1: any
};
constexpr Arity kFunctions[] = {
    {"States.Format", 1, -1},     {"States.StringToJson", 1, 1},   {"States.JsonToString", 1, 1},
    {"States.Array", 0, -1},      {"States.ArrayPartition", 2, 2}, {"States.ArrayContains", 2, 2},
    {"States.ArrayRange", 3, 3},  {"States.ArrayGetItem", 2, 2},   {"States.ArrayLength", 1, 1},
    {"States.ArrayUnique", 1, 1}, {"States.Base64Encode", 1, 1},   {"States.Base64Decode", 1, 1},
    {"States.Hash", 2, 2},        {"States.JsonMerge", 3, 3},      {"States.MathRandom", 2, 3},
    {"States.MathAdd", 2, 2},     {"States.StringSplit", 2, 2},    {"States.UUID", 0, 0},
};

const Arity* find_function(const std::string& name) {
  for (const auto& f : kFunctions)
    if (name == f.name) return &f;
  return nullptr;
}

std::optional<std::string> check_call(const Call& call) {
  const Arity* f = find_function(call.name);
  if (!f) return "unknown intrinsic function " + call.name;
  int n = static_cast<int>(call.args.size());
  if (n < f->min || (f->max >= 0 && n > f->max))
    return "wrong number of arguments for " + call.name;
  for (const auto& a : call.args)
    if (a.kind == Arg::Kind::kCall)
      if (auto err = check_call(*a.call)) return err;
  return std::nullopt;
}

struct Failure {
  std::string cause;
};

class Evaluator {
 public:
  Evaluator(const json& input, const Bindings& bindings) : input_(input), bindings_(bindings) {}

  json eval(const Call& call) {
    std::vector<json> a;
    for (const auto& arg : call.args) a.push_back(value(arg));
    const std::string& f = call.name;
    if (f == "States.Format") return format(a);
    if (f == "States.StringToJson") {
      auto parsed = json::parse(text(a[0], f), nullptr, false);
      if (parsed.is_discarded()) throw Failure{"Invalid JSON string passed to " + f};
      return parsed;
    }
    if (f == "States.JsonToString")
      return a[0].dump(-1, ' ', false, json::error_handler_t::replace);
    if (f == "States.Array") return json(a);
    if (f == "States.ArrayPartition") {
      const json& arr = array(a[0], f);
      long size = rounded(a[1], f);
      if (size <= 0) throw Failure{"Chunk size must be a positive integer in " + f};
      json out = json::array();
      for (size_t i = 0; i < arr.size(); i += static_cast<size_t>(size)) {
        json chunk = json::array();
        for (size_t k = i; k < arr.size() && k < i + static_cast<size_t>(size); ++k)
          chunk.push_back(arr[k]);
        out.push_back(std::move(chunk));
      }
      return out;
    }
    if (f == "States.ArrayContains") {
      const json& arr = array(a[0], f);
      return std::find(arr.begin(), arr.end(), a[1]) != arr.end();
    }
    if (f == "States.ArrayRange") {
      long start = rounded(a[0], f), end = rounded(a[1], f), step = rounded(a[2], f);
      if (step == 0) throw Failure{"Step cannot be zero in " + f};
      json out = json::array();
      for (long v = start; step > 0 ? v <= end : v >= end; v += step) {
        out.push_back(v);
        if (out.size() > 1000) throw Failure{"Array is too large in " + f};
      }
      return out;
    }
    if (f == "States.ArrayGetItem") {
      const json& arr = array(a[0], f);
      long i = integer(a[1], f);
      if (i < 0 || static_cast<size_t>(i) >= arr.size())
        throw Failure{"Index out of range in " + f};
      return arr[static_cast<size_t>(i)];
    }
    if (f == "States.ArrayLength") return array(a[0], f).size();
    if (f == "States.ArrayUnique") {
      json out = json::array();
      for (const auto& v : array(a[0], f))
        if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
      return out;
    }
    if (f == "States.Base64Encode") return base64_encode(within_limit(text(a[0], f), f));
    if (f == "States.Base64Decode") {
      auto decoded = base64_decode(text(a[0], f));
      if (!decoded) throw Failure{"Invalid base64 string passed to " + f};
      return *decoded;
    }
    if (f == "States.Hash") {
      std::string algorithm = text(a[1], f);
      std::string data =
          within_limit(a[0].is_string() ? a[0].get<std::string>()
                                        : a[0].dump(-1, ' ', false, json::error_handler_t::replace),
                       f);
      static const std::map<std::string, std::string> kAlgorithms = {{"MD5", "MD5"},
                                                                     {"SHA-1", "SHA1"},
                                                                     {"SHA-256", "SHA256"},
                                                                     {"SHA-384", "SHA384"},
                                                                     {"SHA-512", "SHA512"}};
      auto it = kAlgorithms.find(algorithm);
      auto digest = it == kAlgorithms.end() ? std::nullopt : digest_hex(it->second, data);
      if (!digest) throw Failure{"Unsupported hash algorithm " + algorithm + " in " + f};
      return *digest;
    }
    if (f == "States.JsonMerge") {
      if (!a[0].is_object() || !a[1].is_object() || !a[2].is_boolean())
        throw Failure{"Invalid arguments in " + f};
      if (a[2].get<bool>()) throw Failure{"Deep merging is not supported in " + f};
      json out = a[0];
      for (const auto& [k, v] : a[1].items()) out[k] = v;
      return out;
    }
    if (f == "States.MathRandom") {
      long lo = rounded(a[0], f), hi = rounded(a[1], f);
      if (lo >= hi) throw Failure{"The start value must be less than the end value in " + f};
      std::mt19937_64 rng(a.size() == 3 ? static_cast<uint64_t>(integer(a[2], f))
                                        : std::random_device{}());
      return std::uniform_int_distribution<long>(lo, hi - 1)(rng);
    }
    if (f == "States.MathAdd") {
      long x = rounded(a[0], f), y = rounded(a[1], f);
      for (long v : {x, y})
        if (v < INT32_MIN || v > INT32_MAX)
          throw Failure{"The arguments of " + f +
                        " must be integers from -2147483648 to 2147483647"};
      return x + y;
    }
    if (f == "States.StringSplit") {
      std::string s = text(a[0], f), seps = text(a[1], f);
      json out = json::array();
      std::string cur;
      for (char c : s) {
        if (seps.find(c) != std::string::npos) {
          if (!cur.empty()) out.push_back(cur);
          cur.clear();
        } else {
          cur += c;
        }
      }
      if (!cur.empty()) out.push_back(cur);
      return out;
    }
    if (f == "States.UUID") return uuid4();
    throw Failure{"Unknown intrinsic function " + f};
  }

 private:
  json value(const Arg& arg) {
    switch (arg.kind) {
      case Arg::Kind::kLiteral:
        return arg.literal;
      case Arg::Kind::kCall:
        return eval(*arg.call);
      case Arg::Kind::kPath:
      case Arg::Kind::kContextPath: {
        Selection found = select(arg.path, input_, bindings_);
        if (found.problem == Selection::Problem::kInvalid)
          throw Failure{"Invalid path " + arg.path};
        if (found.problem == Selection::Problem::kUndefinedVariable)
          throw Failure{"The JsonPath argument for the field '" + arg.path +
                        "' references the variable '" + path_ref(arg.path)->variable +
                        "', which has no value in this scope"};
        if (!found.value)
          throw Failure{"The JsonPath argument for the field '" + arg.path +
                        "' could not be found in the input"};
        return std::move(*found.value);
      }
    }
    return nullptr;
  }

  static std::string text(const json& v, const std::string& f) {
    if (!v.is_string()) throw Failure{"Expected a string argument in " + f};
    return v.get<std::string>();
  }
  static const json& array(const json& v, const std::string& f) {
    if (!v.is_array()) throw Failure{"Expected an array argument in " + f};
    return v;
  }
  static long integer(const json& v, const std::string& f) {
    if (v.is_number_integer()) return v.get<long>();
    if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>())
      return static_cast<long>(v.get<double>());
    throw Failure{"Expected an integer argument in " + f};
  }
  // Where AWS documents it (ArrayPartition's size, ArrayRange, MathRandom's bounds, MathAdd),
  // a fractional number is rounded to the nearest integer; halves go up, as Java's
  // Math.round does (Step Functions runs on Java).
  static long rounded(const json& v, const std::string& f) {
    if (!v.is_number_float()) return integer(v, f);
    double x = std::floor(v.get<double>() + 0.5);
    if (!(x >= static_cast<double>(LONG_MIN) && x <= static_cast<double>(LONG_MAX)))
      throw Failure{"Expected an integer argument in " + f};
    return static_cast<long>(x);
  }
  // Base64Encode and Hash take at most 10,000 characters (Unicode code points).
  static std::string within_limit(std::string data, const std::string& f) {
    size_t characters = 0;
    for (unsigned char c : data) characters += (c & 0xC0) != 0x80;
    if (characters > 10000)
      throw Failure{"The input of " + f + " must not exceed 10,000 characters"};
    return data;
  }

  static json format(const std::vector<json>& a) {
    if (!a[0].is_string()) throw Failure{"The first argument of States.Format must be a string"};
    const std::string& tmpl = a[0].get<std::string>();
    std::string out;
    size_t next = 1;
    for (size_t i = 0; i < tmpl.size(); ++i) {
      if (tmpl[i] == '\\' && i + 1 < tmpl.size() && (tmpl[i + 1] == '{' || tmpl[i + 1] == '}')) {
        out += tmpl[++i];
      } else if (tmpl[i] == '{' && i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
        if (next >= a.size())
          throw Failure{
              "The number of arguments does not match the number of placeholders in States.Format"};
        const json& v = a[next++];
        if (v.is_object() || v.is_array())
          throw Failure{"States.Format arguments must be strings, numbers, booleans or null"};
        out += v.is_string() ? v.get<std::string>() : v.dump();
        ++i;
      } else {
        out += tmpl[i];
      }
    }
    if (next != a.size())
      throw Failure{
          "The number of arguments does not match the number of placeholders in States.Format"};
    return out;
  }

  const json& input_;
  const Bindings& bindings_;
};

}  // namespace

bool is_intrinsic(std::string_view text) {
  return text.rfind("States.", 0) == 0 && text.find('(') != std::string_view::npos;
}

std::optional<std::string> check_intrinsic(std::string_view text) {
  Parser parser(text);
  auto call = parser.parse_call(0);
  if (!call) return parser.error();
  if (!parser.at_end()) return "unexpected text after the call";
  return check_call(*call);
}

IntrinsicResult evaluate_intrinsic(std::string_view text, const json& input,
                                   const Bindings& bindings) {
  Parser parser(text);
  auto call = parser.parse_call(0);
  if (!call || !parser.at_end())
    return {std::nullopt, "Invalid intrinsic function " + std::string(text)};
  if (auto err = check_call(*call)) return {std::nullopt, *err};
  try {
    return {Evaluator(input, bindings).eval(*call), {}};
  } catch (const Failure& f) {
    return {std::nullopt, f.cause};
  }
}

}  // namespace wyvern::stepfn
