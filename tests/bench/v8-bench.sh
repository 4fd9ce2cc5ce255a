#!/bin/sh
# v8-bench.sh - heapwalk vs memlab vs Chrome DevTools on one large V8 heap snapshot.
#
# Usage: tests/bench/v8-bench.sh HEAPWALK [N] [RUNS]
# Builds a snapshot with tests/v8/node/gen.js (N = 73000 gives about 3 million nodes), then
# runs each tool RUNS times (default 3) under GNU time and prints the median wall time, CPU
# time (user + system: the fairer number on a shared machine) and peak RSS per tool, as a
# Markdown table for docs/performance.md. Timings only: correctness is
# tests/v8's job. Needs node, the packages of tests/v8/node (npm ci) and /usr/bin/time.
set -eu
hw=$1
n=${2:-73000}
runs=${3:-3}
here=$(cd "$(dirname "$0")/../v8/node" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/heapwalk-v8-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
snap=$work/bench.heapsnapshot

node --expose-gc --max-old-space-size=12000 "$here/gen.js" "$n" "$snap"
counts=$(head -c 2000 "$snap" | grep -o '"node_count":[0-9]*,"edge_count":[0-9]*' | tr -dc '0-9,' | sed 's/,/ nodes, /')
echo "snapshot: $counts edges, $(du -m "$snap" | cut -f1) MB; node $(node --version); $(nproc) cores"

measure() { # name command...: median wall seconds, median CPU seconds, peak RSS (MB) over $runs runs
	name=$1; shift
	for i in $(seq "$runs"); do
		/usr/bin/time -f '%e %U %S %M' -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
		cat "$work/t"
	done | awk -v name="$name" -v runs="$runs" '
		{ t[NR] = $1; c[NR] = $2 + $3; m[NR] = $4 }
		function median(a,   i, j, x) {   # insertion sort of a[1..runs], then the middle
			for (i = 2; i <= runs; i++)
				for (j = i; j > 1 && a[j - 1] > a[j]; j--) { x = a[j]; a[j] = a[j - 1]; a[j - 1] = x }
			return a[int((runs + 1) / 2)]
		}
		END { printf "| %s | %.2f s | %.2f s | %.0f MB |\n", name, median(t), median(c), median(m) / 1024 }'
}

echo "| tool | wall time (median of $runs) | CPU time | peak RSS |"
echo "|---|---:|---:|---:|"
measure "heapwalk v8nodes, DevTools rules" "$hw" v8nodes "$snap"
measure "heapwalk v8nodes, memlab rules" "$hw" v8nodes --v8-rules=memlab "$snap"
measure "memlab 2.0.5 (getSnapshotFromFile + preparePathFinder)" node --max-old-space-size=16000 "$here/memlab-nodes.js" "$snap" -
measure "DevTools (heap-snapshot-toolkit 1.1.3 parse)" node --max-old-space-size=16000 "$here/devtools-nodes.mjs" "$snap" -
