// Who is asking and how they reached the broker: the account and region a request acts in
// and the endpoint it used (so that URLs handed back work for that client).
#pragma once

#include <string>

namespace wyvern {

struct Caller {
  std::string account = "000000000000";
  std::string region = "us-east-1";
  std::string endpoint = "http://localhost:4566";  // scheme://host[:port] the client used
};

}  // namespace wyvern
