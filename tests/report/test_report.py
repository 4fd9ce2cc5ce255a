#!/usr/bin/env python3
# test_report.py - `heapwalk report` against what hwgen built (suite 'report').
#
# Usage: test_report.py HEAPWALK HWGEN FIXTURE_WRITER WORKDIR GROUP
#
# The series is three cachedag snapshots of growing size (hwgen --objects 3000, 6000, 9000):
# by construction the session cache is the only thing that grows, and hwgen's expectations
# (--expect) give each snapshot's session count, the bytes main.sessionCache retains and the
# reachable and unreachable totals. The metadata hwgen writes (mem.heap_alloc = the sum of the
# object sizes, mem.heap_objects = the object count) comes from its own counters. Every number
# checked below comes from those files, never from an earlier run of the report.
#
# Groups:
#   series    report.json, report.md: sections and numbers against the expectations
#   baseline  a hand-written last-night report.json: the current finding is new, the baseline's
#             finding is gone; the report compared with itself: nothing new, nothing gone;
#             a bad baseline is an error naming the member
#   failon    --fail-on: exit statuses 0 / 4 / 2 for growth and new-finding rules
#   pprof     --pprof writes the same profile as `heapwalk pprof` of the last snapshot
#   html      report.html in headless Chromium (chromium-check.py): sections by id, no console
#             errors, no network; the screenshot is WORKDIR/html/report-html.png
#   step      a series from one leaking process (hwgen --step 1, 2, 3): its expectations give, per
#             step, the request-log entries, the blocked workers and what each retains, the
#             listeners and the reachable bytes; one finding of each kind must match them
#   memory    one hand-made snapshot (tests/cli's fixture writer) whose metadata splits the RSS
#             as a live capture does (mem.rss.* adding up to mem.rss): the single-snapshot
#             report shows every part against the RSS, in JSON and in Chromium
#             (WORKDIR/memory/report-memory.png)
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SIZES = (3000, 6000, 9000)
SECTIONS = ("summary", "findings", "growth", "dominators", "goroutines", "memory")


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def read_expect(path):
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and not line.startswith("#"):
                out[parts[0]] = int(parts[1]) if parts[1].isdigit() else parts[1]
    return out


class Series:
    def __init__(self, heapwalk, hwgen, work):
        self.heapwalk, self.work = heapwalk, work
        self.snaps, self.expect = [], []
        os.makedirs(work, exist_ok=True)
        for n in SIZES:
            snap = os.path.join(work, "s%d.hwd" % n)
            exp = os.path.join(work, "s%d.expect" % n)
            subprocess.run([hwgen, "--shape", "cachedag", "--objects", str(n), "--seed", "1",
                            "-o", snap, "--expect", exp], check=True)
            self.snaps.append(snap)
            self.expect.append(read_expect(exp))

    def report(self, name, *extra):
        out = os.path.join(self.work, name)
        shutil.rmtree(out, ignore_errors=True)
        p = subprocess.run([self.heapwalk, "report", *self.snaps, "-o", out, *extra],
                           capture_output=True, text=True)
        doc = None
        if os.path.exists(os.path.join(out, "report.json")):
            with open(os.path.join(out, "report.json")) as f:
                doc = json.load(f)
        return p, out, doc


