// The console's live view: one JSON snapshot of what moves (queue counts, executions by status,
// running executions' progress, events per bus, the outbox, the clock), pushed as server-sent
// events to every open stream: on connect, then whenever it changes. The snapshot is looked at
// every 250 ms (real time: a display cadence, not behaviour) while anyone listens, and not at
// all otherwise.
//
// Thread-safety: add() from any thread; everything else runs on the core strand.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "http_server.h"

namespace wyvern::server {

class LiveFeed {
 public:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  // `snapshot` runs on `core`.
  LiveFeed(Strand core, std::function<nlohmann::json()> snapshot);

  void add(std::shared_ptr<Stream> stream);
  void stop();

 private:
  void tick();
  void arm();

  Strand core_;
  std::function<nlohmann::json()> snapshot_;
  boost::asio::steady_timer timer_;
  std::vector<std::shared_ptr<Stream>> streams_;
  std::string last_;  // the last snapshot sent, as its event text
  bool armed_ = false;
  bool stopped_ = false;
};

}  // namespace wyvern::server
