#!/usr/bin/env python3
"""Allocation-site tests (suite 'allocsites'): the heap profiler's samples as heapwalk dumps them,
against `go tool pprof` on a heap profile the same process wrote at the same point.

The sample samples/go/allocsites writes pprof.WriteHeapProfile after two collections, just before
its stop point, then parks; heapwalk dumps it live. Cases:

  rate1    runtime.MemProfileRate = 1 (every allocation sampled). For every site of package main,
           the snapshot's samples and bytes (read with alloc-listing, through the dumpfmt reader
           only) equal pprof's inuse_objects and inuse_space, and so do `heapwalk sites`'s;
           every main.Session and main.Node object has exactly one sample, at the site pprof
           names for its function. The sites output states that the shares are exact. The
           same process's debug.WriteHeapDump, imported, has the same samples per site (by
           file and line: the dump names the physical function of an inlined call).
  default  the default rate (512 KiB). Per site of main, the snapshot's sample counts equal
           pprof's (unscaled: pprof scales by 1/(1-exp(-size/rate))), and `heapwalk sites`
           shares among main's sites lie within 5 standard deviations of the truth measured
           by a rate-1 run of the same program. The output states that they are estimates.

A site is the first frame of a stack outside the runtime (pprof's hideRuntime rule), as
(function, file, line); this script computes it from the raw frames itself. Only the sites of
the functions that build the heap are compared (OURS): the runtime's own objects allocated on a
user stack (the sudog a runtime.GC() call in main.main waits with, one made by a GC assist)
live and die with the collections between the profile and the stop, so the profile and the
heap may disagree about them. The sample builds its heap with the collector off (no assists).
"""
import argparse
import json
import math
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402
from harness import check, finish, require_go, run  # noqa: E402


def is_runtime(func):
    return func.startswith("runtime.") or func.startswith("internal/runtime/")


# The sample's functions that build its heap (main.init: its map literal).
OURS = {"main.init", "main.fillVault", "main.newPayload", "main.buildList", "main.makeBig",
        "main.makeSmall", "main.makeCounters"}


def site_of(frames):
    """frames: [(func, file, line)] innermost first."""
    for f in frames:
        if not is_runtime(f[0]):
            return tuple(f)
    return tuple(frames[0]) if frames else ("?", "?", 0)


def parse_pprof_raw(text):
    """Returns (rate, [(values[4], bytes_label, frames)])."""
    period = None
    samples, locs = [], {}
    section = None
    cur = None
    for line in text.splitlines():
        if line.startswith("Period:"):
            period = int(line.split()[1])
        elif line.startswith("Samples:"):
            section = "samples"
        elif line.startswith("Locations"):
            section = "locations"
        elif line.startswith("Mappings"):
            section = "mappings"
        elif section == "samples":
            m = re.match(r"\s*([\d.e+]+)\s+([\d.e+]+)\s+([\d.e+]+)\s+([\d.e+]+):\s*(.*)$", line)
            if m:
                samples.append([[float(m.group(i)) for i in range(1, 5)], None, [int(x) for x in m.group(5).split()]])
            else:
                b = re.match(r"\s*bytes:\[(\d+)\]", line)
                if b and samples:
                    samples[-1][1] = int(b.group(1))
        elif section == "locations":
            m = re.match(r"\s*(\d+): 0x[0-9a-f]+ M=\d+ (\S+) (\S+):(\d+):\d+ s=\d+", line)
            if m:
                cur = int(m.group(1))
                locs[cur] = [(m.group(2), m.group(3), int(m.group(4)))]
                continue
            m = re.match(r"\s+(\S+) (\S+):(\d+):\d+ s=\d+", line)
            if m and cur is not None:
                locs[cur].append((m.group(1), m.group(2), int(m.group(3))))
    out = []
    for vals, size, ids in samples:
        frames = [f for i in ids for f in locs.get(i, [("?", "?", 0)])]
        out.append((vals, size, frames))
    return period, out


def pprof_sites(go, exe, profile, rate):
    """{site: [inuse samples (unscaled), inuse bytes (unscaled), size]} for sites in package main."""
    r = run([go, "tool", "pprof", "-raw", exe, profile])
    if not check(r.returncode == 0, "go tool pprof -raw: " + r.stderr.strip()):
        return {}
    _, samples = parse_pprof_raw(r.stdout)
    sites = {}
    for vals, size, frames in samples:
        site = site_of(frames)
        if site[0] not in OURS:
            continue
        scale = 1.0 if rate <= 1 or not size else 1.0 / -math.expm1(-size / rate)
        n = round(vals[2] / scale)
        e = sites.setdefault(site, [0, 0])
        e[0] += n
        e[1] += n * (size or 0)
    return {k: v for k, v in sites.items() if v[0]}


