#!/usr/bin/env python3
"""test_pprof.py - checks `heapwalk pprof` profiles against hwgen's expectations and go tool pprof.

The profile is read by a protobuf decoder written here from the wire-format spec and
google/pprof's profile.proto; it shares nothing with src/export/. The oracle is hwgen's
--expect file (immediate dominators and retained sizes known by construction, see
samples/README.md), never heapwalk's own output. Groups (one meson test each):

  invariants  structure (string_table[0] == "", dense non-zero ids, every reference resolves,
              two values per sample) and, with --exact, flat and cum of every frame against the
              expected dominator tree, for chain, fanout and cachedag, in both modes
  labels      a hand-made heap: labels, [10+], folded runs, masked addresses, frame by frame
  bounds      with the default and tightened bounds: totals unchanged, sample cap and depth cap
              hold, runs and indices folded, the cap warning printed
  gotool      go tool pprof -raw and -top read the files and report the same totals
  diff        labels hold no addresses, and -diff_base between two dumps of the same shape works

Usage: test_pprof.py HEAPWALK HWGEN FIXTURE_WRITER GO GROUP
"""
import collections
import gzip
import os
import re
import stat
import subprocess
import sys
import tempfile

HEAPWALK, HWGEN, FIXTURE_WRITER, GO, GROUP = sys.argv[1:6]
TMP = tempfile.mkdtemp(prefix='hw-pprof-')
EXACT = ['--exact']


