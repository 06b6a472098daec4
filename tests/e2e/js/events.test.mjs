// The AWS SDK for JavaScript v3 against Wyvern's EventBridge (AWS JSON 1.1), with the SQS and
// SNS clients standing up targets and reading what EventBridge delivered. Deliveries follow the
// PutEvents call, so queues are read with long polls; schedules fire on the broker's virtual
// clock, moved on by the test (POST /_wyvern/clock/advance), never by waiting. API destinations
// call an HTTP server the test runs on 127.0.0.1.
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import {
  EventBridgeClient, CreateEventBusCommand, PutRuleCommand, PutTargetsCommand, PutEventsCommand,
  DescribeRuleCommand, DeleteRuleCommand, TestEventPatternCommand,
  EventBridgeServiceException, ResourceNotFoundException, InvalidEventPatternException,
  ResourceAlreadyExistsException, LimitExceededException,
  CreateConnectionCommand, DescribeConnectionCommand, ListConnectionsCommand, UpdateConnectionCommand,
  DeauthorizeConnectionCommand, DeleteConnectionCommand, CreateApiDestinationCommand,
  DescribeApiDestinationCommand, ListApiDestinationsCommand, UpdateApiDestinationCommand,
  DeleteApiDestinationCommand, ListTargetsByRuleCommand, CreateArchiveCommand, DescribeArchiveCommand,
  StartReplayCommand, DescribeReplayCommand, ListReplaysCommand,
} from "@aws-sdk/client-eventbridge";
import { SQSClient, CreateQueueCommand, ReceiveMessageCommand, DeleteMessageCommand } from "@aws-sdk/client-sqs";
import { SNSClient, CreateTopicCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import { startBroker, credentials } from "./broker.mjs";

const REGION = "us-east-1";
const ACCOUNT = "000000000000";

let broker;
let events;
let sqs;
let sns;

before(async () => {
  broker = await startBroker();
  const config = { endpoint: broker.endpoint, region: REGION, credentials, maxAttempts: 1 };
  events = new EventBridgeClient(config);
  sqs = new SQSClient(config);
  sns = new SNSClient(config);
});
after(async () => {
  events.destroy();
  sqs.destroy();
  sns.destroy();
  await broker.stop();
});
beforeEach(async () => {
  await broker.admin("reset", {});
});

const queueArn = (name) => `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
const busArn = (name) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
const ruleArn = (name, bus) => `arn:aws:events:${REGION}:${ACCOUNT}:rule/${bus ? `${bus}/` : ""}${name}`;
// A role for targets that EventBridge calls with one; the broker checks no IAM.
const ROLE = `arn:aws:iam::${ACCOUNT}:role/eventbridge-targets`;

async function queue(name, Attributes) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes }));
  return { url: QueueUrl, arn: queueArn(name) };
}

async function rule(Name, pattern, extra = {}) {
  return (await events.send(new PutRuleCommand({ Name, EventPattern: JSON.stringify(pattern), ...extra }))).RuleArn;
}

async function targets(Rule, Targets, extra = {}) {
  const out = await events.send(new PutTargetsCommand({ Rule, Targets, ...extra }));
  assert.equal(out.FailedEntryCount, 0, JSON.stringify(out.FailedEntries));
}

async function putEvents(...Entries) {
  const out = await events.send(new PutEventsCommand({ Entries }));
  assert.equal(out.FailedEntryCount, 0, JSON.stringify(out.Entries));
  return out.Entries.map((e) => e.EventId);
}

const entry = (Source, DetailType, detail, extra = {}) => ({ Source, DetailType, Detail: JSON.stringify(detail), ...extra });

// Long-polls until `count` messages have arrived, or `waitMs` have passed. `remove`: delete what
// arrives (a FIFO group holds back the rest while one of its messages is in flight).
async function receive(q, count, { waitMs = 20_000, remove = false } = {}) {
  const got = [];
  const deadline = Date.now() + waitMs;
  while (got.length < count && Date.now() < deadline) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({
      QueueUrl: q.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2,
      MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"],
    }));
    for (const m of Messages ?? []) {
      got.push(m);
      if (remove) await sqs.send(new DeleteMessageCommand({ QueueUrl: q.url, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return got;
}

async function assertEmpty(q) {
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 1 }));
  assert.equal(Messages, undefined, `expected ${q.url} to be empty`);
}

const advance = (seconds) => broker.admin("clock/advance", { seconds });

test("a rule routes the events its pattern matches to an SQS queue, in EventBridge's envelope", async () => {
  const q = await queue("sightings");
  const arn = await rule("dragons", {
    source: ["app.sightings"],
    "detail-type": ["Sighting"],
    detail: { colour: ["red", "green"], wingspan: [{ numeric: [">=", 10] }] },
  });
  assert.equal(arn, ruleArn("dragons"));
  await targets("dragons", [{ Id: "queue", Arn: q.arn }]);
  const ids = await putEvents(
    entry("app.sightings", "Sighting", { colour: "red", wingspan: 12 },
      { Time: new Date("2026-03-04T05:06:07Z"), Resources: ["arn:aws:xyz:::cave/1"] }),
    entry("app.sightings", "Sighting", { colour: "red", wingspan: 4 }),
    entry("app.sightings", "Sighting", { colour: "blue", wingspan: 20 }),
    entry("app.sightings", "Rumour", { colour: "green", wingspan: 20 }),
    entry("app.other", "Sighting", { colour: "green", wingspan: 20 }),
  );
  assert.equal(new Set(ids).size, 5);
  const [message] = await receive(q, 1);
  const event = JSON.parse(message.Body);
  assert.deepEqual(Object.keys(event),
    ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]);
  assert.deepEqual(event, {
    version: "0", id: ids[0], "detail-type": "Sighting", source: "app.sightings", account: ACCOUNT,
    time: "2026-03-04T05:06:07Z", region: REGION, resources: ["arn:aws:xyz:::cave/1"],
    detail: { colour: "red", wingspan: 12 },
  });
  await assertEmpty(q);
});

test("a FIFO queue target: the message group from SqsParameters, the events in order", async () => {
  // SqsParameters: "If you specify an SQS FIFO queue as a target, the queue must have
  // content-based deduplication enabled."
  const q = await queue("orders.fifo", { FifoQueue: "true", ContentBasedDeduplication: "true" });
  await rule("orders", { source: ["shop"] });
  await targets("orders", [{ Id: "fifo", Arn: q.arn, SqsParameters: { MessageGroupId: "customer-7" } }]);
  const ids = await putEvents(...[1, 2, 3, 4, 5].map((n) => entry("shop", "Order", { n })));
  const got = await receive(q, 5, { remove: true });
  assert.deepEqual(got.map((m) => JSON.parse(m.Body).detail.n), [1, 2, 3, 4, 5]);
  assert.deepEqual(got.map((m) => JSON.parse(m.Body).id), ids);
  for (const m of got) assert.equal(m.Attributes.MessageGroupId, "customer-7");
  await assertEmpty(q);
});

test("an SNS topic target fans the event out to its queues", async () => {
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: "alerts" }));
  const raw = await queue("alerts-raw");
  const wrapped = await queue("alerts-wrapped");
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: raw.arn, Attributes: { RawMessageDelivery: "true" } }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: wrapped.arn }));
  await rule("alerts", { "detail-type": ["Alert"] });
  await targets("alerts", [{ Id: "topic", Arn: TopicArn }]);
  const [id] = await putEvents(entry("ops", "Alert", { level: 3 }));

  const [rawMessage] = await receive(raw, 1);
  const event = JSON.parse(rawMessage.Body);
  assert.equal(event.id, id);
  assert.deepEqual(event.detail, { level: 3 });
  const [wrappedMessage] = await receive(wrapped, 1);
  const envelope = JSON.parse(wrappedMessage.Body);
  assert.equal(envelope.Type, "Notification");
  assert.equal(envelope.TopicArn, TopicArn);
  assert.deepEqual(JSON.parse(envelope.Message), event);
  await assertEmpty(raw);
  await assertEmpty(wrapped);
});

test("a bus target hands the event to the other bus, whose own rules route it", async () => {
  await events.send(new CreateEventBusCommand({ Name: "audit" }));
  const log = await queue("audit-log");
  await rule("to-audit", { source: ["app"] });
  await targets("to-audit", [{ Id: "audit-bus", Arn: busArn("audit"), RoleArn: ROLE }]);
  assert.equal(await rule("log", { source: ["app"], detail: { kind: ["payment"] } }, { EventBusName: "audit" }),
    ruleArn("log", "audit"));
  await targets("log", [{ Id: "q", Arn: log.arn }], { EventBusName: "audit" });
  const [payment] = await putEvents(entry("app", "Audit", { kind: "payment", amount: 10 }),
    entry("app", "Audit", { kind: "login" }));
  const [message] = await receive(log, 1);
  const event = JSON.parse(message.Body);
  // The event itself travels, id included: AWS tells a second bus hop by the event's id
  // ("Event ingestion rejected for event <id> ... previously delivered to an event bus target").
  assert.equal(event.id, payment);
  assert.deepEqual([event.source, event["detail-type"], event.detail], ["app", "Audit", { kind: "payment", amount: 10 }]);
  await assertEmpty(log);
});

test("an event that came from another bus is not sent on to a third bus", async () => {
  // AWS ("Sending and receiving events between event buses in the same account and Region"):
  // "EventBridge can't route events received from a sender event bus to a third event bus."
  // The refused hop goes to the target's dead-letter queue with ERROR_CODE
  // THIRD_ACCOUNT_HOP_DETECTED ("an event can be sent to an event bus target only once").
  for (const Name of ["second", "third"]) await events.send(new CreateEventBusCommand({ Name }));
  const dlq = await queue("hop-dlq");
  const arrived = await queue("third-log");
  await rule("hop1", { source: ["app"] });
  await targets("hop1", [{ Id: "b", Arn: busArn("second"), RoleArn: ROLE }]);
  await rule("hop2", { source: ["app"] }, { EventBusName: "second" });
  await targets("hop2", [{ Id: "c", Arn: busArn("third"), RoleArn: ROLE, DeadLetterConfig: { Arn: dlq.arn } }],
    { EventBusName: "second" });
  await rule("log", { source: ["app"] }, { EventBusName: "third" });
  await targets("log", [{ Id: "q", Arn: arrived.arn }], { EventBusName: "third" });
  const [id] = await putEvents(entry("app", "Hop", {}));
  const [dead] = await receive(dlq, 1, { waitMs: 5_000 });
  assert.ok(dead, "the refused hop reached the dead-letter queue");
  assert.equal(JSON.parse(dead.Body).id, id);
  assert.equal(dead.MessageAttributes.ERROR_CODE.StringValue, "THIRD_ACCOUNT_HOP_DETECTED");
  await assertEmpty(arrived);
});

test("input: Input, InputPath and InputTransformer templates shape what the target gets", async () => {
  const q = await queue("shaped");
  await rule("shape", { source: ["app.instances"] });
  const InputPathsMap = { instance: "$.detail.instance-id", state: "$.detail.state" };
  // The templates are the EventBridge user guide's ("Input transform examples") and API
  // reference's (InputTransformer).
  await targets("shape", [
    { Id: "constant", Arn: q.arn, Input: JSON.stringify({ fixed: true }) },
    { Id: "path", Arn: q.arn, InputPath: "$.detail" },
    { Id: "json", Arn: q.arn, InputTransformer: {
      InputPathsMap, InputTemplate: '{"instance": <instance>, "state": [9, <state>, true], "Transformed": "Yes"}' } },
  ]);
  await rule("shape-2", { source: ["app.instances"] });
  await targets("shape-2", [
    { Id: "reserved", Arn: q.arn, InputTransformer: {
      InputPathsMap, InputTemplate: '{"instance": <instance>, "ruleArn": <aws.events.rule-arn>, "ruleName": <aws.events.rule-name>}' } },
    { Id: "string", Arn: q.arn, InputTransformer: { InputTemplate: '"<aws.events.rule-name> triggered"' } },
    { Id: "text", Arn: q.arn, InputTransformer: { InputPathsMap, InputTemplate: "<instance> is in state <state>" } },
    { Id: "quoted", Arn: q.arn, InputTransformer: {
      InputPathsMap, InputTemplate: '{"myInstance": <instance>, "myStatus": "<instance> is in state <state>"}' } },
  ]);
  await putEvents(entry("app.instances", "EC2 Instance State-change Notification",
    { "instance-id": "i-0123456789", state: "RUNNING" }));
  const bodies = (await receive(q, 7)).map((m) => m.Body);
  assert.equal(bodies.length, 7, JSON.stringify(bodies));
  assert.ok(bodies.includes('"shape-2 triggered"'), JSON.stringify(bodies));
  assert.ok(bodies.includes("i-0123456789 is in state RUNNING"), JSON.stringify(bodies));
  const json = bodies.filter((b) => b.startsWith("{")).map((b) => JSON.parse(b));
  const expected = [
    { fixed: true },
    { "instance-id": "i-0123456789", state: "RUNNING" },
    { instance: "i-0123456789", state: [9, "RUNNING", true], Transformed: "Yes" },
    { instance: "i-0123456789", ruleArn: ruleArn("shape-2"), ruleName: "shape-2" },
    { myInstance: "i-0123456789", myStatus: "i-0123456789 is in state RUNNING" },
  ];
  const key = (v) => JSON.stringify(v);
  assert.deepEqual(json.map(key).sort(), expected.map(key).sort());
  await assertEmpty(q);
});

test("a target that cannot be reached sends the event to its dead-letter queue", async () => {
  const dlq = await queue("dead-letters");
  const fine = await queue("fine");
  await rule("lost", { source: ["app"] });
  await targets("lost", [
    { Id: "gone", Arn: queueArn("never-created"), DeadLetterConfig: { Arn: dlq.arn } },
    { Id: "fine", Arn: fine.arn },
  ]);
  const [id] = await putEvents(entry("app", "Lost", { n: 1 }));
  // A target that does not exist is not retried: the event goes to the dead-letter queue.
  const [dead] = await receive(dlq, 1);
  assert.ok(dead, "nothing reached the dead-letter queue");
  const event = JSON.parse(dead.Body);
  assert.equal(event.id, id);
  assert.deepEqual(event.detail, { n: 1 });
  const attributes = dead.MessageAttributes;
  assert.equal(attributes.RULE_ARN.StringValue, ruleArn("lost"));
  assert.equal(attributes.TARGET_ARN.StringValue, queueArn("never-created"));
  assert.ok(attributes.ERROR_CODE.StringValue, "an ERROR_CODE");
  assert.ok(attributes.ERROR_MESSAGE.StringValue, "an ERROR_MESSAGE");
  for (const a of ["RULE_ARN", "TARGET_ARN", "ERROR_CODE", "ERROR_MESSAGE"]) assert.equal(attributes[a].DataType, "String");
  // The rule's other target got the event all the same.
  assert.equal(JSON.parse((await receive(fine, 1))[0].Body).id, id);
  await assertEmpty(dlq);
});

test("a scheduled rule fires each time the virtual clock reaches its rate", async () => {
  const q = await queue("ticks");
  const arn = (await events.send(new PutRuleCommand({ Name: "tick", ScheduleExpression: "rate(5 minutes)" }))).RuleArn;
  await targets("tick", [{ Id: "q", Arn: q.arn }]);
  assert.equal((await events.send(new DescribeRuleCommand({ Name: "tick" }))).ScheduleExpression, "rate(5 minutes)");
  await assertEmpty(q);
  const seen = [];
  for (let i = 0; i < 3; i++) {
    await advance(5 * 60);
    const got = await receive(q, 1, { remove: true });
    assert.equal(got.length, 1, `firing ${i + 1}`);
    const event = JSON.parse(got[0].Body);
    assert.deepEqual([event.source, event["detail-type"], event.resources, event.detail, event.account, event.region],
      ["aws.events", "Scheduled Event", [arn], {}, ACCOUNT, REGION]);
    seen.push(event);
    await assertEmpty(q);
  }
  assert.equal(new Set(seen.map((e) => e.id)).size, 3);
  const times = seen.map((e) => Date.parse(e.time));
  assert.ok(times[0] < times[1] && times[1] < times[2], JSON.stringify(seen.map((e) => e.time)));
});

test("an archived window replays to the bus's rules, each event marked with the replay name", async () => {
  const bus = busArn("default");
  const { ArchiveArn } = await events.send(new CreateArchiveCommand({
    ArchiveName: "everything", EventSourceArn: bus, EventPattern: JSON.stringify({ source: ["app"] }),
  }));
  assert.equal(ArchiveArn, `arn:aws:events:${REGION}:${ACCOUNT}:archive/everything`);
  await putEvents(entry("app", "early", {}), entry("other", "not archived", {}));
  // The virtual clock runs on in real time from an offset: the window is read off it.
  const now = async () => (await broker.admin("clock")).now_ms;
  const start = new Date(Math.floor((await now()) / 1000) * 1000 + 1000);
  await advance(60);
  const [inWindow] = await putEvents(entry("app", "in window", {}));
  await advance(60);
  const end = new Date(Math.floor((await now()) / 1000) * 1000);
  const described = await events.send(new DescribeArchiveCommand({ ArchiveName: "everything" }));
  assert.deepEqual([described.ArchiveArn, described.EventCount, described.State], [ArchiveArn, 2, "ENABLED"]);

  const q = await queue("replayed");
  const filter = await rule("replays", { source: ["app"] });
  await targets("replays", [{ Id: "q", Arn: q.arn }]);
  const started = await events.send(new StartReplayCommand({
    ReplayName: "window", EventSourceArn: ArchiveArn, EventStartTime: start, EventEndTime: end,
    Destination: { Arn: bus, FilterArns: [filter] },
  }));
  assert.equal(started.ReplayArn, `arn:aws:events:${REGION}:${ACCOUNT}:replay/window`);
  const [message] = await receive(q, 1);
  assert.ok(message, "nothing was replayed");
  const event = JSON.parse(message.Body);
  assert.deepEqual([event.id, event["detail-type"], event["replay-name"]], [inWindow, "in window", "window"]);
  assert.deepEqual(Object.keys(event),
    ["version", "id", "detail-type", "source", "account", "time", "region", "replay-name", "resources", "detail"]);
  const replay = await events.send(new DescribeReplayCommand({ ReplayName: "window" }));
  assert.deepEqual([replay.State, replay.EventSourceArn, replay.Destination],
    ["COMPLETED", ArchiveArn, { Arn: bus, FilterArns: [filter] }]);
  assert.deepEqual([replay.EventStartTime.getTime(), replay.EventEndTime.getTime()], [start.getTime(), end.getTime()]);
  assert.deepEqual((await events.send(new ListReplaysCommand({}))).Replays.map((r) => r.ReplayName), ["window"]);
  // Only the window was replayed.
  await assertEmpty(q);
});

test("errors surface as the SDK's typed exceptions", async () => {
  const client = (type, name) => (e) => {
    assert.ok(e instanceof type, `${e.name}: ${e.message}`);
    assert.ok(e instanceof EventBridgeServiceException);
    assert.equal(e.name, name);
    assert.equal(e.$metadata.httpStatusCode, 400);
    assert.equal(e.$fault, "client");
    return true;
  };
  const notFound = client(ResourceNotFoundException, "ResourceNotFoundException");
  // EventBridge's model has no ValidationException shape: the SDK hands it over as its base
  // exception, named for the code.
  const validation = client(EventBridgeServiceException, "ValidationException");

  await assert.rejects(events.send(new DescribeRuleCommand({ Name: "missing" })), (e) =>
    notFound(e) && e.message === "Rule missing does not exist on EventBus default.");
  await assert.rejects(events.send(new PutTargetsCommand({ Rule: "missing", Targets: [{ Id: "q", Arn: queueArn("q") }] })), notFound);
  await assert.rejects(events.send(new PutRuleCommand({
    Name: "r", EventBusName: "nowhere", EventPattern: JSON.stringify({ source: ["x"] }),
  })), notFound);

  await assert.rejects(events.send(new PutRuleCommand({ Name: "bad name", EventPattern: JSON.stringify({ source: ["x"] }) })), validation);
  await assert.rejects(events.send(new PutRuleCommand({ Name: "nothing" })), (e) =>
    validation(e) && e.message === "Parameter(s) EventPattern or ScheduleExpression must be specified.");
  await assert.rejects(events.send(new PutRuleCommand({ Name: "when", ScheduleExpression: "every five minutes" })), validation);
  await rule("busy", { source: ["x"] });
  await targets("busy", [{ Id: "q", Arn: queueArn("q") }]);
  await assert.rejects(events.send(new DeleteRuleCommand({ Name: "busy" })), (e) =>
    validation(e) && e.message === "Rule can't be deleted since it has targets.");

  const badPattern = (e) => client(InvalidEventPatternException, "InvalidEventPatternException")(e) &&
    e.message.startsWith("Event pattern is not valid. Reason: ");
  await assert.rejects(events.send(new PutRuleCommand({ Name: "p", EventPattern: JSON.stringify({ source: "x" }) })), badPattern);
  await assert.rejects(events.send(new PutRuleCommand({ Name: "p", EventPattern: "{not json" })), badPattern);
  const event = JSON.stringify({ id: "1", account: ACCOUNT, source: "x", time: "2026-01-01T00:00:00Z", region: REGION,
    "detail-type": "t", resources: [], detail: {} });
  await assert.rejects(events.send(new TestEventPatternCommand({ EventPattern: JSON.stringify({ source: "x" }), Event: event })), badPattern);
  assert.equal((await events.send(new TestEventPatternCommand({ EventPattern: JSON.stringify({ source: ["x"] }), Event: event }))).Result, true);

  await events.send(new CreateEventBusCommand({ Name: "dup" }));
  await assert.rejects(events.send(new CreateEventBusCommand({ Name: "dup" })), (e) =>
    client(ResourceAlreadyExistsException, "ResourceAlreadyExistsException")(e) && e.message === "Event bus dup already exists.");

  // A rule holds at most five targets.
  await rule("many", { source: ["x"] });
  await targets("many", [1, 2, 3, 4, 5].map((n) => ({ Id: `t${n}`, Arn: queueArn(`q${n}`) })));
  await assert.rejects(events.send(new PutTargetsCommand({ Rule: "many", Targets: [{ Id: "t6", Arn: queueArn("q6") }] })),
    client(LimitExceededException, "LimitExceededException"));
  // Replacing a target by its Id stays within the limit.
  await targets("many", [{ Id: "t5", Arn: queueArn("q5"), Input: "{}" }]);
});

test("a state machine target needs a role", async () => {
  // AWS: "RoleArn is required for target arn:aws:states:...:stateMachine:..." (ValidationException;
  // the EventBridge user guide: for Step Functions state machines EventBridge uses the role in
  // RoleArn; reported verbatim in hashicorp/terraform-provider-aws#19913, localstack#8224).
  await rule("start", { source: ["app"] });
  const machine = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:workflow`;
  await assert.rejects(events.send(new PutTargetsCommand({ Rule: "start", Targets: [{ Id: "sm", Arn: machine }] })), (e) =>
    e.name === "ValidationException" && e.$metadata.httpStatusCode === 400 &&
    e.message === `RoleArn is required for target ${machine}.`);
});

