"""EventBridge connections and API destinations through boto3: resources read back without
their secrets and with AWS's states and errors; rules calling an HTTP endpoint this test serves,
with AWS's headers, the connection's Basic, API key and OAuth credentials, path, query and body
parameters; failures retried on the virtual clock and dead-lettered; a restart keeps it all."""
import base64
import http.server
import json
import threading
import time
import unittest
import urllib.parse

import boto3
import botocore.config

from harness import ACCOUNT, REGION, Broker, BrokerTestCase, temp_dir

WAIT = 10
ROLE = "arn:aws:iam::%s:role/events-invoke" % ACCOUNT


def events_client(broker, validate=True):
    return boto3.client("events", endpoint_url=broker.endpoint, region_name=REGION,
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=botocore.config.Config(retries={"max_attempts": 1},
                                                      parameter_validation=validate))


def queue_arn(name):
    return "arn:aws:sqs:%s:%s:%s" % (REGION, ACCOUNT, name)


class Call:
    def __init__(self, method, target, headers, body):
        parsed = urllib.parse.urlsplit(target)
        self.method, self.path = method, parsed.path
        self.query = dict(urllib.parse.parse_qsl(parsed.query))
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.body = body

    def json(self):
        return json.loads(self.body)


class Endpoint:
    """An HTTP server standing in for the API behind a destination and its OAuth server.
    /token hands out tokens tok-1, tok-2, ...; every other path answers with the next of
    `statuses` (200 once they run out)."""

    def __init__(self):
        self.calls, self.token_calls, self.statuses = [], [], []
        self.lock = threading.Lock()
        endpoint = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                call = Call(self.command, self.path, dict(self.headers), self.rfile.read(length).decode())
                with endpoint.lock:
                    if call.path == "/token":
                        endpoint.token_calls.append(call)
                        status = 200
                        body = json.dumps({"access_token": "tok-%d" % len(endpoint.token_calls),
                                           "token_type": "bearer", "expires_in": 3600})
                    else:
                        endpoint.calls.append(call)
                        status = endpoint.statuses.pop(0) if endpoint.statuses else 200
                        body = "{}"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count, timeout=WAIT):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.calls) >= count:
                    return list(self.calls)
            time.sleep(0.02)
        with self.lock:
            return list(self.calls)


