"""Step Functions' optimized integrations through boto3: sqs:sendMessage, sns:publish,
events:putEvents and states:startExecution, request-response and .waitForTaskToken, with the
results, history events and error names AWS gives; the callback flow driven by a worker reading
the queue (success, failure into a Catch, a heartbeat lapsing on the virtual clock); a PutEvents
that starts a machine which publishes to a topic fanning out to a filtered and an unfiltered
queue; and a task token that outlives kill -9."""
import hashlib
import json
import time
import unittest

import boto3
import botocore.config

from harness import ACCOUNT, REGION, Broker, BrokerTestCase, sfn_client, temp_dir

ROLE = "arn:aws:iam::%s:role/wyvern" % ACCOUNT
WAIT = 10


def machine(states, start):
    return json.dumps({"StartAt": start, "States": states})


def queue_arn(name):
    return "arn:aws:sqs:%s:%s:%s" % (REGION, ACCOUNT, name)


def events_client(broker):
    return boto3.client("events", endpoint_url=broker.endpoint, region_name=REGION,
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=botocore.config.Config(retries={"max_attempts": 1}))


def finished(sfn, execution_arn, timeout=WAIT):
    deadline = time.time() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING" or time.time() > deadline:
            return described
        time.sleep(0.02)


def receive(sqs, url, count=1, wait=WAIT):
    got = []
    while len(got) < count:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait,
                                    MessageAttributeNames=["All"]).get("Messages", [])
        if not batch:
            break
        got += batch
    return got


class IntegrationsTestCase(BrokerTestCase):
    def setUp(self):
        super().setUp()
        self.sfn = sfn_client(self.broker)

    def run_machine(self, states, start, input_=None, name="m"):
        arn = self.sfn.create_state_machine(name=name, definition=machine(states, start), roleArn=ROLE)[
            "stateMachineArn"]
        execution = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps(input_ or {}))["executionArn"]
        return arn, execution

    def history(self, execution):
        return self.sfn.get_execution_history(executionArn=execution)["events"]


