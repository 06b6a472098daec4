"""The EventBridge pattern table (tests/events/patterns.json) through a real broker and boto3.

Each "match" row names a pattern, an event and whether AWS says the one matches the other. The
row's event holds only what the row is about; it is laid over the table's "envelope" (id,
account, source, time, region, detail-type, resources, detail) to make a whole event.

- TestEventPattern: every row, with the whole event, must answer the row's "expected".
- PutEvents: every row whose event PutEvents can carry (Source, DetailType, Detail, Resources
  and Time; the broker stamps id, account and region, so rows that need other values say
  "put_events": false) gets an event bus of its own with two rules: the row's pattern, targeting
  the row's queue, and a rule every event matches, targeting one shared queue. The row's rule is
  made first, so its delivery is handed to SQS first; once the shared queue holds every row's
  event, each row's queue holds that event exactly when the pattern matched it. No sleeping.
- Every "invalid" row is refused by PutRule and by TestEventPattern with
  InvalidEventPatternException, status 400 and the row's exact message.

Rows marked "pending" disagree with AWS today; they are reported as skipped, not run.

Numbers in the table are sent exactly as written (3e2 stays 3e2), so rows can tell number
spellings apart.
"""
import datetime
import json
import os
import re
import unittest

import boto3
import botocore.config

from harness import ACCOUNT, REGION, BrokerTestCase

TABLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "events",
                     "patterns.json")
PUT_EVENTS_FIELDS = {"source", "detail-type", "detail", "resources", "time"}
EVERY_EVENT = '{"version": ["0"]}'
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


class Number(str):
    """A JSON number as the table writes it."""


def load_table():
    with open(TABLE, encoding="utf-8") as f:
        return json.load(f, parse_int=Number, parse_float=Number)


