// The declarative resources file (`wyvern --config FILE`): queues, topics and their
// subscriptions, buses, rules and their targets, state machines, function bindings, HTTP routes
// and Step Functions mock configurations, provisioned when the broker starts.
//
// Each resource is written with the members of its service's own create call, its name as the
// key: a queue as CreateQueue takes it (Attributes, Tags), a topic as CreateTopic (plus
// Subscriptions as Subscribe takes them), a bus as CreateEventBus, a rule as PutRule (plus
// Targets as PutTargets takes them), a state machine as CreateStateMachine (definition inline
// or as definitionFile, relative to the file). Applying is idempotent: a resource that exists
// as written is left alone, one that differs is updated, and nothing is deleted.
//
// Lifecycle: load_resources() reads and checks the file's shape; apply_resources() makes each
// resource through the services' action tables, in dependency order, stopping at the first
// refusal. The broker applies a file to a scratch in-memory broker first, so a file that any
// service refuses starts nothing.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "foundation/errors.h"
#include "integrations.h"

namespace wyvern::server {

// One HTTP route: what API Gateway does in front of a service.
struct Route {
  std::string method;  // "POST"
  std::string path;    // "/dragons", or with parameters: "/dragons/{name}"
  std::string service;  // "sqs", "sns", "events", "sfn"
  std::string action;   // "StartExecution"
  // Step Functions Parameters-style: members ending in ".$" are JSONPaths into the request
  // ({"body", "path", "query", "headers"}); the result is the action's request.
  nlohmann::json request_template;
  nlohmann::json model;  // a JSON Schema (draft 4) the body must satisfy, or null
  std::string where;     // "$.routes[0]", for messages
};

struct Resources {
  std::string file;
  nlohmann::json document;
  std::string region = "us-east-1";
  nlohmann::json functions;  // as --functions takes them, or null
  nlohmann::json mocks;      // a MockConfigFile, or null
  std::vector<Route> routes;
};

// Reads `path` and checks its shape. Errors read "FILE: $.queues.orders.Attributes: what is
// wrong".
Result<Resources> load_resources(const std::string& path);
// The same for a document in hand; relative paths inside it are taken from `directory`
// ("" or ending in '/'); messages name it `label`.
Result<Resources> parse_resources(nlohmann::json document, const std::string& label,
                                  const std::string& directory);
// "dir/" of "dir/file.json"; "" for a bare name.
std::string directory_of(const std::string& path);

// Makes every resource, in order: queues, topics and subscriptions, buses, state machines,
// rules and targets. `done` gets the first refusal, worded "FILE: $.where: CODE: message".
// REQUIRES: runs on the core strand. `done` may run anywhere.
void apply_resources(const integrations::Services& services, const Resources& resources,
                     std::function<void(Result<Ok>)> done);

// The resources the services hold now, as a resources file would write them (queues, topics and
// subscriptions, buses, rules and targets, state machines; set attributes only).
// REQUIRES: runs on the core strand.
Result<nlohmann::json> export_resources(const integrations::Services& services,
                                        const Caller& caller);

}  // namespace wyvern::server
