#!/usr/bin/env python3
"""test_cli_findings.py - `heapwalk leaks`, `goroutines` and `diff` end to end (suite 'findings').

The snapshots come from hwgen's cachedag shape (samples/gen/shape-cachedag.c) and its series
mode (samples/gen/series.c): what they hold is known by construction, and hwgen writes it to
its expectations file (series.* keys, cache_bytes, ...). Every expected number below comes
from those expectations or from the sizes the generator documents, never from heapwalk.

Usage: test_cli_findings.py HEAPWALK HWGEN GROUP   (GROUP: one of GROUPS below)
"""
import json
import os
import subprocess
import sys
import tempfile

# Sizes series.c builds with (its header comment), and the goroutines cachedag always has.
ENTRY, PAYLOAD, CLOSURE, SUBSCRIBER, JOB, JOB_BUF = 64, 512, 16, 256, 128, 2048
HANDLERS = 4        # net/http handler goroutines: one running, three in IO wait
SIG_GROUP = "global main.requestLog map[uint64]*main.Entry -> groups.data map.group[uint64]*main.Entry"
SIG_ENTRY = SIG_GROUP + " -> map value main.Entry"
SIG_JOB = "stack main.worker j main.job"

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL: " + what)


class Tools:
    def __init__(self, heapwalk, hwgen, work):
        self.heapwalk, self.hwgen, self.work = heapwalk, hwgen, work

    def gen(self, name, *args):
        """Writes NAME.hwd with hwgen cachedag; returns (path, expectations dict)."""
        out, exp = os.path.join(self.work, name + ".hwd"), os.path.join(self.work, name + ".exp")
        subprocess.run([self.hwgen, "--shape", "cachedag", "--objects", "3000", *args, "-o", out,
                        "--expect", exp], check=True)
        expect = {}
        with open(exp) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    expect[parts[0]] = int(parts[1]) if parts[1].isdigit() else parts[1]
        return out, expect

    def run(self, *args):
        p = subprocess.run([self.heapwalk, *args], capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr

    def json(self, *args):
        rc, out, err = self.run(*args, "--format", "json")
        check(rc == 0, "%s: exit %d (%s)" % (" ".join(args[:1]), rc, err.strip()))
        return json.loads(out) if rc == 0 else {}


def series(t, name, clean=False):
    snaps = [t.gen("%s%d" % (name, k), "--step", str(k), *(["--clean"] if clean else [])) for k in range(3)]
    return [s[0] for s in snaps], [s[1] for s in snaps]


def by_kind(doc):
    return {f["kind"]: f for f in doc.get("findings", [])}


def group_leaks(t):
    paths, exp = series(t, "leak")
    doc = t.json("leaks", *paths)
    kinds = by_kind(doc)
    check(sorted(kinds) == ["cache", "goroutines", "listeners"], "leaky series: findings %s" % sorted(kinds))
    if "cache" in kinds:
        c = kinds["cache"]
        check(c["cache"]["entries"] == [e["series.entries"] for e in exp], "cache entries %s" % c["cache"]["entries"])
        check(c["path"]["root"]["name"] == "main.requestLog", "cache root %s" % c["path"]["root"])
        check("main.requestLog" in c["title"], "cache title names the global: %s" % c["title"])
    if "goroutines" in kinds:
        g = kinds["goroutines"]
        check(g["counts"] == [e["series.workers"] for e in exp], "goroutine counts %s" % g["counts"])
        check(g["retained_series"] == [e["series.workers"] * e["series.worker_retained"] for e in exp],
              "goroutine retained %s" % g["retained_series"])
        created = g["goroutines"]["created_at"]
        check((created["func"], created["file"], created["line"]) == ("main.(*Server).dispatch", "/src/app/server.go", 120),
              "goroutines created at %s" % created)
    if "listeners" in kinds:
        l = kinds["listeners"]
        check(l["counts"] == [e["series.listeners"] for e in exp], "listener counts %s" % l["counts"])
    rc, out, _ = t.run("leaks", *paths)
    check(rc == 0 and sum(line[:1].isdigit() and ". [" in line for line in out.splitlines()) == 3,
          "leaky series, text: three numbered findings")

    clean_paths, _ = series(t, "clean", clean=True)
    check(t.json("leaks", *clean_paths).get("findings") == [], "clean series: no finding")
    rc, out, _ = t.run("leaks", *clean_paths)
    check(rc == 0 and out.strip() == "no findings in 3 snapshots", "clean series, text: %r" % out)

    # One snapshot: the session cache holds most of the heap (cache_bytes by construction).
    one, e = t.gen("single")
    f = by_kind(t.json("leaks", one)).get("cache")
    check(f is not None and f["cache"]["dominator_retained"] == e["cache_bytes"],
          "single snapshot: the cache dominator retains cache_bytes (%s)" % (f and f["cache"]))
    check(f is not None and f["severity"] == "high", "single snapshot: a dominant cache is high severity")


def group_goroutines(t):
    path, e = t.gen("g", "--step", "2")
    doc = t.json("goroutines", path)
    workers = e["series.workers"]
    check(doc.get("goroutines") == 1 + HANDLERS + workers, "goroutine total %s" % doc.get("goroutines"))
    groups = {(g["state"], g["wait_reason"]): g for g in doc.get("groups", [])}
    w = groups.get(("waiting", "chan receive"))
    check(w is not None and w["count"] == workers, "worker group count")
    if w:
        check((w["created_at"]["func"], w["created_at"]["file"], w["created_at"]["line"]) ==
              ("main.(*Server).dispatch", "/src/app/server.go", 120), "worker creation site %s" % w["created_at"])
        check((w["waits_at"]["func"], w["waits_at"]["line"]) == ("main.worker", 33), "worker wait site %s" % w["waits_at"])
        check(w["retained"] == workers * e["series.worker_retained"], "worker retained %d" % w["retained"])
    io = groups.get(("waiting", "IO wait"))
    check(io is not None and io["count"] == HANDLERS - 1, "IO wait handlers")
    if io:
        check(io["created_at"]["line"] == 3454 and io["created_at"]["func"] == "net/http.(*Server).Serve",
              "handler creation site %s" % io["created_at"])
    check(groups.get(("running", "")) is not None and groups[("running", "")]["count"] == 1, "one running handler")
    main = groups.get(("waiting", "select"))
    check(main is not None and main["created_at"]["func"] == "", "the main goroutine has no creator")
    rc, out, _ = t.run("goroutines", path)
    check(rc == 0 and "main.(*Server).dispatch (/src/app/server.go:120)" in out, "goroutines text shows the site")
    check("(:0)" not in out, "goroutines text: no empty location")


def rows(doc, table):
    return {r["signature" if table == "signatures" else "type"]: r for r in doc.get(table, {}).get("rows", [])}


def group_diff(t):
    (a, ea), (b, eb) = t.gen("d0", "--step", "0"), t.gen("d2", "--step", "2")
    de = eb["series.entries"] - ea["series.entries"]
    dw = eb["series.workers"] - ea["series.workers"]

    doc = t.json("diff", a, b, "--limit", "0")
    check(doc.get("schema") == "heapwalk/diff/1" and doc.get("match") == "identity", "one process: matched by identity")
    sig = rows(doc, "signatures")
    r = sig.get(SIG_ENTRY)
    check(r is not None and r["delta"]["count"] == de and r["born"]["count"] == de and r["freed"]["count"] == 0,
          "entries: +%d, all born (%s)" % (de, r))
    check(r is not None and r["delta"]["retained"] == de * eb["series.entry_bytes"], "entries retained growth")
    r = sig.get(SIG_GROUP)
    check(r is not None and r["born"]["count"] == 1 and r["freed"]["count"] == 1 and r["delta"]["bytes"] == 16 * de,
          "the map's group array was reallocated (%s)" % r)
    r = sig.get(SIG_JOB)
    check(r is not None and r["delta"]["count"] == dw and r["snap"]["retained"] == eb["series.workers"] * eb["series.worker_retained"],
          "worker jobs (%s)" % r)
    check(doc.get("freed", {}).get("count") == 2, "only the two growing arrays were freed")
    typ = rows(doc, "types")
    check(typ.get("main.Entry", {}).get("delta", {}).get("bytes") == de * ENTRY, "main.Entry bytes")
    check(typ.get("[]uint8", {}).get("born", {}).get("bytes") == de * PAYLOAD + dw * JOB_BUF, "[]uint8 born bytes")

    # Another process (another seed, so another pid): the same growth, matched by signature.
    c, _ = t.gen("o2", "--step", "2", "--seed", "5")
    doc = t.json("diff", a, c, "--limit", "0")
    check(doc.get("match") == "signature", "two processes: matched by signature")
    r = rows(doc, "signatures").get(SIG_ENTRY)
    check(r is not None and r["delta"]["count"] == de and "born" not in r, "entries across processes (%s)" % r)
    check(rows(doc, "types").get("main.job", {}).get("delta", {}).get("bytes") == dw * JOB, "main.job across processes")

    # New and vanished groups: the plain heap against the same heap with the series added.
    p, _ = t.gen("plain")
    doc = t.json("diff", p, a, "--limit", "0")
    news = [r for r in doc.get("signatures", {}).get("rows", []) if r["status"] == "new"]
    check(len(news) == 9 and doc["signatures"]["changed"] == 9, "nine new groups (%d)" % len(news))
    back = t.json("diff", a, p, "--limit", "0")
    gone = [r for r in back.get("signatures", {}).get("rows", []) if r["status"] == "vanished"]
    check(sorted(r["signature"] for r in gone) == sorted(r["signature"] for r in news), "the same nine vanish")
    rc, out, _ = t.run("diff", p, a)
    check(rc == 0 and "[new] " + SIG_ENTRY in out, "text marks new groups")
    rc, out, _ = t.run("diff", a, p, "--by", "type")
    check(rc == 0 and "[vanished] main.Entry" in out and "RETENTION PATH" not in out, "text --by type")
    rc, out, _ = t.run("diff", a, b, "--match", "signature", "--format", "json")
    check(rc == 0 and json.loads(out)["match"] == "signature", "--match signature")


def group_exit(t):
    a, _ = t.gen("x0", "--step", "0")
    b, _ = t.gen("x1", "--step", "1")
    cut = os.path.join(t.work, "cut.hwd")
    with open(b, "rb") as f:
        data = f.read()
    with open(cut, "wb") as f:
        f.write(data[: len(data) * 2 // 3])
    missing = os.path.join(t.work, "missing.hwd")
    for args, want in [
        (["diff", a], 2), (["diff", a, b, "--match", "sometimes"], 2), (["diff", a, b, "--by", "size"], 2),
        (["diff", a, b, "--limit", "-1"], 2), (["diff", a, missing], 1), (["diff", a, cut], 3),
        (["leaks"], 2), (["leaks", a, missing], 1), (["leaks", a, cut], 3), (["leaks", a, "--cache-share", "2"], 2),
        (["goroutines", missing], 1), (["goroutines", cut], 3), (["goroutines"], 2),
        (["diff", a, b], 0), (["leaks", a, b], 0), (["goroutines", a], 0),
    ]:
        rc, _, err = t.run(*args)
        check(rc == want, "%s: exit %d, expected %d (%s)" % (" ".join(os.path.basename(x) for x in args), rc, want,
                                                             err.strip().splitlines()[-1:] if err else ""))
    rc, _, err = t.run("diff", a, cut)
    check("partial" in err, "a damaged snapshot is reported on stderr")


GROUPS = {"leaks": group_leaks, "goroutines": group_goroutines, "diff": group_diff, "exit": group_exit}


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in GROUPS:
        sys.exit("usage: test_cli_findings.py HEAPWALK HWGEN {%s}" % "|".join(GROUPS))
    with tempfile.TemporaryDirectory(prefix="hw-cli-findings-") as work:
        GROUPS[sys.argv[3]](Tools(sys.argv[1], sys.argv[2], work))
    if failures:
        sys.exit("%d check(s) failed" % len(failures))
    print("ok")


if __name__ == "__main__":
    main()
