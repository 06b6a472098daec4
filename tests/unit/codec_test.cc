#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "foundation/codec.h"

using namespace wyvern;

TEST_CASE("digests match the published test vectors", "[codec]") {
  CHECK(md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(md5_hex("hello") == "5d41402abc4b2a76b9719d911017c592");
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("base64 round-trips every byte length and rejects malformed text", "[codec]") {
  std::string bytes;
  for (int i = 0; i < 300; ++i) {
    bytes.push_back(static_cast<char>(i * 37));
    REQUIRE(base64_decode(base64_encode(bytes)) == bytes);
  }
  CHECK(base64_encode("Man") == "TWFu");
  CHECK(base64_encode("Ma") == "TWE=");
  CHECK(base64_decode("TWE") == std::nullopt);   // missing padding
  CHECK(base64_decode("TW=u") == std::nullopt);  // data after padding
  CHECK(base64_decode("T!Fu") == std::nullopt);  // not in the alphabet
  CHECK(base64_decode("").value() == "");
}

TEST_CASE("uuid4 has the RFC 4122 version-4 form", "[codec]") {
  std::string id = uuid4();
  REQUIRE(id.size() == 36);
  CHECK(id[8] == '-');
  CHECK(id[14] == '4');
  CHECK(std::string("89ab").find(id[19]) != std::string::npos);
  CHECK(uuid4() != id);
}

TEST_CASE("uuid bytes print as version-4 text and parse back", "[codec]") {
  auto bytes = uuid4_bytes();
  char text[36];
  format_uuid(bytes, text);
  std::string id(text, sizeof text);
  CHECK(id[14] == '4');
  CHECK(std::string("89ab").find(id[19]) != std::string::npos);
  CHECK(parse_uuid(id) == bytes);
  CHECK(parse_uuid("00112233-4455-6677-8899-aabbccddeeff") ==
        std::array<uint8_t, 16>{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
                                0xbb, 0xcc, 0xdd, 0xee, 0xff});
  CHECK_FALSE(parse_uuid("00112233-4455-6677-8899-AABBCCDDEEFF").has_value());
  CHECK_FALSE(parse_uuid("00112233-4455-6677-8899_aabbccddeeff").has_value());
}

TEST_CASE("md5_bytes is the digest md5_hex prints", "[codec]") {
  auto bytes = md5_bytes("hello");
  char hex[32];
  format_hex(bytes.data(), bytes.size(), hex);
  CHECK(std::string(hex, sizeof hex) == md5_hex("hello"));
  std::array<uint8_t, 16> parsed;
  CHECK(parse_hex(md5_hex("hello"), parsed.data()));
  CHECK(parsed == bytes);
  CHECK_FALSE(parse_hex("5D", parsed.data()));
  CHECK_FALSE(parse_hex("5", parsed.data()));
}

TEST_CASE("big-endian integers sort like the numbers they encode", "[codec]") {
  std::string a, b;
  put_u64_be(a, 255);
  put_u64_be(b, 256);
  CHECK(a < b);
  CHECK(get_u64_be(b) == 256);
}

TEST_CASE("timestamps print as ISO-8601 UTC with milliseconds", "[codec]") {
  CHECK(iso8601_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(iso8601_ms(1700000000123) == "2023-11-14T22:13:20.123Z");
}

TEST_CASE("percent_encode keeps only RFC 3986's unreserved characters", "[codec]") {
  CHECK(percent_encode("AZaz09-._~") == "AZaz09-._~");
  CHECK(percent_encode("a b&c=d/e") == "a%20b%26c%3Dd%2Fe");
  CHECK(percent_encode("\xC3\xA9") == "%C3%A9");
  CHECK(percent_encode("") == "");
}

TEST_CASE("md5_many gives md5_bytes of every input, whatever their number and lengths") {
  // Lengths across the padding edges (55, 56, 63, 64, 119, 120...), beyond the vector path's
  // limit, and groups of every size around its sixteen lanes and its two-input floor.
  std::mt19937 random(7);
  std::vector<std::string> inputs;
  for (size_t size : {0, 1, 3, 55, 56, 57, 63, 64, 65, 100, 119, 120, 127, 128, 200, 1000, 1024,
                      1025, 5000, 100, 100, 100, 100, 100, 100, 100, 100}) {
    std::string s(size, '\0');
    for (auto& c : s) c = static_cast<char>(random());
    inputs.push_back(std::move(s));
  }
  for (size_t first = 0; first < inputs.size(); ++first)
    for (size_t n = 0; first + n <= inputs.size() && n <= 17; ++n) {
      std::vector<std::string_view> views(inputs.begin() + static_cast<long>(first),
                                          inputs.begin() + static_cast<long>(first + n));
      std::vector<std::array<uint8_t, 16>> got(n);
      md5_many(views.data(), n, got.data());
      for (size_t i = 0; i < n; ++i) {
        INFO("input of " << views[i].size() << " bytes, " << i << " of " << n);
        CHECK(got[i] == md5_bytes(views[i]));
      }
    }
  std::string_view known[3] = {"", "abc", "The quick brown fox jumps over the lazy dog"};
  std::array<uint8_t, 16> digests[3];
  md5_many(known, 3, digests);
  std::string hex(32, '0');
  format_hex(digests[0].data(), 16, hex.data());
  CHECK(hex == "d41d8cd98f00b204e9800998ecf8427e");
  format_hex(digests[1].data(), 16, hex.data());
  CHECK(hex == "900150983cd24fb0d6963f7d28e17f72");
  format_hex(digests[2].data(), 16, hex.data());
  CHECK(hex == "9e107d9d372bb6826bd81d3542a419d6");
}
