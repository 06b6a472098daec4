// The functions Step Functions adds to JSONata, as host functions over plain json:
//   $partition(array, size)        chunks of `size` (the last may be shorter)
//   $range(start, end[, step])     start..end inclusive by step (default 1; negative counts down)
//   $hash(value, algorithm)        hex digest; MD5, SHA-1, SHA-256, SHA-384, SHA-512
//   $random([seed])                [0, 1); the same seed always gives the same number
//   $uuid()                        a version 4 UUID
//   $parse(jsonString)             the JSON value the string holds
// $eval is deliberately absent: Step Functions fails a state that calls it (the host checks
// Expression::referenced_functions() before it evaluates).
#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "stepfn/jsonata/jsonata.h"

namespace wyvern::jsonata {

namespace {

using Result = std::variant<std::optional<json>, Error>;
using Args = std::vector<std::optional<json>>;

Error error(const char* code, std::string message) {
  Error e;
  e.code = code;
  e.message = std::move(message);
  return e;
}

Error signature_error(const char* fn, int index) {
  return error("T0410", "Argument " + std::to_string(index) + " of function \"" + fn +
                            "\" does not match function signature");
}

const json* arg(const Args& args, std::size_t i) {
  return i < args.size() && args[i] ? &*args[i] : nullptr;
}

// "Built-in JSONata functions that require integer values as parameters will automatically
// round down any non-integer numbers provided" (Step Functions' transforming-data page).
double rounded_down(const json& number) { return std::floor(number.get<double>()); }

std::mt19937_64& thread_rng() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return rng;
}

Result partition(const Args& args) {
  const json* array = arg(args, 0);
  const json* size = arg(args, 1);
  if (!size || !size->is_number()) return signature_error("partition", 2);
  double requested = rounded_down(*size);
  if (!std::isfinite(requested) || requested < 1)
    return error("D3200",
                 "The chunk size of $partition must be a positive integer: " + size->dump());
  if (!array) return std::optional<json>{};
  json items = array->is_array() ? *array : json::array({*array});
  std::size_t chunk = requested >= static_cast<double>(items.size())
                          ? std::max<std::size_t>(items.size(), 1)
                          : static_cast<std::size_t>(requested);
  json out = json::array();
  for (std::size_t i = 0; i < items.size(); i += chunk) {
    json part = json::array();
    for (std::size_t k = i; k < std::min(items.size(), i + chunk); ++k) part.push_back(items[k]);
    out.push_back(std::move(part));
  }
  return std::optional<json>(std::move(out));
}

Result range(const Args& args) {
  const json* start = arg(args, 0);
  const json* end = arg(args, 1);
  const json* step = arg(args, 2);
  for (int i = 0; i < 3; ++i) {
    const json* a = arg(args, i);
    if (i == 2 && !a) continue;
    if (!a || !a->is_number()) return signature_error("range", i + 1);
    if (!std::isfinite(a->get<double>()) || std::fabs(rounded_down(*a)) > 9007199254740992.0)
      return error("D3205", "$range arguments must be integers within +-2^53: " + a->dump());
  }
  double from = rounded_down(*start), to = rounded_down(*end), by = step ? rounded_down(*step) : 1;
  if (by == 0) return error("D3201", "The step of $range must not be zero");
  json out = json::array();
  if ((by > 0 && from > to) || (by < 0 && from < to)) return std::optional<json>(std::move(out));
  double count = std::floor((to - from) / by) + 1;
  if (count > 1e7) return error("D3202", "$range would produce more than 1e7 items");
  for (double i = 0; i < count; ++i) out.push_back(static_cast<std::int64_t>(from + i * by));
  return std::optional<json>(std::move(out));
}

Result hash(const Args& args) {
  const json* value = arg(args, 0);
  const json* algorithm = arg(args, 1);
  if (!algorithm || !algorithm->is_string()) return signature_error("hash", 2);
  const std::string& name = algorithm->get_ref<const std::string&>();
  const EVP_MD* md = name == "MD5"       ? EVP_md5()
                     : name == "SHA-1"   ? EVP_sha1()
                     : name == "SHA-256" ? EVP_sha256()
                     : name == "SHA-384" ? EVP_sha384()
                     : name == "SHA-512" ? EVP_sha512()
                                         : nullptr;
  if (!md)
    return error("D3203", "$hash algorithm must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512: " +
                              algorithm->dump());
  if (!value) return std::optional<json>{};
  // A string is hashed as its UTF-8 bytes; any other value as its compact JSON text.
  std::string data = value->is_string() ? value->get<std::string>() : value->dump();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, md, nullptr) != 1)
    return error("D3203", "$hash could not compute the digest");
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return std::optional<json>(json(hex));
}

Result random(const Args& args) {
  const json* seed = arg(args, 0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  if (!seed) return std::optional<json>(json(unit(thread_rng())));
  if (!seed->is_number()) return signature_error("random", 1);
  // Seeded from the number's bits: any JSON number is a valid seed, and equal seeds agree.
  double value = seed->get<double>();
  std::uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  std::mt19937_64 seeded(bits);
  return std::optional<json>(json(unit(seeded)));
}

Result uuid(const Args&) {
  std::uniform_int_distribution<unsigned> byte(0, 255);
  unsigned char b[16];
  for (auto& x : b) x = static_cast<unsigned char>(byte(thread_rng()));
  b[6] = (b[6] & 0x0F) | 0x40;  // version 4
  b[8] = (b[8] & 0x3F) | 0x80;  // RFC 4122 variant
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[b[i] >> 4];
    out += kHex[b[i] & 15];
  }
  return std::optional<json>(json(out));
}

// Deepest nesting $parse accepts: the engine walks values recursively.
constexpr int kMaxParseDepth = 512;

bool too_deep(const json& root) {
  std::vector<std::pair<const json*, int>> stack{{&root, 1}};
  while (!stack.empty()) {
    auto [j, depth] = stack.back();
    stack.pop_back();
    if (depth > kMaxParseDepth) return true;
    if (j->is_array() || j->is_object())
      for (auto& e : *j) stack.push_back({&e, depth + 1});
  }
  return false;
}

Result parse(const Args& args) {
  const json* text = arg(args, 0);
  if (!text) return std::optional<json>{};
  if (!text->is_string()) return signature_error("parse", 1);
  json parsed = json::parse(text->get_ref<const std::string&>(), nullptr, false);
  if (parsed.is_discarded() || too_deep(parsed))
    return error("D3204", "$parse could not parse its argument as JSON: " + text->dump());
  return std::optional<json>(std::move(parsed));
}

}  // namespace

void add_step_functions_functions(Bindings& bindings) {
  bindings.functions["partition"] = partition;
  bindings.functions["range"] = range;
  bindings.functions["hash"] = hash;
  bindings.functions["random"] = random;
  bindings.functions["uuid"] = uuid;
  bindings.functions["parse"] = parse;
}

}  // namespace wyvern::jsonata