def start_sample(args, workdir, rate1):
    """The sample, writing its heap profile (and at rate 1 its heap dump) at its stop point."""
    profile = os.path.join(workdir, "heap.pprof")
    heapdump = os.path.join(workdir, "allocsites.heapdump") if rate1 else None
    s = harness.Sample(os.path.join(args.samples, "allocsites"),
                       {"HEAPWALK_ALLOCSITES_PPROF": profile, "HEAPWALK_SAMPLE_DUMP": heapdump,
                        "HEAPWALK_ALLOCSITES_RATE": "1" if rate1 else None})
    s.profile, s.heapdump = profile, heapdump
    return s


def capture(args, workdir, rate1):
    """Runs the sample, dumps it; returns (ready, snapshot, listing objects, listing summary, sites json)."""
    os.makedirs(workdir, exist_ok=True)
    snap = os.path.join(workdir, "allocsites.hwd")
    s = start_sample(args, workdir, rate1)
    try:
        r = run([args.heapwalk, "dump", "--pid", s.ready["pid"], "-o", snap])
        check(r.returncode == 0, "heapwalk dump: " + r.stderr.strip())
    finally:
        s.close()
    check(s.ready.get("mallocs_after") == 0, "the sample allocated after its stop point: %s" % s.ready)
    r = run([args.listing, snap])
    if not check(r.returncode == 0, "alloc-listing: " + r.stderr.strip()):
        return s, None, [], {}, {}
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    r = run([args.heapwalk, "sites", snap, "--format", "json", "--limit", "0"])
    check(r.returncode == 0, "heapwalk sites: " + r.stderr.strip())
    sites = json.loads(r.stdout) if r.returncode == 0 else {"sites": []}
    return s, snap, lines[:-1], lines[-1], sites


def snapshot_sites(objects):
    """Samples and bytes per site of main."""
    out = {}
    for o in objects:
        for smp in o["samples"]:
            site = site_of([tuple(f) for f in smp["frames"]])
            if site[0] in OURS:
                e = out.setdefault(site, [0, 0])
                e[0] += 1
                e[1] += smp["size"]
    return out


def cli_sites(sites):
    return {(x["func"], x["file"], x["line"]): x for x in sites["sites"] if x["func"] in OURS}


# The single-snapshot findings of the sample's heap: each global's blocks, all allocated in one function.
FINDING_FUNCS = {"main.bigBlocks": "main.makeBig", "main.smallBlocks": "main.makeSmall"}


def leak_findings(args, snap):
    """`heapwalk leaks` (JSON and text) on the snapshot: ({root global: finding}, text)."""
    r = run([args.heapwalk, "leaks", snap, "--format", "json"])
    check(r.returncode == 0, "heapwalk leaks: " + r.stderr.strip())
    found = {}
    if r.returncode == 0:
        for f in json.loads(r.stdout)["findings"]:
            found[f["path"]["root"]["name"]] = f
    for root in FINDING_FUNCS:
        check(root in found, "heapwalk leaks has no finding rooted at %s: %s" % (root, sorted(found)))
    t = run([args.heapwalk, "leaks", snap])
    check(t.returncode == 0, "heapwalk leaks (text): " + t.stderr.strip())
    return found, t.stdout


