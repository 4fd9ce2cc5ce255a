#!/usr/bin/env python3
"""run-leaks.py - `heapwalk leaks` on live series of the leak samples and their clean twins.

Each case runs one sample of samples/go (leakcache, cleancache, leaklisteners, cleanlisteners,
leakgoroutines, cleangoroutines; tests/leaks/README.md describes them). A sample works in
rounds (samples/go/internal/rounds): after each it stops, allocation-free, and prints a ready
line with the round's own account of itself. The case captures the stopped sample with
`heapwalk dump --pid`, asks for the next round with a line on its stdin, and so on for SNAPSHOTS
snapshots (LONG_SNAPSHOTS for a case named SAMPLE-long); then it checks that the target still runs and answers one more round, and runs
`heapwalk leaks --format json` over the series, oldest first.

The oracle is the sample's ready lines, never heapwalk's output: the entries in its cache
(len of the map), the subscribers its bus holds, the goroutines blocked in a send counted
from the runtime's own tracebacks with the file:line of the `go` statement the runtime gives
for them, and runtime.MemStats.HeapAlloc after the round's collections.

  leak*    exactly one finding, of the sample's kind, rooted where the sample says (the global,
           or for goroutines the creation site), its path through the field holding the
           container, its per-snapshot entries / counts equal to the sample's, its retained
           growth consistent with what HeapAlloc grew by.
  clean*   no finding at all.
  leakgoroutines-long  the leakgoroutines checks on a series long enough for runtime.allgs (which
           never shrinks) to grow past the cache detector's minimum: still exactly one finding.
  leakgoroutines-sites  with every allocation sampled, the goroutine finding's allocation sites
           name the function that allocates the results (as the runtime names it), with an
           exact sampling statement.

Tests needing Go fail (never skip) when go >= 1.22 is missing.
"""
import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("integration", os.path.join(HERE, "..", "go", "run-integration.py"))
it = importlib.util.module_from_spec(spec)
spec.loader.exec_module(it)
check, run, proc_state = it.check, it.run, it.proc_state

SAMPLES = ["leakcache", "cleancache", "leaklisteners", "cleanlisteners", "leakgoroutines", "cleangoroutines"]
SNAPSHOTS = 4
LONG_SNAPSHOTS = 8
# runtime.MemProfileRate per case (samples/go/internal/rounds): leakgoroutines-sites samples
# every allocation, so that its finding's allocation sites cover the blocked goroutines' results.
# Only there: sampling every allocation leaves result pointers in idle threads' registers more
# often, which the retained-size checks of the other cases do not allow for.
PROFILE_RATE = {"leakgoroutines-sites": 1}


class RoundSample:
    """A running rounds sample (samples/go/internal/rounds); killed by close()."""

    def __init__(self, samples, name, env=None):
        self.name = name
        self.exe = os.path.join(samples, name)
        self.proc = subprocess.Popen([self.exe], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=dict(os.environ, **(env or {})))
        self.pid = self.proc.pid
        self.lines = []
        self.read_line()

    def read_line(self):
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("sample %s exited (status %s) before its ready line" % (self.name, self.proc.wait()))
        self.lines.append(json.loads(line))
        return self.lines[-1]

    def next_round(self):
        """Runs one more round; returns its ready line."""
        self.proc.stdin.write(b"\n")
        self.proc.stdin.flush()
        return self.read_line()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def capture_series(args, sample, workdir, count):
    """`count` live snapshots, one per round; returns their paths and the rounds' ready lines
    (None when a capture failed)."""
    snaps, ready = [], []
    for i in range(count):
        if i:
            sample.next_round()
        ready.append(sample.lines[-1])
        snap = os.path.join(workdir, "%s-%d.hwsnap" % (sample.name, i))
        r = run([args.heapwalk, "dump", "--pid", sample.pid, "-o", snap])
        state = proc_state(sample.pid)
        if not check(r.returncode == 0 and state == "running", "%s: capture %d (round %d): exit %d, target %s: %s"
                     % (sample.name, i + 1, ready[-1]["round"], r.returncode, state, r.stderr.strip())):
            return None, None
        snaps.append(snap)
    print("%s: rounds %s; ready lines:\n  %s" % (sample.name, [rd["round"] for rd in ready],
                                                "\n  ".join(json.dumps(rd, sort_keys=True) for rd in ready)))
    # The target survived the series: it is running, untraced, and does one more round.
    state = proc_state(sample.pid)
    check(state == "running", "%s: after the series the target is %s" % (sample.name, state))
    after = sample.next_round()
    check(after["round"] == ready[-1]["round"] + 1, "%s: after the series the sample answered round %s, want %d"
          % (sample.name, after["round"], ready[-1]["round"] + 1))
    return snaps, ready


