// The AWS SDK for JavaScript v3 against Wyvern's SNS (Query protocol), with the SQS client (JSON
// protocol) reading what SNS delivered. Deliveries follow the Publish call, so queues are read
// with long polls; a queue that must stay empty is checked after a sibling subscription that
// takes everything has received the same publishes (filtering happens when SNS accepts them).
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { createVerify } from "node:crypto";
import {
  SNSClient, CreateTopicCommand, SubscribeCommand, PublishCommand, PublishBatchCommand,
  GetTopicAttributesCommand, SetTopicAttributesCommand, GetSubscriptionAttributesCommand,
  SetSubscriptionAttributesCommand, ListSubscriptionsByTopicCommand,
  NotFoundException, InvalidParameterException, BatchEntryIdsNotDistinctException,
  TooManyEntriesInBatchRequestException, InvalidParameterValueException, ResourceNotFoundException,
  ListTagsForResourceCommand, DeleteTopicCommand,
} from "@aws-sdk/client-sns";
import { SQSClient, CreateQueueCommand, ReceiveMessageCommand, DeleteMessageCommand } from "@aws-sdk/client-sqs";
import { startBroker, credentials } from "./broker.mjs";

let broker;
let sns;
let sqs;

before(async () => {
  broker = await startBroker();
  const config = { endpoint: broker.endpoint, region: "us-east-1", credentials, maxAttempts: 1 };
  sns = new SNSClient(config);
  sqs = new SQSClient(config);
});
after(async () => {
  sns.destroy();
  sqs.destroy();
  await broker.stop();
});
beforeEach(async () => {
  await broker.admin("reset", {});
});

const topicArn = (name) => `arn:aws:sns:us-east-1:000000000000:${name}`;

async function topic(name, Attributes) {
  return (await sns.send(new CreateTopicCommand({ Name: name, Attributes }))).TopicArn;
}

async function queue(name, Attributes) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes }));
  return { url: QueueUrl, arn: `arn:aws:sqs:us-east-1:000000000000:${name}` };
}

async function subscribe(TopicArn, q, Attributes) {
  const out = await sns.send(new SubscribeCommand({
    TopicArn, Protocol: "sqs", Endpoint: q.arn, Attributes, ReturnSubscriptionArn: true,
  }));
  return out.SubscriptionArn;
}

// Long-polls until `count` messages have arrived, or `waitMs` have passed.
async function receive(q, count, waitMs = 20_000) {
  const got = [];
  const deadline = Date.now() + waitMs;
  while (got.length < count && Date.now() < deadline) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: q.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2,
      MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"],
    }));
    got.push(...(Messages ?? []));
  }
  return got;
}

async function assertEmpty(q) {
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 1 }));
  assert.equal(Messages, undefined, `expected ${q.url} to be empty`);
}

// What SNS signs for a Notification: "Name\nValue\n" for Message, MessageId, Subject (when
// present), Timestamp, TopicArn and Type, in that order (AWS's "Verifying the signatures of
// Amazon SNS messages").
function stringToSign(envelope) {
  return ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    .filter((k) => envelope[k] !== undefined)
    .map((k) => `${k}\n${envelope[k]}\n`).join("");
}

async function verifySignature(envelope) {
  const pem = await (await fetch(envelope.SigningCertURL)).text();
  assert.match(pem, /^-----BEGIN CERTIFICATE-----/);
  const algorithm = envelope.SignatureVersion === "2" ? "RSA-SHA256" : "RSA-SHA1";
  return createVerify(algorithm).update(stringToSign(envelope)).verify(pem, envelope.Signature, "base64");
}

