// SigV4 against AWS's published examples: the aws-sig-v4-test-suite (credentials AKIDEXAMPLE,
// region us-east-1, service "service", 20150830T123600Z) and the IAM ListUsers worked example
// of the SigV4 documentation.
#include <catch2/catch.hpp>

#include "wyvern/sigv4.h"

namespace {

using wyvern::client::sigv4::Request;
namespace sigv4 = wyvern::client::sigv4;

constexpr char kKey[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kDate[] = "20150830T123600Z";
const sigv4::Scope kScope{"20150830", "us-east-1", "service"};

struct Case {
  const char* name;
  Request request;
  const char* canonical;
  const char* string_to_sign;
  const char* authorization;
};

const Case kSuite[] = {
    {"get-vanilla",
     {"GET", "/", "", {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kDate}}, ""},
     "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
     "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=host;x-amz-date, "
     "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
    {"post-vanilla",
     {"POST", "/", "", {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kDate}}, ""},
     "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
     "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=host;x-amz-date, "
     "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
    {"post-x-www-form-urlencoded",
     {"POST",
      "/",
      "",
      {{"Content-Type", "application/x-www-form-urlencoded"},
       {"Host", "example.amazonaws.com"},
       {"X-Amz-Date", kDate}},
      "Param1=value1"},
     "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
     "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
     "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
     "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
     "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=content-type;host;x-amz-date, "
     "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
    {"get-vanilla-query-order-key-case",
     {"GET", "/", "Param2=value2&Param1=value1",
      {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kDate}}, ""},
     nullptr, nullptr,
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=host;x-amz-date, "
     "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
    {"post-header-key-sort",
     {"POST", "/", "",
      {{"Host", "example.amazonaws.com"}, {"My-Header1", "value1"}, {"X-Amz-Date", kDate}}, ""},
     nullptr, nullptr,
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=host;my-header1;x-amz-date, "
     "Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
    {"get-vanilla-utf8-query",
     {"GET", "/", "\xE1\x88\xB4=bar", {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kDate}},
      ""},
     nullptr, nullptr,
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=host;x-amz-date, "
     "Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
    {"post-vanilla-query",
     {"POST", "/", "Param1=value1", {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", kDate}},
      ""},
     nullptr, nullptr,
     "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
     "SignedHeaders=host;x-amz-date, "
     "Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
};

}  // namespace

TEST_CASE("Requests sign as the aws-sig-v4-test-suite says", "[sigv4]") {
  for (const Case& c : kSuite) {
    INFO(c.name);
    std::string canonical = sigv4::canonical_request(c.request);
    if (c.canonical) CHECK(canonical == c.canonical);
    if (c.string_to_sign) CHECK(sigv4::string_to_sign(kDate, kScope, canonical) == c.string_to_sign);
    CHECK(sigv4::authorization(c.request, kDate, kKey, kSecret, "us-east-1", "service") ==
          c.authorization);
  }
}

TEST_CASE("The IAM ListUsers example signs as the SigV4 documentation works it", "[sigv4]") {
  Request request{"GET",
                  "/",
                  "Action=ListUsers&Version=2010-05-08",
                  {{"Host", "iam.amazonaws.com"},
                   {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                   {"X-Amz-Date", kDate}},
                  ""};
  std::string canonical = sigv4::canonical_request(request);
  CHECK(canonical ==
        "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
        "content-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\n"
        "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sigv4::sha256_hex(canonical) ==
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  sigv4::Scope scope{"20150830", "us-east-1", "iam"};
  CHECK(sigv4::hex(sigv4::signing_key(kSecret, scope)) ==
        "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
  CHECK(sigv4::authorization(request, kDate, kKey, kSecret, "us-east-1", "iam") ==
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST_CASE("Header values are trimmed and repeated headers joined before signing", "[sigv4]") {
  Request request{"POST", "/", "",
                  {{"Host", "example.amazonaws.com"},
                   {"My-Header1", "  a   b   c  "},
                   {"My-Header1", "d"},
                   {"X-Amz-Date", kDate}},
                  ""};
  std::string signed_headers;
  std::string canonical = sigv4::canonical_request(request, &signed_headers);
  CHECK(canonical.find("my-header1:a b c,d\n") != std::string::npos);
  CHECK(signed_headers == "host;my-header1;x-amz-date");
}
