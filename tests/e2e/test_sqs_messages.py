"""SQS messaging through a real boto3 client: send, receive, delete, batches, attributes and
their MD5 digests, visibility, delays, retention, long polling and purge. Time-dependent
behaviour moves the broker's virtual clock instead of sleeping."""
import base64
import hashlib
import struct
import threading
import time
import unittest

from harness import BrokerTestCase


def md5(text):
    return hashlib.md5(text.encode() if isinstance(text, str) else text).hexdigest()


def attributes_md5(attributes):
    """MD5OfMessageAttributes as AWS documents it, computed independently of the broker."""
    buf = b""
    for name in sorted(attributes):
        value = attributes[name]
        def field(b):
            return struct.pack(">I", len(b)) + b
        buf += field(name.encode()) + field(value["DataType"].encode())
        if "BinaryValue" in value:
            raw = value["BinaryValue"]
            buf += b"\x02" + field(raw if isinstance(raw, bytes) else base64.b64decode(raw))
        else:
            buf += b"\x01" + field(value["StringValue"].encode())
    return hashlib.md5(buf).hexdigest()


class Messaging(BrokerTestCase):
    def setUp(self):
        super().setUp()
        self.q = self.sqs.create_queue(QueueName="work")["QueueUrl"]

    def receive(self, **kwargs):
        kwargs.setdefault("MaxNumberOfMessages", 10)
        return self.sqs.receive_message(QueueUrl=self.q, **kwargs).get("Messages", [])

    def test_a_sent_message_is_received_with_its_digest_and_then_deleted(self):
        body = "a dragon was sighted over the lake 🐉"
        sent = self.sqs.send_message(QueueUrl=self.q, MessageBody=body)
        self.assertEqual(sent["MD5OfMessageBody"], md5(body))
        self.assertNotIn("MD5OfMessageAttributes", sent)
        [msg] = self.receive(AttributeNames=["All"])
        self.assertEqual((msg["Body"], msg["MessageId"], msg["MD5OfBody"]),
                         (body, sent["MessageId"], md5(body)))
        self.assertEqual(msg["Attributes"]["ApproximateReceiveCount"], "1")
        for name in ["SentTimestamp", "ApproximateFirstReceiveTimestamp"]:
            self.assertTrue(msg["Attributes"][name].isdigit())
        self.assertIn("SenderId", msg["Attributes"])
        self.sqs.delete_message(QueueUrl=self.q, ReceiptHandle=msg["ReceiptHandle"])
        self.broker.advance(3600)
        self.assertEqual(self.receive(), [])

    def test_message_attributes_round_trip_with_the_aws_md5(self):
        attributes = {
            "species": {"DataType": "String", "StringValue": "wyvern"},
            "wingspan": {"DataType": "Number", "StringValue": "12.5"},
            "photo": {"DataType": "Binary", "BinaryValue": b"\x89PNG\x00\x01"},
            "colour": {"DataType": "String.rgb", "StringValue": "#00ff00"},
        }
        sent = self.sqs.send_message(QueueUrl=self.q, MessageBody="x", MessageAttributes=attributes)
        self.assertEqual(sent["MD5OfMessageAttributes"], attributes_md5(attributes))
        [msg] = self.receive(MessageAttributeNames=["All"])
        self.assertEqual(msg["MD5OfMessageAttributes"], attributes_md5(attributes))
        self.assertEqual(msg["MessageAttributes"]["photo"]["BinaryValue"], b"\x89PNG\x00\x01")
        self.assertEqual(msg["MessageAttributes"]["wingspan"]["StringValue"], "12.5")
        self.assertEqual(msg["MessageAttributes"]["colour"]["DataType"], "String.rgb")

    def test_only_requested_message_attributes_come_back(self):
        attributes = {"a.one": {"DataType": "String", "StringValue": "1"},
                      "a.two": {"DataType": "String", "StringValue": "2"},
                      "b": {"DataType": "String", "StringValue": "3"}}
        self.sqs.send_message(QueueUrl=self.q, MessageBody="x", MessageAttributes=attributes)
        [msg] = self.receive(MessageAttributeNames=["a.*"], VisibilityTimeout=0)
        self.assertEqual(sorted(msg["MessageAttributes"]), ["a.one", "a.two"])
        self.assertEqual(msg["MD5OfMessageAttributes"],
                         attributes_md5({k: attributes[k] for k in ["a.one", "a.two"]}))
        [msg] = self.receive()
        self.assertNotIn("MessageAttributes", msg)

    def test_trace_header_is_a_system_attribute_with_its_own_digest(self):
        header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
        sent = self.sqs.send_message(
            QueueUrl=self.q, MessageBody="x",
            MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": header}})
        self.assertEqual(sent["MD5OfMessageSystemAttributes"], "5ae4d5d7636402d80f4eb6d213245a88")
        self.assertNotIn("MD5OfMessageAttributes", sent)
        [msg] = self.receive(AttributeNames=["AWSTraceHeader"])
        self.assertEqual(msg["Attributes"], {"AWSTraceHeader": header})

    def test_invalid_bodies_and_attributes_are_refused(self):
        code, message, status = self.error_of(self.sqs.send_message, QueueUrl=self.q,
                                              MessageBody="bell \x07")
        self.assertEqual((code, status), ("InvalidMessageContents", 400))
        self.assertIn("#x7", message)
        code, _, _ = self.error_of(self.sqs.send_message, QueueUrl=self.q, MessageBody="")
        self.assertEqual(code, "MissingParameter")
        code, message, _ = self.error_of(
            self.sqs.send_message, QueueUrl=self.q, MessageBody="x",
            MessageAttributes={"n%d" % i: {"DataType": "String", "StringValue": "v"} for i in range(11)})
        self.assertEqual(code, "InvalidParameterValue")
        self.assertIn("[11]", message)
        code, _, _ = self.error_of(self.sqs.send_message, QueueUrl=self.q, MessageBody="x",
                                   MessageAttributes={"n": {"DataType": "Number", "StringValue": "abc"}})
        self.assertEqual(code, "InvalidParameterValue")
        code, _, _ = self.error_of(self.sqs.send_message, QueueUrl=self.q, MessageBody="x",
                                   MessageAttributes={"AWS.x": {"DataType": "String", "StringValue": "v"}})
        self.assertEqual(code, "InvalidParameterValue")

    def test_message_size_limit_follows_the_queue(self):
        self.sqs.send_message(QueueUrl=self.q, MessageBody="x" * 1048576)
        code, message, _ = self.error_of(self.sqs.send_message, QueueUrl=self.q,
                                         MessageBody="x" * 1048577)
        self.assertEqual(code, "InvalidParameterValue")
        self.assertIn("1048576 bytes", message)
        self.sqs.set_queue_attributes(QueueUrl=self.q, Attributes={"MaximumMessageSize": "1024"})
        code, _, _ = self.error_of(self.sqs.send_message, QueueUrl=self.q, MessageBody="x" * 1025)
        self.assertEqual(code, "InvalidParameterValue")

    def test_batches_report_each_entry_and_enforce_their_limits(self):
        result = self.sqs.send_message_batch(QueueUrl=self.q, Entries=[
            {"Id": "good", "MessageBody": "fine"},
            {"Id": "bad", "MessageBody": "nope \x01"},
            {"Id": "late", "MessageBody": "later", "DelaySeconds": 30}])
        self.assertEqual(sorted(e["Id"] for e in result["Successful"]), ["good", "late"])
        [failed] = result["Failed"]
        self.assertEqual((failed["Id"], failed["Code"], failed["SenderFault"]),
                         ("bad", "InvalidMessageContents", True))
        for entry in result["Successful"]:
            self.assertEqual(entry["MD5OfMessageBody"], md5({"good": "fine", "late": "later"}[entry["Id"]]))
        [msg] = self.receive()
        deleted = self.sqs.delete_message_batch(QueueUrl=self.q, Entries=[
            {"Id": "one", "ReceiptHandle": msg["ReceiptHandle"]},
            {"Id": "two", "ReceiptHandle": "not-a-handle"}])
        self.assertEqual([e["Id"] for e in deleted["Successful"]], ["one"])
        self.assertEqual(deleted["Failed"][0]["Code"], "ReceiptHandleIsInvalid")

        code, message, _ = self.error_of(self.sqs.send_message_batch, QueueUrl=self.q, Entries=[
            {"Id": str(i), "MessageBody": "x"} for i in range(11)])
        self.assertEqual(code, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest")
        self.assertIn("You have sent 11", message)
        code, _, _ = self.error_of(self.sqs.send_message_batch, QueueUrl=self.q, Entries=[
            {"Id": "same", "MessageBody": "x"}, {"Id": "same", "MessageBody": "y"}])
        self.assertEqual(code, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
        code, _, _ = self.error_of(self.sqs.send_message_batch, QueueUrl=self.q, Entries=[
            {"Id": "bad:id", "MessageBody": "x"}])
        self.assertEqual(code, "AWS.SimpleQueueService.InvalidBatchEntryId")
        code, _, _ = self.error_of(self.sqs.send_message_batch, QueueUrl=self.q, Entries=[
            {"Id": "a", "MessageBody": "x" * 600000}, {"Id": "b", "MessageBody": "x" * 600000}])
        self.assertEqual(code, "AWS.SimpleQueueService.BatchRequestTooLong")
        code, _, _ = self.error_of(self.sqs.delete_message_batch, QueueUrl=self.q, Entries=[])
        self.assertEqual(code, "AWS.SimpleQueueService.EmptyBatchRequest")

    def test_visibility_timeout_expires_on_the_virtual_clock(self):
        self.sqs.send_message(QueueUrl=self.q, MessageBody="x")
        [first] = self.receive(VisibilityTimeout=43200)
        self.assertEqual(self.receive(), [])
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.q, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attrs["ApproximateNumberOfMessagesNotVisible"], "1")
        self.broker.advance(43199)
        self.assertEqual(self.receive(), [])
        self.broker.advance(1)
        [again] = self.receive(AttributeNames=["ApproximateReceiveCount"])
        self.assertEqual(again["Attributes"]["ApproximateReceiveCount"], "2")
        self.assertNotEqual(again["ReceiptHandle"], first["ReceiptHandle"])

    def test_change_message_visibility_extends_and_releases_messages(self):
        self.sqs.send_message_batch(QueueUrl=self.q, Entries=[
            {"Id": "a", "MessageBody": "a"}, {"Id": "b", "MessageBody": "b"}])
        msgs = self.receive()
        self.assertEqual(len(msgs), 2)
        by_body = {m["Body"]: m["ReceiptHandle"] for m in msgs}
        self.sqs.change_message_visibility(QueueUrl=self.q, ReceiptHandle=by_body["a"], VisibilityTimeout=0)
        self.assertEqual([m["Body"] for m in self.receive(VisibilityTimeout=300)], ["a"])
        result = self.sqs.change_message_visibility_batch(QueueUrl=self.q, Entries=[
            {"Id": "b", "ReceiptHandle": by_body["b"], "VisibilityTimeout": 600},
            {"Id": "junk", "ReceiptHandle": "junk", "VisibilityTimeout": 5}])
        self.assertEqual([e["Id"] for e in result["Successful"]], ["b"])
        self.assertEqual(result["Failed"][0]["Code"], "ReceiptHandleIsInvalid")
        self.broker.advance(599)
        self.assertEqual([m["Body"] for m in self.receive()], ["a"])
        self.broker.advance(1)
        self.assertEqual([m["Body"] for m in self.receive()], ["b"])
        code, _, _ = self.error_of(self.sqs.change_message_visibility, QueueUrl=self.q,
                                   ReceiptHandle=by_body["b"], VisibilityTimeout=43201)
        self.assertEqual(code, "InvalidParameterValue")

    def test_delays_hold_messages_back_until_virtual_time_passes(self):
        self.sqs.set_queue_attributes(QueueUrl=self.q, Attributes={"DelaySeconds": "60"})
        self.sqs.send_message(QueueUrl=self.q, MessageBody="queue delay")
        self.sqs.send_message(QueueUrl=self.q, MessageBody="no delay", DelaySeconds=0)
        self.sqs.send_message(QueueUrl=self.q, MessageBody="long delay", DelaySeconds=900)
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.q, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attrs["ApproximateNumberOfMessagesDelayed"], "2")
        self.assertEqual([m["Body"] for m in self.receive(VisibilityTimeout=3600)], ["no delay"])
        self.broker.advance(60)
        self.assertEqual([m["Body"] for m in self.receive(VisibilityTimeout=3600)], ["queue delay"])
        self.broker.advance(840)
        self.assertEqual([m["Body"] for m in self.receive(VisibilityTimeout=3600)], ["long delay"])
        code, _, _ = self.error_of(self.sqs.send_message, QueueUrl=self.q, MessageBody="x",
                                   DelaySeconds=901)
        self.assertEqual(code, "InvalidParameterValue")

    def test_expired_messages_are_really_gone(self):
        self.sqs.set_queue_attributes(QueueUrl=self.q, Attributes={"MessageRetentionPeriod": "1209600"})
        self.sqs.send_message(QueueUrl=self.q, MessageBody="ancient")
        self.broker.advance(1209599)
        self.sqs.send_message(QueueUrl=self.q, MessageBody="fresh")
        self.broker.advance(1)
        self.assertEqual([m["Body"] for m in self.receive()], ["fresh"])
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.q, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attrs["ApproximateNumberOfMessagesNotVisible"], "1")
        self.assertEqual(attrs["ApproximateNumberOfMessages"], "0")

    def test_long_poll_answers_as_soon_as_a_message_arrives(self):
        result = {}

        def wait():
            started = time.monotonic()
            result["messages"] = self.sqs.receive_message(QueueUrl=self.q, WaitTimeSeconds=20).get("Messages", [])
            result["waited"] = time.monotonic() - started

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(0.3)  # ordering only: let the receive park first
        self.sqs.send_message(QueueUrl=self.q, MessageBody="wake")
        waiter.join(timeout=30)
        self.assertEqual([m["Body"] for m in result["messages"]], ["wake"])
        self.assertLess(result["waited"], 10)

    def test_long_poll_ends_empty_when_virtual_time_runs_out(self):
        result = {}
        waiter = threading.Thread(target=lambda: result.update(
            r=self.sqs.receive_message(QueueUrl=self.q, WaitTimeSeconds=20)))
        waiter.start()
        time.sleep(0.3)  # ordering only: let the receive park first
        self.broker.advance(20)
        waiter.join(timeout=15)
        self.assertFalse(waiter.is_alive())
        self.assertNotIn("Messages", result["r"])

    def test_receive_parameters_are_range_checked(self):
        for kwargs, text in [({"MaxNumberOfMessages": 11}, "MaxNumberOfMessages"),
                             ({"MaxNumberOfMessages": 0}, "MaxNumberOfMessages"),
                             ({"WaitTimeSeconds": 21}, "WaitTimeSeconds"),
                             ({"VisibilityTimeout": 43201}, "VisibilityTimeout")]:
            code, message, status = self.error_of(self.sqs.receive_message, QueueUrl=self.q, **kwargs)
            self.assertEqual((code, status), ("InvalidParameterValue", 400))
            self.assertIn(text, message)

    def test_receipt_handles_are_checked(self):
        code, message, status = self.error_of(self.sqs.delete_message, QueueUrl=self.q,
                                              ReceiptHandle="garbage")
        self.assertEqual((code, status), ("ReceiptHandleIsInvalid", 404))
        self.assertIn('"garbage"', message)
        self.sqs.send_message(QueueUrl=self.q, MessageBody="x")
        [msg] = self.receive()
        other = self.sqs.create_queue(QueueName="other")["QueueUrl"]
        code, _, _ = self.error_of(self.sqs.delete_message, QueueUrl=other,
                                   ReceiptHandle=msg["ReceiptHandle"])
        self.assertEqual(code, "ReceiptHandleIsInvalid")
        self.sqs.delete_message(QueueUrl=self.q, ReceiptHandle=msg["ReceiptHandle"])
        self.sqs.delete_message(QueueUrl=self.q, ReceiptHandle=msg["ReceiptHandle"])  # again: fine
        code, message, _ = self.error_of(self.sqs.change_message_visibility, QueueUrl=self.q,
                                         ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=10)
        self.assertEqual(code, "InvalidParameterValue")
        self.assertIn("Message does not exist", message)

    def test_purge_empties_the_queue_once_a_minute(self):
        for i in range(5):
            self.sqs.send_message(QueueUrl=self.q, MessageBody=str(i))
        self.receive(MaxNumberOfMessages=2)
        self.sqs.purge_queue(QueueUrl=self.q)
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.q, AttributeNames=["All"])["Attributes"]
        self.assertEqual((attrs["ApproximateNumberOfMessages"],
                          attrs["ApproximateNumberOfMessagesNotVisible"]), ("0", "0"))
        code, message, status = self.error_of(self.sqs.purge_queue, QueueUrl=self.q)
        self.assertEqual((code, status), ("AWS.SimpleQueueService.PurgeQueueInProgress", 403))
        self.assertIn("every 60 seconds", message)
        self.broker.advance(60)
        self.sqs.purge_queue(QueueUrl=self.q)


if __name__ == "__main__":
    unittest.main()
