"""EventBridge through boto3: buses, rules and targets; PutEvents routed to SQS (standard and
FIFO), to SNS and through it to queues, to another bus and to a state machine; input
processing; a failing target dead-lettered; a schedule fired by the virtual clock; restarts."""
import json
import unittest

import boto3
import botocore.config

from harness import ACCOUNT, REGION, Broker, BrokerTestCase, sfn_client, temp_dir


def events_client(broker):
    return boto3.client("events", endpoint_url=broker.endpoint, region_name=REGION,
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=botocore.config.Config(retries={"max_attempts": 1}))


def queue_arn(name):
    return "arn:aws:sqs:%s:%s:%s" % (REGION, ACCOUNT, name)


class EventsTestCase(BrokerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.events = events_client(cls.broker)
        cls.sns = boto3.client("sns", endpoint_url=cls.broker.endpoint, region_name=REGION,
                               aws_access_key_id="test", aws_secret_access_key="test")

    def queue(self, name, **attributes):
        return self.sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]

    def receive(self, url, count=1, wait=10):
        got = []
        while len(got) < count:
            batch = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait,
                                             AttributeNames=["All"],
                                             MessageAttributeNames=["All"]).get("Messages", [])
            if not batch:
                break
            got += batch
        return got

    def events_error(self, call, **kwargs):
        try:
            call(**kwargs)
        except self.events.exceptions.ClientError as e:
            return (e.response["Error"]["Code"], e.response["Error"]["Message"],
                    e.response["ResponseMetadata"]["HTTPStatusCode"])
        self.fail("the call succeeded")


