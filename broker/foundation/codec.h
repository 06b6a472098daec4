// Small, dependency-free helpers every service needs: digests, ids, base64, byte encoding.
// All functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wyvern {

std::string md5_hex(std::string_view data);
std::string sha256_hex(std::string_view data);
// Any digest OpenSSL knows by `algorithm` ("SHA1", "SHA384", ...); nullopt if it knows none.
std::optional<std::string> digest_hex(const std::string& algorithm, std::string_view data);

// A random RFC 4122 version-4 UUID in its 36-character text form.
std::string uuid4();
// `n` random bytes as lowercase hex (2n characters).
std::string random_hex(size_t n);

std::string base64_encode(std::string_view data);
// RFC 3986 percent-encoding: every byte but the unreserved A-Z a-z 0-9 - . _ ~ as %XX, as a
// query-string key or value (and an application/x-www-form-urlencoded field) is written.
std::string percent_encode(std::string_view data);
// Strict: padding required, no whitespace. nullopt if `text` is not valid base64.
std::optional<std::string> base64_decode(std::string_view text);

// Big-endian fixed-width integers, so that encoded keys sort numerically.
void put_u64_be(std::string& out, uint64_t v);
uint64_t get_u64_be(std::string_view in);  // REQUIRES: in.size() >= 8
void put_u32_be(std::string& out, uint32_t v);

// False when JSON `text` nests arrays and objects deeper than `max_depth` (checked without
// recursion, before a parser that copies or prints recursively ever sees it).
bool json_nesting_within(std::string_view text, size_t max_depth);
inline constexpr size_t kMaxJsonNesting = 256;

// ISO-8601 UTC with milliseconds, e.g. "2026-11-28T13:00:00.000Z".
std::string iso8601_ms(int64_t epoch_ms);

}  // namespace wyvern
