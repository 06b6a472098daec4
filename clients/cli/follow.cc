// Executions at the terminal: `start --follow` prints each state as it is entered and left,
// `history` prints the console's event table (ID, Type, Step, Resource, Elapsed Time (ms)); and
// the helpers the subcommands share.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <thread>
#include <vector>

#include "commands.h"

namespace wyvern::cli {
namespace {

using json = nlohmann::json;

// The state an event belongs to: entered/exited events name it; the events of a Parallel or
// Map state itself (ParallelStateStarted, MapIterationSucceeded, ...) belong to the innermost
// one entered; the other events between (a Task's scheduling, a Lambda's start) belong to the
// last state entered.
struct StepTracker {
  std::string current;
  std::vector<std::string> containers;  // Parallel and Map states entered and not yet left
  std::string step_of(const client::HistoryEvent& e) {
    bool container = e.type.rfind("Parallel", 0) == 0 || e.type.rfind("Map", 0) == 0;
    if (e.details.contains("name") && (e.type.ends_with("StateEntered") || e.type.ends_with("StateExited"))) {
      std::string name = e.details["name"];
      if (e.type.ends_with("StateEntered")) {
        current = name;
        if (container) containers.push_back(name);
      } else if (container && !containers.empty()) {
        containers.pop_back();
      }
      return name;
    }
    if (e.type.rfind("Execution", 0) == 0) return "";
    if (container && !containers.empty()) return containers.back();
    return current;
  }
};

std::string resource_of(const client::HistoryEvent& e) {
  if (e.type.rfind("LambdaFunction", 0) == 0) return "Lambda";
  if (e.type.rfind("Task", 0) == 0 && e.details.contains("resourceType"))
    return e.details.value("resourceType", "") + ":" + e.details.value("resource", "");
  if (e.type.rfind("Activity", 0) == 0) return "Activity";
  if (e.type.rfind("MapRun", 0) == 0) return "Map Run";
  return "-";
}

std::string elapsed_ms(double from, double at) {
  return std::to_string(static_cast<long>((at - from) * 1000 + 0.5));
}

json event_json(const client::HistoryEvent& e) {
  return {{"id", e.id},
          {"previousEventId", e.previous_event_id},
          {"type", e.type},
          {"timestamp", e.timestamp},
          {"details", e.details}};
}

// A state's name in a column of 28, and always two spaces after it.
std::string padded(const std::string& name) {
  return name + std::string(name.size() < 26 ? 28 - name.size() : 2, ' ');
}

// One line per state entered or left, and the execution's end.
void print_progress(Context& c, const client::HistoryEvent& e, double started) {
  std::string at = "+" + elapsed_ms(started, e.timestamp) + " ms";
  if (c.json) {
    c.out << event_json(e).dump() << std::endl;
    return;
  }
  if (e.type.ends_with("StateEntered"))
    c.out << "  -> " << padded(e.details.value("name", "")) << e.type.substr(0, e.type.size() - 12) << "  " << at << "\n";
  else if (e.type.ends_with("StateExited"))
    c.out << "  <- " << padded(e.details.value("name", "")) << "done  " << at << "\n";
  else if (e.type.ends_with("Failed") || e.type.ends_with("TimedOut"))
    c.out << "  !! " << e.type << " " << e.details.value("error", "") << ": " << e.details.value("cause", "") << "  " << at << "\n";
  c.out << std::flush;
}

}  // namespace

int Context::fail(const client::Error& e) const {
  if (e.code == "ConnectionError") {
    err << "wyvern: no broker answered at " << options.endpoint << " (" << e.message << ")\n";
    return 3;
  }
  err << "wyvern: " << e.code << ": " << e.message << "\n";
  return 1;
}

int Context::usage_error(const std::string& message) const {
  err << "wyvern: " << message << "\n";
  return 2;
}

int Context::print(const nlohmann::json& document) const {
  out << document.dump(2) << "\n";
  return 0;
}

Result<std::string> Context::queue_url(client::Queues& sqs, const std::string& name) const {
  if (name.rfind("http://", 0) == 0 || name.rfind("https://", 0) == 0) return name;
  return sqs.queue_url(name);
}

Result<std::string> Context::machine_arn(client::StateMachines& sfn, const std::string& name) const {
  if (name.rfind("arn:", 0) == 0) return name;
  auto arns = sfn.list();
  if (!arns) return arns.error();
  for (const std::string& arn : *arns)
    if (arn.ends_with(":stateMachine:" + name)) return arn;
  return client::Error{"StateMachineDoesNotExist", "State Machine Does Not Exist: '" + name + "'", 400};
}

bool parse_number(const std::string& text, double& out) {
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return !text.empty() && end && *end == '\0';
}

bool parse_count(const std::string& text, long& out, bool zero_ok) {
  char* end = nullptr;
  out = std::strtol(text.c_str(), &end, 10);
  return !text.empty() && end && *end == '\0' && (out > 0 || (zero_ok && out == 0));
}

void Table::print(std::ostream& out) const {
  std::vector<size_t> widths;
  for (const auto& row : rows_)
    for (size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], row[i].size());
    }
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

