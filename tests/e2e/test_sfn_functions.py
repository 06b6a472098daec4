"""Lambda Task states run by local commands and HTTP URLs (--functions): the event on stdin
or as a POST body, the answer on stdout or in the response, Lambda-style errors caught by
Catch, the lambda:invoke integration's response shape, and an unbound function failing as a
missing function does."""
import http.server
import json
import os
import tempfile
import threading
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


class FunctionUrl(http.server.BaseHTTPRequestHandler):
    """A function served over HTTP, as a developer's local Lambda handler would be."""
    events = []  # every event it was sent, in order

    def do_POST(self):
        event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FunctionUrl.events.append(event)
        if event.get("dragon") == "mirage":
            status, body = 200, {"errorType": "NoSuchDragon", "errorMessage": "seen only over HTTP"}
        elif event.get("dragon") == "crash":
            status, body = 500, "internal trouble"
        else:
            status, body = 200, {"served": "http", "path": self.path, "dragon": event.get("dragon")}
        data = (json.dumps(body) if isinstance(body, dict) else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


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
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FunctionUrl)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        with open(functions, "w") as f:
            json.dump({"validate-dragon": {"command": ["/usr/bin/python3", handler]},
                       "served-dragon": {"url": "http://127.0.0.1:%d/fn/served" % cls.server.server_port},
                       "gone-dragon": {"url": "http://127.0.0.1:1/nobody"}}, f)
        cls.broker = Broker(extra_args=["--functions", functions]).start()
        cls.sfn = sfn_client(cls.broker)

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()
        cls.server.shutdown()

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
        error = json.loads(described["output"])["error"]
        # The cause is the function's error document, as Step Functions gives a Lambda's.
        self.assertEqual((error["Error"], json.loads(error["Cause"])),
                         ("NoSuchDragon", {"errorType": "NoSuchDragon", "errorMessage": "nobody saw it twice"}))
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

    def test_a_function_bound_to_a_url_gets_the_event_as_a_post(self):
        m = self.machine("over-http", {
            "Call": {"Type": "Task", "Resource": fn("served-dragon"), "ResultPath": "$.answer",
                     "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
                     "End": True},
            "Caught": {"Type": "Pass", "End": True}}, "Call")
        _, described = self.finish(m, {"dragon": "Toothless"})
        self.assertEqual(json.loads(described["output"])["answer"],
                         {"served": "http", "path": "/fn/served", "dragon": "Toothless"})
        _, described = self.finish(m, {"dragon": "mirage"})
        error = json.loads(described["output"])["error"]
        self.assertEqual((error["Error"], json.loads(error["Cause"])),
                         ("NoSuchDragon", {"errorType": "NoSuchDragon", "errorMessage": "seen only over HTTP"}))
        _, described = self.finish(m, {"dragon": "crash"})
        self.assertEqual(json.loads(described["output"])["error"]["Error"], "Lambda.Unknown")
        self.assertIn("500", json.loads(described["output"])["error"]["Cause"])
        unreachable = self.machine("unreachable", {
            "Call": {"Type": "Task", "Resource": fn("gone-dragon"), "End": True}}, "Call")
        _, described = self.finish(unreachable, {})
        self.assertEqual((described["status"], described["error"]), ("FAILED", "Lambda.ServiceException"))

    def test_test_state_runs_the_bound_function(self):
        if not hasattr(self.sfn, "test_state"):
            self.skipTest("this boto3 predates TestState")
        out = self.sfn.test_state(definition=json.dumps({"Type": "Task", "Resource": fn("served-dragon"), "End": True}),
                                  roleArn="arn:aws:iam::%s:role/x" % ACCOUNT, input=json.dumps({"dragon": "Puff"}))
        self.assertEqual((out["status"], json.loads(out["output"])["dragon"]), ("SUCCEEDED", "Puff"))
        out = self.sfn.test_state(definition=json.dumps({"Type": "Task", "Resource": fn("validate-dragon"), "End": True}),
                                  roleArn="arn:aws:iam::%s:role/x" % ACCOUNT, input=json.dumps({"dragon": "mirage"}))
        self.assertEqual((out["status"], out["error"], json.loads(out["cause"])["errorMessage"]),
                         ("FAILED", "NoSuchDragon", "nobody saw it twice"))

    def test_test_state_runs_a_jsonata_task_without_a_mock(self):
        # TestState runs a JSONata Task's integration as it runs a JSONPath one: Arguments are
        # the request, $states.result the answer that Output and Assign read.
        if not hasattr(self.sfn, "test_state"):
            self.skipTest("this boto3 predates TestState")
        role = "arn:aws:iam::%s:role/x" % ACCOUNT
        invoke = {"Type": "Task", "QueryLanguage": "JSONata", "Resource": "arn:aws:states:::lambda:invoke",
                  "Arguments": {"FunctionName": fn("served-dragon"), "Payload": {"dragon": "{% $states.input.name %}"}},
                  "Assign": {"status": "{% $states.result.StatusCode %}"},
                  "Output": "{% $states.result.Payload %}", "End": True}
        out = self.sfn.test_state(definition=json.dumps(invoke), roleArn=role, inspectionLevel="DEBUG",
                                  input=json.dumps({"name": "Puff"}))
        self.assertEqual((out["status"], json.loads(out["output"])),
                         ("SUCCEEDED", {"served": "http", "path": "/fn/served", "dragon": "Puff"}))
        inspection = out["inspectionData"]
        self.assertEqual(json.loads(inspection["afterArguments"]),
                         {"FunctionName": fn("served-dragon"), "Payload": {"dragon": "Puff"}})
        self.assertEqual(json.loads(inspection["result"])["StatusCode"], 200)
        if "variables" in self.sfn.meta.service_model.shape_for("InspectionData").members:
            self.assertEqual(json.loads(inspection["variables"]), {"status": 200})
        direct = {"Type": "Task", "QueryLanguage": "JSONata", "Resource": fn("validate-dragon"),
                  "Arguments": {"dragon": "{% $states.input.name %}"},
                  "Catch": [{"ErrorEquals": ["NoSuchDragon"], "Output": "{% $states.errorOutput.Error %}",
                             "Next": "Lost"}],
                  "End": True}
        out = self.sfn.test_state(definition=json.dumps(direct), roleArn=role, input=json.dumps({"name": "Puff"}))
        self.assertEqual((out["status"], json.loads(out["output"])),
                         ("SUCCEEDED", {"valid": True, "dragon": "Puff", "wings": 4}))
        out = self.sfn.test_state(definition=json.dumps(direct), roleArn=role, input=json.dumps({"name": "mirage"}))
        self.assertEqual((out["status"], out["error"], json.loads(out["output"]), out["nextState"]),
                         ("CAUGHT_ERROR", "NoSuchDragon", "NoSuchDragon", "Lost"))

    def test_invoke_wait_for_task_token_waits_for_the_token_the_function_got(self):
        m = self.machine("callback", {
            "Ask": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "HeartbeatSeconds": 30,
                    "Parameters": {"FunctionName": fn("served-dragon"),
                                   "Payload": {"dragon.$": "$.dragon", "token.$": "$$.Task.Token"}},
                    "Catch": [{"ErrorEquals": ["States.HeartbeatTimeout"], "ResultPath": "$.lost", "Next": "Lost"}],
                    "ResultPath": "$.answer", "End": True},
            "Lost": {"Type": "Pass", "End": True}}, "Ask")

        def started(dragon):
            FunctionUrl.events.clear()
            run = self.sfn.start_execution(stateMachineArn=m, input=json.dumps({"dragon": dragon}))["executionArn"]
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:  # the function runs on a thread of its own
                if "TaskSubmitted" in self.types(run):
                    return run, FunctionUrl.events[-1]["token"]
                time.sleep(0.05)
            self.fail("the function never got the token")

        run, token = started("Drogon")
        self.assertEqual(self.sfn.describe_execution(executionArn=run)["status"], "RUNNING")
        self.sfn.send_task_heartbeat(taskToken=token)
        self.sfn.send_task_success(taskToken=token, output=json.dumps({"verdict": "real"}))
        described = self.sfn.describe_execution(executionArn=run)
        self.assertEqual(json.loads(described["output"])["answer"], {"verdict": "real"})
        self.assertEqual(self.types(run)[1:7], ["TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted",
                                                "TaskSucceeded", "TaskStateExited"])
        code = None
        try:
            self.sfn.send_task_success(taskToken=token, output="{}")
        except self.sfn.exceptions.ClientError as e:
            code = e.response["Error"]["Code"]
        self.assertEqual(code, "TaskTimedOut")
        run, token = started("Rhaegal")
        self.broker.advance(31)  # no heartbeat
        described = self.sfn.describe_execution(executionArn=run)
        self.assertEqual(json.loads(described["output"])["lost"]["Error"], "States.HeartbeatTimeout")

    def test_an_unbound_function_fails_as_a_missing_function(self):
        m = self.machine("unbound", {"Call": {"Type": "Task", "Resource": fn("nobody-home"), "End": True}}, "Call")
        _, described = self.finish(m, {})
        self.assertEqual((described["status"], described["error"]),
                         ("FAILED", "Lambda.ResourceNotFoundException"))


if __name__ == "__main__":
    unittest.main()
