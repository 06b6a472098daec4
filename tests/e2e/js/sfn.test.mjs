// The AWS SDK for JavaScript v3 against Wyvern's Step Functions (AWS JSON 1.0).
// StartSyncExecution carries AWS's "sync-" host prefix: disableHostPrefix keeps the SDK on
// the local endpoint.
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import {
  SFNClient, CreateStateMachineCommand, DescribeStateMachineCommand, ListStateMachinesCommand,
  StartExecutionCommand, DescribeExecutionCommand, GetExecutionHistoryCommand,
  StartSyncExecutionCommand, StopExecutionCommand, ValidateStateMachineDefinitionCommand,
  DeleteStateMachineCommand, StateMachineDoesNotExist, InvalidDefinition,
  UpdateStateMachineCommand, CreateStateMachineAliasCommand, DescribeStateMachineAliasCommand,
  TestStateCommand, RedriveExecutionCommand, ExecutionNotRedrivable,
  CreateActivityCommand, GetActivityTaskCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand,
  SendTaskFailureCommand, TaskTimedOut,
} from "@aws-sdk/client-sfn";
import { startBroker, credentials } from "./broker.mjs";

let broker;
let sfn;
const role = "arn:aws:iam::000000000000:role/wyvern";

before(async () => {
  broker = await startBroker();
  sfn = new SFNClient({ endpoint: broker.endpoint, region: "us-east-1", credentials, maxAttempts: 1,
    disableHostPrefix: true });
});
after(async () => {
  sfn.destroy();
  await broker.stop();
});
beforeEach(async () => {
  await broker.admin("reset", {});
});

const waiting = JSON.stringify({
  StartAt: "Greet",
  States: {
    Greet: { Type: "Pass", Parameters: { "text.$": "States.Format('Hi {}', $.who)" }, Next: "Nap" },
    Nap: { Type: "Wait", Seconds: 60, Next: "Done" },
    Done: { Type: "Succeed" },
  },
});

test("a Standard execution runs, waits on the virtual clock and records its history", async () => {
  const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: "js", definition: waiting, roleArn: role }));
  assert.equal((await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }))).name, "js");
  assert.equal((await sfn.send(new ListStateMachinesCommand({}))).stateMachines.length, 1);
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ who: "Saphira" }) }));
  assert.equal((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status, "RUNNING");
  await broker.admin("clock/advance", { seconds: 60 });
  const done = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  assert.equal(done.status, "SUCCEEDED");
  assert.deepEqual(JSON.parse(done.output), { text: "Hi Saphira" });
  assert.ok(done.startDate instanceof Date);
  const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
  assert.deepEqual(events.map((e) => e.type), [
    "ExecutionStarted", "PassStateEntered", "PassStateExited", "WaitStateEntered",
    "WaitStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"]);
  await sfn.send(new DeleteStateMachineCommand({ stateMachineArn }));
  await assert.rejects(sfn.send(new DescribeStateMachineCommand({ stateMachineArn })), StateMachineDoesNotExist);
});

test("Express machines answer StartSyncExecution; executions can be stopped", async () => {
  const quick = JSON.stringify({ StartAt: "Echo", States: { Echo: { Type: "Pass", End: true } } });
  const express = await sfn.send(new CreateStateMachineCommand({ name: "fast", definition: quick, roleArn: role, type: "EXPRESS" }));
  const sync = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: express.stateMachineArn, input: '{"a":1}' }));
  assert.equal(sync.status, "SUCCEEDED");
  assert.deepEqual(JSON.parse(sync.output), { a: 1 });
  const standard = await sfn.send(new CreateStateMachineCommand({ name: "slow", definition: waiting, roleArn: role }));
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: standard.stateMachineArn, input: '{"who":"x"}' }));
  await sfn.send(new StopExecutionCommand({ executionArn, error: "Enough" }));
  assert.equal((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status, "ABORTED");
});

test("invalid definitions are rejected with AWS's diagnostics", async () => {
  const bad = JSON.stringify({ StartAt: "A", States: { A: { Type: "Pass", Next: "B" } } });
  await assert.rejects(sfn.send(new CreateStateMachineCommand({ name: "bad", definition: bad, roleArn: role })), InvalidDefinition);
  const result = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: bad }));
  assert.equal(result.result, "FAIL");
  assert.equal(result.diagnostics[0].code, "MISSING_TRANSITION_TARGET");
  assert.equal(result.diagnostics[0].location, "/States/A/Next");
});

