"""SNS delivering to an HTTP endpoint that the test runs itself, through a real boto3 client:
the subscription handshake (SubscriptionConfirmation, SubscribeURL, ConfirmSubscription),
notifications with AWS's headers and envelope, signatures checked against the certificate at
SigningCertURL the way SNS message validators check them, raw delivery, retries under the
default and a custom DeliveryPolicy on the broker's virtual clock, dead-letter queues, and the
UnsubscribeConfirmation.

What AWS does is taken from its documentation ("Parsing message formats", "HTTP/HTTPS headers",
"Verifying the signatures of Amazon SNS messages", "Amazon SNS message delivery retries",
"Amazon SNS dead-letter queues") and from HTTP exchanges recorded against AWS in LocalStack's
AWS-validated snapshots (tests/aws/services/sns/test_sns.snapshot.json, TestSNSSubscriptionHttp).

Deliveries are asynchronous. A test waits for the endpoint to be reached (a bounded wait for
I/O, never a timing assertion), and moves time only with the broker's virtual clock. Before it
moves the clock after a failed attempt it waits until the broker has taken the attempt's answer
in (see Endpoint.settle), so that the retry is scheduled against the time the test expects."""
import base64
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections import OrderedDict

import boto3
import botocore.config

from harness import ACCOUNT, REGION, BrokerTestCase

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
except ImportError:  # verify with the openssl command instead
    x509 = None

NS = "{http://sns.amazonaws.com/doc/2010-03-31/}"
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
USER_AGENT = "Amazon Simple Notification Service Agent"
TEXT_PLAIN = "text/plain; charset=UTF-8"
# The envelopes' fields in the order AWS writes them ("Parsing message formats").
CONFIRMATION_FIELDS = ["Type", "MessageId", "Token", "TopicArn", "Message", "SubscribeURL", "Timestamp",
                       "SignatureVersion", "Signature", "SigningCertURL"]
NOTIFICATION_FIELDS = ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion",
                       "Signature", "SigningCertURL", "UnsubscribeURL", "MessageAttributes"]
# What is signed, per "Verifying the signatures of Amazon SNS messages": these fields, when
# present, as "Name\nvalue\n", in byte order of the names.
SIGNED = {
    "Notification": ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
    "SubscriptionConfirmation": ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
    "UnsubscribeConfirmation": ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
}
WAIT = 5.0  # seconds an asynchronous delivery may take to reach the endpoint
QUIET = 0.3  # how long "nothing more arrives" is watched for


def sns_client(broker):
    return boto3.client("sns", endpoint_url=broker.endpoint, region_name=REGION,
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=botocore.config.Config(retries={"max_attempts": 1}))


def queue_arn(name):
    return "arn:aws:sqs:%s:%s:%s" % (REGION, ACCOUNT, name)


def string_to_sign(message):
    return "".join("%s\n%s\n" % (name, message[name]) for name in SIGNED[message["Type"]] if name in message)


def signature_is_valid(message, certificate_pem):
    """True if message["Signature"] is the certificate's key's RSA PKCS#1 v1.5 signature of the
    string to sign: SHA1 for SignatureVersion 1, SHA256 for 2."""
    digest = {"1": "sha1", "2": "sha256"}[message["SignatureVersion"]]
    data = string_to_sign(message).encode("utf-8")
    signature = base64.b64decode(message["Signature"])
    if x509 is not None:
        key = x509.load_pem_x509_certificate(certificate_pem).public_key()
        algorithm = hashes.SHA1() if digest == "sha1" else hashes.SHA256()
        try:
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
            return True
        except InvalidSignature:
            return False
    work = tempfile.mkdtemp(prefix="sns-signature-")
    try:
        paths = {n: os.path.join(work, n) for n in ("cert.pem", "key.pem", "data", "sig")}
        for name, content in (("cert.pem", certificate_pem), ("data", data), ("sig", signature)):
            with open(paths[name], "wb") as f:
                f.write(content)
        subprocess.run(["openssl", "x509", "-in", paths["cert.pem"], "-pubkey", "-noout", "-out", paths["key.pem"]],
                       check=True, capture_output=True)
        verified = subprocess.run(["openssl", "dgst", "-" + digest, "-verify", paths["key.pem"],
                                   "-signature", paths["sig"], paths["data"]], capture_output=True)
        return verified.returncode == 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


