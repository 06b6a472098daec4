"""Step Functions versions, aliases, redrive and TestState through a real boto3 client.

These actions came to the API in 2023: Debian's boto3 1.26 has no model for them, so under
that interpreter the tests skip (and say so); boto3 1.43 runs them all. TestState carries
AWS's "sync-" host prefix, which the harness's client turns off for a local endpoint."""
import json
import time
import unittest

from harness import ACCOUNT, BrokerTestCase, sfn_client

ROLE = "arn:aws:iam::%s:role/wyvern" % ACCOUNT
OTHER_ROLE = "arn:aws:iam::%s:role/other" % ACCOUNT


def pass_machine(result):
    return json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": True}}})


# Fails at "Check" until its input carries ok=true; "Prepare" must not run again on redrive.
FLAKY = json.dumps({"StartAt": "Prepare", "States": {
    "Prepare": {"Type": "Pass", "Result": "prepared", "ResultPath": "$.prep", "Next": "Park"},
    "Park": {"Type": "Wait", "Seconds": 60, "Next": "Check"},
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Done"}],
              "Default": "Broken"},
    "Broken": {"Type": "Fail", "Error": "Broken", "Cause": "not yet"},
    "Done": {"Type": "Succeed"}}})


class NewerApiCase(BrokerTestCase):
    def setUp(self):
        super().setUp()
        self.sfn = sfn_client(self.broker)
        if not hasattr(self.sfn, "publish_state_machine_version"):
            self.skipTest("boto3 %s predates versions, aliases and redrive"
                          % self.sfn.meta.service_model.api_version)

    def error_of(self, call, **kwargs):
        try:
            call(**kwargs)
        except self.sfn.exceptions.ClientError as e:
            return (e.response["Error"]["Code"], e.response["Error"]["Message"],
                    e.response["ResponseMetadata"]["HTTPStatusCode"])
        self.fail("%s succeeded but should have failed" % call.__name__)

    def wait_done(self, arn):
        for _ in range(200):
            d = self.sfn.describe_execution(executionArn=arn)
            if d["status"] != "RUNNING":
                return d
            time.sleep(0.02)
        self.fail("execution %s still running" % arn)


