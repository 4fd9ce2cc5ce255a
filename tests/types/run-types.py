#!/usr/bin/env python3
"""run-types.py - the Go dumper's types and edge labels on one sample (suite 'types').

Starts a sample (samples/go/SAMPLE), waits for its ready line, dumps it live with
`heapwalk dump --pid`, and checks, from the snapshot's JSON views:
  - the objects the sample's Go source creates carry their Go type names, in the numbers the
    source creates them (counts from the source or from the sample's own ready line);
  - retention paths read like code: fields, captured variables, map values, slice elements;
  - `heapwalk info` reports more than 95% of the bytes typed.
The expectations come from the samples' source (main.go), never from heapwalk's output.
Tests needing Go fail (never skip) when go >= 1.22 is missing.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402
from harness import check, finish, require_go  # noqa: E402


def hw_json(args, *cmd):
    out = subprocess.run([args.heapwalk, *cmd, "--format", "json"], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("heapwalk %s failed (%d): %s" % (" ".join(cmd), out.returncode, out.stderr))
    return json.loads(out.stdout)


class Snapshot:
    """The views of one snapshot the checks use."""

    def __init__(self, args, path):
        self.args = args
        self.path = path
        hist = hw_json(args, "histogram", path, "--limit", "0")
        self.counts = {t["type"]: t["count"] for t in hist["types"]}
        self.info = hw_json(args, "info", path)

    def count(self, name):
        return self.counts.get(name, 0)

    def retained_by(self, pattern, limit=0):
        return hw_json(self.args, "retained-by", pattern, self.path, "--limit", str(limit))

    def signatures(self, pattern):
        return [g["signature"] for g in self.retained_by(pattern)["groups"]]


def expect_count(snap, name, want, at_least=False):
    got = snap.count(name)
    ok = got >= want if at_least else got == want
    check(ok, "%s: %s objects of type %r, want %s%d" % (snap.sample, got, name, ">= " if at_least else "", want))


def expect_signature(snap, pattern, want):
    """The biggest retention group of pattern's objects has the path want (one of a set)."""
    sigs = snap.signatures(pattern)
    wants = want if isinstance(want, (list, tuple)) else [want]
    check(sigs and sigs[0] in wants, "%s: retention path of %s is %r, want %s" %
          (snap.sample, pattern, sigs[0] if sigs else None, " or ".join(repr(w) for w in wants)))


def check_cache(snap, ready):
    n = ready["cache_entries"]
    expect_count(snap, "main.Entry", n)
    expect_count(snap, "map[string]*main.Entry", 1)
    expect_count(snap, "[]uint8", n, at_least=True)          # each Entry's Payload
    expect_count(snap, "map.group[string]*main.Entry", 1, at_least=True)
    group = snap.retained_by("main.Entry", 1)["groups"][0]
    sig = group["signature"]
    check(group["objects"] == n, "cache: the biggest path group of main.Entry holds %d of %d" % (group["objects"], n))
    check(sig.startswith("global main.cache map[string]*main.Entry -> ") and sig.endswith(" -> map value main.Entry"),
          "cache: main.Entry retained through %r" % sig)
    steps = group["example_path"]["steps"]
    check(steps[-1]["edge"] and steps[-1]["edge"]["label"] == "map value",
          "cache: last edge to an Entry is %r, want 'map value'" % steps[-1]["edge"])
    payload = snap.signatures("[]uint8")[0]
    check(payload == sig + " -> Payload []uint8", "cache: Payload retained through %r" % payload)


def check_listeners(snap, ready):
    n = ready["listeners"]
    expect_count(snap, "func main.build.func1", n)
    expect_count(snap, "main.state", n)
    expect_count(snap, "main.tally", n)
    expect_count(snap, "[]func(int) int", 1)
    base = "global main.listeners []func(int) int -> [*] func main.build.func1"
    expect_signature(snap, "main.tally", base + " -> total main.tally")
    expect_signature(snap, "main.state", base + " -> st main.state")
    expect_signature(snap, "[]int", base + " -> st main.state -> calls []int")


def check_maps(snap, ready):
    expect_count(snap, "main.Val", 5 + ready["large_entries"])
    expect_count(snap, "main.bigVal", 100)                     # over 128 bytes: stored indirectly
    expect_count(snap, "map[int]*main.Val", 1 + 50)           # small, and the nested ones
    expect_count(snap, "map[string]*main.Val", 1)
    expect_count(snap, "map[string]map[int]*main.Val", 1)
    expect_count(snap, "map[int]main.bigVal", 1)
    expect_count(snap, "map[int]int", 1)
    expect_count(snap, "map[int64]int64", 1, at_least=True)
    expect_count(snap, "map.group[int]*main.Val", 1, at_least=True)
    sigs = snap.signatures("main.Val")
    check(any(s.startswith("global main.large map[string]*main.Val -> ") and s.endswith(" -> map value main.Val")
              for s in sigs), "maps: no path main.large ... -> map value main.Val in %r" % sigs[:3])
    check("global main.small map[int]*main.Val -> dirPtr map.group[int]*main.Val -> map value main.Val" in sigs,
          "maps: the small map's values are not retained through its single group: %r" % sigs[:3])
    big = snap.signatures("main.bigVal")
    check(big and big[0].startswith("global main.indirect map[int]main.bigVal -> ") and
          big[0].endswith(" -> map value main.bigVal"), "maps: main.bigVal retained through %r" % big[:1])


