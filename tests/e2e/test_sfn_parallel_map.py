"""Parallel and Map states (inline): branches and iterations run inside their execution,
their events in its history, results in order; a failure fails the state (and Catch can take
it); Wait states and activity tasks inside them work, and survive kill -9."""
import json
import unittest

from harness import ACCOUNT, Broker, BrokerTestCase, sfn_client, temp_dir

ROLE = "arn:aws:iam::%s:role/x" % ACCOUNT


def machine(sfn, name, states, start, **extra):
    doc = {"StartAt": start, "States": states}
    doc.update(extra)
    return sfn.create_state_machine(name=name, roleArn=ROLE, definition=json.dumps(doc))["stateMachineArn"]


FLIGHT = {
    "Survey": {"Type": "Map", "ItemsPath": "$.sightings", "MaxConcurrency": 1,
               "ItemSelector": {"where.$": "$$.Map.Item.Value.place", "n.$": "$$.Map.Item.Index",
                                "wait.$": "$.pause"},
               "ItemProcessor": {"StartAt": "Pause", "States": {
                   "Pause": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Note"},
                   "Note": {"Type": "Pass", "Parameters": {"seen.$": "States.Format('#{} at {}', $.n, $.where)"},
                            "End": True}}},
               "ResultPath": "$.notes", "Next": "Both"},
    "Both": {"Type": "Parallel", "ResultPath": "$.checks", "End": True, "Branches": [
        {"StartAt": "Count", "States": {"Count": {"Type": "Pass", "Parameters": {
            "count.$": "States.ArrayLength($.notes)"}, "End": True}}},
        {"StartAt": "Later", "States": {
            "Later": {"Type": "Wait", "Seconds": 30, "Next": "Done"},
            "Done": {"Type": "Pass", "Result": "checked", "End": True}}}]},
}
INPUT = {"pause": 10, "sightings": [{"place": "Erebor"}, {"place": "Lonely Mountain"}, {"place": "Dale"}]}


