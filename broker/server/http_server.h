// The HTTP front door: accepts connections, reads requests (keep-alive, body-size limit) and
// hands each one to a Handler, writing back whatever response the handler produces later.
//
// Lifecycle: start() binds and begins accepting. Each connection runs on its own strand and
// reads one request at a time; while a request is being answered (which may take a long poll's
// 20 s) the connection holds no thread. stop() closes the listener and every idle connection;
// connections with a request in flight close after answering it. drained() turns true when no
// request is in flight.
//
// A request that a StreamHandler accepts is answered as a stream instead (server-sent events):
// the server writes the head, then whatever the handler send()s, until either side closes.
// Streams do not count as in flight: stop() closes them.
//
// Thread-safety: a Handler may call its Respond from any thread, exactly once. A Stream may be
// used from any thread.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <string>

namespace wyvern::server {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using Respond = std::function<void(Response)>;
using Handler = std::function<void(Request&&, Respond)>;
// Builds the answer to a request whose body exceeded the limit (status and body chosen by the
// caller so that it is shaped like the AWS error the client expects).
using TooLarge = std::function<Response(const Request& headers_only)>;

// The body of a streamed response, written in pieces in order. After the client has gone (or
// close()), open() is false and send() does nothing. A client that does not read is dropped
// once a megabyte waits for it.
class Stream {
 public:
  virtual ~Stream() = default;
  virtual void send(std::string chunk) = 0;
  virtual void close() = 0;
  virtual bool open() const = 0;
};

struct StreamHandler {
  std::function<bool(const Request&)> accepts;  // true: answer `request` as a stream
  std::string content_type = "text/event-stream";
  std::function<void(const Request&, std::shared_ptr<Stream>)> opened;  // after the head is sent
};

class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    uint16_t port = 4566;  // 0: any free port (see port())
    size_t body_limit = 4 * 1024 * 1024;
  };

  HttpServer(boost::asio::io_context& io, Options options, Handler handler, TooLarge too_large);
  ~HttpServer();

  // REQUIRES: before start().
  void set_stream_handler(StreamHandler handler);

  // Binds and starts accepting. Returns an error message on failure, empty on success.
  std::string start();
  uint16_t port() const;
  void stop();
  bool drained() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace wyvern::server