test("fan-out: one publish reaches every subscribed queue, in a signed envelope", async () => {
  const arn = await topic("sightings");
  assert.equal(arn, topicArn("sightings"));
  const queues = await Promise.all(["north", "south", "east", "west"].map((n) => queue(`watch-${n}`)));
  const subscriptions = [];
  for (const q of queues) subscriptions.push(await subscribe(arn, q));
  const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }));
  assert.deepEqual(listed.Subscriptions.map((s) => s.SubscriptionArn).sort(), [...subscriptions].sort());

  const published = await sns.send(new PublishCommand({
    TopicArn: arn, Subject: "Sighting", Message: "a wyvern over the ridge",
    MessageAttributes: {
      species: { DataType: "String", StringValue: "wyvern" },
      wingspan: { DataType: "Number", StringValue: "12.5" },
      scales: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
    },
  }));
  assert.match(published.MessageId, /^[0-9a-f-]{36}$/);

  for (const [i, q] of queues.entries()) {
    const [message] = await receive(q, 1);
    assert.ok(message, `${q.url} got nothing`);
    assert.equal(message.MessageAttributes, undefined);  // the envelope carries them
    const envelope = JSON.parse(message.Body);
    assert.equal(envelope.Type, "Notification");
    assert.equal(envelope.MessageId, published.MessageId);
    assert.equal(envelope.TopicArn, arn);
    assert.equal(envelope.Subject, "Sighting");
    assert.equal(envelope.Message, "a wyvern over the ridge");
    assert.match(envelope.Timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(envelope.MessageAttributes, {
      species: { Type: "String", Value: "wyvern" },
      wingspan: { Type: "Number", Value: "12.5" },
      scales: { Type: "Binary", Value: Buffer.from([1, 2, 3]).toString("base64") },
    });
    assert.ok(envelope.UnsubscribeURL.includes(`Action=Unsubscribe&SubscriptionArn=${subscriptions[i]}`));
    assert.equal(envelope.SignatureVersion, "1");
    assert.ok(await verifySignature(envelope), "the SHA1withRSA signature verifies");
    await assertEmpty(q);
  }

  // SignatureVersion 2 signs with SHA256withRSA.
  await sns.send(new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: "SignatureVersion", AttributeValue: "2" }));
  await sns.send(new PublishCommand({ TopicArn: arn, Message: "another one" }));
  const [message] = await receive(queues[0], 1);
  const envelope = JSON.parse(message.Body);
  assert.equal(envelope.SignatureVersion, "2");
  assert.equal(envelope.Subject, undefined);
  assert.ok(await verifySignature(envelope), "the SHA256withRSA signature verifies");
});

test("raw delivery: the message as published, its attributes as SQS message attributes", async () => {
  const arn = await topic("raw");
  const raw = await queue("raw");
  const wrapped = await queue("wrapped");
  const rawSub = await subscribe(arn, raw, { RawMessageDelivery: "true" });
  await subscribe(arn, wrapped);
  const attributes = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: rawSub }));
  assert.equal(attributes.Attributes.RawMessageDelivery, "true");

  await sns.send(new PublishCommand({
    TopicArn: arn, Message: '{"dragon":"Smaug"}', Subject: "ignored when raw",
    MessageAttributes: {
      species: { DataType: "String", StringValue: "fire-drake" },
      count: { DataType: "Number", StringValue: "3" },
      scales: { DataType: "Binary", BinaryValue: new Uint8Array([0, 255, 7]) },
    },
  }));
  const [message] = await receive(raw, 1);
  assert.equal(message.Body, '{"dragon":"Smaug"}');
  assert.equal(message.MessageAttributes.species.DataType, "String");
  assert.equal(message.MessageAttributes.species.StringValue, "fire-drake");
  assert.equal(message.MessageAttributes.count.DataType, "Number");
  assert.equal(message.MessageAttributes.count.StringValue, "3");
  assert.equal(message.MessageAttributes.scales.DataType, "Binary");
  assert.deepEqual([...message.MessageAttributes.scales.BinaryValue], [0, 255, 7]);
  assert.equal(Object.keys(message.MessageAttributes).length, 3);

  const [enveloped] = await receive(wrapped, 1);
  assert.equal(JSON.parse(enveloped.Body).Message, '{"dragon":"Smaug"}');
  assert.equal(enveloped.MessageAttributes, undefined);

  // MessageStructure "json": each protocol gets its own text, "sqs" here, "default" otherwise.
  await sns.send(new PublishCommand({
    TopicArn: arn, MessageStructure: "json",
    Message: JSON.stringify({ default: "for everyone", sqs: "for queues", email: "for inboxes" }),
  }));
  assert.deepEqual((await receive(raw, 1)).map((m) => m.Body), ["for queues"]);
  assert.equal(JSON.parse((await receive(wrapped, 1))[0].Body).Message, "for queues");

  // Switched off again, the next message comes wrapped.
  await sns.send(new SetSubscriptionAttributesCommand({
    SubscriptionArn: rawSub, AttributeName: "RawMessageDelivery", AttributeValue: "false",
  }));
  await sns.send(new PublishCommand({ TopicArn: arn, Message: "plain" }));
  const [next] = await receive(raw, 1);
  assert.equal(JSON.parse(next.Body).Message, "plain");
});