def leaks(args, snaps):
    r = run([args.heapwalk, "leaks", "--format", "json"] + snaps)
    if not check(r.returncode == 0, "heapwalk leaks failed (%d): %s" % (r.returncode, r.stderr.strip())):
        return None
    out = json.loads(r.stdout)
    check(out.get("snapshots") == snaps, "heapwalk leaks lists the snapshots %s, want %s" % (out.get("snapshots"), snaps))
    check(not out.get("partial"), "heapwalk leaks says the result is partial")
    return out["findings"]


def show(finding):
    return json.dumps(finding, indent=1, sort_keys=True)


def steps(finding):
    return finding["path"]["steps"]


def per_step(series):
    return [b - a for a, b in zip(series, series[1:])]


def check_types(name, finding, want):
    """Type names along the finding, checked only when the snapshot has them (a dumper without
    type names writes "" everywhere)."""
    named = [s["type"] for s in steps(finding) if s["type"]] + [finding["path"]["root"]["type"]]
    if not any(named):
        print("%s: NOTE: the snapshots carry no type names: types along the path not checked" % name)
        return
    for where, got, expected in want:
        check(got == expected, "%s: %s is %r, want %r" % (name, where, got, expected))


def check_retained_growth(name, finding, ready, floor):
    """The finding's retained bytes grow, per round, by about what the sample's live heap grew
    by (MemStats.HeapAlloc after the round's collections), and by at least `floor`."""
    got = per_step(finding["retained_series"])
    heap = per_step([rd["heap_alloc"] for rd in ready])
    for i, (g, h) in enumerate(zip(got, heap)):
        check(floor <= g <= h + h // 10 + 4096,
              "%s: snapshot %d->%d: retained grew by %d bytes; the live heap grew by %d, the leak by at least %d"
              % (name, i + 1, i + 2, g, h, floor))


def check_common(name, findings, kind, ready, values, growth_values):
    """Exactly one finding, of `kind`, whose per-snapshot `growth_values` are the sample's."""
    if not check(len(findings) == 1, "%s: %d findings, want exactly one %s finding:\n%s"
                 % (name, len(findings), kind, "\n".join(show(f) for f in findings))):
        findings = [f for f in findings if f["kind"] == kind]
        if len(findings) != 1:
            return None
    f = findings[0]
    print("%s: finding:\n%s" % (name, show(f)))
    check(f["kind"] == kind, "%s: finding kind %r, want %r" % (name, f["kind"], kind))
    check(f["severity"] in ("medium", "high"), "%s: a growing leak has severity %r" % (name, f["severity"]))
    want = [rd[values] for rd in ready]
    check(growth_values(f) == want, "%s: per-snapshot %s %s, the sample reports %s"
          % (name, values, growth_values(f), want))
    step = (want[-1] - want[0]) / (len(want) - 1)
    check(abs(f["growth_per_snapshot"] - step) < 1e-9, "%s: growth per snapshot %s, the sample's is %s"
          % (name, f["growth_per_snapshot"], step))
    return f


def check_global_root(name, f, rd):
    root = f["path"]["root"]
    check(root["kind"] == "global" and root["name"] == rd["root"], "%s: rooted at %s %r, want global %r"
          % (name, root["kind"], root["name"], rd["root"]))
    labels = [s["label"] for s in steps(f)]
    check(rd["field"] in labels, "%s: the path's steps %s do not go through field %r" % (name, labels, rd["field"]))


def case_leakcache(name, findings, ready):
    f = check_common(name, findings, "cache", ready, "entries", lambda f: f["cache"]["entries"])
    if not f:
        return
    rd = ready[-1]
    check_global_root(name, f, rd)
    check_types(name, f, [("the root's type", f["path"]["root"]["type"], rd["root_type"]),
                          ("the container type", f["cache"]["container_type"], rd["container_type"])])
    # Every session holds at least its 1 KiB page buffer.
    check_retained_growth(name, f, ready, rd["entries_per_round"] * 1024)


def case_leaklisteners(name, findings, ready):
    f = check_common(name, findings, "listeners", ready, "subscribers", lambda f: f["listeners"]["entries"])
    if not f:
        return
    rd = ready[-1]
    check_global_root(name, f, rd)
    check(f["listeners"]["element"] in ("closure", rd["closure"]), "%s: listener elements are %r, want closures (%s)"
          % (name, f["listeners"]["element"], rd["closure"]))
    check_types(name, f, [("the root's type", f["path"]["root"]["type"], rd["root_type"]),
                          ("the collection type", f["listeners"]["collection_type"], rd["collection_type"])])
    # Every leaked subscriber keeps its connection's 2 KiB outbox.
    check_retained_growth(name, f, ready, rd["leaked_per_round"] * 2048)


