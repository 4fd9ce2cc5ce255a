#!/usr/bin/env python3
"""run-nodwarf.py - heapwalk on Go binaries without DWARF, against the same binary with it.

Cases (--case):
  table-current   the layout table's entry for the Go on PATH equals what the DWARF of a fresh
                  build gives (src/layout-table-gen --check): a stale table fails here.
  strip-SAMPLE    builds samples/go/SAMPLE with DWARF and a copy without it (objcopy
                  --strip-debug, which keeps every address), runs the stripped one to its stop
                  point, takes one core (gcore) and dumps that core twice: through the layout
                  table (no DWARF) and with the full binary as --debug-file (the DWARF path the
                  tests/go suite checks against debug.WriteHeapDump). The two canonical listings
                  (tests/go/snapshot-listing: objects with addresses and sizes, edges, global
                  roots and their targets) must be identical, the object count and bytes must
                  equal the sample's MemStats at the stop point, and the metadata must say where
                  the layouts came from; an object both type must have the same name in both.
                  Prints the typed fraction of bytes of both.
  w-cache         a `go build -ldflags=-w` binary (what go test and go run link) dumped live:
                  MemStats counts, and the note on stderr saying what is missing.
  w-pie-cache     the same, -buildmode=pie (loaded at a random bias).
  s-refused       a -ldflags=-s binary (no symbol table either) is refused, naming both.
  debug-file-mismatch  --debug-file of another build is refused.
  unknown-release a -w binary whose Go version strings were rewritten to a release the table
                  does not have (go1.99) is refused, naming the version.
  experiment-refused  a -w binary built with a non-default GOEXPERIMENT is refused.

--toolchain goX.Y.Z builds with that release (GOTOOLCHAIN), for tests/versions.
Tests needing Go fail (never skip) when go >= 1.22 is missing.
"""
import argparse
import json
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402
from harness import check, fail, finish, require_go, run  # noqa: E402

SAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                           "samples", "go")
MISSING_NOTE = "the executable has no DWARF"


def go_build(args, sample, out, *flags):
    env = dict(os.environ, GOTOOLCHAIN=args.toolchain, CGO_ENABLED="0", GOFLAGS="")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    r = run([args.go, "build", "-o", out] + list(flags) + ["./" + sample], cwd=SAMPLES_DIR, env=env)
    if not check(r.returncode == 0, "go build %s %s failed: %s" % (" ".join(flags), sample, r.stderr.strip()[-2000:])):
        return None
    return out


def meta(args, snap):
    r = run([args.heapwalk, "info", "--format", "json", snap])
    if not check(r.returncode == 0, "heapwalk info %s failed: %s" % (snap, r.stderr.strip())):
        return {}, None
    j = json.loads(r.stdout)
    return {m["key"]: m["value"] for m in j["meta"]}, j.get("typing", {}).get("typed_bytes_percent")


def listing(args, snap):
    out = snap + ".listing"
    r = run([args.listing, snap, out])
    if not check(r.returncode == 0, "snapshot-listing %s failed: %s" % (snap, r.stderr.strip())):
        return None, None
    with open(out) as f:
        return f.read(), json.loads(r.stdout)


def node_types(args, snap):
    """{address: type name} of every object (heapwalk graph --format jsonl)."""
    r = run([args.heapwalk, "graph", "--format", "jsonl", "--force", snap])
    if not check(r.returncode == 0, "heapwalk graph %s failed: %s" % (snap, r.stderr.strip()[-500:])):
        return {}
    out = {}
    for line in r.stdout.splitlines():
        if line.startswith('{"record":"node"'):
            n = json.loads(line)
            out[n["addr"]] = n["type"]
    return out


def short(name):
    """A type name with import paths cut to the package name, as the runtime's type descriptors
    spell them ("internal/cpu.option" is "cpu.option" in a malloc header's type)."""
    return re.sub(r"(?:[\w.-]+/)+", "", name)


