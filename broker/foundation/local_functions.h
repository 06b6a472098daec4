// Local functions: Lambda function ARNs bound, by the broker's configuration, to a local
// command or to an HTTP URL. A command gets the event as JSON on stdin and answers with JSON
// on stdout; a URL gets it as the body of a POST and answers with JSON in the response body.
// An answer with "errorType"/"errorMessage" (Lambda's shape for a function error), a failing
// exit or a non-2xx status is a failed invocation.
//
// Lifecycle: invoke_*() start the work on a thread of its own and return at once; the
// completion runs on that thread, exactly once, after the process ended or the response came.
// The caller posts it onward.
//
// Thread-safety: every function here may be called from any thread.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace wyvern {

using json = nlohmann::json;

struct InvokeResult {
  bool ok = false;
  json payload;                           // when ok
  std::string error_type, error_message;  // when not
};

// Runs `command` (argv, no shell) with `event` on stdin.
void invoke_command(std::vector<std::string> command, std::string event,
                    std::function<void(InvokeResult)> done);

// POSTs `event` to `url` (http[s]://host[:port][/path]; https without certificate checks, as
// http_client.h says). The function has Lambda's 15-minute ceiling to answer.
void invoke_url(std::string url, std::string event, std::function<void(InvokeResult)> done);

// The function name of a Lambda ARN ("arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]")
// or of a bare name; empty when `arn` is neither.
std::string function_name(const std::string& arn);

}  // namespace wyvern
