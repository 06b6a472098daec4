"""Step Functions through a real boto3 client: state machines, Standard and Express
executions, their history, the virtual clock for Wait states, validation errors, and
Standard executions surviving kill -9."""
import base64
import json
import unittest
import urllib.error
import urllib.request

from harness import ACCOUNT, Broker, BrokerTestCase, sfn_client, temp_dir

ROLE = "arn:aws:iam::%s:role/wyvern" % ACCOUNT


def definition(states, start):
    return json.dumps({"StartAt": start, "States": states})


# The lecture's dragon check, reduced to the states this slice runs.
SIGHTING = definition({
    "Tag": {"Type": "Pass", "Parameters": {
        "summary.$": "States.Format('{} seen near {}', $.dragon, $.place)",
        "execution.$": "$$.Execution.Name"}, "ResultPath": "$.tag", "Next": "Dangerous?"},
    "Dangerous?": {"Type": "Choice", "Choices": [
        {"And": [{"Variable": "$.size", "IsPresent": True},
                 {"Variable": "$.size", "NumericGreaterThanEquals": 10}], "Next": "Alarm"}],
        "Default": "Wait for more"},
    "Wait for more": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Log"},
    "Log": {"Type": "Pass", "OutputPath": "$.tag", "End": True},
    "Alarm": {"Type": "Fail", "Error": "DragonTooBig", "CausePath": "$.tag.summary"},
}, "Tag")


