"""Step Functions variables through boto3: a machine that assigns and reads variables, its
history's assignedVariables, variables that outlive a broker restart and a redrive, TestState's
`variables`, and definitions refused for their variable names. The ASL behaviour itself is
tests/conformance/variables.json's; these tests are about the API around it.

boto3 1.26 (Debian's python3) predates variables: its model drops assignedVariables from
history events and has no TestState or RedriveExecution, so those checks run under boto3 1.43
only; everything else runs under both."""
import json
import time
import unittest


from harness import ACCOUNT, Broker, BrokerTestCase, sfn_client, temp_dir

ROLE = "arn:aws:iam::%s:role/wyvern-variables" % ACCOUNT

# An order: "Store" remembers the customer, a Wait parks the execution (so a restart can come in
# between), a Map reads the remembered discount in every iteration, "Total" reads them all.
ORDER = {"StartAt": "Store", "States": {
    "Store": {"Type": "Pass", "Assign": {"customer.$": "$.customer", "discount": 0.5},
              "Next": "Settle"},
    "Settle": {"Type": "Wait", "Seconds": 60, "Next": "Price"},
    "Price": {"Type": "Map", "ItemsPath": "$.items",
              "ItemProcessor": {"StartAt": "Line", "States": {
                  "Line": {"Type": "Pass", "Assign": {"line.$": "$"}, "Next": "Cost"},
                  "Cost": {"Type": "Pass", "Parameters": {"sku.$": "$line.sku", "discount.$": "$discount"},
                           "End": True}}},
              "Assign": {"lines.$": "States.ArrayLength($)"}, "Next": "Total"},
    "Total": {"Type": "Pass", "Parameters": {
        "customer.$": "$customer", "lines.$": "$lines",
        "greeting.$": "States.Format('Thanks, {}', $customer.name)", "priced.$": "$"}, "End": True}}}
ORDER_INPUT = {"customer": {"name": "Ada"}, "items": [{"sku": "a"}, {"sku": "b"}]}
ORDER_OUTPUT = {"customer": {"name": "Ada"}, "lines": 2, "greeting": "Thanks, Ada",
                "priced": [{"sku": "a", "discount": 0.5}, {"sku": "b", "discount": 0.5}]}


def has_member(client, shape, member):
    model = client.meta.service_model
    return shape in model.shape_names and member in model.shape_for(shape).members


def assigned(events):
    """(state, {name: value}) for each StateExited event that assigned variables."""
    out = []
    for e in events:
        details = e.get("stateExitedEventDetails", {})
        if "assignedVariables" in details:
            out.append((details["name"], {k: json.loads(v) for k, v in details["assignedVariables"].items()}))
    return out


def finished(sfn, arn, timeout=5):
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return described
        time.sleep(0.02)