test("filter policies on message attributes", async () => {
  const arn = await topic("attribute-filters");
  const everything = await queue("everything");
  const big = await queue("big-wyverns");
  const notDrakes = await queue("not-drakes");
  await subscribe(arn, everything, { RawMessageDelivery: "true" });
  await subscribe(arn, big, {
    RawMessageDelivery: "true",
    FilterPolicy: JSON.stringify({ species: ["wyvern"], wingspan: [{ numeric: [">=", 10] }] }),
  });
  const notDrakesSub = await subscribe(arn, notDrakes, {
    RawMessageDelivery: "true",
    FilterPolicy: JSON.stringify({ species: [{ "anything-but": ["drake"] }], region: [{ prefix: "north" }] }),
  });
  const scope = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: notDrakesSub }));
  assert.equal(scope.Attributes.FilterPolicyScope, "MessageAttributes");  // the default

  const sightings = [
    ["big wyvern, north", { species: "wyvern", wingspan: 14, region: "northmarch" }],
    ["small wyvern, north", { species: "wyvern", wingspan: 6, region: "northmarch" }],
    ["big drake, north", { species: "drake", wingspan: 20, region: "north" }],
    ["big wyvern, south", { species: "wyvern", wingspan: 11, region: "south" }],
    ["no attributes", {}],
  ];
  for (const [Message, a] of sightings) {
    const MessageAttributes = {};
    if (a.species) MessageAttributes.species = { DataType: "String", StringValue: a.species };
    if (a.wingspan) MessageAttributes.wingspan = { DataType: "Number", StringValue: String(a.wingspan) };
    if (a.region) MessageAttributes.region = { DataType: "String", StringValue: a.region };
    await sns.send(new PublishCommand({ TopicArn: arn, Message, MessageAttributes }));
  }
  assert.equal((await receive(everything, sightings.length)).length, sightings.length);
  assert.deepEqual((await receive(big, 2)).map((m) => m.Body).sort(), ["big wyvern, north", "big wyvern, south"]);
  await assertEmpty(big);
  // anything-but matches only when the attribute is there: "no attributes" matches neither.
  assert.deepEqual((await receive(notDrakes, 2)).map((m) => m.Body).sort(), ["big wyvern, north", "small wyvern, north"]);
  await assertEmpty(notDrakes);
});