class Delivery:
    """One request the endpoint received."""

    def __init__(self, method, path, headers, body):
        self.method, self.path, self.headers, self.body = method, path, headers, body

    @property
    def type(self):
        return self.headers.get("x-amz-sns-message-type")

    def envelope(self):
        return json.loads(self.body, object_pairs_hook=OrderedDict)


class Endpoint:
    """An HTTP server on 127.0.0.1 that records every request and answers with `status`."""

    def __init__(self):
        self.deliveries = []
        self.finished = 0  # exchanges the client has ended (it closes after reading the answer)
        self.status = 200
        self.cond = threading.Condition()
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: the connection ends when the client closes it

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8")
                with endpoint.cond:
                    status = endpoint.status
                    endpoint.deliveries.append(Delivery(self.command, self.path,
                                                        {k.lower(): v for k, v in self.headers.items()}, body))
                    endpoint.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def finish(self):
                super().finish()
                with endpoint.cond:
                    endpoint.finished += 1
                    endpoint.cond.notify_all()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = "http://127.0.0.1:%d/sns/events" % self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def count(self):
        with self.cond:
            return len(self.deliveries)

    def wait_for(self, count, timeout=WAIT):
        """The first `count` deliveries, once they have arrived (bounded wait)."""
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.deliveries) >= count, timeout):
                raise AssertionError("the endpoint received %d requests, expected %d: %s"
                                     % (len(self.deliveries), count, [d.type for d in self.deliveries]))
            return list(self.deliveries[:count])

    def settle(self, sns):
        """Returns once the broker has taken in the answers to every request so far: the client
        closes its connection after reading the answer and then hands the outcome to the broker's
        core, which also serves API calls in order; a ListTopics issued afterwards is answered
        after it."""
        with self.cond:
            if not self.cond.wait_for(lambda: self.finished >= len(self.deliveries), WAIT):
                raise AssertionError("the broker never finished reading the endpoint's answers")
        sns.list_topics()

    def assert_quiet(self, count):
        """Nothing beyond `count` requests arrives within a short watch."""
        with self.cond:
            self.cond.wait_for(lambda: len(self.deliveries) > count, QUIET)
            extra = [d.type for d in self.deliveries[count:]]
        if extra:
            raise AssertionError("unexpected requests reached the endpoint: %s" % extra)


