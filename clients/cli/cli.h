// The command line: `wyvern <subcommand> [arguments] [--json] [--endpoint URL]`, built on the
// client library. The broker's main runs the server when no subcommand is given.
//
// Exit codes: 0 success; 1 the service refused or the work failed (an AWS error, an execution
// that did not succeed, a failed PutEvents entry); 2 a usage error; 3 no broker answered.
#pragma once

#include <string_view>

namespace wyvern::cli {

// True when `word` (argv[1]) names a subcommand.
bool is_subcommand(std::string_view word);

// Runs `wyvern <subcommand> ...` and answers the process's exit code.
int run(int argc, char** argv);

}  // namespace wyvern::cli
