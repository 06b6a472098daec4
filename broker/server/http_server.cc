#include "http_server.h"

#include <array>
#include <deque>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <list>
#include <mutex>
#include <optional>

namespace wyvern::server {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

constexpr size_t kReadBuffer = 8 * 1024;

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  class Connection;

  Impl(net::io_context& io, Options options, Handler handler, TooLarge too_large)
      : io(io),
        options(std::move(options)),
        handler(std::move(handler)),
        too_large(std::move(too_large)),
        acceptor(net::make_strand(io)) {}

  void do_accept() {
    acceptor.async_accept(net::make_strand(io),
                          [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                            self->on_accept(ec, std::move(socket));
                          });
  }
  void on_accept(beast::error_code ec, tcp::socket socket);

  net::io_context& io;
  Options options;
  Handler handler;
  TooLarge too_large;
  StreamHandler streams;
  tcp::acceptor acceptor;
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};
  std::mutex connections_mu;  // guards connections; never held while calling a connection
  std::list<std::weak_ptr<Connection>> connections;
};

class HttpServer::Impl::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<Impl> server, tcp::socket socket)
      : server_(std::move(server)), stream_(std::move(socket)) {
    // Room for a typical request in one read: Beast reads into the buffer's free capacity
    // (at least 512 bytes), and a 1.5 KB SendMessageBatch took four recvmsg calls without it.
    buffer_.reserve(kReadBuffer);
  }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
  }

  // Called by stop(): an idle or streaming connection closes now; a busy one closes after its
  // answer.
  void close_when_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (!self->busy_ || self->streaming_) self->close();
    });
  }

  // --- a streamed response -------------------------------------------------------------
  class StreamImpl final : public Stream {
   public:
    explicit StreamImpl(std::weak_ptr<Connection> connection) : connection_(std::move(connection)) {}
    void send(std::string chunk) override {
      if (!open_) return;
      if (auto c = connection_.lock())
        net::post(c->stream_.get_executor(),
                  [c, chunk = std::move(chunk)]() mutable { c->stream_send(std::move(chunk)); });
    }
    void close() override {
      if (!open_.exchange(false)) return;
      if (auto c = connection_.lock()) net::post(c->stream_.get_executor(), [c] { c->close(); });
    }
    bool open() const override { return open_; }
    void closed() { open_ = false; }

   private:
    std::weak_ptr<Connection> connection_;
    std::atomic<bool> open_{true};
  };

  void start_stream(Request req) {
    streaming_ = true;
    --server_->in_flight;  // a stream may last forever; shutdown does not wait for it
    stream_impl_ = std::make_shared<StreamImpl>(weak_from_this());
    std::string head = "HTTP/1.1 200 OK\r\nContent-Type: " + server_->streams.content_type +
                       "\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
    stream_send(std::move(head));
    // Reading tells when the client goes away (a stream's client sends nothing more).
    do_watch();
    server_->streams.opened(req, stream_impl_);
  }

  void do_watch() {
    stream_.expires_never();
    stream_.async_read_some(net::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->close();
      self->do_watch();
    });
  }

  void stream_send(std::string chunk) {
    if (closed_) return;
    queued_bytes_ += chunk.size();
    if (queued_bytes_ > 1024 * 1024) return close();  // a client that does not read
    queue_.push_back(std::move(chunk));
    if (queue_.size() == 1) do_stream_write();
  }

  void do_stream_write() {
    net::async_write(stream_.socket(), net::buffer(queue_.front()),
                     [self = shared_from_this()](beast::error_code ec, size_t n) {
                       if (ec) return self->close();
                       self->queued_bytes_ -= n;
                       self->queue_.pop_front();
                       if (!self->queue_.empty()) self->do_stream_write();
                     });
  }

 private:
  void do_read() {
    if (server_->stopping) return close();
    parser_.emplace();
    parser_->body_limit(server_->options.body_limit);
    parser_->header_limit(64 * 1024);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t n) { self->on_read(ec, n); });
  }

  void on_read(beast::error_code ec, size_t) {
    if (ec == http::error::body_limit) {
      // Answer with the AWS-shaped error, then drop the connection: the rest of the body is
      // still on the wire.
      busy_ = true;
      ++server_->in_flight;
      draining_ = true;
      Response res = server_->too_large(parser_->get());
      res.keep_alive(false);
      return write(std::move(res));
    }
    if (ec) return close();
    busy_ = true;
    ++server_->in_flight;
    Request req = parser_->release();
    keep_alive_ = req.keep_alive();
    if (server_->streams.accepts && server_->streams.accepts(req)) return start_stream(std::move(req));
    // dispatch, not post: an answer made on the I/O thread (the usual case: a group commit's
    // completions) is written at once instead of taking another trip through the scheduler.
    auto respond = [self = shared_from_this()](Response res) {
      net::dispatch(self->stream_.get_executor(),
                    [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
    };
    server_->handler(std::move(req), std::move(respond));
  }

  void write(Response res) {
    res.keep_alive(res.keep_alive() && keep_alive_ && !server_->stopping);
    res.prepare_payload();
    // The head and the body in one gather write. What Beast's serializer would send for a
    // string body with a Content-Length (the start line, the fields in order, a blank line,
    // the body) written directly: the serializer's machinery showed in the profile.
    bool keep_alive = res.keep_alive();
    head_.clear();
    head_ += "HTTP/";
    head_ += static_cast<char>('0' + res.version() / 10);
    head_ += '.';
    head_ += static_cast<char>('0' + res.version() % 10);
    head_ += ' ';
    head_ += std::to_string(res.result_int());
    head_ += ' ';
    head_.append(res.reason().data(), res.reason().size());
    head_ += "\r\n";
    for (const auto& field : res.base()) {
      head_.append(field.name_string().data(), field.name_string().size());
      head_ += ": ";
      head_.append(field.value().data(), field.value().size());
      head_ += "\r\n";
    }
    head_ += "\r\n";
    body_ = std::move(res.body());
    std::array<net::const_buffer, 2> buffers{net::buffer(head_), net::buffer(body_)};
    net::async_write(stream_, buffers,
                     [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                       self->on_write(ec, keep_alive);
                     });
  }

  void on_write(beast::error_code ec, bool keep_alive) {
    busy_ = false;
    --server_->in_flight;
    if (!ec && draining_) return drain();
    if (ec || !keep_alive) return close();
    do_read();
  }

  // After refusing an oversized body: stop sending, read and discard what the client is still
  // sending (for a bounded time), then close. Closing at once would reset the connection under
  // a client that is still writing, and it would never see the error response.
  void drain() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(10));
    do_discard();
  }

  void do_discard() {
    stream_.async_read_some(net::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) return self->close();
                              self->do_discard();
                            });
  }

  void close() {
    closed_ = true;
    if (stream_impl_) stream_impl_->closed();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  std::shared_ptr<Impl> server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string head_, body_;  // the response being written (one at a time)
  bool busy_ = false;
  bool keep_alive_ = true;
  bool draining_ = false;
  std::array<char, 64 * 1024> scratch_;
  // A streamed response: what waits to be written, in order.
  bool streaming_ = false;
  bool closed_ = false;
  std::shared_ptr<StreamImpl> stream_impl_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
};

