#!/bin/sh
# run-bench.sh - the pipeline benchmark: generate big snapshots, time each analysis phase.
#
# Builds hwgen and bench-pipeline in a release (-O2) build directory if needed, generates a
# random snapshot (10M objects, 30M edges by default), a chain (10M deep) and a cache-like
# DAG (10M objects) into a scratch directory, runs bench-pipeline on each (which also checks
# the results against hwgen's expectations), and prints a summary table. Results go in docs/performance.md.
#
# Usage: tests/bench/run-bench.sh [OBJECTS [EDGES]]      (counts accept k/M/G suffixes)
# Environment:
#   HWGEN, BENCH_PIPELINE  use these executables instead of building (meson benchmark sets them)
#   HW_BENCH_BUILD         release build directory (default: <source>/build-release)
#   HW_BENCH_DIR           where the snapshots go (default: /tmp/heapwalk-bench); 2.5 GB free needed
#   HW_BENCH_KEEP=1        keep the snapshots afterwards
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
objects=${1:-10M}
edges=${2:-30M}
dir=${HW_BENCH_DIR:-/tmp/heapwalk-bench}

if [ -z "${HWGEN:-}" ] || [ -z "${BENCH_PIPELINE:-}" ]; then
	build=${HW_BENCH_BUILD:-$src/build-release}
	if [ ! -f "$build/build.ninja" ]; then
		meson setup "$build" "$src" --buildtype=release -Doptimization=2 -Db_ndebug=true >/dev/null
	fi
	ninja -C "$build" -j2 samples/gen/hwgen tests/bench/bench-pipeline >/dev/null
	HWGEN=$build/samples/gen/hwgen
	BENCH_PIPELINE=$build/tests/bench/bench-pipeline
fi

mkdir -p "$dir"
cleanup() {
	[ "${HW_BENCH_KEEP:-0}" = 1 ] || rm -f "$dir"/bench-*.hwsnap "$dir"/bench-*.expect
}
trap cleanup EXIT

# expect_key FILE KEY: a summary value from an hwgen expectations file.
expect_key() {
	awk -v k="$2" '$1 == k { print $2 }' "$1"
}

summary=""
run_one() {  # NAME, then hwgen arguments
	name=$1
	shift
	snap=$dir/bench-$name.hwsnap
	exp=$dir/bench-$name.expect
	echo "== $name: hwgen $* =="
	start=$(date +%s.%N)
	"$HWGEN" "$@" --seed 1 -o "$snap" --expect "$exp"
	end=$(date +%s.%N)
	echo "generated in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }') s, $(du -m "$snap" | cut -f1) MiB"
	# Also a correctness check at scale: bench-pipeline compares its results with hwgen's
	# expectations (reachability; for the chain every object's idom and retained size).
	out=$("$BENCH_PIPELINE" "$snap" "$exp") || true
	echo "$out"
	check=$(echo "$out" | awk '$1 == "oracle" { sub(":", "", $2); print $2 }')
	[ -n "$check" ] || check="bench-pipeline failed"
	echo
	# "whole pipeline WALL CPU MIB B/OBJ"
	whole=$(echo "$out" | awk '$1 == "whole" { printf "%10s %10s %12s", $3, $4, $6 }')
	summary="$summary$(printf '%-8s %12s %12s %s  %s' "$name" \
		"$(expect_key "$exp" objects)" "$(expect_key "$exp" edges)" "$whole" "$check")
"
}

run_one random --shape random --objects "$objects" --edges "$edges"
run_one chain --shape chain --objects "$objects"
run_one cachedag --shape cachedag --objects "$objects"

echo "== summary ($(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load average $(cut -d' ' -f1-3 /proc/loadavg)) =="
printf '%-8s %12s %12s %10s %10s %12s  %s\n' shape objects edges "wall s" "cpu s" "peak B/obj" oracle
printf '%s' "$summary"
echo "targets: whole pipeline <= 5 s; <= 24 B/object peak beyond the mapped file"