// An HTTP server standing in for the API behind a destination and its OAuth server: /token hands
// out tok-1, tok-2, ...; every other path answers with the next of `statuses` (200 once they run out).
async function endpoint(t) {
  const api = { calls: [], tokenCalls: [], statuses: [] };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url, "http://localhost");
      const call = { method: req.method, path: url.pathname, query: Object.fromEntries(url.searchParams),
        headers: req.headers, body: Buffer.concat(chunks).toString() };
      let status = 200;
      let body = "{}";
      if (call.path === "/token") {
        api.tokenCalls.push(call);
        body = JSON.stringify({ access_token: `tok-${api.tokenCalls.length}`, token_type: "bearer", expires_in: 3600 });
      } else {
        api.calls.push(call);
        status = api.statuses.shift() ?? 200;
      }
      res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(() => { server.closeAllConnections(); return new Promise((resolve) => server.close(resolve)); });
  api.url = `http://127.0.0.1:${server.address().port}`;
  // Polls (real time: delivery is asynchronous) until `count` calls have arrived.
  api.waitFor = async (count, waitMs = 10_000) => {
    const deadline = Date.now() + waitMs;
    while (api.calls.length < count && Date.now() < deadline) await sleep(20);
    return [...api.calls];
  };
  return api;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const once = (emitter, name) => new Promise((resolve) => emitter.once(name, resolve));
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const basic = (user, password) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

