// The web console in a real browser: Debian's headless Chromium, driven by playwright-core,
// against a real broker on a free port, in memory, provisioned with the dragons sample (its
// state machine and its two local functions), the callback sample's Hatchery, and a few queues,
// a topic and a bus. Each test opens the console as a person would and checks what it shows.
//
//   WYVERN_BIN=build/wyvern node --test tests/console/console.test.mjs
//   WYVERN_SCREENSHOTS=docs/console ...   also saves screenshots of the main views there
//   CHROMIUM=PATH ...                     another Chromium than Debian's /usr/bin/chromium
//
// Time is the broker's virtual clock; nothing here sleeps. Waiting is for the page (or the
// broker) to show a condition, with a deadline.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const samples = path.join(root, "samples");
const binary = process.env.WYVERN_BIN;
const screenshots = process.env.WYVERN_SCREENSHOTS ? path.resolve(process.env.WYVERN_SCREENSHOTS) : null;
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";

const ACCOUNT = "000000000000";
const executionArn = (machine, name) => `arn:aws:states:us-east-1:${ACCOUNT}:execution:${machine}:${name}`;

// AWS's colours, as the console fills a state's box (graph.js STATUS_STYLE).
const FILL = {
  idle: "#ffffff", in_progress: "#cfe4fa", succeeded: "#d5f2d0", failed: "#fcdedb",
  caught_error: "#ffe7c2", cancelled: "#e3e6e8",
};

let work;
let broker;
let endpoint;
let browser;

// The resources file: the samples' machines and functions with absolute paths (the file lives
// in a scratch folder), plus the queues, topic and bus the views need.
function resources() {
  const sqsArn = (name) => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;
  return {
    region: "us-east-1",
    queues: {
      "hatch-node": { Attributes: { VisibilityTimeout: 60 } },
      sightings: { Attributes: { RedrivePolicy: { deadLetterTargetArn: sqsArn("lost-sightings"), maxReceiveCount: 3 } } },
      "lost-sightings": {},
      eggs: { Attributes: { RedrivePolicy: { deadLetterTargetArn: sqsArn("lost-eggs"), maxReceiveCount: 1 } } },
      "lost-eggs": {},
      "live-counts": {},
      "ordered.fifo": { Attributes: { FifoQueue: true, ContentBasedDeduplication: true } },
    },
    topics: {
      alerts: {
        Attributes: { DisplayName: "Dragon alerts" },
        Subscriptions: [
          { Protocol: "sqs", Endpoint: sqsArn("sightings"),
            Attributes: { RawMessageDelivery: "true", FilterPolicy: { colour: ["red"] } } },
          { Protocol: "sms", Endpoint: "+15555555555" },
        ],
      },
    },
    buses: { dragons: { Description: "where sightings go" } },
    rules: {
      "red-sightings": {
        EventBusName: "dragons",
        EventPattern: { source: ["dragons"], detail: { colour: ["red"] } },
        Targets: [{ Id: "queue", Arn: sqsArn("sightings") }],
      },
      "every-sighting": {
        EventBusName: "dragons",
        EventPattern: { source: ["dragons"] },
        Targets: [{ Id: "queue", Arn: sqsArn("live-counts") }],
      },
    },
    stateMachines: {
      DragonsStateMachine: { definitionFile: path.join(samples, "dragons", "dragons.asl.json") },
      Hatchery: { definitionFile: path.join(samples, "callback", "hatchery.asl.json") },
      Iterate: { definitionFile: path.join(samples, "states", "map", "definition.asl.json") },
    },
    functions: {
      "validate-dragon": { command: ["/usr/bin/python3", path.join(samples, "dragons", "functions", "validate_dragon.py")] },
      "add-dragon": { command: ["/usr/bin/python3", path.join(samples, "dragons", "functions", "add_dragon.py")] },
    },
  };
}

