"""Parallel and Map states: inline branches and iterations run inside their execution, their
events in its history, results in order; a failure fails the state (and Catch can take it);
Wait states and activity tasks inside them work, and survive kill -9. A distributed Map runs
its items (or batches of them) as child executions of a Map Run, each with its own history."""
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

    def test_a_failed_iteration_aborts_the_ones_still_running(self):
        arn = machine(self.sfn, "abort", {"Each": {"Type": "Map", "End": True, "ItemProcessor": {
            "StartAt": "Look", "States": {
                "Look": {"Type": "Choice", "Choices": [{"Variable": "$", "StringEquals": "bad", "Next": "Bad"}],
                         "Default": "Slow"},
                "Slow": {"Type": "Wait", "Seconds": 10, "End": True},
                "Bad": {"Type": "Fail", "Error": "Rotten"}}}}}, "Each")
        run = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps(["good", "bad"]))["executionArn"]
        self.assertEqual(self.sfn.describe_execution(executionArn=run)["error"], "Rotten")
        events = self.sfn.get_execution_history(executionArn=run)["events"]
        aborted = [e["mapIterationAbortedEventDetails"] for e in events if e["type"] == "MapIterationAborted"]
        self.assertEqual(aborted, [{"name": "Each", "index": 0}])
        self.assertEqual([e["type"] for e in events][-3:], ["MapIterationAborted", "MapStateFailed",
                                                            "ExecutionFailed"])


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




DISTRIBUTED = {
    "Fan out": {"Type": "Map", "ItemsPath": "$.eggs", "Label": "Hatch", "MaxConcurrency": 2,
                "ItemSelector": {"egg.$": "$$.Map.Item.Value", "nest.$": "$.nest"},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Warm", "States": {
                        "Warm": {"Type": "Wait", "Seconds": 5, "Next": "Check"},
                        "Check": {"Type": "Choice", "Choices": [
                            {"Variable": "$.egg", "StringEquals": "stone", "Next": "Dud"}], "Default": "Hatch"},
                        "Dud": {"Type": "Fail", "Error": "NotAnEgg", "Cause": "a stone"},
                        "Hatch": {"Type": "Pass", "Parameters": {"dragon.$": "States.Format('{} of {}', $.egg, $.nest)"},
                                  "End": True}}},
                "ResultPath": "$.hatched", "End": True},
}


