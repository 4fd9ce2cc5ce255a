#!/usr/bin/env python3
"""run-import.py - `heapwalk import go-heapdump` against the heap-dump oracle, MemStats and a live capture.

Each case starts one sample (samples/go/), which writes runtime/debug.WriteHeapDump at its stop
point and prints a JSON ready line with runtime.MemStats read at that point (the machinery of
tests/go/run-integration.py, loaded from there so that both suites drive the samples alike):

  import-SAMPLE   `heapwalk import go-heapdump DUMP --exe SAMPLE`: the snapshot's canonical listing
                  (tests/go/snapshot-listing) equals the oracle's (tests/go/oracle) exactly; its
                  objects and slot bytes equal MemStats.HeapObjects / HeapAlloc; every edge's source
                  word points into its target; the bogus records dropped are the oracle's; the
                  sample's goroutine expectations (creation site, wait reason) hold.
  noexe-SAMPLE    the same without --exe: objects, edges and global roots need no executable.
  live-SAMPLE     the import and a live `heapwalk dump --pid` of the parked sample: the same
                  objects (address, size, malloc header, type: both run the typing pass of
                  src/goruntime/typeprop.c), the same labels on every edge both have, the same
                  roots in the sample's variables (main.*) and the same edges from every object
                  they reach. Other edges and roots may differ: the runtime's own state (a p's
                  mcache and timers, a g's m, scheduler globals) changes as soon as the sample
                  runs again after writing the dump. The one typing input a dump lacks is a large
                  object's mspan.largeType: the large objects the import leaves to the size
                  fallback (its meta import.large_objects_typed_by_size) may differ in type, and
                  must be exactly the objects that do (a_large_untyped); none other may.
  truncated       the cache sample's dump cut at 64 places (header, records, contents, just
                  before EOF): each import fails with exit status 1, an error naming a record and
                  an offset, and leaves no snapshot behind.

Tests needing Go fail (never skip) when go >= 1.22 is missing.
"""
import argparse
import importlib.util
import json
import os
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("integration", os.path.join(HERE, "..", "go", "run-integration.py"))
it = importlib.util.module_from_spec(spec)
spec.loader.exec_module(it)
check, run = it.check, it.run


def meta(args, snap):
    r = run([args.heapwalk, "info", snap, "--format", "json"])
    if not check(r.returncode == 0, "heapwalk info %s: %s" % (snap, r.stderr.strip())):
        return {}
    return {m["key"]: m["value"] for m in json.loads(r.stdout)["meta"]}


def imported(args, sample, workdir, exe=True):
    snap = os.path.join(workdir, sample.name + (".import.hwd" if exe else ".noexe.hwd"))
    cmd = [args.heapwalk, "import", "go-heapdump", sample.dump, "-o", snap]
    if exe:
        cmd += ["--exe", sample.exe]
    r = run(cmd)
    print(r.stderr.strip())
    if not check(r.returncode == 0, "%s: heapwalk import failed (%d): %s" % (sample.name, r.returncode, r.stderr.strip())):
        return None
    return snap


