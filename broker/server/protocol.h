// AWS wire-protocol pieces shared by every service's codec: form decoding for the Query
// protocol, XML escaping, the two error shapes, and reading the SigV4 credential scope.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "foundation/errors.h"
#include "http_server.h"

namespace wyvern::server {

enum class WireProtocol { kJson, kQuery };

// Decodes application/x-www-form-urlencoded text. nullopt on a malformed %-escape.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_form(std::string_view body);

std::string xml_escape(std::string_view text);

// Region and service from "Authorization: AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/..".
struct CredentialScope {
  std::string access_key, region, service;
};
std::optional<CredentialScope> credential_scope(const Request& req);

// The error responses, exactly as AWS shapes them.
//   JSON:  {"__type": "<namespace>#<Type>", "message": "..."} + x-amzn-query-error: CODE;Sender
//   Query: <ErrorResponse xmlns=..><Error><Type>Sender</Type><Code>..</Code><Message>..</Message>
//          <Detail/></Error><RequestId>..</RequestId></ErrorResponse>
// `query_compatible`: the service also speaks Query (SQS), so clients look for the
// x-amzn-query-error header; other JSON services (Step Functions) send no such header.
Response json_error(const Error& error, std::string_view json_namespace,
                    const std::string& request_id, unsigned version, bool query_compatible = true);
Response query_error(const Error& error, std::string_view xml_namespace,
                     const std::string& request_id, unsigned version);

// A 200 response with the given content type and body, and the request id header.
Response ok_response(std::string body, std::string_view content_type, const std::string& request_id,
                     unsigned version);

}  // namespace wyvern::server
