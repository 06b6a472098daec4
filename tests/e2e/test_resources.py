"""The resources file (`wyvern --config FILE`) and its HTTP routes: a full file provisions every
kind of resource; a restart with it changes nothing and loses nothing; a changed file updates
what changed; each bad file in a table fails the start with a message naming the file, the place
in it and what is wrong, and starts nothing; routes shape requests with their templates, inject
fixed values, validate bodies against their models and answer unknown paths."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request

import boto3
import botocore.config

from harness import ACCOUNT, BINARY, REGION, Broker, sfn_client

QUEUE_ARN = "arn:aws:sqs:%s:%s:%%s" % (REGION, ACCOUNT)
MACHINE_ARN = "arn:aws:states:%s:%s:stateMachine:%%s" % (REGION, ACCOUNT)

HATCH = {"StartAt": "Hatch", "States": {"Hatch": {
    "Type": "Task", "Resource": "arn:aws:lambda:us-east-1:000000000000:function:hatch", "End": True}}}
HATCH_SCRIPT = "import json, sys\nevent = json.load(sys.stdin)\nprint(json.dumps({'hatched': event['egg'] + ' dragon'}))\n"

FULL = {
    "queues": {
        "sightings": {"Attributes": {"VisibilityTimeout": 45, "RedrivePolicy": {
            "deadLetterTargetArn": QUEUE_ARN % "lost", "maxReceiveCount": 3}}, "Tags": {"team": "dragons"}},
        "lost": {},
        "ordered.fifo": {"Attributes": {"FifoQueue": True, "ContentBasedDeduplication": True}},
    },
    "topics": {"alerts": {"Attributes": {"DisplayName": "Dragon alerts"}, "Subscriptions": [
        {"Protocol": "sqs", "Endpoint": QUEUE_ARN % "sightings",
         "Attributes": {"RawMessageDelivery": "true", "FilterPolicy": {"colour": ["red"]}}}]}},
    "buses": {"dragons": {"Description": "where sightings go"}},
    "rules": {"seen": {"EventBusName": "dragons", "EventPattern": {"source": ["dragons"]},
                       "Targets": [{"Id": "queue", "Arn": QUEUE_ARN % "sightings"}]}},
    "stateMachines": {"hatchery": {"definitionFile": "hatch.asl.json"},
                      "quick": {"type": "EXPRESS", "definition": {
                          "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}},
    "functions": {"hatch": {"command": ["/usr/bin/python3", "./hatch.py"]}},
    "routes": [
        {"method": "POST", "path": "/dragons", "action": "states:StartExecution",
         "model": {"type": "object", "required": ["egg"], "properties": {
             "egg": {"type": "string", "enum": ["red", "gold", "green"]}}},
         "request": {"stateMachineArn": MACHINE_ARN % "hatchery", "input.$": "$.body"}},
        {"method": "POST", "path": "/nests/{nest}/eggs", "action": "sqs:SendMessage",
         "request": {"QueueUrl": "http://localhost/%s/sightings" % ACCOUNT,
                     "MessageBody": {"nest.$": "$.path.nest", "egg.$": "$.body.egg", "by.$": "$.query.by"}}},
        {"method": "POST", "path": "/alerts", "action": "sns:Publish",
         "request": {"TopicArn": "arn:aws:sns:%s:%s:alerts" % (REGION, ACCOUNT), "Message.$": "$.body.text",
                     "MessageAttributes": {"colour": {"DataType": "String", "StringValue.$": "$.body.colour"}}}},
        {"method": "PUT", "path": "/events", "action": "events:PutEvents",
         "request": {"Entries": [{"EventBusName": "dragons", "Source": "dragons", "DetailType": "Sighting",
                                  "Detail.$": "$.body"}]}},
    ],
}


def client(service, broker):
    return boto3.client(service, endpoint_url=broker.endpoint, region_name=REGION, aws_access_key_id="test",
                        aws_secret_access_key="test", config=botocore.config.Config(retries={"max_attempts": 1}))


def http(broker, method, path, body=None):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    request = urllib.request.Request(broker.endpoint + path, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


class ResourcesTestCase(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.data = os.path.join(self.dir, "data")
        self.brokers = []
        with open(os.path.join(self.dir, "hatch.asl.json"), "w") as f:
            json.dump(HATCH, f)
        with open(os.path.join(self.dir, "hatch.py"), "w") as f:
            f.write(HATCH_SCRIPT)

    def tearDown(self):
        for b in self.brokers:
            b.stop()
        shutil.rmtree(self.dir)

    def write(self, document, name="wyvern.json"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(document if isinstance(document, str) else json.dumps(document))
        return path

    def start(self, document, durable=True):
        broker = Broker(data_dir=self.data if durable else None, extra_args=["--config", self.write(document)])
        self.brokers.append(broker.start())
        self.sqs = broker.sqs()
        return broker

    def restart(self, document):
        self.brokers.pop().stop()
        return self.start(document)


class Provisioning(ResourcesTestCase):
    def test_a_full_file_provisions_every_kind_of_resource(self):
        broker = self.start(FULL)
        url = self.sqs.get_queue_url(QueueName="sightings")["QueueUrl"]
        attributes = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attributes["VisibilityTimeout"], "45")
        self.assertEqual(json.loads(attributes["RedrivePolicy"]),
                         {"deadLetterTargetArn": QUEUE_ARN % "lost", "maxReceiveCount": 3})
        self.assertEqual(self.sqs.list_queue_tags(QueueUrl=url)["Tags"], {"team": "dragons"})
        fifo = self.sqs.get_queue_url(QueueName="ordered.fifo")["QueueUrl"]
        self.assertEqual(self.sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["ContentBasedDeduplication"])[
            "Attributes"]["ContentBasedDeduplication"], "true")

        sns = client("sns", broker)
        topic = "arn:aws:sns:%s:%s:alerts" % (REGION, ACCOUNT)
        self.assertEqual(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"], "Dragon alerts")
        for colour in ("blue", "red"):
            sns.publish(TopicArn=topic, Message="a %s dragon" % colour,
                        MessageAttributes={"colour": {"DataType": "String", "StringValue": colour}})
        events = client("events", broker)
        events.put_events(Entries=[{"EventBusName": "dragons", "Source": "dragons", "DetailType": "Sighting",
                                    "Detail": json.dumps({"where": "Dale"})}])
        bodies = self.drain(url, 2)
        self.assertIn("a red dragon", bodies)
        self.assertNotIn("a blue dragon", bodies)
        self.assertEqual(json.loads(next(b for b in bodies if b.startswith("{")))["detail"], {"where": "Dale"})
        described = events.describe_event_bus(Name="dragons")
        self.assertEqual(described["Name"], "dragons")
        if "Description" in events.meta.service_model.operation_model("DescribeEventBus").output_shape.members:
            self.assertEqual(described["Description"], "where sightings go")  # boto3 1.26 predates it

        sfn = sfn_client(broker)
        run = sfn.start_execution(stateMachineArn=MACHINE_ARN % "hatchery", input=json.dumps({"egg": "red"}))
        self.assertEqual(json.loads(self.finished(sfn, run["executionArn"])["output"]), {"hatched": "red dragon"})
        self.assertEqual(sfn.describe_state_machine(stateMachineArn=MACHINE_ARN % "quick")["type"], "EXPRESS")

    def test_dead_letter_queues_are_made_before_the_queues_that_use_them(self):
        # By name "orders" comes before "orders-dlq", and "a" before "b" before "c": each queue's
        # dead-letter target must exist when it is created, whatever the names.
        def redrive(target):
            return {"Attributes": {"RedrivePolicy": {"deadLetterTargetArn": QUEUE_ARN % target, "maxReceiveCount": 2}}}
        self.start({"queues": {"orders": redrive("orders-dlq"), "orders-dlq": {},
                               "a": redrive("b"), "b": redrive("c"), "c": {}}})
        for name, target in (("orders", "orders-dlq"), ("a", "b"), ("b", "c")):
            url = self.sqs.get_queue_url(QueueName=name)["QueueUrl"]
            policy = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]
            self.assertEqual(json.loads(policy["RedrivePolicy"])["deadLetterTargetArn"], QUEUE_ARN % target)

    def drain(self, url, count):
        bodies = []
        while len(bodies) < count:
            got = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=5).get("Messages", [])
            self.assertTrue(got, "only %r arrived" % bodies)
            for m in got:
                bodies.append(m["Body"])
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return bodies

    def finished(self, sfn, arn):
        import time
        for _ in range(500):
            described = sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING":
                return described
            time.sleep(0.02)
        self.fail("still running")

    def test_a_restart_with_the_same_file_changes_nothing_and_loses_nothing(self):
        broker = self.start(FULL)
        url = self.sqs.get_queue_url(QueueName="sightings")["QueueUrl"]
        self.sqs.send_message(QueueUrl=url, MessageBody="kept")
        sfn = sfn_client(broker)
        before = sfn.describe_state_machine(stateMachineArn=MACHINE_ARN % "hatchery")
        subscriptions = client("sns", broker).list_subscriptions()["Subscriptions"]
        rules = client("events", broker).list_rules(EventBusName="dragons")["Rules"]
        broker = self.restart(FULL)
        sfn = sfn_client(broker)
        after = sfn.describe_state_machine(stateMachineArn=MACHINE_ARN % "hatchery")
        for described in (before, after):
            described.pop("ResponseMetadata")
        self.assertEqual(after, before)  # not even a new revision
        self.assertEqual(client("sns", broker).list_subscriptions()["Subscriptions"], subscriptions)
        self.assertEqual(client("events", broker).list_rules(EventBusName="dragons")["Rules"], rules)
        self.assertEqual([m["Body"] for m in self.sqs.receive_message(QueueUrl=url)["Messages"]], ["kept"])
        self.assertEqual(len(self.sqs.list_queues()["QueueUrls"]), 3)

    def test_a_changed_file_updates_what_changed(self):
        self.start(FULL)
        changed = json.loads(json.dumps(FULL))
        changed["queues"]["sightings"]["Attributes"]["VisibilityTimeout"] = 90
        changed["stateMachines"]["quick"]["definition"]["States"]["P"]["Result"] = "changed"
        changed["topics"]["alerts"]["Subscriptions"][0]["Attributes"]["FilterPolicy"] = {"colour": ["gold"]}
        changed["queues"]["extra"] = {}
        broker = self.restart(changed)
        url = self.sqs.get_queue_url(QueueName="sightings")["QueueUrl"]
        self.assertEqual(self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])[
            "Attributes"]["VisibilityTimeout"], "90")
        self.assertEqual(self.sqs.get_queue_url(QueueName="extra")["QueueUrl"].rsplit("/", 1)[1], "extra")
        definition = json.loads(sfn_client(broker).describe_state_machine(
            stateMachineArn=MACHINE_ARN % "quick")["definition"])
        self.assertEqual(definition["States"]["P"]["Result"], "changed")
        sns = client("sns", broker)
        subscription = sns.list_subscriptions()["Subscriptions"]
        self.assertEqual(len(subscription), 1)
        policy = sns.get_subscription_attributes(SubscriptionArn=subscription[0]["SubscriptionArn"])["Attributes"]
        self.assertEqual(json.loads(policy["FilterPolicy"]), {"colour": ["gold"]})


BAD_FILES = [
    # (what, document, the message's tail after "<file>: ")
    ("not JSON", "{\"queues\": ", "is not JSON"),
    ("a top-level array", [], "$: must be an object"),
    ("an unknown section", {"lambdas": {}}, "$.lambdas: unknown member; expected one of"),
    ("a misspelt queue member", {"queues": {"q": {"Attributs": {}}}},
     "$.queues.q.Attributs: unknown member; expected one of Attributes, Tags"),
    ("queue attributes not an object", {"queues": {"q": {"Attributes": [1]}}}, "$.queues.q.Attributes: must be an object"),
    ("a queue attribute SQS refuses", {"queues": {"q": {"Attributes": {"VisibilityTimeout": 99999}}}},
     "$.queues.q: InvalidAttributeValue: Invalid value for the parameter VisibilityTimeout."),
    ("an unknown queue attribute", {"queues": {"q": {"Attributes": {"Colour": "red"}}}},
     "$.queues.q: InvalidAttributeName: Unknown Attribute Colour."),
    ("a subscription without an endpoint", {"topics": {"t": {"Subscriptions": [{"Protocol": "sqs"}]}}},
     "$.topics.t.Subscriptions[0].Endpoint: is required, a string"),
    ("a subscription to a queue ARN SNS refuses", {"topics": {"t": {"Subscriptions": [
        {"Protocol": "sqs", "Endpoint": "not-an-arn"}]}}}, "$.topics.t.Subscriptions[0]: InvalidParameter"),
    ("a rule without a pattern or schedule", {"rules": {"r": {}}},
     "$.rules.r: needs an EventPattern or a ScheduleExpression"),
    ("an invalid event pattern", {"rules": {"r": {"EventPattern": {"source": "dragons"}}}},
     "$.rules.r: InvalidEventPatternException: Event pattern is not valid. Reason: "),
    ("a rule on a bus that does not exist", {"rules": {"r": {"EventBusName": "nowhere",
                                                             "EventPattern": {"source": ["x"]}}}},
     "$.rules.r: ResourceNotFoundException: Event bus nowhere does not exist."),
    ("a state machine without a definition", {"stateMachines": {"m": {}}},
     "$.stateMachines.m: needs exactly one of definition and definitionFile"),
    ("a definition file that is missing", {"stateMachines": {"m": {"definitionFile": "missing.json"}}},
     "$.stateMachines.m.definitionFile: "),
    ("an invalid definition", {"stateMachines": {"m": {"definition": {"StartAt": "Nowhere", "States": {}}}}},
     "$.stateMachines.m: InvalidDefinition: Invalid State Machine Definition: "),
    ("a function with neither command nor url", {"functions": {"f": {}}},
     "$.functions.f: needs exactly one of command and url"),
    ("a route with an unknown action", {"routes": [{"method": "POST", "path": "/x", "action": "lambda:Invoke"}]},
     "$.routes[0].action: must be one of "),
    ("a route on the admin surface", {"routes": [{"method": "GET", "path": "/_wyvern/x", "action": "sqs:SendMessage"}]},
     "$.routes[0].path: must start with / (and not with /_wyvern)"),
    ("a mock configuration without its members", {"mocks": {"StateMachines": {}}},
     "$.mocks: needs StateMachines and MockedResponses"),
    # A file whose first resources are good and whose last is refused starts nothing at all.
    ("a late refusal", {"queues": {"good": {}}, "stateMachines": {"bad": {"definition": {"StartAt": "X"}}}},
     "$.stateMachines.bad: InvalidDefinition"),
]


class BadFiles(ResourcesTestCase):
    def test_each_bad_file_fails_the_start_with_a_clear_message_and_starts_nothing(self):
        for what, document, message in BAD_FILES:
            with self.subTest(what):
                path = self.write(document, "bad.json")
                done = subprocess.run([BINARY, "--port", "0", "--data-dir", self.data, "--config", path],
                                      capture_output=True, text=True, timeout=30)
                self.assertEqual(done.returncode, 1, done.stdout + done.stderr)
                self.assertNotIn("listening", done.stdout)
                self.assertTrue(done.stderr.startswith("wyvern: %s: %s" % (path, message)), done.stderr)
        # Nothing of any of them was made: the store is as empty as it started.
        broker = Broker(data_dir=self.data).start()
        self.brokers.append(broker)
        self.assertNotIn("QueueUrls", broker.sqs().list_queues())
        self.assertEqual(sfn_client(broker).list_state_machines()["stateMachines"], [])


class Routes(ResourcesTestCase):
    def test_a_route_starts_an_execution_with_its_injected_arn(self):
        broker = self.start(FULL, durable=False)
        status, answer = http(broker, "POST", "/dragons", {"egg": "gold"})
        self.assertEqual(status, 200, answer)
        self.assertEqual(sorted(answer), ["executionArn", "startDate"])
        self.assertTrue(answer["executionArn"].startswith("arn:aws:states:us-east-1:000000000000:execution:hatchery:"))
        sfn = sfn_client(broker)
        described = Provisioning.finished(self, sfn, answer["executionArn"])
        self.assertEqual(json.loads(described["input"]), {"egg": "gold"})

    def test_a_model_refuses_a_bad_body_with_400(self):
        broker = self.start(FULL, durable=False)
        for body in ({}, {"egg": "stone"}, {"egg": 7}):
            status, answer = http(broker, "POST", "/dragons", body)
            self.assertEqual((status, answer["message"]), (400, "Invalid request body"), body)
            self.assertTrue(answer["errors"])
        status, answer = http(broker, "POST", "/dragons", b"not json")
        self.assertEqual(status, 400)
        self.assertEqual(sfn_client(broker).list_executions(stateMachineArn=MACHINE_ARN % "hatchery")["executions"], [])

    def test_a_template_maps_path_query_and_body_into_a_message(self):
        broker = self.start(FULL, durable=False)
        status, answer = http(broker, "POST", "/nests/erebor/eggs?by=bilbo", {"egg": "gold"})
        self.assertEqual(status, 200, answer)
        self.assertIn("MessageId", answer)
        url = self.sqs.get_queue_url(QueueName="sightings")["QueueUrl"]
        got = self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
        self.assertEqual(json.loads(got[0]["Body"]), {"nest": "erebor", "egg": "gold", "by": "bilbo"})
        status, answer = http(broker, "POST", "/nests/erebor/eggs", {"egg": "gold"})
        self.assertEqual((status, answer["message"]), (400, "the request has nothing at $.query.by"))

    def test_publish_and_put_events_routes(self):
        broker = self.start(FULL, durable=False)
        status, answer = http(broker, "POST", "/alerts", {"text": "a red dragon", "colour": "red"})
        self.assertEqual(status, 200, answer)
        status, answer = http(broker, "PUT", "/events", {"where": "Dale"})
        self.assertEqual((status, answer["FailedEntryCount"]), (200, 0))
        bodies = Provisioning.drain(self, self.sqs.get_queue_url(QueueName="sightings")["QueueUrl"], 2)
        self.assertIn("a red dragon", bodies)

    def test_unknown_routes_and_methods(self):
        broker = self.start(FULL, durable=False)
        self.assertEqual(http(broker, "POST", "/griffins", {}), (404, {"message": "No route for POST /griffins"}))
        self.assertEqual(http(broker, "GET", "/dragons"), (405, {"message": "Method Not Allowed"}))
        # AWS requests still reach the services.
        self.assertIn("QueueUrls", self.sqs.list_queues())


if __name__ == "__main__":
    unittest.main()