test("filter policies on the message body", async () => {
  const arn = await topic("body-filters");
  const everything = await queue("all-orders");
  const shipped = await queue("big-shipped-orders");
  const byAttribute = await queue("shipped-by-attribute");
  await subscribe(arn, everything, { RawMessageDelivery: "true" });
  const shippedSub = await subscribe(arn, shipped, {
    RawMessageDelivery: "true",
    FilterPolicyScope: "MessageBody",
    FilterPolicy: JSON.stringify({ order: { status: ["shipped"], total: [{ numeric: [">", 100] }] } }),
  });
  // The same kind of policy in the default scope looks at message attributes instead.
  await subscribe(arn, byAttribute, { RawMessageDelivery: "true", FilterPolicy: JSON.stringify({ status: ["shipped"] }) });
  const got = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: shippedSub }));
  assert.equal(got.Attributes.FilterPolicyScope, "MessageBody");

  const shippedAttribute = { status: { DataType: "String", StringValue: "shipped" } };
  const messages = [
    [{ order: { status: "shipped", total: 250, items: ["sword", "shield"] } }],
    [{ order: { status: "pending", total: 250 } }, shippedAttribute],
    [{ order: { status: "shipped", total: 50 } }],
    [{ status: "shipped", total: 500 }],
    ["not JSON at all", shippedAttribute],
  ];
  for (const [body, MessageAttributes] of messages) {
    const Message = typeof body === "string" ? body : JSON.stringify(body);
    await sns.send(new PublishCommand({ TopicArn: arn, Message, MessageAttributes }));
  }
  assert.equal((await receive(everything, messages.length)).length, messages.length);
  const [match] = await receive(shipped, 1);
  assert.deepEqual(JSON.parse(match.Body), { order: { status: "shipped", total: 250, items: ["sword", "shield"] } });
  await assertEmpty(shipped);
  const byAttributes = (await receive(byAttribute, 2)).map((m) => m.Body).sort();
  assert.deepEqual(byAttributes, ["not JSON at all", '{"order":{"status":"pending","total":250}}']);
  await assertEmpty(byAttribute);

  // Moving a subscription to the body scope re-reads its policy against bodies.
  await sns.send(new SetSubscriptionAttributesCommand({
    SubscriptionArn: shippedSub, AttributeName: "FilterPolicy", AttributeValue: JSON.stringify({ status: ["shipped"] }),
  }));
  await sns.send(new PublishCommand({ TopicArn: arn, Message: JSON.stringify({ status: "shipped" }) }));
  await sns.send(new PublishCommand({ TopicArn: arn, Message: JSON.stringify({ status: "lost" }) }));
  assert.equal((await receive(everything, 2)).length, 2);
  assert.deepEqual((await receive(shipped, 1)).map((m) => m.Body), ['{"status":"shipped"}']);
  await assertEmpty(shipped);
});

// FIFO queues hold back a group while one of its messages is in flight, so FIFO reads delete
// what they get.
async function receiveFifo(q, count) {
  const got = [];
  const deadline = Date.now() + 20_000;
  while (got.length < count && Date.now() < deadline) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: q.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2, MessageSystemAttributeNames: ["All"],
    }));
    for (const m of Messages ?? []) {
      got.push(m);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: q.url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return got;
}

test("FIFO topic to FIFO queues: order within a group, one delivery per deduplication id", async () => {
  const arn = await topic("orders.fifo", { FifoTopic: "true" });
  const attributes = (await sns.send(new GetTopicAttributesCommand({ TopicArn: arn }))).Attributes;
  assert.equal(attributes.FifoTopic, "true");
  assert.equal(attributes.ContentBasedDeduplication, "false");
  const raw = await queue("orders.fifo", { FifoQueue: "true" });
  const audit = await queue("audit.fifo", { FifoQueue: "true" });
  await subscribe(arn, raw, { RawMessageDelivery: "true" });
  await subscribe(arn, audit);

  const plan = [["g1", "o1"], ["g2", "p1"], ["g1", "o2"], ["g1", "o3"], ["g2", "p2"], ["g1", "o4"], ["g1", "o5"]];
  const sequence = {};
  for (const [group, body] of plan) {
    const out = await sns.send(new PublishCommand({
      TopicArn: arn, Message: body, MessageGroupId: group, MessageDeduplicationId: `dedup-${body}`,
    }));
    assert.match(out.SequenceNumber, /^\d+$/);
    sequence[body] = BigInt(out.SequenceNumber);
  }
  const order = plan.map(([, body]) => sequence[body]);
  assert.deepEqual(order, [...order].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), "sequence numbers grow");
  // A retry of o2 with its deduplication id: accepted, not delivered again.
  const retry = await sns.send(new PublishCommand({
    TopicArn: arn, Message: "o2, sent again", MessageGroupId: "g1", MessageDeduplicationId: "dedup-o2",
  }));
  assert.ok(retry.MessageId);

  const got = await receiveFifo(raw, plan.length);
  const inGroup = (g) => got.filter((m) => m.Attributes.MessageGroupId === g).map((m) => m.Body);
  assert.deepEqual(inGroup("g1"), ["o1", "o2", "o3", "o4", "o5"]);
  assert.deepEqual(inGroup("g2"), ["p1", "p2"]);
  assert.equal(got.length, plan.length);
  await assertEmpty(raw);

  // The envelope of a FIFO topic carries the sequence number Publish returned.
  const enveloped = await receiveFifo(audit, plan.length);
  assert.equal(enveloped.length, plan.length);
  for (const m of enveloped) {
    const envelope = JSON.parse(m.Body);
    assert.equal(envelope.Type, "Notification");
    assert.equal(envelope.TopicArn, arn);
    assert.equal(BigInt(envelope.SequenceNumber), sequence[envelope.Message]);
  }
  await assertEmpty(audit);
});

