// The outbound HTTP client against a one-shot server in the test: what the server receives,
// what comes back, and the failures that come back as `error` instead of a response.
#include "foundation/http_client.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <thread>

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using wyvern::http_send;
using wyvern::HttpRequest;
using wyvern::HttpResponse;

// Serves one connection on 127.0.0.1, on a port of its own: reads one request and answers it
// with `reply`. Runs on its own thread until destroyed; the destructor stops it even when no
// client came.
class OneShotServer {
 public:
  explicit OneShotServer(http::response<http::string_body> reply)
      : acceptor_(io_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)),
        reply_(std::move(reply)) {
    acceptor_.async_accept(socket_, [this](beast::error_code ec) {
      if (ec) return;
      http::async_read(socket_, buffer_, request_, [this](beast::error_code ec, size_t) {
        if (ec) return;
        received_.set_value(request_);
        reply_.prepare_payload();
        http::async_write(socket_, reply_, [this](beast::error_code, size_t) {
          beast::error_code ignored;
          socket_.shutdown(tcp::socket::shutdown_both, ignored);
          socket_.close(ignored);
        });
      });
    });
    thread_ = std::thread([this] { io_.run(); });
  }
  ~OneShotServer() {
    io_.stop();
    thread_.join();
  }

  std::string url(const std::string& path_and_query) const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + path_and_query;
  }
  std::future<http::request<http::string_body>> received() { return received_.get_future(); }

 private:
  net::io_context io_;
  tcp::acceptor acceptor_;
  tcp::socket socket_{io_};
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> reply_;
  std::promise<http::request<http::string_body>> received_;
  std::thread thread_;
};

http::response<http::string_body> reply(http::status status, std::string body) {
  http::response<http::string_body> res{status, 11};
  res.set(http::field::content_type, "text/plain");
  res.body() = std::move(body);
  return res;
}

// Sends `request` and waits for `done`; fails the test if it never comes.
HttpResponse send_and_wait(HttpRequest request) {
  auto answered = std::make_shared<std::promise<HttpResponse>>();
  auto response = answered->get_future();
  http_send(std::move(request), [answered](HttpResponse r) { answered->set_value(std::move(r)); });
  REQUIRE(response.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  return response.get();
}

// A port on 127.0.0.1 that nothing listens on (it was bound a moment ago, then closed).
unsigned short closed_port() {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();
}

}  // namespace

TEST_CASE("the server receives the method, path, query, headers and body", "[http]") {
  OneShotServer server(reply(http::status::ok, "fine"));
  auto received = server.received();
  HttpRequest request;
  request.method = "PUT";
  request.url = server.url("/hooks/dragon?wings=2");
  request.headers = {{"Content-Type", "application/json"},
                     {"x-amz-sns-message-type", "Notification"},
                     {"User-Agent", "Amazon Simple Notification Service Agent"}};
  request.body = R"({"dragon":"Norbert"})";
  HttpResponse response = send_and_wait(request);
  REQUIRE(response.error.empty());
  REQUIRE(received.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  auto got = received.get();
  CHECK(got.method_string() == "PUT");
  CHECK(got.target() == "/hooks/dragon?wings=2");
  CHECK(got[http::field::host] == request.url.substr(7, request.url.find('/', 7) - 7));
  CHECK(got[http::field::content_length] == std::to_string(request.body.size()));
  CHECK(got[http::field::content_type] == "application/json");
  CHECK(got["x-amz-sns-message-type"] == "Notification");
  CHECK(got[http::field::user_agent] == "Amazon Simple Notification Service Agent");
  CHECK(got.body() == request.body);
}

TEST_CASE("no User-Agent is sent unless the caller gives one", "[http]") {
  OneShotServer server(reply(http::status::ok, ""));
  auto received = server.received();
  HttpRequest request;
  request.url = server.url("");
  HttpResponse response = send_and_wait(request);
  REQUIRE(response.error.empty());
  auto got = received.get();
  CHECK(got.method_string() == "POST");
  CHECK(got.target() == "/");
  CHECK(got.count(http::field::user_agent) == 0);
  CHECK(got[http::field::content_length] == "0");
}

TEST_CASE("the status and body come back, whatever the status", "[http]") {
  SECTION("a success") {
    OneShotServer server(reply(http::status::created, "made"));
    HttpRequest request;
    request.url = server.url("/");
    HttpResponse response = send_and_wait(request);
    CHECK(response.error.empty());
    CHECK(response.status == 201);
    CHECK(response.body == "made");
  }
  SECTION("a server error is a response, not an error") {
    OneShotServer server(reply(http::status::internal_server_error, "internal trouble"));
    HttpRequest request;
    request.url = server.url("/");
    HttpResponse response = send_and_wait(request);
    CHECK(response.error.empty());
    CHECK(response.status == 500);
    CHECK(response.body == "internal trouble");
  }
}

TEST_CASE("a refused connection comes back as an error", "[http]") {
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(closed_port()) + "/";
  HttpResponse response = send_and_wait(request);
  CHECK(response.status == 0);
  CHECK_FALSE(response.error.empty());
}

TEST_CASE("a URL that is not http or https comes back as an error", "[http]") {
  for (const char* url : {"ftp://127.0.0.1/", "127.0.0.1:80/", "http://", "http://host:99999/",
                          "http://host:port/"}) {
    HttpRequest request;
    request.url = url;
    HttpResponse response = send_and_wait(request);
    INFO(url);
    CHECK(response.status == 0);
    CHECK_FALSE(response.error.empty());
  }
}

TEST_CASE("a server that never answers runs into the timeout", "[http]") {
  // Listening without accepting: the kernel completes the connection and takes the request,
  // and no answer ever comes.
  net::io_context io;
  tcp::acceptor silent(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/";
  request.timeout_ms = 300;
  auto started = std::chrono::steady_clock::now();
  HttpResponse response = send_and_wait(request);
  auto waited = std::chrono::steady_clock::now() - started;
  CHECK(response.status == 0);
  CHECK(response.error.find("timed out") != std::string::npos);
  CHECK(waited >= std::chrono::milliseconds(250));
  CHECK(waited < std::chrono::seconds(5));
}