class RequestResponse(IntegrationsTestCase):

    def test_send_message_sends_the_serialised_body_and_answers_as_aws(self):
        url = self.sqs.create_queue(QueueName="sightings")["QueueUrl"]
        _, execution = self.run_machine({"Send": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True,
            "Parameters": {"QueueUrl": url, "MessageBody": {"dragon.$": "$.dragon"}}}}, "Send", {"dragon": "Smaug"})
        described = finished(self.sfn, execution)
        self.assertEqual(described["status"], "SUCCEEDED", described)
        output = json.loads(described["output"])
        got = receive(self.sqs, url)
        self.assertEqual(len(got), 1)
        self.assertEqual(json.loads(got[0]["Body"]), {"dragon": "Smaug"})
        self.assertEqual(output["MessageId"], got[0]["MessageId"])
        self.assertEqual(output["MD5OfMessageBody"], hashlib.md5(got[0]["Body"].encode()).hexdigest())
        self.assertEqual(output["SdkHttpMetadata"]["HttpStatusCode"], 200)
        self.assertEqual(output["SdkResponseMetadata"]["RequestId"],
                         output["SdkHttpMetadata"]["HttpHeaders"]["x-amzn-RequestId"])
        events = self.history(execution)
        scheduled = next(e for e in events if e["type"] == "TaskScheduled")["taskScheduledEventDetails"]
        self.assertEqual((scheduled["resourceType"], scheduled["resource"], scheduled["region"]),
                         ("sqs", "sendMessage", REGION))
        self.assertEqual(json.loads(scheduled["parameters"]), {"QueueUrl": url, "MessageBody": {"dragon": "Smaug"}})
        types = [e["type"] for e in events]
        self.assertEqual(types[types.index("TaskScheduled"):types.index("TaskSucceeded") + 1],
                         ["TaskScheduled", "TaskStarted", "TaskSucceeded"])
        succeeded = next(e for e in events if e["type"] == "TaskSucceeded")["taskSucceededEventDetails"]
        self.assertEqual((succeeded["resourceType"], succeeded["resource"]), ("sqs", "sendMessage"))

    def test_put_events_adds_the_execution_to_the_events_resources(self):
        events = events_client(self.broker)
        url = self.sqs.create_queue(QueueName="seen")["QueueUrl"]
        events.put_rule(Name="seen", EventPattern=json.dumps({"source": ["sightings"]}))
        events.put_targets(Rule="seen", Targets=[{"Id": "q", "Arn": queue_arn("seen")}])
        machine_arn, execution = self.run_machine({"Put": {
            "Type": "Task", "Resource": "arn:aws:states:::events:putEvents", "End": True,
            "Parameters": {"Entries": [{"Source": "sightings", "DetailType": "Dragon Seen",
                                        "Detail": {"dragon.$": "$.dragon"}, "Resources": ["cave"]}]}}},
            "Put", {"dragon": "Glaurung"})
        described = finished(self.sfn, execution)
        self.assertEqual(described["status"], "SUCCEEDED", described)
        output = json.loads(described["output"])
        self.assertEqual(output["FailedEntryCount"], 0)
        self.assertEqual(set(output), {"Entries", "FailedEntryCount"})
        event = json.loads(receive(self.sqs, url)[0]["Body"])
        self.assertEqual(event["id"], output["Entries"][0]["EventId"])
        self.assertEqual(event["detail"], {"dragon": "Glaurung"})
        self.assertEqual(event["resources"], ["cave", machine_arn, execution])

    def test_a_refused_entry_fails_the_task_with_the_whole_answer(self):
        _, execution = self.run_machine({"Put": {
            "Type": "Task", "Resource": "arn:aws:states:::events:putEvents", "End": True,
            "Parameters": {"Entries": [{"Source": "sightings", "DetailType": "x", "Detail": "\"not an object\""}]}}},
            "Put")
        described = finished(self.sfn, execution)
        self.assertEqual((described["status"], described["error"]), ("FAILED", "EventBridge.FailedEntry"))
        self.assertEqual(json.loads(described["cause"]), {
            "Entries": [{"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}],
            "FailedEntryCount": 1})

    def test_start_execution_starts_the_child_with_the_serialised_input(self):
        child = self.sfn.create_state_machine(name="child", roleArn=ROLE, definition=machine(
            {"Done": {"Type": "Pass", "End": True}}, "Done"))["stateMachineArn"]
        _, execution = self.run_machine({"Start": {
            "Type": "Task", "Resource": "arn:aws:states:::states:startExecution", "End": True,
            "Parameters": {"StateMachineArn": child, "Name": "hatchling",
                           "Input": {"egg.$": "$.egg",
                                     "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}}}},
            "Start", {"egg": 3})
        described = finished(self.sfn, execution)
        self.assertEqual(described["status"], "SUCCEEDED", described)
        output = json.loads(described["output"])
        self.assertEqual(output["ExecutionArn"], child.replace(":stateMachine:", ":execution:") + ":hatchling")
        self.assertIsInstance(output["StartDate"], int)
        self.assertEqual(output["SdkHttpMetadata"]["HttpStatusCode"], 200)
        child_run = finished(self.sfn, output["ExecutionArn"])
        self.assertEqual(json.loads(child_run["input"]),
                         {"egg": 3, "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID": execution})

    def test_integration_errors_carry_awss_names_for_catch(self):
        missing = self.url("nowhere")
        _, execution = self.run_machine({
            "Send": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "Next": "Publish",
                     "Parameters": {"QueueUrl": missing, "MessageBody": "x"},
                     "Catch": [{"ErrorEquals": ["SQS.QueueDoesNotExistException"], "ResultPath": "$.sqs",
                                "Next": "Publish"}]},
            "Publish": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish", "Next": "Start",
                        "Parameters": {"TopicArn": "arn:aws:sns:%s:%s:gone" % (REGION, ACCOUNT), "Message": "x"},
                        "Catch": [{"ErrorEquals": ["SNS.NotFoundException"], "ResultPath": "$.sns",
                                   "Next": "Start"}]},
            "Start": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution", "End": True,
                      "Parameters": {"StateMachineArn": "arn:aws:states:%s:%s:stateMachine:gone" % (REGION, ACCOUNT)},
                      "Catch": [{"ErrorEquals": ["StepFunctions.StateMachineDoesNotExistException"],
                                 "ResultPath": "$.states", "Next": "Caught"}]},
            "Caught": {"Type": "Pass", "End": True}}, "Send")
        described = finished(self.sfn, execution)
        self.assertEqual(described["status"], "SUCCEEDED", described)
        output = json.loads(described["output"])
        self.assertEqual(output["sqs"]["Error"], "SQS.QueueDoesNotExistException")
        self.assertRegex(output["sqs"]["Cause"],
                         r"^The specified queue does not exist\..* \(Service: AmazonSQS; Status Code: 400; "
                         r"Error Code: AWS\.SimpleQueueService\.NonExistentQueue; Request ID: [0-9a-f-]+; "
                         r"Proxy: null\)$")
        self.assertEqual(output["sns"]["Error"], "SNS.NotFoundException")
        self.assertIn("(Service: AmazonSNS; Status Code: 404; Error Code: NotFound;", output["sns"]["Cause"])
        self.assertEqual(output["states"]["Error"], "StepFunctions.StateMachineDoesNotExistException")
        failed = next(e for e in self.history(execution) if e["type"] == "TaskFailed")["taskFailedEventDetails"]
        self.assertEqual((failed["resourceType"], failed["resource"], failed["error"]),
                         ("sqs", "sendMessage", "SQS.QueueDoesNotExistException"))

    def test_a_missing_message_body_is_the_sdks_generic_exception(self):
        url = self.sqs.create_queue(QueueName="q")["QueueUrl"]
        _, execution = self.run_machine({"Send": {
            "Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": True,
            "Parameters": {"QueueUrl": url}}}, "Send")
        described = finished(self.sfn, execution)
        self.assertEqual((described["status"], described["error"]), ("FAILED", "SQS.AmazonSQSException"))
        self.assertIn("Error Code: MissingParameter;", described["cause"])


class SdkIntegrations(IntegrationsTestCase):

    def test_aws_sdk_tasks_call_any_action_and_answer_in_pascal_case(self):
        _, execution = self.run_machine({
            "Create": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:createQueue",
                       "Parameters": {"QueueName": "hoard"}, "ResultPath": "$.queue", "Next": "Send"},
            "Send": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:sendMessage",
                     "Parameters": {"QueueUrl.$": "$.queue.QueueUrl", "MessageBody": "gold"},
                     "ResultPath": "$.sent", "Next": "Count"},
            "Count": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:getQueueAttributes",
                      "Parameters": {"QueueUrl.$": "$.queue.QueueUrl",
                                     "AttributeNames": ["ApproximateNumberOfMessages"]},
                      "ResultPath": "$.count", "Next": "Machines"},
            "Machines": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:listStateMachines",
                         "Parameters": {}, "ResultSelector": {"names.$": "$.StateMachines[*].Name",
                                                              "created.$": "$.StateMachines[0].CreationDate"},
                         "ResultPath": "$.machines", "Next": "Put"},
            "Put": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:eventbridge:putEvents",
                    "Parameters": {"Entries": [{"Source": "hoard", "DetailType": "Counted", "Detail": "{}"}]},
                    "ResultPath": "$.put", "End": True}}, "Create")
        described = finished(self.sfn, execution)
        self.assertEqual(described["status"], "SUCCEEDED", described)
        output = json.loads(described["output"])
        self.assertEqual(output["queue"], {"QueueUrl": self.url("hoard")})
        self.assertNotIn("SdkHttpMetadata", output["sent"])
        self.assertIn("MessageId", output["sent"])
        self.assertEqual(output["count"], {"Attributes": {"ApproximateNumberOfMessages": "1"}})
        self.assertEqual(output["machines"]["names"], ["m"])
        self.assertRegex(output["machines"]["created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(output["put"]["FailedEntryCount"], 0)
        scheduled = [e["taskScheduledEventDetails"] for e in self.history(execution) if e["type"] == "TaskScheduled"]
        self.assertEqual([(d["resourceType"], d["resource"]) for d in scheduled][:2],
                         [("aws-sdk:sqs", "createQueue"), ("aws-sdk:sqs", "sendMessage")])

    def test_aws_sdk_sns_reaches_every_shape_of_the_query_only_service(self):
        url = self.sqs.create_queue(QueueName="roosts")["QueueUrl"]
        sdk = "arn:aws:states:::aws-sdk:sns:"
        _, execution = self.run_machine({
            "Create": {"Type": "Task", "Resource": sdk + "createTopic", "ResultPath": "$.topic", "Next": "Tag",
                       "Parameters": {"Name": "roosts", "Attributes": {"DisplayName": "Roosts"},
                                      "Tags": [{"Key": "colour", "Value": "red"}]}},
            "Tag": {"Type": "Task", "Resource": sdk + "listTagsForResource", "ResultPath": "$.tags",
                    "Parameters": {"ResourceArn.$": "$.topic.TopicArn"}, "Next": "Attributes"},
            "Attributes": {"Type": "Task", "Resource": sdk + "getTopicAttributes", "Next": "Subscribe",
                           "Parameters": {"TopicArn.$": "$.topic.TopicArn"},
                           "ResultSelector": {"name.$": "$.Attributes.DisplayName"}, "ResultPath": "$.attributes"},
            "Subscribe": {"Type": "Task", "Resource": sdk + "subscribe", "ResultPath": "$.subscription",
                          "Parameters": {"TopicArn.$": "$.topic.TopicArn", "Protocol": "sqs",
                                         "Endpoint": queue_arn("roosts"), "ReturnSubscriptionArn": True,
                                         "Attributes": {"RawMessageDelivery": "true"}}, "Next": "Publish"},
            "Publish": {"Type": "Task", "Resource": sdk + "publish", "ResultPath": "$.published",
                        "Parameters": {"TopicArn.$": "$.topic.TopicArn", "Message": "a dragon roosts",
                                       "MessageAttributes": {"kind": {"DataType": "String",
                                                                      "StringValue": "red"}}},
                        "Next": "Batch"},
            "Batch": {"Type": "Task", "Resource": sdk + "publishBatch", "ResultPath": "$.batch",
                      "Parameters": {"TopicArn.$": "$.topic.TopicArn", "PublishBatchRequestEntries": [
                          {"Id": "one", "Message": "first"}, {"Id": "two", "Message": "second"}]},
                      "Next": "Topics"},
            "Topics": {"Type": "Task", "Resource": sdk + "listTopics", "Parameters": {},
                       "ResultPath": "$.topics", "Next": "OptedOut"},
            "OptedOut": {"Type": "Task", "Resource": sdk + "checkIfPhoneNumberIsOptedOut",
                         "Parameters": {"PhoneNumber": "+15555550100"}, "ResultPath": "$.opted", "Next": "Gone"},
            "Gone": {"Type": "Task", "Resource": sdk + "getTopicAttributes", "End": True,
                     "Parameters": {"TopicArn.$": "States.Format('{}-gone', $.topic.TopicArn)"},
                     "Catch": [{"ErrorEquals": ["Sns.NotFoundException"], "ResultPath": "$.error",
                                "Next": "Caught"}]},
            "Caught": {"Type": "Pass", "End": True}}, "Create")
        described = finished(self.sfn, execution)
        self.assertEqual(described["status"], "SUCCEEDED", described)
        out = json.loads(described["output"])
        topic = "arn:aws:sns:%s:%s:roosts" % (REGION, ACCOUNT)
        self.assertEqual(out["topic"], {"TopicArn": topic})
        self.assertEqual(out["tags"], {"Tags": [{"Key": "colour", "Value": "red"}]})
        self.assertEqual(out["attributes"], {"name": "Roosts"})
        self.assertTrue(out["subscription"]["SubscriptionArn"].startswith(topic + ":"))
        self.assertEqual(list(out["published"]), ["MessageId"])
        self.assertEqual([(s["Id"], sorted(s)) for s in out["batch"]["Successful"]],
                         [("one", ["Id", "MessageId"]), ("two", ["Id", "MessageId"])])
        self.assertEqual(out["batch"]["Failed"], [])
        self.assertEqual(out["topics"], {"Topics": [{"TopicArn": topic}]})
        self.assertEqual(out["opted"], {"IsOptedOut": False})
        self.assertEqual(out["error"]["Error"], "Sns.NotFoundException")
        self.assertRegex(out["error"]["Cause"], r"\(Service: Sns, Status Code: 404, Request ID: [0-9a-f-]+\)$")
        got = receive(self.sqs, url, count=3)
        self.assertEqual(sorted(m["Body"] for m in got), ["a dragon roosts", "first", "second"])
        attributed = next(m for m in got if m["Body"] == "a dragon roosts")
        self.assertEqual(attributed["MessageAttributes"]["kind"]["StringValue"], "red")

    def test_aws_sdk_errors_are_named_after_the_sdk_v2_clients(self):
        _, execution = self.run_machine({"Find": {
            "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sqs:getQueueUrl", "End": True,
            "Parameters": {"QueueName": "nowhere"},
            "Catch": [{"ErrorEquals": ["Sqs.QueueDoesNotExistException"], "Next": "Caught"}]},
            "Caught": {"Type": "Pass", "End": True}}, "Find")
        described = finished(self.sfn, execution)
        self.assertEqual(described["status"], "SUCCEEDED", described)
        caught = json.loads(described["output"])
        self.assertEqual(caught["Error"], "Sqs.QueueDoesNotExistException")
        self.assertRegex(caught["Cause"], r"\(Service: Sqs, Status Code: 400, Request ID: [0-9a-f-]+\)$")


class NestedExecutions(IntegrationsTestCase):

    def child(self, name, states):
        return self.sfn.create_state_machine(name=name, roleArn=ROLE, definition=machine(states, "S"))[
            "stateMachineArn"]

    def test_sync_waits_for_the_child_and_returns_its_description(self):
        child = self.child("hatch", {"S": {"Type": "Wait", "Seconds": 30, "Next": "T"},
                                     "T": {"Type": "Pass", "Parameters": {"hatched.$": "$.egg"}, "End": True}})
        _, execution = self.run_machine({
            "Strings": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
                        "Parameters": {"StateMachineArn": child, "Input": {"egg.$": "$.egg"}},
                        "ResultPath": "$.sync", "Next": "Values"},
            "Values": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                       "Parameters": {"StateMachineArn": child, "Input": {"egg.$": "$.egg"}},
                       "ResultPath": "$.sync2", "End": True}}, "Strings", {"egg": 7})
        self.broker.advance(31)
        # The second child starts once the first has ended; then its Wait needs the clock too.
        deadline = time.time() + WAIT
        while len(self.sfn.list_executions(stateMachineArn=child)["executions"]) < 2:
            self.assertLess(time.time(), deadline, "the second child never started")
            time.sleep(0.02)
        self.broker.advance(31)
        described = finished(self.sfn, execution)
        self.assertEqual(described["status"], "SUCCEEDED", described)
        output = json.loads(described["output"])
        first, second = output["sync"], output["sync2"]
        self.assertEqual((first["Status"], first["Output"], first["Input"]),
                         ("SUCCEEDED", json.dumps({"hatched": 7}, separators=(",", ":")),
                          json.dumps({"egg": 7}, separators=(",", ":"))))
        self.assertEqual((second["Output"], second["Input"]), ({"hatched": 7}, {"egg": 7}))
        self.assertEqual(first["OutputDetails"], {"Included": True})
        self.assertNotIn("SdkHttpMetadata", first)
        self.assertEqual(sorted(first), ["ExecutionArn", "Input", "InputDetails", "Name", "Output", "OutputDetails",
                                         "StartDate", "StateMachineArn", "Status", "StopDate"])
        types = [e["type"] for e in self.history(execution)]
        self.assertEqual(types.count("TaskSubmitted"), 2)
        submitted = next(e for e in self.history(execution) if e["type"] == "TaskSubmitted")
        self.assertEqual(submitted["taskSubmittedEventDetails"]["resource"], "startExecution.sync")
        self.assertIn("SdkHttpMetadata", json.loads(submitted["taskSubmittedEventDetails"]["output"]))

    def test_a_failing_child_fails_the_sync_task_into_the_parents_catch(self):
        child = self.child("doomed", {"S": {"Type": "Fail", "Error": "Egg.Cracked", "Cause": "dropped"}})
        _, execution = self.run_machine({
            "Run": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
                    "Parameters": {"StateMachineArn": child},
                    "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.failure", "Next": "Mourn"}],
                    "End": True},
            "Mourn": {"Type": "Pass", "End": True}}, "Run")
        described = finished(self.sfn, execution)
        self.assertEqual(described["status"], "SUCCEEDED", described)
        failure = json.loads(described["output"])["failure"]
        self.assertEqual(failure["Error"], "States.TaskFailed")
        cause = json.loads(failure["Cause"])
        self.assertEqual((cause["Status"], cause["Error"], cause["Cause"]), ("FAILED", "Egg.Cracked", "dropped"))
        self.assertNotIn("Output", cause)


