#include <catch2/catch.hpp>

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
