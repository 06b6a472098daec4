// The error catalogue: every error a Wyvern service can answer, with its AWS wire identity.
//
// Services return an `Error` (a code from this catalogue plus a message); only the protocol
// layer turns it into bytes. Each entry names the JSON-protocol type (the shape name that goes
// after the service namespace in `__type`), the Query-protocol / `x-amzn-query-error` code, the
// HTTP status and the fault side, as AWS publishes them in its service models.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace wyvern {

enum class ErrorCode {
  // Common to AWS services.
  kInvalidAction,
  kSerialization,
  kMissingParameter,
  kInvalidParameterValue,
  kInvalidParameterCombination,
  kInvalidQueryParameter,
  kMalformedQueryString,
  kRequestEntityTooLarge,
  kInternalFailure,
  kServiceUnavailable,
  kNotImplemented,
  kAccessDenied,
  // SQS.
  kQueueDoesNotExist,
  kQueueNameExists,
  kQueueDeletedRecently,
  kInvalidAttributeName,
  kInvalidAttributeValue,
  kInvalidMessageContents,
  kReceiptHandleIsInvalid,
  kMessageNotInflight,
  kPurgeQueueInProgress,
  kTooManyEntriesInBatchRequest,
  kEmptyBatchRequest,
  kBatchEntryIdsNotDistinct,
  kBatchRequestTooLong,
  kInvalidBatchEntryId,
  kUnsupportedOperation,
  kOverLimit,
  kResourceNotFound,
  kInvalidIdFormat,
  kInvalidAddress,
  kInvalidSecurity,
  kRequestThrottled,
  // Step Functions.
  kStateMachineDoesNotExist,
  kStateMachineAlreadyExists,
  kStateMachineDeleting,
  kExecutionDoesNotExist,
  kExecutionAlreadyExists,
  kExecutionNotRedrivable,
  kInvalidArn,
  kInvalidName,
  kInvalidDefinition,
  kInvalidExecutionInput,
  kInvalidToken,
  kSfnValidation,
  kSfnMissingRequiredParameter,
  kStateMachineTypeNotSupported,
  kActivityDoesNotExist,
  kActivityAlreadyExists,
  kTaskDoesNotExist,
  kTaskTimedOut,
  kInvalidOutput,
  kConflict,
  kSfnResourceNotFound,
  kServiceQuotaExceeded,
  // SNS (its codes carry no AWS.SimpleQueueService prefix, and NotFound is a 404)
  kSnsInvalidParameter,
  kSnsParameterValueInvalid,
  kSnsNotFound,
  kSnsResourceNotFound,
  kSnsAuthorizationError,
  kSnsTagLimitExceeded,
  kSnsEmptyBatchRequest,
  kSnsTooManyEntriesInBatchRequest,
  kSnsBatchEntryIdsNotDistinct,
  kSnsBatchRequestTooLong,
  kSnsInvalidBatchEntryId,
  kSnsFilterPolicyLimitExceeded,
  kSnsValidationError,  // a required member absent, found by AWS's request validation
  // EventBridge (all 400, as its service model says)
  kEventsValidation,
  kEventsResourceNotFound,
  kEventsResourceAlreadyExists,
  kEventsLimitExceeded,
  kEventsInvalidEventPattern,
  kEventsConcurrentModification,
  kEventsIllegalStatus,
  kEventsManagedRule,
};

struct ErrorInfo {
  ErrorCode code;
  // The JSON protocol's `__type`: a shape name that the codec puts in the service's namespace
  // ("QueueDoesNotExist" -> "com.amazonaws.sqs#QueueDoesNotExist"), or, for errors raised by
  // AWS's request framework rather than the service, an already namespaced name.
  std::string_view json_type;
  std::string_view query_code;  // e.g. "AWS.SimpleQueueService.NonExistentQueue"
  int http_status;
  bool sender_fault;  // "Sender" vs "Receiver" in the Query protocol

  // The shape name alone, without a namespace: "QueueDoesNotExist", "ValidationException".
  std::string_view shape() const { return json_type.substr(json_type.find('#') + 1); }
};

// REQUIRES: `code` is a value of ErrorCode. Never fails: every code has an entry.
const ErrorInfo& error_info(ErrorCode code);

// Every entry, for tests that walk the catalogue.
std::pair<const ErrorInfo*, size_t> error_catalogue();

// An expected failure: a catalogue code and a human-readable message.
struct Error {
  ErrorCode code;
  std::string message;

  const ErrorInfo& info() const { return error_info(code); }
};

// A value or an Error. Expected failures travel as values, never as exceptions.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};

}  // namespace wyvern