def check_ifaces(snap, ready):
    expect_count(snap, "main.Owner", 300 // 6 + 1)            # one per 6 anys, and the shared owner
    # A Circle is 8 pointer-free bytes: the tiny allocator packs two into a 16-byte block, and
    # a block is named by the value at its start. The 50 Circles of shapes are allocated one
    # after the other (the Rects between them are not tiny), so at least 25 blocks start with one.
    expect_count(snap, "main.Circle", 100 // 2 // 2, at_least=True)
    expect_count(snap, "main.Rect", 300 // 6 + 100 // 2)      # boxed values in anys and shapes
    expect_count(snap, "[]int", 300 // 6, at_least=True)
    expect_count(snap, "[]interface {}", 1)
    expect_count(snap, "[]main.Shape", 1)
    expect_count(snap, "fmt.wrapError", 1)
    expect_count(snap, "errors.errorString", 1)
    circle = snap.signatures("main.Circle")
    check("global main.shapes []main.Shape -> [*] main.Circle" in circle,
          "ifaces: main.Circle not retained through the interface slice: %r" % circle)
    rect = snap.signatures("main.Rect")
    check("global main.anys []interface {} -> [*] main.Rect" in rect and
          "global main.shapes []main.Shape -> [*] main.Rect" in rect,
          "ifaces: boxed main.Rect not retained through the interface slices: %r" % rect)
    owner = snap.signatures("main.Owner")
    check("global main.anys []interface {} -> [*] main.Owner" in owner, "ifaces: main.Owner paths %r" % owner)
    inner = snap.signatures("errors.errorString")
    check(inner and inner[0].startswith("global main.failure") and
          inner[0].endswith(" fmt.wrapError -> err errors.errorString"),
          "ifaces: errors.errorString retained through %r" % inner[:1])


def check_closures(snap, ready):
    expect_count(snap, "func main.build.func1", 200)
    expect_count(snap, "func main.(*counter).Inc-fm", 200)     # the method values
    expect_count(snap, "main.counter", 200)
    expect_count(snap, "func main.build.func2.1", 1)           # the closure nested() returns
    expect_count(snap, "func main.build.func3", 1)
    base = "global main.funcs []func() int -> [*] func main.build.func1"
    expect_signature(snap, "main.counter", [base + " -> c main.counter",
                                            "global main.methods []func() int -> [*] func main.(*counter).Inc-fm -> main.counter"])
    shared = snap.signatures("[]int")
    check(base + " -> shared []int" in shared, "closures: captured slices retained through %r" % shared[:2])
    nested = snap.signatures("func main.build.func2.1")
    check(nested and nested[0] == "global main.funcs []func() int -> [*] func main.build.func3 -> innerFn func main.build.func2.1",
          "closures: the nested closure is retained through %r" % nested[:1])


CHECKS = {"cache": check_cache, "listeners": check_listeners, "maps": check_maps,
          "ifaces": check_ifaces, "closures": check_closures}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", required=True)
    ap.add_argument("--heapwalk")
    ap.add_argument("--samples")
    ap.add_argument("--workdir")
    args = ap.parse_args()
    require_go()
    if args.sample not in CHECKS:
        sys.exit("FAIL: unknown sample " + args.sample)
    os.makedirs(args.workdir, exist_ok=True)
    sample = harness.Sample(os.path.join(args.samples, args.sample),
                            {"HEAPWALK_SAMPLE_DUMP": None, "HEAPWALK_SAMPLE_MODE": None})
    try:
        ready = sample.ready
        out = os.path.join(args.workdir, args.sample + ".hwd")
        dump = subprocess.run([args.heapwalk, "dump", "--pid", str(sample.pid), "-o", out],
                              capture_output=True, text=True)
        if dump.returncode != 0:
            sys.exit("FAIL: heapwalk dump: " + dump.stderr)
    finally:
        sample.close()
    snap = Snapshot(args, out)
    snap.sample = args.sample
    typing = snap.info.get("typing")
    if check(typing is not None, "%s: info has no typing section" % args.sample):
        pct = typing["typed_bytes_percent"]
        print("%s: %.2f%% of bytes typed; by source: %s" % (args.sample, pct, json.dumps(typing["by_source"])))
        check(pct > 95.0, "%s: only %.2f%% of the bytes typed, want > 95%%" % (args.sample, pct))
        total = sum(v["bytes"] for v in typing["by_source"].values())
        check(total == snap.info["totals"]["all"]["bytes"],
              "%s: typed-by-source bytes sum to %d, the snapshot holds %d" %
              (args.sample, total, snap.info["totals"]["all"]["bytes"]))
    CHECKS[args.sample](snap, ready)
    finish()


if __name__ == "__main__":
    main()
