// Step Functions' sqs:sendMessage.waitForTaskToken callback flow with a worker written with the
// AWS SDK for JavaScript v3: the Task puts its token on a queue, the worker reads it and answers
// with SendTaskHeartbeat / SendTaskSuccess / SendTaskFailure, or does not answer and the
// heartbeat lapses on the broker's virtual clock (POST /_wyvern/clock/advance, never a sleep).
// The execution carries on asynchronously after an answer, so completion is polled for with a
// deadline.
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import {
  SFNClient, CreateStateMachineCommand, StartExecutionCommand, DescribeExecutionCommand,
  GetExecutionHistoryCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand,
  SendTaskFailureCommand, TaskTimedOut,
} from "@aws-sdk/client-sfn";
import { SQSClient, CreateQueueCommand, ReceiveMessageCommand, DeleteMessageCommand } from "@aws-sdk/client-sqs";
import { startBroker, credentials } from "./broker.mjs";

let broker;
let sfn;
let sqs;
const role = "arn:aws:iam::000000000000:role/wyvern";

before(async () => {
  broker = await startBroker();
  const config = { endpoint: broker.endpoint, region: "us-east-1", credentials, maxAttempts: 1 };
  sfn = new SFNClient(config);
  sqs = new SQSClient(config);
});
after(async () => {
  sfn.destroy();
  sqs.destroy();
  await broker.stop();
});
beforeEach(async () => {
  await broker.admin("reset", {});
});

const waiting = JSON.stringify({
  StartAt: "Ask",
  States: {
    Ask: {
      Type: "Task", Resource: "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      HeartbeatSeconds: 60, Next: "Done",
      Parameters: { "QueueUrl.$": "$.queue", MessageBody: { "token.$": "$$.Task.Token", "dragon.$": "$.dragon" } },
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "Done" }],
    },
    Done: { Type: "Pass", End: true },
  },
});

async function finished(executionArn, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== "RUNNING" || Date.now() > deadline) return described;
    await delay(20);
  }
}

async function history(executionArn) {
  return (await sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events;
}

// Starts an execution of `waiting` and plays the worker's first step: the one message, read
// off the queue (and deleted, as a worker would). Returns the execution and the token.
async function startWaiting(name) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `work-${name}` }));
  const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name, definition: waiting, roleArn: role }));
  const { executionArn } = await sfn.send(new StartExecutionCommand({
    stateMachineArn, input: JSON.stringify({ queue: QueueUrl, dragon: "Smaug" }) }));
  const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({
    QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 10 }));
  assert.equal(Messages.length, 1);
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: Messages[0].ReceiptHandle }));
  const body = JSON.parse(Messages[0].Body);
  assert.equal(body.dragon, "Smaug");
  assert.equal(typeof body.token, "string");
  return { executionArn, token: body.token };
}

test("a JS worker beats, then answers with the token, and the execution goes on", async () => {
  const { executionArn, token } = await startWaiting("success");
  assert.equal((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status, "RUNNING");
  await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
  await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ slain: true }) }));
  const done = await finished(executionArn);
  assert.equal(done.status, "SUCCEEDED");
  assert.deepEqual(JSON.parse(done.output), { slain: true });
  const events = await history(executionArn);
  const types = events.map((e) => e.type);
  assert.deepEqual(types.slice(types.indexOf("TaskScheduled"), types.indexOf("TaskSucceeded") + 1),
    ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]);
  const submitted = events.find((e) => e.type === "TaskSubmitted").taskSubmittedEventDetails;
  assert.equal(submitted.resourceType, "sqs");
  assert.equal(submitted.resource, "sendMessage.waitForTaskToken");
  assert.ok("MessageId" in JSON.parse(submitted.output));
  // A token is good once.
  await assert.rejects(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: "{}" })), TaskTimedOut);
});

test("SendTaskFailure lands in the Catch with its error and cause", async () => {
  const { executionArn, token } = await startWaiting("failure");
  await sfn.send(new SendTaskFailureCommand({ taskToken: token, error: "Dragon.Escaped", cause: "it flew off" }));
  const done = await finished(executionArn);
  assert.equal(done.status, "SUCCEEDED");
  assert.deepEqual(JSON.parse(done.output).failure, { Error: "Dragon.Escaped", Cause: "it flew off" });
  assert.ok((await history(executionArn)).some((e) => e.type === "TaskFailed"));
});

test("a worker that never answers lets the heartbeat lapse on the virtual clock", async () => {
  const { executionArn, token } = await startWaiting("silent");
  assert.equal((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status, "RUNNING");
  await broker.admin("clock/advance", { seconds: 61 });
  const done = await finished(executionArn);
  assert.equal(done.status, "SUCCEEDED");
  assert.equal(JSON.parse(done.output).failure.Error, "States.Timeout");
  assert.ok((await history(executionArn)).some((e) => e.type === "TaskTimedOut"));
  await assert.rejects(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: "{}" })), TaskTimedOut);
});

test("sendMessage to a missing queue fails with SQS's error name and the SDK's cause", async () => {
  const missing = `${broker.endpoint}/000000000000/nowhere`;
  const definition = JSON.stringify({
    StartAt: "Send",
    States: {
      Send: {
        Type: "Task", Resource: "arn:aws:states:::sqs:sendMessage", End: true,
        Parameters: { QueueUrl: missing, MessageBody: "x" },
        Catch: [{ ErrorEquals: ["SQS.QueueDoesNotExistException"], ResultPath: "$.sqs", Next: "Caught" }],
      },
      Caught: { Type: "Pass", End: true },
    },
  });
  const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: "missing", definition, roleArn: role }));
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: "{}" }));
  const done = await finished(executionArn);
  assert.equal(done.status, "SUCCEEDED");
  const caught = JSON.parse(done.output).sqs;
  assert.equal(caught.Error, "SQS.QueueDoesNotExistException");
  assert.ok(caught.Cause.includes(
    "(Service: AmazonSQS; Status Code: 400; Error Code: AWS.SimpleQueueService.NonExistentQueue;"), caught.Cause);
  const failed = (await history(executionArn)).find((e) => e.type === "TaskFailed").taskFailedEventDetails;
  assert.deepEqual([failed.resourceType, failed.resource, failed.error],
    ["sqs", "sendMessage", "SQS.QueueDoesNotExistException"]);
});