class Variables(BrokerTestCase):
    def setUp(self):
        super().setUp()
        self.sfn = sfn_client(self.broker)
        self.modelled = has_member(self.sfn, "StateExitedEventDetails", "assignedVariables")

    def create(self, name, definition, **kwargs):
        return self.sfn.create_state_machine(name=name, roleArn=ROLE, definition=json.dumps(definition),
                                             **kwargs)["stateMachineArn"]

    def test_an_execution_assigns_reads_and_records_its_variables(self):
        arn = self.create("order", ORDER)
        run = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps(ORDER_INPUT))["executionArn"]
        self.assertEqual(self.sfn.describe_execution(executionArn=run)["status"], "RUNNING")
        self.broker.advance(60)
        done = finished(self.sfn, run)
        self.assertEqual(done["status"], "SUCCEEDED", done)
        self.assertEqual(json.loads(done["output"]), ORDER_OUTPUT)
        events = self.sfn.get_execution_history(executionArn=run)["events"]
        # The variables each state reads (DescribeStateMachine's variableReferences).
        if has_member(self.sfn, "DescribeStateMachineOutput", "variableReferences"):
            expected = {"Cost": ["discount", "line"], "Total": ["customer", "lines"]}
            self.assertEqual(self.sfn.describe_state_machine(stateMachineArn=arn)["variableReferences"], expected)
            self.assertEqual(self.sfn.describe_state_machine_for_execution(executionArn=run)["variableReferences"],
                             expected)
        if not self.modelled:
            return  # boto3 1.26 parses no assignedVariables
        self.assertEqual(assigned(events), [
            ("Store", {"customer": {"name": "Ada"}, "discount": 0.5}),
            ("Line", {"line": {"sku": "a"}}), ("Line", {"line": {"sku": "b"}}),
            ("Price", {"lines": 2})])
        exited = [e["stateExitedEventDetails"] for e in events if e["type"] == "PassStateExited"]
        self.assertEqual(exited[0]["assignedVariablesDetails"], {"truncated": False})
        # Serialized JSON: a string keeps its quotes.
        self.assertEqual(exited[0]["assignedVariables"]["customer"], '{"name":"Ada"}')
        self.assertNotIn("assignedVariables", exited[-1])  # "Total" assigns nothing
        # Without execution data, no variable values either.
        bare = self.sfn.get_execution_history(executionArn=run, includeExecutionData=False)["events"]
        self.assertEqual(assigned(bare), [])

    def test_an_express_execution_assigns_variables_too(self):
        definition = {"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Assign": {"x.$": "$.n"}, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"twice.$": "States.MathAdd($x, $x)"}, "End": True}}}
        arn = self.create("express", definition, type="EXPRESS")
        result = self.sfn.start_sync_execution(stateMachineArn=arn, input='{"n": 21}')
        self.assertEqual((result["status"], json.loads(result["output"])), ("SUCCEEDED", {"twice": 42}))

    def test_bad_variable_names_are_refused_with_invalid_definition(self):
        definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True, "Assign": {
            "states": 1, "2fast": 2, "part.of": 3, "fine": 4}}}}
        code, message, status = self.error_of(self.create, "bad-names", definition)
        self.assertEqual((code, status), ("InvalidDefinition", 400))
        self.assertTrue(message.startswith("Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: "), message)
        for where in ("/States/P/Assign/states", "/States/P/Assign/2fast", "/States/P/Assign/part.of"):
            self.assertIn(where, message)
        self.assertNotIn("/States/P/Assign/fine", message)
        # A variable in ResultPath, and an inner scope reusing an outer name.
        for definition, where in [
            ({"StartAt": "P", "States": {"P": {"Type": "Pass", "ResultPath": "$x", "End": True}}},
             "/States/P/ResultPath"),
            ({"StartAt": "Set", "States": {
                "Set": {"Type": "Pass", "Assign": {"x": 1}, "Next": "Both"},
                "Both": {"Type": "Parallel", "End": True, "Branches": [{"StartAt": "In", "States": {
                    "In": {"Type": "Pass", "Assign": {"x": 2}, "End": True}}}]}}},
             "/States/Both/Branches/0/States/In/Assign/x")]:
            code, message, _ = self.error_of(self.create, "bad-scope", definition)
            self.assertEqual(code, "InvalidDefinition")
            self.assertIn(where, message)
        if hasattr(self.sfn, "validate_state_machine_definition"):
            result = self.sfn.validate_state_machine_definition(definition=json.dumps(definition))
            self.assertEqual(result["result"], "FAIL")
            self.assertEqual([d["location"] for d in result["diagnostics"]],
                             ["/States/Both/Branches/0/States/In/Assign/x"])

    def test_a_redriven_execution_finds_its_variables_as_they_were(self):
        if not hasattr(self.sfn, "redrive_execution"):
            self.skipTest("this boto3 has no RedriveExecution")
        activity = self.sfn.create_activity(name="stamp")["activityArn"]
        definition = {"StartAt": "Set", "States": {
            "Set": {"Type": "Pass", "Assign": {"order.$": "$.order", "attempt": "first"}, "Next": "Stamp"},
            "Stamp": {"Type": "Task", "Resource": activity, "Assign": {"stamp.$": "$.stamp"}, "Next": "Done"},
            "Done": {"Type": "Pass", "Parameters": {"order.$": "$order", "attempt.$": "$attempt",
                                                    "stamp.$": "$stamp"}, "End": True}}}
        arn = self.create("redriven", definition)
        run = self.sfn.start_execution(stateMachineArn=arn, input='{"order": 7}')["executionArn"]
        token = self.sfn.get_activity_task(activityArn=activity)["taskToken"]
        self.sfn.send_task_failure(taskToken=token, error="Jammed", cause="no ink")
        self.assertEqual(finished(self.sfn, run)["status"], "FAILED")
        self.sfn.redrive_execution(executionArn=run)
        token = self.sfn.get_activity_task(activityArn=activity)["taskToken"]
        self.sfn.send_task_success(taskToken=token, output='{"stamp": "PAID"}')
        done = finished(self.sfn, run)
        self.assertEqual(done["status"], "SUCCEEDED", done)
        self.assertEqual(json.loads(done["output"]), {"order": 7, "attempt": "first", "stamp": "PAID"})
        if self.modelled:
            events = self.sfn.get_execution_history(executionArn=run)["events"]
            self.assertEqual(assigned(events), [("Set", {"order": 7, "attempt": "first"}),
                                                ("Stamp", {"stamp": "PAID"})])

    def test_test_state_reads_the_requests_variables_and_shows_them_after_the_state(self):
        if not has_member(self.sfn, "TestStateInput", "variables"):
            self.skipTest("this boto3 has no TestState variables")
        state = {"Type": "Pass", "Parameters": {"hello.$": "States.Format('Hello {}', $name)"},
                 "Assign": {"greeted.$": "$.hello", "count": 1}, "Next": "After"}
        result = self.sfn.test_state(definition=json.dumps(state), roleArn=ROLE, inspectionLevel="DEBUG",
                                     variables=json.dumps({"name": "Ada"}))
        self.assertEqual((result["status"], json.loads(result["output"])), ("SUCCEEDED", {"hello": "Hello Ada"}))
        self.assertEqual(json.loads(result["inspectionData"]["variables"]),
                         {"name": "Ada", "greeted": "Hello Ada", "count": 1})
        # A Catcher's Assign reads the Error Output.
        task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
                "Parameters": {"FunctionName": "f"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"why.$": "$.Cause"}, "Next": "Handle"}]}
        result = self.sfn.test_state(definition=json.dumps(task), roleArn=ROLE, inspectionLevel="DEBUG",
                                     mock={"errorOutput": {"error": "Boom", "cause": "broke"}})
        self.assertEqual((result["status"], result["nextState"]), ("CAUGHT_ERROR", "Handle"))
        self.assertEqual(json.loads(result["inspectionData"]["variables"]), {"why": "broke"})
        # A variable the state reads but nobody set fails the state.
        result = self.sfn.test_state(definition=json.dumps(state), roleArn=ROLE)
        self.assertEqual((result["status"], result["error"]), ("FAILED", "States.IntrinsicFailure"))
        code, _, _ = self.error_of(self.sfn.test_state, definition=json.dumps(state), roleArn=ROLE,
                                   variables="[1, 2]")
        self.assertEqual(code, "ValidationException")


