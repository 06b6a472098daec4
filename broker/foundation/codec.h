// Small, dependency-free helpers every service needs: digests, ids, base64, byte encoding.
// All functions are pure and thread-safe.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wyvern {

std::string md5_hex(std::string_view data);
// The same digest as its 16 raw bytes, for callers that keep many of them.
std::array<uint8_t, 16> md5_bytes(std::string_view data);
// md5_bytes of each of inputs[0..n) into out[0..n), several at a time where the CPU can.
void md5_many(const std::string_view* inputs, size_t n, std::array<uint8_t, 16>* out);
std::string sha256_hex(std::string_view data);
// Any digest OpenSSL knows by `algorithm` ("SHA1", "SHA384", ...); nullopt if it knows none.
std::optional<std::string> digest_hex(const std::string& algorithm, std::string_view data);

// A random RFC 4122 version-4 UUID as its 16 bytes, and in its 36-character text form.
std::array<uint8_t, 16> uuid4_bytes();
std::string uuid4();
// Writes `bytes` as UUID text (lowercase hex grouped 8-4-4-4-12) to out[0..36).
void format_uuid(const std::array<uint8_t, 16>& bytes, char* out);
// The bytes of `text` if it is UUID text exactly as format_uuid writes it (so uppercase
// digits are refused: the bytes must give back the same text), otherwise nullopt.
std::optional<std::array<uint8_t, 16>> parse_uuid(std::string_view text);
// Writes `n` bytes as lowercase hex to out[0..2n).
void format_hex(const uint8_t* bytes, size_t n, char* out);
// Reads lowercase hex `text` into out[0..text.size()/2); false, with `out` undefined, unless
// `text` is an even number of lowercase hex digits.
bool parse_hex(std::string_view text, uint8_t* out);
// `n` random bytes as lowercase hex (2n characters).
std::string random_hex(size_t n);

std::string base64_encode(std::string_view data);
// RFC 3986 percent-encoding: every byte but the unreserved A-Z a-z 0-9 - . _ ~ as %XX, as a
// query-string key or value (and an application/x-www-form-urlencoded field) is written.
std::string percent_encode(std::string_view data);
// Strict: padding required, no whitespace. nullopt if `text` is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

// Big-endian fixed-width integers, so that encoded keys sort numerically. Inline, with one
// append each: every stored message's key and record are built from them.
static_assert(std::endian::native == std::endian::little, "put_u64_be/put_u32_be byte-swap");
inline void put_u64_be(std::string& out, uint64_t v) {
  v = __builtin_bswap64(v);
  out.append(reinterpret_cast<const char*>(&v), 8);
}
uint64_t get_u64_be(std::string_view in);  // REQUIRES: in.size() >= 8
inline void put_u32_be(std::string& out, uint32_t v) {
  v = __builtin_bswap32(v);
  out.append(reinterpret_cast<const char*>(&v), 4);
}

// False when JSON `text` nests arrays and objects deeper than `max_depth` (checked without
// recursion, before a parser that copies or prints recursively ever sees it).
bool json_nesting_within(std::string_view text, size_t max_depth);
inline constexpr size_t kMaxJsonNesting = 256;

// ISO-8601 UTC with milliseconds, e.g. "2026-11-28T13:00:00.000Z".
std::string iso8601_ms(int64_t epoch_ms);

}  // namespace wyvern