async function startBroker() {
  work = mkdtempSync(path.join(os.tmpdir(), "wyvern-console-"));
  // The dragons table starts as the course's: Atlas is known, Peter is not.
  const table = path.join(work, "dragons.json");
  copyFileSync(path.join(samples, "dragons", "data", "dragons.json"), table);
  const config = path.join(work, "wyvern.json");
  writeFileSync(config, JSON.stringify(resources(), null, 2));
  broker = spawn(binary, ["--port", "0", "--in-memory", "--config", config], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, DRAGONS_TABLE: table, PYTHONDONTWRITEBYTECODE: "1" },
  });
  let buffered = "";
  endpoint = await new Promise((resolve, reject) => {
    broker.stdout.on("data", (chunk) => {
      buffered += chunk;
      const m = buffered.match(/listening on (http:\/\/[^\s]+)/);
      if (m) resolve(m[1]);
    });
    broker.on("exit", (code) => reject(new Error(`the broker exited with ${code} before listening`)));
  });
}

async function call(route, body) {
  const res = await fetch(`${endpoint}${route}`, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json();
  if (!res.ok) throw new Error(`${route}: HTTP ${res.status} ${JSON.stringify(data)}`);
  return data;
}

// Waits until check() gives something truthy; polls the broker, not the clock.
async function eventually(check, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
  }
}

const dragonReport = (file) => JSON.parse(readFileSync(path.join(samples, "dragons", file), "utf8"));

async function startExecution(machine, name, input) {
  const { executionArn: arn } = await call("/_wyvern/api/executions", { stateMachine: machine, name, input });
  return arn;
}

async function finished(arn) {
  return eventually(async () => {
    const d = await call(`/_wyvern/api/executions/${arn}`);
    return d.execution.status !== "RUNNING" && d;
  }, `${arn} to finish`);
}

// Opens the console at `route` (a hash route) in a fresh page; collects console errors and
// uncaught exceptions into `problems`.
async function open(route, { path: at = "/_wyvern/console/" } = {}) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.setDefaultTimeout(15_000);
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()} (${m.location().url})`);
  });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  await page.goto(`${endpoint}${at}${route}`);
  await page.locator("main h1").first().waitFor();
  return { page, problems };
}

// Waits until the view has drawn what it was loading.
const settled = (page) => page.waitForFunction(() => !document.querySelector("main .loading"));

async function shot(page, name) {
  if (!screenshots) return;
  mkdirSync(screenshots, { recursive: true });
  // A full-page shot of a scrolled page draws the sticky header where the scroll left it.
  await page.evaluate(() => window.scrollTo({ top: 0, behavior: "instant" }));
  await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
}

const heading = async (page) => (await page.locator("main h1").first().innerText()).trim();

const stateBox = (page, name) => page.locator(`svg.sfn-graph .state[data-state="${name}"]`);

async function stateLooks(page, name) {
  const g = stateBox(page, name);
  return {
    status: await g.getAttribute("data-status"),
    fill: await g.locator(":scope > rect.state-box").getAttribute("fill"),
  };
}

before(async () => {
  assert.ok(binary, "set WYVERN_BIN to the broker binary (build/wyvern)");
  await startBroker();
  browser = await chromium.launch({
    executablePath: chromiumPath, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
});

after(async () => {
  await browser?.close();
  if (broker && broker.exitCode === null) {
    broker.kill("SIGTERM");
    await once(broker, "exit");
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

test("the broker serves the console, with its assets, at /_wyvern/console and /_wyvern/console/", async () => {
  for (const at of ["/_wyvern/console", "/_wyvern/console/"]) {
    const { page, problems } = await open("#/queues", { path: at });
    assert.equal(await heading(page), "Queues");
    assert.match(page.url(), /\/_wyvern\/console\/#\/queues$/);
    const styled = await page.evaluate(() => getComputedStyle(document.querySelector(".topbar")).position);
    assert.equal(styled, "sticky", "style.css is loaded");
    assert.deepEqual(problems, []);
    await page.close();
  }
});

test("every view opens with its heading and without errors", async () => {
  const peter = await startExecution("DragonsStateMachine", "Peter", dragonReport("peter.json"));
  await finished(peter);
  const views = [
    ["#/queues", "Queues"],
    ["#/queues/sightings", "sightings"],
    ["#/topics", "Topics"],
    ["#/buses", "Event buses"],
    ["#/buses/dragons", "dragons"],
    ["#/pattern", "Event pattern tester"],
    ["#/state-machines", "State machines"],
    ["#/state-machines/DragonsStateMachine", "DragonsStateMachine"],
    [`#/executions/${peter}`, "Peter"],
    ["#/clock", "Clock"],
  ];
  for (const [route, title] of views) {
    const { page, problems } = await open(route);
    await settled(page);
    assert.equal(await heading(page), title, route);
    assert.equal(await page.locator("main .notice.error").count(), 0,
      `${route} shows an error: ${await page.locator("main .notice.error").allInnerTexts()}`);
    assert.deepEqual(problems, [], route);
    await page.close();
  }
});