test("an alias routes to a published version; TestState runs one state", async () => {
  const pass = (v) => JSON.stringify({ StartAt: "P", States: { P: { Type: "Pass", Result: v, End: true } } });
  const created = await sfn.send(new CreateStateMachineCommand({
    name: "versions", definition: pass("one"), roleArn: role, type: "EXPRESS", publish: true }));
  assert.equal(created.stateMachineVersionArn, `${created.stateMachineArn}:1`);
  await sfn.send(new UpdateStateMachineCommand({ stateMachineArn: created.stateMachineArn, definition: pass("two") }));
  const { stateMachineAliasArn } = await sfn.send(new CreateStateMachineAliasCommand({
    name: "stable", routingConfiguration: [{ stateMachineVersionArn: created.stateMachineVersionArn, weight: 100 }] }));
  assert.equal((await sfn.send(new DescribeStateMachineAliasCommand({ stateMachineAliasArn }))).name, "stable");
  const viaAlias = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: stateMachineAliasArn }));
  assert.equal(viaAlias.output, '"one"');
  const latest = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: created.stateMachineArn }));
  assert.equal(latest.output, '"two"');
  const tested = await sfn.send(new TestStateCommand({
    definition: JSON.stringify({ Type: "Pass", Parameters: { "n.$": "States.MathAdd($.n, 1)" }, Next: "After" }),
    roleArn: role, input: JSON.stringify({ n: 41 }), inspectionLevel: "DEBUG" }));
  assert.equal(tested.status, "SUCCEEDED");
  assert.equal(tested.nextState, "After");
  assert.deepEqual(JSON.parse(tested.output), { n: 42 });
  assert.deepEqual(JSON.parse(tested.inspectionData.afterParameters), { n: 42 });
});

test("RedriveExecution refuses an execution that is still running", async () => {
  const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: "redrive", definition: waiting, roleArn: role }));
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ who: "Glaurung" }) }));
  await assert.rejects(sfn.send(new RedriveExecutionCommand({ executionArn })), ExecutionNotRedrivable);
  await sfn.send(new StopExecutionCommand({ executionArn }));
  const { redriveDate } = await sfn.send(new RedriveExecutionCommand({ executionArn }));
  assert.ok(redriveDate instanceof Date);
  const redriven = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  assert.equal(redriven.status, "RUNNING");
  assert.equal(redriven.redriveCount, 1);
});

test("an activity worker takes tasks, beats, and answers them", async () => {
  const { activityArn } = await sfn.send(new CreateActivityCommand({ name: "js-worker" }));
  const definition = JSON.stringify({ StartAt: "Work", States: {
    Work: { Type: "Task", Resource: activityArn, HeartbeatSeconds: 60, End: true,
      Catch: [{ ErrorEquals: ["Cracked"], ResultPath: "$.error", Next: "Mend" }] },
    Mend: { Type: "Pass", End: true } } });
  const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: "js-worker", definition, roleArn: role }));
  const ok = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ egg: 1 }) }));
  let task = await sfn.send(new GetActivityTaskCommand({ activityArn, workerName: "js" }));
  assert.deepEqual(JSON.parse(task.input), { egg: 1 });
  await sfn.send(new SendTaskHeartbeatCommand({ taskToken: task.taskToken }));
  await sfn.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: JSON.stringify({ hatched: true }) }));
  assert.deepEqual(JSON.parse((await sfn.send(new DescribeExecutionCommand({ executionArn: ok.executionArn }))).output),
    { hatched: true });
  await assert.rejects(sfn.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: "{}" })), TaskTimedOut);
  const bad = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ egg: 2 }) }));
  task = await sfn.send(new GetActivityTaskCommand({ activityArn }));
  await sfn.send(new SendTaskFailureCommand({ taskToken: task.taskToken, error: "Cracked", cause: "shell" }));
  const caught = await sfn.send(new DescribeExecutionCommand({ executionArn: bad.executionArn }));
  assert.equal(caught.status, "SUCCEEDED");
  assert.deepEqual(JSON.parse(caught.output).error, { Error: "Cracked", Cause: "shell" });
});

