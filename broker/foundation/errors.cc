#include "errors.h"

#include <array>
#include <cstdlib>

namespace wyvern {
namespace {

// Codes and statuses as published in the AWS service models (the awsQueryError trait where it
// exists; otherwise the shape name with 400) and in the AWS common-errors reference. The four
// framework errors carry the coral namespace that real SQS answers with on the JSON protocol.
constexpr std::array kCatalogue = {
    ErrorInfo{ErrorCode::kInvalidAction, "com.amazon.coral.service#UnknownOperationException",
              "InvalidAction", 400, true},
    ErrorInfo{ErrorCode::kSerialization, "com.amazon.coral.service#SerializationException",
              "MalformedInput", 400, true},
    ErrorInfo{ErrorCode::kMissingParameter,
              "com.amazon.coral.service#MissingRequiredParameterException", "MissingParameter", 400,
              true},
    ErrorInfo{ErrorCode::kInvalidParameterValue,
              "com.amazon.coral.service#InvalidParameterValueException", "InvalidParameterValue",
              400, true},
    ErrorInfo{ErrorCode::kInvalidParameterCombination, "InvalidParameterCombination",
              "InvalidParameterCombination", 400, true},
    ErrorInfo{ErrorCode::kInvalidQueryParameter, "InvalidQueryParameter", "InvalidQueryParameter",
              400, true},
    ErrorInfo{ErrorCode::kMalformedQueryString, "MalformedQueryString", "MalformedQueryString", 404,
              true},
    ErrorInfo{ErrorCode::kRequestEntityTooLarge, "RequestEntityTooLarge", "RequestEntityTooLarge",
              413, true},
    ErrorInfo{ErrorCode::kInternalFailure, "InternalFailure", "InternalFailure", 500, false},
    ErrorInfo{ErrorCode::kServiceUnavailable, "ServiceUnavailable", "ServiceUnavailable", 503,
              false},
    ErrorInfo{ErrorCode::kNotImplemented, "NotImplemented", "NotImplemented", 501, false},
    ErrorInfo{ErrorCode::kAccessDenied, "AccessDeniedException", "AccessDenied", 403, true},
    ErrorInfo{ErrorCode::kQueueDoesNotExist, "QueueDoesNotExist",
              "AWS.SimpleQueueService.NonExistentQueue", 400, true},
    ErrorInfo{ErrorCode::kQueueNameExists, "QueueNameExists", "QueueAlreadyExists", 400, true},
    ErrorInfo{ErrorCode::kQueueDeletedRecently, "QueueDeletedRecently",
              "AWS.SimpleQueueService.QueueDeletedRecently", 400, true},
    ErrorInfo{ErrorCode::kInvalidAttributeName, "InvalidAttributeName", "InvalidAttributeName", 400,
              true},
    ErrorInfo{ErrorCode::kInvalidAttributeValue, "InvalidAttributeValue", "InvalidAttributeValue",
              400, true},
    ErrorInfo{ErrorCode::kInvalidMessageContents, "InvalidMessageContents",
              "InvalidMessageContents", 400, true},
    ErrorInfo{ErrorCode::kReceiptHandleIsInvalid, "ReceiptHandleIsInvalid",
              "ReceiptHandleIsInvalid", 404, true},
    ErrorInfo{ErrorCode::kMessageNotInflight, "MessageNotInflight",
              "AWS.SimpleQueueService.MessageNotInflight", 400, true},
    ErrorInfo{ErrorCode::kPurgeQueueInProgress, "PurgeQueueInProgress",
              "AWS.SimpleQueueService.PurgeQueueInProgress", 403, true},
    ErrorInfo{ErrorCode::kTooManyEntriesInBatchRequest, "TooManyEntriesInBatchRequest",
              "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", 400, true},
    ErrorInfo{ErrorCode::kEmptyBatchRequest, "EmptyBatchRequest",
              "AWS.SimpleQueueService.EmptyBatchRequest", 400, true},
    ErrorInfo{ErrorCode::kBatchEntryIdsNotDistinct, "BatchEntryIdsNotDistinct",
              "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", 400, true},
    ErrorInfo{ErrorCode::kBatchRequestTooLong, "BatchRequestTooLong",
              "AWS.SimpleQueueService.BatchRequestTooLong", 400, true},
    ErrorInfo{ErrorCode::kInvalidBatchEntryId, "InvalidBatchEntryId",
              "AWS.SimpleQueueService.InvalidBatchEntryId", 400, true},
    ErrorInfo{ErrorCode::kUnsupportedOperation, "UnsupportedOperation",
              "AWS.SimpleQueueService.UnsupportedOperation", 400, true},
    ErrorInfo{ErrorCode::kOverLimit, "OverLimit", "OverLimit", 403, true},
    ErrorInfo{ErrorCode::kResourceNotFound, "ResourceNotFoundException",
              "ResourceNotFoundException", 404, true},
    ErrorInfo{ErrorCode::kInvalidIdFormat, "InvalidIdFormat", "InvalidIdFormat", 400, true},
    ErrorInfo{ErrorCode::kInvalidAddress, "InvalidAddress", "InvalidAddress", 404, true},
    ErrorInfo{ErrorCode::kInvalidSecurity, "InvalidSecurity", "InvalidSecurity", 403, true},
    ErrorInfo{ErrorCode::kRequestThrottled, "RequestThrottled", "RequestThrottled", 403, true},
    ErrorInfo{ErrorCode::kStateMachineDoesNotExist, "StateMachineDoesNotExist",
              "StateMachineDoesNotExist", 400, true},
    ErrorInfo{ErrorCode::kStateMachineAlreadyExists, "StateMachineAlreadyExists",
              "StateMachineAlreadyExists", 400, true},
    ErrorInfo{ErrorCode::kStateMachineDeleting, "StateMachineDeleting", "StateMachineDeleting", 400,
              true},
    ErrorInfo{ErrorCode::kExecutionDoesNotExist, "ExecutionDoesNotExist", "ExecutionDoesNotExist",
              400, true},
    ErrorInfo{ErrorCode::kExecutionAlreadyExists, "ExecutionAlreadyExists",
              "ExecutionAlreadyExists", 400, true},
    ErrorInfo{ErrorCode::kExecutionNotRedrivable, "ExecutionNotRedrivable",
              "ExecutionNotRedrivable", 400, true},
    ErrorInfo{ErrorCode::kInvalidArn, "InvalidArn", "InvalidArn", 400, true},
    ErrorInfo{ErrorCode::kInvalidName, "InvalidName", "InvalidName", 400, true},
    ErrorInfo{ErrorCode::kInvalidDefinition, "InvalidDefinition", "InvalidDefinition", 400, true},
    ErrorInfo{ErrorCode::kInvalidExecutionInput, "InvalidExecutionInput", "InvalidExecutionInput",
              400, true},
    ErrorInfo{ErrorCode::kInvalidToken, "InvalidToken", "InvalidToken", 400, true},
    ErrorInfo{ErrorCode::kSfnValidation, "ValidationException", "ValidationException", 400, true},
    ErrorInfo{ErrorCode::kSfnMissingRequiredParameter, "MissingRequiredParameter",
              "MissingRequiredParameter", 400, true},
    ErrorInfo{ErrorCode::kStateMachineTypeNotSupported, "StateMachineTypeNotSupported",
              "StateMachineTypeNotSupported", 400, true},
    ErrorInfo{ErrorCode::kActivityDoesNotExist, "ActivityDoesNotExist", "ActivityDoesNotExist", 400,
              true},
    ErrorInfo{ErrorCode::kActivityAlreadyExists, "ActivityAlreadyExists", "ActivityAlreadyExists",
              400, true},
    ErrorInfo{ErrorCode::kTaskDoesNotExist, "TaskDoesNotExist", "TaskDoesNotExist", 400, true},
    ErrorInfo{ErrorCode::kTaskTimedOut, "TaskTimedOut", "TaskTimedOut", 400, true},
    ErrorInfo{ErrorCode::kInvalidOutput, "InvalidOutput", "InvalidOutput", 400, true},
    ErrorInfo{ErrorCode::kConflict, "ConflictException", "ConflictException", 409, true},
    ErrorInfo{ErrorCode::kSfnResourceNotFound, "ResourceNotFound", "ResourceNotFound", 400, true},
    ErrorInfo{ErrorCode::kServiceQuotaExceeded, "ServiceQuotaExceededException",
              "ServiceQuotaExceededException", 400, true},
    // SNS speaks only Query; its JSON shape names are namespaced so they stay unique.
    ErrorInfo{ErrorCode::kSnsInvalidParameter, "com.amazonaws.sns#InvalidParameterException",
              "InvalidParameter", 400, true},
    ErrorInfo{ErrorCode::kSnsParameterValueInvalid,
              "com.amazonaws.sns#InvalidParameterValueException", "ParameterValueInvalid", 400,
              true},
    ErrorInfo{ErrorCode::kSnsNotFound, "com.amazonaws.sns#NotFoundException", "NotFound", 404,
              true},
    ErrorInfo{ErrorCode::kSnsResourceNotFound, "com.amazonaws.sns#ResourceNotFoundException",
              "ResourceNotFound", 404, true},
    ErrorInfo{ErrorCode::kSnsAuthorizationError, "com.amazonaws.sns#AuthorizationErrorException",
              "AuthorizationError", 403, true},
    ErrorInfo{ErrorCode::kSnsTagLimitExceeded, "com.amazonaws.sns#TagLimitExceededException",
              "TagLimitExceeded", 400, true},
    ErrorInfo{ErrorCode::kSnsEmptyBatchRequest, "com.amazonaws.sns#EmptyBatchRequestException",
              "EmptyBatchRequest", 400, true},
    ErrorInfo{ErrorCode::kSnsTooManyEntriesInBatchRequest,
              "com.amazonaws.sns#TooManyEntriesInBatchRequestException",
              "TooManyEntriesInBatchRequest", 400, true},
    ErrorInfo{ErrorCode::kSnsBatchEntryIdsNotDistinct,
              "com.amazonaws.sns#BatchEntryIdsNotDistinctException", "BatchEntryIdsNotDistinct",
              400, true},
    ErrorInfo{ErrorCode::kSnsBatchRequestTooLong, "com.amazonaws.sns#BatchRequestTooLongException",
              "BatchRequestTooLong", 400, true},
    ErrorInfo{ErrorCode::kSnsInvalidBatchEntryId, "com.amazonaws.sns#InvalidBatchEntryIdException",
              "InvalidBatchEntryId", 400, true},
    ErrorInfo{ErrorCode::kSnsFilterPolicyLimitExceeded,
              "com.amazonaws.sns#FilterPolicyLimitExceededException", "FilterPolicyLimitExceeded",
              403, true},
    ErrorInfo{ErrorCode::kSnsValidationError, "com.amazonaws.sns#ValidationException",
              "ValidationError", 400, true},
    // EventBridge speaks only JSON; its shape names are namespaced so they stay unique.
    ErrorInfo{ErrorCode::kEventsValidation, "com.amazonaws.events#ValidationException",
              "ValidationException", 400, true},
    ErrorInfo{ErrorCode::kEventsResourceNotFound, "com.amazonaws.events#ResourceNotFoundException",
              "ResourceNotFoundException", 400, true},
    ErrorInfo{ErrorCode::kEventsResourceAlreadyExists,
              "com.amazonaws.events#ResourceAlreadyExistsException",
              "ResourceAlreadyExistsException", 400, true},
    ErrorInfo{ErrorCode::kEventsLimitExceeded, "com.amazonaws.events#LimitExceededException",
              "LimitExceededException", 400, true},
    ErrorInfo{ErrorCode::kEventsInvalidEventPattern,
              "com.amazonaws.events#InvalidEventPatternException", "InvalidEventPatternException",
              400, true},
    ErrorInfo{ErrorCode::kEventsConcurrentModification,
              "com.amazonaws.events#ConcurrentModificationException",
              "ConcurrentModificationException", 400, true},
    ErrorInfo{ErrorCode::kEventsIllegalStatus, "com.amazonaws.events#IllegalStatusException",
              "IllegalStatusException", 400, true},
    ErrorInfo{ErrorCode::kEventsManagedRule, "com.amazonaws.events#ManagedRuleException",
              "ManagedRuleException", 400, true},
};

constexpr bool catalogue_is_indexed_by_code() {
  for (size_t i = 0; i < kCatalogue.size(); ++i)
    if (static_cast<size_t>(kCatalogue[i].code) != i) return false;
  return true;
}
static_assert(catalogue_is_indexed_by_code(), "kCatalogue must list codes in enum order");

}  // namespace

const ErrorInfo& error_info(ErrorCode code) {
  auto i = static_cast<size_t>(code);
  if (i >= kCatalogue.size()) std::abort();  // a bug: every enum value has an entry
  return kCatalogue[i];
}

std::pair<const ErrorInfo*, size_t> error_catalogue() {
  return {kCatalogue.data(), kCatalogue.size()};
}

}  // namespace wyvern
