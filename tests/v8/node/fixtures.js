// fixtures.js - writes small hand-made V8 heap snapshots, one per retention corner case.
//
// Usage: node fixtures.js OUTDIR
// Each fixture is a graph the DevTools and memlab rules treat in a particular way (see
// docs/v8.md, "Rules"): weak and shortcut edges, self edges, WeakMap ephemerons in both
// directions, orphans (only weakly retained), unreachable cycles ("cliques") pointing into the
// reachable heap, root_index != 0, "(Document DOM trees)", hidden/array chains owned by one
// object or shared, and a meta with its fields in another order. Only the graphs are written
// here; the expected numbers come from the tools at test time (run-compare.sh).
'use strict';
const fs = require('fs');
const path = require('path');

const NODE_TYPES = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native',
  'synthetic', 'concatenated string', 'sliced string', 'symbol', 'bigint', 'object shape', 'wasm object'];
const EDGE_TYPES = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];

// nodes: [type, name, id, self]; edges: [from, type, name_or_index, to] (node positions).
// opts.nodeFields reorders the node fields; opts.rootIndex puts the root elsewhere.
function write(dir, file, nodes, edges, opts = {}) {
  const fields = opts.nodeFields || ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'];
  const strings = [''];
  const str = (s) => { let i = strings.indexOf(s); if (i < 0) { i = strings.length; strings.push(s); } return i; };
  const nf = fields.length;
  const out = [];
  const flatEdges = [];
  nodes.forEach(([type, name, id, self], v) => {
    const mine = edges.filter((e) => e[0] === v);
    const val = { type: NODE_TYPES.indexOf(type), name: str(name), id, self_size: self, edge_count: mine.length,
      trace_node_id: 0, detachedness: 0 };
    if (val.type < 0) throw new Error('bad type ' + type);
    for (const f of fields) out.push(val[f]);
    for (const [, t, name2, to] of mine) {
      const et = EDGE_TYPES.indexOf(t);
      if (et < 0) throw new Error('bad edge type ' + t);
      flatEdges.push(et, t === 'element' || t === 'hidden' ? name2 : str(name2), to * nf);
    }
  });
  const types = fields.map((f) => (f === 'type' ? NODE_TYPES : f === 'name' ? 'string' : 'number'));
  const snap = {
    snapshot: {
      meta: {
        node_fields: fields, node_types: types,
        edge_fields: ['type', 'name_or_index', 'to_node'], edge_types: [EDGE_TYPES, 'string_or_number', 'node'],
        trace_function_info_fields: ['function_id', 'name', 'script_name', 'script_id', 'line', 'column'],
        trace_node_fields: ['id', 'function_info_index', 'count', 'size', 'children'],
        sample_fields: ['timestamp_us', 'last_assigned_id'],
        location_fields: ['object_index', 'script_id', 'line', 'column'],
      },
      node_count: nodes.length, edge_count: flatEdges.length / 3, trace_function_count: 0,
    },
    nodes: out, edges: flatEdges, trace_function_infos: [], trace_tree: [], samples: [], locations: [], strings,
  };
  if (opts.rootIndex !== undefined) snap.snapshot.root_index = opts.rootIndex * nf;
  fs.writeFileSync(path.join(dir, file), JSON.stringify(snap));
}

// The frame every fixture shares: root -> (GC roots), root =shortcut=> global.
function base() {
  return {
    nodes: [['synthetic', '', 1, 0], ['synthetic', '(GC roots)', 3, 0], ['object', 'global', 5, 100]],
    edges: [[0, 'element', 1, 1], [0, 'shortcut', 'global', 2]],
  };
}
function add(g, node) { g.nodes.push(node); return g.nodes.length - 1; }

const dir = process.argv[2];
if (!dir) { console.error('usage: node fixtures.js OUTDIR'); process.exit(2); }