def group_series(s):
    p, out, doc = s.report("series")
    check(p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr))
    for name in ("report.html", "report.md", "report.json"):
        check(os.path.getsize(os.path.join(out, name)) > 0, name + " is empty")
    check(doc["schema"] == "heapwalk/report/1", "schema %r" % doc["schema"])
    check(len(doc["snapshots"]) == 3, "%d snapshots" % len(doc["snapshots"]))
    for snap, e in zip(doc["snapshots"], s.expect):
        check(snap["reachable"]["bytes"] == e["reachable_bytes"], "reachable %r vs %r" % (snap["reachable"], e))
        check(snap["reachable"]["objects"] == e["reachable_objects"], "reachable objects")
        check(snap["unreachable"]["bytes"] == e["unreachable_bytes"], "unreachable bytes")
        check(snap["mem"].get("mem.heap_alloc") == e["total_bytes"], "mem.heap_alloc %r" % snap["mem"])
        check(snap["mem"].get("mem.heap_objects") == e["objects"], "mem.heap_objects")
        check("mem.rss" in snap["mem"], "mem.rss missing")
        check(snap["goroutines"] == 5, "5 goroutines by construction (main and 4 handlers)")
    first, last = s.expect[0]["reachable_bytes"], s.expect[-1]["reachable_bytes"]
    sm = doc["summary"]
    check(sm["reachable_from"] == first and sm["reachable_to"] == last, "summary totals %r" % sm)
    check(abs(sm["growth_pct"] - 100.0 * (last - first) / first) < 1e-9, "growth_pct %r" % sm["growth_pct"])

    # The cache is the one thing that grows: one cache finding on main.sessionCache, holding
    # exactly the sessions, retaining exactly what the cache retains, in every snapshot.
    caches = [f for f in doc["findings"] if f["kind"] == "cache"]
    check(len(caches) == 1, "cache findings: %r" % [f["title"] for f in doc["findings"]])
    f = caches[0]
    check(f["cache"]["entries"] == [e["sessions"] for e in s.expect], "entries %r" % f["cache"]["entries"])
    check(f["retained_series"] == [e["cache_bytes"] for e in s.expect], "retained %r" % f["retained_series"])
    check(f["retained"] == s.expect[-1]["cache_bytes"], "retained_last")
    check(f["path"]["root"]["kind"] == "global" and f["path"]["root"]["name"] == "main.sessionCache", "root %r" % f["path"]["root"])
    check(f["severity"] == "high", "the cache holds > 20%% of the heap: high, not %s" % f["severity"])
    check(doc["baseline"] is None and doc["summary"]["new_findings"] == len(doc["findings"]),
          "without a baseline every finding is new")

    # The dominator tree's top is the cache's map header, retaining cache_bytes.
    top = doc["dominators"][0]
    check(top["depth"] == 0 and top["type"] == "map[string]*main.Session" and top["retained"] == s.expect[-1]["cache_bytes"],
          "dominators[0] %r" % top)
    check(sum(1 for d in doc["dominators"] if d["depth"] == 0) <= 10, "at most 10 top-level nodes")
    # Goroutine groups cover the five goroutines.
    check(sum(g["count"] for g in doc["goroutines"]["top"]) == 5, "goroutine groups %r" % doc["goroutines"])
    # The session type grew by construction.
    names = [t["type"] for t in doc["types"]]
    check("main.Session" in names, "types %r" % names)
    t = doc["types"][names.index("main.Session")]
    check(t["count"] == [e["sessions"] for e in s.expect], "main.Session counts %r" % t["count"])
    check(doc["gate"] == {"enabled": False, "rules": None, "failed": False, "violations": []}, "gate %r" % doc["gate"])

    with open(os.path.join(out, "report.md")) as fmd:
        md = fmd.read()
    for heading in ("## Summary", "## Findings", "## Growth", "## Dominator tree", "## Goroutines", "## Memory outside the heap"):
        check(heading in md, "report.md lacks " + heading)
    check("main.sessionCache" in md, "report.md does not name the cache")
    with open(os.path.join(out, "report.html")) as fh:
        html = fh.read()
    for sec in SECTIONS:
        check('id="%s"' % sec, "report.html lacks section " + sec)
    check("http://" not in html and "https://" not in html, "report.html refers to the network")


