"""Amazon States Language conformance: the data-driven cases in tests/conformance/*.json.

Each case's expectations come from AWS's documentation (the developer guide, the API reference
and the States Language specification; each case names its source), not from Wyvern's output.
Every case runs as a Standard execution on one broker; the runner compares the final status,
the output (JSON-equal), the error and cause, the history's event types and, where a case gives
them, the variables each state assigned (the StateExited events' assignedVariables; checked
only with an SDK whose model has that member: older botocore drops members it does not know).
A case may instead expect CreateStateMachine to refuse its definition. Task states get
their results from Step Functions Local's MockConfigFile (the broker is started with one built
from the cases' "mock" entries, and such a case runs on "<stateMachineArn>#Conformance") or from
an activity the runner works as the worker. Cases that Wyvern does not pass yet live in
tests/conformance/pending/, which is not loaded unless WYVERN_CONFORMANCE_PENDING=1. The case
format is described in tests/conformance/README.md.
"""
import copy
import glob
import json
import os
import re
import tempfile
import time
import unittest
from collections import Counter

import boto3
import botocore.config
import botocore.exceptions

from harness import ACCOUNT, REGION, Broker, BrokerTestCase, ROOT, sfn_client

CASES_DIR = os.path.join(ROOT, "tests", "conformance")
ROLE = "arn:aws:iam::%s:role/wyvern-conformance" % ACCOUNT
SETTLE_SECONDS = 0.1  # before asserting that an execution is still RUNNING
FINISH_SECONDS = 5.0  # how long an execution may take to end once nothing waits on the clock
POLL_SECONDS = 5  # how long the runner, as the activity worker, waits for a task to take
TEST_CASE = "Conformance"  # the MockConfigFile test case each mocked case runs


def load_areas():
    files = sorted(glob.glob(os.path.join(CASES_DIR, "*.json")))
    if os.environ.get("WYVERN_CONFORMANCE_PENDING") == "1":
        files += sorted(glob.glob(os.path.join(CASES_DIR, "pending", "*.json")))
    areas = []
    for path in files:
        with open(path) as f:
            doc = json.load(f)
        label = os.path.splitext(os.path.relpath(path, CASES_DIR))[0].replace(os.sep, "_")
        areas.append((label, doc["cases"]))
    return areas


def machine_name(label, index):
    return "%s-%03d" % (label.replace("_", "-")[:60], index)


def mock_config(areas):
    """Step Functions Local's MockConfigFile for every case with a "mock": the case's machine
    gets one test case, TEST_CASE, whose states answer with the case's mocked responses."""
    machines, responses = {}, {}
    for label, cases in areas:
        for index, case in enumerate(cases):
            if "mock" not in case:
                continue
            name = machine_name(label, index)
            states = {}
            for state, mocked in case["mock"].items():
                states[state] = "%s.%s" % (name, state)
                responses[states[state]] = mocked
            machines[name] = {"TestCases": {TEST_CASE: states}}
    return {"StateMachines": machines, "MockedResponses": responses}


# --- placeholders -------------------------------------------------------------------------------

NOW_TOKEN = re.compile(r"\$\{NOW([+-]\d+)(\.\d+)?\}")


def fill(value, replace):
    """Applies `replace` to every string in a JSON value (keys included)."""
    if isinstance(value, str):
        return replace(value)
    if isinstance(value, list):
        return [fill(v, replace) for v in value]
    if isinstance(value, dict):
        return {replace(k): fill(v, replace) for k, v in value.items()}
    return value


def replacer(now_ms, names):
    """${NOW+N} is the virtual time in whole seconds plus N, as YYYY-MM-DDTHH:MM:SSZ; ${NOW+N.fff}
    adds that fraction as written. ${EXECUTION_NAME} and the like are the names the runner used."""
    def render(match):
        seconds = now_ms // 1000 + int(match.group(1))
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
        return text + (match.group(2) or "") + "Z"

    def replace(text):
        if "${" not in text:
            return text
        text = NOW_TOKEN.sub(render, text)
        for key, value in names.items():
            text = text.replace("${%s}" % key, value)
        return text
    return replace


# --- comparisons --------------------------------------------------------------------------------