class VariablesAcrossRestarts(unittest.TestCase):
    def test_variables_survive_a_restart_of_the_broker(self):
        data, cleanup = temp_dir()
        self.addCleanup(cleanup)
        broker = Broker(data_dir=data).start()
        sfn = sfn_client(broker)
        arn = sfn.create_state_machine(name="order", roleArn=ROLE, definition=json.dumps(ORDER))["stateMachineArn"]
        run = sfn.start_execution(stateMachineArn=arn, input=json.dumps(ORDER_INPUT))["executionArn"]
        self.assertEqual(sfn.describe_execution(executionArn=run)["status"], "RUNNING")
        broker.kill()  # kill -9, parked in the Wait with "customer" and "discount" assigned

        broker = Broker(data_dir=data).start()
        self.addCleanup(broker.stop)
        sfn = sfn_client(broker)
        broker.advance(60)
        done = finished(sfn, run)
        self.assertEqual(done["status"], "SUCCEEDED", done)
        self.assertEqual(json.loads(done["output"]), ORDER_OUTPUT)

    def test_a_redrive_after_a_restart_finds_the_variables_of_the_failed_attempt(self):
        data, cleanup = temp_dir()
        self.addCleanup(cleanup)
        broker = Broker(data_dir=data).start()
        sfn = sfn_client(broker)
        if not hasattr(sfn, "redrive_execution"):
            broker.stop()
            self.skipTest("this boto3 has no RedriveExecution")
        # "Add" fails on the first attempt (the item it adds is not a number until the
        # execution has been redriven) and reads a variable "Set" assigned before it failed.
        definition = {"StartAt": "Set", "States": {
            "Set": {"Type": "Pass", "Assign": {"seen.$": "$.tries"}, "Next": "Add"},
            "Add": {"Type": "Pass", "End": True, "Parameters": {"total.$": (
                "States.MathAdd($seen, States.ArrayGetItem($.pad, $$.Execution.RedriveCount))")}}}}
        arn = sfn.create_state_machine(name="again", roleArn=ROLE, definition=json.dumps(definition))["stateMachineArn"]
        run = sfn.start_execution(stateMachineArn=arn, input='{"tries": 41, "pad": ["x", 1]}')["executionArn"]
        self.assertEqual(finished(sfn, run)["error"], "States.IntrinsicFailure")
        broker.kill()

        broker = Broker(data_dir=data).start()
        self.addCleanup(broker.stop)
        sfn = sfn_client(broker)
        sfn.redrive_execution(executionArn=run)  # again at "Add"; "Set" does not run again
        done = finished(sfn, run)
        self.assertEqual(done["status"], "SUCCEEDED", done)
        self.assertEqual(json.loads(done["output"]), {"total": 42})

    def test_an_iteration_parked_in_a_wait_keeps_its_own_variables_across_a_restart(self):
        definition = {"StartAt": "Set", "States": {
            "Set": {"Type": "Pass", "Assign": {"prefix": "egg-"}, "Next": "Each"},
            "Each": {"Type": "Map", "ItemProcessor": {"StartAt": "Mine", "States": {
                "Mine": {"Type": "Pass", "Assign": {"mine.$": "$"}, "Next": "Nap"},
                "Nap": {"Type": "Wait", "Seconds": 10, "Next": "Show"},
                "Show": {"Type": "Pass", "Parameters": {"name.$": "States.Format('{}{}', $prefix, $mine)"},
                         "End": True}}}, "End": True}}}
        data, cleanup = temp_dir()
        self.addCleanup(cleanup)
        broker = Broker(data_dir=data).start()
        sfn = sfn_client(broker)
        arn = sfn.create_state_machine(name="eggs", roleArn=ROLE, definition=json.dumps(definition))["stateMachineArn"]
        run = sfn.start_execution(stateMachineArn=arn, input='["red", "gold"]')["executionArn"]
        broker.stop()

        broker = Broker(data_dir=data).start()
        self.addCleanup(broker.stop)
        sfn = sfn_client(broker)
        broker.advance(10)
        done = finished(sfn, run)
        self.assertEqual(done["status"], "SUCCEEDED", done)
        self.assertEqual(json.loads(done["output"]), [{"name": "egg-red"}, {"name": "egg-gold"}])


if __name__ == "__main__":
    unittest.main()