def group_baseline(s):
    _, out, doc = s.report("tonight")
    key = doc["findings"][0]["key"]
    # Last night: another finding, and the same reachable heap as tonight's last snapshot.
    last_night = {
        "schema": "heapwalk/report/1",
        "snapshots": [{"path": "old.hwd", "reachable": {"objects": 1, "bytes": s.expect[-1]["reachable_bytes"]}}],
        "findings": [{"key": "listeners:global main.handlers []func()", "kind": "listeners", "severity": "medium",
                      "title": "main.handlers grows by 12 listeners per snapshot", "retained": 4096}],
    }
    base = os.path.join(s.work, "last-night.json")
    with open(base, "w") as f:
        json.dump(last_night, f)
    p, out, doc = s.report("vs-last-night", "--baseline", base)
    check(p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr))
    check(doc["baseline"]["path"] == base, "baseline path")
    check(key in doc["baseline"]["new"] and len(doc["baseline"]["new"]) == len(doc["findings"]), "tonight's finding is new")
    check([g["key"] for g in doc["baseline"]["gone"]] == [last_night["findings"][0]["key"]], "gone %r" % doc["baseline"]["gone"])
    check(doc["summary"]["new_findings"] == len(doc["findings"]) and doc["summary"]["gone_findings"] == 1, "summary")
    check(doc["summary"]["growth_from"] == "baseline" and doc["summary"]["growth_pct"] == 0, "growth from the baseline")
    with open(os.path.join(out, "report.html")) as fh:
        html = fh.read()
    check('id="gone"' in html and "main.handlers grows by 12" in html, "the HTML lists the gone finding")
    with open(os.path.join(out, "report.md")) as fm:
        md = fm.read()
    check("(new)" in md and "Gone since the baseline" in md, "the Markdown marks new and gone")

    # Compared with itself: nothing new, nothing gone.
    p, _, again = s.report("vs-itself", "--baseline", os.path.join(s.work, "tonight", "report.json"))
    check(p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr))
    check(again["baseline"]["new"] == [] and again["baseline"]["gone"] == [], "self-comparison")

    # Bad baselines: an error (status 1) naming the file and what is wrong; no report written.
    cases = {
        "not-json.json": ("{ nope", "not a JSON document"),
        "other-schema.json": (json.dumps({"schema": "heapwalk/info/1"}), "schema"),
        "bad-finding.json": (json.dumps({"schema": "heapwalk/report/1", "snapshots": [{"reachable": {"bytes": 1}}],
                                         "findings": [{"key": 7}]}), "findings[0]"),
    }
    for name, (text, want) in cases.items():
        path = os.path.join(s.work, name)
        with open(path, "w") as f:
            f.write(text)
        p, out, _ = s.report("bad-" + name, "--baseline", path)
        check(p.returncode == 1, "%s: exit %d" % (name, p.returncode))
        check(path in p.stderr and want in p.stderr, "%s: message %r" % (name, p.stderr))
        check(not os.path.exists(os.path.join(out, "report.json")), name + ": a report was written")
    p, _, _ = s.report("missing", "--baseline", os.path.join(s.work, "no-such.json"))
    check(p.returncode == 1 and "no-such.json" in p.stderr, "missing baseline: %d %r" % (p.returncode, p.stderr))


