"""Durability: after a clean stop and after kill -9, every queue and every acknowledged
message is there, deleted messages stay deleted, and in-flight and delayed messages become
visible on time. The virtual clock's offset is durable too, so time never runs backwards."""
import unittest

from harness import Broker, temp_dir


class Durability(unittest.TestCase):
    def setUp(self):
        self.dir, self.cleanup = temp_dir()
        self.broker = Broker(data_dir=self.dir).start()

    def tearDown(self):
        self.broker.kill()
        self.cleanup()

    def restart(self, hard):
        if hard:
            self.broker.kill()
        else:
            self.assertEqual(self.broker.stop(), 0)
        self.broker = Broker(data_dir=self.dir).start()
        return self.broker.sqs()

    def populate(self):
        sqs = self.broker.sqs()
        std = sqs.create_queue(QueueName="std", Attributes={"VisibilityTimeout": "120"},
                               tags={"keep": "me"})["QueueUrl"]
        fifo = sqs.create_queue(QueueName="f.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        for i in range(20):
            sqs.send_message(QueueUrl=std, MessageBody="m%02d" % i,
                             MessageAttributes={"i": {"DataType": "Number", "StringValue": str(i)}})
        sqs.send_message(QueueUrl=std, MessageBody="delayed", DelaySeconds=300)
        got = sqs.receive_message(QueueUrl=std, MaxNumberOfMessages=10)["Messages"]
        in_flight = [m for m in got[:5]]
        for m in got[5:]:
            sqs.delete_message(QueueUrl=std, ReceiptHandle=m["ReceiptHandle"])
        # The other five received messages were deleted; five stay in flight for 120 s.
        sqs.send_message(QueueUrl=fifo, MessageBody="f1", MessageGroupId="G", MessageDeduplicationId="d1")
        sqs.send_message(QueueUrl=fifo, MessageBody="f2", MessageGroupId="G", MessageDeduplicationId="d2")
        deleted = {m["Body"] for m in got[5:]}
        return std, fifo, {m["Body"] for m in in_flight}, deleted

    def check(self, sqs, std, fifo, in_flight, deleted):
        self.assertEqual(sqs.list_queue_tags(QueueUrl=std)["Tags"], {"keep": "me"})
        attrs = sqs.get_queue_attributes(QueueUrl=std, AttributeNames=["All"])["Attributes"]
        self.assertEqual(attrs["VisibilityTimeout"], "120")
        self.assertEqual(attrs["ApproximateNumberOfMessages"], "10")
        self.assertEqual(attrs["ApproximateNumberOfMessagesNotVisible"], "5")
        self.assertEqual(attrs["ApproximateNumberOfMessagesDelayed"], "1")
        visible = set()
        for _ in range(3):
            for m in sqs.receive_message(QueueUrl=std, MaxNumberOfMessages=10, VisibilityTimeout=3600,
                                         MessageAttributeNames=["All"]).get("Messages", []):
                visible.add(m["Body"])
                self.assertEqual(m["MessageAttributes"]["i"]["StringValue"], str(int(m["Body"][1:])))
        self.assertEqual(len(visible), 10)
        self.assertFalse(visible & deleted)
        self.assertFalse(visible & in_flight)
        # FIFO order and the deduplication record both survived.
        sqs.send_message(QueueUrl=fifo, MessageBody="f1", MessageGroupId="G", MessageDeduplicationId="d1")
        bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]]
        self.assertEqual(bodies, ["f1", "f2"])
        self.broker.advance(120)
        back = {m["Body"] for m in sqs.receive_message(QueueUrl=std, MaxNumberOfMessages=10,
                                                       VisibilityTimeout=3600).get("Messages", [])}
        self.assertEqual(back, in_flight)
        self.broker.advance(180)
        [late] = sqs.receive_message(QueueUrl=std)["Messages"]
        self.assertEqual(late["Body"], "delayed")

    def test_everything_acknowledged_survives_a_clean_stop(self):
        state = self.populate()
        self.check(self.restart(hard=False), *state)

    def test_the_virtual_clock_keeps_its_offset_across_a_restart(self):
        before = self.broker.advance(86400)["offset_ms"]
        self.restart(hard=True)
        self.assertGreaterEqual(self.broker.admin("clock")["offset_ms"], before)

    def test_everything_acknowledged_survives_kill_9(self):
        state = self.populate()
        self.check(self.restart(hard=True), *state)


if __name__ == "__main__":
    unittest.main()