def case_import(args, name, workdir, exe):
    sample = it.Sample(args, name, workdir)
    try:
        oracle_listing = os.path.join(workdir, name + ".oracle-listing")
        summary = it.oracle(args, sample, oracle_listing)
        if not summary:
            return
        snap = imported(args, sample, workdir, exe)
        if not snap:
            return
        what = "%s (import%s)" % (name, "" if exe else ", no --exe")
        if exe:
            # The import reads the very dump the oracle reads: nothing is exempt.
            it.check_snapshot(args, sample, snap, oracle_listing, {}, summary, what)
        else:
            # Without the executable there are no variable names, so no retained-size check
            # through a named global and no creation sites: the listing and MemStats only.
            listing = snap + ".listing"
            r = run([args.listing, snap, listing])
            if check(r.returncode == 0, "%s: snapshot-listing failed: %s" % (what, r.stderr.strip())):
                s = json.loads(r.stdout)
                check(s["objects"] == sample.ready["heap_objects"] and s["slot_bytes"] == sample.ready["heap_alloc"],
                      "%s: %d objects / %d bytes, MemStats says %d / %d" % (what, s["objects"], s["slot_bytes"],
                      sample.ready["heap_objects"], sample.ready["heap_alloc"]))
                check(s["bad_edges"] == 0, "%s: %d edges whose source word is not inside the target" % (what, s["bad_edges"]))
                it.diff_listings(oracle_listing, listing, what, {})
        m = meta(args, snap)
        check(m.get("import.bogus_records") == summary["bogus_records"],
              "%s: %s bogus records dropped, the oracle drops %d" % (what, m.get("import.bogus_records"), summary["bogus_records"]))
        check(m.get("mem.heap_objects") == sample.ready["heap_objects"] and m.get("mem.heap_alloc") == sample.ready["heap_alloc"],
              "%s: meta mem.heap_objects/heap_alloc %s/%s, the ready line says %d/%d" % (what, m.get("mem.heap_objects"),
              m.get("mem.heap_alloc"), sample.ready["heap_objects"], sample.ready["heap_alloc"]))
        check(m.get("source") == "import:go-heapdump", "%s: meta source is %r" % (what, m.get("source")))
    finally:
        sample.close()


def case_live(args, name, workdir):
    sample = it.Sample(args, name, workdir)
    try:
        snap = imported(args, sample, workdir)
        live = os.path.join(workdir, name + ".live.hwd")
        r = it.capture_live(args, sample.pid, live)
        if not snap or not check(r.returncode == 0, "%s: heapwalk dump --pid failed (%d): %s"
                                 % (name, r.returncode, r.stderr.strip())):
            return
        r = run([args.compare, snap, live])
        if not check(r.returncode == 0, "compare-snapshots failed: %s" % r.stderr.strip()):
            return
        c = json.loads(r.stdout)
        print("%s: import vs live: %s" % (name, r.stdout.strip()))
        check(c["objects_only"] == [0, 0] and c["size_diff"] == 0 and c["header_diff"] == 0,
              "%s: the import and the live capture differ in objects: %s\n%s" % (name, r.stdout.strip(), r.stderr))
        check(c["type_diff"] == 0, "%s: %d objects typed differently\n%s" % (name, c["type_diff"], r.stderr))
        untyped = meta(args, snap).get("import.large_objects_typed_by_size")
        check(c["a_large_untyped"] == untyped,
              "%s: %d large objects differ in type, the import left %s without one (import.large_objects_typed_by_size)"
              "\n%s" % (name, c["a_large_untyped"], untyped, r.stderr))
        check(c["label_diff"] == 0, "%s: %d edges labelled differently\n%s" % (name, c["label_diff"], r.stderr))
        check(c["globals_only_main"] == 0, "%s: %d global roots of the sample's variables differ\n%s"
              % (name, c["globals_only_main"], r.stderr))
        check(c["edges_only_from_main"] == 0, "%s: %d edges differ among the objects the sample's variables reach\n%s"
              % (name, c["edges_only_from_main"], r.stderr))
    finally:
        sample.close()


