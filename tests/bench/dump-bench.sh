#!/bin/sh
# dump-bench.sh - the dumper benchmark: `heapwalk dump --pid` of a Go process with a ~1 GiB heap.
#
# Builds heapwalk in a release build directory (if needed) and samples/go/bigheap (a live heap
# of about 10M objects, 1.05 GiB by default), starts the sample, waits for its ready line
# (runtime.MemStats at its stop point), then dumps it RUNS times with compression (the
# default) and RUNS times with --no-compress, each under /usr/bin/time -v. Per dump it prints
# the pause (what `heapwalk dump` reports; the snapshot's meta pause_ns holds the same), the
# total time, heapwalk's peak RSS and the file size, with the heap size for the ratios. The
# numbers go in docs/performance.md (timings are machine-bound, so nothing here asserts them).
#
# Usage: tests/bench/dump-bench.sh [NODES]        (default 5000000: 2 objects per node)
# Environment:
#   HEAPWALK          use this heapwalk instead of building one
#   HW_BENCH_BUILD    release build directory (default: <source>/build-release)
#   HW_BENCH_DIR      where the snapshots go (default: /tmp/heapwalk-dump-bench); 1 GB free needed
#   RUNS              dumps per mode (default 3)
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
nodes=${1:-5000000}
runs=${RUNS:-3}
dir=${HW_BENCH_DIR:-/tmp/heapwalk-dump-bench}
mkdir -p "$dir"

if [ -z "${HEAPWALK:-}" ]; then
	build=${HW_BENCH_BUILD:-$src/build-release}
	if [ ! -f "$build/build.ninja" ]; then
		meson setup "$build" "$src" --buildtype=release -Doptimization=2 -Db_ndebug=true >/dev/null
	fi
	ninja -C "$build" -j2 src/heapwalk >/dev/null
	HEAPWALK=$build/src/heapwalk
fi
GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS='' go build -C "$src/samples/go" -o "$dir/bigheap" ./bigheap

pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	rm -f "$dir"/bigheap.hwd "$dir"/time.out "$dir"/dump.err "$dir"/ready
	rm -f "$dir"/fifo
}
trap cleanup EXIT INT TERM

# The sample's ready line comes through a fifo; the sample keeps it open (parked) afterwards.
rm -f "$dir/fifo"
mkfifo "$dir/fifo"
HEAPWALK_SAMPLE_N=$nodes "$dir/bigheap" >"$dir/fifo" &
pid=$!
exec 3<"$dir/fifo"
read -r ready <&3
echo "$ready" >"$dir/ready"
objects=$(echo "$ready" | sed 's/.*"heap_objects":\([0-9]*\).*/\1/')
heap=$(echo "$ready" | sed 's/.*"heap_alloc":\([0-9]*\).*/\1/')
echo "bigheap (pid $pid): $objects objects, $heap bytes ($(awk -v h="$heap" 'BEGIN { printf "%.3f", h / 2^30 }') GiB) live"
printf '%-12s %4s %10s %12s %9s %12s %12s %10s\n' mode run pause_ms ms/GiB total_s peak_rss_MB file_MB file/heap

for mode in compressed uncompressed; do
	flag=
	[ "$mode" = uncompressed ] && flag=--no-compress
	for i in $(seq 1 "$runs"); do
		rm -f "$dir/bigheap.hwd"
		/usr/bin/time -v -o "$dir/time.out" "$HEAPWALK" dump --pid "$pid" $flag -o "$dir/bigheap.hwd" 2>"$dir/dump.err"
		pause=$(sed -n 's/.*paused the target for \([0-9.]*\) ms.*/\1/p' "$dir/dump.err")
		wall=$(sed -n 's/.*Elapsed (wall clock) time.*: \(.*\)/\1/p' "$dir/time.out" |
			awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
		rss=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\)/\1/p' "$dir/time.out")
		size=$(stat -c %s "$dir/bigheap.hwd")
		meta=$("$HEAPWALK" info "$dir/bigheap.hwd" | awk '$1 == "pause_ns" { print $2 }')
		[ "$(awk -v p="$pause" -v m="$meta" 'BEGIN { d = p * 1e6 - m; print (d < 1000 && d > -1000) }')" = 1 ] ||
			{ echo "dump-bench: printed pause $pause ms, meta pause_ns $meta" >&2; exit 1; }
		printf '%-12s %4d %10.1f %12.1f %9.2f %12.0f %12.1f %9.1f%%\n' "$mode" "$i" "$pause" \
			"$(awk -v p="$pause" -v h="$heap" 'BEGIN { print p / (h / 2^30) }')" "$wall" \
			"$(awk -v r="$rss" 'BEGIN { print r / 1024 }')" "$(awk -v s="$size" 'BEGIN { print s / 2^20 }')" \
			"$(awk -v s="$size" -v h="$heap" 'BEGIN { print 100 * s / h }')"
	done
done