int history(Context& c, Args& a) {
  if (a.positional.size() != 1) return c.usage_error("usage: wyvern history EXECUTION_ARN [--wait]");
  client::StateMachines sfn(c.options);
  // --wait: the whole history, once the execution has ended.
  for (int polls = 0; a.has("wait"); ++polls) {
    auto described = sfn.describe(a.positional[0]);
    if (!described) return c.fail(described.error());
    if (described->status != "RUNNING") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(200, 20 * (polls + 1))));
  }
  auto events = sfn.history(a.positional[0]);
  if (!events) return c.fail(events.error());
  if (c.json) {
    json out = json::array();
    for (const auto& e : *events) out.push_back(event_json(e));
    return c.print(out);
  }
  Table table({"ID", "Type", "Step", "Resource", "Elapsed Time (ms)"});
  StepTracker steps;
  double started = events->empty() ? 0 : events->front().timestamp;
  for (const auto& e : *events)
    table.add({std::to_string(e.id), e.type, steps.step_of(e), resource_of(e),
               elapsed_ms(started, e.timestamp)});
  table.print(c.out);
  return 0;
}

int start(Context& c, Args& a) {
  if (a.positional.size() != 1)
    return c.usage_error(
        "usage: wyvern start MACHINE [--input JSON] [--name N] [--follow] [--timeout SECONDS]");
  json input = json::parse(a.flag("input").empty() ? "{}" : a.flag("input"), nullptr, false);
  if (input.is_discarded()) return c.usage_error("--input takes JSON");
  double timeout = 0;
  if (!a.flag("timeout").empty() && (!parse_number(a.flag("timeout"), timeout) || timeout <= 0))
    return c.usage_error("--timeout takes a positive number of seconds");
  client::StateMachines sfn(c.options);
  auto arn = c.machine_arn(sfn, a.positional[0]);
  if (!arn) return c.fail(arn.error());
  auto started = sfn.start(*arn, input, a.flag("name"));
  if (!started) return c.fail(started.error());
  if (!a.has("follow")) {
    if (c.json) return c.print({{"executionArn", started->execution_arn}, {"startDate", started->start_date}});
    c.out << started->execution_arn << "\n";
    return 0;
  }
  if (!c.json) c.out << "started " << started->execution_arn << "\n" << std::flush;
  // Follows the history: new events are printed as they appear, until the execution ends.
  bool tty = !c.json && isatty(STDOUT_FILENO);
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<long>(timeout * 1000));
  size_t shown = 0;
  const char* spinner = "|/-\\";
  for (int tick = 0;; ++tick) {
    // Described before the history is read, so that an ending seen here has all its events.
    auto described = sfn.describe(started->execution_arn);
    if (!described) return c.fail(described.error());
    auto events = sfn.history(started->execution_arn);
    if (!events) return c.fail(events.error());
    if (tty) c.out << "\r\033[K";
    for (; shown < events->size(); ++shown) print_progress(c, (*events)[shown], started->start_date);
    if (described->status != "RUNNING") {
      if (c.json) {
        c.out << json{{"executionArn", described->execution_arn},
                      {"status", described->status},
                      {"output", described->output.empty() ? json(nullptr) : json::parse(described->output, nullptr, false)},
                      {"error", described->error},
                      {"cause", described->cause}}
                     .dump()
              << std::endl;
      } else {
        c.out << described->status << " after "
              << elapsed_ms(described->start_date, described->stop_date) << " ms\n";
        if (described->status == "SUCCEEDED") c.out << described->output << "\n";
        else c.out << described->error << ": " << described->cause << "\n";
      }
      return described->status == "SUCCEEDED" ? 0 : 1;
    }
    if (timeout > 0 && std::chrono::steady_clock::now() > deadline) {
      c.err << "wyvern: still RUNNING after " << timeout << " s: " << started->execution_arn << "\n";
      return 1;
    }
    if (tty) c.out << spinner[tick % 4] << " running, " << shown << " events" << std::flush;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace wyvern::cli
