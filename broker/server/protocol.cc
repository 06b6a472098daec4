#include "protocol.h"

#include <nlohmann/json.hpp>

#include "foundation/text.h"

namespace wyvern::server {

namespace {

std::optional<std::string> url_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = text::hex_digit_value(s[i + 1]), lo = text::hex_digit_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::optional<std::vector<std::pair<std::string, std::string>>> parse_form(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!body.empty()) {
    auto amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view{} : body.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = url_decode(pair.substr(0, eq));
    auto value =
        url_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!key || !value) return std::nullopt;
    out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\r':
        out += "&#xD;";
        break;  // keep carriage returns through XML normalisation
      default:
        out += c;
    }
  }
  return out;
}

std::optional<CredentialScope> credential_scope(const Request& req) {
  auto it = req.find(http::field::authorization);
  if (it == req.end()) return std::nullopt;
  std::string_view auth(it->value().data(), it->value().size());
  auto pos = auth.find("Credential=");
  if (pos == std::string_view::npos) return std::nullopt;
  auth.remove_prefix(pos + 11);
  auth = auth.substr(0, auth.find_first_of(", "));
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t slash; (slash = auth.find('/', start)) != std::string_view::npos; start = slash + 1)
    parts.emplace_back(auth.substr(start, slash - start));
  parts.emplace_back(auth.substr(start));
  if (parts.size() < 5) return std::nullopt;
  return CredentialScope{parts[0], parts[2], parts[3]};
}

Response ok_response(std::string body, std::string_view content_type, const std::string& request_id,
                     unsigned version) {
  Response res{http::status::ok, version};
  res.set(http::field::content_type, std::string(content_type));
  res.set("x-amzn-RequestId", request_id);
  res.body() = std::move(body);
  return res;
}

Response json_error(const Error& error, std::string_view json_namespace,
                    const std::string& request_id, unsigned version, bool query_compatible) {
  const ErrorInfo& info = error.info();
  std::string type(info.json_type);
  if (type.find('#') == std::string::npos) type = std::string(json_namespace) + "#" + type;
  nlohmann::json body = {{"__type", type}, {"message", error.message}};
  Response res{static_cast<http::status>(info.http_status), version};
  res.set(http::field::content_type, "application/x-amz-json-1.0");
  res.set("x-amzn-RequestId", request_id);
  if (query_compatible)
    res.set("x-amzn-query-error",
            std::string(info.query_code) + (info.sender_fault ? ";Sender" : ";Receiver"));
  res.body() = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return res;
}

Response query_error(const Error& error, std::string_view xml_namespace,
                     const std::string& request_id, unsigned version) {
  const ErrorInfo& info = error.info();
  Response res{static_cast<http::status>(info.http_status), version};
  res.set(http::field::content_type, "text/xml");
  res.set("x-amzn-RequestId", request_id);
  res.body() = "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"" + std::string(xml_namespace) +
               "\"><Error><Type>" + (info.sender_fault ? "Sender" : "Receiver") + "</Type><Code>" +
               xml_escape(info.query_code) + "</Code><Message>" + xml_escape(error.message) +
               "</Message><Detail/></Error><RequestId>" + request_id +
               "</RequestId></ErrorResponse>";
  return res;
}

}  // namespace wyvern::server