test("variables: assigned, read, recorded in the history and refused when badly named", async () => {
  const definition = JSON.stringify({
    StartAt: "Remember",
    States: {
      Remember: { Type: "Pass", Assign: { "rider.$": "$.rider", count: 2 }, Next: "Use" },
      Use: { Type: "Pass", Parameters: { "text.$": "States.Format('{} rides {}', $rider, $count)" }, End: true },
    },
  });
  const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: "js-vars", definition, roleArn: role }));
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ rider: "Eragon" }) }));
  const done = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  assert.deepEqual(JSON.parse(done.output), { text: "Eragon rides 2" });
  const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
  const exited = events.filter((e) => e.type === "PassStateExited").map((e) => e.stateExitedEventDetails);
  assert.deepEqual(exited[0].assignedVariables, { rider: '"Eragon"', count: "2" });
  assert.deepEqual(exited[0].assignedVariablesDetails, { truncated: false });
  assert.equal(exited[1].assignedVariables, undefined);
  const bad = JSON.stringify({ StartAt: "P", States: { P: { Type: "Pass", Assign: { "my-var": 1 }, End: true } } });
  await assert.rejects(sfn.send(new CreateStateMachineCommand({ name: "js-bad-vars", definition: bad, roleArn: role })),
    (e) => e instanceof InvalidDefinition && e.message.includes("/States/P/Assign/my-var"));
});

test("JSONata: an activity Task gets its Arguments, Output and Assign shape the result, Choice routes on a Condition", async () => {
  const { activityArn } = await sfn.send(new CreateActivityCommand({ name: "js-jsonata" }));
  const definition = JSON.stringify({
    QueryLanguage: "JSONata",
    StartAt: "Work",
    States: {
      Work: {
        Type: "Task", Resource: activityArn, TimeoutSeconds: "{% $states.input.limit %}",
        Arguments: { rider: "{% $uppercase($states.input.rider) %}", when: "{% $states.context.Execution.Name %}" },
        Assign: { hatched: "{% $states.result.eggs %}" },
        Output: { eggs: "{% $states.result.eggs %}", rider: "{% $states.input.rider %}" },
        Next: "Route",
      },
      Route: {
        Type: "Choice",
        Choices: [{ Condition: "{% $hatched > 1 %}", Output: { many: "{% $hatched %}" }, Next: "Done" }],
        Default: "Done",
      },
      Done: { Type: "Succeed" },
    },
  });
  const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: "js-jsonata", definition, roleArn: role }));
  const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: "first",
    input: JSON.stringify({ rider: "Eragon", limit: 30 }) }));
  const task = await sfn.send(new GetActivityTaskCommand({ activityArn, workerName: "js" }));
  assert.deepEqual(JSON.parse(task.input), { rider: "ERAGON", when: "first" });
  await sfn.send(new SendTaskSuccessCommand({ taskToken: task.taskToken, output: JSON.stringify({ eggs: 3 }) }));
  const done = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  assert.equal(done.status, "SUCCEEDED");
  assert.deepEqual(JSON.parse(done.output), { many: 3 });
  const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
  assert.deepEqual(events.map((e) => e.type), [
    "ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded",
    "TaskStateExited", "ChoiceStateEntered", "ChoiceStateExited", "SucceedStateEntered", "SucceedStateExited",
    "ExecutionSucceeded"]);
  const scheduled = events.find((e) => e.type === "ActivityScheduled").activityScheduledEventDetails;
  assert.deepEqual(JSON.parse(scheduled.input), { rider: "ERAGON", when: "first" });
  assert.equal(scheduled.timeoutInSeconds, 30);
  const exited = events.find((e) => e.type === "TaskStateExited").stateExitedEventDetails;
  assert.deepEqual(JSON.parse(exited.output), { eggs: 3, rider: "Eragon" });
  assert.deepEqual(exited.assignedVariables, { hatched: "3" });
  const bad = JSON.stringify({ QueryLanguage: "JSONata", StartAt: "P",
    States: { P: { Type: "Pass", InputPath: "$.a", End: true } } });
  await assert.rejects(sfn.send(new CreateStateMachineCommand({ name: "js-jsonata-bad", definition: bad, roleArn: role })),
    (e) => e instanceof InvalidDefinition && e.message.includes("/States/P/InputPath"));
});
