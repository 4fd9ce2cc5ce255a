#!/usr/bin/env python3
"""test_cli.py - integration tests of the heapwalk program (meson suite 'cli').

Each fixture is described here as data (objects, edges, roots); fixture-writer turns the
description into a snapshot with the real hwd writer. The answers heapwalk must give are
computed from the same description by the brute-force oracle below (reachability by search,
dominance by deleting a node and searching again), never copied from heapwalk's output.

Usage: test_cli.py HEAPWALK FIXTURE_WRITER GROUP   (GROUP: one of GROUPS below)
"""
import fnmatch
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import deque

# hwd.h enums, by value.
STRUCT, POINTER, SLICE, MAP = 1, 2, 3, 4
STRONG, WEAK, FINALIZER, INTERNAL = 0, 1, 2, 4
GLOBAL, STACK = 1, 2
ROOT_KIND_NAMES = {GLOBAL: "global", STACK: "stack"}


class Fixture:
    """A snapshot described by construction, with the oracle computing what it implies."""

    def __init__(self):
        self.objects = []   # (addr, size, type name, type kind)
        self.edges = []     # (from, to, kind, label, offset)
        self.roots = []     # (kind, object, name, goroutine, frame)
        self.goroutines = []
        self.frames = []
        self.meta = []      # (type, key, value)

    def obj(self, addr, size, type_name, kind=STRUCT):
        self.objects.append((addr, size, type_name, kind))
        return len(self.objects) - 1

    def description(self, chunk_bytes):
        lines = ["chunk_bytes\t%d" % chunk_bytes]
        lines += ["%s\t%s\t%s" % m for m in self.meta]
        lines += ["object\t0x%x\t%d\t%s\t%d" % o for o in self.objects]
        lines += ["edge\t%d\t%d\t%d\t%s\t%d" % e for e in sorted(self.edges, key=lambda e: e[0])]
        lines += ["root\t%d\t%d\t%s\t%d\t%d" % r for r in self.roots]
        lines += ["goroutine\t%d\t%s\t%s" % g for g in self.goroutines]
        lines += ["frame\t%d\t%s\t%s\t%d" % f for f in self.frames]
        return "\n".join(lines) + "\n"

    # ---- oracle ------------------------------------------------------------------------
    def reachable(self, removed=None):
        """Objects reachable from the roots over edges that keep their target alive."""
        seen = set()
        queue = deque(r[1] for r in self.roots if r[1] != removed)
        seen.update(queue)
        while queue:
            v = queue.popleft()
            for (f, t, k, _, _) in self.edges:
                if f == v and k != WEAK and t != removed and t not in seen:
                    seen.add(t)
                    queue.append(t)
        return seen

    def dominated_by(self, v):
        """Objects that become unreachable when v is removed, v included (v reachable)."""
        return (self.reachable() - self.reachable(removed=v)) | {v}

    def retained(self, v):
        return sum(self.objects[i][1] for i in self.dominated_by(v))

    def idom_is_root(self, v):
        """True when no other object dominates v (its immediate dominator is the super-root)."""
        return not any(v in self.dominated_by(u) for u in self.reachable() if u != v)

    def type_retained(self, name_matches):
        """Retained bytes of the objects whose type matches, not dominated by another match."""
        reach = self.reachable()
        tops = [v for v in reach if name_matches(self.objects[v][2])]
        covered = set()
        for v in tops:
            if not any(v in self.dominated_by(u) for u in tops if u != v):
                covered |= self.dominated_by(v)
        return sum(self.objects[i][1] for i in covered)

    def shortest_path(self, target):
        """Object indices from a root's target to `target` (BFS over keeping edges), or None."""
        prev = {}
        queue = deque()
        for r in self.roots:
            if r[1] not in prev:
                prev[r[1]] = None
                queue.append(r[1])
        while queue:
            v = queue.popleft()
            if v == target:
                path = []
                while v is not None:
                    path.append(v)
                    v = prev[v]
                return path[::-1]
            for (f, t, k, _, _) in self.edges:
                if f == v and k != WEAK and t not in prev:
                    prev[t] = v
                    queue.append(t)
        return None