class Callbacks(IntegrationsTestCase):
    WAITING = {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "HeartbeatSeconds": 60, "Next": "Done",
                "Parameters": {"QueueUrl.$": "$.queue", "MessageBody": {"token.$": "$$.Task.Token",
                                                                         "dragon.$": "$.dragon"}},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Done"}]},
        "Done": {"Type": "Pass", "End": True}}

    def start_waiting(self):
        url = self.sqs.create_queue(QueueName="work")["QueueUrl"]
        _, execution = self.run_machine(self.WAITING, "Ask", {"queue": url, "dragon": "Smaug"})
        got = receive(self.sqs, url)
        self.assertEqual(len(got), 1)
        body = json.loads(got[0]["Body"])
        self.assertEqual(body["dragon"], "Smaug")
        return execution, body["token"]

    def test_a_worker_answers_with_the_token_and_the_execution_goes_on(self):
        execution, token = self.start_waiting()
        self.assertEqual(self.sfn.describe_execution(executionArn=execution)["status"], "RUNNING")
        self.sfn.send_task_heartbeat(taskToken=token)
        self.sfn.send_task_success(taskToken=token, output=json.dumps({"slain": True}))
        described = finished(self.sfn, execution)
        self.assertEqual((described["status"], json.loads(described["output"])), ("SUCCEEDED", {"slain": True}))
        types = [e["type"] for e in self.history(execution)]
        self.assertEqual(types[types.index("TaskScheduled"):types.index("TaskSucceeded") + 1],
                         ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"])
        submitted = next(e for e in self.history(execution) if e["type"] == "TaskSubmitted")
        self.assertIn("MessageId", json.loads(submitted["taskSubmittedEventDetails"]["output"]))
        # A token is good once.
        with self.assertRaises(self.sfn.exceptions.TaskTimedOut):
            self.sfn.send_task_success(taskToken=token, output="{}")

    def test_a_failure_sent_with_the_token_lands_in_the_catch(self):
        execution, token = self.start_waiting()
        self.sfn.send_task_failure(taskToken=token, error="Dragon.Escaped", cause="it flew off")
        described = finished(self.sfn, execution)
        self.assertEqual(described["status"], "SUCCEEDED", described)
        self.assertEqual(json.loads(described["output"])["failure"],
                         {"Error": "Dragon.Escaped", "Cause": "it flew off"})

    def test_a_lapsed_heartbeat_times_the_task_out(self):
        execution, token = self.start_waiting()
        self.broker.advance(61)
        described = finished(self.sfn, execution)
        self.assertEqual(described["status"], "SUCCEEDED", described)
        self.assertEqual(json.loads(described["output"])["failure"]["Error"], "States.Timeout")
        self.assertIn("TaskTimedOut", [e["type"] for e in self.history(execution)])
        with self.assertRaises(self.sfn.exceptions.TaskTimedOut):
            self.sfn.send_task_success(taskToken=token, output="{}")


class RoutedEvents(IntegrationsTestCase):

    def test_put_events_starts_a_machine_that_publishes_to_a_filtered_fan_out(self):
        sns = self.broker.sns()
        topic = sns.create_topic(Name="alarms")["TopicArn"]
        everything = self.sqs.create_queue(QueueName="everything")["QueueUrl"]
        big_only = self.sqs.create_queue(QueueName="big-only")["QueueUrl"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("everything"),
                      Attributes={"RawMessageDelivery": "true"})
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("big-only"),
                      Attributes={"RawMessageDelivery": "true",
                                  "FilterPolicy": json.dumps({"size": [{"numeric": [">=", 10]}]})})
        alarm = self.sfn.create_state_machine(name="alarm", roleArn=ROLE, definition=machine({"Publish": {
            "Type": "Task", "Resource": "arn:aws:states:::sns:publish", "End": True,
            "Parameters": {"TopicArn": topic, "Message": {"dragon.$": "$.detail.dragon"},
                           "MessageAttributes": {"size": {"DataType": "Number",
                                                          "StringValue.$": "States.Format('{}', $.detail.size)"}}}}},
            "Publish"))["stateMachineArn"]
        events = events_client(self.broker)
        events.put_rule(Name="sightings", EventPattern=json.dumps({"source": ["sightings"]}))
        events.put_targets(Rule="sightings", Targets=[{"Id": "alarm", "Arn": alarm, "RoleArn": ROLE}])
        events.put_events(Entries=[
            {"Source": "sightings", "DetailType": "Dragon Seen", "Detail": json.dumps({"dragon": "Smaug", "size": 20})},
            {"Source": "sightings", "DetailType": "Dragon Seen", "Detail": json.dumps({"dragon": "Puff", "size": 2})}])
        bodies = sorted(json.loads(m["Body"])["dragon"] for m in receive(self.sqs, everything, count=2))
        self.assertEqual(bodies, ["Puff", "Smaug"])
        self.assertEqual([json.loads(m["Body"])["dragon"] for m in receive(self.sqs, big_only)], ["Smaug"])
        self.assertEqual(receive(self.sqs, big_only, wait=1), [])
        runs = self.sfn.list_executions(stateMachineArn=alarm)["executions"]
        self.assertEqual(len(runs), 2)
        output = json.loads(finished(self.sfn, runs[0]["executionArn"])["output"])
        self.assertEqual(set(output), {"MessageId", "SdkHttpMetadata", "SdkResponseMetadata"})


