"""Every sample runs as a user runs it (its run.sh against the built broker) and its outcome is
checked: the dragons table updated, the texts in the outbox, the execution paths; the callback
flow's success, failure and heartbeat timeout for each of its three workers; each state-type
machine's output; the fan-out's delivery, filtering and ordering."""
import json
import os
import subprocess
import tempfile
import unittest

from harness import BINARY, ROOT

SAMPLES = os.path.join(ROOT, "samples")


def run(sample, **env):
    environment = dict(os.environ, WYVERN_BIN=BINARY, **env)
    done = subprocess.run(["bash", os.path.join(SAMPLES, sample, "run.sh")], capture_output=True, text=True,
                          timeout=300, env=environment)
    return done


class Samples(unittest.TestCase):
    def test_dragons_runs_the_lectures_executions(self):
        with tempfile.TemporaryDirectory() as work:
            done = run("dragons", DRAGONS_WORKDIR=work)
            self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
            out = done.stdout
            with open(os.path.join(work, "dragons.json")) as f:
                table = [d["dragon_name_str"] for d in json.load(f)]
        self.assertEqual(table, ["Atlas", "Peter", "Frank"])  # Atlas was refused a second time
        peter, atlas, rest = out.split("== execution Peter")[1].split("== execution Atlas")[0], \
            out.split("== execution Atlas")[1].split("== POST /dragons")[0], out.split("== POST /dragons")[1]
        path = lambda text: [l.split()[1] for l in text.splitlines() if l.startswith("  -> ")]
        self.assertEqual(path(peter), ["ValidateDragon", "AddDragon", "ConfirmationRequired", "NoAlertAddDragonSuccess"])
        self.assertIn("SUCCEEDED after", peter)
        self.assertEqual(len([l for l in peter.splitlines() if l[:1].isdigit()]), 16)  # the console's 16 events
        self.assertEqual(path(atlas), ["ValidateDragon", "AlertDragonValidationFailure"])
        self.assertIn('LambdaFunctionFailed DragonValidationException: {"errorType": "DragonValidationException", '
                      '"errorMessage": "Duplicate dragon reported"}', atlas)
        self.assertIn("SUCCEEDED after", atlas)
        self.assertIn('"executionArn":"arn:aws:states:us-east-1:000000000000:execution:DragonsStateMachine:', rest)
        self.assertIn("AlertAddDragonSuccess", rest)
        self.assertIn('"message":"Invalid request body"', rest)
        self.assertIn("(HTTP 400)", rest)
        self.assertIn("SMS to 15555555555: The dragon you reported failed validation and was not added", rest)
        self.assertIn("SMS to +15555555555: The dragon you reported has been added!", rest)

    def test_callback_workers_succeed_fail_and_time_out(self):
        done = run("callback")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        outcomes = dict(line.split(": ", 1) for line in done.stdout.splitlines()
                        if line.split(":")[0].count("-") == 1 and line.split("-")[0] in ("node", "python", "cpp"))
        for worker in ("node", "python", "cpp"):
            self.assertTrue(outcomes[worker + "-red"].startswith("SUCCEEDED "), outcomes)
            self.assertEqual(json.loads(outcomes[worker + "-red"].split(" ", 1)[1])["hatched"], {"dragon": "red dragon"})
            self.assertEqual(outcomes[worker + "-stone"], "FAILED Egg.NotAnEgg")
            self.assertEqual(outcomes[worker + "-forgotten"], "FAILED States.Timeout")
        self.assertIn("c++ worker: late answer for forgotten refused: TaskTimedOut", done.stdout)

    def test_states_machines_produce_their_expected_outputs(self):
        done = run("states")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertNotIn("MISMATCH", done.stdout)
        machines = sorted(d for d in os.listdir(os.path.join(SAMPLES, "states"))
                          if os.path.isfile(os.path.join(SAMPLES, "states", d, "definition.asl.json")))
        self.assertGreaterEqual(len(machines), 8)
        for name in machines:
            self.assertIn("ok " + name, done.stdout)

    def test_fanout_delivers_filters_and_orders(self):
        done = run("fanout")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertNotIn("FAIL", done.stdout)


if __name__ == "__main__":
    unittest.main()