class Versions(NewerApiCase):
    def test_versions_are_published_listed_described_run_and_deleted(self):
        created = self.sfn.create_state_machine(name="dragons", definition=pass_machine("v1"), roleArn=ROLE,
                                                publish=True, versionDescription="first")
        arn = created["stateMachineArn"]
        v1 = created["stateMachineVersionArn"]
        self.assertEqual(v1, arn + ":1")
        # Publishing the same revision again answers with the same version.
        self.assertEqual(self.sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"], v1)
        updated = self.sfn.update_state_machine(stateMachineArn=arn, definition=pass_machine("v2"),
                                                roleArn=OTHER_ROLE, publish=True, versionDescription="second")
        self.assertEqual(updated["stateMachineVersionArn"], arn + ":2")
        revision = updated["revisionId"]
        self.assertEqual(self.sfn.describe_state_machine(stateMachineArn=arn)["revisionId"], revision)
        # A stale revision id is refused; the current one publishes (here: the existing version 2).
        code, _, status = self.error_of(self.sfn.publish_state_machine_version, stateMachineArn=arn,
                                        revisionId="not-the-revision")
        self.assertEqual((code, status), ("ConflictException", 409))
        self.assertEqual(self.sfn.publish_state_machine_version(stateMachineArn=arn, revisionId=revision)[
            "stateMachineVersionArn"], arn + ":2")
        self.sfn.update_state_machine(stateMachineArn=arn, definition=pass_machine("v3"))
        self.assertEqual(
            [v["stateMachineVersionArn"] for v in self.sfn.list_state_machine_versions(stateMachineArn=arn)[
                "stateMachineVersions"]], [arn + ":2", arn + ":1"])
        # A version keeps its own definition, role and description.
        d1 = self.sfn.describe_state_machine(stateMachineArn=v1)
        self.assertEqual((d1["stateMachineArn"], d1["definition"], d1["roleArn"], d1["description"]),
                         (v1, pass_machine("v1"), ROLE, "first"))
        # Executions of a version run that version's definition, under the machine's name.
        run = self.sfn.start_execution(stateMachineArn=v1, name="old")["executionArn"]
        self.assertEqual(run, "arn:aws:states:us-east-1:%s:execution:dragons:old" % ACCOUNT)
        done = self.wait_done(run)
        self.assertEqual((done["output"], done["stateMachineArn"], done["stateMachineVersionArn"]),
                         ('"v1"', arn, v1))
        started = self.sfn.get_execution_history(executionArn=run)["events"][0]
        self.assertEqual(started["executionStartedEventDetails"]["stateMachineVersionArn"], v1)
        latest = self.wait_done(self.sfn.start_execution(stateMachineArn=arn)["executionArn"])
        self.assertEqual(latest["output"], '"v3"')
        self.assertNotIn("stateMachineVersionArn", latest)
        self.assertEqual([e["name"] for e in self.sfn.list_executions(stateMachineArn=v1)["executions"]], ["old"])
        # Deleting a version is final and idempotent; its number is never reused.
        self.sfn.delete_state_machine_version(stateMachineVersionArn=v1)
        self.sfn.delete_state_machine_version(stateMachineVersionArn=v1)
        code, _, _ = self.error_of(self.sfn.start_execution, stateMachineArn=v1)
        self.assertEqual(code, "StateMachineDoesNotExist")
        self.assertEqual(self.sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"],
                         arn + ":3")

    def test_aliases_route_executions_to_their_versions(self):
        arn = self.sfn.create_state_machine(name="router", definition=pass_machine("blue"), roleArn=ROLE,
                                            publish=True)["stateMachineArn"]
        self.sfn.update_state_machine(stateMachineArn=arn, definition=pass_machine("green"), publish=True)
        blue, green = arn + ":1", arn + ":2"
        alias = self.sfn.create_state_machine_alias(
            name="live", description="what users get",
            routingConfiguration=[{"stateMachineVersionArn": blue, "weight": 100}])["stateMachineAliasArn"]
        self.assertEqual(alias, arn + ":live")
        # The same request again is answered with the same alias; a different one conflicts.
        self.assertEqual(self.sfn.create_state_machine_alias(
            name="live", description="what users get",
            routingConfiguration=[{"stateMachineVersionArn": blue, "weight": 100}])["stateMachineAliasArn"], alias)
        code, _, status = self.error_of(self.sfn.create_state_machine_alias, name="live",
                                        routingConfiguration=[{"stateMachineVersionArn": green, "weight": 100}])
        self.assertEqual((code, status), ("ConflictException", 409))
        run = self.wait_done(self.sfn.start_execution(stateMachineArn=alias)["executionArn"])
        self.assertEqual((run["output"], run["stateMachineAliasArn"], run["stateMachineVersionArn"]),
                         ('"blue"', alias, blue))
        # A version an alias routes to cannot be deleted.
        code, message, _ = self.error_of(self.sfn.delete_state_machine_version, stateMachineVersionArn=blue)
        self.assertEqual(code, "ConflictException")
        self.assertIn(alias, message)
        self.sfn.update_state_machine_alias(stateMachineAliasArn=alias, routingConfiguration=[
            {"stateMachineVersionArn": blue, "weight": 0}, {"stateMachineVersionArn": green, "weight": 100}])
        described = self.sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
        self.assertEqual((described["name"], described["description"]), ("live", "what users get"))
        self.assertEqual({r["stateMachineVersionArn"]: r["weight"] for r in described["routingConfiguration"]},
                         {blue: 0, green: 100})
        run = self.wait_done(self.sfn.start_execution(stateMachineArn=alias)["executionArn"])
        self.assertEqual(run["output"], '"green"')
        self.assertEqual(len(self.sfn.list_executions(stateMachineArn=alias)["executions"]), 2)
        self.assertEqual([a["stateMachineAliasArn"] for a in
                          self.sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]], [alias])
        # Bad routing gets AWS's errors.
        for routing, expected in [
                ([{"stateMachineVersionArn": blue, "weight": 60}], "ValidationException"),
                ([{"stateMachineVersionArn": arn + ":9", "weight": 100}], "ResourceNotFound"),
                ([{"stateMachineVersionArn": "arn:aws:sqs:us-east-1:1:q", "weight": 100}], "InvalidArn")]:
            code, _, _ = self.error_of(self.sfn.create_state_machine_alias, name="other",
                                       routingConfiguration=routing)
            self.assertEqual(code, expected, routing)
        self.sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
        code, _, _ = self.error_of(self.sfn.describe_state_machine_alias, stateMachineAliasArn=alias)
        self.assertEqual(code, "ResourceNotFound")
        # Deleting the machine takes its versions with it.
        self.sfn.delete_state_machine(stateMachineArn=arn)
        code, _, _ = self.error_of(self.sfn.describe_state_machine, stateMachineArn=green)
        self.assertEqual(code, "StateMachineDoesNotExist")

    def test_a_failed_execution_is_redriven_from_the_state_that_failed(self):
        arn = self.sfn.create_state_machine(name="flaky", definition=FLAKY, roleArn=ROLE)["stateMachineArn"]
        run = self.sfn.start_execution(stateMachineArn=arn, name="r1", input='{"ok": false}')["executionArn"]
        code, message, _ = self.error_of(self.sfn.redrive_execution, executionArn=run)
        self.assertEqual(code, "ExecutionNotRedrivable")
        self.assertIn("RUNNING", message)
        self.broker.advance(61)
        failed = self.wait_done(run)
        self.assertEqual((failed["status"], failed["redriveCount"], failed["redriveStatus"]),
                         ("FAILED", 0, "REDRIVABLE"))
        redriven = self.sfn.redrive_execution(executionArn=run)
        self.assertIn("redriveDate", redriven)
        again = self.wait_done(run)
        self.assertEqual((again["status"], again["redriveCount"], again["error"]), ("FAILED", 1, "Broken"))
        types = [e["type"] for e in self.sfn.get_execution_history(executionArn=run)["events"]]
        redrive = types.index("ExecutionRedriven")
        # The redrive re-enters the failed state only: nothing before it runs twice.
        self.assertEqual(types[redrive:], ["ExecutionRedriven", "FailStateEntered", "ExecutionFailed"])
        self.assertEqual(types.count("PassStateEntered"), 1)
        self.assertEqual(types.count("WaitStateEntered"), 1)
        self.assertEqual([e["name"] for e in self.sfn.list_executions(stateMachineArn=arn,
                                                                      redriveFilter="REDRIVEN")["executions"]],
                         ["r1"])
        # A succeeded execution is not redrivable, and says why.
        ok = self.sfn.start_execution(stateMachineArn=arn, name="r2", input='{"ok": true}')["executionArn"]
        self.broker.advance(61)
        done = self.wait_done(ok)
        self.assertEqual((done["status"], done["redriveStatus"]), ("SUCCEEDED", "NOT_REDRIVABLE"))
        self.assertIn("SUCCEEDED", done["redriveStatusReason"])
        code, _, _ = self.error_of(self.sfn.redrive_execution, executionArn=ok)
        self.assertEqual(code, "ExecutionNotRedrivable")

    def test_a_redrive_reruns_only_the_branches_and_iterations_that_failed(self):
        activity = self.sfn.create_activity(name="inspect")["activityArn"]
        inspect = {"StartAt": "Ask", "States": {"Ask": {"Type": "Task", "Resource": activity, "End": True}}}
        stamp = {"StartAt": "Stamp", "States": {"Stamp": {"Type": "Pass", "Result": "stamped", "End": True}}}
        arn = self.sfn.create_state_machine(name="partial", roleArn=ROLE, definition=json.dumps({
            "StartAt": "Both", "States": {
                "Both": {"Type": "Parallel", "Branches": [stamp, inspect], "Next": "Each"},
                "Each": {"Type": "Map", "ItemsPath": "$[1].eggs", "ItemProcessor": {
                    "StartAt": "Look", "States": {"Look": {"Type": "Choice", "Choices": [
                        {"Variable": "$", "StringEquals": "crack", "Next": "Ask"}], "Default": "Fine"},
                        "Fine": {"Type": "Pass", "End": True},
                        "Ask": {"Type": "Task", "Resource": activity, "End": True}}}, "End": True}}}))[
            "stateMachineArn"]
        run = self.sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]

        def answer(ok, output=None):
            task = self.sfn.get_activity_task(activityArn=activity)
            if ok:
                self.sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps(output))
            else:
                self.sfn.send_task_failure(taskToken=task["taskToken"], error="Flaky", cause="try again")

        answer(False)
        self.assertEqual(self.wait_done(run)["status"], "FAILED")
        self.sfn.redrive_execution(executionArn=run)
        answer(True, {"eggs": ["ok", "crack", "ok"]})
        # The Map now fails on its one cracked egg; a second redrive reruns that iteration only.
        answer(False)
        self.assertEqual(self.wait_done(run)["status"], "FAILED")
        self.sfn.redrive_execution(executionArn=run)
        answer(True, "mended")
        done = self.wait_done(run)
        self.assertEqual((done["status"], done["redriveCount"]), ("SUCCEEDED", 2))
        self.assertEqual(json.loads(done["output"]), ["ok", "mended", "ok"])
        types = [e["type"] for e in self.sfn.get_execution_history(executionArn=run)["events"]]
        self.assertEqual(types.count("PassStateEntered"), 1 + 2)  # Stamp once; Fine for each good egg once
        self.assertEqual(types.count("MapIterationStarted"), 3 + 1)

    def test_an_aborted_wait_is_redriven_and_completes(self):
        arn = self.sfn.create_state_machine(name="paused", definition=FLAKY, roleArn=ROLE)["stateMachineArn"]
        run = self.sfn.start_execution(stateMachineArn=arn, input='{"ok": true}')["executionArn"]
        self.sfn.stop_execution(executionArn=run, error="Operator", cause="stopped by hand")
        self.assertEqual(self.wait_done(run)["status"], "ABORTED")
        self.sfn.redrive_execution(executionArn=run)
        self.assertEqual(self.sfn.describe_execution(executionArn=run)["status"], "RUNNING")
        self.broker.advance(61)
        done = self.wait_done(run)
        self.assertEqual((done["status"], done["redriveCount"]), ("SUCCEEDED", 1))
        self.assertEqual(json.loads(done["output"]), {"ok": True, "prep": "prepared"})