def case_leakgoroutines(name, findings, ready):
    f = check_common(name, findings, "goroutines", ready, "blocked", lambda f: f["counts"])
    if not f:
        return
    rd = ready[-1]
    check(all(r["groups"] == 1 for r in ready), "%s: the sample saw senders blocked in several groups" % name)
    g = f["goroutines"]
    place = lambda loc: "%s:%s" % (loc["file"], loc["line"])
    check(place(g["created_at"]) == rd["creation_site"], "%s: goroutines created at %s, the runtime says %s"
          % (name, place(g["created_at"]), rd["creation_site"]))
    check(g["wait_reason"] == rd["wait_reason"], "%s: wait reason %r, want %r" % (name, g["wait_reason"], rd["wait_reason"]))
    check(g["start_func"] == rd["start_func"], "%s: start function %r, the runtime says %r" % (name, g["start_func"], rd["start_func"]))
    check(g["waits_at"]["func"] == rd["start_func"] and place(g["waits_at"]) == rd["waits_at"],
          "%s: waits in %s at %s, the runtime says %s at %s"
          % (name, g["waits_at"]["func"], place(g["waits_at"]), rd["start_func"], rd["waits_at"]))
    # The example's retention path starts in a leaked goroutine's frame, where it waits.
    root = f["path"]["root"]
    check(root["kind"] == "stack" and root.get("frame", {}).get("func") == rd["start_func"]
          and place(root["frame"]) == rd["waits_at"], "%s: the path starts at a %s root in %s, want the stack of %s at %s"
          % (name, root["kind"], root.get("frame"), rd["start_func"], rd["waits_at"]))
    # Each blocked goroutine holds its 4 KiB result.
    check(f["retained"] >= rd["blocked"] * rd["result_bytes"], "%s: %d goroutines retain %d bytes, less than their results' %d"
          % (name, rd["blocked"], f["retained"], rd["blocked"] * rd["result_bytes"]))
    # One buffer of slack: an idle thread's registers are conservative roots (as the runtime
    # treats a running thread's), and a register may still hold the last buffer that thread
    # handled; that buffer is then kept alive by the register too, not by the group alone.
    check_retained_growth(name, f, ready, (rd["leaked_per_round"] - 1) * rd["result_bytes"])


def case_leakgoroutines_sites(name, findings, ready):
    """Run with every allocation sampled (PROFILE_RATE): the heap the group retains was
    allocated by the function that makes the results, stated as exact shares."""
    f = check_common(name, findings, "goroutines", ready, "blocked", lambda f: f["counts"])
    if not f:
        return
    rd = ready[-1]
    a = f["alloc_sites"]
    top = a["sites"][0] if a["sites"] else {}
    check(top.get("func") == rd["result_alloc_func"] and top.get("share", 0) > 0.5,
          "%s: the retained heap's first allocation site is %s, want %s with most of it:\n%s"
          % (name, top, rd["result_alloc_func"], json.dumps(a, indent=1)))
    # A result the last thread to run a sender still holds in a register is not the group's
    # alone, so the bound is one round's results, not every blocked goroutine's.
    check(top.get("samples", 0) >= rd["leaked_per_round"]
          and top.get("bytes", 0) >= rd["leaked_per_round"] * rd["result_bytes"],
          "%s: %d samples, %d bytes from %s, want at least one round's %d results of %d bytes"
          % (name, top.get("samples", 0), top.get("bytes", 0), rd["result_alloc_func"], rd["leaked_per_round"],
             rd["result_bytes"]))
    check(a["rate"] == 1 and a["sampling"].endswith("exact") and str(a["samples"]) in a["sampling"],
          "%s: alloc_sites at rate %d stated as %r, want an exact statement of its %d samples"
          % (name, a["rate"], a["sampling"], a["samples"]))


def case_clean(name, findings, ready):
    check(findings == [], "%s: the clean twin yields %d findings, want none:\n%s"
          % (name, len(findings), "\n".join(show(f) for f in findings)))


CASES = {"leakcache": case_leakcache, "leaklisteners": case_leaklisteners, "leakgoroutines": case_leakgoroutines,
         "leakgoroutines-sites": case_leakgoroutines_sites}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True)
    ap.add_argument("--heapwalk")
    ap.add_argument("--samples")
    ap.add_argument("--workdir")
    args = ap.parse_args()
    # meson's timeout sends SIGTERM: unwind so that the sample is killed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("FAIL: terminated (timeout?)"))
    it.require_go()
    if args.case == "go-missing":
        sys.exit("FAIL: meson found no `go` at configure time: the Go samples could not be built")
    name, _, variant = args.case.partition("-")
    if name not in SAMPLES or variant not in ("", "long", "sites") or (variant == "sites" and args.case not in CASES):
        sys.exit("unknown case " + args.case)
    os.makedirs(args.workdir, exist_ok=True)
    rate = PROFILE_RATE.get(args.case)
    sample = RoundSample(args.samples, name, {"HEAPWALK_MEMPROFILERATE": str(rate)} if rate else None)
    try:
        snaps, ready = capture_series(args, sample, args.workdir, LONG_SNAPSHOTS if variant == "long" else SNAPSHOTS)
    finally:
        sample.close()
    if snaps:
        findings = leaks(args, snaps)
        if findings is not None:
            CASES.get(args.case, CASES.get(name, case_clean))(args.case, findings, ready)
            for s in snaps:
                os.unlink(s)
    it.finish()


if __name__ == "__main__":
    main()
