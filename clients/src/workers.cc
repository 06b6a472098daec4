// The two loops: Consumer (receive, handle, delete or leave) and TaskWorker (receive a task
// token, work it on a thread of its own while heartbeating, report, delete).
//
// Lifecycle: run() loops on the caller's thread until stop(). stop() sets a flag and interrupts
// the long poll in flight, so run() returns without waiting out the poll; a message already
// handed to a handler is finished first. Receives and acknowledgements use separate
// connections, so interrupting the poll never breaks an acknowledgement.
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "transport.h"

namespace wyvern::client {
namespace {

// Sleeps up to `delay`, waking early once `stopping` is set (checked every 50 ms).
void pause(const std::atomic<bool>& stopping, std::chrono::milliseconds delay) {
  auto until = std::chrono::steady_clock::now() + delay;
  while (!stopping && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

}  // namespace

// --- Consumer -----------------------------------------------------------------------------

Consumer::Consumer(Options options, std::string queue_url, Handler handler,
                   ConsumerOptions consumer_options)
    : poller_(options),
      acker_(options),
      queue_url_(std::move(queue_url)),
      handler_(std::move(handler)),
      options_(consumer_options) {}

Consumer::~Consumer() = default;

void Consumer::stop() {
  stopping_ = true;
  poller_.interrupt();
}

Result<Ok> Consumer::run() {
  ReceiveOptions receive{options_.max_messages, options_.wait_seconds,
                         options_.visibility_timeout};
  while (!stopping_) {
    auto batch = poller_.receive(queue_url_, receive);
    if (stopping_) break;
    if (!batch) {
      if (!batch.error().transient()) return batch.error();
      pause(stopping_, options_.retry_delay);
      continue;
    }
    for (const Message& message : *batch) {
      bool accepted = false;
      try {
        accepted = handler_(message);
      } catch (const std::exception&) {
        accepted = false;  // a handler's failure is a rejection, not the loop's end
      }
      if (accepted && acker_.delete_message(queue_url_, message.receipt_handle))
        ++handled_;
      else
        ++rejected_;
    }
  }
  return Ok{};
}

// --- TaskWorker ---------------------------------------------------------------------------

TaskWorker::TaskWorker(Options options, std::string queue_url, Handler handler,
                       TaskWorkerOptions worker_options)
    : options_(options),
      poller_(options),
      acker_(options),
      machines_(options),
      queue_url_(std::move(queue_url)),
      handler_(std::move(handler)),
      worker_options_(std::move(worker_options)) {}

TaskWorker::~TaskWorker() = default;

void TaskWorker::stop() {
  stopping_ = true;
  poller_.interrupt();
}

Result<Ok> TaskWorker::run() {
  ReceiveOptions receive{1, worker_options_.wait_seconds, std::nullopt};
  while (!stopping_) {
    auto batch = poller_.receive(queue_url_, receive);
    if (stopping_) break;
    if (!batch) {
      if (!batch.error().transient()) return batch.error();
      pause(stopping_, worker_options_.retry_delay);
      continue;
    }
    for (const Message& message : *batch) work(message);
  }
  return Ok{};
}

void TaskWorker::work(const Message& message) {
  Task task;
  task.message = message;
  task.body = nlohmann::json::parse(message.body, nullptr, false);
  if (task.body.is_object()) {
    for (const std::string& field : {worker_options_.token_field, std::string("TaskToken"),
                                     std::string("taskToken")})
      if (task.body.contains(field) && task.body[field].is_string()) {
        task.token = task.body[field];
        break;
      }
  }
  if (task.token.empty()) return;  // not a task: left for the queue's redrive policy

  // The handler works on its own thread; this one heartbeats until it is done.
  std::mutex mu;
  std::condition_variable finished_cv;
  bool finished = false;
  std::optional<Result<nlohmann::json>> answer;
  std::string exception;
  std::thread worker([&] {
    std::optional<Result<nlohmann::json>> result;
    std::string what;
    try {
      result.emplace(handler_(task));
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
      what = "unknown exception";
    }
    std::lock_guard lock(mu);
    answer = std::move(result);
    exception = std::move(what);
    finished = true;
    finished_cv.notify_one();
  });
  {
    std::unique_lock lock(mu);
    while (!finished_cv.wait_for(lock, worker_options_.heartbeat_every, [&] { return finished; })) {
      lock.unlock();
      machines_.send_task_heartbeat(task.token);
      if (on_heartbeat) on_heartbeat(task.token);
      lock.lock();
    }
  }
  worker.join();

  Result<Ok> report = Ok{};
  if (answer && answer->ok()) {
    report = machines_.send_task_success(task.token, answer->value());
    ++succeeded_;
  } else {
    std::string error = answer ? answer->error().code : "Exception";
    std::string cause = answer ? answer->error().message : exception;
    report = machines_.send_task_failure(task.token, error, cause);
    ++failed_;
  }
  // Reported, or refused because the task is over (timed out, token unknown): either way the
  // message has served its purpose. A report that got no answer leaves the message to return.
  if (report || !report.error().transient()) acker_.delete_message(queue_url_, message.receipt_handle);
  if (on_reported) on_reported(task, report);
}

}  // namespace wyvern::client