def shape_named(name):
    return re.match(r"obj\d+(\[|$)", name) is not None


def check_names(sample, table, dwarf):
    """Every object both snapshots type has the same name in both, or []name with DWARF (a slice
    reached the array a malloc header typed by its element). Returns how many objects only the
    table snapshot types (DWARF's propagation does not reach everything the descriptors do)."""
    bad, only_table = [], 0
    for addr, name in table.items():
        if shape_named(name):
            continue
        other = dwarf.get(addr, "(none)")
        if shape_named(other):
            only_table += 1
            continue
        if short(name) != short(other) and "[]" + short(name) != short(other):
            bad.append("%s: %s, with DWARF %s" % (addr, name, other))
    check(not bad, "%s: %d objects named otherwise than with DWARF: %s" % (sample, len(bad), bad[:5]))
    return only_table


def check_counts(what, summary, ready):
    check(summary["objects"] == ready["heap_objects"] and summary["slot_bytes"] == ready["heap_alloc"],
          "%s: %d objects / %d bytes, MemStats says %d / %d" % (what, summary["objects"], summary["slot_bytes"],
                                                               ready["heap_objects"], ready["heap_alloc"]))
    check(summary["bad_edges"] == 0, "%s: %d edges whose source word does not point into the target"
          % (what, summary["bad_edges"]))


def case_table_current(args, workdir):
    exe = go_build(args, "cache", os.path.join(workdir, "cache"))
    if exe:
        r = run([args.gen, "--check", exe])
        print(r.stdout.strip())
        check(r.returncode == 0, "the layout table is stale for %s: %s%s" % (exe, r.stdout.strip()[-3000:],
                                                                              r.stderr.strip()))


def case_strip(args, sample, workdir):
    full = go_build(args, sample, os.path.join(workdir, "full", sample))
    if not full:
        return
    stripped = os.path.join(workdir, "stripped", sample)
    os.makedirs(os.path.dirname(stripped), exist_ok=True)
    r = run(["objcopy", "--strip-debug", full, stripped])
    if not check(r.returncode == 0, "objcopy --strip-debug failed: %s" % r.stderr.strip()):
        return
    sections = run(["readelf", "-SW", stripped]).stdout
    check(".debug_info" not in sections and ".symtab" in sections,
          "%s: objcopy left DWARF or dropped the symbol table" % stripped)
    s = harness.Sample(stripped, {"HEAPWALK_SAMPLE_DUMP": None})
    try:
        prefix = os.path.join(workdir, "core")
        r = run(["gcore", "-o", prefix, s.pid])
        core = "%s.%d" % (prefix, s.pid)
        if not check(r.returncode == 0 and os.path.exists(core), "gcore failed: %s" % r.stderr.strip()[-2000:]):
            return
        ready = s.ready
    finally:
        s.close()
    snaps = {}
    for how, extra in (("table", []), ("dwarf", ["--debug-file", full])):
        snap = os.path.join(workdir, "%s-%s.hwd" % (sample, how))
        r = run([args.heapwalk, "dump", "--core", core, "--exe", stripped, "-o", snap] + extra)
        if not check(r.returncode == 0, "%s: dump (%s) failed: %s" % (sample, how, r.stderr.strip())):
            return
        check((MISSING_NOTE in r.stderr) == (how == "table"),
              "%s: dump (%s) stderr %s the no-DWARF note: %s" % (sample, how, "lacks" if how == "table" else "has",
                                                                 r.stderr.strip()))
        snaps[how] = snap
    os.unlink(core)
    m_table, typed_table = meta(args, snaps["table"])
    m_dwarf, typed_dwarf = meta(args, snaps["dwarf"])
    release = ".".join(args.version.split(".")[:2])
    check(m_table.get("debuginfo") == "none" and m_table.get("layout", "").startswith("table " + release + " ")
          and m_table.get("debuginfo.missing"),
          "%s: the table snapshot's metadata says debuginfo=%r layout=%r" % (sample, m_table.get("debuginfo"),
                                                                            m_table.get("layout")))
    check(m_dwarf.get("debuginfo") == "debug-file" and m_dwarf.get("layout") == "dwarf",
          "%s: the --debug-file snapshot's metadata says debuginfo=%r layout=%r" % (sample, m_dwarf.get("debuginfo"),
                                                                                   m_dwarf.get("layout")))
    l_table, s_table = listing(args, snaps["table"])
    l_dwarf, s_dwarf = listing(args, snaps["dwarf"])
    if l_table is None or l_dwarf is None:
        return
    check_counts(sample + " (table)", s_table, ready)
    check_counts(sample + " (dwarf)", s_dwarf, ready)
    if l_table != l_dwarf:
        a, b = l_table.splitlines(), l_dwarf.splitlines()
        only_t, only_d = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        fail("%s: the listings differ: %d lines only without DWARF (%s), %d only with it (%s)"
             % (sample, len(only_t), only_t[:5], len(only_d), only_d[:5]))
    for key in ("objects", "slot_bytes", "edges", "roots"):
        check(s_table.get(key) == s_dwarf.get(key), "%s: %s is %s without DWARF, %s with it"
              % (sample, key, s_table.get(key), s_dwarf.get(key)))
    only_table = check_names(sample, node_types(args, snaps["table"]), node_types(args, snaps["dwarf"]))
    lines = l_table.count("\n")
    print("%s (%s): %d objects, %d listing lines identical; typed bytes %.1f%% without DWARF, %.1f%% with it; "
          "%d objects typed only without DWARF" % (sample, args.version, s_table["objects"], lines, typed_table or 0,
                                                  typed_dwarf or 0, only_table))


