#!/bin/sh
# run-compare.sh - heapwalk's V8 retained sizes and dominators against memlab's and DevTools'.
#
# Usage: run-compare.sh HEAPWALK generated|fixtures [TEST-V8-GRAPH]
# generated: a Node program (node/gen.js) builds a ~410k-node heap and snapshots it;
# fixtures: node/fixtures.js writes the hand-made corner cases. For every snapshot and both
# rule sets, `heapwalk v8nodes` is joined node by node with the tool's own output
# (node/memlab-nodes.js, node/devtools-nodes.mjs): any difference fails the test. The expected
# values are computed by the tools here, at test time. Node.js and the npm packages of
# node/package.json (installed by scripts/test.sh: `npm ci` in tests/v8/node) are required:
# without them the test fails. TEST-V8-GRAPH (test-v8-graph.c), when given, also checks the
# in-memory graph of `v8nodes` against the converted file on every snapshot.
set -eu
hw=$1
what=$2
graph_test=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
node_dir=$here/node

if ! command -v node >/dev/null 2>&1; then
	echo "FAIL: node (Node.js) is not on PATH; scripts/deps.sh installs it (Debian: nodejs npm)" >&2
	exit 1
fi
if [ ! -d "$node_dir/node_modules/@memlab/core" ] || [ ! -d "$node_dir/node_modules/heap-snapshot-toolkit" ]; then
	echo "FAIL: the reference tools are not installed; run: (cd tests/v8/node && npm ci --ignore-scripts)" >&2
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/heapwalk-v8-test-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

case $what in
generated)
	node --expose-gc "$node_dir/gen.js" 10000 "$work/gen.heapsnapshot"
	;;
fixtures)
	node "$node_dir/fixtures.js" "$work"
	;;
*)
	echo "usage: run-compare.sh HEAPWALK generated|fixtures" >&2
	exit 2
	;;
esac

status=0
for snap in "$work"/*.heapsnapshot; do
	b=${snap%.heapsnapshot}
	node --max-old-space-size=4096 "$node_dir/memlab-nodes.js" "$snap" "$b.memlab.tsv" >/dev/null 2>"$b.memlab.log" ||
		{ cat "$b.memlab.log" >&2; exit 1; }
	node --max-old-space-size=4096 "$node_dir/devtools-nodes.mjs" "$snap" "$b.devtools.tsv" 2>"$b.devtools.log" ||
		{ cat "$b.devtools.log" >&2; exit 1; }
	for rules in devtools memlab; do
		"$hw" v8nodes --v8-rules=$rules "$snap" >"$b.hw-$rules.tsv"
		node "$node_dir/compare.js" "$b.hw-$rules.tsv" "$b.$rules.tsv" "$rules on $(basename "$snap")" || status=1
	done
done

if [ -n "$graph_test" ]; then
	"$graph_test" "$work"/*.heapsnapshot || status=1
fi

# The analysis commands read a .heapsnapshot directly, and `import v8` writes a snapshot that
# reads back with the same numbers (DevTools' rules by default).
first=$(ls "$work"/*.heapsnapshot | head -n 1)
"$hw" top --limit 3 "$first" >"$work/top.txt"
"$hw" import v8 "$first" -o "$work/imported.hwd" 2>"$work/import.log"
"$hw" check "$work/imported.hwd" >/dev/null
"$hw" top --limit 3 "$work/imported.hwd" >"$work/top-imported.txt"
if ! diff "$work/top.txt" "$work/top-imported.txt" >/dev/null; then
	echo "FAIL: top differs between the .heapsnapshot and its import" >&2
	status=1
fi
exit $status
