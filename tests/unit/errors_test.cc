#include <catch2/catch.hpp>
#include <set>
#include <string>

#include "foundation/errors.h"

using namespace wyvern;

TEST_CASE("every catalogue entry has an AWS identity and a real HTTP status", "[errors]") {
  auto [entries, count] = error_catalogue();
  REQUIRE(count > 20);
  std::set<std::string> json_types;
  for (size_t i = 0; i < count; ++i) {
    const ErrorInfo& e = entries[i];
    INFO("entry " << i << ": " << e.json_type);
    CHECK(&error_info(e.code) == &e);
    CHECK(!e.json_type.empty());
    CHECK(!e.query_code.empty());
    CHECK(e.http_status >= 400);
    CHECK(e.http_status < 600);
    CHECK(e.sender_fault == (e.http_status < 500));
    CHECK(json_types.insert(std::string(e.json_type)).second);  // no two errors look alike
  }
}

TEST_CASE("SQS errors carry the codes that SDKs match on", "[errors]") {
  CHECK(error_info(ErrorCode::kQueueDoesNotExist).query_code ==
        "AWS.SimpleQueueService.NonExistentQueue");
  CHECK(error_info(ErrorCode::kQueueNameExists).query_code == "QueueAlreadyExists");
  CHECK(error_info(ErrorCode::kPurgeQueueInProgress).http_status == 403);
  CHECK(error_info(ErrorCode::kReceiptHandleIsInvalid).http_status == 404);
  CHECK(error_info(ErrorCode::kInvalidParameterValue).json_type ==
        "com.amazon.coral.service#InvalidParameterValueException");
}
