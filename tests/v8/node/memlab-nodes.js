// memlab-nodes.js - memlab's retained sizes and dominators, one TSV row per node.
//
// Usage: node memlab-nodes.js FILE.heapsnapshot OUT.tsv   (OUT "-": compute only, print timing)
// Columns: id self retained dom_id, straight from @memlab/core's own analysis (the expected
// values of tests/v8; nothing here computes them).
'use strict';
const fs = require('fs');
const { utils, analysis } = require('@memlab/core');

(async () => {
  const [file, out] = process.argv.slice(2);
  const t0 = Date.now();
  const snap = await utils.getSnapshotFromFile(file, { buildNodeIdIndex: true, verbose: false });
  analysis.preparePathFinder(snap);
  const ms = Date.now() - t0;
  if (out !== '-') {
    const fd = fs.openSync(out, 'w');
    let buf = 'id\tself\tretained\tdom_id\n';
    snap.nodes.forEach((node) => {
      const dom = node.dominatorNode;
      buf += `${node.id}\t${node.self_size}\t${node.retainedSize}\t${dom ? dom.id : ''}\n`;
      if (buf.length > 1 << 20) { fs.writeSync(fd, buf); buf = ''; }
    });
    fs.writeSync(fd, buf);
    fs.closeSync(fd);
  }
  console.error(JSON.stringify({ tool: 'memlab', nodes: snap.nodes.length, ms }));
})().catch((e) => { console.error(e); process.exit(1); });