async function basicConnection(Name, Username = "smaug", Password = "gold", extra = {}) {
  return events.send(new CreateConnectionCommand({
    Name, AuthorizationType: "BASIC", AuthParameters: { BasicAuthParameters: { Username, Password }, ...extra },
  }));
}

async function apiDestination(Name, ConnectionArn, InvocationEndpoint, extra = {}) {
  return (await events.send(new CreateApiDestinationCommand({
    Name, ConnectionArn, InvocationEndpoint, HttpMethod: "POST", ...extra,
  }))).ApiDestinationArn;
}

test("connections and API destinations: read back without secrets, updated, called by a rule, deauthorized, deleted", async (t) => {
  const api = await endpoint(t);
  const created = await basicConnection("orders-api", "smaug", "gold", { InvocationHttpParameters: {
    HeaderParameters: [{ Key: "x-tenant", Value: "north", IsValueSecret: false },
      { Key: "x-signing", Value: "hidden", IsValueSecret: true }],
  } });
  assert.equal(created.ConnectionState, "AUTHORIZED");
  assert.match(created.ConnectionArn, new RegExp(`^arn:aws:events:${REGION}:${ACCOUNT}:connection/orders-api/${UUID}$`));
  assert.ok(created.CreationTime instanceof Date);
  const connection = created.ConnectionArn;

  const described = await events.send(new DescribeConnectionCommand({ Name: "orders-api" }));
  assert.deepEqual([described.Name, described.ConnectionArn, described.AuthorizationType, described.ConnectionState],
    ["orders-api", connection, "BASIC", "AUTHORIZED"]);
  // The password and the secret header's value stay in the connection's secret.
  assert.deepEqual(described.AuthParameters, {
    BasicAuthParameters: { Username: "smaug" },
    InvocationHttpParameters: { HeaderParameters: [{ Key: "x-tenant", Value: "north", IsValueSecret: false },
      { Key: "x-signing", IsValueSecret: true }] },
  });
  assert.match(described.SecretArn,
    new RegExp(`^arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:events!connection/orders-api/${UUID}-\\w{6}$`));
  assert.ok(described.LastAuthorizedTime instanceof Date);

  const { Connections } = await events.send(new ListConnectionsCommand({ NamePrefix: "orders" }));
  assert.deepEqual(Connections.map((c) => [c.Name, c.ConnectionArn, c.AuthorizationType, c.ConnectionState]),
    [["orders-api", connection, "BASIC", "AUTHORIZED"]]);
  assert.equal(Connections[0].AuthParameters, undefined);

  const updated = await events.send(new UpdateConnectionCommand({
    Name: "orders-api", AuthParameters: { BasicAuthParameters: { Username: "glaurung", Password: "silver" } },
  }));
  assert.deepEqual([updated.ConnectionArn, updated.ConnectionState], [connection, "AUTHORIZED"]);
  assert.deepEqual((await events.send(new DescribeConnectionCommand({ Name: "orders-api" })))
    .AuthParameters.BasicAuthParameters, { Username: "glaurung" });

  const destination = await events.send(new CreateApiDestinationCommand({
    Name: "orders", ConnectionArn: connection, InvocationEndpoint: `${api.url}/shops/*/orders`, HttpMethod: "PUT",
    Description: "the order API",
  }));
  assert.equal(destination.ApiDestinationState, "ACTIVE");
  assert.match(destination.ApiDestinationArn, new RegExp(`^arn:aws:events:${REGION}:${ACCOUNT}:api-destination/orders/${UUID}$`));
  const dest = await events.send(new DescribeApiDestinationCommand({ Name: "orders" }));
  assert.deepEqual(
    [dest.Name, dest.ApiDestinationArn, dest.ApiDestinationState, dest.ConnectionArn, dest.InvocationEndpoint,
      dest.HttpMethod, dest.InvocationRateLimitPerSecond, dest.Description],
    ["orders", destination.ApiDestinationArn, "ACTIVE", connection, `${api.url}/shops/*/orders`, "PUT", 300, "the order API"]);
  const { ApiDestinations } = await events.send(new ListApiDestinationsCommand({ ConnectionArn: connection }));
  assert.deepEqual(ApiDestinations.map((d) => [d.Name, d.ApiDestinationArn]), [["orders", destination.ApiDestinationArn]]);
  const changed = await events.send(new UpdateApiDestinationCommand({ Name: "orders", HttpMethod: "POST", InvocationRateLimitPerSecond: 10 }));
  assert.deepEqual([changed.ApiDestinationArn, changed.ApiDestinationState], [destination.ApiDestinationArn, "ACTIVE"]);
  const redescribed = await events.send(new DescribeApiDestinationCommand({ Name: "orders" }));
  assert.deepEqual([redescribed.HttpMethod, redescribed.InvocationRateLimitPerSecond], ["POST", 10]);

  await rule("to-api", { source: ["shop"] });
  await targets("to-api", [{ Id: "api", Arn: destination.ApiDestinationArn, RoleArn: ROLE,
    HttpParameters: { PathParameterValues: ["kingdom"] } }]);
  const { Targets } = await events.send(new ListTargetsByRuleCommand({ Rule: "to-api" }));
  assert.deepEqual(Targets[0].HttpParameters, { PathParameterValues: ["kingdom"] });
  const [id] = await putEvents(entry("shop", "Order Placed", { order: 42 }));
  const calls = await api.waitFor(1);
  assert.equal(calls.length, 1);
  const [call] = calls;
  assert.deepEqual([call.method, call.path], ["POST", "/shops/kingdom/orders"]);
  assert.equal(call.headers.authorization, basic("glaurung", "silver"));
  assert.equal(call.headers["user-agent"], "Amazon/EventBridge/ApiDestinations");
  assert.equal(call.headers["x-tenant"], "north");
  assert.equal(call.headers["x-signing"], "hidden");
  const body = JSON.parse(call.body);
  assert.deepEqual([body.id, body.source, body.detail], [id, "shop", { order: 42 }]);

  // Deauthorizing answers at once and finishes behind: the destination goes inactive.
  const deauthorized = await events.send(new DeauthorizeConnectionCommand({ Name: "orders-api" }));
  assert.deepEqual([deauthorized.ConnectionArn, deauthorized.ConnectionState], [connection, "DEAUTHORIZING"]);
  assert.equal((await events.send(new DescribeConnectionCommand({ Name: "orders-api" }))).ConnectionState, "DEAUTHORIZED");
  assert.equal((await events.send(new DescribeApiDestinationCommand({ Name: "orders" }))).ApiDestinationState, "INACTIVE");

  assert.equal((await events.send(new DeleteApiDestinationCommand({ Name: "orders" }))).$metadata.httpStatusCode, 200);
  assert.deepEqual((await events.send(new ListApiDestinationsCommand({}))).ApiDestinations, []);
  const deleted = await events.send(new DeleteConnectionCommand({ Name: "orders-api" }));
  assert.deepEqual([deleted.ConnectionArn, deleted.ConnectionState], [connection, "DELETING"]);
  await assert.rejects(events.send(new DescribeConnectionCommand({ Name: "orders-api" })), (e) =>
    e instanceof ResourceNotFoundException && e.$metadata.httpStatusCode === 400 &&
    e.message === "Failed to describe the connection(s). Connection 'orders-api' does not exist.");
});