test("the dragon execution's graph shows the path Peter took in AWS's colours", async () => {
  const arn = executionArn("DragonsStateMachine", "Peter");
  const { page } = await open(`#/executions/${arn}`);
  await settled(page);
  await stateBox(page, "NoAlertAddDragonSuccess").waitFor();

  for (const name of ["ValidateDragon", "AddDragon", "ConfirmationRequired", "NoAlertAddDragonSuccess"])
    assert.deepEqual(await stateLooks(page, name), { status: "succeeded", fill: FILL.succeeded }, name);
  for (const name of ["AlertDragonValidationFailure", "CatchAllFailure", "AlertAddDragonSuccess"])
    assert.deepEqual(await stateLooks(page, name), { status: "idle", fill: FILL.idle }, name);

  const taken = await page.locator("svg.sfn-graph .edge.taken").evaluateAll((edges) =>
    edges.map((e) => `${e.dataset.from}->${e.dataset.to}`).sort());
  assert.deepEqual(taken, ["AddDragon->ConfirmationRequired", "ConfirmationRequired->NoAlertAddDragonSuccess",
    "NoAlertAddDragonSuccess->__end", "ValidateDragon->AddDragon", "__start->ValidateDragon"]);
  // The Choice's rules are labelled on their arrows, the Default dashed, the Catches their own kind.
  const labels = await page.locator('svg.sfn-graph .edge[data-from="ConfirmationRequired"] .edge-label text').allTextContents();
  assert.ok(labels.includes("$.confirmationRequired == false"), labels.join(" | "));
  assert.ok(labels.includes("Default"));
  assert.equal(await page.locator('svg.sfn-graph .edge--default path').getAttribute("stroke-dasharray"), "6 4");
  assert.equal(await page.locator('svg.sfn-graph .edge--catch[data-from="ValidateDragon"]').count(), 2);
  assert.equal(await page.locator(".legend .legend-item").count(), 5);

  // The lecture's event history: sixteen events, elapsed milliseconds from the start.
  const types = await page.locator("table.history tr.event td:nth-child(2)").allTextContents();
  assert.deepEqual(types, [
    "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
    "LambdaFunctionSucceeded", "TaskStateExited", "TaskStateEntered", "LambdaFunctionScheduled",
    "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited", "ChoiceStateEntered",
    "ChoiceStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"]);
  const elapsed = (await page.locator('table.history td[data-field="elapsed"]').allTextContents()).map(Number);
  assert.equal(elapsed[0], 0);
  for (let i = 1; i < elapsed.length; i++) assert.ok(elapsed[i] >= elapsed[i - 1], `elapsed ${elapsed}`);
  const steps = await page.locator("table.history tr.event td:nth-child(3)").allTextContents();
  assert.equal(steps[4], "ValidateDragon");
  assert.equal(steps[13], "NoAlertAddDragonSuccess");

  // A step's details: its input and output.
  await stateBox(page, "ValidateDragon").click();
  const details = page.locator(".step-details");
  await details.locator('[data-field="name"]', { hasText: "ValidateDragon" }).waitFor();
  assert.match(await details.innerText(), /Succeeded[\s\S]*"dragon_name_str": "Peter"/);
  await shot(page, "execution-peter");
  await page.close();
});

