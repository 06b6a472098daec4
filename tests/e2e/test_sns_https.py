"""An https subscription: the broker confirms and delivers over TLS to an endpoint with a
self-signed certificate, as a developer's local HTTPS server would have."""
import http.server
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

import boto3
import botocore.config

from harness import REGION, Broker


class Recorder(http.server.BaseHTTPRequestHandler):
    requests = []  # (headers, body) of every POST, in order

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        Recorder.requests.append((dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class HttpsSubscription(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="wyvern-tls-")
        key, cert = os.path.join(cls.dir, "key.pem"), os.path.join(cls.dir, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "1", "-subj", "/CN=localhost"],
                       check=True, capture_output=True)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        cls.server.socket = context.wrap_socket(cls.server.socket, server_side=True)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.broker = Broker().start()
        cls.sns = boto3.client("sns", endpoint_url=cls.broker.endpoint, region_name=REGION,
                               aws_access_key_id="test", aws_secret_access_key="test",
                               config=botocore.config.Config(retries={"max_attempts": 1}))

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()
        cls.server.shutdown()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def posts(self, count):
        """Waits (for I/O, not for time to pass) until the endpoint has seen `count` POSTs."""
        deadline = time.monotonic() + 10
        while len(Recorder.requests) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertGreaterEqual(len(Recorder.requests), count)
        return Recorder.requests[:count]

    def test_confirmation_and_notification_arrive_over_tls(self):
        endpoint = "https://localhost:%d/sns" % self.server.server_address[1]
        topic = self.sns.create_topic(Name="secure")["TopicArn"]
        self.assertEqual(self.sns.subscribe(TopicArn=topic, Protocol="https",
                                            Endpoint=endpoint)["SubscriptionArn"],
                         "pending confirmation")
        headers, body = self.posts(1)[0]
        self.assertEqual(headers["x-amz-sns-message-type"], "SubscriptionConfirmation")
        with urllib.request.urlopen(json.loads(body)["SubscribeURL"], timeout=10) as res:
            self.assertIn(b"<SubscriptionArn>" + topic.encode() + b":", res.read())

        published = self.sns.publish(TopicArn=topic, Message="over TLS")
        headers, body = self.posts(2)[1]
        self.assertEqual(headers["x-amz-sns-message-type"], "Notification")
        envelope = json.loads(body)
        self.assertEqual(envelope["MessageId"], published["MessageId"])
        self.assertEqual(envelope["Message"], "over TLS")


if __name__ == "__main__":
    unittest.main()