class ParallelAndMap(BrokerTestCase):
    def setUp(self):
        super().setUp()
        self.sfn = sfn_client(self.broker)

    def history(self, run):
        return [e["type"] for e in self.sfn.get_execution_history(executionArn=run)["events"]]

    def test_map_then_parallel_produce_ordered_results_on_the_virtual_clock(self):
        arn = machine(self.sfn, "flight", FLIGHT, "Survey")
        run = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps(INPUT))["executionArn"]
        for _ in range(3):  # MaxConcurrency 1: one iteration's Wait at a time
            self.assertEqual(self.sfn.describe_execution(executionArn=run)["status"], "RUNNING")
            self.broker.advance(10)
        self.assertEqual(self.sfn.describe_execution(executionArn=run)["status"], "RUNNING")
        self.broker.advance(30)  # the Parallel branch's Wait
        described = self.sfn.describe_execution(executionArn=run)
        self.assertEqual(described["status"], "SUCCEEDED")
        output = json.loads(described["output"])
        self.assertEqual(output["notes"], [{"seen": "#0 at Erebor"}, {"seen": "#1 at Lonely Mountain"},
                                           {"seen": "#2 at Dale"}])
        self.assertEqual(output["checks"], [{"count": 3}, "checked"])
        types = self.history(run)
        self.assertEqual(types[:4], ["ExecutionStarted", "MapStateEntered", "MapStateStarted", "MapIterationStarted"])
        self.assertEqual(types.count("MapIterationStarted"), 3)
        self.assertEqual(types.count("MapIterationSucceeded"), 3)
        for expected in ["MapStateSucceeded", "MapStateExited", "ParallelStateEntered",
                         "ParallelStateStarted", "ParallelStateSucceeded", "ParallelStateExited"]:
            self.assertIn(expected, types)
        self.assertEqual(types[-1], "ExecutionSucceeded")
        ids = [e["id"] for e in self.sfn.get_execution_history(executionArn=run)["events"]]
        self.assertEqual(ids, list(range(1, len(ids) + 1)))
        listed = self.sfn.list_executions(stateMachineArn=arn)["executions"]
        self.assertEqual([e["executionArn"] for e in listed], [run])  # branches are not executions

    def test_a_failing_iteration_fails_the_map_and_catch_takes_it(self):
        arn = machine(self.sfn, "picky", {
            "Each": {"Type": "Map", "ItemsPath": "$.kinds", "ItemProcessor": {"StartAt": "Check", "States": {
                "Check": {"Type": "Choice", "Choices": [
                    {"Variable": "$", "StringEquals": "wyvern", "Next": "Bad"}], "Default": "Good"},
                "Bad": {"Type": "Fail", "Error": "NotADragon", "Cause": "two legs"},
                "Good": {"Type": "Succeed"}}},
                "Catch": [{"ErrorEquals": ["NotADragon"], "ResultPath": "$.problem", "Next": "Noted"}],
                "End": True},
            "Noted": {"Type": "Pass", "End": True}}, "Each")
        run = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps(
            {"kinds": ["dragon", "wyvern"]}))["executionArn"]
        described = self.sfn.describe_execution(executionArn=run)
        self.assertEqual(described["status"], "SUCCEEDED", described)
        self.assertEqual(json.loads(described["output"])["problem"]["Error"], "NotADragon")
        types = self.history(run)
        self.assertIn("MapIterationFailed", types)
        self.assertIn("MapStateFailed", types)
        uncaught = machine(self.sfn, "strict", {"P": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Broken"}}}]}}, "P")
        run = self.sfn.start_execution(stateMachineArn=uncaught)["executionArn"]
        described = self.sfn.describe_execution(executionArn=run)
        self.assertEqual((described["status"], described["error"]), ("FAILED", "Broken"))

    def test_an_activity_inside_a_parallel_branch(self):
        activity = self.sfn.create_activity(name="inner")["activityArn"]
        arn = machine(self.sfn, "inner-work", {"P": {"Type": "Parallel", "End": True, "Branches": [
            {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": activity, "End": True}}},
            {"StartAt": "Q", "States": {"Q": {"Type": "Pass", "Result": 1, "End": True}}}]}}, "P")
        run = self.sfn.start_execution(stateMachineArn=arn, input='{"job": 7}')["executionArn"]
        task = self.sfn.get_activity_task(activityArn=activity)
        self.assertEqual(json.loads(task["input"]), {"job": 7})
        self.sfn.send_task_success(taskToken=task["taskToken"], output='{"ok": true}')
        described = self.sfn.describe_execution(executionArn=run)
        self.assertEqual(json.loads(described["output"]), [{"ok": True}, 1])

    def test_express_machines_run_map_synchronously(self):
        arn = self.sfn.create_state_machine(name="fast-map", roleArn=ROLE, type="EXPRESS", definition=json.dumps({
            "StartAt": "M", "States": {"M": {"Type": "Map", "End": True, "ItemProcessor": {
                "StartAt": "Double", "States": {"Double": {"Type": "Pass", "Parameters": {
                    "v.$": "States.MathAdd($, $)"}, "End": True}}}}}}))["stateMachineArn"]
        result = self.sfn.start_sync_execution(stateMachineArn=arn, input="[1, 2, 3]")
        self.assertEqual(result["status"], "SUCCEEDED")
        self.assertEqual(json.loads(result["output"]), [{"v": 2}, {"v": 4}, {"v": 6}])


class ParallelAndMapDurability(unittest.TestCase):
    def test_iterations_parked_in_waits_survive_kill_9(self):
        data, cleanup = temp_dir()
        broker = Broker(data_dir=data).start()
        try:
            sfn = sfn_client(broker)
            arn = machine(sfn, "flight", FLIGHT, "Survey")
            run = sfn.start_execution(stateMachineArn=arn, input=json.dumps(INPUT))["executionArn"]
            broker.advance(10)  # first iteration done, second parked
            broker.kill()
            broker = Broker(data_dir=data).start()
            sfn = sfn_client(broker)
            for _ in range(2):
                broker.advance(10)
            broker.advance(30)
            described = sfn.describe_execution(executionArn=run)
            self.assertEqual(described["status"], "SUCCEEDED")
            self.assertEqual(len(json.loads(described["output"])["notes"]), 3)
            types = [e["type"] for e in sfn.get_execution_history(executionArn=run)["events"]]
            self.assertEqual(types.count("MapIterationStarted"), 3)  # none ran twice
            self.assertEqual(types.count("WaitStateEntered"), 4)
        finally:
            broker.kill()
            cleanup()

    def test_a_map_topped_up_to_max_concurrency_resumes_where_it_was_after_kill_9(self):
        # Nothing in the Map's own record says which iterations it started: the restarted
        # broker finds them by their records, and must neither rerun nor skip any.
        data, cleanup = temp_dir()
        broker = Broker(data_dir=data).start()
        try:
            sfn = sfn_client(broker)
            arn = machine(sfn, "naps", {"Each": {
                "Type": "Map", "MaxConcurrency": 2, "ItemSelector": {"wait.$": "$$.Map.Item.Value",
                                                                     "n.$": "$$.Map.Item.Index"},
                "ItemProcessor": {"StartAt": "Nap", "States": {
                    "Nap": {"Type": "Wait", "SecondsPath": "$.wait", "Next": "Done"},
                    "Done": {"Type": "Pass", "InputPath": "$.n", "End": True}}},
                "End": True}}, "Each")
            run = sfn.start_execution(stateMachineArn=arn, input="[10, 30, 20, 10, 40]")["executionArn"]
            broker.advance(10)  # item 0 done, item 2 started beside item 1
            broker.kill()
            broker = Broker(data_dir=data).start()
            sfn = sfn_client(broker)
            for _ in range(4):
                broker.advance(30)
            described = sfn.describe_execution(executionArn=run)
            self.assertEqual(described["status"], "SUCCEEDED")
            self.assertEqual(json.loads(described["output"]), [0, 1, 2, 3, 4])
            types = [e["type"] for e in sfn.get_execution_history(executionArn=run)["events"]]
            for event in ["MapIterationStarted", "MapIterationSucceeded", "WaitStateEntered"]:
                self.assertEqual(types.count(event), 5, event)
        finally:
            broker.kill()
            cleanup()


if __name__ == "__main__":
    unittest.main()
