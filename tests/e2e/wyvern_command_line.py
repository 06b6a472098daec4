"""The `wyvern <command>` command line against a running broker: every subcommand, for people
(aligned text) and for scripts (--json), and its error paths with their exit codes (0 done,
1 refused or failed, 2 usage, 3 no broker). boto3 sets things up and checks what the command
line did."""
import json
import subprocess
import unittest

from harness import ACCOUNT, BINARY, REGION, BrokerTestCase, sfn_client

ROLE = "arn:aws:iam::%s:role/wyvern" % ACCOUNT


def queue_arn(name):
    return "arn:aws:sqs:%s:%s:%s" % (REGION, ACCOUNT, name)


class CommandLine(BrokerTestCase):
    def setUp(self):
        super().setUp()
        self.sfn = sfn_client(self.broker)

    def wyvern(self, *args, code=0, endpoint=None):
        """Runs `wyvern ARGS --endpoint ...`; asserts the exit code; returns (stdout, stderr)."""
        done = subprocess.run([BINARY, *args, "--endpoint", endpoint or self.broker.endpoint],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, code, "wyvern %s: %s%s" % (" ".join(args), done.stdout, done.stderr))
        return done.stdout, done.stderr

    def machine(self, name, states, start):
        return self.sfn.create_state_machine(name=name, roleArn=ROLE, definition=json.dumps(
            {"StartAt": start, "States": states}))["stateMachineArn"]

    def test_status_says_what_is_running_and_exits_3_when_nothing_is(self):
        out, _ = self.wyvern("status")
        self.assertRegex(out, r"^Wyvern \d+\.\d+\.\d+ at http://localhost:\d+: ok, up \d+s, store memory\n$")
        self.assertEqual(json.loads(self.wyvern("status", "--json")[0])["status"], "ok")
        _, err = self.wyvern("status", code=3, endpoint="http://127.0.0.1:1")
        self.assertIn("no broker answered at http://127.0.0.1:1", err)
        _, err = self.wyvern("queues", code=3, endpoint="http://127.0.0.1:1")
        self.assertIn("no broker answered", err)

    def test_queues_lists_every_queue_with_its_counts(self):
        self.assertEqual(self.wyvern("queues")[0], "no queues\n")
        eggs = self.sqs.create_queue(QueueName="eggs")["QueueUrl"]
        self.sqs.create_queue(QueueName="nests")
        for body in ("a", "b", "c"):
            self.sqs.send_message(QueueUrl=eggs, MessageBody=body)
        self.sqs.send_message(QueueUrl=eggs, MessageBody="later", DelaySeconds=60)
        self.sqs.receive_message(QueueUrl=eggs, MaxNumberOfMessages=1)
        out, _ = self.wyvern("queues")
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), ["QUEUE", "VISIBLE", "IN", "FLIGHT", "DELAYED", "DLQ"])
        self.assertEqual(lines[1].split(), ["eggs", "2", "1", "1"])
        self.assertEqual(lines[2].split(), ["nests", "0", "0", "0"])
        rows = json.loads(self.wyvern("queues", "--json", "--prefix", "egg")[0])
        self.assertEqual([(r["name"], r["visible"], r["in_flight"], r["delayed"]) for r in rows],
                         [("eggs", 2, 1, 1)])

    def test_peek_shows_messages_and_leaves_them(self):
        url = self.sqs.create_queue(QueueName="peeked")["QueueUrl"]
        self.sqs.send_message(QueueUrl=url, MessageBody='{"dragon": "Smaug"}', MessageAttributes={
            "colour": {"DataType": "String", "StringValue": "red"}})
        out, _ = self.wyvern("peek", "peeked")
        self.assertIn('{"dragon": "Smaug"}', out)
        self.assertIn("colour = red (String)", out)
        peeked = json.loads(self.wyvern("peek", url, "--json")[0])
        self.assertEqual([m["Body"] for m in peeked], ['{"dragon": "Smaug"}'])
        got = self.sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"]
        self.assertEqual(got[0]["Attributes"]["ApproximateReceiveCount"], "3")  # peeked twice
        self.assertEqual(self.wyvern("peek", "nowhere", code=1)[1],
                         "wyvern: QueueDoesNotExist: The specified queue does not exist.\n")

    def test_tail_prints_arrivals_and_deletes_them_when_asked(self):
        url = self.sqs.create_queue(QueueName="tailed")["QueueUrl"]
        for body in ("first", "second"):
            self.sqs.send_message(QueueUrl=url, MessageBody=body)
        out, _ = self.wyvern("tail", "tailed", "--count", "2", "--delete", "--wait", "1")
        self.assertIn("first", out)
        self.assertIn("second", out)
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual((attributes["ApproximateNumberOfMessages"],
                          attributes["ApproximateNumberOfMessagesNotVisible"]), ("0", "0"))
        self.sqs.send_message(QueueUrl=url, MessageBody="kept")
        lines = self.wyvern("tail", "tailed", "--count", "1", "--json")[0].splitlines()
        self.assertEqual(json.loads(lines[0])["Body"], "kept")
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attributes["ApproximateNumberOfMessagesNotVisible"], "1")  # not deleted
        self.wyvern("tail", "tailed", "--wait", "21", code=2)

    def test_send_sends_with_attributes_groups_and_delays(self):
        url = self.sqs.create_queue(QueueName="sent.fifo", Attributes={
            "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
        out, _ = self.wyvern("send", "sent.fifo", "a red dragon", "--group", "sightings",
                             "--attribute", "colour=red", "--attribute", "size=huge")
        message_id = out.strip()
        sent = json.loads(self.wyvern("send", url, "a blue dragon", "--group", "sightings", "--json")[0])
        self.assertTrue(sent["SequenceNumber"])
        got = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                       AttributeNames=["All"])["Messages"]
        self.assertEqual([m["Body"] for m in got], ["a red dragon", "a blue dragon"])
        self.assertEqual(got[0]["MessageId"], message_id)
        self.assertEqual(got[0]["MessageAttributes"]["size"]["StringValue"], "huge")
        _, err = self.wyvern("send", "sent.fifo", "no group", code=1)
        self.assertIn("MissingRequiredParameterException: The request must contain the parameter MessageGroupId.", err)
        self.wyvern("send", "sent.fifo", code=2)
        self.wyvern("send", "sent.fifo", "x", "--colour", "red", code=2)
        self.wyvern("send", "sent.fifo", "x", "--attribute", "=red", code=2)

    def test_publish_and_put_event_reach_their_queues(self):
        url = self.sqs.create_queue(QueueName="fanout")["QueueUrl"]
        sns = self.broker.sns()
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("fanout"),
                      Attributes={"RawMessageDelivery": "true"})
        self.wyvern("publish", "alerts", "dragon spotted", "--subject", "alert")
        self.wyvern("publish", topic, "dragon spotted again")
        _, err = self.wyvern("publish", "no-such-topic", "x", code=1)
        self.assertIn("NotFound", err)
        events = self.broker_events()
        events.put_rule(Name="sightings", EventPattern=json.dumps({"source": ["dragons"]}))
        events.put_targets(Rule="sightings", Targets=[{"Id": "q", "Arn": queue_arn("fanout")}])
        out, _ = self.wyvern("put-event", "--source", "dragons", "--detail-type", "Sighting",
                             "--detail", '{"name": "Peter"}')
        event_id = out.strip()
        bodies = []
        while len(bodies) < 3:
            got = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=5).get("Messages", [])
            self.assertTrue(got, bodies)
            bodies += [m["Body"] for m in got]
        self.assertIn("dragon spotted", bodies)
        self.assertIn("dragon spotted again", bodies)
        event = json.loads(next(b for b in bodies if b.startswith("{")))
        self.assertEqual((event["id"], event["detail"]), (event_id, {"name": "Peter"}))
        self.wyvern("put-event", "--source", "dragons", "--detail-type", "x", "--detail", "[1]", code=2)
        self.wyvern("put-event", "--source", "dragons", code=2)
        failed = json.loads(self.wyvern("put-event", "--source", "aws.dragons", "--detail-type", "x",
                                        "--json", code=1)[0])
        self.assertEqual((failed["FailedEntryCount"], failed["ErrorCode"]),
                         (1, "NotAuthorizedForSourceException"))

    def broker_events(self):
        import boto3
        return boto3.client("events", endpoint_url=self.broker.endpoint, region_name=REGION,
                            aws_access_key_id="test", aws_secret_access_key="test")

    def test_start_follows_an_execution_state_by_state(self):
        self.machine("greeter", {
            "Greet": {"Type": "Pass", "Parameters": {"hello.$": "$.name"}, "Next": "Check"},
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.hello", "StringEquals": "Atlas",
                                                     "Next": "Refuse"}], "Default": "Done"},
            "Refuse": {"Type": "Fail", "Error": "DragonExists", "Cause": "Atlas is known"},
            "Done": {"Type": "Succeed"}}, "Greet")
        out, _ = self.wyvern("start", "greeter", "--input", '{"name": "Peter"}', "--follow")
        lines = out.splitlines()
        self.assertTrue(lines[0].startswith("started arn:aws:states:us-east-1:000000000000:execution:greeter:"))
        steps = [line.split()[:2] for line in lines if line.startswith("  ")]
        self.assertEqual(steps, [["->", "Greet"], ["<-", "Greet"], ["->", "Check"], ["<-", "Check"],
                                 ["->", "Done"], ["<-", "Done"]])
        self.assertRegex(lines[-2], r"^SUCCEEDED after \d+ ms$")
        self.assertEqual(json.loads(lines[-1]), {"hello": "Peter"})
        out, _ = self.wyvern("start", "greeter", "--input", '{"name": "Atlas"}', "--follow", code=1)
        self.assertIn("  !! ExecutionFailed DragonExists: Atlas is known", out)
        self.assertEqual(out.splitlines()[-1], "DragonExists: Atlas is known")
        arn = self.wyvern("start", "greeter", "--name", "plain")[0].strip()
        self.assertTrue(arn.endswith(":execution:greeter:plain"))
        _, err = self.wyvern("start", "no-machine", code=1)
        self.assertIn("StateMachineDoesNotExist", err)
        self.wyvern("start", "greeter", "--input", "{bad", code=2)

    def test_start_follow_gives_up_after_its_timeout(self):
        self.machine("sleepy", {"Nap": {"Type": "Wait", "Seconds": 3600, "End": True}}, "Nap")
        _, err = self.wyvern("start", "sleepy", "--follow", "--timeout", "0.5", code=1)
        self.assertIn("still RUNNING after 0.5 s", err)

    def test_history_is_the_consoles_event_table(self):
        arn = self.machine("table", {
            "First": {"Type": "Pass", "Next": "Second"}, "Second": {"Type": "Pass", "End": True}}, "First")
        run = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
        out, _ = self.wyvern("history", run)
        rows = [line.split() for line in out.splitlines()]
        self.assertEqual(rows[0], ["ID", "Type", "Step", "Resource", "Elapsed", "Time", "(ms)"])
        self.assertEqual([r[:3] for r in rows[1:]], [
            ["1", "ExecutionStarted", "-"], ["2", "PassStateEntered", "First"], ["3", "PassStateExited", "First"],
            ["4", "PassStateEntered", "Second"], ["5", "PassStateExited", "Second"], ["6", "ExecutionSucceeded", "-"]])
        events = json.loads(self.wyvern("history", run, "--json")[0])
        self.assertEqual(events[1]["details"]["name"], "First")
        _, err = self.wyvern("history", run + "-missing", code=1)
        self.assertIn("ExecutionDoesNotExist", err)

    def test_task_completes_fails_and_heartbeats_a_token(self):
        url = self.sqs.create_queue(QueueName="tokens")["QueueUrl"]
        arn = self.machine("callback", {"Wait": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "HeartbeatSeconds": 60, "End": True,
            "Parameters": {"QueueUrl": url, "MessageBody": {"token.$": "$$.Task.Token"}}}}, "Wait")

        def token_of_new_run():
            run = self.sfn.start_execution(stateMachineArn=arn)["executionArn"]
            message = self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"][0]
            self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            return run, json.loads(message["Body"])["token"]

        run, token = token_of_new_run()
        self.assertEqual(self.wyvern("task", "heartbeat", token)[0], "sent heartbeat\n")
        self.wyvern("task", "success", token, "--output", '{"hatched": true}')
        described = self.sfn.describe_execution(executionArn=run)
        self.assertEqual((described["status"], json.loads(described["output"])), ("SUCCEEDED", {"hatched": True}))
        _, err = self.wyvern("task", "success", token, code=1)
        self.assertIn("TaskTimedOut", err)
        run, token = token_of_new_run()
        self.wyvern("task", "failure", token, "--error", "Egg.Cracked", "--cause", "dropped")
        described = self.sfn.describe_execution(executionArn=run)
        self.assertEqual((described["status"], described["error"], described["cause"]),
                         ("FAILED", "Egg.Cracked", "dropped"))
        _, err = self.wyvern("task", "success", "not-a-token", code=1)
        self.assertIn("InvalidToken", err)
        self.wyvern("task", "finish", token, code=2)

    def test_clock_shows_and_advances_virtual_time(self):
        before = json.loads(self.wyvern("clock", "--json")[0])
        out, _ = self.wyvern("clock", "advance", "90")
        self.assertRegex(out, r"^virtual time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(\d+(\.\d+)? s ahead")
        after = json.loads(self.wyvern("clock", "--json")[0])
        self.assertEqual(after["offset_ms"] - before["offset_ms"], 90000)
        self.wyvern("clock", "advance", "-1", code=2)
        self.wyvern("clock", "rewind", code=2)

    def test_export_and_import_carry_every_resource_over(self):
        import os
        import tempfile
        self.sqs.create_queue(QueueName="eggs", Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
        sns = self.broker.sns()
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("eggs"),
                      Attributes={"RawMessageDelivery": "true", "FilterPolicy": json.dumps({"colour": ["red"]})})
        events = self.broker_events()
        events.create_event_bus(Name="dragons")
        events.put_rule(Name="seen", EventBusName="dragons", EventPattern=json.dumps({"source": ["dragons"]}))
        events.put_targets(Rule="seen", EventBusName="dragons", Targets=[{"Id": "q", "Arn": queue_arn("eggs")}])
        self.machine("greeter", {"Hi": {"Type": "Pass", "End": True}}, "Hi")
        exported = json.loads(self.wyvern("export")[0])
        self.assertEqual(exported["queues"]["eggs"]["Attributes"]["VisibilityTimeout"], "45")
        self.assertEqual(exported["topics"]["alerts"]["Subscriptions"], [{
            "Protocol": "sqs", "Endpoint": queue_arn("eggs"),
            "Attributes": {"RawMessageDelivery": "true", "FilterPolicy": {"colour": ["red"]},
                           "FilterPolicyScope": "MessageAttributes"}}])
        self.assertEqual(exported["rules"]["seen"]["EventPattern"], {"source": ["dragons"]})
        self.assertEqual(exported["stateMachines"]["greeter"]["definition"]["StartAt"], "Hi")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "resources.json")
            self.assertEqual(self.wyvern("export", "--file", path)[0], "wrote %s\n" % path)
            self.broker.admin("reset", {})
            self.assertNotIn("QueueUrls", self.sqs.list_queues())
            self.assertEqual(self.wyvern("import", path)[0], "applied %s\n" % path)
            self.assertEqual(json.loads(self.wyvern("export")[0]), exported)
            with open(path, "w") as f:
                json.dump({"queues": {"bad": {"Attributes": {"VisibilityTimeout": 99999}}}}, f)
            _, err = self.wyvern("import", path, code=1)
            self.assertIn("$.queues.bad: InvalidAttributeValue", err)
            self.assertNotIn("bad", " ".join(self.sqs.list_queues().get("QueueUrls", [])))
        self.wyvern("import", "/nonexistent.json", code=2)

    def test_help_lists_every_command(self):
        out, _ = self.wyvern("help")
        for command in ("status", "queues", "peek", "tail", "send", "publish", "put-event", "start",
                        "history", "task", "clock", "export", "import"):
            self.assertIn("\n  %s " % command, out)
        out, _ = self.wyvern("send", "--help")
        self.assertTrue(out.startswith("wyvern send QUEUE BODY"))


if __name__ == "__main__":
    unittest.main()
