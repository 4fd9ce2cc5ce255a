#!/bin/sh
# go-heap-bench.sh - the analysis pipeline on a real Go heap of 10M objects and 32.5M pointers.
#
# run-bench.sh times the pipeline on hwgen's synthetic shapes; this times it on what the dumper
# really writes: samples/go/socialgraph (2.5M people, each with a name, a profile and 8
# friends, mostly allocated nearby, some anywhere; see its header) is built and started,
# captured live with `heapwalk dump` (compressed, the default, and --no-compress), and
# bench-pipeline runs on each snapshot: wall and CPU time and peak anonymous memory per phase,
# as in run-bench.sh. Its oracle line compares the snapshot's totals with nothing (hwgen
# expectations do not exist for a real heap); the object count is checked against the
# sample's runtime.MemStats instead.
#
# Usage: tests/bench/go-heap-bench.sh [PEOPLE]     (default 2500000: 4 objects per person)
# Environment:
#   HEAPWALK, BENCH_PIPELINE   use these executables instead of building
#   HW_BENCH_BUILD             release build directory (default: <source>/build-release)
#   HW_BENCH_DIR               where the snapshots go (default: /tmp/heapwalk-go-heap-bench); 1.2 GB free
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
people=${1:-2500000}
dir=${HW_BENCH_DIR:-/tmp/heapwalk-go-heap-bench}
mkdir -p "$dir"

if [ -z "${HEAPWALK:-}" ] || [ -z "${BENCH_PIPELINE:-}" ]; then
	build=${HW_BENCH_BUILD:-$src/build-release}
	if [ ! -f "$build/build.ninja" ]; then
		meson setup "$build" "$src" --buildtype=release -Doptimization=2 -Db_ndebug=true >/dev/null
	fi
	ninja -C "$build" -j2 src/heapwalk tests/bench/bench-pipeline >/dev/null
	HEAPWALK=$build/src/heapwalk
	BENCH_PIPELINE=$build/tests/bench/bench-pipeline
fi
GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS='' go build -C "$src/samples/go" -o "$dir/socialgraph" ./socialgraph

pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -f "$dir"/social-*.hwd "$dir"/fifo
}
trap cleanup EXIT INT TERM

rm -f "$dir/fifo"
mkfifo "$dir/fifo"
HEAPWALK_SAMPLE_N=$people "$dir/socialgraph" >"$dir/fifo" &
pid=$!
exec 3<"$dir/fifo"
read -r ready <&3
objects=$(echo "$ready" | sed 's/.*"heap_objects":\([0-9]*\).*/\1/')
echo "socialgraph (pid $pid): $objects objects (runtime.MemStats.HeapObjects)"
"$HEAPWALK" dump --pid "$pid" -o "$dir/social-zstd.hwd"
"$HEAPWALK" dump --pid "$pid" --no-compress -o "$dir/social-raw.hwd"
kill "$pid"
pid=

for mode in zstd raw; do
	snap=$dir/social-$mode.hwd
	echo
	echo "== $mode: $(du -m "$snap" | cut -f1) MiB =="
	out=$("$BENCH_PIPELINE" "$snap")
	echo "$out"
	got=$(echo "$out" | awk '$1 == "objects" { print $2 }')
	[ "$got" = "$objects" ] || echo "MISMATCH: the snapshot has $got objects, MemStats.HeapObjects $objects"
done
echo
echo "($(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load average $(cut -d' ' -f1-3 /proc/loadavg))"
echo "targets: whole pipeline <= 5 s; <= 24 B/object peak beyond the mapped file"