class StepFunctionsApi(BrokerTestCase):
    def setUp(self):
        super().setUp()
        self.sfn = sfn_client(self.broker)

    def create(self, name="sightings", definition=SIGHTING, type_=None):
        kwargs = {"type": type_} if type_ else {}
        return self.sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE, **kwargs)[
            "stateMachineArn"]

    def history(self, arn, **kwargs):
        return self.sfn.get_execution_history(executionArn=arn, **kwargs)["events"]

    def error_of(self, call, *args, **kwargs):
        try:
            call(*args, **kwargs)
        except self.sfn.exceptions.ClientError as e:
            return e.response["Error"]["Code"], e.response["Error"]["Message"]
        self.fail("%s succeeded but should have failed" % call.__name__)

    def test_state_machines_are_created_described_listed_updated_and_deleted(self):
        arn = self.create()
        self.assertEqual(arn, "arn:aws:states:us-east-1:%s:stateMachine:sightings" % ACCOUNT)
        described = self.sfn.describe_state_machine(stateMachineArn=arn)
        self.assertEqual((described["name"], described["type"], described["status"], described["roleArn"]),
                         ("sightings", "STANDARD", "ACTIVE", ROLE))
        self.assertEqual(json.loads(described["definition"]), json.loads(SIGHTING))
        self.assertEqual([m["name"] for m in self.sfn.list_state_machines()["stateMachines"]], ["sightings"])
        simple = definition({"Only": {"Type": "Succeed"}}, "Only")
        self.sfn.update_state_machine(stateMachineArn=arn, definition=simple)
        self.assertEqual(self.sfn.describe_state_machine(stateMachineArn=arn)["definition"], simple)
        self.sfn.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "dragons"}])
        self.assertEqual(self.sfn.list_tags_for_resource(resourceArn=arn)["tags"],
                         [{"key": "team", "value": "dragons"}])
        self.sfn.untag_resource(resourceArn=arn, tagKeys=["team"])
        self.assertEqual(self.sfn.list_tags_for_resource(resourceArn=arn)["tags"], [])
        self.sfn.delete_state_machine(stateMachineArn=arn)
        code, _ = self.error_of(self.sfn.describe_state_machine, stateMachineArn=arn)
        self.assertEqual(code, "StateMachineDoesNotExist")

    def test_bad_definitions_and_names_get_aws_errors(self):
        code, message = self.error_of(self.create, "broken", definition(
            {"A": {"Type": "Pass", "Next": "Nowhere"}}, "A"))
        self.assertEqual(code, "InvalidDefinition")
        self.assertIn("MISSING_TRANSITION_TARGET", message)
        self.assertIn("/States/A/Next", message)
        code, _ = self.error_of(self.create, "bad name!", SIGHTING)
        self.assertEqual(code, "InvalidName")
        self.create()
        code, _ = self.error_of(self.create, "sightings", definition({"X": {"Type": "Succeed"}}, "X"))
        self.assertEqual(code, "StateMachineAlreadyExists")
        if not hasattr(self.sfn, "validate_state_machine_definition"):
            return  # boto3 1.26 predates ValidateStateMachineDefinition; the JSON clients cover it
        result = self.sfn.validate_state_machine_definition(definition=definition(
            {"A": {"Type": "Pass", "End": True}, "B": {"Type": "Succeed"}}, "A"))
        self.assertEqual(result["result"], "FAIL")
        self.assertEqual([(d["code"], d["location"]) for d in result["diagnostics"]],
                         [("UNREACHABLE_STATE", "/States/B")])
        self.assertEqual(self.sfn.validate_state_machine_definition(definition=SIGHTING)["result"], "OK")
        code, _ = self.error_of(self.sfn.describe_execution,
                                executionArn="arn:aws:states:us-east-1:%s:execution:x:y" % ACCOUNT)
        self.assertEqual(code, "ExecutionDoesNotExist")

    def test_fields_the_schema_lacks_are_refused_where_they_are_written(self):
        # AWS's wording and location, as deployments that tripped on it report them: "Field
        # 'Message.$' is not supported at /States/<state>" (the object holding the field).
        task = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True,
                "Parameters": {"QueueUrl": "q", "MessageBody": "m"}}
        for states, start, top_level, field, where in [
                ({"Ask": dict(task, **{"Message.$": "$.m"})}, "Ask", {}, "Message.$", "/States/Ask"),
                ({"Ask": dict(task, Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done", "_comment": "x"}]),
                  "Done": {"Type": "Succeed"}}, "Ask", {}, "_comment", "/States/Ask/Catch/0"),
                ({"Done": {"Type": "Succeed"}}, "Done", {"Owner": "me"}, "Owner", "/"),
                ({"Each": {"Type": "Map", "End": True, "ItemProcessor": {
                    "QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}},
                 "Each", {}, "QueryLanguage", "/States/Each/ItemProcessor")]:
            body = json.loads(definition(states, start))
            body.update(top_level)
            code, message = self.error_of(self.create, "unknown-field", json.dumps(body))
            self.assertEqual(code, "InvalidDefinition")
            self.assertIn("SCHEMA_VALIDATION_FAILED: Field '%s' is not supported at %s" % (field, where), message)

    def test_express_machines_refuse_what_outlives_them(self):
        activity = "arn:aws:states:us-east-1:%s:activity:hatch" % ACCOUNT
        for resource, problem in [
                (activity, "Express state machine does not support Activity ARN"),
                ("arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                 # AWS's message has two spaces before "at" for this one (recorded against AWS).
                 "Express state machine does not support '.waitForTaskToken' service integration "),
                ("arn:aws:states:::states:startExecution.sync:2",
                 "Express state machine does not support '.sync' service integration")]:
            nested = definition({"Fan": {"Type": "Parallel", "End": True, "Branches": [
                {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": resource, "End": True}}}]}},
                "Fan")
            code, message = self.error_of(self.create, "express-bad", nested, "EXPRESS")
            self.assertEqual(code, "InvalidDefinition")
            self.assertIn("SCHEMA_VALIDATION_FAILED: %s at /States/Fan/Branches/0/States/Call/Resource" % problem,
                          message)
            # The same definition is fine for a Standard machine.
            self.sfn.delete_state_machine(stateMachineArn=self.create("standard-ok", nested))
        model = self.sfn.meta.service_model
        if ("ValidateStateMachineDefinition" in model.operation_names and "type" in model.operation_model(
                "ValidateStateMachineDefinition").input_shape.members):
            result = self.sfn.validate_state_machine_definition(definition=definition(
                {"Call": {"Type": "Task", "Resource": activity, "End": True}}, "Call"), type="EXPRESS")
            self.assertEqual([d["code"] for d in result["diagnostics"]], ["SCHEMA_VALIDATION_FAILED"])

    def test_a_standard_execution_waits_on_the_virtual_clock_and_records_its_history(self):
        arn = self.create()
        run = self.sfn.start_execution(stateMachineArn=arn, name="smaug",
                                       input=json.dumps({"dragon": "Smaug", "place": "Erebor",
                                                         "size": 3, "wait": 3600}))
        described = self.sfn.describe_execution(executionArn=run["executionArn"])
        self.assertEqual(described["status"], "RUNNING")
        self.broker.advance(3600)
        described = self.sfn.describe_execution(executionArn=run["executionArn"])
        self.assertEqual(described["status"], "SUCCEEDED")
        self.assertEqual(json.loads(described["output"]),
                         {"summary": "Smaug seen near Erebor", "execution": "smaug"})
        types = [e["type"] for e in self.history(run["executionArn"])]
        self.assertEqual(types, ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                                 "ChoiceStateEntered", "ChoiceStateExited", "WaitStateEntered",
                                 "WaitStateExited", "PassStateEntered", "PassStateExited",
                                 "ExecutionSucceeded"])
        events = self.history(run["executionArn"], reverseOrder=True, maxResults=2)
        self.assertEqual([e["type"] for e in events], ["ExecutionSucceeded", "PassStateExited"])
        first = self.history(run["executionArn"])[0]
        self.assertEqual((first["id"], first["previousEventId"]), (1, 0))
        self.assertEqual(json.loads(first["executionStartedEventDetails"]["input"])["dragon"], "Smaug")
        code, _ = self.error_of(self.sfn.start_execution, stateMachineArn=arn, name="smaug", input="{}")
        self.assertEqual(code, "ExecutionAlreadyExists")

    def test_a_fail_state_fails_the_execution_with_its_error(self):
        arn = self.create()
        run = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps(
            {"dragon": "Glaurung", "place": "Nargothrond", "size": 40}))
        described = self.sfn.describe_execution(executionArn=run["executionArn"])
        self.assertEqual((described["status"], described["error"], described["cause"]),
                         ("FAILED", "DragonTooBig", "Glaurung seen near Nargothrond"))
        last = self.history(run["executionArn"])[-1]
        self.assertEqual(last["type"], "ExecutionFailed")
        self.assertEqual(last["executionFailedEventDetails"]["error"], "DragonTooBig")

    def test_executions_can_be_listed_filtered_and_stopped(self):
        arn = self.create()
        parked = self.sfn.start_execution(stateMachineArn=arn, name="parked", input=json.dumps(
            {"dragon": "a", "place": "b", "wait": 100}))["executionArn"]
        self.sfn.start_execution(stateMachineArn=arn, name="failed", input=json.dumps(
            {"dragon": "a", "place": "b", "size": 99}))
        running = self.sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
        self.assertEqual([e["name"] for e in running], ["parked"])
        self.sfn.stop_execution(executionArn=parked, error="Cancelled", cause="the dragon left")
        described = self.sfn.describe_execution(executionArn=parked)
        self.assertEqual((described["status"], described["error"]), ("ABORTED", "Cancelled"))
        self.assertEqual(self.history(parked)[-1]["type"], "ExecutionAborted")
        self.broker.advance(100)
        self.assertEqual(self.sfn.describe_execution(executionArn=parked)["status"], "ABORTED")
        self.assertEqual(len(self.sfn.list_executions(stateMachineArn=arn)["executions"]), 2)
        self.assertEqual(self.sfn.describe_state_machine_for_execution(executionArn=parked)["name"],
                         "sightings")

    def test_express_executions_answer_synchronously(self):
        arn = self.create("quick", type_="EXPRESS")
        result = self.sfn.start_sync_execution(stateMachineArn=arn, input=json.dumps(
            {"dragon": "Toothless", "place": "Berk", "size": 1, "wait": 0}))
        self.assertEqual(result["status"], "SUCCEEDED")
        self.assertEqual(json.loads(result["output"])["summary"], "Toothless seen near Berk")
        failed = self.sfn.start_sync_execution(stateMachineArn=arn, input=json.dumps(
            {"dragon": "Smaug", "place": "Erebor", "size": 50}))
        self.assertEqual((failed["status"], failed["error"]), ("FAILED", "DragonTooBig"))
        standard = self.create()
        code, _ = self.error_of(self.sfn.start_sync_execution, stateMachineArn=standard, input="{}")
        self.assertEqual(code, "StateMachineTypeNotSupported")

    def test_a_standard_start_with_the_same_name_and_input_while_running_is_the_same_execution(self):
        # API_StartExecution: "StartExecution is idempotent for STANDARD workflows. For a STANDARD
        # workflow, if you call StartExecution with the same name and input as a running execution,
        # the call succeeds and return the same response as the original request. If the execution
        # is closed or if the input is different, it returns a 400 ExecutionAlreadyExists error."
        arn = self.create()
        payload = json.dumps({"dragon": "Smaug", "place": "Erebor", "size": 3, "wait": 60})
        first = self.sfn.start_execution(stateMachineArn=arn, name="twice", input=payload)
        again = self.sfn.start_execution(stateMachineArn=arn, name="twice", input=payload)
        self.assertEqual((again["executionArn"], again["startDate"]), (first["executionArn"], first["startDate"]))
        self.assertEqual([e["name"] for e in self.sfn.list_executions(stateMachineArn=arn)["executions"]],
                         ["twice"])
        self.assertEqual([e["type"] for e in self.history(first["executionArn"])].count("ExecutionStarted"), 1)
        other = json.dumps({"dragon": "Smaug", "place": "Erebor", "size": 3, "wait": 61})
        code, _ = self.error_of(self.sfn.start_execution, stateMachineArn=arn, name="twice", input=other)
        self.assertEqual(code, "ExecutionAlreadyExists")
        described = self.sfn.describe_execution(executionArn=first["executionArn"])
        self.assertEqual((described["status"], described["input"]), ("RUNNING", payload))
        self.broker.advance(60)
        self.assertEqual(self.sfn.describe_execution(executionArn=first["executionArn"])["status"], "SUCCEEDED")
        # Closed: the same name and input is refused too.
        code, _ = self.error_of(self.sfn.start_execution, stateMachineArn=arn, name="twice", input=payload)
        self.assertEqual(code, "ExecutionAlreadyExists")

    def test_an_express_execution_name_can_be_used_again(self):
        # API_StartExecution: "StartExecution isn't idempotent for EXPRESS workflows." Each call is
        # its own execution: an Express execution's ARN ends in an id of its own
        # (arn:...:express:<stateMachineName>:<executionName>:<id>).
        arn = self.create("quick", type_="EXPRESS")
        payload = json.dumps({"dragon": "Toothless", "place": "Berk", "size": 1, "wait": 0})
        runs = [self.sfn.start_sync_execution(stateMachineArn=arn, name="again", input=payload)
                for _ in range(2)]
        self.assertEqual([(r["status"], r["name"]) for r in runs], [("SUCCEEDED", "again")] * 2)
        self.assertEqual([json.loads(r["output"])["summary"] for r in runs], ["Toothless seen near Berk"] * 2)
        self.assertNotEqual(runs[0]["executionArn"], runs[1]["executionArn"])
        started = [self.sfn.start_execution(stateMachineArn=arn, name="again", input=payload)["executionArn"]
                   for _ in range(2)]
        self.assertNotEqual(started[0], started[1])

    def review_machine(self, activity, **task):
        state = {"Type": "Task", "Resource": activity, "Parameters": {"egg.$": "$.egg"},
                 "ResultPath": "$.verdict", "Next": "Hatch"}
        state.update(task)
        states = {"Review": state, "Hatch": {"Type": "Succeed"}}
        if "Catch" in task:
            states["Rejected"] = {"Type": "Pass", "End": True}
        return self.create("review", definition(states, "Review"))

    def test_an_activity_worker_completes_a_task_state(self):
        activity = self.sfn.create_activity(name="inspect-egg")["activityArn"]
        self.assertEqual(self.sfn.describe_activity(activityArn=activity)["name"], "inspect-egg")
        self.assertEqual([a["name"] for a in self.sfn.list_activities()["activities"]], ["inspect-egg"])
        arn = self.review_machine(activity)
        run = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps({"egg": "green"}))["executionArn"]
        task = self.sfn.get_activity_task(activityArn=activity, workerName="keeper")
        self.assertEqual(json.loads(task["input"]), {"egg": "green"})
        self.sfn.send_task_heartbeat(taskToken=task["taskToken"])
        self.sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"healthy": True}))
        described = self.sfn.describe_execution(executionArn=run)
        self.assertEqual(described["status"], "SUCCEEDED")
        self.assertEqual(json.loads(described["output"]), {"egg": "green", "verdict": {"healthy": True}})
        types = [e["type"] for e in self.history(run)]
        self.assertEqual(types, ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled",
                                 "ActivityStarted", "ActivitySucceeded", "TaskStateExited",
                                 "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"])
        started = [e for e in self.history(run) if e["type"] == "ActivityStarted"][0]
        self.assertEqual(started["activityStartedEventDetails"]["workerName"], "keeper")
        code, _ = self.error_of(self.sfn.send_task_success, taskToken=task["taskToken"], output="{}")
        self.assertEqual(code, "TaskTimedOut")
        code, _ = self.error_of(self.sfn.send_task_success, taskToken="not-a-token", output="{}")
        self.assertEqual(code, "InvalidToken")

    def assert_closed(self, token):
        """Every use of a closed token answers AWS's TaskTimedOut, and changes nothing."""
        for call, kwargs in [(self.sfn.send_task_success, {"output": "{}"}),
                             (self.sfn.send_task_failure, {"error": "Late"}),
                             (self.sfn.send_task_heartbeat, {})]:
            code, message = self.error_of(call, taskToken=token, **kwargs)
            self.assertEqual((code, message),
                             ("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'"))

    def test_a_task_token_used_twice_answers_task_timed_out_the_second_time(self):
        activity = self.sfn.create_activity(name="inspect-egg")["activityArn"]
        arn = self.review_machine(activity)
        for answer in ("success", "failure"):
            run = self.sfn.start_execution(stateMachineArn=arn, name=answer,
                                           input=json.dumps({"egg": "blue"}))["executionArn"]
            token = self.sfn.get_activity_task(activityArn=activity)["taskToken"]
            if answer == "success":
                self.sfn.send_task_success(taskToken=token, output=json.dumps({"healthy": True}))
            else:
                self.sfn.send_task_failure(taskToken=token, error="Cracked")
            status = self.sfn.describe_execution(executionArn=run)["status"]
            self.assert_closed(token)
            self.assertEqual(self.sfn.describe_execution(executionArn=run)["status"], status)

    def test_a_task_token_after_its_heartbeat_timed_out_answers_task_timed_out(self):
        activity = self.sfn.create_activity(name="inspect-egg")["activityArn"]
        arn = self.review_machine(activity, HeartbeatSeconds=60, TimeoutSeconds=3600)
        run = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps({"egg": "red"}))["executionArn"]
        token = self.sfn.get_activity_task(activityArn=activity)["taskToken"]
        self.broker.advance(60)
        self.assertEqual(self.sfn.describe_execution(executionArn=run)["error"], "States.HeartbeatTimeout")
        self.assert_closed(token)

    def test_a_task_token_of_a_stopped_execution_answers_task_timed_out(self):
        activity = self.sfn.create_activity(name="inspect-egg")["activityArn"]
        arn = self.review_machine(activity)
        run = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps({"egg": "gold"}))["executionArn"]
        token = self.sfn.get_activity_task(activityArn=activity)["taskToken"]
        self.sfn.stop_execution(executionArn=run, error="Cancelled")
        self.assert_closed(token)
        self.assertEqual(self.sfn.describe_execution(executionArn=run)["status"], "ABORTED")

    def test_a_token_never_issued_does_not_exist_and_a_malformed_one_is_invalid(self):
        activity = self.sfn.create_activity(name="inspect-egg")["activityArn"]
        arn = self.review_machine(activity)
        run = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps({"egg": "white"}))["executionArn"]
        self.sfn.get_activity_task(activityArn=activity)
        # The shape of Wyvern's tokens, naming a real execution, but never handed out.
        forged = base64.b64encode(("0" * 48 + ":" + run).encode()).decode()
        for token, expected in [(forged, "TaskDoesNotExist"), ("not-a-token", "InvalidToken"),
                                (base64.b64encode(b"no execution here").decode(), "InvalidToken")]:
            for call, kwargs in [(self.sfn.send_task_success, {"output": "{}"}),
                                 (self.sfn.send_task_failure, {}),
                                 (self.sfn.send_task_heartbeat, {})]:
                code, _ = self.error_of(call, taskToken=token, **kwargs)
                self.assertEqual(code, expected, token)
        self.assertEqual(self.sfn.describe_execution(executionArn=run)["status"], "RUNNING")

    def test_failures_are_retried_with_backoff_then_caught(self):
        activity = self.sfn.create_activity(name="inspect-egg")["activityArn"]
        arn = self.review_machine(
            activity,
            Retry=[{"ErrorEquals": ["Cracked"], "IntervalSeconds": 10, "BackoffRate": 3, "MaxAttempts": 2}],
            Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.problem", "Next": "Rejected"}])
        run = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps({"egg": "grey"}))["executionArn"]
        for wait in (10, 30):  # IntervalSeconds, then times BackoffRate
            task = self.sfn.get_activity_task(activityArn=activity)
            self.sfn.send_task_failure(taskToken=task["taskToken"], error="Cracked", cause="a hairline")
            self.broker.advance(wait - 1)
            types = [e["type"] for e in self.history(run)]
            self.assertEqual(types[-1], "ActivityFailed")  # still backing off
            self.broker.advance(1)
        task = self.sfn.get_activity_task(activityArn=activity)
        self.sfn.send_task_failure(taskToken=task["taskToken"], error="Cracked", cause="for good")
        described = self.sfn.describe_execution(executionArn=run)
        self.assertEqual(described["status"], "SUCCEEDED")
        self.assertEqual(json.loads(described["output"])["problem"],
                         {"Error": "Cracked", "Cause": "for good"})
        types = [e["type"] for e in self.history(run)]
        self.assertEqual(types.count("ActivityScheduled"), 3)
        self.assertEqual(types.count("ActivityFailed"), 3)

    def test_a_silent_worker_times_out_on_its_heartbeat(self):
        activity = self.sfn.create_activity(name="inspect-egg")["activityArn"]
        arn = self.review_machine(activity, HeartbeatSeconds=60, TimeoutSeconds=3600)
        run = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps({"egg": "red"}))["executionArn"]
        task = self.sfn.get_activity_task(activityArn=activity)
        self.broker.advance(59)
        self.sfn.send_task_heartbeat(taskToken=task["taskToken"])
        self.broker.advance(59)
        self.assertEqual(self.sfn.describe_execution(executionArn=run)["status"], "RUNNING")
        self.broker.advance(1)
        described = self.sfn.describe_execution(executionArn=run)
        self.assertEqual((described["status"], described["error"]), ("FAILED", "States.HeartbeatTimeout"))
        self.assertIn("ActivityTimedOut", [e["type"] for e in self.history(run)])

    def test_an_execution_times_out_at_its_timeout_seconds(self):
        arn = self.create("bounded", json.dumps({
            "StartAt": "Nap", "TimeoutSeconds": 100,
            "States": {"Nap": {"Type": "Wait", "Seconds": 1000, "End": True}}}))
        run = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        self.broker.advance(99)
        self.assertEqual(self.sfn.describe_execution(executionArn=run)["status"], "RUNNING")
        self.broker.advance(1)
        described = self.sfn.describe_execution(executionArn=run)
        self.assertEqual((described["status"], described["error"]), ("TIMED_OUT", "States.Timeout"))
        last = self.history(run)[-1]
        self.assertEqual(last["type"], "ExecutionTimedOut")
        self.broker.advance(1000)  # the Wait's own timer finds nothing left to do
        self.assertEqual(self.sfn.describe_execution(executionArn=run)["status"], "TIMED_OUT")

    def test_states_not_yet_supported_fail_the_execution_plainly(self):
        arn = self.create("tasks", definition(
            {"T": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem", "End": True}}, "T"))
        run = self.sfn.start_execution(stateMachineArn=arn)
        described = self.sfn.describe_execution(executionArn=run["executionArn"])
        self.assertEqual((described["status"], described["error"]), ("FAILED", "States.Runtime"))


class StepFunctionsDurability(unittest.TestCase):
    def test_a_task_token_and_a_retry_backoff_survive_kill_9(self):
        data, cleanup = temp_dir()
        broker = Broker(data_dir=data).start()
        try:
            sfn = sfn_client(broker)
            activity = sfn.create_activity(name="slow-work")["activityArn"]
            arn = sfn.create_state_machine(name="work", roleArn=ROLE, definition=definition({
                "Work": {"Type": "Task", "Resource": activity, "End": True,
                         "Retry": [{"ErrorEquals": ["Again"], "IntervalSeconds": 3600, "MaxAttempts": 1}]}},
                "Work"))["stateMachineArn"]
            token_run = sfn.start_execution(stateMachineArn=arn, name="token")["executionArn"]
            token = sfn.get_activity_task(activityArn=activity)["taskToken"]
            retry_run = sfn.start_execution(stateMachineArn=arn, name="retry")["executionArn"]
            retry_token = sfn.get_activity_task(activityArn=activity)["taskToken"]
            sfn.send_task_failure(taskToken=retry_token, error="Again")
            broker.kill()
            broker = Broker(data_dir=data).start()
            sfn = sfn_client(broker)
            sfn.send_task_success(taskToken=token, output='{"done": 1}')
            self.assertEqual(sfn.describe_execution(executionArn=token_run)["status"], "SUCCEEDED")
            broker.advance(3600)
            again = sfn.get_activity_task(activityArn=activity)
            sfn.send_task_success(taskToken=again["taskToken"], output='{"done": 2}')
            self.assertEqual(json.loads(sfn.describe_execution(executionArn=retry_run)["output"]), {"done": 2})
            types = [e["type"] for e in sfn.get_execution_history(executionArn=retry_run)["events"]]
            self.assertEqual(types.count("ActivityScheduled"), 2)  # the original and one retry
        finally:
            broker.kill()
            cleanup()

    def test_a_closed_task_token_still_answers_task_timed_out_after_kill_9(self):
        data, cleanup = temp_dir()
        broker = Broker(data_dir=data).start()
        try:
            sfn = sfn_client(broker)
            activity = sfn.create_activity(name="work")["activityArn"]
            arn = sfn.create_state_machine(name="work", roleArn=ROLE, definition=definition({
                "Work": {"Type": "Task", "Resource": activity, "End": True}}, "Work"))["stateMachineArn"]
            tokens = []
            for name in ("answered", "stopped"):
                run = sfn.start_execution(stateMachineArn=arn, name=name)["executionArn"]
                tokens.append(sfn.get_activity_task(activityArn=activity)["taskToken"])
            sfn.send_task_success(taskToken=tokens[0], output="{}")
            sfn.stop_execution(executionArn=run)
            broker.kill()
            broker = Broker(data_dir=data).start()
            sfn = sfn_client(broker)
            for token in tokens:
                with self.assertRaises(sfn.exceptions.TaskTimedOut):
                    sfn.send_task_success(taskToken=token, output="{}")
        finally:
            broker.kill()
            cleanup()

    def test_a_parked_standard_execution_survives_kill_9(self):
        data, cleanup = temp_dir()
        broker = Broker(data_dir=data).start()
        try:
            sfn = sfn_client(broker)
            arn = sfn.create_state_machine(name="patient", roleArn=ROLE, definition=SIGHTING)["stateMachineArn"]
            run = sfn.start_execution(stateMachineArn=arn, name="long-wait", input=json.dumps(
                {"dragon": "Ancalagon", "place": "Thangorodrim", "wait": 864000}))["executionArn"]
            broker.kill()
            broker = Broker(data_dir=data).start()
            sfn = sfn_client(broker)
            self.assertEqual(sfn.describe_execution(executionArn=run)["status"], "RUNNING")
            broker.advance(864000)  # ten days
            described = sfn.describe_execution(executionArn=run)
            self.assertEqual(described["status"], "SUCCEEDED")
            types = [e["type"] for e in sfn.get_execution_history(executionArn=run)["events"]]
            self.assertEqual(types.count("WaitStateEntered"), 1)  # nothing ran twice
            self.assertEqual(types[-1], "ExecutionSucceeded")
        finally:
            broker.kill()
            cleanup()


class StepFunctionsRobustness(BrokerTestCase):
    """Regressions: inputs that once could crash or stall the broker."""

    def setUp(self):
        super().setUp()
        self.sfn = sfn_client(self.broker)

    def status_of(self, states, start, input_="{}", type_=None):
        kwargs = {"type": type_} if type_ else {}
        arn = self.sfn.create_state_machine(name="m", roleArn=ROLE, definition=definition(states, start),
                                            **kwargs)["stateMachineArn"]
        run = self.sfn.start_execution(stateMachineArn=arn, input=input_)
        return arn, run

    def test_an_express_execution_that_ends_at_once_is_answered(self):
        _, run = self.status_of({"P": {"Type": "Pass", "End": True}}, "P", type_="EXPRESS")
        self.assertIn(":express:", run["executionArn"])

    def test_an_endless_loop_fails_at_the_history_limit(self):
        arn, run = self.status_of({
            "A": {"Type": "Pass", "Next": "B"},
            "B": {"Type": "Choice", "Choices": [{"Variable": "$.stop", "IsPresent": True, "Next": "C"}],
                  "Default": "A"},
            "C": {"Type": "Succeed"}}, "A")
        described = self.sfn.describe_execution(executionArn=run["executionArn"])
        self.assertEqual((described["status"], described["error"]), ("FAILED", "States.Runtime"))

    def test_a_pathological_wildcard_does_not_stall(self):
        _, run = self.status_of({
            "M": {"Type": "Choice", "Choices": [
                {"Variable": "$.s", "StringMatches": "*a*a*a*a*a*a*a*a*a*a*a*b", "Next": "Y"}], "Default": "N"},
            "Y": {"Type": "Succeed"}, "N": {"Type": "Succeed"}}, "M", json.dumps({"s": "a" * 5000}))
        history = self.sfn.get_execution_history(executionArn=run["executionArn"])["events"]
        self.assertEqual(history[-1]["type"], "ExecutionSucceeded")

    def test_ill_typed_definition_fields_are_rejected_not_run(self):
        for states in [{"A": {"Type": "Fail", "Error": 5}},
                       {"A": {"Type": "Wait", "Timestamp": 5, "End": True}},
                       {"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": 1, "Next": "B"}]},
                        "B": {"Type": "Succeed"}},
                       {"A": {"Type": "Wait", "Seconds": 100000000, "End": True}}]:
            with self.assertRaises(self.sfn.exceptions.InvalidDefinition):
                self.sfn.create_state_machine(name="bad", roleArn=ROLE, definition=definition(states, "A"))
        if hasattr(self.sfn, "validate_state_machine_definition"):
            result = self.sfn.validate_state_machine_definition(definition='{"StartAt": 1, "States": {}}')
            self.assertEqual(result["result"], "FAIL")

    def raw(self, action, body):
        req = urllib.request.Request(self.broker.endpoint + "/", data=json.dumps(body).encode(), method="POST",
                                     headers={"X-Amz-Target": "AWSStepFunctions." + action,
                                              "Content-Type": "application/x-amz-json-1.0"})
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return res.status, json.loads(res.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def test_bad_tags_and_deep_input_are_refused(self):
        arn = self.sfn.create_state_machine(name="deep", roleArn=ROLE, definition=definition(
            {"A": {"Type": "Succeed"}}, "A"))["stateMachineArn"]
        status, body = self.raw("TagResource", {"resourceArn": arn, "tags": [{"key": "k", "value": 1}]})
        self.assertEqual(status, 400)
        self.assertTrue(body["__type"].endswith("SerializationException"))
        with self.assertRaises(self.sfn.exceptions.InvalidExecutionInput):
            self.sfn.start_execution(stateMachineArn=arn, input="[" * 1000 + "]" * 1000)
        status, body = self.raw("ListStateMachines", {"x": json.loads("[" * 300 + "]" * 300)})
        self.assertEqual(status, 400)
        self.assertEqual(self.broker.admin("health")["status"], "ok")


if __name__ == "__main__":
    unittest.main()
