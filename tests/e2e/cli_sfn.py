"""The AWS CLIs against Wyvern's Step Functions: AWS CLI 2.9 (/usr/bin/aws) and the AWS CLI v1
first on PATH; Step Functions speaks JSON in both."""
import json
import os
import shutil
import subprocess
import unittest

from harness import Broker

CLIS = {"2.9": "/usr/bin/aws", "v1": shutil.which("aws")}
DEFINITION = json.dumps({"StartAt": "Wait", "States": {
    "Wait": {"Type": "Wait", "Seconds": 30, "Next": "Done"},
    "Done": {"Type": "Pass", "Result": {"ok": True}, "End": True}}})


class CliMixin:
    cli = None

    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def run_cli(self, *args, **extra_env):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null", **extra_env)
        proc = subprocess.run([CLIS[self.cli], "--endpoint-url", self.broker.endpoint, "--output", "json",
                               "stepfunctions"] + list(args), capture_output=True, text=True, env=env,
                              timeout=120)
        return proc

    def ok(self, *args):
        proc = self.run_cli(*args)
        if proc.returncode != 0:
            self.fail("aws stepfunctions %s failed: %s" % (" ".join(args), proc.stderr[-2000:]))
        return json.loads(proc.stdout) if proc.stdout.strip() else {}

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


if __name__ == "__main__":
    unittest.main()