def to_json(value):
    """JSON text for a table value, numbers exactly as the table writes them."""
    if isinstance(value, Number):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(json.dumps(k, ensure_ascii=False) + ": " + to_json(v)
                               for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_json(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def events_client(broker):
    return boto3.client("events", endpoint_url=broker.endpoint, region_name=REGION,
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=botocore.config.Config(retries={"max_attempts": 1}))


def queue_arn(name):
    return "arn:aws:sqs:%s:%s:%s" % (REGION, ACCOUNT, name)


def event_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


class PatternTable(BrokerTestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.events = events_client(cls.broker)
        cls.table = load_table()
        cls.envelope = cls.table["envelope"]

    def whole_event(self, row):
        event = dict(self.envelope)
        event.update(row["event"])
        return event

    def runnable(self, rows):
        return [r for r in rows if "pending" not in r]

    def put_events_rows(self):
        return [r for r in self.runnable(self.table["match"]) if r.get("put_events", True)]

    def test_the_table_is_well_formed(self):
        match, invalid = self.table["match"], self.table["invalid"]
        self.assertGreaterEqual(len(match), 260)
        self.assertGreaterEqual(len(invalid), 50)
        names = [r["name"] for r in match + invalid]
        self.assertEqual(len(names), len(set(names)), "row names are unique")
        # PutEvents' events get the bus's account and region: the envelope must agree.
        self.assertEqual((self.envelope["account"], self.envelope["region"]), (ACCOUNT, REGION))
        problems = []
        for row in match:
            if not isinstance(row["expected"], bool) or not row["why"] or not isinstance(row["pattern"], dict):
                problems.append("%s: needs a pattern, a boolean expected and a why" % row["name"])
            if "pending" in row and not row["pending"]:
                problems.append("%s: a pending row says why" % row["name"])
            if not row.get("put_events", True):
                continue
            event = self.whole_event(row)
            if set(row["event"]) - PUT_EVENTS_FIELDS:
                problems.append("%s: PutEvents cannot set %s" % (row["name"], sorted(set(row["event"]) - PUT_EVENTS_FIELDS)))
            if not isinstance(event["detail"], dict):
                problems.append("%s: PutEvents needs a JSON object as Detail" % row["name"])
            if not event["source"] or event["source"].startswith("aws."):
                problems.append("%s: PutEvents refuses the source %r" % (row["name"], event["source"]))
            if not event["detail-type"] or not TIME.match(event["time"]):
                problems.append("%s: PutEvents needs a detail-type and a whole-second time" % row["name"])
            if not all(isinstance(r, str) for r in event["resources"]):
                problems.append("%s: resources are strings" % row["name"])
        for row in invalid:
            if row["source"] not in ("aws", "engine") or not row["error"].startswith("Event pattern is not valid. Reason: "):
                problems.append("%s: needs a source (aws or engine) and an InvalidEventPatternException message" % row["name"])
        self.assertEqual(problems, [])

    def test_test_event_pattern_answers_every_match_row(self):
        wrong = []
        for row in self.runnable(self.table["match"]):
            try:
                result = self.events.test_event_pattern(EventPattern=to_json(row["pattern"]),
                                                        Event=to_json(self.whole_event(row)))["Result"]
            except self.events.exceptions.ClientError as e:
                wrong.append("%s: %s %s" % (row["name"], e.response["Error"]["Code"], e.response["Error"]["Message"]))
                continue
            if result is not row["expected"]:
                wrong.append("%s: answered %s, expected %s (%s)" % (row["name"], result, row["expected"], row["why"]))
        self.assertEqual(wrong, [], "%d rows disagree" % len(wrong))

    def test_put_events_delivers_exactly_the_matching_events(self):
        rows = self.put_events_rows()
        shared = self.sqs.create_queue(QueueName="every-event")["QueueUrl"]
        for i, row in enumerate(rows):
            bus = "row-%d" % i
            self.events.create_event_bus(Name=bus)
            self.sqs.create_queue(QueueName=bus)
            # The row's rule first: its delivery is then handed to SQS before the shared one.
            self.events.put_rule(Name="row", EventBusName=bus, EventPattern=to_json(row["pattern"]))
            self.events.put_targets(Rule="row", EventBusName=bus, Targets=[{"Id": "row", "Arn": queue_arn(bus)}])
            self.events.put_rule(Name="every", EventBusName=bus, EventPattern=EVERY_EVENT)
            self.events.put_targets(Rule="every", EventBusName=bus,
                                    Targets=[{"Id": "every", "Arn": queue_arn("every-event")}])

        ids = {}
        for start in range(0, len(rows), 10):
            entries = []
            for i in range(start, min(start + 10, len(rows))):
                event = self.whole_event(rows[i])
                entries.append({"EventBusName": "row-%d" % i, "Source": event["source"],
                                "DetailType": event["detail-type"], "Detail": to_json(event["detail"]),
                                "Resources": event["resources"], "Time": event_time(event["time"])})
            sent = self.events.put_events(Entries=entries)
            self.assertEqual(sent["FailedEntryCount"], 0, sent["Entries"])
            for i, entry in zip(range(start, start + len(entries)), sent["Entries"]):
                ids[entry["EventId"]] = i

        # Wait until every event has been routed and handed to SQS.
        seen = set()
        while len(seen) < len(rows):
            got = self.sqs.receive_message(QueueUrl=shared, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=5).get("Messages", [])
            self.assertTrue(got, "deliveries stopped after %d of %d events" % (len(seen), len(rows)))
            for m in got:
                event_id = json.loads(m["Body"])["id"]
                self.assertIn(event_id, ids)
                self.assertNotIn(event_id, seen, "the shared rule delivered an event twice")
                seen.add(event_id)
            self.sqs.delete_message_batch(QueueUrl=shared, Entries=[
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(got)])

        by_row = {i: event_id for event_id, i in ids.items()}
        wrong = []
        for i, row in enumerate(rows):
            got = self.sqs.receive_message(QueueUrl=self.url("row-%d" % i), MaxNumberOfMessages=10,
                                           WaitTimeSeconds=0).get("Messages", [])
            delivered = [json.loads(m["Body"]) for m in got]
            if bool(delivered) != row["expected"]:
                wrong.append("%s: %s, expected %s (%s)" % (row["name"], "delivered" if delivered else "not delivered",
                                                          row["expected"], row["why"]))
            elif delivered and [e["id"] for e in delivered] != [by_row[i]]:
                wrong.append("%s: the queue holds %s, not the row's event" % (row["name"], [e["id"] for e in delivered]))
        self.assertEqual(wrong, [], "%d of %d rows disagree" % (len(wrong), len(rows)))

    def test_every_invalid_pattern_is_refused_with_awss_message(self):
        event = to_json(self.envelope)
        wrong = []
        for i, row in enumerate(self.runnable(self.table["invalid"])):
            calls = [("PutRule", self.events.put_rule, {"Name": "invalid-%d" % i, "EventPattern": row["pattern_text"]}),
                     ("TestEventPattern", self.events.test_event_pattern,
                      {"EventPattern": row["pattern_text"], "Event": event})]
            for api, call, kwargs in calls:
                try:
                    call(**kwargs)
                    wrong.append("%s: %s accepted the pattern" % (row["name"], api))
                    continue
                except self.events.exceptions.ClientError as e:
                    answer = (e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"],
                              e.response["Error"]["Message"])
                if answer != ("InvalidEventPatternException", 400, row["error"]):
                    wrong.append("%s: %s answered %r, expected %r" % (row["name"], api, answer, row["error"]))
        self.assertEqual(wrong, [], "%d answers disagree" % len(wrong))

    def test_pending_rows_are_counted(self):
        pending = [r for r in self.table["match"] + self.table["invalid"] if "pending" in r]
        for row in pending:
            with self.subTest(row=row["name"]):
                self.skipTest("pending: " + row["pending"])


if __name__ == "__main__":
    unittest.main()