def case_w(args, workdir, *flags):
    exe = go_build(args, "cache", os.path.join(workdir, "w", "cache"), "-ldflags=-w", *flags)
    if not exe:
        return
    check(".debug_info" not in run(["readelf", "-SW", exe]).stdout, "%s: -ldflags=-w left DWARF" % exe)
    s = harness.Sample(exe, {"HEAPWALK_SAMPLE_DUMP": None})
    snap = os.path.join(workdir, "w.hwd")
    try:
        r = run([args.heapwalk, "dump", "--pid", s.pid, "-o", snap])
        ready = s.ready
    finally:
        s.close()
    if not check(r.returncode == 0, "dump of a -w binary failed: %s" % r.stderr.strip()):
        return
    check(MISSING_NOTE in r.stderr and "--debug-file" in r.stderr,
          "the dump of a -w binary does not say what is missing: %s" % r.stderr.strip())
    _, summary = listing(args, snap)
    if summary:
        check_counts("cache -ldflags=-w %s(live)" % "".join(f + " " for f in flags), summary, ready)
    info = run([args.heapwalk, "info", snap])
    check("without DWARF:" in info.stdout, "heapwalk info does not say the snapshot was taken without DWARF")


def case_s(args, workdir):
    exe = go_build(args, "cache", os.path.join(workdir, "s", "cache"), "-ldflags=-s")
    if not exe:
        return
    s = harness.Sample(exe, {"HEAPWALK_SAMPLE_DUMP": None})
    snap = os.path.join(workdir, "s.hwd")
    try:
        r = run([args.heapwalk, "dump", "--pid", s.pid, "-o", snap])
    finally:
        s.close()
    check(r.returncode != 0 and "neither DWARF nor a symbol table" in r.stderr and "-ldflags=-s" in r.stderr
          and not os.path.exists(snap),
          "a -s binary: exit %d, stderr %r (want a refusal naming the missing DWARF and symbol table)"
          % (r.returncode, r.stderr.strip()))
    print("-ldflags=-s: " + r.stderr.strip())