def case_nodwarf(args, name, workdir):
    """The same dump imported with the executable and with a copy stripped of its DWARF
    (objcopy --strip-debug keeps every address): the same objects, sizes, edges and global
    roots; the stripped import says it had no DWARF and still types most bytes."""
    sample = it.Sample(args, name, workdir)
    sample.close()   # only its dump is needed
    stripped = os.path.join(workdir, name + ".stripped")
    r = run(["objcopy", "--strip-debug", sample.exe, stripped])
    if not check(r.returncode == 0, "objcopy --strip-debug: %s" % r.stderr.strip()):
        return
    full = imported(args, sample, workdir)
    snap = os.path.join(workdir, name + ".nodwarf.hwd")
    r = run([args.heapwalk, "import", "go-heapdump", sample.dump, "--exe", stripped, "-o", snap])
    if not full or not check(r.returncode == 0, "%s: import with the stripped executable failed (%d): %s"
                             % (name, r.returncode, r.stderr.strip())):
        return
    r = run([args.compare, full, snap])
    if not check(r.returncode == 0, "compare-snapshots failed: %s" % r.stderr.strip()):
        return
    c = json.loads(r.stdout)
    print("%s: with DWARF vs without: %s" % (name, r.stdout.strip()))
    check(c["objects_only"] == [0, 0] and c["size_diff"] == 0 and c["header_diff"] == 0,
          "%s: the imports with and without DWARF differ in objects: %s" % (name, r.stdout.strip()))
    check(c["edges_only"] == [0, 0], "%s: the imports with and without DWARF differ in edges: %s" % (name, c["edges_only"]))
    check(c["globals_only"] == [0, 0], "%s: the imports differ in global roots: %s" % (name, c["globals_only"]))
    m = meta(args, snap)
    check(m.get("debuginfo") == "none" and str(m.get("layout", "")).startswith("table go1.")
          and m.get("debuginfo.missing"), "%s: the stripped import does not say it had no DWARF: %s"
          % (name, {k: m.get(k) for k in ("debuginfo", "layout", "debuginfo.missing")}))
    r = run([args.heapwalk, "info", snap, "--format", "json"])
    if check(r.returncode == 0, "heapwalk info: %s" % r.stderr.strip()):
        pct = json.loads(r.stdout)["typing"]["typed_bytes_percent"]
        print("%s: %.2f%% of bytes typed without DWARF" % (name, pct))
        check(pct > 90.0, "%s: only %.2f%% of the bytes typed without DWARF" % (name, pct))


def case_truncated(args, workdir):
    sample = it.Sample(args, "cache", workdir)
    sample.close()   # only its dump is needed
    data = open(sample.dump, "rb").read()
    n = len(data)
    cuts = sorted(set([0, 1, 15, 16, 17, n - 1, n - 2] + [n * k // 57 for k in range(1, 57)]))
    cut = os.path.join(workdir, "cut.heapdump")
    snap = os.path.join(workdir, "cut.hwd")
    for at in cuts:
        with open(cut, "wb") as f:
            f.write(data[:at])
        if os.path.exists(snap):
            os.unlink(snap)
        r = run([args.heapwalk, "import", "go-heapdump", cut, "--exe", sample.exe, "-o", snap])
        err = r.stderr.strip()
        ok = r.returncode == 1 and not os.path.exists(snap) and \
            (("offset" in err and ("ends" in err or "past the end" in err)) or (at < 16 and "not a Go heap dump" in err))
        check(ok, "dump cut at %d of %d bytes: exit %d, snapshot %s, stderr: %s"
              % (at, n, r.returncode, "left behind" if os.path.exists(snap) else "absent", err))
    print("truncated: %d cuts of a %d-byte dump, each refused" % (len(cuts), n))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True)
    for a in ["heapwalk", "oracle", "listing", "compare", "samples", "workdir"]:
        ap.add_argument("--" + a)
    args = ap.parse_args()
    # meson's timeout sends SIGTERM: unwind so that the samples are killed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("FAIL: terminated (timeout?)"))
    it.require_go()
    if args.case == "go-missing":
        sys.exit("FAIL: meson found no `go` at configure time: the Go samples could not be built")
    os.makedirs(args.workdir, exist_ok=True)
    kind, _, name = args.case.partition("-")
    if kind in ("import", "noexe") and name in it.SAMPLES:
        case_import(args, name, args.workdir, kind == "import")
    elif kind == "live" and name in it.SAMPLES:
        case_live(args, name, args.workdir)
    elif kind == "nodwarf" and name in it.SAMPLES:
        case_nodwarf(args, name, args.workdir)
    elif args.case == "truncated":
        case_truncated(args, args.workdir)
    else:
        sys.exit("unknown case " + args.case)
    it.finish()


if __name__ == "__main__":
    main()