test("FIFO topic with content-based deduplication", async () => {
  const arn = await topic("cbd.fifo", { FifoTopic: "true", ContentBasedDeduplication: "true" });
  const q = await queue("cbd.fifo", { FifoQueue: "true" });
  await subscribe(arn, q, { RawMessageDelivery: "true" });
  for (const Message of ["hatched", "hatched", "flew"])
    await sns.send(new PublishCommand({ TopicArn: arn, Message, MessageGroupId: "egg" }));
  assert.deepEqual((await receiveFifo(q, 2)).map((m) => m.Body), ["hatched", "flew"]);
  await assertEmpty(q);
});

test("PublishBatch: up to ten messages in one call, each delivered", async () => {
  const arn = await topic("batch");
  const q = await queue("batch");
  await subscribe(arn, q, { RawMessageDelivery: "true" });
  const entries = Array.from({ length: 10 }, (_, i) => ({
    Id: `entry-${i}`, Message: `message ${i}`,
    MessageAttributes: { index: { DataType: "Number", StringValue: String(i) } },
  }));
  const out = await sns.send(new PublishBatchCommand({ TopicArn: arn, PublishBatchRequestEntries: entries }));
  assert.deepEqual(out.Successful.map((s) => s.Id).sort(), entries.map((e) => e.Id).sort());
  assert.equal((out.Failed ?? []).length, 0);
  assert.equal(new Set(out.Successful.map((s) => s.MessageId)).size, 10);
  const got = await receive(q, 10);
  assert.deepEqual(got.map((m) => m.Body).sort(), entries.map((e) => e.Message).sort());
  for (const m of got) assert.equal(m.Body, `message ${m.MessageAttributes.index.StringValue}`);

  // On a FIFO topic, a batch keeps its order within the group.
  const fifo = await topic("batch.fifo", { FifoTopic: "true", ContentBasedDeduplication: "true" });
  const fq = await queue("batch.fifo", { FifoQueue: "true" });
  await subscribe(fifo, fq, { RawMessageDelivery: "true" });
  const batch = await sns.send(new PublishBatchCommand({
    TopicArn: fifo,
    PublishBatchRequestEntries: ["one", "two", "three"].map((m) => ({ Id: m, Message: m, MessageGroupId: "g" })),
  }));
  assert.equal(batch.Successful.length, 3);
  for (const s of batch.Successful) assert.match(s.SequenceNumber, /^\d+$/);
  assert.deepEqual((await receiveFifo(fq, 3)).map((m) => m.Body), ["one", "two", "three"]);

  await assert.rejects(sns.send(new PublishBatchCommand({
    TopicArn: arn, PublishBatchRequestEntries: [{ Id: "same", Message: "a" }, { Id: "same", Message: "b" }],
  })), (e) => e instanceof BatchEntryIdsNotDistinctException && e.$metadata.httpStatusCode === 400);
  await assert.rejects(sns.send(new PublishBatchCommand({
    TopicArn: arn, PublishBatchRequestEntries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, Message: "x" })),
  })), (e) => e instanceof TooManyEntriesInBatchRequestException && e.$metadata.httpStatusCode === 400);
});

