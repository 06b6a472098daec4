"""Bad input on both wire protocols, table-driven: each case gets AWS's error code and HTTP
status in that protocol's exact shape, and the broker keeps serving afterwards.

Real SDKs refuse to send most of these, so the requests are written by hand over HTTP."""
import http.client
import json
import re
import unittest
import urllib.parse

from harness import BrokerTestCase

JSON_TYPE = "application/x-amz-json-1.0"
CORAL = "com.amazon.coral.service#"
SQS = "com.amazonaws.sqs#"
BIG = 5 * 1024 * 1024


class BadInput(BrokerTestCase):
    def setUp(self):
        super().setUp()
        self.q = self.sqs.create_queue(QueueName="q")["QueueUrl"]
        self.sqs.send_message(QueueUrl=self.q, MessageBody="still here")

    def request(self, method, path, body=b"", headers=None):
        conn = http.client.HTTPConnection("localhost", self.broker.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            res = conn.getresponse()
            return res.status, {k.lower(): v for k, v in res.getheaders()}, res.read().decode()
        finally:
            conn.close()

    def json_call(self, target, body):
        raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return self.request("POST", "/", raw, {"X-Amz-Target": target, "Content-Type": JSON_TYPE})

    def query_call(self, params, path="/"):
        body = params if isinstance(params, (bytes, str)) else urllib.parse.urlencode(params)
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def assert_still_serving(self):
        self.assertEqual(self.broker.admin("health")["status"], "ok")
        [msg] = self.sqs.receive_message(QueueUrl=self.q, VisibilityTimeout=0)["Messages"]
        self.assertEqual(msg["Body"], "still here")

    def test_json_protocol_errors_have_aws_types_statuses_and_query_codes(self):
        cases = [
            # (name, target, body, status, __type, x-amzn-query-error code)
            ("malformed JSON", "AmazonSQS.SendMessage", "{not json", 400,
             CORAL + "SerializationException", "MalformedInput"),
            ("JSON that is not an object", "AmazonSQS.ListQueues", "[1,2]", 400,
             CORAL + "SerializationException", "MalformedInput"),
            ("unknown action", "AmazonSQS.Frobnicate", {}, 400,
             CORAL + "UnknownOperationException", "InvalidAction"),
            ("another service's target", "DynamoDB_20120810.ListTables", {}, 400,
             CORAL + "UnknownOperationException", "InvalidAction"),
            ("missing QueueUrl", "AmazonSQS.SendMessage", {"MessageBody": "x"}, 400,
             CORAL + "MissingRequiredParameterException", "MissingParameter"),
            ("wrong member type", "AmazonSQS.SendMessage", {"QueueUrl": 5, "MessageBody": "x"}, 400,
             CORAL + "SerializationException", "MalformedInput"),
            ("out-of-range MaxNumberOfMessages", "AmazonSQS.ReceiveMessage",
             {"QueueUrl": self.q, "MaxNumberOfMessages": 11}, 400,
             CORAL + "InvalidParameterValueException", "InvalidParameterValue"),
            ("negative WaitTimeSeconds", "AmazonSQS.ReceiveMessage",
             {"QueueUrl": self.q, "WaitTimeSeconds": -1}, 400,
             CORAL + "InvalidParameterValueException", "InvalidParameterValue"),
            ("nonexistent queue", "AmazonSQS.GetQueueAttributes",
             {"QueueUrl": self.url("ghost")}, 400, SQS + "QueueDoesNotExist",
             "AWS.SimpleQueueService.NonExistentQueue"),
            ("oversized message", "AmazonSQS.SendMessage",
             {"QueueUrl": self.q, "MessageBody": "x" * (1024 * 1024 + 1)}, 400,
             CORAL + "InvalidParameterValueException", "InvalidParameterValue"),
            ("batch of eleven", "AmazonSQS.SendMessageBatch",
             {"QueueUrl": self.q, "Entries": [{"Id": str(i), "MessageBody": "x"} for i in range(11)]},
             400, SQS + "TooManyEntriesInBatchRequest",
             "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
            ("empty batch", "AmazonSQS.DeleteMessageBatch", {"QueueUrl": self.q, "Entries": []}, 400,
             SQS + "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest"),
            ("invalid receipt handle", "AmazonSQS.DeleteMessage",
             {"QueueUrl": self.q, "ReceiptHandle": "nonsense"}, 404, SQS + "ReceiptHandleIsInvalid",
             "ReceiptHandleIsInvalid"),
            ("unknown queue attribute", "AmazonSQS.SetQueueAttributes",
             {"QueueUrl": self.q, "Attributes": {"Colour": "red"}}, 400, SQS + "InvalidAttributeName",
             "InvalidAttributeName"),
            ("invalid body character", "AmazonSQS.SendMessage",
             {"QueueUrl": self.q, "MessageBody": "\u0000"}, 400, SQS + "InvalidMessageContents",
             "InvalidMessageContents"),
            ("request body over the limit", "AmazonSQS.SendMessage", "x" * BIG, 413,
             SQS + "RequestEntityTooLarge", "RequestEntityTooLarge"),
        ]
        for name, target, body, status, error_type, query_code in cases:
            with self.subTest(name):
                got_status, headers, text = self.json_call(target, body)
                self.assertEqual(got_status, status)
                self.assertEqual(headers["content-type"], JSON_TYPE)
                self.assertIn("x-amzn-requestid", headers)
                doc = json.loads(text)
                self.assertEqual(doc["__type"], error_type)
                self.assertIsInstance(doc.get("message"), str)
                self.assertEqual(headers["x-amzn-query-error"], query_code + ";Sender")
            self.assert_still_serving()

    def test_query_protocol_errors_have_aws_codes_statuses_and_shape(self):
        cases = [
            # (name, path, params, status, Code)
            ("malformed form encoding", "/", "Action=ListQueues&QueueNamePrefix=%zz", 404,
             "MalformedQueryString"),
            ("unknown action", "/", {"Action": "Frobnicate"}, 400, "InvalidAction"),
            ("queue action on a queue URL", "/000000000000/q", {"Action": "CreateQueue", "QueueName": "x"},
             400, "InvalidAction"),
            ("missing MessageBody", "/", {"Action": "SendMessage", "QueueUrl": self.q}, 400,
             "MissingParameter"),
            ("missing QueueUrl", "/", {"Action": "DeleteQueue"}, 400, "MissingParameter"),
            ("non-numeric integer", "/", {"Action": "ReceiveMessage", "QueueUrl": self.q,
                                          "MaxNumberOfMessages": "lots"}, 400, "InvalidParameterValue"),
            ("out-of-range VisibilityTimeout", "/", {"Action": "ReceiveMessage", "QueueUrl": self.q,
                                                     "VisibilityTimeout": "43201"}, 400,
             "InvalidParameterValue"),
            ("nonexistent queue", "/", {"Action": "PurgeQueue", "QueueUrl": self.url("ghost")}, 400,
             "AWS.SimpleQueueService.NonExistentQueue"),
            ("oversized message", "/", {"Action": "SendMessage", "QueueUrl": self.q,
                                        "MessageBody": "x" * (1024 * 1024 + 1)}, 400,
             "InvalidParameterValue"),
            ("batch of eleven", "/", dict([("Action", "DeleteMessageBatch"), ("QueueUrl", self.q)] + [
                ("DeleteMessageBatchRequestEntry.%d.%s" % (i, k), v) for i in range(1, 12)
                for k, v in [("Id", "e%d" % i), ("ReceiptHandle", "h")]]), 400,
             "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"),
            ("invalid receipt handle", "/000000000000/q",
             {"Action": "ChangeMessageVisibility", "ReceiptHandle": "x", "VisibilityTimeout": "5"}, 404,
             "ReceiptHandleIsInvalid"),
            ("bad attribute value", "/", {"Action": "SetQueueAttributes", "QueueUrl": self.q,
                                          "Attribute.1.Name": "DelaySeconds", "Attribute.1.Value": "-1"},
             400, "InvalidAttributeValue"),
            ("request body over the limit", "/", "Action=SendMessage&MessageBody=" + "x" * BIG, 413,
             "RequestEntityTooLarge"),
        ]
        for name, path, params, status, code in cases:
            with self.subTest(name):
                got_status, headers, text = self.query_call(params, path)
                self.assertEqual(got_status, status)
                self.assertIn("x-amzn-requestid", headers)
                self.assertRegex(text, r"<ErrorResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">")
                self.assertIn("<Type>Sender</Type>", text)
                self.assertEqual(re.search(r"<Code>(.*?)</Code>", text).group(1), code)
                self.assertRegex(text, r"<Message>.+</Message>")
                self.assertRegex(text, r"<RequestId>[0-9a-f-]{36}</RequestId>")
            self.assert_still_serving()

    def test_the_query_protocol_words_a_missing_queue_as_aws_does(self):
        _, _, text = self.query_call({"Action": "GetQueueUrl", "QueueName": "ghost"})
        self.assertIn("The specified queue does not exist for this wsdl version.", text)
        _, _, text = self.json_call("AmazonSQS.GetQueueUrl", {"QueueName": "ghost"})
        self.assertEqual(json.loads(text)["message"], "The specified queue does not exist.")

    def test_a_get_without_an_action_is_an_unknown_operation(self):
        status, _, text = self.request("GET", "/000000000000/q")
        self.assertEqual((status, text), (404, "<UnknownOperationException/>"))

    def test_hostile_values_are_refused_without_harm(self):
        # A region that is no region is ignored, never used as a store key.
        status, _, _ = self.request("POST", "/", json.dumps({"QueueName": "r"}), {
            "X-Amz-Target": "AmazonSQS.CreateQueue", "Content-Type": JSON_TYPE,
            "Authorization": "AWS4-HMAC-SHA256 Credential=AK/20260101/" + "x" * 600 + "/sqs/aws4_request"})
        self.assertEqual(status, 200)
        self.sqs.get_queue_url(QueueName="r")  # created in the default region
        # A Policy whose statements are not objects, then AddPermission.
        self.sqs.set_queue_attributes(QueueUrl=self.q, Attributes={"Policy": '{"Statement": ["x", {"Sid": 1}]}'})
        self.sqs.add_permission(QueueUrl=self.q, Label="ok", AWSAccountIds=["111122223333"],
                                Actions=["SendMessage"])
        # An existing queue asked again with a malformed RedrivePolicy.
        code, _, _ = self.error_of(self.sqs.create_queue, QueueName="q",
                                   Attributes={"RedrivePolicy": '{"maxReceiveCount": null}'})
        self.assertEqual(code, "QueueAlreadyExists")
        # Deep JSON and deep Query keys.
        status, _, _ = self.json_call("AmazonSQS.ListQueues", "[" * 5000 + "]" * 5000)
        self.assertEqual(status, 400)
        status, _, _ = self.query_call("Action=ListQueues&" + ".".join(["a"] * 5000) + "=1")
        self.assertEqual(status, 404)
        self.assert_still_serving()

    def test_every_response_carries_a_request_id(self):
        _, headers, _ = self.json_call("AmazonSQS.ListQueues", {})
        self.assertRegex(headers["x-amzn-requestid"], r"^[0-9a-f-]{36}$")
        _, headers, text = self.query_call({"Action": "ListQueues"})
        self.assertIn("<ResponseMetadata><RequestId>%s</RequestId>" % headers["x-amzn-requestid"], text)


if __name__ == "__main__":
    unittest.main()
