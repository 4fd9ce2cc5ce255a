// devtools-nodes.mjs - Chrome DevTools' retained sizes and dominators, one TSV row per node.
//
// Usage: node devtools-nodes.mjs FILE.heapsnapshot OUT.tsv   (OUT "-": compute only)
// Columns: id self retained dom_id, from the DevTools heap snapshot worker bundled by
// heap-snapshot-toolkit (self sizes as DevTools shows them, after its shallow-size folding).
import fs from 'node:fs';
import { parse } from 'heap-snapshot-toolkit';

const [file, out] = process.argv.slice(2);
const t0 = Date.now();
const snap = await parse(fs.createReadStream(file));
const ms = Date.now() - t0;
const nf = snap.nodeFieldCount;
const n = snap.nodeCount;
if (out !== '-') {
  const fd = fs.openSync(out, 'w');
  let buf = 'id\tself\tretained\tdom_id\n';
  const id = (ord) => snap.nodes.getValue(ord * nf + snap.nodeIdOffset);
  for (let v = 0; v < n; v++) {
    const self = snap.nodes.getValue(v * nf + snap.nodeSelfSizeOffset);
    buf += `${id(v)}\t${self}\t${snap.retainedSizes[v]}\t${id(snap.dominatorsTree[v])}\n`;
    if (buf.length > 1 << 20) { fs.writeSync(fd, buf); buf = ''; }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
}
console.error(JSON.stringify({ tool: 'devtools', nodes: n, ms }));
