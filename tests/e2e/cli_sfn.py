"""The AWS CLIs against Wyvern's Step Functions: AWS CLI 2.9 (/usr/bin/aws) and the AWS CLI v1
first on PATH; Step Functions speaks JSON in both. The CLI also plays the worker of an
sqs:sendMessage.waitForTaskToken Task: it reads the token off the queue with `aws sqs
receive-message` and answers with `aws stepfunctions send-task-success` / `send-task-failure`."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import Broker

CLIS = {"2.9": "/usr/bin/aws", "v1": shutil.which("aws")}
DEFINITION = json.dumps({"StartAt": "Wait", "States": {
    "Wait": {"Type": "Wait", "Seconds": 30, "Next": "Done"},
    "Done": {"Type": "Pass", "Result": {"ok": True}, "End": True}}})
ROLE = "arn:aws:iam::000000000000:role/x"
# The Task puts its token on the queue named in the input, then waits for an answer; anything
# that goes wrong (a failure sent with the token, a lapsed heartbeat) lands in the Catch.
CALLBACK = json.dumps({"StartAt": "Ask", "States": {
    "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "HeartbeatSeconds": 60, "Next": "Done",
            "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": {"token.$": "$$.Task.Token",
                                                                     "dragon.$": "$.dragon"}},
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Done"}]},
    "Done": {"Type": "Pass", "End": True}}})


class CliMixin:
    cli = None

    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()
        # AWS CLI v1 fetches any parameter value that starts with http:// or https:// and sends
        # what it got instead (sqs --queue-url among them); its documented way out is
        # cli_follow_urlparam = false. AWS CLI v2 no longer fetches them.
        cls.config = tempfile.NamedTemporaryFile(mode="w", prefix="wyvern-cli-", suffix=".ini")
        cls.config.write("[default]\ncli_follow_urlparam = false\n")
        cls.config.flush()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()
        cls.config.close()

    def run_cli(self, *args, service="stepfunctions", **extra_env):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE=self.config.name,
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null", **extra_env)
        proc = subprocess.run([CLIS[self.cli], "--endpoint-url", self.broker.endpoint, "--output", "json",
                               service] + list(args), capture_output=True, text=True, env=env,
                              timeout=120)
        return proc

    def ok(self, *args, service="stepfunctions"):
        proc = self.run_cli(*args, service=service)
        if proc.returncode != 0:
            self.fail("aws %s %s failed: %s" % (service, " ".join(args), proc.stderr[-2000:]))
        return json.loads(proc.stdout) if proc.stdout.strip() else {}

    def sqs(self, *args):
        return self.ok(*args, service="sqs")

    def finished(self, run, timeout=20):
        """Polls describe-execution until the execution leaves RUNNING (it carries on
        asynchronously after a task answer) or `timeout` seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            described = self.ok("describe-execution", "--execution-arn", run)
            if described["status"] != "RUNNING" or time.monotonic() > deadline:
                return described
            time.sleep(0.1)

    def start_waiting(self, name):
        """Starts an execution of CALLBACK and plays the worker's first step with the CLI: the
        one message, received (and deleted) with `aws sqs`. Returns the execution and token."""
        name = "%s-%s" % (name, self.cli.replace(".", ""))
        url = self.sqs("create-queue", "--queue-name", name)["QueueUrl"]
        arn = self.ok("create-state-machine", "--name", name, "--definition", CALLBACK,
                      "--role-arn", ROLE)["stateMachineArn"]
        run = self.ok("start-execution", "--state-machine-arn", arn,
                      "--input", json.dumps({"queue": url, "dragon": "Smaug"}))["executionArn"]
        got = self.sqs("receive-message", "--queue-url", url, "--max-number-of-messages", "10",
                       "--wait-time-seconds", "10").get("Messages", [])
        self.assertEqual(len(got), 1)
        self.sqs("delete-message", "--queue-url", url, "--receipt-handle", got[0]["ReceiptHandle"])
        body = json.loads(got[0]["Body"])
        self.assertEqual(body["dragon"], "Smaug")
        return run, body["token"]

    def test_create_start_wait_and_read_history(self):
        name = "cli-" + self.cli.replace(".", "")
        arn = self.ok("create-state-machine", "--name", name, "--definition", DEFINITION,
                      "--role-arn", "arn:aws:iam::000000000000:role/x")["stateMachineArn"]
        run = self.ok("start-execution", "--state-machine-arn", arn, "--input", '{"dragon": 1}')["executionArn"]
        self.assertEqual(self.ok("describe-execution", "--execution-arn", run)["status"], "RUNNING")
        self.broker.advance(30)
        described = self.ok("describe-execution", "--execution-arn", run)
        self.assertEqual((described["status"], json.loads(described["output"])), ("SUCCEEDED", {"ok": True}))
        events = self.ok("get-execution-history", "--execution-arn", run)["events"]
        self.assertEqual(events[-1]["type"], "ExecutionSucceeded")
        listed = self.ok("list-executions", "--state-machine-arn", arn)["executions"]
        self.assertEqual([e["executionArn"] for e in listed], [run])
        proc = self.run_cli("create-state-machine", "--name", name + "-bad", "--role-arn", "r",
                            "--definition", '{"StartAt": "Nope", "States": {}}')
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("InvalidDefinition", proc.stderr)
        self.ok("delete-state-machine", "--state-machine-arn", arn)
        proc = self.run_cli("describe-state-machine", "--state-machine-arn", arn)
        self.assertIn("StateMachineDoesNotExist", proc.stderr)


    def test_an_activity_worker_driven_by_the_cli(self):
        name = "cli-worker-" + self.cli.replace(".", "")
        activity = self.ok("create-activity", "--name", name)["activityArn"]
        arn = self.ok("create-state-machine", "--name", name, "--role-arn", "arn:aws:iam::000000000000:role/x",
                      "--definition", json.dumps({"StartAt": "Work", "States": {"Work": {
                          "Type": "Task", "Resource": activity, "HeartbeatSeconds": 60, "End": True}}}))[
            "stateMachineArn"]
        run = self.ok("start-execution", "--state-machine-arn", arn, "--input", '{"egg": 1}')["executionArn"]
        task = self.ok("get-activity-task", "--activity-arn", activity, "--worker-name", "cli")
        self.assertEqual(json.loads(task["input"]), {"egg": 1})
        self.ok("send-task-heartbeat", "--task-token", task["taskToken"])
        self.ok("send-task-success", "--task-token", task["taskToken"], "--task-output", '{"hatched": true}')
        described = self.ok("describe-execution", "--execution-arn", run)
        self.assertEqual((described["status"], json.loads(described["output"])), ("SUCCEEDED", {"hatched": True}))
        proc = self.run_cli("send-task-success", "--task-token", task["taskToken"], "--task-output", "{}")
        self.assertIn("TaskTimedOut", proc.stderr)
        # A second execution, stopped while its task is out.
        run = self.ok("start-execution", "--state-machine-arn", arn)["executionArn"]
        self.ok("stop-execution", "--execution-arn", run, "--error", "Operator", "--cause", "enough")
        described = self.ok("describe-execution", "--execution-arn", run)
        self.assertEqual((described["status"], described["error"]), ("ABORTED", "Operator"))
        self.ok("delete-activity", "--activity-arn", activity)

    def test_a_cli_worker_answers_a_wait_for_task_token_task(self):
        run, token = self.start_waiting("cb-success")
        self.assertEqual(self.ok("describe-execution", "--execution-arn", run)["status"], "RUNNING")
        self.ok("send-task-heartbeat", "--task-token", token)
        self.ok("send-task-success", "--task-token", token, "--task-output", '{"slain": true}')
        described = self.finished(run)
        self.assertEqual((described["status"], json.loads(described["output"])), ("SUCCEEDED", {"slain": True}))
        types = [e["type"] for e in self.ok("get-execution-history", "--execution-arn", run)["events"]]
        self.assertEqual(types[types.index("TaskScheduled"):types.index("TaskSucceeded") + 1],
                         ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"])
        # A token is good once.
        proc = self.run_cli("send-task-success", "--task-token", token, "--task-output", "{}")
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("TaskTimedOut", proc.stderr)

    def test_a_cli_worker_sends_a_failure_that_lands_in_the_catch(self):
        run, token = self.start_waiting("cb-failure")
        self.ok("send-task-failure", "--task-token", token, "--error", "Dragon.Escaped", "--cause", "it flew off")
        described = self.finished(run)
        self.assertEqual(described["status"], "SUCCEEDED", described)
        self.assertEqual(json.loads(described["output"])["failure"],
                         {"Error": "Dragon.Escaped", "Cause": "it flew off"})

    def test_a_silent_cli_worker_lets_the_heartbeat_lapse(self):
        run, token = self.start_waiting("cb-silent")
        self.broker.advance(61)
        described = self.finished(run)
        self.assertEqual(described["status"], "SUCCEEDED", described)
        self.assertEqual(json.loads(described["output"])["failure"]["Error"], "States.Timeout")
        types = [e["type"] for e in self.ok("get-execution-history", "--execution-arn", run)["events"]]
        self.assertIn("TaskTimedOut", types)
        proc = self.run_cli("send-task-success", "--task-token", token, "--task-output", "{}")
        self.assertIn("TaskTimedOut", proc.stderr)


class AwsCli29(CliMixin, unittest.TestCase):
    cli = "2.9"


class AwsCliV1(CliMixin, unittest.TestCase):
    cli = "v1"

    def test_sync_host_actions_with_host_prefix_injection_off(self):
        # StartSyncExecution and TestState go to a "sync-" host; CLI v1 (botocore >= 1.35)
        # turns that off with AWS_DISABLE_HOST_PREFIX_INJECTION. CLI 2.9 has no such switch.
        off = {"AWS_DISABLE_HOST_PREFIX_INJECTION": "true"}
        arn = self.ok("create-state-machine", "--name", "cli-express", "--type", "EXPRESS",
                      "--definition", json.dumps({"StartAt": "P", "States": {"P": {
                          "Type": "Pass", "Parameters": {"seen.$": "$.dragon"}, "End": True}}}),
                      "--role-arn", "arn:aws:iam::000000000000:role/x")["stateMachineArn"]
        proc = self.run_cli("start-sync-execution", "--state-machine-arn", arn, "--input", '{"dragon": "Fafnir"}',
                            **off)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(json.loads(json.loads(proc.stdout)["output"]), {"seen": "Fafnir"})
        proc = self.run_cli("test-state", "--definition", '{"Type": "Pass", "Result": 7, "Next": "After"}',
                            "--role-arn", "arn:aws:iam::000000000000:role/x", **off)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual((json.loads(proc.stdout)["status"], json.loads(proc.stdout)["nextState"]),
                         ("SUCCEEDED", "After"))

    def test_variables_in_a_run_its_history_test_state_and_bad_names(self):
        # CLI v1 carries botocore 1.43, whose model has assignedVariables and TestState's
        # variables (CLI 2.9's predates them).
        definition = json.dumps({"StartAt": "Remember", "States": {
            "Remember": {"Type": "Pass", "Assign": {"dragon.$": "$.dragon", "hoard": [1, 2]}, "Next": "Nap"},
            "Nap": {"Type": "Wait", "Seconds": 10, "Next": "Tell"},
            "Tell": {"Type": "Pass", "Parameters": {"text.$": "States.Format('{} guards {} coins', $dragon, "
                                                              "States.ArrayLength($hoard))"}, "End": True}}})
        arn = self.ok("create-state-machine", "--name", "cli-vars", "--definition", definition,
                      "--role-arn", ROLE)["stateMachineArn"]
        run = self.ok("start-execution", "--state-machine-arn", arn, "--input", '{"dragon": "Smaug"}')["executionArn"]
        self.broker.advance(10)
        described = self.finished(run)
        self.assertEqual(json.loads(described["output"]), {"text": "Smaug guards 2 coins"})
        events = self.ok("get-execution-history", "--execution-arn", run)["events"]
        details = [e["stateExitedEventDetails"] for e in events if e["type"] == "PassStateExited"]
        self.assertEqual(details[0]["assignedVariables"], {"dragon": '"Smaug"', "hoard": "[1,2]"})
        self.assertEqual(details[0]["assignedVariablesDetails"], {"truncated": False})
        self.assertNotIn("assignedVariables", details[1])
        proc = self.run_cli("test-state", "--definition", json.dumps({
            "Type": "Pass", "Assign": {"seen.$": "$who"}, "End": True}), "--role-arn", ROLE,
                            "--variables", '{"who": "Glaurung"}', "--inspection-level", "DEBUG",
                            AWS_DISABLE_HOST_PREFIX_INJECTION="true")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(json.loads(json.loads(proc.stdout)["inspectionData"]["variables"]),
                         {"who": "Glaurung", "seen": "Glaurung"})
        proc = self.run_cli("create-state-machine", "--name", "cli-bad-vars", "--role-arn", ROLE, "--definition",
                            json.dumps({"StartAt": "P", "States": {"P": {
                                "Type": "Pass", "Assign": {"states": 1, "9lives": 2}, "End": True}}}))
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("InvalidDefinition", proc.stderr)
        self.assertIn("/States/P/Assign/states", proc.stderr)
        self.assertIn("/States/P/Assign/9lives", proc.stderr)

    def test_a_jsonata_machine_runs_and_records_its_history(self):
        # A JSONata machine: Pass shapes its Output and assigns, Fail reads a variable for its
        # Error, and an expression error is caught as States.QueryEvaluationError.
        definition = json.dumps({"QueryLanguage": "JSONata", "StartAt": "Shape", "States": {
            "Shape": {"Type": "Pass", "Assign": {"total": "{% $sum($states.input.coins) %}"},
                      "Output": {"dragon": "{% $states.input.dragon %}", "n": "{% $count($states.input.coins) %}"},
                      "Next": "Nap"},
            "Nap": {"Type": "Wait", "Seconds": "{% $states.input.n * 5 %}", "Next": "Tell"},
            "Tell": {"Type": "Pass", "Output": "{% $states.input.dragon & ' guards ' & $string($total) %}",
                     "End": True}}})
        arn = self.ok("create-state-machine", "--name", "cli-jsonata", "--definition", definition,
                      "--role-arn", ROLE)["stateMachineArn"]
        run = self.ok("start-execution", "--state-machine-arn", arn, "--input",
                      '{"dragon": "Smaug", "coins": [1, 2, 3]}')["executionArn"]
        self.assertEqual(self.ok("describe-execution", "--execution-arn", run)["status"], "RUNNING")
        self.broker.advance(15)
        described = self.finished(run)
        self.assertEqual((described["status"], json.loads(described["output"])), ("SUCCEEDED", "Smaug guards 6"))
        events = self.ok("get-execution-history", "--execution-arn", run)["events"]
        self.assertEqual([e["type"] for e in events], [
            "ExecutionStarted", "PassStateEntered", "PassStateExited", "WaitStateEntered", "WaitStateExited",
            "PassStateEntered", "PassStateExited", "ExecutionSucceeded"])
        shaped = events[2]["stateExitedEventDetails"]
        self.assertEqual(json.loads(shaped["output"]), {"dragon": "Smaug", "n": 3})
        self.assertEqual(shaped["assignedVariables"], {"total": "6"})
        proc = self.run_cli("create-state-machine", "--name", "cli-jsonata-bad", "--role-arn", ROLE, "--definition",
                            json.dumps({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {
                                "Type": "Pass", "QueryLanguage": "JSONPath", "End": True}}}))
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
                      proc.stderr)


if __name__ == "__main__":
    unittest.main()
