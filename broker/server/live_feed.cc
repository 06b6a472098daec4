#include "live_feed.h"

#include <boost/asio/post.hpp>
#include <chrono>

namespace wyvern::server {

namespace net = boost::asio;

namespace {
std::string event_text(const nlohmann::json& snapshot) {
  return "event: snapshot\ndata: " +
         snapshot.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}
}  // namespace

LiveFeed::LiveFeed(Strand core, std::function<nlohmann::json()> snapshot)
    : core_(core), snapshot_(std::move(snapshot)), timer_(core) {}

void LiveFeed::add(std::shared_ptr<Stream> stream) {
  net::post(core_, [this, stream = std::move(stream)] {
    if (stopped_) return stream->close();
    // A newcomer gets the present at once, not the last one sent (it may be 250 ms old).
    std::string now = event_text(snapshot_());
    stream->send(now);
    if (now != last_) {
      for (auto& s : streams_) s->send(now);
      last_ = std::move(now);
    }
    streams_.push_back(stream);
    arm();
  });
}

void LiveFeed::stop() {
  net::post(core_, [this] {
    stopped_ = true;
    timer_.cancel();
    for (auto& s : streams_) s->close();
    streams_.clear();
  });
}

void LiveFeed::arm() {
  if (armed_ || stopped_) return;
  armed_ = true;
  timer_.expires_after(std::chrono::milliseconds(250));
  timer_.async_wait([this](boost::system::error_code ec) {
    armed_ = false;
    if (!ec) tick();
  });
}

void LiveFeed::tick() {
  std::erase_if(streams_, [](const auto& s) { return !s->open(); });
  if (streams_.empty() || stopped_) {
    last_.clear();
    return;
  }
  std::string now = event_text(snapshot_());
  if (now != last_) {
    for (auto& s : streams_) s->send(now);
    last_ = std::move(now);
  }
  arm();
}

}  // namespace wyvern::server
