// gen.js - builds a heap with known retention shapes and writes a V8 heap snapshot of it.
//
// Usage: node --expose-gc gen.js N OUT.heapsnapshot
// N scales the heap: a Map cache of N entries holding 1 KiB buffers, plus about 30 extra
// nodes per entry in the other structures (N = 10000 gives about 410k nodes). The shapes are
// the ones DevTools' and memlab's rules treat differently: WeakMap entries whose key or value
// is held elsewhere (both directions), closures sharing a context, a detached subtree kept
// alive only by a closure, and cycles dropped before the snapshot (the snapshot's GC collects
// them: they must not appear). tests/v8/run-compare.sh compares heapwalk with both tools on it.
'use strict';
const v8 = require('v8');

const n = Number(process.argv[2]);
const out = process.argv[3];
if (!(n > 0) || !out) {
  console.error('usage: node --expose-gc gen.js N OUT.heapsnapshot');
  process.exit(2);
}

class CacheEntry {
  constructor(id) {
    this.id = id;
    this.payload = Buffer.alloc(1024, id & 0xff);
  }
}
globalThis.cache = new Map();
for (let i = 0; i < n; i++) globalThis.cache.set('k' + i, new CacheEntry(i));

// WeakMaps in both directions: keys held by an array (values live through the ephemeron),
// and values held by an array while their keys are held by another structure.
class WKey { constructor(i) { this.i = i; } }
class WVal { constructor(i) { this.i = i; this.data = new Array(8).fill(i); } }
globalThis.wkeys = [];
globalThis.wm = new WeakMap();
for (let i = 0; i < n / 10; i++) {
  const k = new WKey(i);
  globalThis.wkeys.push(k);
  globalThis.wm.set(k, new WVal(i));
}
globalThis.wvals = [];
globalThis.wkeys2 = new Set();
globalThis.wm2 = new WeakMap();
for (let i = 0; i < n / 10; i++) {
  const k = new WKey(-i), v = new WVal(-i);
  v.back = k;                        // the value points back at its key
  globalThis.wkeys2.add(k);
  globalThis.wvals.push(v);
  globalThis.wm2.set(k, v);
}

// Closures sharing one context, each holding its own record.
function makeCounter(i) {
  const record = { i, history: [i, i + 1, i + 2] };
  return () => record.history.length + i;
}
globalThis.counters = [];
for (let i = 0; i < 2 * n; i++) globalThis.counters.push(makeCounter(i));

// A tree whose subtree is detached from it but kept alive by a closure.
class TreeNode { constructor(d) { this.d = d; this.children = []; this.parent = null; } }
function build(depth, fanout) {
  const root = new TreeNode(depth);
  const stack = [root];
  while (stack.length) {
    const t = stack.pop();
    if (t.d === 0) continue;
    for (let j = 0; j < fanout; j++) {
      const c = new TreeNode(t.d - 1);
      c.parent = t;
      t.children.push(c);
      stack.push(c);
    }
  }
  return root;
}
globalThis.tree = build(5, Math.max(2, Math.round(Math.pow(n / 2, 1 / 5))));
const detached = globalThis.tree.children.pop();
detached.parent = null;
globalThis.onDetached = () => detached.children.length;

// Plain records in a linked list (long dominator chains).
let head = null;
for (let i = 0; i < 10 * n; i++) head = { i, next: head, label: 'n' + (i % 97) };
globalThis.list = head;

// Unreachable cycles: garbage at snapshot time.
for (let i = 0; i < 100; i++) {
  const a = { name: 'cycleA' }, b = { name: 'cycleB', a };
  a.b = b;
}

if (global.gc) global.gc();
v8.writeHeapSnapshot(out);