class ApiDestinationsTestCase(BrokerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.events = events_client(cls.broker)
        cls.unchecked = events_client(cls.broker, validate=False)

    def setUp(self):
        super().setUp()
        self.endpoint = Endpoint()
        self.addCleanup(self.endpoint.close)

    def error(self, call, **kwargs):
        try:
            call(**kwargs)
        except self.events.exceptions.ClientError as e:
            return (e.response["Error"]["Code"], e.response["Error"]["Message"],
                    e.response["ResponseMetadata"]["HTTPStatusCode"])
        self.fail("the call succeeded")

    def basic_connection(self, name="orders-api", **extra):
        auth = {"BasicAuthParameters": {"Username": "smaug", "Password": "gold"}}
        auth.update(extra)
        return self.events.create_connection(Name=name, AuthorizationType="BASIC", AuthParameters=auth)

    def destination(self, connection_arn, path="/orders", name="orders", method="POST", **extra):
        return self.events.create_api_destination(
            Name=name, ConnectionArn=connection_arn, InvocationEndpoint=self.endpoint.url + path,
            HttpMethod=method, **extra)["ApiDestinationArn"]

    def rule_to(self, destination_arn, **target):
        self.events.put_rule(Name="to-api", EventPattern=json.dumps({"source": ["shop"]}))
        target.setdefault("RoleArn", ROLE)
        self.events.put_targets(Rule="to-api", Targets=[dict(Id="api", Arn=destination_arn, **target)])

    def put_event(self, detail=None):
        sent = self.events.put_events(Entries=[{"Source": "shop", "DetailType": "Order Placed",
                                                "Detail": json.dumps(detail or {"order": 42})}])
        return sent["Entries"][0]["EventId"]

    def dead_letter_queue(self):
        return self.sqs.create_queue(QueueName="dead-letters")["QueueUrl"]

    def dead_letters(self, url):
        return self.sqs.receive_message(QueueUrl=url, WaitTimeSeconds=WAIT, MaxNumberOfMessages=10,
                                        MessageAttributeNames=["All"]).get("Messages", [])


class Resources(ApiDestinationsTestCase):

    def test_connections_read_back_without_their_secrets(self):
        created = self.basic_connection(InvocationHttpParameters={
            "HeaderParameters": [{"Key": "x-tenant", "Value": "north", "IsValueSecret": False},
                                 {"Key": "x-signing", "Value": "hidden", "IsValueSecret": True}]})
        self.assertEqual(created["ConnectionState"], "AUTHORIZED")
        self.assertRegex(created["ConnectionArn"],
                         r"^arn:aws:events:%s:%s:connection/orders-api/[0-9a-f-]{36}$" % (REGION, ACCOUNT))
        self.assertNotIn("LastAuthorizedTime", created)
        described = self.events.describe_connection(Name="orders-api")
        self.assertEqual(described["AuthParameters"], {
            "BasicAuthParameters": {"Username": "smaug"},
            "InvocationHttpParameters": {"HeaderParameters": [
                {"Key": "x-tenant", "Value": "north", "IsValueSecret": False},
                {"Key": "x-signing", "IsValueSecret": True}]}})
        self.assertEqual((described["Name"], described["AuthorizationType"], described["ConnectionState"]),
                         ("orders-api", "BASIC", "AUTHORIZED"))
        self.assertRegex(described["SecretArn"], r"^arn:aws:secretsmanager:%s:%s:secret:events!connection/"
                                                 r"orders-api/[0-9a-f-]{36}-\w{6}$" % (REGION, ACCOUNT))
        self.assertIn("LastAuthorizedTime", described)

        self.events.create_connection(Name="keys", AuthorizationType="API_KEY", AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"}})
        self.assertEqual(self.events.describe_connection(Name="keys")["AuthParameters"],
                         {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key"}})
        listed = self.events.list_connections(NamePrefix="ord")["Connections"]
        self.assertEqual([c["Name"] for c in listed], ["orders-api"])
        self.assertNotIn("AuthParameters", listed[0])
        self.assertEqual(len(self.events.list_connections(ConnectionState="AUTHORIZED")["Connections"]), 2)
        self.assertEqual(self.events.list_connections(ConnectionState="DEAUTHORIZED")["Connections"], [])

        updated = self.events.update_connection(Name="orders-api", AuthParameters={
            "BasicAuthParameters": {"Username": "glaurung", "Password": "silver"}})
        self.assertEqual(updated["ConnectionState"], "AUTHORIZED")
        self.assertEqual(self.events.describe_connection(Name="orders-api")["AuthParameters"]
                         ["BasicAuthParameters"], {"Username": "glaurung"})

        deleted = self.events.delete_connection(Name="orders-api")
        self.assertEqual(deleted["ConnectionState"], "DELETING")
        self.assertEqual(self.error(self.events.describe_connection, Name="orders-api"),
                         ("ResourceNotFoundException",
                          "Failed to describe the connection(s). Connection 'orders-api' does not exist.", 400))

    def test_api_destinations_follow_their_connections_state(self):
        connection = self.basic_connection()["ConnectionArn"]
        created = self.events.create_api_destination(
            Name="orders", ConnectionArn=connection, InvocationEndpoint="https://example.com/orders",
            HttpMethod="POST", Description="the order API")
        self.assertEqual(created["ApiDestinationState"], "ACTIVE")
        self.assertRegex(created["ApiDestinationArn"],
                         r"^arn:aws:events:%s:%s:api-destination/orders/[0-9a-f-]{36}$" % (REGION, ACCOUNT))
        described = self.events.describe_api_destination(Name="orders")
        self.assertEqual({k: described[k] for k in ("Name", "ConnectionArn", "InvocationEndpoint", "HttpMethod",
                                                    "InvocationRateLimitPerSecond", "Description")},
                         {"Name": "orders", "ConnectionArn": connection, "HttpMethod": "POST",
                          "InvocationEndpoint": "https://example.com/orders",
                          "InvocationRateLimitPerSecond": 300, "Description": "the order API"})
        listed = self.events.list_api_destinations(ConnectionArn=connection)["ApiDestinations"]
        self.assertEqual([d["Name"] for d in listed], ["orders"])
        self.assertNotIn("Description", listed[0])

        updated = self.events.update_api_destination(Name="orders", HttpMethod="PUT",
                                                     InvocationRateLimitPerSecond=5)
        self.assertEqual(updated["ApiDestinationState"], "ACTIVE")
        described = self.events.describe_api_destination(Name="orders")
        self.assertEqual((described["HttpMethod"], described["InvocationRateLimitPerSecond"]), ("PUT", 5))

        deauthorized = self.events.deauthorize_connection(Name="orders-api")
        self.assertEqual(deauthorized["ConnectionState"], "DEAUTHORIZING")
        self.assertEqual(self.events.describe_connection(Name="orders-api")["ConnectionState"], "DEAUTHORIZED")
        self.assertEqual(self.events.describe_api_destination(Name="orders")["ApiDestinationState"], "INACTIVE")
        self.events.update_connection(Name="orders-api", AuthParameters={
            "BasicAuthParameters": {"Username": "smaug", "Password": "new"}})
        self.assertEqual(self.events.describe_api_destination(Name="orders")["ApiDestinationState"], "ACTIVE")

        self.assertEqual(self.events.delete_api_destination(Name="orders")["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual(self.error(self.events.describe_api_destination, Name="orders"),
                         ("ResourceNotFoundException",
                          "Failed to describe the api-destination(s). An api-destination 'orders' does not exist.",
                          400))

    def test_bad_requests_get_awss_validation_texts(self):
        self.assertEqual(self.error(self.unchecked.create_connection, Name="c", AuthorizationType="INVALID_AUTH_TYPE",
                                    AuthParameters={}),
                         ("ValidationException",
                          "1 validation error detected: Value 'INVALID_AUTH_TYPE' at 'authorizationType' failed to "
                          "satisfy constraint: Member must satisfy enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, "
                          "API_KEY]", 400))
        self.assertEqual(self.error(self.unchecked.create_connection, Name="Invalid Name With Spaces!",
                                    AuthorizationType="BASIC", AuthParameters={})[1],
                         "1 validation error detected: Value 'Invalid Name With Spaces!' at 'name' failed to satisfy "
                         "constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+")
        self.assertEqual(self.error(self.unchecked.create_api_destination, Name="d",
                                    ConnectionArn="invalid-connection-arn", HttpMethod="INVALID_METHOD",
                                    InvocationEndpoint="invalid-endpoint")[1],
                         "2 validation errors detected: Value 'invalid-connection-arn' at 'connectionArn' failed to "
                         "satisfy constraint: Member must satisfy regular expression pattern: "
                         "^arn:aws([a-z]|\\-)*:events:([a-z]|\\d|\\-)*:([0-9]{12})?:connection\\/"
                         "[\\.\\-_A-Za-z0-9]+\\/[\\-A-Za-z0-9]+$; Value 'INVALID_METHOD' at 'httpMethod' failed to "
                         "satisfy constraint: Member must satisfy enum value set: [HEAD, POST, PATCH, DELETE, PUT, "
                         "GET, OPTIONS]")
        connection = self.basic_connection()["ConnectionArn"]
        self.assertEqual(self.error(self.basic_connection)[:2],
                         ("ResourceAlreadyExistsException", "Connection orders-api already exists."))
        self.destination(connection)
        self.assertEqual(self.error(self.destination, connection_arn=connection)[:2],
                         ("ResourceAlreadyExistsException", "An api-destination 'orders' already exists."))
        missing = connection.replace("orders-api", "nowhere")
        self.assertEqual(self.error(self.destination, connection_arn=missing, name="other")[:2],
                         ("ResourceNotFoundException", "Connection 'nowhere' does not exist."))
        self.assertEqual(self.error(self.events.delete_connection, Name="nowhere")[:2],
                         ("ResourceNotFoundException", "Connection 'nowhere' does not exist."))
        destination = self.events.describe_api_destination(Name="orders")["ApiDestinationArn"]
        self.events.put_rule(Name="r", EventPattern=json.dumps({"source": ["shop"]}))
        self.assertEqual(self.error(self.events.put_targets, Rule="r", Targets=[{"Id": "api", "Arn": destination}]),
                         ("ValidationException", "RoleArn is required for target %s." % destination, 400))


class Invocations(ApiDestinationsTestCase):

    def test_an_event_reaches_the_endpoint_with_awss_headers_and_the_connections_credentials(self):
        connection = self.basic_connection(InvocationHttpParameters={
            "HeaderParameters": [{"Key": "x-tenant", "Value": "north", "IsValueSecret": False},
                                 {"Key": "user-agent", "Value": "forged", "IsValueSecret": False}],
            "QueryStringParameters": [{"Key": "region", "Value": "north", "IsValueSecret": False},
                                      {"Key": "shared", "Value": "from-connection", "IsValueSecret": False}],
            "BodyParameters": [{"Key": "tenant", "Value": "north", "IsValueSecret": True}]})["ConnectionArn"]
        destination = self.destination(connection, path="/shops/*/orders/*")
        self.rule_to(destination, HttpParameters={
            "PathParameterValues": ["kingdom", "42"],
            "HeaderParameters": {"x-trace": "abc", "x-tenant": "south"},
            "QueryStringParameters": {"shared": "from-target", "page": "1"}})
        event_id = self.put_event()
        calls = self.endpoint.wait_for(1)
        self.assertEqual(len(calls), 1)
        call = calls[0]
        self.assertEqual((call.method, call.path), ("POST", "/shops/kingdom/orders/42"))
        # Query and headers from the target and the connection; the connection wins a clash.
        self.assertEqual(call.query, {"region": "north", "shared": "from-connection", "page": "1"})
        self.assertEqual(call.headers["x-tenant"], "north")
        self.assertEqual(call.headers["x-trace"], "abc")
        self.assertEqual(call.headers["user-agent"], "Amazon/EventBridge/ApiDestinations")
        self.assertEqual(call.headers["content-type"], "application/json; charset=utf-8")
        self.assertEqual(call.headers["range"], "bytes=0-1048575")
        self.assertEqual(call.headers["accept-encoding"], "gzip,deflate")
        self.assertEqual(call.headers["authorization"], "Basic " + base64.b64encode(b"smaug:gold").decode())
        body = call.json()
        self.assertEqual((body["id"], body["detail"], body["tenant"]), (event_id, {"order": 42}, "north"))

    def test_api_key_connections_send_their_key_and_transformed_input(self):
        connection = self.events.create_connection(Name="keys", AuthorizationType="API_KEY", AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"}})["ConnectionArn"]
        destination = self.destination(connection, method="PUT")
        self.rule_to(destination, InputTransformer={"InputPathsMap": {"order": "$.detail.order"},
                                                    "InputTemplate": "{\"placed\": <order>}"})
        self.put_event({"order": 7})
        call = self.endpoint.wait_for(1)[0]
        self.assertEqual(call.method, "PUT")
        self.assertEqual(call.headers["x-api-key"], "s3cret")
        self.assertNotIn("authorization", call.headers)
        self.assertEqual(call.json(), {"placed": 7})

    def test_oauth_connections_fetch_a_token_and_send_it_as_a_bearer(self):
        created = self.events.create_connection(Name="oauth", AuthorizationType="OAUTH_CLIENT_CREDENTIALS",
                                                AuthParameters={"OAuthParameters": {
                                                    "AuthorizationEndpoint": self.endpoint.url + "/token",
                                                    "HttpMethod": "POST",
                                                    "ClientParameters": {"ClientID": "wyvern", "ClientSecret": "fire"},
                                                    "OAuthHttpParameters": {"BodyParameters": [
                                                        {"Key": "audience", "Value": "orders", "IsValueSecret": False}]}}})
        self.assertEqual(created["ConnectionState"], "AUTHORIZING")
        deadline = time.time() + WAIT
        while self.events.describe_connection(Name="oauth")["ConnectionState"] != "AUTHORIZED":
            self.assertLess(time.time(), deadline, "the connection was never authorized")
            time.sleep(0.05)
        token_call = self.endpoint.token_calls[0]
        self.assertEqual(token_call.headers["authorization"], "Basic " + base64.b64encode(b"wyvern:fire").decode())
        self.assertEqual(dict(urllib.parse.parse_qsl(token_call.body)),
                         {"grant_type": "client_credentials", "audience": "orders"})
        self.assertEqual(self.events.describe_connection(Name="oauth")["AuthParameters"]["OAuthParameters"]
                         ["ClientParameters"], {"ClientID": "wyvern"})

        destination = self.destination(created["ConnectionArn"])
        self.assertEqual(self.events.describe_api_destination(Name="orders")["ApiDestinationState"], "ACTIVE")
        self.endpoint.statuses = [401]  # the first call's token is refused: a new one is fetched
        self.rule_to(destination)
        self.put_event()
        self.assertEqual(len(self.endpoint.wait_for(1)), 1)
        self.broker.advance(1)
        calls = self.endpoint.wait_for(2)
        self.assertEqual([c.headers["authorization"] for c in calls], ["Bearer tok-1", "Bearer tok-2"])

    def test_failures_are_retried_on_the_virtual_clock_then_dead_lettered(self):
        dlq = self.dead_letter_queue()
        destination = self.destination(self.basic_connection()["ConnectionArn"])
        self.endpoint.statuses = [500, 503, 429]
        self.rule_to(destination, RetryPolicy={"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600},
                     DeadLetterConfig={"Arn": queue_arn("dead-letters")})
        event_id = self.put_event()
        self.assertEqual(len(self.endpoint.wait_for(1)), 1)
        self.broker.advance(1)
        self.assertEqual(len(self.endpoint.wait_for(2)), 2)
        self.broker.advance(2)
        self.assertEqual(len(self.endpoint.wait_for(3)), 3)
        letters = self.dead_letters(dlq)
        self.assertEqual(len(letters), 1)
        self.assertEqual(json.loads(letters[0]["Body"])["id"], event_id)
        attributes = {k: v["StringValue"] for k, v in letters[0]["MessageAttributes"].items()}
        self.assertEqual(attributes["TARGET_ARN"], destination)
        self.assertEqual(attributes["RETRY_ATTEMPTS"], "2")
        self.assertEqual(attributes["EXHAUSTED_RETRY_CONDITION"], "MaximumRetryAttempts")
        self.assertEqual(attributes["ERROR_CODE"], "SDK_CLIENT_ERROR")
        self.assertIn("429", attributes["ERROR_MESSAGE"])

    def test_a_client_error_is_not_retried(self):
        dlq = self.dead_letter_queue()
        destination = self.destination(self.basic_connection()["ConnectionArn"])
        self.endpoint.statuses = [400]
        self.rule_to(destination, DeadLetterConfig={"Arn": queue_arn("dead-letters")})
        self.put_event()
        letters = self.dead_letters(dlq)
        self.assertEqual(len(letters), 1)
        attributes = {k: v["StringValue"] for k, v in letters[0]["MessageAttributes"].items()}
        self.assertEqual(attributes["RETRY_ATTEMPTS"], "0")
        self.assertNotIn("EXHAUSTED_RETRY_CONDITION", attributes)
        self.broker.advance(60)
        self.assertEqual(len(self.endpoint.wait_for(2, timeout=0.5)), 1)

    def test_the_invocation_rate_limit_holds_calls_for_the_next_second(self):
        destination = self.destination(self.basic_connection()["ConnectionArn"], InvocationRateLimitPerSecond=1)
        self.rule_to(destination)
        for order in (1, 2, 3):
            self.put_event({"order": order})
        # One call a second: three take two seconds, which neither real time nor the virtual
        # clock has moved through yet.
        self.assertLess(len(self.endpoint.wait_for(3, timeout=0.5)), 3)
        self.broker.advance(1)
        self.assertGreaterEqual(len(self.endpoint.wait_for(2)), 2)
        self.broker.advance(1)
        self.assertEqual(sorted(c.json()["detail"]["order"] for c in self.endpoint.wait_for(3)), [1, 2, 3])


class Durability(unittest.TestCase):
    def test_connections_and_destinations_survive_a_restart(self):
        data, cleanup = temp_dir()
        self.addCleanup(cleanup)
        endpoint = Endpoint()
        self.addCleanup(endpoint.close)
        broker = Broker(data_dir=data).start()
        events = events_client(broker)
        connection = events.create_connection(Name="keys", AuthorizationType="API_KEY", AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"}})["ConnectionArn"]
        destination = events.create_api_destination(Name="orders", ConnectionArn=connection, HttpMethod="POST",
                                                     InvocationEndpoint=endpoint.url + "/orders")["ApiDestinationArn"]
        events.put_rule(Name="to-api", EventPattern=json.dumps({"source": ["shop"]}))
        events.put_targets(Rule="to-api", Targets=[{"Id": "api", "Arn": destination, "RoleArn": ROLE}])
        broker.stop()

        broker = Broker(data_dir=data).start()
        self.addCleanup(broker.stop)
        events = events_client(broker)
        self.assertEqual(events.describe_connection(Name="keys")["ConnectionArn"], connection)
        self.assertEqual(events.describe_api_destination(Name="orders")["ApiDestinationState"], "ACTIVE")
        events.put_events(Entries=[{"Source": "shop", "DetailType": "Order Placed", "Detail": "{}"}])
        calls = endpoint.wait_for(1)
        self.assertEqual(len(calls), 1)
        self.assertEqual(calls[0].headers["x-api-key"], "s3cret")

    def test_a_restart_goes_on_counting_a_deliverys_attempts(self):
        data, cleanup = temp_dir()
        self.addCleanup(cleanup)
        endpoint = Endpoint()
        self.addCleanup(endpoint.close)
        endpoint.statuses = [500, 500]
        broker = Broker(data_dir=data).start()
        events, sqs = events_client(broker), broker.sqs()
        dlq = sqs.create_queue(QueueName="dead-letters")["QueueUrl"]
        connection = events.create_connection(Name="c", AuthorizationType="BASIC", AuthParameters={
            "BasicAuthParameters": {"Username": "u", "Password": "p"}})["ConnectionArn"]
        destination = events.create_api_destination(Name="d", ConnectionArn=connection, HttpMethod="POST",
                                                     InvocationEndpoint=endpoint.url + "/x")["ApiDestinationArn"]
        events.put_rule(Name="to-api", EventPattern=json.dumps({"source": ["shop"]}))
        events.put_targets(Rule="to-api", Targets=[{
            "Id": "api", "Arn": destination, "RoleArn": ROLE, "RetryPolicy": {"MaximumRetryAttempts": 1},
            "DeadLetterConfig": {"Arn": queue_arn("dead-letters")}}])
        events.put_events(Entries=[{"Source": "shop", "DetailType": "Order Placed", "Detail": "{}"}])
        self.assertEqual(len(endpoint.wait_for(1)), 1)
        broker.stop()

        # The restart makes the one retry the policy allows; its failure is the last.
        broker = Broker(data_dir=data).start()
        self.addCleanup(broker.stop)
        self.assertEqual(len(endpoint.wait_for(2)), 2)
        letters = broker.sqs().receive_message(QueueUrl=dlq, WaitTimeSeconds=WAIT,
                                               MessageAttributeNames=["All"]).get("Messages", [])
        self.assertEqual(len(letters), 1)
        attributes = {k: v["StringValue"] for k, v in letters[0]["MessageAttributes"].items()}
        self.assertEqual((attributes["RETRY_ATTEMPTS"], attributes["EXHAUSTED_RETRY_CONDITION"]),
                         ("1", "MaximumRetryAttempts"))


if __name__ == "__main__":
    unittest.main()