void HttpServer::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (stopping) return;
  if (!ec) {
    socket.set_option(tcp::no_delay(true), ec);
    auto conn = std::make_shared<Connection>(shared_from_this(), std::move(socket));
    {
      std::lock_guard lock(connections_mu);
      connections.remove_if([](const auto& w) { return w.expired(); });
      connections.push_back(conn);
    }
    conn->start();
  }
  do_accept();
}

HttpServer::HttpServer(net::io_context& io, Options options, Handler handler, TooLarge too_large)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(handler),
                                   std::move(too_large))) {}

HttpServer::~HttpServer() {
  stop();
}

void HttpServer::set_stream_handler(StreamHandler handler) {
  impl_->streams = std::move(handler);
}

std::string HttpServer::start() {
  beast::error_code ec;
  auto address = net::ip::make_address(impl_->options.host, ec);
  if (ec) {
    tcp::resolver resolver(impl_->io);
    auto results = resolver.resolve(impl_->options.host, "", ec);
    if (ec || results.empty()) return "cannot resolve host " + impl_->options.host;
    address = results.begin()->endpoint().address();
  }
  tcp::endpoint endpoint(address, impl_->options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return "cannot listen on " + impl_->options.host + ":" + std::to_string(impl_->options.port) +
           ": " + ec.message();
  impl_->do_accept();
  return {};
}

uint16_t HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::stop() {
  if (impl_->stopping.exchange(true)) return;
  net::post(impl_->acceptor.get_executor(), [impl = impl_] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  std::list<std::weak_ptr<Impl::Connection>> connections;
  {
    std::lock_guard lock(impl_->connections_mu);
    connections = impl_->connections;
  }
  for (auto& weak : connections)
    if (auto conn = weak.lock()) conn->close_when_idle();
}

bool HttpServer::drained() const {
  return impl_->in_flight.load() == 0;
}

}  // namespace wyvern::server