test("errors surface as the SDK's typed exceptions", async () => {
  const notFound = (e) => {
    assert.ok(e instanceof NotFoundException, `${e.name}: ${e.message}`);
    assert.equal(e.name, "NotFoundException");
    assert.equal(e.$metadata.httpStatusCode, 404);
    assert.equal(e.$fault, "client");
    return true;
  };
  const invalid = (e) => {
    assert.ok(e instanceof InvalidParameterException, `${e.name}: ${e.message}`);
    assert.equal(e.$metadata.httpStatusCode, 400);
    assert.equal(e.$fault, "client");
    return true;
  };
  const missing = topicArn("no-such-topic");
  await assert.rejects(sns.send(new PublishCommand({ TopicArn: missing, Message: "hello?" })), notFound);
  await assert.rejects(sns.send(new GetTopicAttributesCommand({ TopicArn: missing })), notFound);
  await assert.rejects(sns.send(new PublishBatchCommand({
    TopicArn: missing, PublishBatchRequestEntries: [{ Id: "a", Message: "x" }],
  })), notFound);
  await assert.rejects(sns.send(new GetSubscriptionAttributesCommand({
    SubscriptionArn: `${topicArn("sightings")}:00000000-0000-0000-0000-000000000000`,
  })), notFound);

  const fifo = await topic("errors.fifo", { FifoTopic: "true" });
  await assert.rejects(sns.send(new PublishCommand({ TopicArn: fifo, Message: "no group", MessageDeduplicationId: "d" })), invalid);
  await assert.rejects(sns.send(new PublishCommand({ TopicArn: fifo, Message: "no dedup", MessageGroupId: "g" })), invalid);
  const standard = await topic("errors");
  await assert.rejects(sns.send(new PublishCommand({
    TopicArn: standard, Message: "x", MessageDeduplicationId: "only for FIFO topics",
  })), invalid);
  await assert.rejects(sns.send(new CreateTopicCommand({ Name: "no spaces allowed" })), invalid);
  await assert.rejects(sns.send(new CreateTopicCommand({ Name: "not-fifo", Attributes: { FifoTopic: "true" } })), invalid);
  const q = await queue("errors");
  await assert.rejects(sns.send(new SubscribeCommand({ TopicArn: standard, Protocol: "carrier-pigeon", Endpoint: q.arn })), invalid);
  await assert.rejects(sns.send(new SubscribeCommand({
    TopicArn: standard, Protocol: "sqs", Endpoint: q.arn, Attributes: { FilterPolicy: "{not json" },
  })), invalid);
  await assert.rejects(sns.send(new PublishCommand({
    TopicArn: standard, Message: "x", MessageAttributes: { n: { DataType: "Number", StringValue: "many" } },
  })), (e) => e instanceof InvalidParameterValueException && e.$metadata.httpStatusCode === 400);
  await assert.rejects(sns.send(new PublishCommand({ TopicArn: standard, Message: "" })), invalid);
  await assert.rejects(sns.send(new PublishCommand({
    TopicArn: standard, MessageStructure: "json", Message: JSON.stringify({ sqs: "no default" }),
  })), invalid);
  // A standard topic cannot feed a FIFO queue.
  const fifoQueue = await queue("errors.fifo", { FifoQueue: "true" });
  await assert.rejects(sns.send(new SubscribeCommand({ TopicArn: standard, Protocol: "sqs", Endpoint: fifoQueue.arn })), invalid);
  await assert.rejects(sns.send(new ListTagsForResourceCommand({ ResourceArn: missing })),
    (e) => e instanceof ResourceNotFoundException && e.$metadata.httpStatusCode === 404);
  // DeleteTopic is idempotent: deleting a topic that does not exist is no error.
  await sns.send(new DeleteTopicCommand({ TopicArn: missing }));
});

// A FIFO topic delivers to standard queues too. AWS lets FIFO topics fan
// out to standard queues ("Amazon SNS code examples for FIFO topics": a FIFO topic feeding two
// FIFO queues and a standard analytics queue); the standard queue gets no FIFO ids.
test("FIFO topic to a standard queue", async () => {
  const arn = await topic("mixed.fifo", { FifoTopic: "true" });
  const standard = await queue("analytics");
  await subscribe(arn, standard, { RawMessageDelivery: "true" });
  await sns.send(new PublishCommand({ TopicArn: arn, Message: "price update", MessageGroupId: "g", MessageDeduplicationId: "d1" }));
  assert.deepEqual((await receive(standard, 1, 5_000)).map((m) => m.Body), ["price update"]);
});
