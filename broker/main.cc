// wyvern: the broker process. main only parses flags, wires signals and runs the Broker.
#include <sys/resource.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstring>
#include <iostream>
#include <thread>

#include "cli.h"
#include "server/broker.h"

namespace {

constexpr char kUsage[] = R"(usage: wyvern [serve] [options]
       wyvern <command> ...     (wyvern help lists the commands)

Runs the Wyvern broker: SQS, SNS, EventBridge and Step Functions on the AWS wire
protocols, at http://HOST:PORT.

  --host HOST        address to listen on (default 127.0.0.1)
  --port PORT        port to listen on (default 4566; 0 picks a free port)
  --data-dir DIR     where the durable store lives (default $XDG_DATA_HOME/wyvern
                     or ~/.local/share/wyvern)
  --in-memory        keep everything in memory; nothing survives a restart
  --log-level LEVEL  error, warn, info (default) or debug
  --functions FILE   local commands for Lambda functions in Step Functions Task states:
                     {"NAME": {"command": ["program", "arg", ...]}}; the event arrives as JSON
                     on stdin and the answer is read as JSON from stdout
  --mock-config FILE Step Functions Local's MockConfigFile (also $SFN_MOCK_CONFIG): start
                     "<stateMachineArn>#<TestCase>" to run a test case on mocked Task results
  --config FILE      provision the resources in FILE at start (queues, topics, buses,
                     rules, state machines, functions, routes, mocks; see the README)
  --console-dir DIR  the built web console served at /_wyvern/console (default: the
                     source tree's broker/console/dist, or $WYVERN_CONSOLE_DIR)
  --help             show this help
)";

}  // namespace

int main(int argc, char** argv) {
  // `wyvern <command>` is the command line; `wyvern [serve] [options]` the broker.
  if (argc > 1 && wyvern::cli::is_subcommand(argv[1])) return wyvern::cli::run(argc, argv);
  if (argc > 1 && std::string_view(argv[1]) == "serve") {
    --argc;
    ++argv;
  }
  wyvern::server::Config config;
  if (const char* mocks = std::getenv("SFN_MOCK_CONFIG"); mocks && *mocks)
    config.mock_config = mocks;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "wyvern: " << name << " needs a value\n" << kUsage;
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--host") {
      config.host = value("--host");
    } else if (arg == "--port") {
      std::string p = value("--port");
      char* end = nullptr;
      long port = std::strtol(p.c_str(), &end, 10);
      if (!end || *end || port < 0 || port > 65535) {
        std::cerr << "wyvern: --port must be a number from 0 to 65535\n";
        return 2;
      }
      config.port = static_cast<uint16_t>(port);
    } else if (arg == "--data-dir") {
      config.data_dir = value("--data-dir");
    } else if (arg == "--config") {
      config.resources = value("--config");
    } else if (arg == "--console-dir") {
      config.console_dir = value("--console-dir");
    } else if (arg == "--functions") {
      config.functions = value("--functions");
    } else if (arg == "--mock-config") {
      config.mock_config = value("--mock-config");
    } else if (arg == "--in-memory") {
      config.in_memory = true;
    } else if (arg == "--log-level") {
      config.log_level = value("--log-level");
      if (config.log_level != "error" && config.log_level != "warn" && config.log_level != "info" &&
          config.log_level != "debug") {
        std::cerr << "wyvern: --log-level must be error, warn, info or debug\n";
        return 2;
      }
    } else {
      std::cerr << "wyvern: unknown option " << arg << "\n" << kUsage;
      return 2;
    }
  }

  // Every parked long poll holds a connection: allow as many descriptors as the system lets us.
  if (rlimit files; getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }

  auto broker = wyvern::server::open_broker(config);
  if (!broker) {
    std::cerr << "wyvern: " << broker.error().message << "\n";
    return 1;
  }
  auto port = (*broker)->start();
  if (!port) {
    std::cerr << "wyvern: " << port.error().message << "\n";
    return 1;
  }
  if (config.log_level != "error" && config.log_level != "warn") {
    std::cout << "wyvern listening on http://" << config.host << ":" << *port << " (store: "
              << (config.in_memory
                      ? std::string("memory")
                      : "lmdb in " + (config.data_dir.empty() ? wyvern::server::default_data_dir()
                                                              : config.data_dir))
              << ")" << std::endl;
  }

  // Signals are waited for on their own small io_context, so stop() runs on a thread that
  // is not one of the broker's.
  boost::asio::io_context signal_io;
  boost::asio::signal_set signals(signal_io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) (*broker)->stop();
  });
  std::thread signal_thread([&] { signal_io.run(); });
  (*broker)->run();
  signal_io.stop();
  signal_thread.join();
  return 0;
}