def group_failon(s):
    first, last = s.expect[0]["reachable_bytes"], s.expect[-1]["reachable_bytes"]
    growth = 100.0 * (last - first) / first      # about 210 % by construction
    below, above = "%.0f" % (growth - 1), "%.0f" % (growth + 1)
    cases = [
        ([], 0),
        (["--fail-on", "growth"], 4),                     # default 10 %
        (["--fail-on", "growth=" + above], 0),
        (["--fail-on", "growth=" + below + "%"], 4),
        (["--fail-on", "new=high"], 4),                   # the cache finding is high and new
        (["--fail-on", "new"], 4),                        # default medium
        (["--fail-on", "growth=" + above + ",new=high"], 4),
        (["--fail-on", "growth=" + above, "--fail-on", "new=high"], 4),
        (["--fail-on", "bogus"], 2),
        (["--fail-on", "growth=-3"], 2),
        (["--fail-on", "new=severe"], 2),
    ]
    for args, want in cases:
        p, out, doc = s.report("gate", *args)
        check(p.returncode == want, "%s: exit %d, want %d (%s)" % (args, p.returncode, want, p.stderr.strip()))
        if want == 2:
            check("--fail-on" in p.stderr and doc is None, "%s: usage message, no report" % args)
        if want == 4:
            check(doc["gate"]["failed"] and doc["gate"]["violations"], "%s: gate %r" % (args, doc["gate"]))
            check("gate failed" in p.stderr, "%s: stderr says why" % args)
    # With tonight's own report as the baseline nothing is new and nothing grew.
    _, out, _ = s.report("base")
    p, _, doc = s.report("gate", "--baseline", os.path.join(out, "report.json"), "--fail-on", "new=low,growth=0")
    check(p.returncode == 0, "self-baseline gate: exit %d %s" % (p.returncode, p.stderr))
    check(doc["gate"]["rules"] == "growth>0%,new>=low", "rules %r" % doc["gate"]["rules"])


def group_pprof(s):
    prof = os.path.join(s.work, "last.pb.gz")
    p, out, doc = s.report("pprof", "--pprof", prof)
    check(p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr))
    check(doc["pprof"] == prof, "pprof member %r" % doc["pprof"])
    direct = os.path.join(s.work, "direct.pb.gz")
    subprocess.run([s.heapwalk, "pprof", s.snaps[-1], "-o", direct], check=True, capture_output=True)
    with open(prof, "rb") as a, open(direct, "rb") as b:
        check(a.read() == b.read(), "report --pprof differs from heapwalk pprof of the last snapshot")


def group_html(s):
    p, out, _ = s.report("html", "--fail-on", "growth")
    check(p.returncode == 4, "exit %d" % p.returncode)
    shot = os.path.join(s.work, "report-html.png")
    r = subprocess.run([sys.executable, os.path.join(HERE, "chromium-check.py"), os.path.join(out, "report.html"),
                        shot, *SECTIONS, "finding-1"])
    check(r.returncode == 0, "chromium-check failed")
    check(os.path.getsize(shot) > 10000, "the screenshot is empty")


MIB = 1024 * 1024
RSS_PARTS = [("mem.rss.heap.inuse_spans", 40 * MIB), ("mem.rss.heap.goroutine_stacks", 1 * MIB),
             ("mem.rss.runtime_offheap", 8 * MIB), ("mem.rss.exe.text_rodata", 4 * MIB),
             ("mem.rss.unexplained", 47 * MIB)]


def group_memory(heapwalk, writer, work):
    rss = sum(v for _, v in RSS_PARTS)
    lines = ["meta_u64\tmem.rss\t%d" % rss] + ["meta_u64\t%s\t%d" % kv for kv in RSS_PARTS] + [
        "meta_u64\tmem.go.heap.objects\t%d" % (3 * MIB),
        "meta_str\tmem.note\tthe test note",
        "object\t0xc000000000\t%d\tmain.Big\t1" % (2 * MIB),
        "object\t0xc000400000\t%d\t[]uint8\t3" % MIB,
        "edge\t0\t1\t0\tbuf\t8",
        "root\t1\t0\tmain.big\t-1\t-1",
    ]
    snap = os.path.join(work, "mem.hwd")
    p = subprocess.run([writer, snap], input="\n".join(lines) + "\n", capture_output=True, text=True)
    check(p.returncode == 0, "fixture-writer: " + p.stderr)
    out = os.path.join(work, "out")
    p = subprocess.run([heapwalk, "report", snap, "-o", out], capture_output=True, text=True)
    check(p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr))
    with open(os.path.join(out, "report.json")) as f:
        doc = json.load(f)
    mem = doc["snapshots"][0]["mem"]
    want = dict(RSS_PARTS, **{"mem.rss": rss, "mem.go.heap.objects": 3 * MIB})
    check(mem == want, "mem %r" % mem)
    check(doc["snapshots"][0]["reachable"]["bytes"] == 3 * MIB, "reachable")
    check(doc["dominators"][0]["type"] == "main.Big" and doc["dominators"][0]["retained"] == 3 * MIB, "dominators")
    with open(os.path.join(out, "report.html")) as f:
        html = f.read()
    for key, _ in RSS_PARTS:
        check(key in html, "report.html lacks " + key)
    check('class="stack"' in html and "the test note" in html, "no RSS bar or note")
    check("One snapshot" in html, "the growth section does not say there is no series")
    with open(os.path.join(out, "report.md")) as f:
        md = f.read()
    check("`mem.rss.unexplained` | 47.0 MiB | 47.0%" in md, "report.md memory row")
    shot = os.path.join(work, "report-memory.png")
    r = subprocess.run([sys.executable, os.path.join(HERE, "chromium-check.py"), os.path.join(out, "report.html"),
                        shot, *SECTIONS])
    check(r.returncode == 0, "chromium-check failed")