def check_finding_sites(found, text, want, exact):
    """Each finding's allocation sites against pprof's sites of its function (`want`: site -> (n, bytes)).
    With every allocation sampled the finding holds all of them, so samples and bytes match exactly."""
    for root, func in FINDING_FUNCS.items():
        f = found.get(root)
        if not f:
            continue
        a = f["alloc_sites"]
        have = {(x["func"], x["file"], x["line"]): x for x in a["sites"]}
        expect = {k: v for k, v in want.items() if k[0] == func}
        check(set(have) <= set(expect) and have, "finding at %s: sites %s, pprof's of %s %s" % (root, sorted(have), func, sorted(expect)))
        if exact:
            check({k: (x["samples"], x["bytes"]) for k, x in have.items()} == {k: tuple(v) for k, v in expect.items()},
                  "finding at %s: sites %s, pprof %s" % (root, sorted(have.items()), sorted(expect.items())))
        check(abs(sum(x["share"] for x in a["sites"]) - 1) < 1e-9, "finding at %s: shares sum to %s" % (root, sum(x["share"] for x in a["sites"])))
        word = "exact" if exact else "estimates"
        check(word in a["sampling"] and str(a["samples"]) in a["sampling"],
              "finding at %s: sampling %r does not say %s with its %d samples" % (root, a["sampling"], word, a["samples"]))
        # The text shows the largest site with the same sampling statement.
        top = max(expect.items(), key=lambda kv: kv[1][1])[0] if expect else ("?", "?", 0)
        line = "allocated at %s:%d %s" % (os.path.basename(top[1]), top[2], func)
        block = [b for b in text.split("\n\n") if "at %s retains" % root in b]
        check(block and line in block[0] and a["sampling"] in block[0],
              "heapwalk leaks text for %s lacks %r with %r: %r" % (root, line, a["sampling"], block))


def check_report(args, snap, found, workdir):
    """`heapwalk report`: each finding's sites and sampling statement as `heapwalk leaks` gives them."""
    out = os.path.join(workdir, "report")
    r = run([args.heapwalk, "report", snap, "-o", out])
    if not check(r.returncode == 0, "heapwalk report: " + r.stderr.strip()):
        return
    rep = json.load(open(os.path.join(out, "report.json")))
    md = open(os.path.join(out, "report.md")).read()
    html = open(os.path.join(out, "report.html")).read()
    got = {f["path"]["root"]["name"]: f["alloc_sites"] for f in rep["findings"]}
    for root in FINDING_FUNCS:
        f = found.get(root)
        if not f:
            continue
        a = f["alloc_sites"]
        check(got.get(root) == a, "report.json alloc_sites of %s: %s, heapwalk leaks %s" % (root, got.get(root), a))
        first = a["sites"][0] if a["sites"] else {"file": "?", "line": 0, "func": "?"}
        site = "%s:%d %s" % (os.path.basename(first["file"]), first["line"], first["func"])
        for name, doc in (("report.md", md), ("report.html", html)):
            check(site in doc and a["sampling"] in doc, "%s lacks %r or %r" % (name, site, a["sampling"]))


def case_rate1(args, go, workdir):
    s, snap, objects, summary, sites = capture(args, workdir, True)
    check(summary.get("rate") == 1, "memprof.rate is %s, not 1" % summary.get("rate"))
    want = pprof_sites(go, s.exe, s.profile, 1)
    have = snapshot_sites(objects)
    check(len(want) >= 8, "pprof shows only %d sites of main: %s" % (len(want), sorted(want)))
    found, text = leak_findings(args, snap)
    check_finding_sites(found, text, want, True)
    check(have == want, "sites of main: snapshot %s, pprof %s" % (sorted(have.items()), sorted(want.items())))
    # `heapwalk sites` against the snapshot's records (which match pprof above).
    cli = cli_sites(sites)
    for site, (n, b) in have.items():
        x = cli.get(site)
        if check(x is not None, "heapwalk sites has no site %s" % (site,)):
            check(x["samples"] == n and x["bytes"] == b,
                  "heapwalk sites %s: %d samples, %d bytes; the snapshot's records %d, %d"
                  % (site, x["samples"], x["bytes"], n, b))
    check("exact" in sites.get("sampling", ""), "the rate-1 sampling statement does not say exact: %r" % sites.get("sampling"))
    pprof_funcs = {}
    for site in want:
        pprof_funcs.setdefault(site[0], set()).add(site)
    counts = {"main.Session": 0, "main.Node": 0}
    for o in objects:
        func = {"main.Session": "main.fillVault", "main.Node": "main.buildList"}.get(o["type"])
        if not func:
            continue
        counts[o["type"]] += 1
        sites_here = [site_of([tuple(f) for f in smp["frames"]]) for smp in o["samples"]]
        check(len(sites_here) == 1 and sites_here[0] in pprof_funcs.get(func, set()),
              "%s object %d: sites %s, pprof's for %s are %s" % (o["type"], o["index"], sites_here, func,
                                                                 pprof_funcs.get(func)))
    check(counts["main.Session"] == s.ready["sessions"], "%d sampled main.Session objects, the sample made %d"
          % (counts["main.Session"], s.ready["sessions"]))
    check(counts["main.Node"] == s.ready["nodes"], "%d sampled main.Node objects, the sample made %d"
          % (counts["main.Node"], s.ready["nodes"]))
    # The same heap through debug.WriteHeapDump and `heapwalk import`.
    imported = os.path.join(workdir, "imported.hwd")
    r = run([args.heapwalk, "import", "go-heapdump", s.heapdump, "--exe", s.exe, "-o", imported])
    if check(r.returncode == 0, "heapwalk import: " + r.stderr.strip()):
        r = run([args.listing, imported])
        if check(r.returncode == 0, "alloc-listing on the import: " + r.stderr.strip()):
            lines = [json.loads(x) for x in r.stdout.splitlines()]
            by_line = lambda d: {(k[1], k[2]): v for k, v in d.items()}
            got = by_line(snapshot_sites(lines[:-1]))
            check(got == by_line(want), "imported heap dump, sites of main by file and line: %s, pprof %s"
                  % (sorted(got.items()), sorted(by_line(want).items())))
    # The inlined helper's allocation: its innermost frame is main.newPayload, inlined in fillVault.
    inl = [smp for o in objects for smp in o["samples"] if smp["frames"] and any(f[0] == "main.newPayload" for f in smp["frames"])]
    check(len(inl) == s.ready["sessions"] and all(
        [f[0] for f in smp["frames"] if not is_runtime(f[0])][:2] == ["main.newPayload", "main.fillVault"] for smp in inl),
        "payload allocations: %d with an expanded inlined frame, want %d" % (len(inl), s.ready["sessions"]))
    return want


