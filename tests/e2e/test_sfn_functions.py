"""Lambda Task states run by local commands (--functions): the event on stdin, the answer on
stdout, Lambda-style errors caught by Catch, the lambda:invoke integration's response shape,
and an unbound function failing as a missing function does."""
import json
import os
import tempfile
import time
import unittest

from harness import ACCOUNT, Broker, sfn_client

HANDLER = r'''
import json, sys
event = json.load(sys.stdin)
if event.get("dragon") == "mirage":
    print(json.dumps({"errorType": "NoSuchDragon", "errorMessage": "nobody saw it twice"}))
else:
    print(json.dumps({"valid": True, "dragon": event.get("dragon"), "wings": len(event.get("dragon", ""))}))
'''


def fn(name):
    return "arn:aws:lambda:us-east-1:%s:function:%s" % (ACCOUNT, name)


class LocalFunctions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="wyvern-fn-")
        handler = os.path.join(cls.dir, "validate.py")
        with open(handler, "w") as f:
            f.write(HANDLER)
        functions = os.path.join(cls.dir, "functions.json")
        with open(functions, "w") as f:
            json.dump({"validate-dragon": {"command": ["/usr/bin/python3", handler]}}, f)
        cls.broker = Broker(extra_args=["--functions", functions]).start()
        cls.sfn = sfn_client(cls.broker)

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def machine(self, name, states, start):
        return self.sfn.create_state_machine(
            name=name, roleArn="arn:aws:iam::%s:role/x" % ACCOUNT,
            definition=json.dumps({"StartAt": start, "States": states}))["stateMachineArn"]

    def finish(self, machine, input_):
        run = self.sfn.start_execution(stateMachineArn=machine, input=json.dumps(input_))["executionArn"]
        deadline = time.monotonic() + 20  # the function is a real process: wait for it to end
        while time.monotonic() < deadline:
            described = self.sfn.describe_execution(executionArn=run)
            if described["status"] != "RUNNING":
                return run, described
            time.sleep(0.05)
        self.fail("the execution did not finish")

    def types(self, run):
        return [e["type"] for e in self.sfn.get_execution_history(executionArn=run)["events"]]

    def test_a_direct_function_arn_runs_the_bound_command(self):
        m = self.machine("direct", {
            "Validate": {"Type": "Task", "Resource": fn("validate-dragon"), "ResultPath": "$.check",
                         "Catch": [{"ErrorEquals": ["NoSuchDragon"], "ResultPath": "$.error", "Next": "Doubt"}],
                         "End": True},
            "Doubt": {"Type": "Pass", "End": True}}, "Validate")
        run, described = self.finish(m, {"dragon": "Smaug"})
        self.assertEqual(described["status"], "SUCCEEDED")
        self.assertEqual(json.loads(described["output"])["check"], {"valid": True, "dragon": "Smaug", "wings": 5})
        self.assertEqual(self.types(run)[1:6], ["TaskStateEntered", "LambdaFunctionScheduled",
                                                "LambdaFunctionStarted", "LambdaFunctionSucceeded",
                                                "TaskStateExited"])
        run, described = self.finish(m, {"dragon": "mirage"})
        self.assertEqual(json.loads(described["output"])["error"],
                         {"Error": "NoSuchDragon", "Cause": "nobody saw it twice"})
        self.assertIn("LambdaFunctionFailed", self.types(run))

    def test_the_lambda_invoke_integration_wraps_the_payload(self):
        m = self.machine("integration", {
            "Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                       "Parameters": {"FunctionName": fn("validate-dragon"), "Payload.$": "$"},
                       "ResultSelector": {"answer.$": "$.Payload", "status.$": "$.StatusCode"},
                       "End": True}}, "Invoke")
        run, described = self.finish(m, {"dragon": "Norbert"})
        self.assertEqual(json.loads(described["output"]),
                         {"answer": {"valid": True, "dragon": "Norbert", "wings": 7}, "status": 200})
        self.assertIn("TaskSucceeded", self.types(run))

    def test_an_unbound_function_fails_as_a_missing_function(self):
        m = self.machine("unbound", {"Call": {"Type": "Task", "Resource": fn("nobody-home"), "End": True}}, "Call")
        _, described = self.finish(m, {})
        self.assertEqual((described["status"], described["error"]),
                         ("FAILED", "Lambda.ResourceNotFoundException"))


if __name__ == "__main__":
    unittest.main()
