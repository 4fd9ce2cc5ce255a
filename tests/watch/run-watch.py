#!/usr/bin/env python3
"""run-watch.py - integration tests of automatic capture (suite 'watch').

Each case runs the real heapwalk on a real Go process and checks the outcome against facts
the sample fixes independently of heapwalk: the oomer keeps everything in the global
main.hoard, the leaky test in heapwalk/samples/leakytest.sessions; the kernel says whether
the process was OOM-killed (exit by SIGKILL, the cgroup's oom_kill counter) or aborted.

  oom-limit     oomer under a real cgroup memory limit (v2 where the unified hierarchy has the
                memory controller, else v1; without either, --limit on RSS with an address
                space limit): a snapshot before the kill, leaks names main.hoard
  shared        heapwalk run inside the limited cgroup with tests/vm/ptrhog (a heap of
                pointers): captured while the capture still fits (before --at 80), heapwalk
                alive to report the OOM kill after it
  gotest        heapwalk run -- go test -run TestLeaky ./leakytest: the test binary captured,
                the go toolchain not, and a finding names leakytest.sessions
  crash         --on-crash and `fatal error: runtime: out of memory` under GOTRACEBACK=crash
  core-handler  a gcore'd core piped into core-handler (as the kernel does), --keep-core,
                --max-bytes, and a full disk (a 1 MiB tmpfs) leaving no partial file
  docs          the commands of docs/capture-*.md blocks marked <!-- test -->, as written
"""
import argparse, json, os, re, shutil, signal, subprocess, sys, time

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def go_ok(go):
    if not go or not os.path.exists(go):
        fail("go >= 1.22 is required for this test (none was found at configure time)")
    out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True).stdout.strip()
    m = re.match(r"go1\.(\d+)", out)
    if not m or int(m.group(1)) < 22:
        fail("go >= 1.22 is required, found %r" % out)

def run(cmd, **kw):
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    sys.stdout.write(p.stdout[-4000:])
    sys.stdout.write(p.stderr[-6000:])
    return p

def findings(hw, snaps):
    p = subprocess.run([hw, "leaks", "--format", "json"] + snaps, capture_output=True, text=True)
    if p.returncode != 0:
        fail("heapwalk leaks failed: " + p.stderr)
    return json.loads(p.stdout)["findings"]

def names_root(fs, root):
    """Does a finding's retention path start at the global `root` (or name its container)?"""
    for f in fs:
        if f["path"]["root"].get("name") == root or root in f.get("key", ""):
            return True
    return False

def snapshots(d, pattern):
    return sorted(os.path.join(d, n) for n in os.listdir(d) if re.search(pattern, n))

# ---- cgroups ----------------------------------------------------------------------------------

def own_cgroup():
    v1 = v2 = None
    for line in open("/proc/self/cgroup"):
        hid, ctl, path = line.rstrip("\n").split(":", 2)
        if hid == "0":
            v2 = path
        elif "memory" in ctl.split(","):
            v1 = path
    return v1, v2

def make_limited_cgroup(limit):
    """A new memory cgroup with `limit` bytes, as (version, dir, procs file); or None."""
    v1, v2 = own_cgroup()
    for mount in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
        ctl = os.path.join(mount, "cgroup.controllers")
        if v2 is not None and os.path.exists(ctl) and "memory" in open(ctl).read().split():
            d = os.path.join(mount + v2, "hw-watch-%d" % os.getpid())
            try:
                os.mkdir(d)
                open(os.path.join(d, "memory.max"), "w").write(str(limit))
                return 2, d
            except OSError as e:
                print("cgroup v2 not usable here: %s" % e)
    if v1 is not None and os.path.isdir("/sys/fs/cgroup/memory"):
        d = "/sys/fs/cgroup/memory%s/hw-watch-%d" % (v1.rstrip("/"), os.getpid())
        try:
            os.mkdir(d)
            open(os.path.join(d, "memory.limit_in_bytes"), "w").write(str(limit))
            return 1, d
        except OSError as e:
            print("cgroup v1 not usable here: %s" % e)
    return None