def json_equal(a, b):
    """JSON equality: true is not 1, 1 equals 1.0, object key order is irrelevant."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


MISSING = object()


def walk(value, path):
    """Dotted path into a JSON value ("" is the value itself; numbers index arrays)."""
    for part in [p for p in path.split(".") if p]:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


def remove(value, path):
    parts = [p for p in path.split(".") if p]
    parent = walk(value, ".".join(parts[:-1]))
    if isinstance(parent, dict):
        parent.pop(parts[-1], None)


def check_failures(output, checks):
    """Returns messages for output_checks that do not hold."""
    problems = []
    for check in checks:
        path = check["path"]
        value = walk(output, path)
        where = "output.%s" % path if path else "output"
        if value is MISSING:
            problems.append("%s is missing" % where)
            continue
        kind = check.get("type")
        if kind == "integer" and (isinstance(value, bool) or not isinstance(value, int)):
            problems.append("%s = %r is not an integer" % (where, value))
        if kind == "string" and not isinstance(value, str):
            problems.append("%s = %r is not a string" % (where, value))
        if "min" in check and not (isinstance(value, (int, float)) and value >= check["min"]):
            problems.append("%s = %r is below %r" % (where, value, check["min"]))
        if "max_exclusive" in check and not (isinstance(value, (int, float)) and value < check["max_exclusive"]):
            problems.append("%s = %r is not below %r" % (where, value, check["max_exclusive"]))
        if "regex" in check and not (isinstance(value, str) and re.fullmatch(check["regex"], value)):
            problems.append("%s = %r does not match %s" % (where, value, check["regex"]))
        if "one_of" in check and not any(json_equal(value, v) for v in check["one_of"]):
            problems.append("%s = %r is not one of %r" % (where, value, check["one_of"]))
        if "same_as" in check and not json_equal(value, walk(output, check["same_as"])):
            problems.append("%s = %r differs from output.%s" % (where, value, check["same_as"]))
        if "different_from" in check and json_equal(value, walk(output, check["different_from"])):
            problems.append("%s = %r equals output.%s" % (where, value, check["different_from"]))
    return problems


def assigned_failures(events, expected):
    """Compares the StateExited events that carry assignedVariables, in history order, with
    [{"state": name, "variables": {name: value}}] (values JSON-equal to the JSON text AWS
    gives), or with {"any_order": [...]} where concurrent branches may interleave."""
    got = []
    for e in events:
        details = e.get("stateExitedEventDetails")
        if details and "assignedVariables" in details:
            if details.get("assignedVariablesDetails") != {"truncated": False}:
                return ["%s: assignedVariablesDetails %r" % (details["name"], details.get("assignedVariablesDetails"))]
            try:
                values = {k: json.loads(v) for k, v in details["assignedVariables"].items()}
            except (TypeError, ValueError):
                return ["%s: assignedVariables are not JSON texts: %r" % (details["name"], details["assignedVariables"])]
            got.append({"state": details["name"], "variables": values})
    if isinstance(expected, dict) and "by_state" in expected:
        return by_state_failures(events, expected["by_state"])
    any_order = isinstance(expected, dict)
    want = expected["any_order"] if any_order else expected
    if any_order:
        unmatched = list(got)
        for w in want:
            match = next((g for g in unmatched if json_equal(g, w)), None)
            if match is not None:
                unmatched.remove(match)
        same = len(got) == len(want) and not unmatched
    else:
        same = len(got) == len(want) and all(json_equal(g, w) for g, w in zip(got, want))
    return [] if same else ["assigned variables %s != expected %s" % (json.dumps(got), json.dumps(want))]


def by_state_failures(events, expected):
    """{"by_state": {state: variables}}: each named state's StateExited events, every one (those
    without assignedVariables count as {}), must carry exactly these variables; a list of such
    objects for a state that exits more than once, compared as a multiset. States not named are
    not checked."""
    exits = {}
    for e in events:
        details = e.get("stateExitedEventDetails")
        if details:
            values = {k: json.loads(v) for k, v in details.get("assignedVariables", {}).items()}
            exits.setdefault(details["name"], []).append(values)
    problems = []
    for state, want in expected.items():
        got = exits.get(state, [])
        wanted = want if isinstance(want, list) else [want]
        unmatched = list(got)
        for w in wanted:
            match = next((g for g in unmatched if json_equal(g, w)), None)
            if match is not None:
                unmatched.remove(match)
        if len(got) != len(wanted) or unmatched:
            problems.append("%s assigned %s, expected %s" % (state, json.dumps(got), json.dumps(want)))
    return problems


def history_failures(types, expected):
    """Compares event types with a list (the exact sequence) or a dict of partial assertions."""
    if isinstance(expected, list):
        return [] if types == expected else ["history %r != expected %r" % (types, expected)]
    problems = []
    start = expected.get("starts_with", [])
    if types[:len(start)] != start:
        problems.append("history %r does not start with %r" % (types, start))
    end = expected.get("ends_with", [])
    if end and types[-len(end):] != end:
        problems.append("history %r does not end with %r" % (types, end))
    if "multiset" in expected and Counter(types) != Counter(expected["multiset"]):
        got, want = Counter(types), Counter(expected["multiset"])
        problems.append("history %r: extra %r, missing %r" % (types, dict(got - want), dict(want - got)))
    counted = Counter(types)
    for event, n in expected.get("counts", {}).items():
        if counted[event] != n:
            problems.append("history has %d %s events, expected %d: %r" % (counted[event], event, n, types))
    return problems


# --- the test case ------------------------------------------------------------------------------

class ConformanceCases(BrokerTestCase):
    """One test per area file; one subTest per case."""

    @classmethod
    def setUpClass(cls):
        # One broker for every area, given the MockConfigFile of all the cases that mock.
        handle, cls.mock_path = tempfile.mkstemp(prefix="wyvern-conformance-mocks-", suffix=".json")
        with os.fdopen(handle, "w") as f:
            json.dump(mock_config(load_areas()), f)
        cls.broker = Broker(extra_args=["--mock-config", cls.mock_path]).start()
        cls.sqs = cls.broker.sqs()
        cls.sfn = sfn_client(cls.broker)
        # boto3 1.26's model predates variables: it parses no assignedVariables.
        exited = cls.sfn.meta.service_model.shape_for("StateExitedEventDetails")
        cls.sdk_has_variables = "assignedVariables" in exited.members
        # The worker's GetActivityTask: a task is queued before it polls, so a long poll is a
        # failure, and a short read timeout keeps it from stalling the module.
        cls.worker = boto3.client(
            "stepfunctions", endpoint_url=cls.broker.endpoint, region_name=REGION,
            aws_access_key_id="test", aws_secret_access_key="test",
            config=botocore.config.Config(retries={"total_max_attempts": 1}, read_timeout=POLL_SECONDS))

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        os.unlink(cls.mock_path)

    def virtual_now_ms(self):
        return int(self.broker.admin("clock")["now_ms"])

    def whole_second_now_ms(self):
        """Moves virtual time on to the next whole second and returns it. ${NOW+N} is written in
        whole seconds (Wait truncates milliseconds anyway), and the virtual clock runs on with
        real time: from late in a second, "advance N-1, still running" could already be due."""
        now = self.virtual_now_ms()
        self.broker.admin("clock/advance", {"milliseconds": 1000 - now % 1000})
        return self.virtual_now_ms()

    def wait_until_done(self, arn):
        deadline = time.monotonic() + FINISH_SECONDS
        while True:
            described = self.sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING" or time.monotonic() > deadline:
                return described
            time.sleep(0.01)

    def history_events(self, arn):
        events, token = [], None
        while True:
            kwargs = {"executionArn": arn, "maxResults": 25}
            if token:
                kwargs["nextToken"] = token
            page = self.sfn.get_execution_history(**kwargs)
            events += page["events"]
            token = page.get("nextToken")
            if not token:
                return events

    def history_types(self, arn):
        return [e["type"] for e in self.history_events(arn)]

    def run_case(self, label, index, case):
        """Runs one case; returns a list of problems (empty when it conforms)."""
        name = machine_name(label, index)
        execution_name = "run-%03d" % index
        machine_arn = "arn:aws:states:%s:%s:stateMachine:%s" % (REGION, ACCOUNT, name)
        names = {"STATE_MACHINE_NAME": name, "STATE_MACHINE_ARN": machine_arn,
                 "EXECUTION_NAME": execution_name,
                 "EXECUTION_ARN": "arn:aws:states:%s:%s:execution:%s:%s" % (REGION, ACCOUNT, name,
                                                                          execution_name),
                 "ROLE_ARN": ROLE}
        if case.get("activity"):
            # CreateActivity is idempotent; the activity is named after the case's machine.
            names["ACTIVITY_ARN"] = self.sfn.create_activity(name=name)["activityArn"]
        replace = replacer(self.whole_second_now_ms() if "${NOW" in json.dumps(case) else self.virtual_now_ms(), names)
        definition = fill(case["definition"], replace)
        refusal = case["expect"].get("create_error")
        try:
            created = self.sfn.create_state_machine(name=name, roleArn=ROLE,
                                                    definition=json.dumps(definition))
        except self.sfn.exceptions.ClientError as e:
            error = e.response["Error"]
            if not refusal:
                return ["CreateStateMachine refused the definition: %s: %s" % (error.get("Code"), error.get("Message"))]
            problems = []
            if error.get("Code") != refusal["code"]:
                problems.append("CreateStateMachine failed with %s, expected %s" % (error.get("Code"), refusal["code"]))
            for part in refusal.get("message_contains", []):
                if part not in error.get("Message", ""):
                    problems.append("CreateStateMachine's message %r lacks %r" % (error.get("Message"), part))
            return problems
        if refusal:
            return ["CreateStateMachine accepted a definition it should refuse (%s)" % refusal["code"]]
        self.assertEqual(created["stateMachineArn"], machine_arn)
        # A mocked case runs its MockConfigFile test case, as Step Functions Local does.
        target = machine_arn + "#" + TEST_CASE if "mock" in case else machine_arn
        run = self.sfn.start_execution(stateMachineArn=target, name=execution_name,
                                       input=json.dumps(fill(case.get("input", {}), replace)))
        arn = run["executionArn"]
        self.assertEqual(arn, names["EXECUTION_ARN"])
        problems = []
        token = None
        for number, step in enumerate(case.get("clock", []), 1):
            where = "at clock step %d (%s)" % (number, ", ".join(
                "%s %s" % (k, step[k]) for k in ("advance", "worker") if k in step))
            if "advance" in step:
                self.broker.advance(step["advance"])
            if step.get("worker") == "poll":
                try:
                    task = self.worker.get_activity_task(activityArn=names["ACTIVITY_ARN"],
                                                         workerName="conformance")
                except botocore.exceptions.ReadTimeoutError:
                    task = {}
                token = task.get("taskToken")
                if not token:
                    problems.append("%s: the worker found no activity task to take" % where)
            elif step.get("worker") == "heartbeat":
                if token:
                    self.sfn.send_task_heartbeat(taskToken=token)
                else:
                    problems.append("%s: no task token to send a heartbeat with" % where)
            if "status" in step or "counts" in step:
                time.sleep(SETTLE_SECONDS)
            if "status" in step:
                status = self.sfn.describe_execution(executionArn=arn)["status"]
                if status != step["status"]:
                    problems.append("%s: status %s, expected %s" % (where, status, step["status"]))
            if "counts" in step:
                counted = Counter(self.history_types(arn))
                for event, n in step["counts"].items():
                    if counted[event] != n:
                        problems.append("%s: %d %s events, expected %d" % (where, counted[event], event, n))
        described = self.wait_until_done(arn)
        expect = fill(case["expect"], replace)
        if described["status"] != expect["status"]:
            problems.append("status %s (error %r, cause %r), expected %s"
                            % (described["status"], described.get("error"), described.get("cause"), expect["status"]))
        if "output" in expect or "output_checks" in expect:
            output = json.loads(described["output"]) if "output" in described else MISSING
            if output is MISSING:
                problems.append("no output")
            else:
                checks = expect.get("output_checks", [])
                problems += check_failures(output, checks)
                if "output" in expect:
                    trimmed = copy.deepcopy(output)
                    for check in checks:
                        remove(trimmed, check["path"])
                    if not json_equal(trimmed, expect["output"]):
                        problems.append("output %s != expected %s"
                                        % (json.dumps(output), json.dumps(expect["output"])))
        for field in ("error", "cause"):
            if field in expect and described.get(field) != expect[field]:
                problems.append("%s %r != expected %r" % (field, described.get(field), expect[field]))
        events = self.history_events(arn)
        problems += history_failures([e["type"] for e in events], expect["history"])
        if "assigned" in expect and self.sdk_has_variables:
            problems += assigned_failures(events, expect["assigned"])
        return problems

    def run_area(self, label, cases):
        for index, case in enumerate(cases):
            with self.subTest(case=case["name"]):
                problems = self.run_case(label, index, case)
                if problems:
                    self.fail("%s: %s\n  %s" % (label, case["name"], "\n  ".join(problems)))


def _add_area_tests():
    for label, cases in load_areas():
        def test(self, label=label, cases=cases):
            self.run_area(label, cases)
        test.__doc__ = "%s: %d cases" % (label, len(cases))
        setattr(ConformanceCases, "test_" + label, test)


_add_area_tests()

if __name__ == "__main__":
    unittest.main()