test("an OAuth client-credentials connection fetches a token from its endpoint and sends it as a bearer", async (t) => {
  const api = await endpoint(t);
  const created = await events.send(new CreateConnectionCommand({
    Name: "oauth", AuthorizationType: "OAUTH_CLIENT_CREDENTIALS", AuthParameters: { OAuthParameters: {
      AuthorizationEndpoint: `${api.url}/token`, HttpMethod: "POST",
      ClientParameters: { ClientID: "wyvern", ClientSecret: "fire" },
    } },
  }));
  assert.equal(created.ConnectionState, "AUTHORIZING");
  // The token is fetched in the background, in real time.
  const deadline = Date.now() + 10_000;
  let described;
  while ((described = await events.send(new DescribeConnectionCommand({ Name: "oauth" }))).ConnectionState !== "AUTHORIZED") {
    assert.ok(Date.now() < deadline, `the connection was never authorized: ${described.ConnectionState}`);
    await sleep(50);
  }
  assert.equal(api.tokenCalls.length, 1);
  assert.equal(api.tokenCalls[0].method, "POST");
  assert.equal(api.tokenCalls[0].headers.authorization, basic("wyvern", "fire"));
  assert.deepEqual(described.AuthParameters.OAuthParameters.ClientParameters, { ClientID: "wyvern" });
  assert.equal(described.AuthParameters.OAuthParameters.AuthorizationEndpoint, `${api.url}/token`);

  const destination = await apiDestination("orders", created.ConnectionArn, `${api.url}/orders`);
  await rule("to-api", { source: ["shop"] });
  await targets("to-api", [{ Id: "api", Arn: destination, RoleArn: ROLE }]);
  const [id] = await putEvents(entry("shop", "Order Placed", { order: 7 }));
  const calls = await api.waitFor(1);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].path, "/orders");
  assert.equal(calls[0].headers.authorization, "Bearer tok-1");
  assert.equal(calls[0].headers["user-agent"], "Amazon/EventBridge/ApiDestinations");
  assert.equal(JSON.parse(calls[0].body).id, id);
});

