"""FIFO queues and dead-letter redrive through a real boto3 client: group order and locking,
deduplication windows on the virtual clock, receive-attempt retries, redrive on receive,
redrive-allow policies, dead-letter source listing and message move tasks."""
import json
import unittest

from harness import ACCOUNT, BrokerTestCase


def arn(name):
    return "arn:aws:sqs:us-east-1:%s:%s" % (ACCOUNT, name)


class Fifo(BrokerTestCase):
    def setUp(self):
        super().setUp()
        self.q = self.sqs.create_queue(QueueName="orders.fifo", Attributes={
            "FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]

    def receive(self, n=10, **kwargs):
        return self.sqs.receive_message(QueueUrl=self.q, MaxNumberOfMessages=n, **kwargs).get("Messages", [])

    def test_each_group_is_delivered_in_order_and_held_while_in_flight(self):
        for body, group in [("a1", "A"), ("b1", "B"), ("a2", "A"), ("b2", "B"), ("a3", "A")]:
            self.sqs.send_message(QueueUrl=self.q, MessageBody=body, MessageGroupId=group)
        first = self.receive(1)
        self.assertEqual([m["Body"] for m in first], ["a1"])
        self.assertEqual([m["Body"] for m in self.receive()], ["b1", "b2"])
        self.assertEqual(self.receive(), [])  # both groups have messages in flight
        self.sqs.delete_message(QueueUrl=self.q, ReceiptHandle=first[0]["ReceiptHandle"])
        self.assertEqual([m["Body"] for m in self.receive()], ["a2", "a3"])

    def test_sequence_numbers_grow_and_are_returned_as_attributes(self):
        sent = [self.sqs.send_message(QueueUrl=self.q, MessageBody=str(i), MessageGroupId="G")
                for i in range(3)]
        numbers = [int(s["SequenceNumber"]) for s in sent]
        self.assertEqual(numbers, sorted(numbers))
        self.assertEqual(len(sent[0]["SequenceNumber"]), 20)
        msgs = self.receive(AttributeNames=["All"])
        self.assertEqual([m["Attributes"]["SequenceNumber"] for m in msgs], [s["SequenceNumber"] for s in sent])
        self.assertEqual(msgs[0]["Attributes"]["MessageGroupId"], "G")
        self.assertIn("MessageDeduplicationId", msgs[0]["Attributes"])

    def test_duplicates_within_five_minutes_are_dropped(self):
        first = self.sqs.send_message(QueueUrl=self.q, MessageBody="x", MessageGroupId="G",
                                      MessageDeduplicationId="order-1")
        again = self.sqs.send_message(QueueUrl=self.q, MessageBody="x", MessageGroupId="G",
                                      MessageDeduplicationId="order-1")
        self.assertEqual(again["MessageId"], first["MessageId"])
        self.sqs.send_message(QueueUrl=self.q, MessageBody="same body", MessageGroupId="G")
        self.sqs.send_message(QueueUrl=self.q, MessageBody="same body", MessageGroupId="G")
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.q, AttributeNames=["ApproximateNumberOfMessages"])
        self.assertEqual(attrs["Attributes"]["ApproximateNumberOfMessages"], "2")
        self.broker.advance(300)
        later = self.sqs.send_message(QueueUrl=self.q, MessageBody="x", MessageGroupId="G",
                                      MessageDeduplicationId="order-1")
        self.assertNotEqual(later["MessageId"], first["MessageId"])

    def test_a_retried_receive_attempt_returns_the_same_messages(self):
        for i in range(3):
            self.sqs.send_message(QueueUrl=self.q, MessageBody=str(i), MessageGroupId="G")
        first = self.receive(2, ReceiveRequestAttemptId="attempt-1")
        retry = self.receive(2, ReceiveRequestAttemptId="attempt-1")
        self.assertEqual([m["ReceiptHandle"] for m in retry], [m["ReceiptHandle"] for m in first])

    def test_fifo_rules_for_senders(self):
        code, message, _ = self.error_of(self.sqs.send_message, QueueUrl=self.q, MessageBody="x")
        self.assertEqual(code, "MissingParameter")
        self.assertIn("MessageGroupId", message)
        code, message, _ = self.error_of(self.sqs.send_message, QueueUrl=self.q, MessageBody="x",
                                         MessageGroupId="G", DelaySeconds=5)
        self.assertEqual(code, "InvalidParameterValue")
        plain = self.sqs.create_queue(QueueName="plain.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        code, message, _ = self.error_of(self.sqs.send_message, QueueUrl=plain, MessageBody="x",
                                         MessageGroupId="G")
        self.assertEqual(code, "InvalidParameterValue")
        self.assertIn("ContentBasedDeduplication", message)
        code, _, _ = self.error_of(self.sqs.send_message_batch, QueueUrl=plain, Entries=[
            {"Id": "1", "MessageBody": "x", "MessageDeduplicationId": "d"}])
        self.assertEqual(code, "InvalidParameterValue")

    def test_high_throughput_mode_deduplicates_per_group(self):
        code, _, _ = self.error_of(self.sqs.set_queue_attributes, QueueUrl=self.q,
                                   Attributes={"FifoThroughputLimit": "perMessageGroupId"})
        self.assertEqual(code, "InvalidParameterValue")
        self.sqs.set_queue_attributes(QueueUrl=self.q, Attributes={
            "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})
        a = self.sqs.send_message(QueueUrl=self.q, MessageBody="same", MessageGroupId="A")
        b = self.sqs.send_message(QueueUrl=self.q, MessageBody="same", MessageGroupId="B")
        self.assertNotEqual(a["MessageId"], b["MessageId"])  # same body, other group: not a duplicate
        again = self.sqs.send_message(QueueUrl=self.q, MessageBody="same", MessageGroupId="A")
        self.assertEqual(again["MessageId"], a["MessageId"])

    def test_an_expired_fifo_receipt_cannot_delete(self):
        self.sqs.send_message(QueueUrl=self.q, MessageBody="x", MessageGroupId="G")
        [msg] = self.receive(VisibilityTimeout=5)
        self.broker.advance(5)
        code, message, _ = self.error_of(self.sqs.delete_message, QueueUrl=self.q,
                                         ReceiptHandle=msg["ReceiptHandle"])
        self.assertEqual(code, "InvalidParameterValue")
        self.assertIn("expired", message)


class Redrive(BrokerTestCase):
    def setUp(self):
        super().setUp()
        self.dlq = self.sqs.create_queue(QueueName="dead")["QueueUrl"]
        self.src = self.sqs.create_queue(QueueName="source", Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": arn("dead"), "maxReceiveCount": "2"})})["QueueUrl"]

    def test_redrive_policy_is_returned_in_the_aws_form(self):
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.src, AttributeNames=["RedrivePolicy"])
        self.assertEqual(json.loads(attrs["Attributes"]["RedrivePolicy"]),
                         {"deadLetterTargetArn": arn("dead"), "maxReceiveCount": 2})

    def test_a_message_received_too_often_moves_to_the_dead_letter_queue(self):
        self.sqs.send_message(QueueUrl=self.src, MessageBody="poison",
                              MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
        for _ in range(2):
            self.assertEqual(len(self.sqs.receive_message(QueueUrl=self.src).get("Messages", [])), 1)
        self.assertNotIn("Messages", self.sqs.receive_message(QueueUrl=self.src))
        [dead] = self.sqs.receive_message(QueueUrl=self.dlq, AttributeNames=["All"],
                                          MessageAttributeNames=["All"])["Messages"]
        self.assertEqual(dead["Body"], "poison")
        self.assertEqual(dead["MessageAttributes"]["k"]["StringValue"], "v")
        self.assertEqual(dead["Attributes"]["DeadLetterQueueSourceArn"], arn("source"))

    def test_dead_letter_sources_are_listed(self):
        self.assertEqual(self.sqs.list_dead_letter_source_queues(QueueUrl=self.dlq)["queueUrls"],
                         [self.url("source")])
        self.assertNotIn("queueUrls", self.sqs.list_dead_letter_source_queues(QueueUrl=self.src))

    def test_redrive_allow_policy_decides_who_may_use_a_dead_letter_queue(self):
        self.sqs.set_queue_attributes(QueueUrl=self.dlq, Attributes={
            "RedriveAllowPolicy": json.dumps({"redrivePermission": "byQueue",
                                              "sourceQueueArns": [arn("allowed")]})})
        policy = json.dumps({"deadLetterTargetArn": arn("dead"), "maxReceiveCount": 1})
        self.sqs.create_queue(QueueName="allowed", Attributes={"RedrivePolicy": policy})
        code, _, _ = self.error_of(self.sqs.create_queue, QueueName="stranger",
                                   Attributes={"RedrivePolicy": policy})
        self.assertEqual(code, "InvalidParameterValue")
        code, _, _ = self.error_of(self.sqs.set_queue_attributes, QueueUrl=self.dlq, Attributes={
            "RedriveAllowPolicy": json.dumps({"redrivePermission": "byQueue"})})
        self.assertEqual(code, "InvalidParameterValue")

    def test_redrive_policy_errors(self):
        for policy in [{"maxReceiveCount": 1}, {"deadLetterTargetArn": arn("dead"), "maxReceiveCount": 0},
                       {"deadLetterTargetArn": arn("missing"), "maxReceiveCount": 1},
                       {"deadLetterTargetArn": "dummy", "maxReceiveCount": 1}]:
            code, message, _ = self.error_of(self.sqs.set_queue_attributes, QueueUrl=self.src,
                                             Attributes={"RedrivePolicy": json.dumps(policy)})
            self.assertEqual(code, "InvalidParameterValue", policy)
            self.assertIn("RedrivePolicy", message)

    def dead_letter(self, count):
        for i in range(count):
            self.sqs.send_message(QueueUrl=self.src, MessageBody="m%d" % i)
        for _ in range(3):
            self.sqs.receive_message(QueueUrl=self.src, MaxNumberOfMessages=10)
        counts = self.sqs.get_queue_attributes(QueueUrl=self.dlq, AttributeNames=["ApproximateNumberOfMessages"])
        self.assertEqual(counts["Attributes"]["ApproximateNumberOfMessages"], str(count))

    def test_a_move_task_returns_dead_letters_to_their_source(self):
        if not hasattr(self.sqs, "start_message_move_task"):
            self.skipTest("this boto3 predates message move tasks")
        self.dead_letter(3)
        handle = self.sqs.start_message_move_task(SourceArn=arn("dead"))["TaskHandle"]
        self.assertTrue(handle)
        self.broker.advance(1)
        [task] = self.sqs.list_message_move_tasks(SourceArn=arn("dead"))["Results"]
        self.assertEqual(task["Status"], "COMPLETED")
        self.assertEqual(task["ApproximateNumberOfMessagesMoved"], 3)
        self.assertEqual(task["ApproximateNumberOfMessagesToMove"], 3)
        self.assertNotIn("TaskHandle", task)
        self.assertNotIn("DestinationArn", task)
        msgs = self.sqs.receive_message(QueueUrl=self.src, MaxNumberOfMessages=10,
                                        AttributeNames=["ApproximateReceiveCount"])["Messages"]
        self.assertEqual(sorted(m["Body"] for m in msgs), ["m0", "m1", "m2"])
        self.assertTrue(all(m["Attributes"]["ApproximateReceiveCount"] == "1" for m in msgs))

    def test_a_rate_limited_move_task_can_be_cancelled(self):
        if not hasattr(self.sqs, "start_message_move_task"):
            self.skipTest("this boto3 predates message move tasks")
        self.dead_letter(5)
        target = self.sqs.create_queue(QueueName="elsewhere")["QueueUrl"]
        handle = self.sqs.start_message_move_task(SourceArn=arn("dead"), DestinationArn=arn("elsewhere"),
                                                  MaxNumberOfMessagesPerSecond=2)["TaskHandle"]
        code, message, _ = self.error_of(self.sqs.start_message_move_task, SourceArn=arn("dead"))
        self.assertEqual(code, "InvalidParameterValue")
        self.assertIn("already a task running", message)
        [task] = self.sqs.list_message_move_tasks(SourceArn=arn("dead"))["Results"]
        self.assertEqual((task["Status"], task["TaskHandle"], task["MaxNumberOfMessagesPerSecond"],
                          task["DestinationArn"]), ("RUNNING", handle, 2, arn("elsewhere")))
        self.assertEqual(task["ApproximateNumberOfMessagesMoved"], 2)
        self.broker.advance(1)
        moved = self.sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
        self.assertEqual(moved, 4)
        [task] = self.sqs.list_message_move_tasks(SourceArn=arn("dead"))["Results"]
        self.assertEqual(task["Status"], "CANCELLED")
        self.broker.advance(10)
        attrs = self.sqs.get_queue_attributes(QueueUrl=target, AttributeNames=["ApproximateNumberOfMessages"])
        self.assertEqual(attrs["Attributes"]["ApproximateNumberOfMessages"], "4")

    def test_move_task_errors(self):
        if not hasattr(self.sqs, "start_message_move_task"):
            self.skipTest("this boto3 predates message move tasks")
        code, message, _ = self.error_of(self.sqs.start_message_move_task, SourceArn=arn("source"))
        self.assertEqual((code, message), ("InvalidParameterValue",
                                           "Source queue must be configured as a Dead Letter Queue."))
        code, _, status = self.error_of(self.sqs.start_message_move_task, SourceArn=arn("ghost"))
        self.assertEqual((code, status), ("ResourceNotFoundException", 404))
        code, _, _ = self.error_of(self.sqs.cancel_message_move_task, TaskHandle="garbage")
        self.assertEqual(code, "InvalidParameterValue")


if __name__ == "__main__":
    unittest.main()
