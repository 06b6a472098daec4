"""Step Functions Local's mocked service integrations: a MockConfigFile given to the broker
(--mock-config), and executions started on "<stateMachineArn>#<TestCase>" whose Task states
are answered from the test case's mocked responses, retries included."""
import json
import os
import tempfile
import unittest

from harness import ACCOUNT, Broker, sfn_client

LAMBDA = "arn:aws:lambda:us-east-1:%s:function:check-sighting" % ACCOUNT
MOCKS = {
    "StateMachines": {"Sightings": {"TestCases": {
        "HappyPath": {"Check": "CheckOk", "Notify": "QueueOk"},
        "RetryPath": {"Check": "CheckFlaky", "Notify": "QueueOk"},
        "BrokenPath": {"Check": "CheckBroken"}}}},
    "MockedResponses": {
        "CheckOk": {"0": {"Return": {"StatusCode": 200, "Payload": {"valid": True}}}},
        "CheckFlaky": {"0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
                       "2": {"Return": {"StatusCode": 200, "Payload": {"valid": True}}}},
        "CheckBroken": {"0": {"Throw": {"Error": "InvalidSighting", "Cause": "no such dragon"}}},
        "QueueOk": {"0": {"Return": {"MessageId": "m-1", "MD5OfMessageBody": "x"}}}},
}
DEFINITION = {
    "StartAt": "Check",
    "States": {
        "Check": {"Type": "Task", "Resource": LAMBDA, "ResultSelector": {"valid.$": "$.Payload.valid"},
                  "ResultPath": "$.check", "Next": "Notify",
                  "Retry": [{"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 2,
                             "MaxAttempts": 3}],
                  "Catch": [{"ErrorEquals": ["InvalidSighting"], "Next": "Reject"}]},
        "Notify": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                   "Parameters": {"QueueUrl": "http://localhost/000000000000/sightings", "MessageBody.$": "$"},
                   "ResultPath": "$.sent", "End": True},
        "Reject": {"Type": "Fail", "Error": "Rejected"}},
}


class MockedIntegrations(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        handle, cls.path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(handle, "w") as f:
            json.dump(MOCKS, f)
        cls.broker = Broker(extra_args=["--mock-config", cls.path]).start()
        cls.sfn = sfn_client(cls.broker)
        cls.arn = cls.sfn.create_state_machine(name="Sightings", definition=json.dumps(DEFINITION),
                                               roleArn="arn:aws:iam::%s:role/x" % ACCOUNT)["stateMachineArn"]

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()
        os.unlink(cls.path)

    def run_case(self, case):
        run = self.sfn.start_execution(stateMachineArn=self.arn + "#" + case, input='{"dragon": "Smaug"}')
        return run["executionArn"]

    def types(self, run):
        return [e["type"] for e in self.sfn.get_execution_history(executionArn=run)["events"]]

    def test_the_happy_path_uses_the_mocked_returns(self):
        run = self.run_case("HappyPath")
        described = self.sfn.describe_execution(executionArn=run)
        self.assertEqual(described["status"], "SUCCEEDED")
        self.assertEqual(json.loads(described["output"]),
                         {"dragon": "Smaug", "check": {"valid": True},
                          "sent": {"MessageId": "m-1", "MD5OfMessageBody": "x"}})
        self.assertEqual(self.types(run), [
            "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
            "LambdaFunctionSucceeded", "TaskStateExited", "TaskStateEntered", "TaskScheduled",
            "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"])
        scheduled = [e for e in self.sfn.get_execution_history(executionArn=run)["events"]
                     if e["type"] == "TaskScheduled"][0]["taskScheduledEventDetails"]
        self.assertEqual((scheduled["resourceType"], scheduled["resource"]), ("sqs", "sendMessage"))
        self.assertEqual(json.loads(scheduled["parameters"])["MessageBody"]["dragon"], "Smaug")

    def test_a_sequence_of_mocked_throws_drives_the_retries(self):
        run = self.run_case("RetryPath")
        self.assertEqual(self.sfn.describe_execution(executionArn=run)["status"], "RUNNING")
        self.broker.advance(2)  # first retry: IntervalSeconds
        self.broker.advance(4)  # second: times BackoffRate 2
        self.assertEqual(self.sfn.describe_execution(executionArn=run)["status"], "SUCCEEDED")
        self.assertEqual(self.types(run).count("LambdaFunctionFailed"), 2)

    def test_a_mocked_throw_is_caught(self):
        run = self.run_case("BrokenPath")
        described = self.sfn.describe_execution(executionArn=run)
        self.assertEqual((described["status"], described["error"]), ("FAILED", "Rejected"))

    def test_an_unknown_test_case_is_refused(self):
        with self.assertRaises(self.sfn.exceptions.ClientError) as caught:
            self.run_case("NoSuchCase")
        self.assertEqual(caught.exception.response["Error"]["Code"], "ValidationException")


if __name__ == "__main__":
    unittest.main()
