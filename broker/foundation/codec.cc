#include "codec.h"
#include "text.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>

namespace wyvern {
namespace {

// OpenSSL 3 looks an algorithm up by name on every implicit fetch; fetch each once and keep a
// context per thread, which takes digest setup off the request path.
struct DigestContext {
  EVP_MD* md;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  explicit DigestContext(const char* name) : md(EVP_MD_fetch(nullptr, name, nullptr)) {}
  ~DigestContext() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
};

// Writes the digest to out[0..EVP_MAX_MD_SIZE) and returns its length.
unsigned digest(DigestContext& d, std::string_view data, unsigned char* out) {
  unsigned int len = 0;
  EVP_DigestInit_ex(d.ctx, d.md, nullptr);
  EVP_DigestUpdate(d.ctx, data.data(), data.size());
  EVP_DigestFinal_ex(d.ctx, out, &len);
  return len;
}

std::string digest_hex(DigestContext& d, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned len = digest(d, data, out);
  std::string hex(len * 2, '0');
  format_hex(out, len, hex.data());
  return hex;
}

DigestContext& md5_context() {
  thread_local DigestContext md5("MD5");
  return md5;
}

// Lowercase only: parsed text must print back the same.
int lower_hex_value(char c) {
  return c >= 'A' && c <= 'F' ? -1 : text::hex_digit_value(c);
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string md5_hex(std::string_view data) {
  return digest_hex(md5_context(), data);
}

std::array<uint8_t, 16> md5_bytes(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  digest(md5_context(), data, out);
  std::array<uint8_t, 16> bytes;
  std::copy_n(out, bytes.size(), bytes.begin());
  return bytes;
}

std::string sha256_hex(std::string_view data) {
  thread_local DigestContext sha256("SHA256");
  return digest_hex(sha256, data);
}

std::optional<std::string> digest_hex(const std::string& algorithm, std::string_view data) {
  DigestContext d(algorithm.c_str());
  if (!d.md) return std::nullopt;
  return digest_hex(d, data);
}

namespace {

// Ids need to be unique and unguessable enough for a local broker, not secret: a per-thread
// xoshiro256** generator seeded from the system's CSPRNG is ample and far cheaper than asking
// OpenSSL's DRBG for every id.
class IdRandom {
 public:
  IdRandom() {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(s_), sizeof s_) != 1)
      for (int i = 0; i < 4; ++i)
        s_[i] = (reinterpret_cast<uintptr_t>(this) + i) * 0x9E3779B97F4A7C15ull;
  }
  uint64_t next() {
    uint64_t result = rotl(s_[1] * 5, 7) * 9;
    uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace

namespace {

void random_bytes(uint8_t* out, size_t n) {
  thread_local IdRandom random;
  for (size_t i = 0; i < n; i += 8) {
    uint64_t r = random.next();
    for (size_t k = 0; k < 8 && i + k < n; ++k) out[i + k] = static_cast<uint8_t>(r >> (8 * k));
  }
}

// Where each byte's two hex digits go in UUID text.
constexpr int kUuidDigitAt[16] = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};

}  // namespace

std::string random_hex(size_t n) {
  std::string bytes(n, '\0');
  random_bytes(reinterpret_cast<uint8_t*>(bytes.data()), n);
  std::string hex(n * 2, '0');
  format_hex(reinterpret_cast<const uint8_t*>(bytes.data()), n, hex.data());
  return hex;
}

std::array<uint8_t, 16> uuid4_bytes() {
  std::array<uint8_t, 16> b;
  random_bytes(b.data(), b.size());
  b[6] = (b[6] & 0x0F) | 0x40;  // version 4
  b[8] = (b[8] & 0x3F) | 0x80;  // RFC 4122 variant
  return b;
}

std::string uuid4() {
  std::string id(36, '-');
  format_uuid(uuid4_bytes(), id.data());
  return id;
}

void format_uuid(const std::array<uint8_t, 16>& bytes, char* out) {
  out[8] = out[13] = out[18] = out[23] = '-';
  for (int i = 0; i < 16; ++i) format_hex(&bytes[i], 1, out + kUuidDigitAt[i]);
}

std::optional<std::array<uint8_t, 16>> parse_uuid(std::string_view text) {
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')
    return std::nullopt;
  std::array<uint8_t, 16> bytes;
  for (int i = 0; i < 16; ++i)
    if (!parse_hex(text.substr(kUuidDigitAt[i], 2), &bytes[i])) return std::nullopt;
  return bytes;
}

void format_hex(const uint8_t* bytes, size_t n, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 15];
  }
}

bool parse_hex(std::string_view text, uint8_t* out) {
  if (text.size() % 2 != 0) return false;
  for (size_t i = 0; i < text.size() / 2; ++i) {
    int hi = lower_hex_value(text[2 * i]);
    int lo = lower_hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return true;
}

std::string percent_encode(std::string_view data) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(data.size());
  for (unsigned char c : data) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string base64_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t n = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
    out += kB64[n >> 18];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
    out += kB64[n & 63];
  }
  if (i + 1 == data.size()) {
    uint32_t n = uint8_t(data[i]) << 16;
    out += kB64[n >> 18];
    out += kB64[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == data.size()) {
    uint32_t n = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8);
    out += kB64[n >> 18];
    out += kB64[(n >> 12) & 63];
    out += kB64[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = text[i + j];
      if (c == '=' && i + 4 == text.size() && j >= 2) {
        v[j] = 0;
        ++pad;
        continue;
      }
      if (pad) return std::nullopt;  // data after padding
      v[j] = b64_value(c);
      if (v[j] < 0) return std::nullopt;
    }
    uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += char(n >> 16);
    if (pad < 2) out += char((n >> 8) & 255);
    if (pad < 1) out += char(n & 255);
  }
  return out;
}

uint64_t get_u64_be(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | uint8_t(in[i]);
  return v;
}

bool json_nesting_within(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return true;
}

std::string iso8601_ms(int64_t epoch_ms) {
  std::time_t secs = epoch_ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];  // room for any int the compiler cannot rule out
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(epoch_ms % 1000));
  return buf;
}

}  // namespace wyvern