class TestState(NewerApiCase):
    def trial(self, state, input_=None, level="DEBUG", **kwargs):
        args = {"definition": json.dumps(state), "roleArn": ROLE, "inspectionLevel": level}
        if input_ is not None:
            args["input"] = json.dumps(input_)
        args.update(kwargs)
        return self.sfn.test_state(**args)

    def test_a_pass_state_shows_each_processing_step(self):
        out = self.trial({"Type": "Pass", "InputPath": "$.dragon",
                         "Parameters": {"name.$": "$.name", "seen.$": "States.Format('at {}', $.place)"},
                         "ResultPath": "$.card", "OutputPath": "$.card", "Next": "File"},
                        {"dragon": {"name": "Smaug", "place": "Erebor"}})
        self.assertEqual((out["status"], out["nextState"]), ("SUCCEEDED", "File"))
        self.assertEqual(json.loads(out["output"]), {"name": "Smaug", "seen": "at Erebor"})
        data = out["inspectionData"]
        self.assertEqual(json.loads(data["afterInputPath"]), {"name": "Smaug", "place": "Erebor"})
        self.assertEqual(json.loads(data["afterParameters"]), {"name": "Smaug", "seen": "at Erebor"})
        self.assertEqual(json.loads(data["afterResultPath"])["card"]["name"], "Smaug")
        quiet = self.trial({"Type": "Pass", "End": True}, {"a": 1}, level="INFO")
        self.assertNotIn("inspectionData", quiet)
        self.assertNotIn("nextState", quiet)

    def test_a_choice_names_the_next_state(self):
        choice = {"Type": "Choice", "Choices": [{"Variable": "$.size", "NumericGreaterThan": 10, "Next": "Flee"}],
                  "Default": "Watch"}
        self.assertEqual(self.trial(choice, {"size": 30})["nextState"], "Flee")
        self.assertEqual(self.trial(choice, {"size": 3})["nextState"], "Watch")
        self.assertEqual(self.trial({"Type": "Choice", "Choices": [
            {"Variable": "$.size", "NumericGreaterThan": 10, "Next": "Flee"}]}, {"size": 1})["error"],
            "States.NoChoiceMatched")

    def test_a_task_takes_a_mock_and_applies_retry_and_catch(self):
        task = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": "q", "MessageBody.$": "$.msg"},
                "ResultSelector": {"id.$": "$.MessageId"}, "ResultPath": "$.sent", "Next": "Done",
                "Retry": [{"ErrorEquals": ["Busy"], "MaxAttempts": 2}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.oops", "Next": "Recover"}]}
        ok = self.trial(task, {"msg": "roar"}, mock={"result": json.dumps({"MessageId": "m-1"})})
        self.assertEqual(json.loads(ok["output"]), {"msg": "roar", "sent": {"id": "m-1"}})
        self.assertEqual(json.loads(ok["inspectionData"]["afterParameters"]), {"QueueUrl": "q", "MessageBody": "roar"})
        busy = self.trial(task, {"msg": "roar"}, mock={"errorOutput": {"error": "Busy", "cause": "try later"}})
        self.assertEqual((busy["status"], busy["error"]), ("RETRIABLE", "Busy"))
        spent = self.trial(task, {"msg": "roar"}, mock={"errorOutput": {"error": "Busy", "cause": "again"}},
                          stateConfiguration={"retrierRetryCount": 2})
        self.assertEqual((spent["status"], spent["nextState"]), ("CAUGHT_ERROR", "Recover"))
        self.assertEqual(json.loads(spent["output"])["oops"], {"Error": "Busy", "Cause": "again"})

    def test_a_catcher_that_cannot_place_its_error_fails_the_state(self):
        out = self.trial({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True,
                          "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.n.deeper", "Next": "After"}]},
                         {"n": 5}, mock={"errorOutput": {"error": "Boom", "cause": "bang"}})
        self.assertEqual((out["status"], out["error"]), ("FAILED", "States.ResultPathMatchFailure"))

    def test_bad_states_get_aws_errors(self):
        code, message, _ = self.error_of(self.sfn.test_state, definition=json.dumps({"Type": "Pass", "Next": 5}),
                                         roleArn=ROLE)
        self.assertEqual(code, "InvalidDefinition")
        code, _, _ = self.error_of(self.sfn.test_state, definition=json.dumps({"Type": "Pass", "End": True}),
                                   roleArn=ROLE, input="{not json")
        self.assertEqual(code, "InvalidExecutionInput")


if __name__ == "__main__":
    unittest.main()
