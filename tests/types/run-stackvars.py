#!/usr/bin/env python3
"""run-stackvars.py - objects typed from goroutines' local variables (suite 'types').

Starts samples/go/stackvars, whose parked workers hold small objects only in local variables
(a pointer to a struct pointing to another, a slice of structs pointing to tags, a small map,
an interface value), dumps it live with `heapwalk dump --pid` and checks:
  - those objects carry their Go type names, in the numbers the sample's source creates
    (no malloc header and no global names them: only the workers' frames can);
  - their retention paths start at a stack root naming the frame (main.worker, at the source
    line of the receive the workers park in, marked "park here" in main.go), a goroutine, and
    the variable ("var item"; "var say+8", the data word of an interface value);
  - `heapwalk info` reports more than 95% of the bytes typed.
The expectations come from the sample's source, never from heapwalk's output.
Tests needing Go fail (never skip) when go >= 1.22 is missing.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402
from harness import check, finish, require_go, run  # noqa: E402

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "samples", "go", "stackvars", "main.go")


def hw_json(args, *cmd):
    out = run([args.heapwalk, *cmd, "--format", "json"])
    if out.returncode != 0:
        sys.exit("FAIL: heapwalk %s failed (%d): %s" % (" ".join(cmd), out.returncode, out.stderr))
    return json.loads(out.stdout)


def park_line():
    with open(SOURCE) as f:
        for n, text in enumerate(f, 1):
            if "<-release // park here" in text:
                return n
    sys.exit("FAIL: %s has no line marked 'park here'" % SOURCE)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--heapwalk", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    require_go()
    os.makedirs(args.workdir, exist_ok=True)
    snap = os.path.join(args.workdir, "stackvars.hwd")
    s = harness.Sample(os.path.join(args.samples, "stackvars"),
                       env={"HEAPWALK_SAMPLE_DUMP": None, "HEAPWALK_SAMPLE_MODE": None})
    try:
        dump = run([args.heapwalk, "dump", "--pid", s.pid, "-o", snap])
        if dump.returncode != 0:
            sys.exit("FAIL: heapwalk dump: " + dump.stderr)
    finally:
        s.close()
    workers, points = s.ready["workers"], s.ready["points"]

    hist = hw_json(args, "histogram", snap, "--limit", "0")
    counts = {t["type"]: t["count"] for t in hist["types"]}
    for name, want in [("main.Item", 2 * workers),              # item and item.Next
                       ("[]main.Point", workers),
                       ("main.Tag", points * workers),           # one per Point
                       ("map[string]*main.Node", workers),
                       ("main.Node", 2 * workers),               # the map's two values
                       ("main.Greeter", workers)]:               # the interface's dynamic value
        got = counts.get(name, 0)
        check(got == want, "%d objects of type %r, want %d" % (got, name, want))

    line = park_line()
    frame = "stack main.worker "
    for pattern, sig in [("main.Item", frame + "var item main.Item"),
                         ("main.Tag", frame + "var pts []main.Point -> [*].Tag main.Tag"),
                         ("main.Node", frame + "var index map[string]*main.Node -> dirPtr map.group[string]*main.Node"
                                               " -> map value main.Node"),
                         ("main.Greeter", frame + "var say+8 main.Greeter")]:
        groups = hw_json(args, "retained-by", pattern, snap, "--limit", "0")["groups"]
        if not check(groups, "no retention path to %s" % pattern):
            continue
        g = groups[0]
        check(g["signature"] == sig, "%s retained through %r, want %r" % (pattern, g["signature"], sig))
        root = g["example_path"]["root"]
        check(root["kind"] == "stack" and root["goroutine"] is not None,
              "%s: root %r is not a goroutine's stack slot" % (pattern, root))
        f = root["frame"] or {}
        check(f.get("func") == "main.worker" and f.get("file", "").endswith("samples/go/stackvars/main.go") and
              f.get("line") == line, "%s: root frame %r, want main.worker at stackvars/main.go:%d" % (pattern, f, line))
    item = hw_json(args, "retained-by", "main.Item", snap, "--limit", "0")["groups"][0]
    check(item["objects"] == workers, "%d main.Item reached directly from a worker's var item, want %d" %
          (item["objects"], workers))

    typing = hw_json(args, "info", snap).get("typing")
    if check(typing is not None, "info has no typing section"):
        pct = typing["typed_bytes_percent"]
        print("stackvars: %.2f%% of bytes typed; by source: %s" % (pct, json.dumps(typing["by_source"])))
        check(pct > 95.0, "only %.2f%% of the bytes typed, want > 95%%" % pct)
    finish()


if __name__ == "__main__":
    main()
