#!/usr/bin/env python3
# chromium-check.py - opens a report.html in headless Chromium and checks it like a reader would.
#
# Used by tests/report/meson.build. It drives Chromium through the DevTools protocol over
# --remote-debugging-pipe (fd 3: commands in, fd 4: replies and events out, each message a JSON
# text ended by a NUL byte), so it sees what a person with the console open would see:
#   - every console message at level warning or error, every uncaught exception, every browser
#     log entry of level warning or error (a blocked or failed load, a CSP violation);
#   - every request the page makes other than the file itself: the report must be
#     self-contained, so any http(s) request is a failure even when it would succeed;
#   - the sections, by element id, given on the command line;
# then saves a full-page PNG screenshot for a person to look at.
#
# Usage: chromium-check.py REPORT.html SCREENSHOT.png ID...
# Exits 0 when all is well, 1 with one line per problem on stderr. A missing chromium is a
# failure, not a skip: the issue requires this check to run.
import base64
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

TIMEOUT_S = 60


class Browser:
    def __init__(self, exe, profile):
        r_cmd, w_cmd = os.pipe()     # we write commands; chromium reads them on its fd 3
        r_evt, w_evt = os.pipe()     # chromium writes replies on its fd 4; we read them
        # Move the pipe ends to fds 3 and 4 in the child (via high numbers first, so that a pipe
        # end already numbered 3 or 4 is not overwritten), then close every other copy.
        def child_fds():
            hi_r = fcntl.fcntl(r_cmd, fcntl.F_DUPFD, 10)
            hi_w = fcntl.fcntl(w_evt, fcntl.F_DUPFD, 10)
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)
            os.closerange(5, 65536)
        self.proc = subprocess.Popen(
            [exe, "--headless", "--disable-gpu", "--no-sandbox", "--remote-debugging-pipe",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--hide-scrollbars", "--user-data-dir=" + profile, "about:blank"],
            close_fds=False, preexec_fn=child_fds,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(r_cmd)
        os.close(w_evt)
        self.w = os.fdopen(w_cmd, "wb", buffering=0)
        self.r = os.fdopen(r_evt, "rb", buffering=0)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not answer within %d s" % TIMEOUT_S)
            chunk = self.r.read(65536)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe (did it crash?)")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, session=None, **params):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        self.w.write(json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, session):
        deadline = time.monotonic() + TIMEOUT_S
        for m in self.events:
            if m.get("method") == method and m.get("sessionId") == session:
                return m
        while True:
            m = self._read_message(deadline)
            self.events.append(m)
            if m.get("method") == method and m.get("sessionId") == session:
                return m

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def problems_in(events, page_url):
    out = []
    for m in events:
        method, p = m.get("method"), m.get("params", {})
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            out.append("console.%s: %s" % (p["type"], text))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append("uncaught exception: %s" % d.get("exception", {}).get("description", d.get("text")))
        elif method == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            e = p["entry"]
            out.append("browser log (%s, %s): %s" % (e.get("level"), e.get("source"), e.get("text")))
        elif method == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if url != page_url and not url.startswith("data:"):
                out.append("the page loads %s (a report must be self-contained)" % url)
    return out


def main():
    if len(sys.argv) < 3:
        print("usage: chromium-check.py REPORT.html SCREENSHOT.png ID...", file=sys.stderr)
        return 2
    html, png, ids = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3:]
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        print("chromium-check: chromium is not installed (apt-get install chromium; scripts/deps.sh "
              "installs it)", file=sys.stderr)
        return 1
    url = "file://" + html
    problems = []
    with tempfile.TemporaryDirectory(prefix="hw-chromium-") as profile:
        b = Browser(exe, profile)
        try:
            target = b.call("Target.createTarget", url="about:blank")["targetId"]
            s = b.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
            for domain in ("Page", "Runtime", "Log", "Network"):
                b.call(domain + ".enable", session=s)
            b.call("Emulation.setDeviceMetricsOverride", session=s, width=1280, height=900,
                   deviceScaleFactor=1, mobile=False)
            b.call("Page.navigate", session=s, url=url)
            b.wait_event("Page.loadEventFired", s)
            found = b.call("Runtime.evaluate", session=s, returnByValue=True, expression=
                           "JSON.stringify(%s.map(id => document.getElementById(id) !== null))"
                           % json.dumps(ids))["result"]["value"]
            for id_, ok in zip(ids, json.loads(found)):
                if not ok:
                    problems.append("no element with id '%s'" % id_)
            title = b.call("Runtime.evaluate", session=s, returnByValue=True,
                           expression="document.title")["result"]["value"]
            if not title:
                problems.append("the page has no title")
            shot = b.call("Page.captureScreenshot", session=s, format="png", captureBeyondViewport=True)
            with open(png, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
            # Let late events (a failed load after onload) arrive before judging.
            b.call("Runtime.evaluate", session=s, expression="new Promise(r => setTimeout(r, 200))",
                   awaitPromise=True)
            problems += problems_in(b.events, url)
        finally:
            b.close()
    for p in problems:
        print("chromium-check: %s: %s" % (sys.argv[1], p), file=sys.stderr)
    if not problems:
        print("chromium-check: %s: %d sections present, console clean, screenshot %s" % (sys.argv[1], len(ids), png))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