test("connection and API destination errors surface as the SDK's typed exceptions", async () => {
  await assert.rejects(events.send(new DescribeApiDestinationCommand({ Name: "missing" })), (e) =>
    e instanceof ResourceNotFoundException && e.name === "ResourceNotFoundException" &&
    e.$metadata.httpStatusCode === 400 && e.$fault === "client" &&
    e.message === "Failed to describe the api-destination(s). An api-destination 'missing' does not exist.");
  const { ConnectionArn } = await basicConnection("orders-api");
  await assert.rejects(basicConnection("orders-api", "other", "secret"), (e) =>
    e instanceof ResourceAlreadyExistsException && e.name === "ResourceAlreadyExistsException" &&
    e.$metadata.httpStatusCode === 400 && e.message === "Connection orders-api already exists.");
  await apiDestination("orders", ConnectionArn, "https://example.com/orders");
  await assert.rejects(apiDestination("orders", ConnectionArn, "https://example.com/orders"), (e) =>
    e instanceof ResourceAlreadyExistsException && e.message === "An api-destination 'orders' already exists.");
  await assert.rejects(events.send(new DeleteConnectionCommand({ Name: "nowhere" })), (e) =>
    e instanceof ResourceNotFoundException && e.message === "Connection 'nowhere' does not exist.");
});