def remove_cgroup(d):
    """Removes a cgroup made by make_limited_cgroup, waiting up to 5 s for its last task to go."""
    for _ in range(50):
        try:
            os.rmdir(d)
            return
        except OSError:
            time.sleep(0.1)

def oom_kills(version, d):
    f = "memory.events" if version == 2 else "memory.oom_control"
    for line in open(os.path.join(d, f)):
        k, v = line.split()
        if k == "oom_kill":
            return int(v)
    return 0

# ---- cases ------------------------------------------------------------------------------------

def case_oom_limit(a):
    oomer = os.path.join(a.samples, "oomer")
    limit = 256 << 20
    cg = make_limited_cgroup(limit)
    env = dict(os.environ, HEAPWALK_OOMER_RATE="32")
    if cg:
        version, d = cg
        print("cgroup v%d limit %d at %s" % (version, limit, d))
        cmd = [a.heapwalk, "run", "-o", a.workdir + "/snaps", "--", "sh", "-c",
               'echo $$ > %s/cgroup.procs && exec %s' % (d, oomer)]
    else:
        print("no memory cgroup can be made here: --limit on RSS, killed by its address space limit")
        env["HEAPWALK_OOMER_AS"] = str(2 << 30)
        cmd = [a.heapwalk, "run", "--limit", "256M", "-o", a.workdir + "/snaps", "--", oomer]
    try:
        p = run(cmd, env=env, timeout=120)
        if cg:
            kills = oom_kills(*cg)
            print("oom_kill events in the cgroup: %d" % kills)
            if kills < 1:
                fail("the cgroup saw no OOM kill")
            if p.returncode != 128 + signal.SIGKILL:
                fail("run should exit with the command's status 137 (SIGKILL), got %d" % p.returncode)
    finally:
        if cg:
            remove_cgroup(cg[1])
    snaps = snapshots(a.workdir + "/snaps", r"^oomer-\d+-\d+-limit\.hwd$")
    if not snaps:
        fail("no snapshot was written before the kill")
    cap = p.stderr.find("captured")
    died = p.stderr.find("was killed by")
    if cap < 0 or died < 0 or cap > died:
        fail("the capture must be reported before the death")
    if not names_root(findings(a.heapwalk, snaps), "main.hoard"):
        fail("heapwalk leaks does not name main.hoard")
    if "main.hoard" not in p.stderr:
        fail("run's own summary does not name main.hoard")

def case_shared(a):
    """heapwalk run inside the limited cgroup with the service, as under a systemd unit: the
    capture's own memory counts against the limit, so it must come while it still fits."""
    hog = os.path.join(a.workdir, "ptrhog")
    b = run([a.go, "build", "-o", hog, "main.go"], cwd=os.path.join(a.source, "tests", "vm", "ptrhog"),
            env=dict(os.environ, GOTOOLCHAIN="local", CGO_ENABLED="0", GOFLAGS=""))
    if b.returncode != 0:
        fail("cannot build tests/vm/ptrhog")
    limit = 256 << 20
    cg = make_limited_cgroup(limit)
    if not cg:
        print("no memory cgroup can be made here: nothing to share")
        sys.exit(77)
    version, d = cg
    print("cgroup v%d limit %d at %s, heapwalk inside it" % (version, limit, d))
    cmd = ["sh", "-c", 'echo $$ > %s/cgroup.procs && exec %s run -o %s/snaps -- %s'
           % (d, a.heapwalk, a.workdir, hog)]
    try:
        p = run(cmd, timeout=120)
        kills = oom_kills(version, d)
    finally:
        remove_cgroup(d)
    print("oom_kill events in the cgroup: %d" % kills)
    if kills < 1:
        fail("the cgroup saw no OOM kill")
    if p.returncode != 128 + signal.SIGKILL:
        fail("run (alive to the end) should exit with ptrhog's status 137, got %d" % p.returncode)
    snaps = snapshots(a.workdir + "/snaps", r"^ptrhog-\d+-\d+-limit\.hwd$")
    if not snaps:
        fail("no snapshot was written before the kill")
    m = re.search(r"captured \d+ \(ptrhog\) at cgroup v\d usage [^(]*\((\d+)%, the last room for a capture", p.stderr)
    if not m:
        fail("the capture should be triggered by the room left for it, not by --at")
    if int(m.group(1)) >= 80:
        fail("the room trigger should come before --at 80, came at %s%%" % m.group(1))
    if p.stderr.find("captured") > p.stderr.find("was killed by"):
        fail("the capture must be reported before the death")
    if not names_root(findings(a.heapwalk, snaps), "main.hoard"):
        fail("heapwalk leaks does not name main.hoard")