test("Atlas, already known, shows ValidateDragon's caught error and the Catch taken", async () => {
  const arn = await startExecution("DragonsStateMachine", "Atlas", dragonReport("atlas.json"));
  const done = await finished(arn);
  assert.equal(done.execution.status, "SUCCEEDED");
  const { page } = await open(`#/executions/${arn}`);
  await stateBox(page, "ValidateDragon").waitFor();
  assert.deepEqual(await stateLooks(page, "ValidateDragon"), { status: "caught_error", fill: FILL.caught_error });
  assert.deepEqual(await stateLooks(page, "AlertDragonValidationFailure"), { status: "succeeded", fill: FILL.succeeded });
  for (const name of ["AddDragon", "ConfirmationRequired", "CatchAllFailure"])
    assert.equal((await stateLooks(page, name)).status, "idle", name);
  assert.equal(await page.locator('svg.sfn-graph .edge.taken[data-from="ValidateDragon"][data-to="AlertDragonValidationFailure"]').getAttribute("data-kind"), "catch");

  await stateBox(page, "ValidateDragon").click();
  const details = page.locator(".step-details");
  await details.getByText("Caught error").waitFor();
  assert.match(await details.innerText(), /Error: DragonValidationException/);
  assert.match(await details.innerText(), /Duplicate dragon reported/);
  await shot(page, "execution-atlas-caught-error");
  await page.close();

  // The Catch texted the reporter: the SMS is in the outbox on the topics page.
  const topics = await open("#/topics");
  await settled(topics.page);
  await topics.page.locator("tr.outbox-message", { hasText: "failed validation" }).waitFor();
  assert.ok(await topics.page.locator('tr.subscription[data-protocol="sqs"]', { hasText: "colour" }).count());
  // A red sighting published to "alerts" (SNS's Query protocol) reaches both subscriptions; the
  // page's delivery counts follow without a reload.
  const published = await fetch(endpoint + "/", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      Action: "Publish", TopicArn: `arn:aws:sns:us-east-1:${ACCOUNT}:alerts`, Message: "red dragon over Houston",
      "MessageAttributes.entry.1.Name": "colour", "MessageAttributes.entry.1.Value.DataType": "String",
      "MessageAttributes.entry.1.Value.StringValue": "red",
    }),
  });
  assert.equal(published.status, 200);
  for (const protocol of ["sqs", "sms"])
    await topics.page.locator(`tr.subscription[data-protocol="${protocol}"] .delivery[data-delivered="1"]`).waitFor();
  await shot(topics.page, "topics");
  await topics.page.close();
});

test("the state machine page draws the definition, with Map iterators and Parallel branches nested", async () => {
  const { page } = await open("#/state-machines/DragonsStateMachine");
  await settled(page);
  assert.equal(await page.locator("svg.sfn-graph .state").count(), 7);
  assert.equal(await page.locator("svg.sfn-graph .terminal").count(), 2);
  await page.locator("tr.execution", { hasText: "Atlas" }).waitFor();
  await page.locator('button.filter[data-filter="FAILED"]').click();
  await page.getByText("No failed executions.").waitFor();
  await page.locator('button.filter[data-filter="ALL"]').click();
  await page.locator("tr.execution", { hasText: "Peter" }).waitFor();
  await shot(page, "state-machine");
  await page.close();

  const nested = await open("#/state-machines/Iterate");
  await settled(nested.page);
  const map = nested.page.locator('svg.sfn-graph .state--map[data-state="Map"]');
  await map.waitFor();
  const parallel = map.locator('.state--parallel[data-state="Check Data"]');
  assert.equal(await parallel.count(), 1);
  assert.equal(await parallel.locator(".branch").count(), 2);
  assert.equal(await parallel.locator('.state[data-state="Check Name"]').count(), 1);
  assert.equal(await parallel.locator('.state[data-state="Check Address"]').count(), 1);
  await shot(nested.page, "state-machine-map-and-parallel");
  await nested.page.close();
});

