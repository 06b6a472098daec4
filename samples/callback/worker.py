"""A task worker with boto3: takes hatching tasks from a queue and answers Step Functions with
the task token each message carries. Usage: python3 worker.py QUEUE_URL (endpoint from
$WYVERN_ENDPOINT). Runs until interrupted.

  red, gold, ... -> SendTaskSuccess {"dragon": "<egg> dragon"} (with a heartbeat first)
  stone          -> SendTaskFailure Egg.NotAnEgg
  forgotten      -> no answer at all: the execution times out once HeartbeatSeconds pass
"""
import json
import os
import sys

import boto3

endpoint = os.environ.get("WYVERN_ENDPOINT", "http://localhost:4566")
session = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
sqs = boto3.client("sqs", **session)
sfn = boto3.client("stepfunctions", **session)
queue = sys.argv[1]

print("python worker: waiting for eggs on", queue, flush=True)
while True:
    for message in sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", []):
        task = json.loads(message["Body"])
        token, egg = task["TaskToken"], task["egg"]
        if egg == "stone":
            sfn.send_task_failure(taskToken=token, error="Egg.NotAnEgg", cause="a stone cannot hatch")
            print("python worker: refused", egg, flush=True)
        elif egg == "forgotten":
            print("python worker: forgot", egg, flush=True)  # a worker that crashed mid-task
        else:
            sfn.send_task_heartbeat(taskToken=token)  # still working: keeps the task alive
            sfn.send_task_success(taskToken=token, output=json.dumps({"dragon": egg + " dragon"}))
            print("python worker: hatched", egg, flush=True)
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