def case_gotest(a):
    src = os.path.join(a.source, "samples", "go")
    env = dict(os.environ, GOTOOLCHAIN="local", CGO_ENABLED="0", GOFLAGS="",
               PATH=os.path.dirname(a.go) + os.pathsep + os.environ["PATH"])
    p = run([a.heapwalk, "run", "--every", "1s", "-o", a.workdir + "/snaps", "--",
             "go", "test", "-count=1", "-run", "TestLeaky", "./leakytest"], cwd=src, env=env, timeout=170)
    if p.returncode != 0:
        fail("go test (through heapwalk run) should pass, status %d" % p.returncode)
    names = os.listdir(a.workdir + "/snaps")
    if any(not n.startswith("leakytest.test-") for n in names):
        fail("only the test binary should be captured (the go toolchain is skipped): %s" % names)
    snaps = snapshots(a.workdir + "/snaps", r"^leakytest\.test-\d+-\d+-every\.hwd$")
    if len(snaps) < 2:
        fail("want a series of at least 2 snapshots of the test binary, got %s" % names)
    if not names_root(findings(a.heapwalk, snaps), "heapwalk/samples/leakytest.sessions"):
        fail("no finding names heapwalk/samples/leakytest.sessions")
    if "leakytest.sessions" not in p.stderr:
        fail("run's summary does not name leakytest.sessions")

def case_crash(a):
    oomer = os.path.join(a.samples, "oomer")
    env = dict(os.environ, HEAPWALK_OOMER_AS=str(2 << 30), HEAPWALK_OOMER_RATE="256")
    env.pop("GOTRACEBACK", None)   # run --on-crash sets crash itself
    p = run([a.heapwalk, "run", "--on-crash", "-o", a.workdir + "/snaps", "--", oomer], env=env, timeout=120)
    # mallocgc says "out of memory", the page allocator "runtime: out of memory".
    if not re.search(r"fatal error: (runtime: )?out of memory", p.stderr):
        fail("the sample did not die of a Go out-of-memory fatal error")
    if p.returncode != 128 + signal.SIGABRT:
        fail("the process must still die of SIGABRT (status 134), got %d" % p.returncode)
    snaps = snapshots(a.workdir + "/snaps", r"^oomer-\d+-\d+-crash\.hwd$")
    if len(snaps) != 1:
        fail("want one crash snapshot, got %s" % os.listdir(a.workdir + "/snaps"))
    if not names_root(findings(a.heapwalk, snaps), "main.hoard"):
        fail("the crash snapshot's findings do not name main.hoard")

def start_oomer(a, env_extra=None):
    env = dict(os.environ, HEAPWALK_OOMER_RATE="16", **(env_extra or {}))
    p = subprocess.Popen([os.path.join(a.samples, "oomer")], stdout=subprocess.PIPE, text=True, env=env)
    for line in p.stdout:
        if line.startswith("oomer: 32 MiB"):
            return p
    fail("the oomer did not start")

