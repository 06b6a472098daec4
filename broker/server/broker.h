// The broker: the process's composition root. It owns the io_context and its threads, the
// core strand on which every service runs, the clock, the timers, the store and the services,
// and routes each HTTP request to the admin surface or to a service's protocol codec.
//
// Lifecycle: open() builds everything and recovers state from the store; start() listens;
// run() serves until stop() (safe from a signal handler thread) has drained in-flight requests.
#pragma once

#include <memory>
#include <string>

#include "foundation/errors.h"

namespace wyvern::server {

struct Config {
  std::string host = "127.0.0.1";
  uint16_t port = 4566;
  std::string data_dir;  // empty: the per-user default (see default_data_dir())
  bool in_memory = false;
  std::string log_level = "info";  // error, warn, info, debug
  std::string mock_config;         // a Step Functions Local MockConfigFile, or empty
  std::string functions;           // local commands bound to Lambda function names, or empty
  std::string resources;           // a resources file provisioned at start (--config), or empty
  std::string console_dir;         // the built console's files; empty: see console_files.h
  int io_threads = 1;
};

// $XDG_DATA_HOME/wyvern, else ~/.local/share/wyvern, else ./wyvern-data.
std::string default_data_dir();

class Broker {
 public:
  virtual ~Broker() = default;
  // Binds the listener; returns the port actually bound (useful with port 0).
  virtual Result<uint16_t> start() = 0;
  // Serves on the calling thread plus io_threads-1 more, until stop() completes.
  virtual void run() = 0;
  // Stops accepting, answers parked long polls, finishes in-flight requests, closes the store.
  virtual void stop() = 0;
};

Result<std::unique_ptr<Broker>> open_broker(const Config& config);

}  // namespace wyvern::server
