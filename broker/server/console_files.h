// The web console's files (built from broker/console/ by scripts/setup.sh into its dist/),
// served under /_wyvern/console. The broker needs no Node.js: without the built files the
// console's address says how to build them.
#pragma once

#include <string>
#include <string_view>

#include "http_server.h"

namespace wyvern::server {

// Where the built console is: `configured` if given, else $WYVERN_CONSOLE_DIR, else the
// source tree's broker/console/dist (known at build time).
std::string console_dir(const std::string& configured);

// The answer to GET `path` (below /_wyvern/console; "" and "/" mean index.html) from `dir`.
Response console_file(const std::string& dir, std::string_view path, unsigned version);

}  // namespace wyvern::server
