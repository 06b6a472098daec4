"""Starts a real Wyvern broker on a free port and hands tests real AWS clients for it.

Used by every Python end-to-end test. The interpreter that runs a test decides the boto3
version and so the SQS wire protocol: Debian's /usr/bin/python3 has boto3 1.26 (Query/XML),
the preinstalled python3 has boto3 1.43 (JSON). WYVERN_EXPECT_PROTOCOL, set by CTest, makes a
test fail loudly if it runs under the wrong interpreter instead of silently testing the other
protocol twice.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import unittest
import urllib.request

import boto3
import botocore.config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("WYVERN_BIN", os.path.join(ROOT, "build", "wyvern"))
REGION = "us-east-1"
ACCOUNT = "000000000000"


class Broker:
    """One wyvern process. `data_dir=None` runs it --in-memory."""

    def __init__(self, data_dir=None, extra_args=()):
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None

    def start(self):
        args = [BINARY, "--port", "0", "--log-level", "info"] + self.extra_args
        args += ["--data-dir", self.data_dir] if self.data_dir else ["--in-memory"]
        # stderr goes to a file: a pipe nobody reads would eventually block the broker.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            self.proc.wait(timeout=10)
            self.log.seek(0)
            raise RuntimeError("broker did not start: %r %s" % (line, self.log.read()))
        self.port = int(line.split("http://", 1)[1].split()[0].rsplit(":", 1)[1])
        return self

    @property
    def endpoint(self):
        return "http://localhost:%d" % self.port

    def stop(self):
        """A clean stop (SIGTERM); returns the exit code."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)
        self._close_files()
        return self.proc.returncode if self.proc else None

    def _close_files(self):
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        if getattr(self, "log", None):
            self.log.close()

    def kill(self):
        """kill -9: no chance to flush anything."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self._close_files()

    def admin(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.endpoint + "/_wyvern/" + path, data=data,
                                     method="POST" if data is not None else "GET")
        with urllib.request.urlopen(req, timeout=10) as res:
            return json.loads(res.read())

    def advance(self, seconds):
        """Moves the broker's virtual clock forward."""
        return self.admin("clock/advance", {"seconds": seconds})

    def sqs(self, **config):
        cfg = botocore.config.Config(retries={"max_attempts": 1}, read_timeout=40, **config)
        client = boto3.client("sqs", endpoint_url=self.endpoint, region_name=REGION,
                              aws_access_key_id="test", aws_secret_access_key="test", config=cfg)
        expected = os.environ.get("WYVERN_EXPECT_PROTOCOL")
        actual = client.meta.service_model.protocol
        if expected and actual != expected:
            raise AssertionError("this interpreter's boto3 %s speaks %s, the test expects %s"
                                 % (boto3.__version__, actual, expected))
        return client

    def sns(self, **config):
        """An SNS client: the Query protocol under every boto3 version."""
        cfg = botocore.config.Config(retries={"max_attempts": 1}, read_timeout=40, **config)
        return boto3.client("sns", endpoint_url=self.endpoint, region_name=REGION,
                            aws_access_key_id="test", aws_secret_access_key="test", config=cfg)


def sfn_client(broker):
    # StartSyncExecution carries AWS's "sync-" host prefix; against a local endpoint the
    # prefix must be turned off (inject_host_prefix=False), or the SDK would call sync-localhost.
    cfg = botocore.config.Config(retries={"max_attempts": 1}, read_timeout=40, inject_host_prefix=False)
    return boto3.client("stepfunctions", endpoint_url=broker.endpoint, region_name=REGION,
                        aws_access_key_id="test", aws_secret_access_key="test", config=cfg)


class BrokerTestCase(unittest.TestCase):
    """A broker shared by the tests of one class, with state reset before each test."""

    broker = None

    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()
        cls.sqs = cls.broker.sqs()

    @classmethod
    def tearDownClass(cls):
        cls.broker.stop()

    def setUp(self):
        self.broker.admin("reset", {})

    def error_of(self, call, *args, **kwargs):
        """Runs a call that must fail; returns (code, message, http status)."""
        try:
            call(*args, **kwargs)
        except self.sqs.exceptions.ClientError as e:
            err = e.response["Error"]
            return err.get("Code"), err.get("Message"), e.response["ResponseMetadata"]["HTTPStatusCode"]
        self.fail("%s succeeded but should have failed" % call.__name__)

    def url(self, name):
        return "%s/%s/%s" % (self.broker.endpoint, ACCOUNT, name)


def temp_dir():
    d = tempfile.mkdtemp(prefix="wyvern-e2e-")
    return d, lambda: shutil.rmtree(d, ignore_errors=True)
