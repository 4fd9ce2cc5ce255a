"""harness.py - what the Python integration tests that run Go samples share.

Each suite's script imports it (sys.path gets tests/ from the script's own location):
checks that collect failures and end the run with one status, the Go >= 1.22 requirement
(a missing or older Go fails the test, never skips it), subprocess runs, and a running Go
sample read up to its stop point's ready line (samples/go/internal/stoppoint).
"""
import json
import os
import re
import shutil
import subprocess
import sys

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, flush=True)


def check(cond, msg):
    if not cond:
        fail(msg)
    return cond


def finish():
    """Exit status of the run: 1 with the failure count if any check failed."""
    if failures:
        sys.exit("%d check(s) failed" % len(failures))
    print("ok")


def require_go():
    """The `go` on PATH (or Go's default install) if it is >= 1.22; otherwise the run fails."""
    go = shutil.which("go") or ("/usr/local/go/bin/go" if os.path.exists("/usr/local/go/bin/go") else None)
    if not go:
        sys.exit("FAIL: no `go` on PATH: these tests need Go >= 1.22")
    out = subprocess.run([go, "version"], capture_output=True, text=True).stdout
    m = re.search(r"go1\.(\d+)", out)
    if not m or int(m.group(1)) < 22:
        sys.exit("FAIL: these tests need Go >= 1.22, `go version` says: " + out.strip())
    return go


def run(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)


class Sample:
    """A running sample process, parked at its stop point once constructed; killed by close().
    `env` adds to (or, with a None value, removes from) the inherited environment."""

    def __init__(self, exe, env=None):
        self.exe = exe
        self.name = os.path.basename(exe)
        full = dict(os.environ)
        for k, v in (env or {}).items():
            if v is None:
                full.pop(k, None)
            else:
                full[k] = v
        self.proc = subprocess.Popen([exe], stdout=subprocess.PIPE, env=full)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("sample %s exited (status %s) before its ready line" % (self.name, self.proc.wait()))
        self.ready = json.loads(line)
        self.pid = self.proc.pid

    def line(self):
        """The next JSON line the sample prints (later stop points)."""
        return json.loads(self.proc.stdout.readline())

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