def fail(msg):
    print('FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


# ---- a minimal protobuf decoder (wire types 0 and 2 are all profile.proto uses; 1 and 5 skipped) ----

def varint(buf, i):
    shift = value = 0
    while True:
        check(i < len(buf), 'varint runs past the end')
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i
        check(shift < 70, 'varint longer than 10 bytes')


def fields(buf):
    """Yields (field number, wire type, value): an int for varints, bytes for length-delimited."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        num, wire = key >> 3, key & 7
        check(num > 0, 'field number 0')
        if wire == 0:
            v, i = varint(buf, i)
        elif wire == 2:
            n, i = varint(buf, i)
            check(i + n <= len(buf), 'length-delimited field runs past the end')
            v, i = buf[i:i + n], i + n
        elif wire == 1:
            v, i = buf[i:i + 8], i + 8
        elif wire == 5:
            v, i = buf[i:i + 4], i + 4
        else:
            fail('unknown wire type %d' % wire)
        yield num, wire, v


def repeated_ints(wire, v):
    """A repeated scalar, packed (wire 2) or not (wire 0)."""
    if wire == 0:
        return [v]
    out, i = [], 0
    while i < len(v):
        x, i = varint(v, i)
        out.append(x)
    return out


def message(buf, spec):
    """Decodes a message: spec maps field number -> (name, kind), kind 'int', 'ints', 'msgs'."""
    out = {name: ([] if kind != 'int' else 0) for name, kind in spec.values()}
    for num, wire, v in fields(buf):
        if num not in spec:
            continue
        name, kind = spec[num]
        if kind == 'int':
            check(wire == 0, 'field %s is not a varint' % name)
            out[name] = v
        elif kind == 'ints':
            out[name] += repeated_ints(wire, v)
        else:
            check(wire == 2, 'field %s is not length-delimited' % name)
            out[name].append(v)
    return out


VALUE_TYPE = {1: ('type', 'int'), 2: ('unit', 'int')}
SAMPLE = {1: ('location_id', 'ints'), 2: ('value', 'ints'), 3: ('label', 'msgs')}
MAPPING = {1: ('id', 'int'), 5: ('filename', 'int'), 7: ('has_functions', 'int')}
LOCATION = {1: ('id', 'int'), 2: ('mapping_id', 'int'), 4: ('line', 'msgs')}
LINE = {1: ('function_id', 'int'), 2: ('line', 'int')}
FUNCTION = {1: ('id', 'int'), 2: ('name', 'int'), 3: ('system_name', 'int'), 4: ('filename', 'int')}
PROFILE = {1: ('sample_type', 'msgs'), 2: ('sample', 'msgs'), 3: ('mapping', 'msgs'),
           4: ('location', 'msgs'), 5: ('function', 'msgs'), 6: ('string_table', 'msgs'),
           9: ('time_nanos', 'int'), 11: ('period_type', 'msgs'), 12: ('period', 'int'),
           13: ('comment', 'ints'), 14: ('default_sample_type', 'int')}


def decode(path):
    """Reads a profile, checks pprof's structural rules, returns (sample types, stacks) where
    each stack is (labels root first, [count, bytes])."""
    with open(path, 'rb') as f:
        raw = f.read()
    check(raw[:2] == b'\x1f\x8b', '%s is not gzipped' % path)
    p = message(gzip.decompress(raw), PROFILE)
    strings = [s.decode('utf-8') for s in p['string_table']]
    check(strings and strings[0] == '', 'string_table[0] must be ""')

    def s(i):
        check(0 <= i < len(strings), 'string index %d out of range' % i)
        return strings[i]

    types = [tuple(s(x) for x in (t['type'], t['unit']))
             for t in (message(b, VALUE_TYPE) for b in p['sample_type'])]
    check(types == [('inuse_objects', 'count'), ('inuse_space', 'bytes')], 'sample types %r' % types)
    check(len(p['period_type']) == 1, 'one period_type')
    pt = message(p['period_type'][0], VALUE_TYPE)
    check((s(pt['type']), s(pt['unit'])) == ('space', 'bytes'), 'period type')
    check(s(p['default_sample_type']) == 'inuse_space', 'default sample type')
    for c in p['comment']:
        s(c)
    mappings = [message(b, MAPPING) for b in p['mapping']]
    check(sorted(m['id'] for m in mappings) == list(range(1, len(mappings) + 1)), 'mapping ids dense')
    for m in mappings:
        s(m['filename'])

    functions = {}
    for b in p['function']:
        fn = message(b, FUNCTION)
        check(fn['id'] != 0 and fn['id'] not in functions, 'function id %d zero or repeated' % fn['id'])
        check(fn['system_name'] == 0, 'system_name set (pprof would demangle the name)')
        functions[fn['id']] = s(fn['name'])
    check(sorted(functions) == list(range(1, len(functions) + 1)), 'function ids not dense')
    locations = {}
    for b in p['location']:
        loc = message(b, LOCATION)
        check(loc['id'] != 0 and loc['id'] not in locations, 'location id %d zero or repeated' % loc['id'])
        check(loc['mapping_id'] == 0 or loc['mapping_id'] <= len(mappings), 'location mapping missing')
        lines = [message(x, LINE) for x in loc['line']]
        check(len(lines) == 1 and lines[0]['function_id'] in functions, 'location %d line' % loc['id'])
        locations[loc['id']] = functions[lines[0]['function_id']]
    check(sorted(locations) == list(range(1, len(locations) + 1)), 'location ids not dense')
    check(len(set(locations.values())) == len(locations), 'two locations with the same label')

    stacks = []
    for b in p['sample']:
        sm = message(b, SAMPLE)
        check(len(sm['value']) == 2, 'sample with %d values' % len(sm['value']))
        check(sm['location_id'], 'sample with no locations')
        for lid in sm['location_id']:
            check(lid in locations, 'sample names missing location %d' % lid)
        stacks.append(([locations[l] for l in reversed(sm['location_id'])], sm['value']))
    keys = [tuple(st) for st, _ in stacks]
    check(len(set(keys)) == len(keys), 'identical stacks not aggregated')
    return stacks


def trie(stacks, skip=('(several roots)',)):
    """Frames (stack prefixes) -> [flat count, flat bytes, cum count, cum bytes]; `skip` labels
    stand for no object and do not count as a level."""
    frames = collections.defaultdict(lambda: [0, 0, 0, 0])
    for labels, (count, size) in stacks:
        f = frames[tuple(labels)]
        f[0] += count
        f[1] += size
        for k in range(1, len(labels) + 1):
            c = frames[tuple(labels[:k])]
            c[2] += count
            c[3] += size
    depth = {k: sum(1 for l in k if l not in skip) for k in frames}
    return frames, depth


# ---- the oracle: hwgen --expect ----

def expect(path):
    keys, idom, retained = {}, {}, {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith('#'):
                continue
            if w[0] == 'object':
                if w[2] != 'none':
                    idom[int(w[1])] = None if w[2] == 'root' else int(w[2])
                    retained[int(w[1])] = int(w[3])
            else:
                keys[w[0]] = w[1]
    # Self size from the tree: retained minus the children's retained; depth from the idoms.
    size = dict(retained)
    for v, d in idom.items():
        if d is not None:
            size[d] -= retained[v]
    depth = {}
    for v in idom:
        chain = []
        while v not in depth and v is not None:
            chain.append(v)
            v = idom[v]
        base = 0 if v is None else depth[v]
        for u in reversed(chain):
            base += 1
            depth[u] = base
    return keys, idom, retained, size, depth


def gen(shape, n, seed, name):
    snap, exp = os.path.join(TMP, name + '.hwd'), os.path.join(TMP, name + '.expect')
    subprocess.run([HWGEN, '--shape', shape, '--objects', str(n), '--seed', str(seed),
                    '-o', snap, '--expect', exp], check=True)
    return snap, exp


def pprof(snap, name, *opts):
    out = os.path.join(TMP, name + '.pb.gz')
    r = subprocess.run([HEAPWALK, 'pprof', snap, '-o', out] + list(opts), capture_output=True, text=True)
    check(r.returncode == 0, 'heapwalk pprof %s failed: %s' % (' '.join(opts), r.stderr))
    return out, r.stderr


def totals(stacks):
    return sum(v[0] for _, v in stacks), sum(v[1] for _, v in stacks)


# ---- groups ----

def group_invariants():
    for shape, n in (('chain', 300), ('fanout', 300), ('cachedag', 3000)):
        snap, exp = gen(shape, n, 7, shape)
        keys, idom, retained, size, odepth = expect(exp)
        want = (int(keys['reachable_objects']), int(keys['reachable_bytes']))
        for mode in ('dominators', 'paths'):
            stacks = decode(pprof(snap, shape + '-' + mode, '--mode', mode, *EXACT)[0])
            check(totals(stacks) == want, '%s %s: totals %r, expected %r' % (shape, mode, totals(stacks), want))
            if mode != 'dominators':
                continue
            frames, depth = trie(stacks)
            # Per level of the dominator tree: the frames hold exactly the objects at that level
            # (flat) and what they retain (cum).
            by_level = collections.defaultdict(lambda: [0, 0, 0])
            for k, f in frames.items():
                if k[-1] != '(several roots)':
                    by_level[depth[k]][0] += f[1]
                    by_level[depth[k]][1] += f[3]
                    by_level[depth[k]][2] += f[2]
            want_level = collections.defaultdict(lambda: [0, 0, 0])
            for v, d in odepth.items():
                want_level[d][0] += size[v]
                want_level[d][1] += retained[v]
            for v, d in odepth.items():
                for u in range(1, d + 1):
                    want_level[u][2] += 1
            check(dict(by_level) == dict(want_level), '%s: per-level flat/cum differ' % shape)
            if shape == 'chain':
                # Every object has its own stack here: the frames' cum values are exactly the
                # retained sizes, level by level.
                got = sorted((depth[k], f[3]) for k, f in frames.items())
                exp_cum = sorted((odepth[v], retained[v]) for v in retained)
                check(got == exp_cum, '%s: frame cum values differ from retained sizes' % shape)
            if shape == 'cachedag':
                top = [f[3] for k, f in frames.items() if len(k) == 1 and k[0].startswith(keys['top_root'] + ' (')]
                check(top == [int(keys['cache_bytes'])], 'cachedag: %s cum %r, expected %s'
                      % (keys['top_root'], top, keys['cache_bytes']))


def group_bounds():
    snap, exp = gen('cachedag', 20000, 3, 'big')
    keys = expect(exp)[0]
    want = (int(keys['reachable_objects']), int(keys['reachable_bytes']))
    out, err = pprof(snap, 'default')
    stacks = decode(out)
    check(totals(stacks) == want, 'defaults: totals %r, expected %r' % (totals(stacks), want))
    check(len(stacks) <= 10000, 'default sample cap')
    exact = decode(pprof(snap, 'exact', *EXACT)[0])
    check(len(exact) > 8, 'the exact profile should have more samples than the cap (%d)' % len(exact))
    out, err = pprof(snap, 'capped', '--max-samples', '8')
    stacks = decode(out)
    check(totals(stacks) == want, 'capped: totals changed')
    check(len(stacks) <= 8, 'capped: %d samples over 8' % len(stacks))
    check('warning' in err and '--max-samples' in err, 'capped: no warning on stderr: %r' % err)
    check(any(st[-1] == '(other)' for st, _ in stacks), 'capped: no (other) frame')
    out, _ = pprof(snap, 'shallow', '--max-depth', '2', '--min-fraction', '0', '--max-samples', '0')
    stacks = decode(out)
    check(totals(stacks) == want and max(len(st) for st, _ in stacks) <= 2, 'depth cap')

    # A linked list: the run of next frames folds into one (node types vary by seed, so count
    # runs of equal consecutive labels in the exact profile instead of assuming one).
    snap, exp = gen('chain', 5000, 2, 'list')
    keys = expect(exp)[0]
    want = (int(keys['reachable_objects']), int(keys['reachable_bytes']))
    stacks = decode(pprof(snap, 'list', '--max-depth', '0', '--min-fraction', '0', '--max-samples', '0')[0])
    check(totals(stacks) == want, 'folded list: totals')
    deepest = max(stacks, key=lambda s: len(s[0]))[0]
    check(all(a != b for a, b in zip(deepest, deepest[1:])), 'a run of equal frames survived folding')
    check(len(deepest) < 5000, 'the list was not folded (%d frames)' % len(deepest))
    stacks = decode(pprof(snap, 'list-default')[0])
    check(totals(stacks) == want and max(len(st) for st, _ in stacks) <= 64, 'default depth cap')


def fixture(name, lines):
    snap = os.path.join(TMP, name + '.hwd')
    subprocess.run([FIXTURE_WRITER, snap], input='\n'.join('\t'.join(map(str, l)) for l in lines) + '\n',
                   text=True, check=True)
    return snap


def group_labels():
    """A hand-made heap whose exact profile is known frame by frame: a global slice of 30 items
    (indices from 10 on fold into [10+]), a 50-node list (the next run folds into one frame),
    and a root whose name holds an address (masked)."""
    lines, addr = [], 0xc000000000
    def obj(size, tname, kind):
        lines.append(('object', '0x%x' % (addr + 0x100 * len([l for l in lines if l[0] == 'object'])), size, tname, kind))
    obj(240, '[]*main.Item', 3)
    for _ in range(30):
        obj(32, 'main.Item', 1)
    for _ in range(50):
        obj(16, 'main.node', 1)
    obj(8, 'main.res', 1)
    lines += [('edge', 0, 1 + i, 0, '[%d]' % i, 8 * i) for i in range(30)]
    lines += [('edge', 31 + i, 32 + i, 0, 'next', 0) for i in range(49)]
    lines += [('root', 1, 0, 'main.items', -1, -1), ('root', 1, 31, 'main.list', -1, -1),
              ('root', 4, 81, 'finalizer for 0xc000abcdef', -1, -1)]
    snap = fixture('labels', lines)
    got = {tuple(st): tuple(v) for st, v in decode(pprof(snap, 'labels')[0])}
    items, lst = 'main.items ([]*main.Item)', 'main.list (main.node)'
    want = {(items,): (1, 240), (lst,): (1, 16), (lst, 'next (main.node)'): (49, 49 * 16),
            ('finalizer for 0x? (main.res)',): (1, 8), (items, '[10+] (main.Item)'): (20, 20 * 32)}
    for i in range(10):
        want[(items, '[%d] (main.Item)' % i)] = (1, 32)
    check(got == want, 'labels: got %r' % got)
    got = {tuple(st): tuple(v) for st, v in decode(pprof(snap, 'labels-exact', *EXACT)[0])}
    check(len(got) == 1 + 30 + 50 + 1 and (items, '[29] (main.Item)') in got, 'labels --exact: %r' % got)
    # -o naming a FIFO (or a device) writes into it; it is never replaced by a regular file.
    fifo = os.path.join(TMP, 'fifo')
    os.mkfifo(fifo)
    reader = subprocess.Popen(['cat', fifo], stdout=subprocess.PIPE)
    pprof_to = subprocess.run([HEAPWALK, 'pprof', snap, '-o', fifo], capture_output=True)
    data = reader.communicate()[0]
    check(pprof_to.returncode == 0 and data[:2] == b'\x1f\x8b', '-o FIFO: nothing written')
    check(stat.S_ISFIFO(os.stat(fifo).st_mode), '-o FIFO replaced the FIFO')


def go_tool(*args):
    r = subprocess.run([GO, 'tool', 'pprof'] + list(args), capture_output=True, text=True)
    check(r.returncode == 0, 'go tool pprof %s failed: %s' % (' '.join(args), r.stderr))
    return r.stdout


def group_gotool():
    check(os.path.exists(GO) or GO, 'go is required')
    r = subprocess.run([GO, 'version'], capture_output=True, text=True)
    m = re.search(r'go1\.(\d+)', r.stdout)
    check(r.returncode == 0 and m and int(m.group(1)) >= 22, 'go >= 1.22 is required: %r' % r.stdout)
    snap, exp = gen('cachedag', 5000, 1, 'go')
    keys = expect(exp)[0]
    for mode in ('dominators', 'paths'):
        out, _ = pprof(snap, 'go-' + mode, '--mode', mode)
        raw = go_tool('-raw', out)
        rows = re.findall(r'^\s+(\d+)\s+(\d+): [\d ]+$', raw, re.M)
        check(rows, '-raw printed no samples')
        check(sum(int(b) for _, b in rows) == int(keys['reachable_bytes']), '-raw bytes total')
        check(sum(int(c) for c, _ in rows) == int(keys['reachable_objects']), '-raw objects total')
        top = go_tool('-top', '-unit=B', out)
        m = re.search(r'of (\d+)B total', top)
        check(m and int(m.group(1)) == int(keys['reachable_bytes']), '-top total: %r' % top[:400])
        top = go_tool('-top', '-sample_index=inuse_objects', out)
        m = re.search(r'of (\d+) total', top)
        check(m and int(m.group(1)) == int(keys['reachable_objects']), '-top objects total')
        check('payload ([]uint8)' in go_tool('-top', out), 'labels mangled by pprof')
        if mode == 'dominators':
            top = go_tool('-top', '-unit=B', '-nodefraction=0', out)
            row = [l for l in top.splitlines() if l.endswith(' main.sessionCache (map[string]*main.Session)')]
            check(row and row[0].split()[3] == keys['cache_bytes'] + 'B', '-top cum of the cache: %r' % row)
        go_tool('-traces', out)


def group_diff():
    a, ea = gen('cachedag', 5000, 1, 'night1')
    b, eb = gen('cachedag', 8000, 2, 'night2')
    pa, pb = pprof(a, 'night1')[0], pprof(b, 'night2')[0]
    hexnum = re.compile(r'0x[0-9a-fA-F]+|\b[0-9a-f]{8,}\b')
    sa, sb = decode(pa), decode(pb)
    for stacks in (sa, sb):
        for st, _ in stacks:
            for l in st:
                check(not hexnum.search(l), 'label with an address: %r' % l)
    la = {l for st, _ in sa for l in st}
    lb = {l for st, _ in sb for l in st}
    check(la & lb and 'payload ([]uint8)' in la & lb, 'no common labels between two dumps')
    ka, kb = expect(ea)[0], expect(eb)[0]
    top = go_tool('-top', '-unit=B', '-nodefraction=0', '-diff_base=' + pa, pb)
    m = re.search(r'of (-?\d+)B total', top)
    check(m, '-diff_base printed no total: %r' % top[:400])
    # pprof's diff total is relative to the base: the new total minus the old one.
    want = int(kb['reachable_bytes']) - int(ka['reachable_bytes'])
    got = sum(int(x) for x in re.findall(r'^\s*(-?\d+)B ', top, re.M))
    check(got == want, '-diff_base flat sum %d, expected %d' % (got, want))


GROUPS = {'invariants': group_invariants, 'labels': group_labels, 'bounds': group_bounds, 'gotool': group_gotool, 'diff': group_diff}
if GROUP not in GROUPS:
    fail('unknown group ' + GROUP)
GROUPS[GROUP]()
print('ok: pprof ' + GROUP)