class DistributedMap(BrokerTestCase):
    def setUp(self):
        super().setUp()
        self.sfn = sfn_client(self.broker)

    def history(self, run):
        return [e["type"] for e in self.sfn.get_execution_history(executionArn=run)["events"]]

    def test_items_run_as_child_executions_of_a_map_run(self):
        arn = machine(self.sfn, "clutch", DISTRIBUTED, "Fan out")
        run = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps(
            {"nest": "Erebor", "eggs": ["red", "gold", "green"]}))["executionArn"]
        events = self.sfn.get_execution_history(executionArn=run)["events"]
        started = [e for e in events if e["type"] == "MapRunStarted"]
        self.assertEqual(len(started), 1)
        map_run = started[0]["mapRunStartedEventDetails"]["mapRunArn"]
        self.assertIn(":mapRun:clutch/Hatch:", map_run)
        children = self.sfn.list_executions(mapRunArn=map_run)["executions"]
        self.assertEqual(len(children), 2)  # MaxConcurrency 2
        for _ in range(2):
            self.broker.advance(5)
        done = self.sfn.describe_execution(executionArn=run)
        self.assertEqual(done["status"], "SUCCEEDED")
        self.assertEqual(json.loads(done["output"])["hatched"],
                         [{"dragon": "red of Erebor"}, {"dragon": "gold of Erebor"}, {"dragon": "green of Erebor"}])
        self.assertEqual(self.history(run), ["ExecutionStarted", "MapStateEntered", "MapRunStarted",
                                             "MapRunSucceeded", "MapStateExited", "ExecutionSucceeded"])
        children = self.sfn.list_executions(mapRunArn=map_run)["executions"]
        self.assertEqual(len(children), 3)
        child = self.sfn.describe_execution(executionArn=children[0]["executionArn"])
        self.assertEqual((child["status"], child["mapRunArn"]), ("SUCCEEDED", map_run))
        self.assertEqual(self.history(child["executionArn"]),
                         ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", "ChoiceStateEntered",
                          "ChoiceStateExited", "PassStateEntered", "PassStateExited", "ExecutionSucceeded"])
        # The children are the Map Run's, not the state machine's.
        self.assertEqual([e["executionArn"] for e in self.sfn.list_executions(stateMachineArn=arn)["executions"]],
                         [run])

    def test_a_failed_child_fails_the_map_run_unless_tolerated(self):
        arn = machine(self.sfn, "duds", DISTRIBUTED, "Fan out")
        run = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps(
            {"nest": "Dale", "eggs": ["red", "stone", "gold"]}))["executionArn"]
        for _ in range(2):
            self.broker.advance(5)
        failed = self.sfn.describe_execution(executionArn=run)
        self.assertEqual((failed["status"], failed["error"]), ("FAILED", "States.ExceedToleratedFailureThreshold"))
        self.assertIn("MapRunFailed", self.history(run))
        tolerant = dict(DISTRIBUTED)
        tolerant["Fan out"] = dict(DISTRIBUTED["Fan out"], ToleratedFailureCount=1)
        arn = machine(self.sfn, "tolerant", tolerant, "Fan out")
        run = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps(
            {"nest": "Dale", "eggs": ["red", "stone", "gold"]}))["executionArn"]
        for _ in range(2):
            self.broker.advance(5)
        done = self.sfn.describe_execution(executionArn=run)
        self.assertEqual(done["status"], "SUCCEEDED")
        self.assertEqual(json.loads(done["output"])["hatched"],
                         [{"dragon": "red of Dale"}, None, {"dragon": "gold of Dale"}])

    def test_an_item_batcher_hands_each_child_a_batch(self):
        batched = {"Batches": {"Type": "Map", "ItemsPath": "$.eggs",
                               "ItemBatcher": {"MaxItemsPerBatch": 2, "BatchInput": {"nest.$": "$.nest"}},
                               "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                                                 "StartAt": "Count", "States": {"Count": {
                                                     "Type": "Pass", "Parameters": {
                                                         "n.$": "States.ArrayLength($.Items)",
                                                         "nest.$": "$.BatchInput.nest"}, "End": True}}},
                               "End": True}}
        arn = machine(self.sfn, "batches", batched, "Batches")
        run = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps(
            {"nest": "Dale", "eggs": [1, 2, 3, 4, 5]}))["executionArn"]
        done = self.sfn.describe_execution(executionArn=run)
        self.assertEqual(done["status"], "SUCCEEDED")
        self.assertEqual(json.loads(done["output"]),
                         [{"n": 2, "nest": "Dale"}, {"n": 2, "nest": "Dale"}, {"n": 1, "nest": "Dale"}])

    def test_a_durable_map_run_survives_kill_9(self):
        data, cleanup = temp_dir()
        self.addCleanup(cleanup)
        broker = Broker(data_dir=data).start()
        try:
            sfn = sfn_client(broker)
            arn = machine(sfn, "clutch", DISTRIBUTED, "Fan out")
            run = sfn.start_execution(stateMachineArn=arn, input=json.dumps(
                {"nest": "Erebor", "eggs": ["red", "gold", "green"]}))["executionArn"]
            broker.kill()
            broker = Broker(data_dir=data).start()
            sfn = sfn_client(broker)
            broker.advance(5)
            broker.advance(5)
            done = sfn.describe_execution(executionArn=run)
            self.assertEqual(done["status"], "SUCCEEDED")
            self.assertEqual(len(json.loads(done["output"])["hatched"]), 3)
            types = [e["type"] for e in sfn.get_execution_history(executionArn=run)["events"]]
            self.assertEqual(types.count("MapRunStarted"), 1)
        finally:
            broker.stop()


if __name__ == "__main__":
    unittest.main()