test("an execution started from the console's form opens, and its failure shows red", async () => {
  const { page } = await open("#/state-machines/DragonsStateMachine");
  await settled(page);
  // "maybe" is neither true nor false: the Choice falls to its Default, CatchAllFailure.
  const report = { ...dragonReport("peter.json"), dragon_name_str: "Puff", confirmationRequired: "maybe" };
  await page.locator('form.start-form input[name="name"]').fill("Puff");
  await page.locator('form.start-form textarea[name="input"]').fill(JSON.stringify(report, null, 2));
  await page.locator("form.start-form button[type=submit]").click();
  await page.waitForURL(/#\/executions\/arn%3Aaws%3Astates.*Puff$/);
  await page.locator('[data-field="execution-status"] .badge[data-status="FAILED"]').waitFor();
  assert.deepEqual(await stateLooks(page, "CatchAllFailure"), { status: "failed", fill: FILL.failed });
  assert.equal((await stateLooks(page, "ConfirmationRequired")).status, "succeeded");
  assert.equal(await page.locator('svg.sfn-graph .edge.taken[data-from="ConfirmationRequired"]').getAttribute("data-kind"), "default");
  assert.match(await page.locator(".execution-facts").innerText(), /Something unknown went wrong/);

  // A start the broker refuses says why, and stays on the form.
  await page.goto(`${page.url().split("#")[0]}#/state-machines/DragonsStateMachine`);
  await settled(page);
  await page.locator('form.start-form input[name="name"]').fill("Puff");
  await page.locator("form.start-form button[type=submit]").click();
  await page.locator("form.start-form .outcome", { hasText: "ExecutionAlreadyExists" }).waitFor();
  await page.locator('form.start-form textarea[name="input"]').fill("{ not json");
  await page.locator("form.start-form button[type=submit]").click();
  await page.locator("form.start-form .outcome", { hasText: "not valid JSON" }).waitFor();
  await page.close();
});

test("a message sent from the console's form shows in the queue's messages", async () => {
  const { page } = await open("#/queues/sightings");
  await settled(page);
  const body = JSON.stringify({ dragon: "Smaug", colour: "red", seen: "from the console" });
  await page.locator('form.send-form textarea[name="body"]').fill(body);
  await page.locator("form.send-form button[type=submit]").click();
  const row = page.locator("tr.message", { hasText: "from the console" });
  await row.waitFor();
  assert.equal(await row.getAttribute("data-state"), "visible");
  assert.equal((await row.locator("td:nth-child(4)").innerText()).trim(), "0");
  const peeked = await call("/_wyvern/api/queues/sightings/messages");
  assert.ok(peeked.some((m) => m.body === body && m.receive_count === 0), "the broker has it, unreceived");
  await shot(page, "queue-messages");
  await page.close();
});

test("queue counts change live, without a reload, when a message arrives", async () => {
  const { page, problems } = await open("#/queues");
  await settled(page);
  await page.locator('.live-status[data-state="live"]').waitFor();
  const cell = page.locator('td[data-queue="live-counts"][data-count="visible"]');
  const before = Number(await cell.innerText());
  await page.evaluate(() => { window.notReloaded = true; });
  await call("/_wyvern/api/queues/live-counts/messages", { body: "one more" });
  await page.waitForFunction((n) => document.querySelector('td[data-queue="live-counts"][data-count="visible"]')?.textContent === String(n),
    before + 1);
  assert.equal(await page.evaluate(() => window.notReloaded), true);
  assert.deepEqual(problems, []);
  await shot(page, "queues");
  await page.close();
});

test("eight tabs of one browser all stay live and can still load their views", async () => {
  // Browsers give one host about six HTTP/1.1 connections: a live stream per tab would leave a
  // seventh tab none for the admin API. The tabs share one stream (stream-worker.js).
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const pages = [];
  for (let i = 0; i < 8; ++i) {
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await page.goto(`${endpoint}/_wyvern/console/#/queues`);
    await settled(page);
    await page.locator('.live-status[data-state="live"]').waitFor();
    pages.push(page);
  }
  const count = 'td[data-queue="live-counts"][data-count="visible"]';
  const before = Number(await pages[0].locator(count).innerText());
  await call("/_wyvern/api/queues/live-counts/messages", { body: "seen by every tab" });
  for (const page of pages)
    await page.waitForFunction(([sel, n]) => document.querySelector(sel)?.textContent === String(n), [count, before + 1]);
  // The last tab still reaches the admin API: another view loads.
  await pages[7].goto(`${endpoint}/_wyvern/console/#/topics`);
  await settled(pages[7]);
  await pages[7].locator("main h1").first().waitFor();
  await context.close();
});

test("a bus's page lists the events it received with the rules each matched", async () => {
  const res = await fetch(`${endpoint}/`, {
    method: "POST",
    headers: { "X-Amz-Target": "AWSEvents.PutEvents", "Content-Type": "application/x-amz-json-1.1" },
    body: JSON.stringify({ Entries: [
      { EventBusName: "dragons", Source: "dragons", DetailType: "Sighting", Detail: JSON.stringify({ name: "Smaug", colour: "red" }) },
      { EventBusName: "dragons", Source: "dragons", DetailType: "Sighting", Detail: JSON.stringify({ name: "Puff", colour: "green" }) },
    ] }),
  });
  assert.equal((await res.json()).FailedEntryCount, 0);
  const buses = await open("#/buses");
  await buses.page.locator('[data-bus-events="dragons"]', { hasText: "2" }).waitFor();
  await shot(buses.page, "buses");
  await buses.page.close();

  const { page } = await open("#/buses/dragons");
  await settled(page);
  const rows = page.locator("tr.bus-event");
  await rows.nth(1).waitFor();
  const matched = await rows.locator("td:nth-child(4)").allInnerTexts();
  assert.deepEqual(matched.slice(0, 2).map((s) => s.split(", ").sort().join(", ")),
    ["every-sighting", "every-sighting, red-sightings"], "newest first: Puff matched one rule, Smaug two");
  // The rule's pattern, loaded into the tester, against Puff's event: no match.
  await page.locator('tr.rule[data-rule="red-sightings"] button').click();
  await rows.nth(0).locator("button", { hasText: "Test against it" }).click();
  await page.locator('.match-result[data-result="no-match"]').waitFor();
  await shot(page, "bus-events-and-pattern-tester");
  await page.close();
});

test("a task token answered from the console finishes its execution", async () => {
  const queueUrl = `${endpoint}/${ACCOUNT}/hatch-node`;
  const arn = await startExecution("Hatchery", "red-egg", { egg: "red", queue: queueUrl });
  const { page } = await open(`#/executions/${arn}`);
  const task = page.locator('.pending-task[data-state="Hatch"]');
  await task.waitFor();
  assert.equal((await stateLooks(page, "Hatch")).status, "in_progress");
  assert.equal((await stateLooks(page, "Hatch")).fill, FILL.in_progress);
  await shot(page, "execution-waiting-for-token");
  await task.locator('textarea[name="output"]').fill('{"hatched": "a red dragon"}');
  await task.locator('[data-action="send-success"]').click();
  await page.locator('[data-field="execution-status"] .badge[data-status="SUCCEEDED"]').waitFor();
  assert.equal((await stateLooks(page, "Hatch")).status, "succeeded");
  const d = await call(`/_wyvern/api/executions/${arn}`);
  assert.equal(d.execution.status, "SUCCEEDED");
  assert.deepEqual(JSON.parse(d.execution.output).hatched, { hatched: "a red dragon" });
  await page.close();
});

test("the pattern tester answers match, no match and EventBridge's error as you type", async () => {
  const { page } = await open("#/pattern");
  const result = page.locator(".match-result");
  const pattern = page.locator('textarea[name="pattern"]');
  await page.locator('.match-result[data-result="match"]').waitFor();
  assert.match(await result.innerText(), /^Match/);

  await pattern.fill('{"source": ["cats"]}');
  await page.locator('.match-result[data-result="no-match"]').waitFor();
  assert.match(await result.innerText(), /No match/);

  await pattern.fill('{"source": ["dragons"], "detail": {"wingspan": [{"numeric": [">", 30]}]}}');
  await page.locator('.match-result[data-result="match"]').waitFor();

  await pattern.fill('{"source": "dragons"}');
  await page.locator('.match-result[data-result="error"]').waitFor();
  assert.match(await result.innerText(), /InvalidEventPatternException/);
  assert.match(await result.innerText(), /must be an object or an array/);

  // Typed a key at a time, the answer follows the last keystroke.
  await pattern.fill('{"source": ["dragon');
  await page.locator('.match-result[data-result="error"]', { hasText: "Pattern is not valid JSON" }).waitFor();
  await pattern.pressSequentially('s"]}');
  await page.locator('.match-result[data-result="match"]').waitFor();

  await page.locator('textarea[name="event"]').fill("{}");
  await page.locator('.match-result[data-result="error"]', { hasText: "ValidationException" }).waitFor();
  await page.close();
});

test("the clock control moves the broker's virtual clock on", async () => {
  const { offset_ms: before } = await call("/_wyvern/clock");
  const { page } = await open("#/clock");
  await page.waitForFunction((n) => document.querySelector('[data-field="offset"]')?.dataset.offsetMs === String(n), before);
  await page.locator('input[name="seconds"]').fill("90");
  await page.locator("form.advance-form button[type=submit]").click();
  await page.waitForFunction((n) => document.querySelector('[data-field="offset"]')?.dataset.offsetMs === String(n),
    before + 90_000);
  const { offset_ms: after } = await call("/_wyvern/clock");
  assert.equal(after, before + 90_000);
  assert.match(await page.locator(".topbar .clock-offset").innerText(), /1m 30s/);
  await page.locator('button[data-seconds="3600"]').click();
  await page.waitForFunction((n) => document.querySelector('[data-field="offset"]')?.dataset.offsetMs === String(n),
    before + 90_000 + 3_600_000);
  await shot(page, "clock");
  await page.close();
});

test("a step's details show the variables it assigned", async () => {
  // Created through Step Functions' own JSON protocol, as any SDK would.
  const definition = {
    StartAt: "Count",
    States: {
      Count: { Type: "Pass", Result: { eggs: 3 }, Assign: { "eggs.$": "$.eggs", nest: "north" }, Next: "Done" },
      Done: { Type: "Pass", Parameters: { "total.$": "$eggs" }, End: true },
    },
  };
  const created = await fetch(endpoint + "/", {
    method: "POST",
    headers: { "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions.CreateStateMachine" },
    body: JSON.stringify({ name: "Counting", roleArn: `arn:aws:iam::${ACCOUNT}:role/wyvern`, definition: JSON.stringify(definition) }),
  });
  assert.equal(created.status, 200, await created.text());
  const arn = await startExecution("Counting", "first", {});
  assert.equal((await finished(arn)).execution.status, "SUCCEEDED");
  const { page } = await open(`#/executions/${arn}`);
  await settled(page);
  await stateBox(page, "Count").click();
  const details = page.locator(".step-details");
  assert.equal((await details.locator('[data-variable="eggs"]').innerText()).trim(), "3");
  assert.equal((await details.locator('[data-variable="nest"]').innerText()).trim(), '"north"');
  await stateBox(page, "Done").click();
  assert.equal(await details.locator("[data-variable]").count(), 0);
  await page.close();
});

test("a dead letter redriven from the console goes back to its queue, and purge empties one", async () => {
  // SQS's JSON protocol, as an SDK would: the second receive exceeds maxReceiveCount 1, so the
  // message moves to lost-eggs.
  const sqs = async (action, body) => {
    const res = await fetch(endpoint + "/", {
      method: "POST",
      headers: { "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": `AmazonSQS.${action}` },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return res.json();
  };
  const url = `${endpoint}/${ACCOUNT}/eggs`;
  await sqs("SendMessage", { QueueUrl: url, MessageBody: "cracked" });
  await sqs("ReceiveMessage", { QueueUrl: url, VisibilityTimeout: 0 });
  await sqs("ReceiveMessage", { QueueUrl: url, VisibilityTimeout: 0 });
  const counts = async () => Object.fromEntries((await call("/_wyvern/api/queues")).map((q) => [q.name, q.visible]));
  assert.deepEqual([(await counts()).eggs, (await counts())["lost-eggs"]], [0, 1]);

  const { page } = await open("#/queues/lost-eggs");
  await settled(page);
  await page.locator("tr.message", { hasText: "cracked" }).waitFor();
  await page.getByRole("button", { name: "Redrive from DLQ" }).click();
  await eventually(async () => {
    const c = await counts();
    return c.eggs === 1 && c["lost-eggs"] === 0;
  }, "the dead letter back in eggs");

  await page.goto(`${endpoint}/_wyvern/console/#/queues/eggs`);
  await settled(page);
  await page.locator("tr.message", { hasText: "cracked" }).waitFor();
  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "Purge" }).click();
  await eventually(async () => (await counts()).eggs === 0, "eggs purged");
  await page.close();
});