def cache_fixture():
    """A cache map holding sessions, two roots sharing a subtree, an unreachable cycle."""
    fx = Fixture()
    fx.meta = [("meta_str", "exe", "/usr/bin/cachesvc"), ("meta_u64", "pid", "4242"),
               ("meta_str", "go.version", "go1.26.0")]
    fx.cache = fx.obj(0x10000, 64, "main.Cache")
    fx.map = fx.obj(0x10040, 48, "map[string]*main.Session", MAP)
    fx.buckets = fx.obj(0x10080, 512, "map.bucket[string]*main.Session", MAP)
    fx.sessions = [fx.obj(0x10400 + i * 0x100, 96, "main.Session") for i in range(5)]
    fx.payloads = [fx.obj(0x11000 + i * 0x400, 1024, "[]uint8", SLICE) for i in range(5)]
    fx.config = fx.obj(0x20000, 32, "main.Config")
    fx.handler = fx.obj(0x20020, 32, "main.Handler")
    fx.shared = fx.obj(0x20100, 200, "main.Shared")
    fx.blob = fx.obj(0x20200, 800, "main.Blob", SLICE)
    fx.auth = fx.obj(0x20600, 64, "auth.Session")
    fx.cycle = [fx.obj(0x30000, 40, "main.Node"), fx.obj(0x30040, 40, "main.Node")]
    fx.edges = [(fx.cache, fx.map, STRONG, "sessions", 8), (fx.map, fx.buckets, INTERNAL, "buckets", 16)]
    fx.edges += [(fx.buckets, s, STRONG, "map value", 16 + 8 * i) for i, s in enumerate(fx.sessions)]
    fx.edges += [(s, p, STRONG, "payload", 16) for s, p in zip(fx.sessions, fx.payloads)]
    fx.edges += [(fx.config, fx.shared, STRONG, "shared", 0), (fx.config, fx.blob, WEAK, "blobref", 8),
                 (fx.handler, fx.shared, STRONG, "shared", 0), (fx.handler, fx.auth, STRONG, "session", 8),
                 (fx.shared, fx.blob, STRONG, "blob", 0),
                 (fx.cycle[0], fx.cycle[1], STRONG, "next", 0), (fx.cycle[1], fx.cycle[0], STRONG, "next", 0)]
    fx.roots = [(GLOBAL, fx.cache, "main.cache", -1, -1), (GLOBAL, fx.config, "main.cfgA", -1, -1),
                (STACK, fx.handler, "main.serve", 1, 0)]
    fx.goroutines = [(1, "running", "main.main"), (7, "waiting", "main.serve")]
    fx.frames = [(1, "main.serve", "server.go", 42)]
    return fx


# ---- running heapwalk -----------------------------------------------------------------
HEAPWALK = WRITER = WORKDIR = None
FAILURES = []
CHECKS = 0


def run(*args):
    p = subprocess.run([HEAPWALK] + list(args), capture_output=True, text=True)
    # Under -Db_sanitize an error report may come with an expected exit status: look for it.
    check(not re.search(r"Sanitizer|runtime error:", p.stderr),
          "%s: sanitizer report: %s" % (" ".join(args), p.stderr[:2000]))
    return p.returncode, p.stdout, p.stderr


def run_json(*args, status=0):
    rc, out, err = run(*args, "--format", "json")
    check(rc == status, "%s: exit %d, expected %d; stderr: %s" % (" ".join(args), rc, status, err))
    try:
        return json.loads(out)
    except ValueError as e:
        check(False, "%s: output is not JSON (%s): %s" % (" ".join(args), e, out[:400]))
        return {}


def check(cond, msg):
    global CHECKS
    CHECKS += 1
    if not cond:
        FAILURES.append(msg)
        print("FAIL:", msg)
    return cond