class RulesAndTargets(EventsTestCase):

    def test_a_matching_event_reaches_an_sqs_target_in_awss_envelope(self):
        url = self.queue("sightings")
        arn = self.events.put_rule(Name="dragons", EventPattern=json.dumps(
            {"source": ["app.sightings"], "detail": {"colour": ["red", "green"]}}))["RuleArn"]
        self.assertEqual(arn, "arn:aws:events:%s:%s:rule/dragons" % (REGION, ACCOUNT))
        self.events.put_targets(Rule="dragons", Targets=[{"Id": "q", "Arn": queue_arn("sightings")}])
        result = self.events.put_events(Entries=[
            {"Source": "app.sightings", "DetailType": "Sighting", "Detail": json.dumps({"colour": "red", "wings": 2}),
             "Resources": ["arn:aws:xyz:::cave/1"]},
            {"Source": "app.sightings", "DetailType": "Sighting", "Detail": json.dumps({"colour": "blue"})},
        ])
        self.assertEqual(result["FailedEntryCount"], 0)
        got = self.receive(url)
        self.assertEqual(len(got), 1)
        body = got[0]["Body"]
        event = json.loads(body)
        # The envelope's fields, in AWS's order.
        self.assertEqual(list(event), ["version", "id", "detail-type", "source", "account", "time",
                                       "region", "resources", "detail"])
        self.assertEqual(event["id"], result["Entries"][0]["EventId"])
        self.assertEqual(event["detail"], {"colour": "red", "wings": 2})
        self.assertEqual(event["resources"], ["arn:aws:xyz:::cave/1"])
        self.assertRegex(event["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(self.receive(url, wait=0), [], "the blue dragon matched nothing")

    def test_fifo_queue_targets_take_the_message_group_id(self):
        url = self.queue("orders.fifo", FifoQueue="true")
        self.events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))
        self.events.put_targets(Rule="orders", Targets=[{
            "Id": "fifo", "Arn": queue_arn("orders.fifo"), "SqsParameters": {"MessageGroupId": "orders"}}])
        self.events.put_events(Entries=[
            {"Source": "shop", "DetailType": "Order", "Detail": json.dumps({"n": i})} for i in range(5)])
        got = self.receive(url, count=5)
        self.assertEqual([json.loads(m["Body"])["detail"]["n"] for m in got], list(range(5)))
        self.assertEqual({m["Attributes"]["MessageGroupId"] for m in got}, {"orders"})

    def test_an_sns_target_fans_out_to_its_queues(self):
        topic = self.sns.create_topic(Name="alerts")["TopicArn"]
        urls = [self.queue("alerts-%d" % i) for i in range(2)]
        for i in range(2):
            self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("alerts-%d" % i),
                               Attributes={"RawMessageDelivery": "true"})
        self.events.put_rule(Name="alerts", EventPattern=json.dumps({"detail-type": ["Alert"]}))
        self.events.put_targets(Rule="alerts", Targets=[{"Id": "topic", "Arn": topic}])
        self.events.put_events(Entries=[{"Source": "ops", "DetailType": "Alert", "Detail": "{\"level\": 3}"}])
        for url in urls:
            got = self.receive(url)
            self.assertEqual(json.loads(got[0]["Body"])["detail"], {"level": 3})
        # Enveloped, the notification's links name this broker, whatever port it is on.
        url = self.queue("alerts-enveloped")
        self.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("alerts-enveloped"))
        self.events.put_events(Entries=[{"Source": "ops", "DetailType": "Alert", "Detail": "{\"level\": 4}"}])
        envelope = json.loads(self.receive(url)[0]["Body"])
        for link in ("SigningCertURL", "UnsubscribeURL"):
            self.assertTrue(envelope[link].startswith("http://localhost:%d/" % self.broker.port), envelope[link])

    def test_a_bus_target_hands_the_event_to_the_other_buss_rules(self):
        self.events.create_event_bus(Name="audit")
        url = self.queue("audit-log")
        self.events.put_rule(Name="to-audit", EventPattern=json.dumps({"source": ["app"]}))
        self.events.put_targets(Rule="to-audit", Targets=[{
            "Id": "bus", "Arn": "arn:aws:events:%s:%s:event-bus/audit" % (REGION, ACCOUNT)}])
        rule = self.events.put_rule(Name="log", EventBusName="audit",
                                    EventPattern=json.dumps({"source": ["app"]}))["RuleArn"]
        self.assertEqual(rule, "arn:aws:events:%s:%s:rule/audit/log" % (REGION, ACCOUNT))
        self.events.put_targets(Rule="log", EventBusName="audit",
                                Targets=[{"Id": "q", "Arn": queue_arn("audit-log")}])
        sent = self.events.put_events(Entries=[{"Source": "app", "DetailType": "x", "Detail": "{}"}])
        got = self.receive(url)
        self.assertEqual(json.loads(got[0]["Body"])["id"], sent["Entries"][0]["EventId"])

    def test_a_state_machine_target_starts_an_execution_with_the_event(self):
        sfn = sfn_client(self.broker)
        machine = sfn.create_state_machine(
            name="greet", roleArn="arn:aws:iam::%s:role/r" % ACCOUNT,
            definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
        self.events.put_rule(Name="start", EventPattern=json.dumps({"source": ["app"]}))
        self.events.put_targets(Rule="start", Targets=[{"Id": "sm", "Arn": machine, "InputPath": "$.detail",
                                                        "RoleArn": "arn:aws:iam::%s:role/events" % ACCOUNT}])
        self.events.put_events(Entries=[{"Source": "app", "DetailType": "x", "Detail": "{\"who\": \"Smaug\"}"}])
        for _ in range(200):
            executions = sfn.list_executions(stateMachineArn=machine)["executions"]
            if executions:
                break
            self.broker.admin("health")
        described = sfn.describe_execution(executionArn=executions[0]["executionArn"])
        self.assertEqual(json.loads(described["input"]), {"who": "Smaug"})

    def test_input_and_input_transformer_shape_what_the_target_gets(self):
        url = self.queue("shaped")
        self.events.put_rule(Name="shape", EventPattern=json.dumps({"source": ["app"]}))
        self.events.put_targets(Rule="shape", Targets=[
            {"Id": "constant", "Arn": queue_arn("shaped"), "Input": "{\"fixed\": true}"},
            {"Id": "transformed", "Arn": queue_arn("shaped"), "InputTransformer": {
                "InputPathsMap": {"who": "$.detail.who", "source": "$.source"},
                "InputTemplate": "{\"greeting\": \"hello <who>\", \"from\": <source>}"}},
        ])
        self.events.put_events(Entries=[{"Source": "app", "DetailType": "x", "Detail": "{\"who\": \"Smaug\"}"}])
        bodies = [json.loads(m["Body"]) for m in self.receive(url, count=2)]
        self.assertIn({"fixed": True}, bodies)
        self.assertIn({"greeting": "hello Smaug", "from": "app"}, bodies)

    def test_a_failing_target_goes_to_its_dead_letter_queue(self):
        dlq = self.queue("dead-letters")
        self.events.put_rule(Name="lost", EventPattern=json.dumps({"source": ["app"]}))
        self.events.put_targets(Rule="lost", Targets=[{
            "Id": "gone", "Arn": queue_arn("never-created"),
            "DeadLetterConfig": {"Arn": queue_arn("dead-letters")}}])
        sent = self.events.put_events(Entries=[{"Source": "app", "DetailType": "x", "Detail": "{}"}])
        got = self.receive(dlq)
        self.assertEqual(len(got), 1)
        self.assertEqual(json.loads(got[0]["Body"])["id"], sent["Entries"][0]["EventId"])
        attributes = {k: v["StringValue"] for k, v in got[0]["MessageAttributes"].items()}
        self.assertEqual(attributes["TARGET_ARN"], queue_arn("never-created"))
        self.assertTrue(attributes["RULE_ARN"].endswith(":rule/lost"))
        # A missing queue is no reason to retry: straight to the dead letters, with AWS's code.
        self.assertEqual(attributes["ERROR_CODE"], "NO_RESOURCE")
        self.assertEqual(attributes["RETRY_ATTEMPTS"], "0")

    def test_a_disabled_rule_routes_nothing(self):
        url = self.queue("quiet")
        self.events.put_rule(Name="quiet", EventPattern=json.dumps({"source": ["app"]}), State="DISABLED")
        self.events.put_targets(Rule="quiet", Targets=[{"Id": "q", "Arn": queue_arn("quiet")}])
        self.events.put_events(Entries=[{"Source": "app", "DetailType": "x", "Detail": "{}"}])
        self.events.enable_rule(Name="quiet")
        self.events.put_events(Entries=[{"Source": "app", "DetailType": "second", "Detail": "{}"}])
        got = self.receive(url)
        self.assertEqual([json.loads(m["Body"])["detail-type"] for m in got], ["second"])

    def test_a_schedule_fires_when_the_virtual_clock_reaches_it(self):
        url = self.queue("ticks")
        arn = self.events.put_rule(Name="tick", ScheduleExpression="rate(5 minutes)")["RuleArn"]
        self.events.put_targets(Rule="tick", Targets=[{"Id": "q", "Arn": queue_arn("ticks")}])
        self.assertEqual(self.receive(url, wait=0), [])
        self.broker.advance(5 * 60)
        got = self.receive(url)
        self.assertEqual(len(got), 1)
        event = json.loads(got[0]["Body"])
        self.assertEqual((event["source"], event["detail-type"], event["resources"], event["detail"]),
                         ("aws.events", "Scheduled Event", [arn], {}))


class ArchivesAndReplays(EventsTestCase):

    def test_an_archived_window_replays_to_the_buss_rules_marked_with_the_replay_name(self):
        bus = "arn:aws:events:%s:%s:event-bus/default" % (REGION, ACCOUNT)
        archive = self.events.create_archive(ArchiveName="everything", EventSourceArn=bus,
                                             EventPattern=json.dumps({"source": ["app"]}))["ArchiveArn"]
        self.events.put_events(Entries=[{"Source": "app", "DetailType": "early", "Detail": "{}"},
                                        {"Source": "other", "DetailType": "not archived", "Detail": "{}"}])
        start = self.broker.admin("clock")["now_ms"] / 1000.0
        self.broker.advance(60)
        self.events.put_events(Entries=[{"Source": "app", "DetailType": "in window", "Detail": "{}"}])
        self.broker.advance(60)
        end = self.broker.admin("clock")["now_ms"] / 1000.0
        described = self.events.describe_archive(ArchiveName="everything")
        self.assertEqual((described["ArchiveArn"], described["EventCount"], described["State"]),
                         (archive, 2, "ENABLED"))

        url = self.queue("replayed")
        rule = self.events.put_rule(Name="replays", EventPattern=json.dumps({"source": ["app"]}))["RuleArn"]
        self.events.put_targets(Rule="replays", Targets=[{"Id": "q", "Arn": queue_arn("replayed")}])
        self.events.start_replay(ReplayName="window", EventSourceArn=archive, EventStartTime=start + 1,
                                 EventEndTime=end, Destination={"Arn": bus, "FilterArns": [rule]})
        got = self.receive(url)
        self.assertEqual(len(got), 1)
        event = json.loads(got[0]["Body"])
        self.assertEqual((event["detail-type"], event["replay-name"]), ("in window", "window"))
        self.assertEqual(list(event), ["version", "id", "detail-type", "source", "account", "time", "region",
                                       "replay-name", "resources", "detail"])
        replay = self.events.describe_replay(ReplayName="window")
        self.assertEqual(replay["State"], "COMPLETED")
        self.assertEqual([r["ReplayName"] for r in self.events.list_replays()["Replays"]], ["window"])
        code, _, status = self.events_error(self.events.cancel_replay, ReplayName="window")
        self.assertEqual((code, status), ("IllegalStatusException", 400))
        self.assertEqual(self.receive(url, wait=0), [], "the replay sent only its window")

    def test_archive_errors(self):
        bus = "arn:aws:events:%s:%s:event-bus/default" % (REGION, ACCOUNT)
        self.events.create_archive(ArchiveName="a", EventSourceArn=bus)
        self.assertEqual(self.events_error(self.events.create_archive, ArchiveName="a", EventSourceArn=bus)[:2],
                         ("ResourceAlreadyExistsException", "Archive a already exists."))
        self.assertEqual(self.events_error(self.events.describe_archive, ArchiveName="b")[:2],
                         ("ResourceNotFoundException", "Archive b does not exist."))
        archive = self.events.describe_archive(ArchiveName="a")["ArchiveArn"]
        now = self.broker.admin("clock")["now_ms"] / 1000.0
        self.assertEqual(self.events_error(self.events.start_replay, ReplayName="r", EventSourceArn=archive,
                                           EventStartTime=now - 10, EventEndTime=now - 20,
                                           Destination={"Arn": bus})[0], "ValidationException")
        # The archive has its managed rule on the bus, which clients may not change unforced.
        managed = self.events.describe_rule(Name="Events-Archive-a")
        self.assertEqual((managed["ManagedBy"], json.loads(managed["EventPattern"])),
                         ("prod.vhs.events.aws.internal", {"replay-name": [{"exists": False}]}))
        self.assertEqual(self.events_error(self.events.delete_rule, Name="Events-Archive-a"),
                         ("ManagedRuleException",
                          "Events-Archive-a is a managed rule. Set 'force' parameter to true to override.", 400))
        self.assertEqual(self.events_error(self.events.disable_rule, Name="Events-Archive-a")[0],
                         "ManagedRuleException")
        self.events.delete_archive(ArchiveName="a")
        self.assertEqual(self.events.list_archives()["Archives"], [])
        self.assertEqual(self.events.list_rules()["Rules"], [])
        self.assertEqual(self.events_error(self.events.list_archives, EventSourceArn=bus.replace("default", "gone")),
                         ("ResourceNotFoundException", "Event bus gone does not exist.", 400))


class Management(EventsTestCase):

    def test_rules_buses_and_targets_read_back_as_written(self):
        self.events.create_event_bus(Name="orders")
        buses = [b["Name"] for b in self.events.list_event_buses()["EventBuses"]]
        self.assertEqual(sorted(buses), ["default", "orders"])
        pattern = json.dumps({"source": ["shop"]})
        self.events.put_rule(Name="r1", EventBusName="orders", EventPattern=pattern, Description="first")
        rule = self.events.describe_rule(Name="r1", EventBusName="orders")
        self.assertEqual((rule["EventPattern"], rule["State"], rule["Description"], rule["EventBusName"]),
                         (pattern, "ENABLED", "first", "orders"))
        target = {"Id": "t", "Arn": queue_arn("q"), "InputPath": "$.detail"}
        self.events.put_targets(Rule="r1", EventBusName="orders", Targets=[target])
        self.assertEqual(self.events.list_targets_by_rule(Rule="r1", EventBusName="orders")["Targets"], [target])
        self.assertEqual(self.events.list_rule_names_by_target(TargetArn=queue_arn("q"), EventBusName="orders")
                         ["RuleNames"], ["r1"])
        code, message, status = self.events_error(self.events.delete_rule, Name="r1", EventBusName="orders")
        self.assertEqual((code, message, status), ("ValidationException", "Rule can't be deleted since it has targets.", 400))
        self.events.remove_targets(Rule="r1", EventBusName="orders", Ids=["t"])
        self.events.delete_rule(Name="r1", EventBusName="orders")
        self.assertEqual(self.events.list_rules(EventBusName="orders")["Rules"], [])
        # The third state reads back as written; EnableRule makes it plain ENABLED.
        self.events.put_rule(Name="trail", EventPattern=pattern, State="ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
        self.assertEqual(self.events.describe_rule(Name="trail")["State"], "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
        self.events.enable_rule(Name="trail")
        self.assertEqual(self.events.describe_rule(Name="trail")["State"], "ENABLED")

    def test_a_bus_is_described_updated_permitted_and_deleted(self):
        arn = self.events.create_event_bus(Name="ledger")["EventBusArn"]
        described = self.events.describe_event_bus(Name="ledger")
        self.assertEqual((described["Arn"], described["Name"]), (arn, "ledger"))
        # Bus descriptions came after boto3 1.26 (Debian's): only the newer SDK can set them.
        if "UpdateEventBus" in self.events.meta.service_model.operation_names:
            self.events.update_event_bus(Name="ledger", Description="coins")
            self.assertEqual(self.events.describe_event_bus(Name=arn)["Description"], "coins")
        self.events.put_permission(EventBusName="ledger", Action="events:PutEvents", Principal="111122223333",
                                   StatementId="partner")
        policy = json.loads(self.events.describe_event_bus(Name="ledger")["Policy"])
        self.assertEqual([s["Sid"] for s in policy["Statement"]], ["partner"])
        self.events.remove_permission(EventBusName="ledger", StatementId="partner")
        self.assertEqual(self.events_error(self.events.remove_permission, EventBusName="ledger",
                                           StatementId="partner")[0], "ResourceNotFoundException")
        self.assertEqual(self.events.describe_event_bus()["Name"], "default")
        self.events.delete_event_bus(Name="ledger")
        self.assertEqual(self.events_error(self.events.describe_event_bus, Name="ledger")[:2],
                         ("ResourceNotFoundException", "Event bus ledger does not exist."))
        self.assertEqual(self.events_error(self.events.delete_event_bus, Name="default")[:2],
                         ("ValidationException", "Cannot delete event bus default."))

    def test_list_rules_pages_and_filters_by_prefix(self):
        for i in range(12):
            self.events.put_rule(Name="rule-%02d" % i, EventPattern=json.dumps({"source": ["s%d" % i]}))
        self.events.put_rule(Name="other", EventPattern=json.dumps({"source": ["x"]}))
        first = self.events.list_rules(NamePrefix="rule-", Limit=5)
        self.assertEqual(len(first["Rules"]), 5)
        names = [r["Name"] for r in first["Rules"]]
        token = first["NextToken"]
        while token:
            page = self.events.list_rules(NamePrefix="rule-", Limit=5, NextToken=token)
            names += [r["Name"] for r in page["Rules"]]
            token = page.get("NextToken")
        self.assertEqual(names, ["rule-%02d" % i for i in range(12)])

    def test_test_event_pattern_answers_like_a_rule(self):
        event = {"id": "1", "account": ACCOUNT, "source": "app", "time": "2026-01-01T00:00:00Z",
                 "region": REGION, "detail-type": "x", "resources": [], "detail": {"n": 300}}
        self.assertTrue(self.events.test_event_pattern(
            EventPattern=json.dumps({"detail": {"n": [{"numeric": [">", 100]}]}}), Event=json.dumps(event))["Result"])
        self.assertFalse(self.events.test_event_pattern(
            EventPattern=json.dumps({"source": ["other"]}), Event=json.dumps(event))["Result"])
        code, message, status = self.events_error(self.events.test_event_pattern,
                                                  EventPattern=json.dumps({"source": "app"}), Event=json.dumps(event))
        self.assertEqual((code, status), ("InvalidEventPatternException", 400))
        self.assertTrue(message.startswith("Event pattern is not valid. Reason: "), message)

    def test_errors_carry_eventbridges_codes(self):
        self.assertEqual(self.events_error(self.events.describe_rule, Name="missing")[:3:2],
                         ("ResourceNotFoundException", 400))
        self.assertEqual(self.events_error(self.events.describe_rule, Name="missing")[1],
                         "Rule missing does not exist on EventBus default.")
        self.assertEqual(self.events_error(self.events.put_rule, Name="bad name", EventPattern="{}")[0],
                         "ValidationException")
        self.assertEqual(self.events_error(self.events.put_rule, Name="nothing")[1],
                         "Parameter(s) EventPattern or ScheduleExpression must be specified.")
        self.events.create_event_bus(Name="dup")
        self.assertEqual(self.events_error(self.events.create_event_bus, Name="dup")[:2],
                         ("ResourceAlreadyExistsException", "Event bus dup already exists."))
        self.events.put_rule(Name="many", EventPattern=json.dumps({"source": ["x"]}))
        code, _, status = self.events_error(self.events.put_targets, Rule="many", Targets=[
            {"Id": str(i), "Arn": queue_arn("q%d" % i)} for i in range(6)])
        self.assertEqual((code, status), ("LimitExceededException", 400))
        unchecked = boto3.client("events", endpoint_url=self.broker.endpoint, region_name=REGION,
                                 aws_access_key_id="test", aws_secret_access_key="test",
                                 config=botocore.config.Config(parameter_validation=False))
        self.assertEqual(self.events_error(unchecked.put_targets, Rule="many", Targets=[
            {"Id": "r", "Arn": queue_arn("q"), "RetryPolicy": {"MaximumRetryAttempts": 186,
                                                               "MaximumEventAgeInSeconds": 59}}])[:2],
                         ("ValidationException",
                          "2 validation errors detected: Value '186' at 'targets.1.member.retryPolicy."
                          "maximumRetryAttempts' failed to satisfy constraint: Member must have value less "
                          "than or equal to 185; Value '59' at 'targets.1.member.retryPolicy."
                          "maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value "
                          "greater than or equal to 60"))
        code, _, status = self.events_error(self.events.list_endpoints)
        self.assertEqual((code, status), ("NotImplemented", 501))

    def test_put_events_reports_bad_entries_one_by_one(self):
        result = self.events.put_events(Entries=[
            {"Source": "app", "DetailType": "x", "Detail": "not json"},
            {"Source": "app", "DetailType": "x", "Detail": "{}"},
            {"Source": "app", "DetailType": "x", "Detail": "{}", "EventBusName": "nowhere"},
        ])
        self.assertEqual(result["FailedEntryCount"], 1)
        self.assertEqual(result["Entries"][0], {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."})
        self.assertIn("EventId", result["Entries"][1])
        # AWS accepts an event for a bus that does not exist and drops it (LocalStack's
        # AWS-validated test_put_events_nonexistent_event_bus; aws/aws-cli#9186).
        self.assertIn("EventId", result["Entries"][2])

    def test_members_of_the_wrong_json_type_never_bring_the_broker_down(self):
        unchecked = boto3.client("events", endpoint_url=self.broker.endpoint, region_name=REGION,
                                 aws_access_key_id="test", aws_secret_access_key="test",
                                 config=botocore.config.Config(retries={"max_attempts": 1},
                                                               parameter_validation=False))
        self.queue("typed.fifo", FifoQueue="true", ContentBasedDeduplication="true")
        unchecked.put_rule(Name="typed", EventPattern=json.dumps({"source": ["app"]}))
        unchecked.put_targets(Rule="typed", Targets=[{
            "Id": "q", "Arn": queue_arn("typed.fifo"), "SqsParameters": {"MessageGroupId": 5},
            "DeadLetterConfig": {"Arn": 7}, "RoleArn": 9}])
        unchecked.put_events(Entries=[{"Source": "app", "DetailType": "x", "Detail": "{}"}])
        unchecked.put_permission(Policy=json.dumps({"Version": "2012-10-17", "Statement": {
            "Sid": "one", "Effect": "Allow", "Principal": "*", "Action": "events:PutEvents", "Resource": "*"}}))
        unchecked.put_permission(Action="events:PutEvents", Principal="111122223333", StatementId="two")
        unchecked.put_events(Entries=[{"Source": "app", "DetailType": "deep",
                                       "Detail": "{\"a\":" * 5000 + "1" + "}" * 5000}])
        self.assertEqual(self.broker.admin("health")["status"], "ok")
        self.assertEqual([s["Sid"] for s in json.loads(self.events.describe_event_bus()["Policy"])["Statement"]],
                         ["one", "two"])

    def test_tags_on_rules_and_buses(self):
        bus = self.events.create_event_bus(Name="tagged", Tags=[{"Key": "team", "Value": "dragons"}])["EventBusArn"]
        rule = self.events.put_rule(Name="r", EventPattern=json.dumps({"source": ["x"]}))["RuleArn"]
        self.events.tag_resource(ResourceARN=rule, Tags=[{"Key": "k", "Value": "v"}])
        self.assertEqual(self.events.list_tags_for_resource(ResourceARN=rule)["Tags"], [{"Key": "k", "Value": "v"}])
        self.assertEqual(self.events.list_tags_for_resource(ResourceARN=bus)["Tags"], [{"Key": "team", "Value": "dragons"}])
        self.events.untag_resource(ResourceARN=rule, TagKeys=["k"])
        self.assertEqual(self.events.list_tags_for_resource(ResourceARN=rule)["Tags"], [])


class Durability(unittest.TestCase):
    def test_rules_and_schedules_survive_a_restart_without_firing_twice(self):
        data, cleanup = temp_dir()
        self.addCleanup(cleanup)
        broker = Broker(data_dir=data).start()
        events, sqs = events_client(broker), broker.sqs()
        url = sqs.create_queue(QueueName="ticks")["QueueUrl"]
        events.put_rule(Name="tick", ScheduleExpression="rate(1 hour)")
        events.put_targets(Rule="tick", Targets=[{"Id": "q", "Arn": queue_arn("ticks")}])
        broker.advance(3600)
        first = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10).get("Messages", [])
        self.assertEqual(len(first), 1)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
        broker.stop()

        broker = Broker(data_dir=data).start()
        self.addCleanup(broker.stop)
        events, sqs = events_client(broker), broker.sqs()
        self.assertEqual(events.describe_rule(Name="tick")["ScheduleExpression"], "rate(1 hour)")
        self.assertEqual(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []), [],
                         "the restart did not fire the schedule again")
        broker.advance(3600)
        self.assertEqual(len(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10).get("Messages", [])), 1)


if __name__ == "__main__":
    unittest.main()
