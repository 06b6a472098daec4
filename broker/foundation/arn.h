// ARNs: "arn:<partition>:<service>:<region>:<account>:<resource>", the resource holding any
// further colons and slashes. One reader of them for every service.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace wyvern {

struct Arn {
  std::string partition, service, region, account, resource;
};

// The parts of `text`, or nullopt unless it starts with "arn:" and has the five colons before
// its resource. Parts may be empty: "arn:aws:states:::sqs:sendMessage" has no region or account.
inline std::optional<Arn> parse_arn(std::string_view text) {
  std::string_view fields[5];
  size_t start = 0;
  for (auto& field : fields) {
    size_t colon = text.find(':', start);
    if (colon == std::string_view::npos) return std::nullopt;
    field = text.substr(start, colon - start);
    start = colon + 1;
  }
  if (fields[0] != "arn") return std::nullopt;
  return Arn{std::string(fields[1]), std::string(fields[2]), std::string(fields[3]),
             std::string(fields[4]), std::string(text.substr(start))};
}

}  // namespace wyvern