test("a failing API destination is retried on the virtual clock, then dead-lettered", async (t) => {
  const api = await endpoint(t);
  api.statuses.push(500, 500);
  const dlq = await queue("dead-letters");
  const { ConnectionArn } = await basicConnection("orders-api");
  const destination = await apiDestination("orders", ConnectionArn, `${api.url}/orders`);
  await rule("to-api", { source: ["shop"] });
  await targets("to-api", [{ Id: "api", Arn: destination, RoleArn: ROLE,
    RetryPolicy: { MaximumRetryAttempts: 1 }, DeadLetterConfig: { Arn: dlq.arn } }]);
  const [id] = await putEvents(entry("shop", "Order Placed", { order: 1 }));
  assert.equal((await api.waitFor(1)).length, 1);
  // The retry comes 1 s later on the virtual clock (which also runs on in real time): the test
  // moves it on rather than waiting.
  await advance(1);
  assert.equal((await api.waitFor(2)).length, 2);
  const [dead] = await receive(dlq, 1, { waitMs: 10_000, remove: true });
  assert.ok(dead, "nothing reached the dead-letter queue");
  assert.equal(JSON.parse(dead.Body).id, id);
  const attributes = dead.MessageAttributes;
  assert.equal(attributes.ERROR_CODE.StringValue, "SDK_CLIENT_ERROR");
  assert.equal(attributes.RETRY_ATTEMPTS.StringValue, "1");
  assert.equal(attributes.TARGET_ARN.StringValue, destination);
  assert.equal(attributes.RULE_ARN.StringValue, ruleArn("to-api"));
  assert.equal(attributes.EXHAUSTED_RETRY_CONDITION.StringValue, "MaximumRetryAttempts");
  // No third attempt.
  await advance(60);
  assert.equal((await api.waitFor(3, 500)).length, 2);
  await assertEmpty(dlq);
});