class HttpSubscriptions(BrokerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sns = sns_client(cls.broker)

    @classmethod
    def tearDownClass(cls):
        cls.sns.close()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.endpoint = Endpoint()
        self.addCleanup(self.endpoint.close)

    # --- Helpers ----------------------------------------------------------------------------

    def subscribe_pending(self, topic_arn, **attributes):
        """Subscribes the endpoint; returns the SubscriptionConfirmation it receives."""
        before = self.endpoint.count()
        response = self.sns.subscribe(TopicArn=topic_arn, Protocol="http", Endpoint=self.endpoint.url,
                                      Attributes=attributes)
        self.assertEqual(response["SubscriptionArn"], "pending confirmation")
        confirmation = self.endpoint.wait_for(before + 1)[before]
        self.assertEqual(confirmation.type, "SubscriptionConfirmation")
        return confirmation

    def subscribe_confirmed(self, topic_arn, **attributes):
        """Subscribes the endpoint and confirms with the token it was sent; returns the ARN."""
        token = self.subscribe_pending(topic_arn, **attributes).envelope()["Token"]
        return self.sns.confirm_subscription(TopicArn=topic_arn, Token=token)["SubscriptionArn"]

    def watched_queue(self, topic_arn, name="witness"):
        """A queue subscribed to the topic: once a message reaches it, the fan-out of that
        message has been decided for every subscription."""
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        self.sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn(name))
        return url

    def receive(self, url, count=1):
        """Polls a queue until `count` messages are there (bounded); returns them."""
        got = []
        deadline = time.monotonic() + WAIT
        while len(got) < count and time.monotonic() < deadline:
            got += self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                            VisibilityTimeout=600).get("Messages", [])
            if len(got) < count:
                time.sleep(0.02)
        self.assertEqual(len(got), count, "messages in %s: %s" % (url, [m["Body"][:80] for m in got]))
        return got

    def assert_empty(self, url):
        self.assertEqual(self.sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages", []), [])

    def certificate(self, message):
        url = message["SigningCertURL"]
        self.assertTrue(url.startswith(self.broker.endpoint + "/"), url)
        self.assertRegex(urllib.parse.urlparse(url).path, r"/SimpleNotificationService-[0-9a-f]+\.pem$")
        with urllib.request.urlopen(url, timeout=10) as res:
            pem = res.read()
        self.assertIn(b"-----BEGIN CERTIFICATE-----", pem)
        return pem

    def assert_signed(self, message):
        self.assertTrue(signature_is_valid(message, self.certificate(message)),
                        "the %s's signature does not verify" % message["Type"])

    def dead_letter_queue(self, name="dead-letters"):
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        return url, json.dumps({"deadLetterTargetArn": queue_arn(name)})

    # --- The handshake ----------------------------------------------------------------------

    def test_a_subscription_is_announced_with_a_confirmation_and_receives_nothing_until_confirmed(self):
        topic = self.sns.create_topic(Name="orders")["TopicArn"]
        witness = self.watched_queue(topic)
        confirmation = self.subscribe_pending(topic)

        self.assertEqual(confirmation.method, "POST")
        self.assertEqual(confirmation.path, "/sns/events")
        headers = confirmation.headers
        self.assertEqual(headers["x-amz-sns-topic-arn"], topic)
        self.assertRegex(headers["x-amz-sns-message-id"], UUID)
        self.assertEqual(headers["content-type"], TEXT_PLAIN)
        self.assertEqual(headers["user-agent"], USER_AGENT)
        # AWS sends no subscription ARN before there is one (recorded "http-confirm-sub-headers").
        self.assertNotIn("x-amz-sns-subscription-arn", headers)

        body = confirmation.envelope()
        self.assertEqual(list(body), CONFIRMATION_FIELDS)
        self.assertEqual(body["Type"], "SubscriptionConfirmation")
        self.assertEqual(body["MessageId"], headers["x-amz-sns-message-id"])
        self.assertEqual(body["TopicArn"], topic)
        self.assertEqual(body["Message"], "You have chosen to subscribe to the topic %s.\n"
                                          "To confirm the subscription, visit the SubscribeURL included in this "
                                          "message." % topic)
        self.assertRegex(body["Timestamp"], TIMESTAMP)
        self.assertEqual(body["SignatureVersion"], "1")
        self.assertTrue(body["Token"])
        url = urllib.parse.urlparse(body["SubscribeURL"])
        self.assertEqual("%s://%s" % (url.scheme, url.netloc), self.broker.endpoint)
        self.assertEqual(urllib.parse.parse_qs(url.query),
                         {"Action": ["ConfirmSubscription"], "TopicArn": [topic], "Token": [body["Token"]]})

        [listed] = [s for s in self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
                    if s["Protocol"] == "http"]
        self.assertEqual(listed, {"SubscriptionArn": "PendingConfirmation", "Owner": ACCOUNT, "Protocol": "http",
                                  "Endpoint": self.endpoint.url, "TopicArn": topic})
        self.assertEqual(self.sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsPending"], "1")

        # A message published now reaches the confirmed queue; by then SNS has decided every
        # subscription's delivery, and the pending one got nothing.
        self.sns.publish(TopicArn=topic, Message="before confirmation")
        self.receive(witness)
        self.endpoint.assert_quiet(1)

    def test_visiting_the_subscribe_url_confirms_the_subscription(self):
        topic = self.sns.create_topic(Name="orders")["TopicArn"]
        body = self.subscribe_pending(topic).envelope()

        with urllib.request.urlopen(body["SubscribeURL"], timeout=10) as res:  # a plain GET, as a browser's
            self.assertEqual(res.status, 200)
            self.assertEqual(res.headers["Content-Type"], "text/xml")
            root = ET.fromstring(res.read())
        self.assertEqual(root.tag, NS + "ConfirmSubscriptionResponse")
        arn = root.findtext("%sConfirmSubscriptionResult/%sSubscriptionArn" % (NS, NS))
        self.assertRegex(arn, "^%s:[0-9a-f-]{36}$" % re.escape(topic))
        self.assertRegex(root.findtext("%sResponseMetadata/%sRequestId" % (NS, NS)), UUID)

        [listed] = self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        self.assertEqual(listed["SubscriptionArn"], arn)
        self.assertEqual(self.sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"],
                         "false")
        message_id = self.sns.publish(TopicArn=topic, Message="after confirmation")["MessageId"]
        delivery = self.endpoint.wait_for(2)[1]
        self.assertEqual(delivery.type, "Notification")
        self.assertEqual(delivery.envelope()["MessageId"], message_id)

    def test_confirm_subscription_with_the_token_confirms_it(self):
        topic = self.sns.create_topic(Name="orders")["TopicArn"]
        token = self.subscribe_pending(topic).envelope()["Token"]

        arn = self.sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"]
        self.assertRegex(arn, "^%s:[0-9a-f-]{36}$" % re.escape(topic))
        self.assertEqual([s["SubscriptionArn"] for s in self.sns.list_subscriptions_by_topic(TopicArn=topic)
                          ["Subscriptions"]], [arn])
        attributes = self.sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
        self.assertEqual((attributes["PendingConfirmation"], attributes["Protocol"], attributes["Endpoint"]),
                         ("false", "http", self.endpoint.url))
        topic_attributes = self.sns.get_topic_attributes(TopicArn=topic)["Attributes"]
        self.assertEqual((topic_attributes["SubscriptionsConfirmed"], topic_attributes["SubscriptionsPending"]),
                         ("1", "0"))
        # Confirming again answers with the same subscription (AWS's recorded "confirm-subscribe").
        self.assertEqual(self.sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"], arn)

        self.sns.publish(TopicArn=topic, Message="hello")
        self.assertEqual(self.endpoint.wait_for(2)[1].envelope()["Message"], "hello")

    # --- Notifications ----------------------------------------------------------------------

    def test_notifications_carry_aws_headers_and_envelope(self):
        topic = self.sns.create_topic(Name="orders")["TopicArn"]
        arn = self.subscribe_confirmed(topic)
        published = self.sns.publish(
            TopicArn=topic, Message="order 42 shipped", Subject="Shipping",
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "shipment"},
                               "weight": {"DataType": "Number", "StringValue": "2.5"},
                               "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\x02"}})
        delivery = self.endpoint.wait_for(2)[1]

        self.assertEqual(delivery.method, "POST")
        self.assertEqual(delivery.path, "/sns/events")
        headers = delivery.headers
        self.assertEqual(headers["x-amz-sns-message-type"], "Notification")
        self.assertEqual(headers["x-amz-sns-message-id"], published["MessageId"])
        self.assertEqual(headers["x-amz-sns-topic-arn"], topic)
        self.assertEqual(headers["x-amz-sns-subscription-arn"], arn)
        self.assertEqual(headers["user-agent"], USER_AGENT)
        self.assertEqual(headers["content-type"], TEXT_PLAIN)
        self.assertNotIn("x-amz-sns-rawdelivery", headers)

        body = delivery.envelope()
        self.assertEqual(list(body), NOTIFICATION_FIELDS)
        self.assertEqual(body["Type"], "Notification")
        self.assertEqual(body["MessageId"], published["MessageId"])
        self.assertEqual(body["TopicArn"], topic)
        self.assertEqual(body["Subject"], "Shipping")
        self.assertEqual(body["Message"], "order 42 shipped")
        self.assertRegex(body["Timestamp"], TIMESTAMP)
        self.assertEqual(body["SignatureVersion"], "1")
        unsubscribe = urllib.parse.urlparse(body["UnsubscribeURL"])
        self.assertEqual("%s://%s" % (unsubscribe.scheme, unsubscribe.netloc), self.broker.endpoint)
        self.assertEqual(urllib.parse.parse_qs(unsubscribe.query),
                         {"Action": ["Unsubscribe"], "SubscriptionArn": [arn]})
        self.assertEqual(body["MessageAttributes"], {
            "kind": {"Type": "String", "Value": "shipment"},
            "weight": {"Type": "Number", "Value": "2.5"},
            "blob": {"Type": "Binary", "Value": base64.b64encode(b"\x00\x01\x02").decode()}})

        # Without a subject or attributes, those keys are left out, not sent empty.
        self.sns.publish(TopicArn=topic, Message="plain")
        plain = self.endpoint.wait_for(3)[2].envelope()
        self.assertEqual(list(plain), [f for f in NOTIFICATION_FIELDS if f not in ("Subject", "MessageAttributes")])

    def test_following_the_unsubscribe_url_ends_the_subscription(self):
        topic = self.sns.create_topic(Name="orders")["TopicArn"]
        witness = self.watched_queue(topic)
        self.subscribe_confirmed(topic)
        self.sns.publish(TopicArn=topic, Message="first")
        body = self.endpoint.wait_for(2)[1].envelope()
        self.receive(witness)

        with urllib.request.urlopen(body["UnsubscribeURL"], timeout=10) as res:  # a plain GET
            self.assertEqual(res.status, 200)
            self.assertEqual(ET.fromstring(res.read()).tag, NS + "UnsubscribeResponse")
        self.assertEqual([s["Protocol"] for s in self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]],
                         ["sqs"])
        confirmations = self.endpoint.wait_for(3)
        self.assertEqual(confirmations[2].type, "UnsubscribeConfirmation")
        self.sns.publish(TopicArn=topic, Message="second")
        self.receive(witness)
        self.endpoint.assert_quiet(3)

    def test_signatures_verify_against_the_signing_certificate(self):
        for version, topic_name in (("1", "signed-v1"), ("2", "signed-v2")):
            with self.subTest(SignatureVersion=version):
                attributes = {"SignatureVersion": version} if version == "2" else {}
                topic = self.sns.create_topic(Name=topic_name, Attributes=attributes)["TopicArn"]
                before = self.endpoint.count()
                self.subscribe_confirmed(topic)
                self.sns.publish(TopicArn=topic, Message="with a subject", Subject="Hello")
                self.sns.publish(TopicArn=topic, Message="without one")
                deliveries = self.endpoint.wait_for(before + 3)[before:]
                self.assertEqual([d.type for d in deliveries],
                                 ["SubscriptionConfirmation", "Notification", "Notification"])
                messages = [d.envelope() for d in deliveries]
                self.assertEqual({m["Message"] for m in messages[1:]}, {"with a subject", "without one"})
                for message in messages:
                    self.assertEqual(message["SignatureVersion"], version)
                    self.assert_signed(message)

                pem = self.certificate(messages[1])
                tampered = dict(messages[1], Message="something else")
                self.assertFalse(signature_is_valid(tampered, pem), "a changed Message still verifies")
                tampered = dict(messages[0], Token=messages[0]["Token"] + "0")
                self.assertFalse(signature_is_valid(tampered, pem), "a changed Token still verifies")
                other = "2" if version == "1" else "1"
                self.assertFalse(signature_is_valid(dict(messages[1], SignatureVersion=other), pem),
                                 "the signature verifies with the other version's digest")

    # --- Raw delivery and content types --------------------------------------------------------

    def test_raw_message_delivery_posts_the_message_itself(self):
        topic = self.sns.create_topic(Name="orders")["TopicArn"]
        arn = self.subscribe_confirmed(topic, RawMessageDelivery="true")
        published = self.sns.publish(TopicArn=topic, Message='{"order": 42}', Subject="ignored when raw",
                                     MessageAttributes={"kind": {"DataType": "String", "StringValue": "x"}})
        delivery = self.endpoint.wait_for(2)[1]
        self.assertEqual(delivery.body, '{"order": 42}')
        self.assertEqual(delivery.headers["x-amz-sns-rawdelivery"], "true")
        self.assertEqual(delivery.headers["x-amz-sns-message-type"], "Notification")
        self.assertEqual(delivery.headers["x-amz-sns-message-id"], published["MessageId"])
        self.assertEqual(delivery.headers["x-amz-sns-subscription-arn"], arn)
        self.assertEqual(delivery.headers["content-type"], TEXT_PLAIN)

        # Switched off again, the next message comes in the envelope.
        self.sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="RawMessageDelivery",
                                             AttributeValue="false")
        self.sns.publish(TopicArn=topic, Message="enveloped")
        delivery = self.endpoint.wait_for(3)[2]
        self.assertNotIn("x-amz-sns-rawdelivery", delivery.headers)
        self.assertEqual(delivery.envelope()["Message"], "enveloped")

    def test_a_subscription_delivery_policy_sets_the_content_type(self):
        # "Creating an HTTP/S delivery policy": requestPolicy.headerContentType; AWS's recorded
        # exchange (test_subscribe_external_http_endpoint_content_type[True]) shows the
        # confirmation still sent as text/plain.
        topic = self.sns.create_topic(Name="orders")["TopicArn"]
        confirmation = self.subscribe_pending(
            topic, DeliveryPolicy=json.dumps({"requestPolicy": {"headerContentType": "text/csv"}}),
            RawMessageDelivery="true")
        self.assertEqual(confirmation.headers["content-type"], TEXT_PLAIN)
        self.sns.confirm_subscription(TopicArn=topic, Token=confirmation.envelope()["Token"])
        self.sns.publish(TopicArn=topic, Message="a,b,c")
        delivery = self.endpoint.wait_for(2)[1]
        self.assertEqual(delivery.headers["content-type"], "text/csv")
        self.assertEqual(delivery.body, "a,b,c")

    def test_a_topic_delivery_policy_sets_the_content_type(self):
        # AWS ("Creating an HTTP/S delivery policy"; the exchange recorded in
        # test_subscribe_external_http_endpoint_content_type[False]) sends a topic's
        # http.defaultRequestPolicy.headerContentType to subscriptions that set none.
        topic = self.sns.create_topic(Name="orders", Attributes={"DeliveryPolicy": json.dumps(
            {"http": {"defaultRequestPolicy": {"headerContentType": "application/json"}}})})["TopicArn"]
        self.subscribe_confirmed(topic)
        self.sns.publish(TopicArn=topic, Message="in json")
        self.assertEqual(self.endpoint.wait_for(2)[1].headers["content-type"], "application/json")

    # --- Retries and dead letters -------------------------------------------------------------

    def test_server_errors_are_retried_three_times_twenty_seconds_apart_then_dead_lettered(self):
        # The default HTTP/S policy: 3 retries, 20 s apart, linear ("Amazon SNS message
        # delivery retries"; the topic's EffectiveDeliveryPolicy says the same).
        topic = self.sns.create_topic(Name="orders")["TopicArn"]
        policy = json.loads(self.sns.get_topic_attributes(TopicArn=topic)["Attributes"]["EffectiveDeliveryPolicy"])
        self.assertEqual({k: policy["http"]["defaultHealthyRetryPolicy"][k]
                          for k in ("numRetries", "minDelayTarget", "maxDelayTarget")},
                         {"numRetries": 3, "minDelayTarget": 20, "maxDelayTarget": 20})
        dlq, redrive = self.dead_letter_queue()
        self.subscribe_confirmed(topic, RedrivePolicy=redrive)
        self.endpoint.settle(self.sns)
        self.endpoint.status = 500

        message_id = self.sns.publish(TopicArn=topic, Message="flaky")["MessageId"]
        self.endpoint.wait_for(2)
        for attempt in (3, 4, 5):  # deliveries 2..5 are attempts 1..4
            self.endpoint.settle(self.sns)
            self.assert_empty(dlq)
            self.broker.advance(19)
            self.endpoint.assert_quiet(attempt - 1)
            self.broker.advance(1)
            self.endpoint.wait_for(attempt)
        self.endpoint.settle(self.sns)

        attempts = self.endpoint.deliveries[1:]
        self.assertEqual(len(attempts), 4)
        # A retry carries the original message's id ("HTTP/HTTPS headers").
        self.assertEqual({d.headers["x-amz-sns-message-id"] for d in attempts}, {message_id})
        self.assertEqual({d.envelope()["MessageId"] for d in attempts}, {message_id})

        [dead] = self.receive(dlq)
        body = json.loads(dead["Body"])
        self.assertEqual((body["Type"], body["MessageId"], body["TopicArn"], body["Message"]),
                         ("Notification", message_id, topic, "flaky"))
        self.broker.advance(3600)
        self.endpoint.assert_quiet(5)

    def test_a_subscription_delivery_policy_changes_how_often_and_when_to_retry(self):
        topic = self.sns.create_topic(Name="orders")["TopicArn"]
        dlq, redrive = self.dead_letter_queue()
        self.subscribe_confirmed(topic, RedrivePolicy=redrive, DeliveryPolicy=json.dumps(
            {"healthyRetryPolicy": {"numRetries": 1, "minDelayTarget": 5, "maxDelayTarget": 5}}))
        self.endpoint.settle(self.sns)
        self.endpoint.status = 503

        message_id = self.sns.publish(TopicArn=topic, Message="once more")["MessageId"]
        self.endpoint.wait_for(2)
        self.endpoint.settle(self.sns)
        self.broker.advance(4)
        self.endpoint.assert_quiet(2)
        self.broker.advance(1)
        self.endpoint.wait_for(3)
        self.endpoint.settle(self.sns)

        [dead] = self.receive(dlq)
        self.assertEqual(json.loads(dead["Body"])["MessageId"], message_id)
        self.broker.advance(60)
        self.endpoint.assert_quiet(3)

    def test_a_topic_delivery_policy_applies_to_its_http_subscriptions(self):
        topic = self.sns.create_topic(Name="orders", Attributes={"DeliveryPolicy": json.dumps({"http": {
            "defaultHealthyRetryPolicy": {"numRetries": 2, "minDelayTarget": 10, "maxDelayTarget": 10}}})})["TopicArn"]
        dlq, redrive = self.dead_letter_queue()
        self.subscribe_confirmed(topic, RedrivePolicy=redrive)
        self.endpoint.settle(self.sns)
        self.endpoint.status = 502

        self.sns.publish(TopicArn=topic, Message="twice more")
        self.endpoint.wait_for(2)
        for attempt in (3, 4):
            self.endpoint.settle(self.sns)
            self.broker.advance(9)
            self.endpoint.assert_quiet(attempt - 1)
            self.broker.advance(1)
            self.endpoint.wait_for(attempt)
        self.endpoint.settle(self.sns)
        self.receive(dlq)
        self.broker.advance(60)
        self.endpoint.assert_quiet(4)

    def test_a_client_error_is_not_retried_and_goes_to_the_dead_letter_queue(self):
        topic = self.sns.create_topic(Name="orders")["TopicArn"]
        dlq, redrive = self.dead_letter_queue()
        self.subscribe_confirmed(topic, RedrivePolicy=redrive)
        self.endpoint.settle(self.sns)
        self.endpoint.status = 404

        message_id = self.sns.publish(TopicArn=topic, Message="nobody home")["MessageId"]
        self.endpoint.wait_for(2)
        self.endpoint.settle(self.sns)
        [dead] = self.receive(dlq)
        self.assertEqual(json.loads(dead["Body"])["MessageId"], message_id)
        self.broker.advance(3600)
        self.endpoint.assert_quiet(2)

    def test_a_recovered_endpoint_gets_the_retry(self):
        topic = self.sns.create_topic(Name="orders")["TopicArn"]
        dlq, redrive = self.dead_letter_queue()
        self.subscribe_confirmed(topic, RedrivePolicy=redrive)
        self.endpoint.settle(self.sns)
        self.endpoint.status = 500
        self.sns.publish(TopicArn=topic, Message="eventually")
        self.endpoint.wait_for(2)
        self.endpoint.settle(self.sns)
        self.endpoint.status = 200
        self.broker.advance(20)
        self.assertEqual(self.endpoint.wait_for(3)[2].envelope()["Message"], "eventually")
        self.endpoint.settle(self.sns)
        self.broker.advance(3600)
        self.endpoint.assert_quiet(3)
        self.assert_empty(dlq)

    # --- Unsubscribing ------------------------------------------------------------------------

    def test_unsubscribing_sends_an_unsubscribe_confirmation(self):
        topic = self.sns.create_topic(Name="orders")["TopicArn"]
        witness = self.watched_queue(topic)
        arn = self.subscribe_confirmed(topic)
        self.endpoint.settle(self.sns)

        self.sns.unsubscribe(SubscriptionArn=arn)
        goodbye = self.endpoint.wait_for(2)[1]
        self.assertEqual(goodbye.method, "POST")
        self.assertEqual(goodbye.headers["x-amz-sns-message-type"], "UnsubscribeConfirmation")
        self.assertEqual(goodbye.headers["x-amz-sns-topic-arn"], topic)
        self.assertEqual(goodbye.headers["user-agent"], USER_AGENT)
        self.assertEqual(goodbye.headers["content-type"], TEXT_PLAIN)
        body = goodbye.envelope()
        self.assertEqual(list(body), CONFIRMATION_FIELDS)
        self.assertEqual(body["Type"], "UnsubscribeConfirmation")
        self.assertEqual(body["MessageId"], goodbye.headers["x-amz-sns-message-id"])
        self.assertEqual(body["TopicArn"], topic)
        self.assertEqual(body["Message"], "You have chosen to deactivate subscription %s.\n"
                                          "To cancel this operation and restore the subscription, visit the "
                                          "SubscribeURL included in this message." % arn)
        query = urllib.parse.parse_qs(urllib.parse.urlparse(body["SubscribeURL"]).query)
        self.assertEqual((query["Action"], query["TopicArn"], query["Token"]),
                         (["ConfirmSubscription"], [topic], [body["Token"]]))
        self.assert_signed(body)

        self.assertEqual([s["Protocol"] for s in self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]],
                         ["sqs"])
        self.sns.publish(TopicArn=topic, Message="after unsubscribing")
        self.receive(witness)
        self.endpoint.assert_quiet(2)

    def test_the_unsubscribe_confirmation_names_the_subscription_in_a_header(self):
        # AWS's recorded exchange (test_subscribe_external_http_endpoint_lambda_url_sig_validation,
        # "unsubscribe-event"): the UnsubscribeConfirmation POST carries
        # x-amz-sns-subscription-arn, as notifications do.
        topic = self.sns.create_topic(Name="orders")["TopicArn"]
        arn = self.subscribe_confirmed(topic)
        self.sns.unsubscribe(SubscriptionArn=arn)
        self.assertEqual(self.endpoint.wait_for(2)[1].headers.get("x-amz-sns-subscription-arn"), arn)

    def test_visiting_the_unsubscribe_confirmations_subscribe_url_restores_the_subscription(self):
        # AWS ("HTTP/HTTPS unsubscribe confirmation JSON format"): "SubscribeURL - The URL that you
        # must visit in order to re-confirm the subscription", and the message itself says "To
        # cancel this operation and restore the subscription, visit the SubscribeURL".
        topic = self.sns.create_topic(Name="orders")["TopicArn"]
        arn = self.subscribe_confirmed(topic)
        self.sns.unsubscribe(SubscriptionArn=arn)
        body = self.endpoint.wait_for(2)[1].envelope()
        try:
            with urllib.request.urlopen(body["SubscribeURL"], timeout=10) as res:
                self.assertEqual(res.status, 200)
        except urllib.error.HTTPError as e:
            self.fail("re-confirming failed: %s %s" % (e.code, e.read().decode()))
        self.assertEqual(len(self.sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]), 1)
        self.sns.publish(TopicArn=topic, Message="back again")
        self.assertEqual(self.endpoint.wait_for(3)[2].envelope()["Message"], "back again")


if __name__ == "__main__":
    unittest.main()
