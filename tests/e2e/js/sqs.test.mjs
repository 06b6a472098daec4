// The AWS SDK for JavaScript v3 (JSON protocol) against a real broker. The SDK verifies the
// MD5 digests of bodies and attributes itself, so every send and receive here checks ours.
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import {
  SQSClient, CreateQueueCommand, GetQueueUrlCommand, ListQueuesCommand, DeleteQueueCommand,
  GetQueueAttributesCommand, SetQueueAttributesCommand, TagQueueCommand, UntagQueueCommand,
  ListQueueTagsCommand, PurgeQueueCommand, SendMessageCommand, SendMessageBatchCommand,
  ReceiveMessageCommand, DeleteMessageCommand, DeleteMessageBatchCommand,
  ChangeMessageVisibilityCommand, ChangeMessageVisibilityBatchCommand,
  ListDeadLetterSourceQueuesCommand, StartMessageMoveTaskCommand, ListMessageMoveTasksCommand,
  CancelMessageMoveTaskCommand, AddPermissionCommand, RemovePermissionCommand,
  QueueDoesNotExist,
} from "@aws-sdk/client-sqs";
import { startBroker, credentials } from "./broker.mjs";

let broker;
let sqs;

before(async () => {
  broker = await startBroker();
  sqs = new SQSClient({ endpoint: broker.endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
});
after(async () => {
  sqs.destroy();
  await broker.stop();
});
beforeEach(async () => {
  await broker.admin("reset", {});
});

const arn = (name) => `arn:aws:sqs:us-east-1:000000000000:${name}`;

test("a producer and a consumer share a queue, digests verified by the SDK", async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "sightings", tags: { app: "dragons" } }));
  assert.equal(QueueUrl, `${broker.endpoint}/000000000000/sightings`);
  assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName: "sightings" }))).QueueUrl, QueueUrl);
  assert.deepEqual((await sqs.send(new ListQueuesCommand({}))).QueueUrls, [QueueUrl]);
  const attributes = {
    species: { DataType: "String", StringValue: "wyvern" },
    scales: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
    count: { DataType: "Number", StringValue: "3" },
  };
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "over the hills", MessageAttributes: attributes }));
  const batch = await sqs.send(new SendMessageBatchCommand({
    QueueUrl, Entries: [{ Id: "a", MessageBody: "one" }, { Id: "b", MessageBody: "two" }],
  }));
  assert.equal(batch.Successful.length, 2);
  assert.equal(batch.Failed, undefined);
  const { Messages } = await sqs.send(new ReceiveMessageCommand({
    QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"],
  }));
  assert.deepEqual(Messages.map((m) => m.Body).sort(), ["one", "over the hills", "two"]);
  const sighting = Messages.find((m) => m.Body === "over the hills");
  assert.deepEqual([...sighting.MessageAttributes.scales.BinaryValue], [1, 2, 3]);
  assert.equal(sighting.Attributes.ApproximateReceiveCount, "1");
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: sighting.ReceiptHandle, VisibilityTimeout: 60 }));
  const changed = await sqs.send(new ChangeMessageVisibilityBatchCommand({
    QueueUrl, Entries: Messages.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 90 })),
  }));
  assert.equal(changed.Successful.length, 3);
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: sighting.ReceiptHandle }));
  const deleted = await sqs.send(new DeleteMessageBatchCommand({
    QueueUrl, Entries: Messages.filter((m) => m !== sighting).map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
  }));
  assert.equal(deleted.Successful.length, 2);
  await broker.admin("clock/advance", { seconds: 90 });
  assert.equal((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages, undefined);
  await sqs.send(new DeleteQueueCommand({ QueueUrl }));
  await assert.rejects(sqs.send(new GetQueueUrlCommand({ QueueName: "sightings" })), QueueDoesNotExist);
});

test("queue attributes, tags, permissions and purge", async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "admin" }));
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { VisibilityTimeout: "45" } }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
  assert.equal(Attributes.VisibilityTimeout, "45");
  assert.equal(Attributes.QueueArn, arn("admin"));
  await sqs.send(new TagQueueCommand({ QueueUrl, Tags: { a: "1", b: "2" } }));
  await sqs.send(new UntagQueueCommand({ QueueUrl, TagKeys: ["a"] }));
  assert.deepEqual((await sqs.send(new ListQueueTagsCommand({ QueueUrl }))).Tags, { b: "2" });
  await sqs.send(new AddPermissionCommand({ QueueUrl, Label: "p", AWSAccountIds: ["111122223333"], Actions: ["ReceiveMessage"] }));
  await sqs.send(new RemovePermissionCommand({ QueueUrl, Label: "p" }));
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "gone soon" }));
  await sqs.send(new PurgeQueueCommand({ QueueUrl }));
  assert.equal((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages, undefined);
});

test("a long poll returns as soon as a message is sent", async () => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "poll" }));
  const started = Date.now();
  const waiting = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 20 }));
  await new Promise((r) => setTimeout(r, 200)); // ordering only: let the receive park first
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "now" }));
  const { Messages } = await waiting;
  assert.equal(Messages[0].Body, "now");
  assert.ok(Date.now() - started < 10_000);
});

test("FIFO order and dead-letter redrive with a move task", async () => {
  const fifo = (await sqs.send(new CreateQueueCommand({
    QueueName: "js.fifo", Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true" },
  }))).QueueUrl;
  for (const body of ["1", "2", "3"]) {
    await sqs.send(new SendMessageCommand({ QueueUrl: fifo, MessageBody: body, MessageGroupId: "g" }));
  }
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: fifo, MaxNumberOfMessages: 10 }));
  assert.deepEqual(got.Messages.map((m) => m.Body), ["1", "2", "3"]);

  await sqs.send(new CreateQueueCommand({ QueueName: "js-dlq" }));
  const src = (await sqs.send(new CreateQueueCommand({
    QueueName: "js-src",
    Attributes: { VisibilityTimeout: "0", RedrivePolicy: JSON.stringify({ deadLetterTargetArn: arn("js-dlq"), maxReceiveCount: 1 }) },
  }))).QueueUrl;
  const dlqUrl = `${broker.endpoint}/000000000000/js-dlq`;
  assert.deepEqual((await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlqUrl }))).queueUrls, [src]);
  await sqs.send(new SendMessageCommand({ QueueUrl: src, MessageBody: "poison" }));
  await sqs.send(new ReceiveMessageCommand({ QueueUrl: src }));
  assert.equal((await sqs.send(new ReceiveMessageCommand({ QueueUrl: src }))).Messages, undefined);
  const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn("js-dlq"), MaxNumberOfMessagesPerSecond: 1 }));
  const running = (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arn("js-dlq") }))).Results[0];
  assert.equal(running.Status, "COMPLETED");
  assert.equal(running.ApproximateNumberOfMessagesMoved, 1);
  await assert.rejects(sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle })), { name: "ResourceNotFoundException" });
  const back = await sqs.send(new ReceiveMessageCommand({ QueueUrl: src }));
  assert.equal(back.Messages[0].Body, "poison");
});