def group_step(heapwalk, hwgen, work):
    snaps, exp = [], []
    for k in (1, 2, 3):
        snap = os.path.join(work, "k%d.hwd" % k)
        subprocess.run([hwgen, "--shape", "cachedag", "--objects", "20000", "--step", str(k), "-o", snap,
                        "--expect", snap + ".expect"], check=True)
        snaps.append(snap)
        exp.append(read_expect(snap + ".expect"))
    out = os.path.join(work, "out")
    p = subprocess.run([heapwalk, "report", *snaps, "-o", out], capture_output=True, text=True)
    check(p.returncode == 0, "exit %d: %s" % (p.returncode, p.stderr))
    with open(os.path.join(out, "report.json")) as f:
        doc = json.load(f)
    check([s["reachable"]["bytes"] for s in doc["snapshots"]] == [e["series.reachable_bytes"] for e in exp],
          "reachable %r" % [s["reachable"] for s in doc["snapshots"]])
    by_kind = {}
    for f in doc["findings"]:
        by_kind.setdefault(f["kind"], []).append(f)
    check(sorted(by_kind) == ["cache", "goroutines", "listeners"] and all(len(v) == 1 for v in by_kind.values()),
          "findings %r" % [f["title"] for f in doc["findings"]])
    cache, gor, lis = by_kind["cache"][0], by_kind["goroutines"][0], by_kind["listeners"][0]
    check(cache["path"]["root"]["name"] == "main.requestLog", "cache root %r" % cache["path"]["root"])
    check(cache["cache"]["entries"] == [e["series.entries"] for e in exp], "entries %r" % cache["cache"]["entries"])
    check(gor["counts"] == [e["series.workers"] for e in exp], "workers %r" % gor["counts"])
    check(gor["retained_series"] == [e["series.workers"] * e["series.worker_retained"] for e in exp],
          "workers retain %r" % gor["retained_series"])
    check(lis["listeners"]["entries"] == [e["series.listeners"] for e in exp], "listeners %r" % lis["listeners"])
    with open(os.path.join(out, "report.md")) as f:
        md = f.read()
    check(md.count("\n### ") == 3, "report.md: three findings")


def main():
    heapwalk, hwgen, writer, work, group = sys.argv[1:6]
    work = os.path.join(work, group)
    if group in ("memory", "step"):
        os.makedirs(work, exist_ok=True)
        if group == "memory":
            group_memory(heapwalk, writer, work)
        else:
            group_step(heapwalk, hwgen, work)
    else:
        s = Series(heapwalk, hwgen, work)
        {"series": group_series, "baseline": group_baseline, "failon": group_failon,
         "pprof": group_pprof, "html": group_html}[group](s)
    print("ok: " + group)


if __name__ == "__main__":
    main()
