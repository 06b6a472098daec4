"""A Wyvern broker for the Python benchmarks: started from build/wyvern on a free port, durable
(LMDB in a temporary folder) or --in-memory, with boto3 clients for the services asked for.

    broker = Broker(in_memory=False, clients=("sns", "sqs"))
    broker.sns.create_topic(Name="t"); ...; broker.stop()
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

import boto3
import botocore.config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION, ACCOUNT = "us-east-1", "000000000000"


class Broker:
    def __init__(self, in_memory, clients):
        self.data = None if in_memory else tempfile.mkdtemp(prefix="wyvern-bench-")
        # --log-level warn keeps logging off the measured path; it also silences the "listening
        # on" line, so the port is picked here and the broker is awaited on its health check.
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        args = [os.path.join(ROOT, "build", "wyvern"), "--port", str(self.port), "--log-level", "warn"]
        args += ["--in-memory"] if in_memory else ["--data-dir", self.data]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.endpoint = "http://127.0.0.1:%d" % self.port
        for _ in range(200):
            try:
                urllib.request.urlopen(self.endpoint + "/_wyvern/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("the broker did not start")
        cfg = botocore.config.Config(retries={"max_attempts": 1}, read_timeout=60)
        kw = dict(endpoint_url=self.endpoint, region_name=REGION, aws_access_key_id="x",
                  aws_secret_access_key="x", config=cfg)
        for name in clients:
            setattr(self, name, boto3.client(name, **kw))

    def reset(self):
        """Empties the broker (the admin API's reset) between scenarios."""
        req = urllib.request.Request(self.endpoint + "/_wyvern/reset", data=b"{}", method="POST")
        urllib.request.urlopen(req, timeout=30).read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        if self.data:
            shutil.rmtree(self.data, ignore_errors=True)
