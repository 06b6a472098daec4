"""Drains a queue: long-polls until it has COUNT messages or TIMEOUT seconds have passed,
deletes what it received, and prints each message on its own line as JSON.

    WYVERN_ENDPOINT=http://127.0.0.1:4566 python3 consumer.py QUEUE [--count M] [--timeout S] [--raw]

By default it prints each sighting (the event's "detail"), unwrapping whatever envelope the
message arrived in: an EventBridge event (what a rule sends, and what SNS passes on with
RawMessageDelivery) or an SNS notification (what SNS sends without it). --raw prints the
whole message body instead, envelope and all (compacted onto one line).
"""
import argparse
import json
import os
import sys
import time

import boto3


def client(service):
    return boto3.client(service,
                        endpoint_url=os.environ.get("WYVERN_ENDPOINT", "http://localhost:4566"),
                        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
                        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"))


def unwrap(body):
    """The sighting inside a message body, whichever way it was delivered."""
    message = json.loads(body)
    if message.get("Type") == "Notification" and "Message" in message:
        message = json.loads(message["Message"])  # an SNS envelope around the event
    return message.get("detail", message)  # an EventBridge event around the sighting


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queue", help="queue name")
    parser.add_argument("--count", type=int, default=10, help="stop after this many (default 10)")
    parser.add_argument("--timeout", type=float, default=10, help="give up after this many seconds")
    parser.add_argument("--raw", action="store_true", help="print whole bodies, envelopes and all")
    args = parser.parse_args()

    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=args.queue)["QueueUrl"]
    deadline = time.monotonic() + args.timeout
    received = 0
    while received < args.count:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        # A long poll: the call waits (up to 20 s) until a message is there, so an idle
        # consumer costs nothing and hears of a message as soon as it arrives.
        answer = sqs.receive_message(QueueUrl=url,
                                     MaxNumberOfMessages=min(10, args.count - received),
                                     WaitTimeSeconds=max(1, min(20, int(left))),
                                     AttributeNames=["All"])
        messages = answer.get("Messages", [])
        for m in messages:
            shown = json.loads(m["Body"]) if args.raw else unwrap(m["Body"])
            print(json.dumps(shown), flush=True)
        # Deleting is the acknowledgement. Until then the messages are only in flight: they
        # come back after the visibility timeout, and in a FIFO queue they hold up their
        # message group, so nothing later in the group is handed out before they are gone.
        for start in range(0, len(messages), 10):
            batch = messages[start:start + 10]
            sqs.delete_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
        received += len(messages)
    print("consumer: %s: %d message(s)" % (args.queue, received), file=sys.stderr)


if __name__ == "__main__":
    main()