def case_mismatch(args, workdir):
    a = go_build(args, "cache", os.path.join(workdir, "mm", "cache"), "-ldflags=-w")
    b = go_build(args, "list", os.path.join(workdir, "mm", "list"))
    if not a or not b:
        return
    s = harness.Sample(a, {"HEAPWALK_SAMPLE_DUMP": None})
    snap = os.path.join(workdir, "mm.hwd")
    try:
        r = run([args.heapwalk, "dump", "--pid", s.pid, "--debug-file", b, "-o", snap])
    finally:
        s.close()
    check(r.returncode != 0 and "is not the same build" in r.stderr and not os.path.exists(snap),
          "--debug-file of another build: exit %d, stderr %r" % (r.returncode, r.stderr.strip()))


def dump_refused(args, exe, want, what):
    """Runs exe to its stop point and checks that heapwalk dump refuses it with `want` in the message."""
    s = harness.Sample(exe, {"HEAPWALK_SAMPLE_DUMP": None})
    snap = exe + ".hwd"
    try:
        r = run([args.heapwalk, "dump", "--pid", s.pid, "-o", snap])
    finally:
        s.close()
    check(r.returncode != 0 and want in r.stderr and not os.path.exists(snap),
          "%s: exit %d, stderr %r (want a refusal saying %r)" % (what, r.returncode, r.stderr.strip(), want))
    print("%s: %s" % (what, r.stderr.strip()))


def case_unknown_release(args, workdir):
    exe = go_build(args, "cache", os.path.join(workdir, "cache"), "-ldflags=-w")
    if not exe:
        return
    data = open(exe, "rb").read()
    old = args.version.encode()
    new = b"go1.99" + old[len(b"go1.NN"):]
    if not check(len(old) >= len(b"go1.NN") and old in data, "%s does not hold its version %s" % (exe, old)):
        return
    with open(exe, "wb") as f:
        f.write(data.replace(old, new))
    dump_refused(args, exe, "does not cover", "a go1.99 binary without DWARF")


def case_experiment(args, workdir):
    # Green Tea is the default from 1.26, an experiment before: either way one of these two
    # is a non-default experiment.
    major = int(args.version.split(".")[1])
    exp = "nogreenteagc" if major >= 26 else "greenteagc" if major == 25 else "aliastypeparams"
    os.environ["GOEXPERIMENT"] = exp
    exe = go_build(args, "cache", os.path.join(workdir, "cache"), "-ldflags=-w")
    del os.environ["GOEXPERIMENT"]
    if exe:
        dump_refused(args, exe, "GOEXPERIMENT=", "a GOEXPERIMENT=%s binary without DWARF" % exp)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", required=True)
    ap.add_argument("--heapwalk", required=True)
    ap.add_argument("--listing", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--toolchain", default="local")
    args = ap.parse_args()
    args.go = require_go()
    env = dict(os.environ, GOTOOLCHAIN=args.toolchain)
    args.version = run([args.go, "env", "GOVERSION"], env=env).stdout.strip()
    if not args.version.startswith("go1."):
        sys.exit("FAIL: cannot get toolchain %s: %s" % (args.toolchain, args.version))
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)
    if args.case == "table-current":
        case_table_current(args, args.workdir)
    elif args.case.startswith("strip-"):
        case_strip(args, args.case[len("strip-"):], args.workdir)
    elif args.case == "w-cache":
        case_w(args, args.workdir)
    elif args.case == "w-pie-cache":
        case_w(args, args.workdir, "-buildmode=pie")
    elif args.case == "s-refused":
        case_s(args, args.workdir)
    elif args.case == "debug-file-mismatch":
        case_mismatch(args, args.workdir)
    elif args.case == "unknown-release":
        case_unknown_release(args, args.workdir)
    elif args.case == "experiment-refused":
        case_experiment(args, args.workdir)
    else:
        sys.exit("unknown case " + args.case)
    finish()


if __name__ == "__main__":
    main()