def write_fixture(fx, name, chunk_bytes=256):
    path = os.path.join(WORKDIR, name)
    p = subprocess.run([WRITER, path], input=fx.description(chunk_bytes), capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("fixture-writer failed for %s: %s" % (name, p.stderr))
    return path


def chunks_of(path):
    """(offset, kind, payload_len) of every chunk, walked per docs/format.md."""
    data = open(path, "rb").read()
    off = int.from_bytes(data[12:16], "little")
    out = []
    while off + 16 <= len(data):
        kind = int.from_bytes(data[off:off + 4], "little")
        length = int.from_bytes(data[off + 8:off + 16], "little")
        out.append((off, kind, length))
        off += 16 + length + (-length % 8)
    return out


def fixtures():
    fx = cache_fixture()
    snap = write_fixture(fx, "cache.hwd")
    data = open(snap, "rb").read()
    truncated = os.path.join(WORKDIR, "truncated.hwd")
    open(truncated, "wb").write(data[:len(data) - 40])
    # Corrupt one payload byte of the first OBJECTS chunk (kind 4): its CRC no longer matches.
    corrupt = os.path.join(WORKDIR, "corrupt.hwd")
    obj_chunk = next(c for c in chunks_of(snap) if c[1] == 4)
    bad = bytearray(data)
    bad[obj_chunk[0] + 16 + 20] ^= 0xFF
    open(corrupt, "wb").write(bytes(bad))
    return fx, snap, truncated, corrupt, obj_chunk


def size_of(fx, indices):
    return sum(fx.objects[i][1] for i in indices)


def addr(fx, i):
    return "0x%x" % fx.objects[i][0]


# ---- the tests, one group per command -------------------------------------------------
def test_usage(fx, snap, **_):
    rc, out, err = run()
    check(rc == 2 and "--help" in err, "no command: exit 2 with a hint (got %d)" % rc)
    rc, out, err = run("--help")
    check(rc == 0 and err == "", "--help exits 0 with nothing on stderr")
    for cmd in ("info", "histogram", "top", "retained-by", "path", "graph", "check"):
        check(re.search(r"^\s+%s\s" % re.escape(cmd), out, re.M) is not None, "--help lists %s" % cmd)
        rc2, out2, err2 = run(cmd, "--help")
        check(rc2 == 0 and "Usage:" in out2 and err2 == "", "%s --help: exit 0, usage on stdout" % cmd)
        check("Exit status" in out2, "%s --help documents the exit status" % cmd)
    for code in ("0", "1", "2", "3"):
        check(re.search(r"^\s+%s\s+\S" % code, out, re.M) is not None, "--help documents exit status %s" % code)
    misuse = [
        ["bogus"], ["inf", snap], ["--bogus"], ["info"], ["info", snap, "extra"], ["info", "--bogus", snap],
        ["histogram", snap, "--format", "xml"], ["histogram", snap, "--sort", "size"],
        ["histogram", snap, "--limit", "-1"], ["histogram", snap, "--limit", "x"],
        ["path", "0xzz", snap], ["path", snap], ["top", snap, "--depth", "0"],
        ["graph", snap, "--format", "json"], ["graph", snap, "--depth", "2"], ["graph", snap, "--from", "nothex"],
        ["retained-by", snap],
    ]
    for args in misuse:
        rc, out, err = run(*args)
        check(rc == 2, "%s: exit %d, expected 2" % (" ".join(args), rc))
        check("--help" in err and out == "", "%s: hint to --help on stderr, nothing on stdout" % " ".join(args))
    rc, out, err = run("info", os.path.join(WORKDIR, "missing.hwd"))
    check(rc == 1 and "missing.hwd" in err, "a missing file: exit 1 naming it (got %d: %s)" % (rc, err))
    rc, out, err = run("help", "top")
    check(rc == 0 and "--depth" in out, "heapwalk help top shows top's options")


def test_info(fx, snap, truncated, corrupt, obj_chunk, **_):
    reach = fx.reachable()
    unreach = set(range(len(fx.objects))) - reach
    doc = run_json("info", snap)
    check(doc.get("schema") == "heapwalk/info/1", "info schema tag")
    t = doc.get("totals", {})
    check(t.get("all") == {"objects": len(fx.objects), "bytes": size_of(fx, range(len(fx.objects)))},
          "info totals.all %s" % t.get("all"))
    check(t.get("reachable") == {"objects": len(reach), "bytes": size_of(fx, reach)},
          "info totals.reachable %s" % t.get("reachable"))
    check(t.get("unreachable") == {"objects": len(unreach), "bytes": size_of(fx, unreach)},
          "info totals.unreachable %s" % t.get("unreachable"))
    by_kind = doc.get("roots", {}).get("by_kind", {})
    for kind, name in ROOT_KIND_NAMES.items():
        want = sum(1 for r in fx.roots if r[0] == kind)
        check(by_kind.get(name) == want, "info roots.by_kind.%s = %s, expected %d" % (name, by_kind.get(name), want))
    check(doc.get("roots", {}).get("total") == len(fx.roots), "info roots.total")
    check(doc.get("goroutines") == len(fx.goroutines), "info goroutines")
    meta = {m["key"]: m["value"] for m in doc.get("meta", [])}
    for (typ, key, value) in fx.meta:
        want = int(value) if typ == "meta_u64" else value
        check(meta.get(key) == want, "info meta %s = %r, expected %r" % (key, meta.get(key), want))
    check(doc.get("snapshot", {}).get("partial") is False, "info: a whole snapshot is not partial")

    rc, out, err = run("info", snap)
    check(rc == 0 and err == "", "info text: exit 0, quiet stderr")
    check("go1.26.0" in out and "4242" in out, "info text shows metadata")
    check(re.search(r"unreachable.*\b%d\b.*80 B" % len(unreach), out) is not None, "info text: unreachable row")

    rc, out, err = run("info", truncated)
    check(rc == 3 and "partial result" in err, "truncated: exit 3 with the damage on stderr (got %d: %s)" % (rc, err))
    doc = run_json("info", truncated, status=3)
    check(doc.get("snapshot", {}).get("partial") is True and doc["snapshot"].get("damage"), "truncated: JSON says partial")
    check(doc.get("totals", {}).get("all", {}).get("objects", 99) <= len(fx.objects), "truncated: no more objects than written")
    rc, out, err = run("info", corrupt)
    check(rc == 1 and re.search(r"offset 0x[0-9a-f]+", err) is not None, "corrupt: exit 1 naming an offset (%d: %s)" % (rc, err))
    rc, out, err = run("info", "--salvage", corrupt)
    check(rc == 3 and "partial result" in err, "corrupt --salvage: exit 3 (got %d: %s)" % (rc, err))


def test_histogram(fx, snap, truncated, **_):
    reach = fx.reachable()
    names = sorted({o[2] for o in fx.objects})
    doc = run_json("histogram", snap)
    check(doc.get("schema") == "heapwalk/histogram/1", "histogram schema tag")
    rows = {r["type"]: r for r in doc.get("types", [])}
    check(set(rows) == set(names), "histogram lists every type once: %s" % sorted(rows))
    for name in names:
        r = rows.get(name, {})
        members = [i for i, o in enumerate(fx.objects) if o[2] == name]
        check(r.get("count") == len(members), "histogram %s count %s" % (name, r.get("count")))
        check(r.get("bytes") == size_of(fx, members), "histogram %s bytes %s" % (name, r.get("bytes")))
        if all(i in reach for i in members):
            want = fx.type_retained(lambda t: t == name)
            check(r.get("retained") == want, "histogram %s retained %s, expected %d" % (name, r.get("retained"), want))
    for key in ("count", "bytes", "retained"):
        d = run_json("histogram", snap, "--sort", key)
        vals = [r[key] for r in d.get("types", [])]
        check(vals == sorted(vals, reverse=True) and len(vals) == len(names), "histogram --sort %s orders by %s" % (key, key))
    d = run_json("histogram", snap, "--limit", "3")
    check(len(d.get("types", [])) == 3 and d.get("total_types") == len(names), "histogram --limit 3")
    rc, out, err = run("histogram", snap)
    cache_ret = fx.type_retained(lambda t: t == "main.Cache")
    check(rc == 0 and re.search(r"%.1f KiB.*main\.Cache" % (cache_ret / 1024), out) is not None,
          "histogram text shows main.Cache retained in KiB")
    rc, out, err = run("histogram", truncated)
    check(rc == 3, "histogram on a truncated snapshot: exit 3 (got %d)" % rc)


def test_top(fx, snap, **_):
    reach = fx.reachable()
    top_level = sorted((v for v in reach if fx.idom_is_root(v)), key=lambda v: -fx.retained(v))
    doc = run_json("top", snap, "--depth", "2")
    check(doc.get("schema") == "heapwalk/top/1", "top schema tag")
    nodes = doc.get("roots", [])
    check([n.get("addr") for n in nodes] == [addr(fx, v) for v in top_level],
          "top: the dominator tree's first level, biggest first: %s" % [n.get("addr") for n in nodes])
    for n, v in zip(nodes, top_level):
        check(n.get("retained") == fx.retained(v), "top: retained of %s" % addr(fx, v))
        check(n.get("size") == fx.objects[v][1] and n.get("type") == fx.objects[v][2], "top: size/type of %s" % addr(fx, v))
    cache = nodes[0] if nodes else {}
    kids = cache.get("children", [])
    check([k.get("addr") for k in kids] == [addr(fx, fx.map)], "top: the cache dominates its map")
    check(kids and kids[0].get("retained") == fx.retained(fx.map), "top: retained of the map")
    check(kids and not kids[0].get("children"), "top --depth 2 stops at depth 2")
    d = run_json("top", snap, "--limit", "2")
    check(len(d.get("roots", [])) == 2, "top --limit 2")
    rc, out, err = run("top", snap, "--depth", "3")
    lines = [l for l in out.splitlines() if "main.Cache" in l or "map.bucket" in l]
    check(rc == 0 and len(lines) == 2, "top text shows the cache and its buckets")
    if len(lines) == 2:
        indent = [len(re.match(r"^.*?(\s*)(main\.Cache|map\.bucket)", l).group(1)) for l in lines]
        check(indent[1] > indent[0], "top text indents children")


def test_retained_by(fx, snap, **_):
    sessions = set(fx.sessions)
    doc = run_json("retained-by", "main.Session", snap)
    check(doc.get("schema") == "heapwalk/retained-by/1", "retained-by schema tag")
    groups = doc.get("groups", [])
    check(len(groups) == 1, "main.Session: one retention path (%d)" % len(groups))
    if groups:
        g = groups[0]
        check(g.get("objects") == 5 and g.get("bytes") == size_of(fx, sessions), "main.Session group objects/bytes")
        check(g.get("retained") == fx.type_retained(lambda t: t == "main.Session"), "main.Session group retained")
        check(g.get("example") in [addr(fx, s) for s in sessions], "main.Session example is a session")
        path_types = [s.get("type") for s in g.get("example_path", {}).get("steps", [])]
        check(path_types[:3] == ["main.Cache", "map[string]*main.Session", "map.bucket[string]*main.Session"],
              "main.Session path goes through the cache: %s" % path_types)
    # A glob: in Go, map types end with their value type, so '*Session' also matches the map's
    # header and buckets. Expected groups: members with the same root and path types.
    matched = [i for i, o in enumerate(fx.objects) if fnmatch.fnmatchcase(o[2], "*Session")]
    want = {}
    for v in matched:
        path = fx.shortest_path(v)
        root = next(r[2] for r in fx.roots if r[1] == path[0])
        key = (root, tuple(fx.objects[i][2] for i in path))
        want.setdefault(key, []).append(v)
    want_groups = sorted((len(m), size_of(fx, m),
                          sum(fx.retained(v) for v in m
                              if not any(v in fx.dominated_by(u) for u in matched if u != v)))
                         for m in want.values())
    doc = run_json("retained-by", "*Session", snap)
    groups = doc.get("groups", [])
    got = sorted((g.get("objects"), g.get("bytes"), g.get("retained")) for g in groups)
    check(got == want_groups, "*Session groups (objects, bytes, retained): %s, expected %s" % (got, want_groups))
    check([g.get("retained") for g in groups] == sorted((g.get("retained") for g in groups), reverse=True),
          "*Session: biggest first")
    check(doc.get("matched", {}).get("objects") == len(matched), "*Session: matched objects")
    want_types = {}
    for v in matched:
        t = want_types.setdefault(fx.objects[v][2], [0, 0])
        t[0] += 1
        t[1] += size_of(fx, [v])
    got_types = doc.get("matched", {}).get("types", [])
    check({t.get("name"): [t.get("objects"), t.get("bytes")] for t in got_types} == want_types
          and len(got_types) == len(want_types),
          "*Session: matched types %s, expected %s" % (got_types, want_types))
    check([t.get("bytes") for t in got_types] == sorted((t.get("bytes") for t in got_types), reverse=True),
          "*Session: matched types biggest first")
    auth = [g for g in groups if g.get("example") == addr(fx, fx.auth)]
    check(len(auth) == 1 and auth[0].get("objects") == 1, "*Session: the handler's auth.Session is its own group")
    rc, out, err = run("retained-by", "*Session", snap)
    check(rc == 0 and "main.cache" in out and "main.serve" in out, "retained-by text names both roots")
    check(("%d types match:" % len(want_types)) in out and all(n in out for n in want_types),
          "retained-by text lists the types a glob matched")
    rc, out, err = run("retained-by", "nosuch.Type", snap)
    check(rc == 1 and "nosuch.Type" in err, "retained-by with no matching type: exit 1 (%d)" % rc)


def test_path(fx, snap, **_):
    target = fx.sessions[1]
    interior = fx.objects[target][0] + 8
    want = fx.shortest_path(target)
    doc = run_json("path", "0x%x" % interior, snap)
    check(doc.get("schema") == "heapwalk/path/1", "path schema tag")
    check(doc.get("object", {}).get("addr") == addr(fx, target) and doc["object"].get("offset") == 8,
          "path: the interior address finds its object")
    check([s.get("addr") for s in doc.get("steps", [])] == [addr(fx, v) for v in want],
          "path: the shortest path from a root %s" % [s.get("addr") for s in doc.get("steps", [])])
    check(doc.get("root", {}).get("name") == "main.cache" and doc["root"].get("kind") == "global", "path: the root")
    rc, out, err = run("path", "%x" % interior, snap)
    lines = out.splitlines()
    order = [next((n for n, l in enumerate(lines) if ("@ " + addr(fx, v)) in l), -1) for v in want]
    check(rc == 0 and "main.cache" in out and -1 not in order and order == sorted(order),
          "path text lists the chain in order: %s" % order)
    rc, out, err = run("path", "0x%x" % (fx.objects[fx.cycle[0]][0] + 4), snap)
    check(rc == 1 and "unreachable" in err, "path to garbage: exit 1, says unreachable (%d: %s)" % (rc, err))
    rc, out, err = run("path", "0x50000", snap)
    check(rc == 1 and "no object" in err, "path to no object: exit 1 (%d: %s)" % (rc, err))


def test_graph(fx, snap, **_):
    rc, out, err = run("graph", snap, "--format", "jsonl")
    recs = [json.loads(l) for l in out.splitlines()]
    check(rc == 0 and recs and recs[0].get("schema") == "heapwalk/graph/1", "graph jsonl: header record")
    nodes = [r for r in recs if r.get("record") == "node"]
    edges = [r for r in recs if r.get("record") == "edge"]
    check(sorted(n.get("addr") for n in nodes) == sorted(addr(fx, i) for i in range(len(fx.objects))), "graph: every node")
    check(sorted((e.get("from"), e.get("to")) for e in edges) ==
          sorted((addr(fx, f), addr(fx, t)) for (f, t, _, _, _) in fx.edges), "graph: every edge")
    check(sum(1 for e in edges if e.get("kind") == "weak") == 1, "graph: the weak edge is marked")
    rc, out, err = run("graph", snap, "--format", "jsonl", "--from", addr(fx, fx.cache), "--depth", "2")
    recs = [json.loads(l) for l in out.splitlines()]
    got = sorted(r["addr"] for r in recs if r.get("record") == "node")
    check(got == sorted(addr(fx, i) for i in (fx.cache, fx.map, fx.buckets)), "graph --from --depth 2: %s" % got)
    rc, out, err = run("graph", snap, "--format", "dot")
    check(rc == 0 and out.startswith("digraph") and out.count("->") == len(fx.edges), "graph dot: every edge once")
    rc, out, err = run("graph", snap, "--from", "0x50000")
    check(rc == 1, "graph --from no object: exit 1")


def test_check(fx, snap, truncated, corrupt, obj_chunk, **_):
    rc, out, err = run("check", snap)
    check(rc == 0 and "ok" in out, "check: a whole file passes (%d)" % rc)
    doc = run_json("check", snap)
    check(doc.get("schema") == "heapwalk/check/1" and doc.get("ok") is True, "check json ok")
    want = [(o, l) for (o, _, l) in chunks_of(snap)]
    check([(c.get("offset"), c.get("length")) for c in doc.get("chunks", [])] == want,
          "check lists the chunks found by walking the file")
    for kind, n in (("OBJECTS", len(fx.objects)), ("EDGES", len(fx.edges)), ("ROOTS", len(fx.roots))):
        got = sum(c.get("records", 0) for c in doc.get("chunks", []) if c.get("kind") == kind)
        check(got == n, "check counts %d %s records, %d were written" % (got, kind, n))
    rc, out, err = run("check", corrupt)
    check(rc == 1 and "BAD" in out, "check corrupt: exit 1 and a BAD chunk (%d)" % rc)
    doc = run_json("check", corrupt, status=1)
    bad = [c for c in doc.get("chunks", []) if not c.get("ok")]
    check(len(bad) == 1 and bad[0].get("offset") == obj_chunk[0] and bad[0].get("kind") == "OBJECTS",
          "check corrupt: the OBJECTS chunk at 0x%x is the bad one: %s" % (obj_chunk[0], bad))
    p = doc.get("problem") or {}
    end = obj_chunk[0] + 16 + obj_chunk[2]
    check(p.get("code") == "corrupt" and obj_chunk[0] <= p.get("offset", -1) < end,
          "check corrupt: the problem's offset is in that chunk: %s" % p)
    check(("offset 0x%x" % p.get("offset", 0)) in out, "check text names the offset")
    doc = run_json("check", truncated, status=1)
    check((doc.get("problem") or {}).get("code") == "truncated", "check truncated: the problem is truncation")


GROUPS = {"usage": test_usage, "info": test_info, "histogram": test_histogram, "top": test_top,
          "retained-by": test_retained_by, "path": test_path, "graph": test_graph, "check": test_check}


def main():
    global HEAPWALK, WRITER, WORKDIR
    if len(sys.argv) != 4 or sys.argv[3] not in GROUPS:
        sys.exit("usage: test_cli.py HEAPWALK FIXTURE_WRITER {%s}" % "|".join(GROUPS))
    HEAPWALK, WRITER, group = sys.argv[1:]
    with tempfile.TemporaryDirectory(prefix="heapwalk-cli-") as d:
        WORKDIR = d
        fx, snap, truncated, corrupt, obj_chunk = fixtures()
        GROUPS[group](fx=fx, snap=snap, truncated=truncated, corrupt=corrupt, obj_chunk=obj_chunk)
    if FAILURES:
        print("%d check(s) failed in group %s" % (len(FAILURES), group))
        sys.exit(1)
    print("group %s: all %d checks passed" % (group, CHECKS))


if __name__ == "__main__":
    main()
