// One signed keep-alive HTTP connection to one AWS service: the AWS JSON protocol (SQS,
// EventBridge, Step Functions) and the Query protocol (SNS). Private to the library.
#pragma once

#include <httplib.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "wyvern/client.h"

namespace wyvern::client {

class Transport {
 public:
  // `service`: the signing name ("sqs", "sns", "events", "states"), also AWS's host prefix.
  Transport(const Options& options, std::string service);

  // POSTs `body` to the service with X-Amz-Target `target` ("AmazonSQS.SendMessage") and the
  // JSON protocol's content type ("application/x-amz-json-1.0" or "-1.1"); the answer's JSON,
  // or its error (the "__type" after '#' as the code). `extra_wait`: how long beyond the
  // timeout the service may take (a long poll).
  Result<nlohmann::json> json_call(const std::string& target, const std::string& content_type,
                                   const nlohmann::json& body,
                                   std::chrono::seconds extra_wait = std::chrono::seconds(0));

  // POSTs form parameters (Action=..., Version=...) and answers the response's XML, or the
  // error inside it.
  Result<std::string> query_call(const std::vector<std::pair<std::string, std::string>>& params);

  // Closes the connection under a call in flight on another thread.
  void interrupt();

 private:
  Result<httplib::Result> post(const std::string& body, httplib::Headers headers,
                               const std::string& content_type, std::chrono::seconds extra_wait);

  Options options_;
  std::string service_;
  std::string host_;  // as signed: "localhost:4566"
  std::unique_ptr<httplib::Client> http_;
};

// The text of every <tag>...</tag> in `xml`, unescaped, in document order.
std::vector<std::string> xml_values(const std::string& xml, const std::string& tag);
// Lower-case hex MD5 of `data`, as SQS reports body digests.
std::string md5_hex(const std::string& data);

}  // namespace wyvern::client