def case_default(args, go, workdir, truth):
    s, snap, objects, summary, sites = capture(args, workdir, False)
    rate = summary.get("rate", 0)
    check(rate == 512 * 1024, "memprof.rate is %s, not the default 524288" % rate)
    want = pprof_sites(go, s.exe, s.profile, rate)
    have = snapshot_sites(objects)
    check({k: v[0] for k, v in have.items()} == {k: v[0] for k, v in want.items()},
          "sample counts per site of main: snapshot %s, pprof %s" % (sorted(have.items()), sorted(want.items())))
    check("estimates" in sites.get("sampling", ""), "the sampling statement does not say estimates: %r" % sites.get("sampling"))
    found, text = leak_findings(args, snap)
    check_finding_sites(found, text, want, False)
    check_report(args, snap, found, workdir)
    # Shares among main's sites against the rate-1 truth: est share S = A / T. Each allocation of
    # size s is sampled with p = 1 - exp(-s/rate) and weighs s/p, so Var(A) = sum n s^2 (1-p)/p.
    cli = cli_sites(sites)
    total_true = sum(b for n, b in truth.values())
    var = {}
    for site, (n, b) in truth.items():
        size = b / n
        p = -math.expm1(-size / rate)
        var[site] = n * size * size * (1 - p) / p
    est_total = sum(x["est_bytes"] for x in cli.values())
    var_total = sum(var.values())
    checked = 0
    for site, (n, b) in truth.items():
        if b < total_true / 20:
            continue   # small sites: too few expected samples for a meaningful bound
        x = cli.get(site)
        if not check(x is not None, "heapwalk sites at the default rate has no site %s (truth %d bytes)" % (site, b)):
            continue
        share_true = b / total_true
        share = x["est_bytes"] / est_total if est_total else 0
        r_ = total_true - b
        sd = math.sqrt(r_ * r_ * var[site] + b * b * (var_total - var[site])) / total_true ** 2
        checked += 1
        print("site %s: share %.4f, truth %.4f, sd %.4f (%d samples)" % (site[0], share, share_true, sd, x["samples"]))
        check(abs(share - share_true) <= 5 * sd, "site %s: share %.4f is more than 5 sd (%.4f) from the truth %.4f"
              % (site, share, sd, share_true))
    check(checked >= 2, "only %d sites big enough for the statistical check" % checked)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--heapwalk")
    ap.add_argument("--listing")
    ap.add_argument("--samples")
    ap.add_argument("--workdir")
    ap.add_argument("--go-missing", action="store_true")
    args = ap.parse_args()
    go = require_go()
    if args.go_missing:
        sys.exit("FAIL: go was not found when the build was configured")
    truth = case_rate1(args, go, os.path.join(args.workdir, "rate1"))
    case_default(args, go, os.path.join(args.workdir, "default"), truth)
    finish()


if __name__ == "__main__":
    main()
