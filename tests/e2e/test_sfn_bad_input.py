"""Bad input to Step Functions, table-driven: each case gets AWS's error shape and HTTP status,
and the broker keeps serving afterwards.

A row is sent by boto3 when the SDK will send it; the rest (bodies that are not JSON, members
missing or of the wrong type, actions and members older SDKs lack) are written by hand over
HTTP, as AWS's JSON 1.0 protocol carries them."""
import http.client
import json
import unittest

from harness import ACCOUNT, BrokerTestCase, sfn_client

JSON_TYPE = "application/x-amz-json-1.0"
ROLE = "arn:aws:iam::%s:role/wyvern" % ACCOUNT
PREFIX = "arn:aws:states:us-east-1:%s:" % ACCOUNT
GOOD = json.dumps({"StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": True}}})
RAW, SDK = "raw", "sdk"


class BadInput(BrokerTestCase):
    def setUp(self):
        super().setUp()
        self.sfn = sfn_client(self.broker)
        self.machine = self.sfn.create_state_machine(name="m", definition=GOOD, roleArn=ROLE)[
            "stateMachineArn"]
        self.activity = self.sfn.create_activity(name="work")["activityArn"]
        waiting = json.dumps({"StartAt": "Work", "States": {
            "Work": {"Type": "Task", "Resource": self.activity, "End": True}}})
        self.waiting = self.sfn.create_state_machine(name="waits", definition=waiting, roleArn=ROLE)[
            "stateMachineArn"]
        self.run = self.sfn.start_execution(stateMachineArn=self.waiting, name="r")["executionArn"]
        self.token = self.sfn.get_activity_task(activityArn=self.activity)["taskToken"]

    def post(self, action, body):
        raw = body if isinstance(body, str) else json.dumps(body)
        conn = http.client.HTTPConnection("localhost", self.broker.port, timeout=30)
        try:
            conn.request("POST", "/", body=raw, headers={
                "X-Amz-Target": "AWSStepFunctions." + action, "Content-Type": JSON_TYPE})
            res = conn.getresponse()
            headers = {k.lower(): v for k, v in res.getheaders()}
            return res.status, headers, res.read().decode()
        finally:
            conn.close()

    def sdk_call(self, action, params):
        method = "".join("_" + c.lower() if c.isupper() else c for c in action).lstrip("_")
        try:
            getattr(self.sfn, method)(**params)
        except self.sfn.exceptions.ClientError as e:
            return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]
        self.fail("%s succeeded but should have failed" % action)

    def assert_still_serving(self):
        self.assertEqual(self.broker.admin("health")["status"], "ok")
        names = [m["name"] for m in self.sfn.list_state_machines()["stateMachines"]]
        self.assertEqual(names, ["m", "waits"])
        self.assertEqual(self.sfn.describe_execution(executionArn=self.run)["status"], "RUNNING")

    def test_a_state_whose_output_outgrows_the_limit_fails_with_data_limit_exceeded(self):
        doubler = self.sfn.create_state_machine(name="doubler", roleArn=ROLE, definition=json.dumps({
            "StartAt": "Double", "States": {"Double": {
                "Type": "Pass", "Parameters": {"twice.$": "States.Format('{}{}', $.half, $.half)"},
                "End": True}}}))["stateMachineArn"]
        run = self.sfn.start_execution(stateMachineArn=doubler,
                                       input=json.dumps({"half": "x" * 200000}))["executionArn"]
        described = self.sfn.describe_execution(executionArn=run)
        self.assertEqual((described["status"], described["error"]), ("FAILED", "States.DataLimitExceeded"))

    def test_each_bad_request_gets_aws_error_shape_and_status(self):
        m, run, activity = self.machine, self.run, self.activity
        ghost_machine = PREFIX + "stateMachine:ghost"
        ghost_run = PREFIX + "execution:m:ghost"
        ghost_activity = PREFIX + "activity:ghost"
        long_name = "n" * 81
        cases = [
            # (name, how, action, request, HTTP status, error shape)
            ("malformed JSON body", RAW, "StartExecution", "{not json", 400, "SerializationException"),
            ("a body that is not an object", RAW, "ListStateMachines", "[1, 2]", 400,
             "SerializationException"),
            ("unknown action", RAW, "Frobnicate", {}, 400, "UnknownOperationException"),
            # Members the model requires, absent: AWS's request validation answers first.
            ("CreateStateMachine without a definition", RAW, "CreateStateMachine",
             {"name": "x", "roleArn": ROLE}, 400, "ValidationException"),
            ("StartExecution without a machine", RAW, "StartExecution", {}, 400, "ValidationException"),
            ("DescribeExecution without an ARN", RAW, "DescribeExecution", {}, 400, "ValidationException"),
            ("CreateActivity without a name", RAW, "CreateActivity", {}, 400, "ValidationException"),
            ("SendTaskSuccess without output", RAW, "SendTaskSuccess", {"taskToken": self.token}, 400,
             "ValidationException"),
            ("SendTaskHeartbeat without a token", RAW, "SendTaskHeartbeat", {}, 400,
             "ValidationException"),
            ("SendTaskFailure with an empty token", RAW, "SendTaskFailure", {"taskToken": ""}, 400,
             "ValidationException"),
            ("UpdateStateMachine that changes nothing", SDK, "UpdateStateMachine",
             {"stateMachineArn": m}, 400, "MissingRequiredParameter"),
            # Members of the wrong JSON type.
            ("a number for an ARN", RAW, "StartExecution", {"stateMachineArn": 5}, 400,
             "SerializationException"),
            ("an object for the input", RAW, "StartExecution", {"stateMachineArn": m, "input": {"a": 1}},
             400, "SerializationException"),
            ("a string for maxResults", RAW, "ListExecutions", {"stateMachineArn": m, "maxResults": "ten"},
             400, "SerializationException"),
            ("a string for a boolean", RAW, "GetExecutionHistory", {"executionArn": run,
                                                                    "reverseOrder": "yes"},
             400, "SerializationException"),
            ("a string for the tags", RAW, "TagResource", {"resourceArn": m, "tags": "team=dragons"},
             400, "SerializationException"),
            # Execution data beyond AWS's 262,144-byte limit.
            ("an input over 256 KiB", RAW, "StartExecution",
             {"stateMachineArn": m, "input": json.dumps({"egg": "x" * 262144})}, 400, "ValidationException"),
            ("a task output over 256 KiB", RAW, "SendTaskSuccess",
             {"taskToken": self.token, "output": json.dumps({"egg": "x" * 262144})}, 400,
             "ValidationException"),
            # Values outside an enumeration.
            ("an unknown machine type", SDK, "CreateStateMachine",
             {"name": "x", "definition": GOOD, "roleArn": ROLE, "type": "SLOW"}, 400,
             "ValidationException"),
            ("an unknown statusFilter", SDK, "ListExecutions", {"stateMachineArn": m,
                                                                "statusFilter": "SLEEPING"},
             400, "ValidationException"),
            ("an unknown redriveFilter", RAW, "ListExecutions", {"stateMachineArn": m,
                                                                 "redriveFilter": "SOMETIMES"},
             400, "ValidationException"),
            ("an unknown inspectionLevel", RAW, "TestState", {"definition": '{"Type": "Pass", "End": true}',
                                                              "roleArn": ROLE, "inspectionLevel": "LOUD"},
             400, "ValidationException"),
            # ARNs that are no ARNs, or of the wrong resource type.
            ("DescribeStateMachine of no ARN", SDK, "DescribeStateMachine", {"stateMachineArn": "nope"},
             400, "InvalidArn"),
            ("StartExecution of no ARN", SDK, "StartExecution", {"stateMachineArn": "nope"}, 400,
             "InvalidArn"),
            ("DeleteStateMachine of an activity", SDK, "DeleteStateMachine", {"stateMachineArn": activity},
             400, "InvalidArn"),
            ("DescribeExecution of no ARN", SDK, "DescribeExecution", {"executionArn": "nope"}, 400,
             "InvalidArn"),
            ("DescribeExecution of a machine", SDK, "DescribeExecution", {"executionArn": m}, 400,
             "InvalidArn"),
            ("StopExecution of no ARN", SDK, "StopExecution", {"executionArn": "nope"}, 400, "InvalidArn"),
            ("GetExecutionHistory of an activity", SDK, "GetExecutionHistory", {"executionArn": activity},
             400, "InvalidArn"),
            ("DescribeActivity of no ARN", SDK, "DescribeActivity", {"activityArn": "nope"}, 400,
             "InvalidArn"),
            ("DescribeActivity of a machine", SDK, "DescribeActivity", {"activityArn": m}, 400,
             "InvalidArn"),
            ("GetActivityTask of no ARN", SDK, "GetActivityTask", {"activityArn": "nope"}, 400,
             "InvalidArn"),
            ("DeleteActivity of no ARN", SDK, "DeleteActivity", {"activityArn": "nope"}, 400, "InvalidArn"),
            ("TagResource of no ARN", SDK, "TagResource", {"resourceArn": "nope", "tags": []}, 400,
             "InvalidArn"),
            ("ListTagsForResource of an execution", SDK, "ListTagsForResource", {"resourceArn": run}, 400,
             "InvalidArn"),
            # Well-formed ARNs of nothing.
            ("a machine that does not exist", SDK, "DescribeStateMachine",
             {"stateMachineArn": ghost_machine}, 400, "StateMachineDoesNotExist"),
            ("starting a machine that does not exist", SDK, "StartExecution",
             {"stateMachineArn": ghost_machine}, 400, "StateMachineDoesNotExist"),
            ("an execution that does not exist", SDK, "DescribeExecution", {"executionArn": ghost_run},
             400, "ExecutionDoesNotExist"),
            ("stopping an execution that does not exist", SDK, "StopExecution",
             {"executionArn": ghost_run}, 400, "ExecutionDoesNotExist"),
            ("an activity that does not exist", SDK, "DescribeActivity", {"activityArn": ghost_activity},
             400, "ActivityDoesNotExist"),
            ("polling an activity that does not exist", SDK, "GetActivityTask",
             {"activityArn": ghost_activity}, 400, "ActivityDoesNotExist"),
            ("tagging a machine that does not exist", SDK, "TagResource",
             {"resourceArn": ghost_machine, "tags": [{"key": "k", "value": "v"}]}, 400, "ResourceNotFound"),
            # Names: bad characters are InvalidName; a bad length is the model's ValidationException.
            ("a machine name with a space", SDK, "CreateStateMachine",
             {"name": "bad name", "definition": GOOD, "roleArn": ROLE}, 400, "InvalidName"),
            ("an activity name with a slash", SDK, "CreateActivity", {"name": "a/b"}, 400, "InvalidName"),
            ("an execution name with a wildcard", SDK, "StartExecution",
             {"stateMachineArn": m, "name": "run*"}, 400, "InvalidName"),
            ("a machine name too long", SDK, "CreateStateMachine",
             {"name": long_name, "definition": GOOD, "roleArn": ROLE}, 400, "ValidationException"),
            ("an execution name too long", SDK, "StartExecution", {"stateMachineArn": m, "name": long_name},
             400, "ValidationException"),
            ("an activity name too long", SDK, "CreateActivity", {"name": long_name}, 400,
             "ValidationException"),
            # Execution input, task output and tokens.
            ("input that is not JSON", SDK, "StartExecution", {"stateMachineArn": m, "input": "{"}, 400,
             "InvalidExecutionInput"),
            ("task output that is not JSON", SDK, "SendTaskSuccess",
             {"taskToken": self.token, "output": "not json"}, 400, "InvalidOutput"),
            ("a token that is no token", SDK, "SendTaskSuccess", {"taskToken": "nope", "output": "{}"},
             400, "InvalidToken"),
            # Definitions.
            ("a definition that is not JSON", SDK, "CreateStateMachine",
             {"name": "x", "definition": "{", "roleArn": ROLE}, 400, "InvalidDefinition"),
            ("a Next to no state", SDK, "CreateStateMachine",
             {"name": "x", "roleArn": ROLE, "definition": json.dumps(
                 {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}})},
             400, "InvalidDefinition"),
            ("an update to a definition without states", SDK, "UpdateStateMachine",
             {"stateMachineArn": m, "definition": json.dumps({"StartAt": "A", "States": {}})}, 400,
             "InvalidDefinition"),
        ]
        for name, how, action, request, status, shape in cases:
            with self.subTest(name):
                if how == RAW:
                    got_status, headers, text = self.post(action, request)
                    self.assertEqual(headers["content-type"], JSON_TYPE)
                    self.assertIn("x-amzn-requestid", headers)
                    doc = json.loads(text)
                    self.assertIsInstance(doc.get("message"), str)
                    got = (got_status, doc["__type"].rsplit("#", 1)[-1])
                else:
                    got = self.sdk_call(action, request)
                self.assertEqual(got, (status, shape))
            self.assert_still_serving()
        # Nothing above reached the waiting task: its token still works.
        self.sfn.send_task_success(taskToken=self.token, output="{}")
        self.assertEqual(self.sfn.describe_execution(executionArn=self.run)["status"], "SUCCEEDED")


if __name__ == "__main__":
    unittest.main()
