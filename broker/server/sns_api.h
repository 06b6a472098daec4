// The SNS API surface (Query protocol only, as SNS speaks it): one table of every SNS action,
// each reading its form parameters, calling the topics engine, and rendering the inner XML of
// its <ActionResult> element.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "foundation/caller.h"
#include "foundation/errors.h"
#include "topics/topics.h"

namespace wyvern::server::sns {

inline constexpr std::string_view kXmlNamespace = "http://sns.amazonaws.com/doc/2010-03-31/";

using Params = std::vector<std::pair<std::string, std::string>>;
// The inner XML of <ActionResult>, or nullopt when the action's response has no result element.
using Done = std::function<void(Result<std::optional<std::string>>)>;

struct Action {
  std::string_view name;
  // REQUIRES: runs on the core strand (it calls the topics engine). `done` may run anywhere.
  // Null for an SNS action Wyvern does not serve: it is answered with NotImplemented.
  void (*run)(topics::TopicService& sns, const Caller& caller, const Params& params, Done done);
};

// nullptr for a name that is no SNS action.
const Action* find_action(std::string_view name);

// For callers that speak JSON to SNS (Step Functions' aws-sdk:sns integration): a request's
// members flattened into the form parameters SNS's Query protocol takes, and an action's
// result XML read back into the JSON shape the AWS SDK gives (PascalCase members, lists as
// arrays, maps as objects, booleans as booleans).
Params query_params(std::string_view action, const nlohmann::json& request);
nlohmann::json result_json(const std::optional<std::string>& result_xml);

}  // namespace wyvern::server::sns
