// What the subcommands share: parsed arguments, the output context (people or --json), error
// reporting with the exit codes cli.h promises, name-to-ARN lookups and a text table.
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "wyvern/client.h"

namespace wyvern::cli {

template <typename T>
using Result = client::Result<T>;

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> flags;

  // The flag's last value, or "".
  std::string flag(const std::string& name) const {
    auto it = flags.find(name);
    return it == flags.end() || it->second.empty() ? "" : it->second.back();
  }
  bool has(const std::string& name) const { return flags.count(name) > 0; }
};

struct Context {
  client::Options options;
  bool json = false;
  std::ostream& out;
  std::ostream& err;

  // Prints an AWS error (exit 1) or an unreachable broker (exit 3).
  int fail(const client::Error& e) const;
  int usage_error(const std::string& message) const;  // exit 2
  int print(const nlohmann::json& document) const;     // exit 0

  // A queue name or URL -> its URL.
  Result<std::string> queue_url(client::Queues& sqs, const std::string& name_or_url) const;
  // A state machine name or ARN -> its ARN.
  Result<std::string> machine_arn(client::StateMachines& sfn, const std::string& name_or_arn) const;
};

bool parse_number(const std::string& text, double& out);
// A whole number, positive (or, with zero_ok, non-negative).
bool parse_count(const std::string& text, long& out, bool zero_ok = false);

// Left-aligned columns, each as wide as its widest cell.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

int start(Context& c, Args& a);    // follow.cc
int history(Context& c, Args& a);  // follow.cc

}  // namespace wyvern::cli
