// compare.js - joins heapwalk's per-node TSV with a tool's on the node id and counts differences.
//
// Usage: node compare.js HEAPWALK.tsv TOOL.tsv TOOLNAME
// HEAPWALK.tsv: id type name self retained dom_id (heapwalk v8nodes); TOOL.tsv: id self
// retained dom_id. Exits 1, printing the first differences, if any node differs in self size,
// retained size or dominator, or if the two files do not list the same nodes.
'use strict';
const fs = require('fs');

const [ours, theirs, tool] = process.argv.slice(2);
function load(file, cols) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const head = lines[0].split('\t');
  const at = cols.map((c) => head.indexOf(c));
  if (at.some((i) => i < 0)) throw new Error(`${file}: header lacks one of ${cols}`);
  const rows = new Map();
  for (let k = 1; k < lines.length; k++) {
    if (lines[k] === '') continue;
    const f = lines[k].split('\t');
    const id = f[at[0]];
    if (rows.has(id)) throw new Error(`${file}: node id ${id} twice`);
    rows.set(id, at.map((i) => f[i]));
  }
  return rows;
}
const cols = ['id', 'self', 'retained', 'dom_id'];
const a = load(ours, cols.concat(['type', 'name']));
const b = load(theirs, cols);
const diff = { missing: 0, extra: 0, self: 0, retained: 0, dom: 0 };
const shown = [];
for (const [id, ra] of a) {
  const rb = b.get(id);
  if (!rb) { diff.extra++; continue; }
  const d = [];
  if (Number(ra[1]) !== Number(rb[1])) { diff.self++; d.push(`self ${ra[1]} vs ${rb[1]}`); }
  if (Number(ra[2]) !== Number(rb[2])) { diff.retained++; d.push(`retained ${ra[2]} vs ${rb[2]}`); }
  if (ra[3] !== rb[3]) { diff.dom++; d.push(`dom @${ra[3]} vs @${rb[3]}`); }
  if (d.length && shown.length < 10) shown.push(`  @${id} ${ra[4]} "${ra[5]}": ${d.join(', ')}`);
}
for (const id of b.keys()) if (!a.has(id)) diff.missing++;
const total = diff.missing + diff.extra + diff.self + diff.retained + diff.dom;
console.log(`heapwalk vs ${tool}: ${a.size} nodes; differences: ${JSON.stringify(diff)}`);
if (shown.length) console.log(shown.join('\n'));
process.exit(total === 0 ? 0 : 1);
