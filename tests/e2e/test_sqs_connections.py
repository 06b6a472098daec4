"""Thousands of parked long polls: each holds a connection but no thread, the broker keeps
answering other requests at once, a send wakes one of them, the virtual clock ends the rest,
and a clean stop answers whatever is still parked."""
import json
import resource
import select
import socket
import time
import unittest

from harness import Broker, BrokerTestCase

PARKED = 2000


def receive_request(port, queue_url, wait):
    body = json.dumps({"QueueUrl": queue_url, "WaitTimeSeconds": wait}).encode()
    return (b"POST / HTTP/1.1\r\nHost: localhost:%d\r\nContent-Type: application/x-amz-json-1.0\r\n"
            b"X-Amz-Target: AmazonSQS.ReceiveMessage\r\nContent-Length: %d\r\n\r\n" % (port, len(body))) + body


def answered(sockets, timeout):
    """The sockets that have a response waiting, after at most `timeout` seconds."""
    ready = set()
    deadline = time.monotonic() + timeout
    pending = list(sockets)
    while pending and time.monotonic() < deadline:
        poller = select.poll()
        for s in pending:
            poller.register(s, select.POLLIN)
        events = poller.poll(200)
        for fd, _ in events:
            ready.add(fd)
        pending = [s for s in pending if s.fileno() not in ready]
        if not events:
            break
    return ready


class ParkedLongPolls(BrokerTestCase):
    @classmethod
    def setUpClass(cls):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
        super().setUpClass()

    def park(self, broker, queue_url, count):
        sockets = []
        for _ in range(count):
            s = socket.create_connection(("localhost", broker.port))
            s.sendall(receive_request(broker.port, queue_url, 20))
            sockets.append(s)
        return sockets

    def test_thousands_of_parked_receives_do_not_block_the_broker(self):
        url = self.sqs.create_queue(QueueName="busy")["QueueUrl"]
        sockets = self.park(self.broker, url, PARKED)
        try:
            self.assertEqual(answered(sockets, 0.5), set())  # all parked
            started = time.monotonic()
            self.sqs.send_message(QueueUrl=url, MessageBody="for one of you")
            self.assertLess(time.monotonic() - started, 5)
            woken = answered(sockets, 10)
            self.assertEqual(len(woken), 1)
            s = next(s for s in sockets if s.fileno() in woken)
            self.assertIn(b"for one of you", s.recv(65536))
            self.broker.advance(20)
            rest = [s for s in sockets if s.fileno() not in woken]
            self.assertEqual(len(answered(rest, 30)), PARKED - 1)
        finally:
            for s in sockets:
                s.close()

    def test_a_clean_stop_answers_parked_receives(self):
        broker = Broker().start()
        try:
            sqs = broker.sqs()
            url = sqs.create_queue(QueueName="closing")["QueueUrl"]
            sockets = self.park(broker, url, 50)
            self.assertEqual(answered(sockets, 0.3), set())
            self.assertEqual(broker.stop(), 0)
            self.assertEqual(len(answered(sockets, 5)), 50)
            for s in sockets:
                self.assertTrue(s.recv(65536).startswith(b"HTTP/1.1 200"))
                s.close()
        finally:
            broker.kill()


if __name__ == "__main__":
    unittest.main()
