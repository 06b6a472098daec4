// An outbound HTTP client for the requests the broker itself makes: local function URLs, SNS
// deliveries to HTTP(S) endpoints. One request, one connection, one response.
//
// Lifecycle: http_send() starts the exchange on a thread of its own and returns at once; the
// completion runs on that thread, exactly once, after the response came or the exchange failed.
// The caller posts it onward to whoever owns the state it touches.
//
// Thread-safety: http_send() may be called from any thread; requests share nothing.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace wyvern {

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // http[s]://host[:port][/path][?query]; default ports 80 and 443
  // Sent as given, after Host (which a "Host" here replaces). Content-Length is computed from
  // the body. Nothing else is added: no User-Agent, no Content-Type.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int timeout_ms = 15000;  // bounds connecting, the TLS handshake, writing and reading together
};

struct HttpResponse {
  int status = 0;  // the HTTP status; 0 when `error` is set
  std::string body;
  // Non-empty when no HTTP response was received: a bad URL, name resolution failed, the
  // connection was refused, the TLS handshake failed, the timeout passed.
  std::string error;
};

// Sends `request` and calls `done` with the response, on the exchange's own thread. https://
// URLs get TLS with SNI but without certificate verification: the endpoints are local
// development servers, usually with self-signed certificates.
void http_send(HttpRequest request, std::function<void(HttpResponse)> done);

}  // namespace wyvern
