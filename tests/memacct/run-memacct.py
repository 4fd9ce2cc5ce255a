#!/usr/bin/env python3
"""run-memacct.py - the memory accounting checked against the runtime's own numbers.

Starts samples/go/memacct, whose ready line carries every /memory/classes runtime/metrics value
and its RSS (/proc/self/statm), all read at its stop point; dumps it live with heapwalk; reads
the snapshot's META through `heapwalk info --format json`; and checks each mem.* line against
those numbers (docs/memory-accounting.md states each relation). Fails (never skips) when Go
1.22 or later is missing.
"""
import argparse, json, os, re, subprocess, sys

M = "/memory/classes/"


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg)
    return cond


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--heapwalk")
    ap.add_argument("--go")
    ap.add_argument("--sample")
    ap.add_argument("--workdir")
    ap.add_argument("--go-missing", action="store_true")
    a = ap.parse_args()
    if a.go_missing:
        fail("go >= 1.22 was not found at configure time; the memacct tests need it")
    out = subprocess.run([a.go, "version"], capture_output=True, text=True).stdout
    v = re.search(r"go1\.(\d+)", out)
    if not v or int(v.group(1)) < 22:
        fail("need go >= 1.22, found: " + out.strip())
    os.makedirs(a.workdir, exist_ok=True)
    snap = os.path.join(a.workdir, "memacct.hwd")
    proc = subprocess.Popen([a.sample], stdout=subprocess.PIPE, text=True)
    try:
        ready = json.loads(proc.stdout.readline())
        if not ready.get("ready") or ready["mallocs_after"] != 0:
            fail("the sample did not stop cleanly: %r" % ready)
        r = subprocess.run([a.heapwalk, "dump", "--pid", str(proc.pid), "-o", snap],
                           capture_output=True, text=True)
        if r.returncode != 0:
            fail("heapwalk dump: " + r.stderr)
    finally:
        proc.kill()
        proc.wait()
    info = subprocess.run([a.heapwalk, "info", "--format", "json", snap], capture_output=True, text=True)
    if info.returncode != 0:
        fail("heapwalk info: " + info.stderr)
    meta = {m["key"]: m["value"] for m in json.loads(info.stdout)["meta"]}
    if "mem.note" in meta:
        fail("the accounting failed: " + meta["mem.note"])

    def g(k):
        return meta["mem." + k]

    def m(k):
        return ready[M + k + ":bytes"]

    ok = True
    # Lines the runtime does not move while the sample idles: equal to the metric.
    exact = [("go.heap.objects", "heap/objects"), ("go.heap.unused", "heap/unused"),
             ("go.mspan.inuse", "metadata/mspan/inuse"), ("go.mspan.free", "metadata/mspan/free"),
             ("go.mcache.inuse", "metadata/mcache/inuse"), ("go.mcache.free", "metadata/mcache/free"),
             ("go.os_stacks", "os-stacks"), ("go.other", "other"),
             ("go.profiling", "profiling/buckets"), ("go.total", "total")]
    for k, mk in exact:
        ok &= check(g(k) == m(mk), "mem.%s = %d, %s = %d" % (k, g(k), mk, m(mk)))
    # The scavenger moves free pages to released, and the runtime moves spans between stacks,
    # work buffers and free pages, while the sample idles; their sum stays.
    moving = [("go.heap.free", "heap/free"), ("go.heap.released", "heap/released"),
              ("go.heap.stacks", "heap/stacks"), ("go.gc", "metadata/other")]
    for k, mk in moving:
        print("     mem.%s = %d, %s = %d at the stop point" % (k, g(k), mk, m(mk)))
    ok &= check(sum(g(k) for k, _ in moving) == sum(m(mk) for _, mk in moving),
                "free + released + stacks + metadata/other equal the metrics' sum")
    ok &= check(g("go.gc") == g("go.gc.workbufs") + g("go.gc.misc"), "mem.go.gc = workbufs + misc")
    total = sum(g(k) for k in ["go.heap.objects", "go.heap.unused", "go.heap.free", "go.heap.released",
                               "go.heap.stacks", "go.os_stacks", "go.mspan.inuse", "go.mspan.free",
                               "go.mcache.inuse", "go.mcache.free", "go.gc", "go.other", "go.profiling"])
    ok &= check(total == g("go.total"), "the mem.go.* lines add up to mem.go.total")
    stacks_min = ready["goroutines"] * 64 * 1024
    ok &= check(stacks_min <= g("stacks.goroutines") <= g("go.heap.stacks"),
                "%d deep goroutines' stacks: %d <= mem.stacks.goroutines %d <= heap/stacks %d"
                % (ready["goroutines"], stacks_min, g("stacks.goroutines"), g("go.heap.stacks")))

    # The resident set: the sample's own statm RSS, less what the scavenger returned since.
    rss = g("rss")
    expect = ready["rss_statm"] - (g("go.heap.released") - m("heap/released"))
    ok &= check(abs(rss - expect) <= expect * 0.05,
                "mem.rss %d within 5%% of the sample's statm RSS less the bytes released since (%d)"
                % (rss, expect))
    parts = ["rss.heap.inuse_spans", "rss.heap.goroutine_stacks", "rss.heap.other", "rss.runtime_offheap",
             "rss.exe.text_rodata", "rss.exe.data_bss", "rss.main_stack", "rss.brk", "rss.other_mappings",
             "rss.unexplained"]
    ok &= check(sum(g(k) for k in parts) == rss, "the mem.rss.* lines add up to mem.rss")
    ok &= check(g("rss.unexplained") <= rss * 0.05,
                "unexplained %d is within 5%% of RSS" % g("rss.unexplained"))
    # Each resident line is at most what the runtime says the category holds.
    bounds = [
        ("rss.heap.inuse_spans", m("heap/objects") + m("heap/unused"), "heap/objects + heap/unused"),
        ("rss.heap.goroutine_stacks", g("stacks.goroutines"), "mem.stacks.goroutines"),
        ("rss.heap.other", g("go.heap.free") + g("go.heap.stacks") - g("stacks.goroutines") + g("go.gc.workbufs"),
         "free + unused stack spans + work buffers"),
        ("rss.runtime_offheap", m("metadata/mspan/inuse") + m("metadata/mspan/free") + m("metadata/mcache/inuse")
         + m("metadata/mcache/free") + g("go.gc.misc") + m("other") + m("profiling/buckets") + m("os-stacks"),
         "the runtime's off-heap mappings"),
        ("rss.exe.text_rodata", g("exe.text_rodata"), "mem.exe.text_rodata"),
        ("rss.exe.data_bss", g("exe.data_bss"), "mem.exe.data_bss"),
    ]
    for k, bound, what in bounds:
        ok &= check(g(k) <= bound, "mem.%s %d <= %s %d" % (k, g(k), what, bound))
    # The live heap the sample built is resident, and most of the goroutine stacks are.
    ok &= check(g("rss.heap.inuse_spans") >= ready["live_bytes"],
                "in-use spans' resident bytes >= the %d live bytes the sample wrote" % ready["live_bytes"])
    sys.exit(0 if ok else 1)


main()