{ // weak, shortcut and self edges; a hidden chain owned by one object, an array shared by two
  const g = base();
  const a = add(g, ['object', 'A', 7, 40]), b = add(g, ['object', 'B', 9, 30]);
  const h1 = add(g, ['hidden', 'system / H1', 11, 16]), h2 = add(g, ['array', '(object elements)', 13, 24]);
  const shared = add(g, ['array', '(shared)', 15, 64]), w = add(g, ['object', 'OnlyWeak', 17, 8]);
  const ext = add(g, ['native', 'system / ExternalStringData', 19, 128]);
  g.edges.push([2, 'property', 'a', a], [2, 'property', 'b', b], [a, 'internal', 'h', h1], [h1, 'hidden', 0, h2],
    [a, 'internal', 's', shared], [b, 'internal', 's', shared], [a, 'weak', 'w', w], [b, 'shortcut', 'sc', a],
    [b, 'property', 'self', b], [b, 'internal', 'ext', ext], [1, 'element', 0, b]);
  write(dir, 'edges.heapsnapshot', g.nodes, g.edges);
}
{ // WeakMap ephemerons in both directions (DevTools drops table->value, memlab keeps it)
  const g = base();
  const wm = add(g, ['object', 'WeakMap', 21, 32]), table = add(g, ['array', '(table)', 23, 80]);
  const keys = add(g, ['object', 'Array', 25, 32]), k1 = add(g, ['object', 'Key', 27, 16]), v1 = add(g, ['object', 'Val', 29, 48]);
  const vals = add(g, ['object', 'Array', 31, 32]), k2 = add(g, ['object', 'Key', 33, 16]), v2 = add(g, ['object', 'Val', 35, 48]);
  const eph = (k, kid, vid) => `${k} / part of key (Key @${kid}) -> value (Val @${vid}) pair in WeakMap (table @23)`;
  g.edges.push([2, 'property', 'wm', wm], [wm, 'internal', 'table', table], [2, 'property', 'keys', keys],
    [keys, 'element', 0, k1], [table, 'internal', eph(1, 27, 29), v1], [k1, 'internal', eph(1, 27, 29), v1],
    [2, 'property', 'vals', vals], [vals, 'element', 0, v2], [v2, 'property', 'back', k2],
    [table, 'internal', eph(2, 33, 35), v2], [k2, 'internal', eph(2, 33, 35), v2], [table, 'weak', 'key', k2]);
  write(dir, 'weakmap.heapsnapshot', g.nodes, g.edges);
}
{ // orphans and cliques: only-weakly-retained nodes with subtrees, cycles pointing into the heap
  const g = base();
  const x = add(g, ['object', 'X', 41, 10]), y = add(g, ['object', 'Y', 43, 20]);
  const o1 = add(g, ['object', 'Orphan', 45, 30]), o1c = add(g, ['object', 'OrphanChild', 47, 5]);
  const c1 = add(g, ['object', 'CycleA', 49, 11]), c2 = add(g, ['object', 'CycleB', 51, 13]);
  const c3 = add(g, ['object', 'CycleC', 53, 17]), c4 = add(g, ['object', 'SelfOnly', 55, 19]);
  const c5 = add(g, ['object', 'SelfOnlyChild', 57, 23]), s1 = add(g, ['object', 'ShortcutOnly', 59, 29]);
  g.edges.push([2, 'property', 'x', x], [x, 'property', 'y', y], [x, 'weak', 'o', o1], [o1, 'property', 'c', o1c],
    [o1c, 'property', 'y', y], [c1, 'property', 'b', c2], [c2, 'property', 'a', c1], [c2, 'property', 'y', y],
    [c3, 'property', 'a', c1], [c1, 'property', 'x', x], [c4, 'internal', 'me', c4], [c4, 'property', 'k', c5],
    [c5, 'property', 'y', y], [x, 'shortcut', 'sc', s1], [s1, 'property', 'y', y]);
  // pure cycles, no way in: P <-> Q with Q -> y, and R -> S -> T -> R with S -> x
  const p = add(g, ['object', 'P', 61, 31]), q = add(g, ['object', 'Q', 63, 37]);
  const r = add(g, ['object', 'R', 65, 41]), s = add(g, ['object', 'S', 67, 43]), t = add(g, ['object', 'T', 69, 47]);
  g.edges.push([p, 'property', 'q', q], [q, 'property', 'p', p], [q, 'property', 'y', y],
    [t, 'property', 'r', r], [r, 'property', 's', s], [s, 'property', 't', t], [s, 'property', 'x', x]);
  write(dir, 'unreachable.heapsnapshot', g.nodes, g.edges);
}
{ // the root last (root_index), DOM trees, and node fields in another order
  const nodes = [['object', 'global', 5, 100], ['synthetic', '(Document DOM trees)', 7, 0],
    ['native', 'Detached HTMLDivElement', 9, 200], ['object', 'Holder', 11, 16], ['hidden', 'system / Ctx', 13, 40],
    ['synthetic', '(GC roots)', 3, 0], ['synthetic', '', 1, 0]];
  const edges = [[6, 'shortcut', 'global', 0], [6, 'element', 1, 1], [6, 'element', 2, 5], [1, 'element', 0, 2],
    [0, 'property', 'h', 3], [3, 'property', 'div', 2], [5, 'element', 0, 3], [3, 'internal', 'ctx', 4],
    [2, 'internal', 'ctx', 4]];
  write(dir, 'rootlast.heapsnapshot', nodes, edges,
    { rootIndex: 6, nodeFields: ['id', 'edge_count', 'name', 'detachedness', 'type', 'self_size', 'trace_node_id'] });
}
