#include "wyvern/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>

namespace wyvern::client::sigv4 {
namespace {

std::string hmac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

bool unreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

std::string uri_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Sorted by name then value, each decoded and re-encoded so that any spelling of the same
// query signs the same.
std::string canonical_query(const std::string& query) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    size_t amp = query.find('&', start);
    std::string part = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string name = uri_decode(part.substr(0, eq));
      std::string value = eq == std::string::npos ? "" : uri_decode(part.substr(eq + 1));
      params.emplace_back(uri_encode(name, false), uri_encode(value, false));
    }
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += name + "=" + value;
  }
  return out;
}

// Header values trimmed, inner runs of spaces collapsed to one.
std::string trimmed(const std::string& value) {
  std::string out;
  bool space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string uri_encode(const std::string& s, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (unreserved(c) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string hex(const std::string& bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string sha256_hex(const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
  return hex(std::string(reinterpret_cast<char*>(out), len));
}

std::string canonical_request(const Request& request, std::string* signed_headers) {
  // Headers of the same name are joined with commas, in the order given.
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [name, value] : request.headers) {
    std::string key = lower(name);
    auto it = std::find_if(headers.begin(), headers.end(),
                           [&](const auto& h) { return h.first == key; });
    if (it == headers.end())
      headers.emplace_back(key, trimmed(value));
    else
      it->second += "," + trimmed(value);
  }
  std::stable_sort(headers.begin(), headers.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string canonical_headers, names;
  for (const auto& [name, value] : headers) {
    canonical_headers += name + ":" + value + "\n";
    if (!names.empty()) names += ';';
    names += name;
  }
  if (signed_headers) *signed_headers = names;
  std::string path = request.path.empty() ? "/" : request.path;
  return request.method + "\n" + uri_encode(uri_decode(path), true) + "\n" +
         canonical_query(request.query) + "\n" + canonical_headers + "\n" + names + "\n" +
         sha256_hex(request.body);
}

std::string string_to_sign(const std::string& amz_date, const Scope& scope,
                           const std::string& canonical) {
  return "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope.text() + "\n" + sha256_hex(canonical);
}

std::string signing_key(const std::string& secret_access_key, const Scope& scope) {
  std::string k_date = hmac("AWS4" + secret_access_key, scope.date);
  std::string k_region = hmac(k_date, scope.region);
  std::string k_service = hmac(k_region, scope.service);
  return hmac(k_service, "aws4_request");
}

std::string authorization(const Request& request, const std::string& amz_date,
                          const std::string& access_key_id, const std::string& secret_access_key,
                          const std::string& region, const std::string& service) {
  Scope scope{amz_date.substr(0, 8), region, service};
  std::string names;
  std::string canonical = canonical_request(request, &names);
  std::string signature =
      hex(hmac(signing_key(secret_access_key, scope), string_to_sign(amz_date, scope, canonical)));
  return "AWS4-HMAC-SHA256 Credential=" + access_key_id + "/" + scope.text() +
         ", SignedHeaders=" + names + ", Signature=" + signature;
}

}  // namespace wyvern::client::sigv4
