#include "local_functions.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "http_client.h"

extern char** environ;

namespace wyvern {
namespace {

constexpr char kNotJson[] = "The function's output is not JSON.";

// A function's answer: a Lambda-style error object fails the invocation; anything else that
// parses as JSON is its result.
InvokeResult answer_of(const std::string& text) {
  InvokeResult out;
  json answer = json::parse(text.empty() ? "null" : text, nullptr, false);
  if (answer.is_object() && answer.contains("errorType")) {
    out.error_type =
        answer["errorType"].is_string() ? answer["errorType"].get<std::string>() : "Error";
    // Step Functions gives a function error's whole document, as the runtime wrote it, as the
    // cause: a Catch can read errorMessage (and any other member) back out of it.
    size_t end = text.find_last_not_of(" \t\r\n");
    out.error_message = end == std::string::npos ? "" : text.substr(0, end + 1);
    return out;
  }
  if (answer.is_discarded()) {
    out.error_type = "Lambda.Unknown";
    out.error_message = kNotJson;
    return out;
  }
  out.ok = true;
  out.payload = std::move(answer);
  return out;
}

InvokeResult failure(const std::string& type, const std::string& message) {
  InvokeResult out;
  out.error_type = type;
  out.error_message = message;
  return out;
}

// What an HTTP exchange with a function URL means for the invocation.
InvokeResult answer_of_exchange(const HttpResponse& response) {
  if (!response.error.empty())
    return failure("Lambda.ServiceException", response.error);  // it names the URL
  if (response.status / 100 != 2) {
    InvokeResult answered = answer_of(response.body);
    bool lambda_error = !answered.ok && answered.error_message != kNotJson;
    if (lambda_error) return answered;  // a Lambda-style error body says what failed
    return failure("Lambda.Unknown", "The function's URL answered HTTP " +
                                         std::to_string(response.status) + ": " +
                                         response.body.substr(0, 4096));
  }
  return answer_of(response.body);
}

InvokeResult run(const std::vector<std::string>& command, const std::string& event) {
  InvokeResult out;
  if (command.empty()) {
    out.error_type = "Lambda.ServiceException";
    out.error_message = "The function's command is empty.";
    return out;
  }
  int in[2], stdout_pipe[2], stderr_pipe[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(stdout_pipe, O_CLOEXEC) || pipe2(stderr_pipe, O_CLOEXEC)) {
    out.error_type = "Lambda.ServiceException";
    out.error_message = "Cannot create pipes for the function.";
    return out;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, stdout_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, stderr_pipe[1], 2);
  std::vector<char*> argv;
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(stdout_pipe[1]);
  ::close(stderr_pipe[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(stdout_pipe[0]);
    ::close(stderr_pipe[0]);
    out.error_type = "Lambda.ServiceException";
    out.error_message = "Cannot start the function's command: " + command[0];
    return out;
  }
  // Feed stdin and drain both outputs together, so that no pipe fills up and blocks.
  std::string stdout_text, stderr_text;
  size_t written = 0;
  int fds[3] = {in[1], stdout_pipe[0], stderr_pipe[0]};
  if (event.empty()) {
    ::close(fds[0]);
    fds[0] = -1;
  }
  while (fds[1] >= 0 || fds[2] >= 0) {
    pollfd p[3];
    for (int i = 0; i < 3; ++i) p[i] = {fds[i], static_cast<short>(i == 0 ? POLLOUT : POLLIN), 0};
    if (::poll(p, 3, -1) < 0) break;
    if (fds[0] >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = ::write(fds[0], event.data() + written, event.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (n <= 0 || written == event.size()) {
        ::close(fds[0]);
        fds[0] = -1;
      }
    }
    for (int i = 1; i < 3; ++i) {
      if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t n = ::read(fds[i], buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i]);
        fds[i] = -1;
      } else {
        (i == 1 ? stdout_text : stderr_text).append(buf, static_cast<size_t>(n));
      }
    }
  }
  if (fds[0] >= 0) ::close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  InvokeResult answered = answer_of(stdout_text);
  bool lambda_error = !answered.ok && answered.error_message != kNotJson;
  if (lambda_error) return answered;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return failure("Lambda.Unknown", stderr_text.size() > 4096
                                         ? stderr_text.substr(stderr_text.size() - 4096)
                                         : stderr_text);
  return answered;
}

}  // namespace

void invoke_command(std::vector<std::string> command, std::string event,
                    std::function<void(InvokeResult)> done) {
  std::thread([command = std::move(command), event = std::move(event), done = std::move(done)] {
    done(run(command, event));
  }).detach();
}

void invoke_url(std::string url, std::string event, std::function<void(InvokeResult)> done) {
  HttpRequest request;
  request.url = std::move(url);
  request.headers = {{"Content-Type", "application/json"}};
  request.body = std::move(event);
  // Lambda's own ceiling; the Task's TimeoutSeconds usually ends the wait sooner.
  request.timeout_ms = 15 * 60 * 1000;
  http_send(std::move(request),
            [done = std::move(done)](HttpResponse r) { done(answer_of_exchange(r)); });
}

std::string function_name(const std::string& arn) {
  const std::string marker = ":function:";
  auto at = arn.find(marker);
  if (at == std::string::npos) return arn.find(':') == std::string::npos ? arn : std::string();
  std::string rest = arn.substr(at + marker.size());
  return rest.substr(0, rest.find(':'));
}

}  // namespace wyvern
