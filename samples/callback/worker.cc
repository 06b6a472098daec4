// A task worker with Wyvern's C++ client: TaskWorker receives hatching tasks from a queue, runs
// the handler on a thread of its own while it sends heartbeats, and answers Step Functions with
// the task token. Usage: callback_worker QUEUE_URL (endpoint from $WYVERN_ENDPOINT or
// $AWS_ENDPOINT_URL). Runs until SIGINT or SIGTERM.
//   red, gold, ... -> SendTaskSuccess {"dragon": "<egg> dragon"}
//   stone          -> SendTaskFailure Egg.NotAnEgg (an Error returned by the handler)
//   forgotten      -> the handler never finishes in time and sends no heartbeat: the execution
//                     times out, and the late answer is refused with TaskTimedOut
#include <wyvern/client.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <thread>

namespace {
std::atomic<bool> g_stopping{false};
}

int main(int argc, char** argv) {
  using namespace wyvern::client;
  if (argc != 2) {
    std::cerr << "usage: callback_worker QUEUE_URL\n";
    return 2;
  }
  // Signals are taken by a thread of their own (sigwait), which stops the worker.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  TaskWorker worker(
      Options::from_environment(), argv[1],
      [](const Task& task) -> Result<nlohmann::json> {
        std::string egg = task.body.value("egg", "");
        if (egg == "stone") return Error{"Egg.NotAnEgg", "a stone cannot hatch", 0};
        if (egg == "forgotten") {
          std::cout << "c++ worker: forgetting " << egg << std::endl;
          while (!g_stopping) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return nlohmann::json{{"dragon", egg + " dragon"}};
      },
      // Heartbeats only every hour: the forgotten egg shows what a silent worker causes.
      {.wait_seconds = 1, .heartbeat_every = std::chrono::hours(1)});
  worker.on_reported = [](const Task& task, const Result<Ok>& report) {
    std::string egg = task.body.value("egg", "");
    if (report)
      std::cout << "c++ worker: answered " << egg << std::endl;
    else
      std::cout << "c++ worker: late answer for " << egg << " refused: " << report.error().code
                << std::endl;
  };
  std::thread stopper([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    g_stopping = true;
    worker.stop();
  });
  std::cout << "c++ worker: waiting for eggs on " << argv[1] << std::endl;
  auto ran = worker.run();
  stopper.join();
  if (!ran) {
    std::cerr << "c++ worker: " << ran.error().code << ": " << ran.error().message << "\n";
    return 1;
  }
  return 0;
}
