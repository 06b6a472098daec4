// AWS Signature Version 4, as the AWS documentation specifies it: the canonical request, the
// string to sign, the derived signing key and the Authorization header. Pure functions of their
// inputs (the time is given), so they can be checked against AWS's worked examples.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace wyvern::client::sigv4 {

struct Request {
  std::string method;  // "POST"
  std::string path;    // as sent on the wire, "/" or "/000000000000/orders"
  std::string query;   // as sent, without '?': "Action=ListUsers&Version=2010-05-08"
  std::vector<std::pair<std::string, std::string>> headers;  // every header to sign, incl. host
  std::string body;
};

struct Scope {
  std::string date;     // "20150830"
  std::string region;   // "us-east-1"
  std::string service;  // "sqs", "sns", "events", "states", ...
  std::string text() const { return date + "/" + region + "/" + service + "/aws4_request"; }
};

// Lower-case hex of the SHA-256 of `data`.
std::string sha256_hex(const std::string& data);

// The canonical request; `signed_headers` receives "host;x-amz-date;...".
std::string canonical_request(const Request& request, std::string* signed_headers = nullptr);

// "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256 of the canonical request>".
std::string string_to_sign(const std::string& amz_date, const Scope& scope,
                           const std::string& canonical);

// The key derived from the secret for one scope (raw bytes).
std::string signing_key(const std::string& secret_access_key, const Scope& scope);

// The Authorization header's value for `request` at `amz_date` ("20150830T123600Z"), whose
// headers must already include host and x-amz-date (and x-amz-security-token when used).
std::string authorization(const Request& request, const std::string& amz_date,
                          const std::string& access_key_id, const std::string& secret_access_key,
                          const std::string& region, const std::string& service);

// RFC 3986 percent-encoding with upper-case hex, as SigV4 (and form bodies) want it: all but
// letters, digits and -_.~ (and '/' when keep_slash) encoded.
std::string uri_encode(const std::string& s, bool keep_slash);

// Lower-case hex of raw bytes.
std::string hex(const std::string& bytes);

}  // namespace wyvern::client::sigv4
