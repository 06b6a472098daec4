#include "console_files.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace wyvern::server {
namespace {

std::string_view content_type(std::string_view path) {
  auto ends = [&](std::string_view suffix) { return path.ends_with(suffix); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json") || ends(".map")) return "application/json";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  if (ends(".woff2")) return "font/woff2";
  return "application/octet-stream";
}

Response text_response(http::status status, unsigned version, std::string_view type, std::string body) {
  Response res{status, version};
  res.set(http::field::content_type, std::string(type));
  res.set(http::field::cache_control, "no-cache");
  res.body() = std::move(body);
  return res;
}

}  // namespace

std::string console_dir(const std::string& configured) {
  if (!configured.empty()) return configured;
  if (const char* env = std::getenv("WYVERN_CONSOLE_DIR"); env && *env) return env;
  return WYVERN_CONSOLE_DIST;
}

Response console_file(const std::string& dir, std::string_view path, unsigned version) {
  std::string file(path.empty() || path == "/" ? "/index.html" : path);
  // Only plain names below the directory: no "..", no hidden files.
  if (file.find("/.") != std::string::npos || file.find('\\') != std::string::npos)
    return text_response(http::status::not_found, version, "text/plain", "not found\n");
  std::ifstream in(dir + file, std::ios::binary);
  if (!in) {
    if (file != "/index.html")
      return text_response(http::status::not_found, version, "text/plain", "not found\n");
    return text_response(
        http::status::not_found, version, "text/html; charset=utf-8",
        "<!doctype html><title>Wyvern console</title><h1>The console is not built</h1>"
        "<p>Its files are built from <code>broker/console/</code> with Node.js and npm, which "
        "the broker itself does not need. Run <code>bash scripts/setup.sh</code>, or "
        "<code>cd broker/console &amp;&amp; npm ci &amp;&amp; npm run build</code>, then reload. "
        "(Looked in <code>" + dir + "</code>; <code>--console-dir</code> or "
        "<code>$WYVERN_CONSOLE_DIR</code> point elsewhere.)</p>"
        "<p>The JSON API the console reads works without it: <a href=\"/_wyvern/api/queues\">"
        "/_wyvern/api/queues</a>.</p>\n");
  }
  std::ostringstream body;
  body << in.rdbuf();
  return text_response(http::status::ok, version, content_type(file), body.str());
}

}  // namespace wyvern::server
