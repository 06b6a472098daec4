#include "transport.h"

#include <openssl/evp.h>

#include <ctime>

#include "wyvern/sigv4.h"

namespace wyvern::client {
namespace {

std::string amz_date_now() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[20];
  std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &utc);
  return buffer;
}

// "http://localhost:4566" -> "localhost:4566"; the default port is left out, as clients send it.
std::string host_of(const std::string& endpoint) {
  std::string rest = endpoint.substr(endpoint.find("://") == std::string::npos
                                         ? 0
                                         : endpoint.find("://") + 3);
  rest = rest.substr(0, rest.find('/'));
  bool https = endpoint.rfind("https://", 0) == 0;
  if ((https && rest.ends_with(":443")) || (!https && rest.ends_with(":80")))
    rest = rest.substr(0, rest.rfind(':'));
  return rest;
}

std::string unescape_xml(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string::npos) {
      out += s[i];
      continue;
    }
    std::string entity = s.substr(i + 1, semi - i - 1);
    if (entity == "lt") out += '<';
    else if (entity == "gt") out += '>';
    else if (entity == "amp") out += '&';
    else if (entity == "quot") out += '"';
    else if (entity == "apos") out += '\'';
    else if (!entity.empty() && entity[0] == '#') {
      unsigned long code = entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X')
                               ? std::strtoul(entity.c_str() + 2, nullptr, 16)
                               : std::strtoul(entity.c_str() + 1, nullptr, 10);
      // UTF-8 of the code point.
      if (code < 0x80) {
        out += static_cast<char>(code);
      } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
      } else if (code < 0x10000) {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
      } else {
        out += static_cast<char>(0xF0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
      }
    } else {
      out += s.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

}  // namespace

bool Error::transient() const {
  return http_status == 0 || http_status >= 500 || http_status == 429 ||
         code == "ThrottlingException" || code == "RequestThrottled" || code == "Throttling";
}

Options Options::from_environment() {
  Options o;
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v ? v : "";
  };
  if (!env("AWS_ENDPOINT_URL").empty())
    o.endpoint = env("AWS_ENDPOINT_URL");
  else if (!env("WYVERN_ENDPOINT").empty())
    o.endpoint = env("WYVERN_ENDPOINT");
  if (!env("AWS_REGION").empty())
    o.region = env("AWS_REGION");
  else if (!env("AWS_DEFAULT_REGION").empty())
    o.region = env("AWS_DEFAULT_REGION");
  if (!env("AWS_ACCESS_KEY_ID").empty()) o.credentials.access_key_id = env("AWS_ACCESS_KEY_ID");
  if (!env("AWS_SECRET_ACCESS_KEY").empty())
    o.credentials.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
  o.credentials.session_token = env("AWS_SESSION_TOKEN");
  return o;
}

Transport::Transport(const Options& options, std::string service)
    : options_(options), service_(std::move(service)) {
  std::string endpoint = options_.endpoint;
  if (endpoint.empty()) endpoint = "https://" + service_ + "." + options_.region + ".amazonaws.com";
  while (endpoint.size() > 1 && endpoint.back() == '/') endpoint.pop_back();
  options_.endpoint = endpoint;
  host_ = host_of(endpoint);
  http_ = std::make_unique<httplib::Client>(endpoint);
  http_->set_keep_alive(true);
  http_->set_connection_timeout(options_.timeout);
  http_->set_write_timeout(options_.timeout);
}

void Transport::interrupt() {
  http_->stop();
}

Result<httplib::Result> Transport::post(const std::string& body, httplib::Headers headers,
                                        const std::string& content_type,
                                        std::chrono::seconds extra_wait) {
  std::string amz_date = amz_date_now();
  sigv4::Request signing{"POST", "/", "", {}, body};
  signing.headers = {{"host", host_}, {"content-type", content_type}, {"x-amz-date", amz_date}};
  for (const auto& [name, value] : headers) signing.headers.emplace_back(name, value);
  if (!options_.credentials.session_token.empty())
    signing.headers.emplace_back("x-amz-security-token", options_.credentials.session_token);
  std::string authorization = sigv4::authorization(
      signing, amz_date, options_.credentials.access_key_id,
      options_.credentials.secret_access_key, options_.region, service_);
  httplib::Headers sent;
  for (const auto& [name, value] : signing.headers)
    if (name != "content-type") sent.emplace(name, value);
  sent.emplace("Authorization", authorization);
  http_->set_read_timeout(options_.timeout + extra_wait);
  httplib::Result answer = http_->Post("/", sent, body, content_type.c_str());
  if (!answer)
    return Error{"ConnectionError",
                 "no answer from " + options_.endpoint + ": " + httplib::to_string(answer.error()),
                 0};
  return answer;
}

Result<nlohmann::json> Transport::json_call(const std::string& target,
                                            const std::string& content_type,
                                            const nlohmann::json& body,
                                            std::chrono::seconds extra_wait) {
  auto answer = post(body.dump(), {{"x-amz-target", target}}, content_type, extra_wait);
  if (!answer) return answer.error();
  const httplib::Response& response = **answer;
  nlohmann::json parsed = nlohmann::json::parse(response.body, nullptr, false);
  if (response.status >= 200 && response.status < 300) {
    if (response.body.empty()) return nlohmann::json::object();
    if (parsed.is_discarded())
      return Error{"MalformedResponse", "the service answered something that is not JSON",
                   response.status};
    return parsed;
  }
  Error error{"UnknownError", response.body, response.status};
  if (parsed.is_object()) {
    std::string type = parsed.value("__type", parsed.value("code", std::string()));
    if (auto hash = type.find('#'); hash != std::string::npos) type = type.substr(hash + 1);
    if (!type.empty()) error.code = type;
    if (parsed.contains("message") && parsed["message"].is_string())
      error.message = parsed["message"];
    else if (parsed.contains("Message") && parsed["Message"].is_string())
      error.message = parsed["Message"];
  }
  return error;
}

Result<std::string> Transport::query_call(
    const std::vector<std::pair<std::string, std::string>>& params) {
  std::string body;
  for (const auto& [name, value] : params) {
    if (!body.empty()) body += '&';
    body += sigv4::uri_encode(name, false) + "=" + sigv4::uri_encode(value, false);
  }
  auto answer = post(body, {}, "application/x-www-form-urlencoded; charset=utf-8",
                     std::chrono::seconds(0));
  if (!answer) return answer.error();
  const httplib::Response& response = **answer;
  if (response.status >= 200 && response.status < 300) return response.body;
  auto codes = xml_values(response.body, "Code");
  auto messages = xml_values(response.body, "Message");
  return Error{codes.empty() ? "UnknownError" : codes[0],
               messages.empty() ? response.body : messages[0], response.status};
}

std::vector<std::string> xml_values(const std::string& xml, const std::string& tag) {
  std::vector<std::string> out;
  const std::string open = "<" + tag + ">", empty = "<" + tag + "/>", close = "</" + tag + ">";
  size_t at = 0;
  while (true) {
    size_t o = xml.find(open, at), e = xml.find(empty, at);
    if (e != std::string::npos && (o == std::string::npos || e < o)) {
      out.emplace_back();
      at = e + empty.size();
      continue;
    }
    if (o == std::string::npos) break;
    size_t start = o + open.size();
    size_t end = xml.find(close, start);
    if (end == std::string::npos) break;
    out.push_back(unescape_xml(xml.substr(start, end - start)));
    at = end + close.size();
  }
  return out;
}

std::string md5_hex(const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_md5(), nullptr);
  return sigv4::hex(std::string(reinterpret_cast<char*>(out), len));
}

}  // namespace wyvern::client