def case_core_handler(a):
    if not shutil.which("gcore"):
        fail("gcore (gdb) is required")
    p = start_oomer(a)
    core = os.path.join(a.workdir, "core")
    try:
        g = run(["gcore", "-o", core, str(p.pid)], timeout=120)
        if g.returncode != 0:
            fail("gcore failed")
    finally:
        p.kill()
        p.wait()
    core = "%s.%d" % (core, p.pid)
    out = os.path.join(a.workdir, "crash")
    exe = os.path.join(a.samples, "oomer")
    size = os.path.getsize(core)
    for i in range(2):
        with open(core, "rb") as f:
            h = run([a.heapwalk, "core-handler", "-o", out, "--keep-core", "--exe", exe,
                     "--max-bytes", str(size + (8 << 20)), str(p.pid), "oomer"], stdin=f, timeout=120)
        if h.returncode != 0:
            fail("core-handler failed")
    names = sorted(os.listdir(out))
    hwd = [n for n in names if n.endswith(".hwd")]
    cores = [n for n in names if n.endswith(".core")]
    # Two runs of snapshot + core do not fit --max-bytes: the first run's core went.
    if len(cores) != 1 or len(hwd) < 1 or any(n.startswith(".") for n in names):
        fail("unexpected directory after two runs under --max-bytes: %s" % names)
    total = sum(os.path.getsize(os.path.join(out, n)) for n in names)
    if total > size + (8 << 20):
        fail("the directory holds %d bytes, over --max-bytes" % total)
    if os.path.getsize(os.path.join(out, cores[0])) != size and \
       subprocess.run(["cmp", core, os.path.join(out, cores[0])]).returncode != 0:
        fail("the kept core differs from the input")
    if not names_root(findings(a.heapwalk, [os.path.join(out, hwd[-1])]), "main.hoard"):
        fail("the core's snapshot does not name main.hoard")
    # A full disk: a 1 MiB tmpfs cannot take the core; the handler says so, drains stdin, and
    # leaves nothing behind.
    full = os.path.join(a.workdir, "full")
    os.makedirs(full, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", full]).returncode != 0:
        fail("cannot mount a small tmpfs for the full-disk check")
    try:
        with open(core, "rb") as f:
            h = run([a.heapwalk, "core-handler", "-o", full, "--exe", exe, str(p.pid), "oomer"], stdin=f, timeout=60)
            rest = f.read()
        if h.returncode == 0 or "disk is full" not in h.stderr:
            fail("a full disk must fail with a clear message")
        if rest:
            fail("the handler must read the whole core even when it cannot keep it")
        if os.listdir(full):
            fail("a full disk left files behind: %s" % os.listdir(full))
    finally:
        subprocess.run(["umount", full])

def case_docs(a):
    env = dict(os.environ, GOTOOLCHAIN="local", CGO_ENABLED="0", GOFLAGS="",
               PATH=os.pathsep.join([os.path.dirname(a.heapwalk), a.samples, os.path.dirname(a.go),
                                     os.environ["PATH"]]),
               HEAPWALK_SAMPLES=a.samples, HEAPWALK_SOURCE=a.source)
    tried = 0
    for page in ("capture-ci.md", "capture-systemd.md", "capture-core-handler.md"):
        text = open(os.path.join(a.source, "docs", page)).read()
        for m in re.finditer(r"<!-- test -->\n```(?:sh|console)\n(.*?)```", text, re.S):
            tried += 1
            wd = os.path.join(a.workdir, "%s-%d" % (page, tried))
            os.makedirs(wd, exist_ok=True)
            script = "set -e\ncd %s\n%s" % (wd, m.group(1))
            print("--- %s block %d" % (page, tried))
            p = run(["bash", "-c", script], env=env, timeout=170)
            if p.returncode != 0:
                fail("%s: a block marked <!-- test --> failed (status %d):\n%s" % (page, p.returncode, m.group(1)))
    if tried < 3:
        fail("expected at least one tested block per page, found %d" % tried)

def main():
    ap = argparse.ArgumentParser()
    for o in ("--case", "--heapwalk", "--samples", "--source", "--go", "--workdir"):
        ap.add_argument(o, required=True)
    a = ap.parse_args()
    a.heapwalk = os.path.abspath(a.heapwalk)
    go_ok(a.go)
    shutil.rmtree(a.workdir, ignore_errors=True)
    os.makedirs(a.workdir)
    {"oom-limit": case_oom_limit, "shared": case_shared, "gotest": case_gotest, "crash": case_crash,
     "core-handler": case_core_handler, "docs": case_docs}[a.case](a)
    print("ok")

main()
