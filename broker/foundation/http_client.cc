// Lifecycle of one exchange: http_send() starts a detached thread that owns a private
// io_context; on it the URL is parsed, the host resolved, and connect, (TLS handshake,) write
// and read run as asynchronous operations one after another, each driven by running the
// io_context until it completes. They are asynchronous only so that beast::tcp_stream's
// deadline applies (it does not bound synchronous calls); the thread still waits for each.
// When the response is read or a step fails, the socket is closed, `done` runs, and the
// thread ends.
#include "http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <chrono>
#include <exception>
#include <optional>
#include <thread>

namespace wyvern {
namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Deadline = std::chrono::steady_clock::time_point;

struct Target {
  bool tls = false;
  std::string host;       // without the brackets of an IPv6 literal
  std::string port;       // numeric
  std::string authority;  // as written in the URL: the Host header
  std::string path;       // path and query, at least "/"
};

bool starts_with_nocase(const std::string& s, const std::string& prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

std::optional<Target> parse_url(const std::string& url) {
  Target t;
  std::string rest;
  if (starts_with_nocase(url, "http://")) {
    rest = url.substr(7);
  } else if (starts_with_nocase(url, "https://")) {
    t.tls = true;
    rest = url.substr(8);
  } else {
    return std::nullopt;
  }
  rest = rest.substr(0, rest.find('#'));  // a fragment never goes on the wire
  size_t end = rest.find_first_of("/?");
  t.authority = rest.substr(0, end);
  t.path = end == std::string::npos ? "/" : rest.substr(end);
  if (t.path[0] == '?') t.path.insert(0, "/");
  if (t.authority.find('@') != std::string::npos) return std::nullopt;  // no credentials in URLs
  t.port = t.tls ? "443" : "80";
  std::string port;
  if (!t.authority.empty() && t.authority[0] == '[') {
    size_t close = t.authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    t.host = t.authority.substr(1, close - 1);
    std::string after = t.authority.substr(close + 1);
    if (!after.empty() && after[0] != ':') return std::nullopt;
    if (!after.empty()) port = after.substr(1);
    if (after == ":") return std::nullopt;
  } else {
    size_t colon = t.authority.rfind(':');
    t.host = t.authority.substr(0, colon);
    if (colon != std::string::npos) {
      port = t.authority.substr(colon + 1);
      if (port.empty()) return std::nullopt;
    }
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) == 0 || std::stoi(port) > 65535)
      return std::nullopt;
    t.port = port;
  }
  if (t.host.empty()) return std::nullopt;
  return t;
}

// Starts one asynchronous operation through `start(handler)` and runs the io_context until
// the operation (and the stream's timer it armed) are done; returns the operation's error.
template <class Start>
beast::error_code run_to_completion(net::io_context& io, Start start) {
  beast::error_code result;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

std::string describe(const beast::error_code& ec, const HttpRequest& request) {
  if (ec == beast::error::timeout)
    return "timed out after " + std::to_string(request.timeout_ms) + " ms";
  return ec.message();
}

// Writes the request and reads the response over a connected (and, for TLS, handshaken)
// stream whose deadline is already set.
template <class Stream>
HttpResponse exchange(net::io_context& io, Stream& stream, const Target& target,
                      const HttpRequest& request) {
  HttpResponse out;
  http::request<http::string_body> req;
  req.version(11);
  req.method_string(request.method);
  req.target(target.path);
  req.set(http::field::host, target.authority);
  for (const auto& [name, value] : request.headers) req.set(name, value);
  req.body() = request.body;
  req.prepare_payload();
  if (auto ec =
          run_to_completion(io, [&](auto handler) { http::async_write(stream, req, handler); })) {
    out.error = "Cannot send the request to " + request.url + ": " + describe(ec, request);
    return out;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  auto ec = run_to_completion(
      io, [&](auto handler) { http::async_read(stream, buffer, parser, handler); });
  // A TLS peer that closes without close_notify ends a body that runs to the end of the
  // stream; many small development servers do that, so take it as the end.
  if (ec == ssl::error::stream_truncated && parser.need_eof()) parser.put_eof(ec);
  if (ec || !parser.is_done()) {
    out.error = "Cannot read the response from " + request.url + ": " +
                (ec ? describe(ec, request) : std::string("the response ended early"));
    return out;
  }
  out.status = parser.get().result_int();
  out.body = std::move(parser.get().body());
  return out;
}

HttpResponse send_now(const HttpRequest& request) {
  HttpResponse out;
  // The deadline runs from the start, so slow name resolution counts against it too, though
  // resolution itself cannot be interrupted (local endpoints are addresses or localhost).
  Deadline deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(request.timeout_ms);
  std::optional<Target> target = parse_url(request.url);
  if (!target) {
    out.error = "Not an http:// or https:// URL: " + request.url;
    return out;
  }
  if (request.method.empty()) {
    out.error = "The request has no method.";
    return out;
  }
  net::io_context io;
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(target->host, target->port, ec);
  if (ec) {
    out.error = "Cannot resolve " + target->host + ": " + ec.message();
    return out;
  }
  auto connect = [&](beast::tcp_stream& socket) {
    socket.expires_at(deadline);
    return run_to_completion(io, [&](auto handler) { socket.async_connect(endpoints, handler); });
  };
  if (!target->tls) {
    beast::tcp_stream stream(io);
    if ((ec = connect(stream))) {
      out.error = "Cannot connect to " + request.url + ": " + describe(ec, request);
      return out;
    }
    out = exchange(io, stream, *target, request);
    stream.socket().close(ec);
    return out;
  }
  // No certificate verification: the endpoints are local development servers, usually with
  // self-signed certificates, and the point is to reach them, not to authenticate them.
  ssl::context context(ssl::context::tls_client);
  context.set_verify_mode(ssl::verify_none);
  beast::ssl_stream<beast::tcp_stream> stream(io, context);
  // SNI carries host names only (RFC 6066 forbids address literals in it).
  boost::system::error_code not_an_address;
  net::ip::make_address(target->host, not_an_address);
  if (not_an_address && !SSL_set_tlsext_host_name(stream.native_handle(), target->host.c_str())) {
    out.error = "Cannot set the TLS server name for " + target->host;
    return out;
  }
  if ((ec = connect(beast::get_lowest_layer(stream)))) {
    out.error = "Cannot connect to " + request.url + ": " + describe(ec, request);
    return out;
  }
  if ((ec = run_to_completion(
           io, [&](auto handler) { stream.async_handshake(ssl::stream_base::client, handler); }))) {
    out.error = "TLS handshake with " + request.url + " failed: " + describe(ec, request);
    return out;
  }
  out = exchange(io, stream, *target, request);
  // No TLS shutdown: the response is complete, and waiting for the peer's close_notify
  // could only add a wait.
  beast::get_lowest_layer(stream).socket().close(ec);
  return out;
}

}  // namespace

void http_send(HttpRequest request, std::function<void(HttpResponse)> done) {
  std::thread([request = std::move(request), done = std::move(done)] {
    HttpResponse response;
    try {
      response = send_now(request);
    } catch (const std::exception& e) {  // allocation or TLS setup failing: still answer once
      response = HttpResponse{};
      response.error = "Cannot send the request to " + request.url + ": " + e.what();
    }
    done(std::move(response));
  }).detach();
}

}  // namespace wyvern