class StatusChanges(IntegrationsTestCase):

    def test_every_status_of_a_standard_execution_reaches_the_rules(self):
        events = events_client(self.broker)
        url = self.sqs.create_queue(QueueName="outcomes")["QueueUrl"]
        events.put_rule(Name="outcomes", EventPattern=json.dumps({
            "source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"]}))
        events.put_targets(Rule="outcomes", Targets=[{"Id": "q", "Arn": queue_arn("outcomes")}])
        runs = {}
        for name, states in [
                ("ok", {"S": {"Type": "Pass", "Result": {"fine": True}, "End": True}}),
                ("bad", {"S": {"Type": "Fail", "Error": "Dragon.Angry", "Cause": "poked"}}),
                ("slow", {"S": {"Type": "Wait", "Seconds": 3600, "End": True}}),
                ("stopped", {"S": {"Type": "Wait", "Seconds": 3600, "End": True}})]:
            definition = json.loads(machine(states, "S"))
            if name == "slow":
                definition["TimeoutSeconds"] = 60
            arn = self.sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)[
                "stateMachineArn"]
            runs[name] = self.sfn.start_execution(stateMachineArn=arn, input=json.dumps({"n": name}))["executionArn"]
        self.sfn.stop_execution(executionArn=runs["stopped"], error="Knight.Arrived", cause="quest over")
        self.broker.advance(61)
        self.assertEqual(finished(self.sfn, runs["slow"])["status"], "TIMED_OUT")
        express = self.sfn.create_state_machine(name="quick", type="EXPRESS", roleArn=ROLE, definition=machine(
            {"S": {"Type": "Pass", "End": True}}, "S"))["stateMachineArn"]
        self.sfn.start_execution(stateMachineArn=express)

        seen = {}
        for m in receive(self.sqs, url, count=8):
            event = json.loads(m["Body"])
            self.assertEqual((event["source"], event["detail-type"]),
                             ("aws.states", "Step Functions Execution Status Change"))
            self.assertEqual(event["resources"], [event["detail"]["executionArn"]])
            seen.setdefault(event["detail"]["name"], []).append(event["detail"])
        names = {arn: name for name, arn in runs.items()}
        statuses = {names[d[0]["executionArn"]]: sorted(x["status"] for x in d) for d in seen.values()}
        self.assertEqual(statuses, {"ok": ["RUNNING", "SUCCEEDED"], "bad": ["FAILED", "RUNNING"],
                                    "slow": ["RUNNING", "TIMED_OUT"], "stopped": ["ABORTED", "RUNNING"]})
        # Express executions send none.
        self.assertEqual(receive(self.sqs, url, wait=1), [])
        done = next(d for d in seen[runs["ok"].split(":")[-1]] if d["status"] == "SUCCEEDED")
        self.assertEqual((json.loads(done["output"]), done["outputDetails"], json.loads(done["input"])),
                         ({"fine": True}, {"included": True}, {"n": "ok"}))
        self.assertIsInstance(done["startDate"], int)
        self.assertIsInstance(done["stopDate"], int)
        failed = next(d for d in seen[runs["bad"].split(":")[-1]] if d["status"] == "FAILED")
        self.assertEqual((failed["error"], failed["cause"], failed["output"]), ("Dragon.Angry", "poked", None))
        running = next(d for d in seen[runs["bad"].split(":")[-1]] if d["status"] == "RUNNING")
        self.assertIsNone(running["stopDate"])

    def test_status_changes_carry_the_redrive_facts_in_awss_order(self):
        if not hasattr(self.sfn, "redrive_execution"):
            self.skipTest("boto3 %s predates RedriveExecution" % boto3.__version__)
        events = events_client(self.broker)
        url = self.sqs.create_queue(QueueName="redrives")["QueueUrl"]
        events.put_rule(Name="redrives", EventPattern=json.dumps({"source": ["aws.states"]}))
        events.put_targets(Rule="redrives", Targets=[{"Id": "q", "Arn": queue_arn("redrives")}])
        _, run = self.run_machine({"S": {"Type": "Fail", "Error": "Egg.Cracked"}}, "S", name="hatch")
        self.assertEqual(finished(self.sfn, run)["status"], "FAILED")
        self.sfn.redrive_execution(executionArn=run)
        self.assertEqual(finished(self.sfn, run)["status"], "FAILED")
        details = [json.loads(m["Body"])["detail"] for m in receive(self.sqs, url, count=4)]
        details.sort(key=lambda d: (d["redriveCount"], d["status"] != "RUNNING"))
        self.assertEqual([(d["status"], d["redriveCount"], d["redriveStatus"], d["redriveStatusReason"])
                          for d in details],
                         [("RUNNING", 0, "NOT_REDRIVABLE", "Execution is RUNNING and cannot be redriven"),
                          ("FAILED", 0, "REDRIVABLE", None),
                          ("RUNNING", 1, "NOT_REDRIVABLE", "Execution is RUNNING and cannot be redriven"),
                          ("FAILED", 1, "REDRIVABLE", None)])
        self.assertEqual(list(details[0]), [
            "executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate", "input",
            "inputDetails", "output", "outputDetails", "redriveCount", "redriveDate", "redriveStatus",
            "redriveStatusReason", "error", "cause"])
        self.assertIsNone(details[0]["redriveDate"])
        redriven = self.sfn.describe_execution(executionArn=run)["redriveDate"]
        self.assertEqual(details[2]["redriveDate"], int(redriven.timestamp() * 1000))
        self.assertEqual(details[3]["error"], "Egg.Cracked")


class Durability(unittest.TestCase):
    def test_a_task_token_completes_its_execution_after_kill_9(self):
        data, cleanup = temp_dir()
        self.addCleanup(cleanup)
        broker = Broker(data_dir=data).start()
        sqs, sfn = broker.sqs(), sfn_client(broker)
        url = sqs.create_queue(QueueName="work")["QueueUrl"]
        arn = sfn.create_state_machine(name="m", roleArn=ROLE, definition=machine(Callbacks.WAITING, "Ask"))[
            "stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"queue": url, "dragon": "Smaug"}))[
            "executionArn"]
        token = json.loads(receive(sqs, url)[0]["Body"])["token"]
        broker.kill()

        broker = Broker(data_dir=data).start()
        self.addCleanup(broker.stop)
        sfn = sfn_client(broker)
        self.assertEqual(sfn.describe_execution(executionArn=execution)["status"], "RUNNING")
        sfn.send_task_success(taskToken=token, output=json.dumps({"after": "restart"}))
        described = finished(sfn, execution)
        self.assertEqual((described["status"], json.loads(described["output"])), ("SUCCEEDED", {"after": "restart"}))


if __name__ == "__main__":
    unittest.main()
