// The Step Functions adapter: the calls a Task state's optimized integration makes on SQS, SNS,
// EventBridge and Step Functions, made through each service's own API table so that they
// behave exactly as the same call from a client would, and their errors named as Step
// Functions names them ("SQS.QueueDoesNotExistException", with the SDK's cause text).
#pragma once

#include <functional>

#include "bus/bus.h"
#include "foundation/caller.h"
#include "queue/queue.h"
#include "stepfn/stepfn.h"
#include "topics/topics.h"

namespace wyvern::server::integrations {

struct Services {
  queue::QueueService* sqs;
  topics::TopicService* sns;
  bus::EventBridge* events;
  stepfn::StepFunctions* sfn;
};

// One action of one service ("sqs", "sns", "events", "sfn") through its own API table, with
// the JSON members its JSON protocol (or, for SNS, the SDK) uses; the answer as that protocol
// gives it, or the service's error. SNS's Query form and XML are translated.
// REQUIRES: runs on the core strand. `done` may run anywhere.
void call_action(const Services& services, const Caller& caller, const std::string& service,
                 const std::string& action, nlohmann::json parameters,
                 std::function<void(Result<nlohmann::json>)> done);

// A read (List*, Get*, Describe*) answered within the call, as reads touch no store: its
// answer, or InternalFailure if it did not answer at once.
// REQUIRES: runs on the core strand.
Result<nlohmann::json> call_action_now(const Services& services, const Caller& caller,
                                       const std::string& service, const std::string& action,
                                       nlohmann::json parameters);

// REQUIRES: runs on the core strand. `done` may run anywhere.
void call_service(const Services& services, const Caller& caller, stepfn::ServiceCall call,
                  std::function<void(stepfn::ServiceAnswer)> done);

// Puts a "Step Functions Execution Status Change" event from aws.states, with `detail` (JSON
// text) and the execution as its resource, on the caller's default bus.
// REQUIRES: runs on the core strand.
void announce_status_change(bus::EventBridge& events, const Caller& caller, std::string detail,
                            std::string execution_arn);

}  // namespace wyvern::server::integrations
