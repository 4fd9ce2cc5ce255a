#!/bin/sh
# dump-bench.sh - the dumper benchmark: `heapwalk dump --pid` of a Go process with a ~1 GiB heap.
#
# Builds heapwalk in a release build directory (if needed) and samples/go/bigheap (a live heap
# of about 10M objects, 1.05 GiB by default), starts the sample, waits for its ready line
# (runtime.MemStats at its stop point), then dumps it RUNS times with compression (the
# default) and RUNS times with --no-compress, each under /usr/bin/time -v. Per dump it prints
# the pause (what `heapwalk dump` reports; the snapshot's meta pause_ns holds the same), the
# total time, heapwalk's peak RSS and the file size, with the heap size for the ratios, and the
# one-minute load average just before the dump. A second table breaks each pause down from the
# snapshot's pause.* meta: stopping the threads, reading the runtime's metadata, copying the
# heap (and in how many read calls), the rest (accounting, profile buckets, stacks, data, bss,
# detaching), whether heapwalk's thread ran real-time (rt: it does when allowed), and how long
# it waited for a CPU meanwhile (preempted by other processes: the machine's load, not
# heapwalk's work). Last, the median and worst pause per
# GiB over all the dumps. The numbers go in docs/performance.md (timings are machine-bound,
# so nothing here asserts them).
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
	rm -f "$dir"/bigheap.hwd "$dir"/time.out "$dir"/dump.err "$dir"/ready "$dir"/info "$dir"/parts
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
printf '%-12s %4s %6s %10s %12s %9s %12s %12s %10s\n' mode run load1 pause_ms ms/GiB total_s peak_rss_MB file_MB file/heap
: >"$dir/parts"

for mode in compressed uncompressed; do
	flag=
	[ "$mode" = uncompressed ] && flag=--no-compress
	for i in $(seq 1 "$runs"); do
		rm -f "$dir/bigheap.hwd"
		load=$(cut -d' ' -f1 /proc/loadavg)
		/usr/bin/time -v -o "$dir/time.out" "$HEAPWALK" dump --pid "$pid" $flag -o "$dir/bigheap.hwd" 2>"$dir/dump.err"
		pause=$(sed -n 's/.*paused the target for \([0-9.]*\) ms.*/\1/p' "$dir/dump.err")
		wall=$(sed -n 's/.*Elapsed (wall clock) time.*: \(.*\)/\1/p' "$dir/time.out" |
			awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
		rss=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\)/\1/p' "$dir/time.out")
		size=$(stat -c %s "$dir/bigheap.hwd")
		"$HEAPWALK" info "$dir/bigheap.hwd" >"$dir/info"
		meta=$(awk '$1 == "pause_ns" { print $2 }' "$dir/info")
		[ "$(awk -v p="$pause" -v m="$meta" 'BEGIN { d = p * 1e6 - m; print (d < 1000 && d > -1000) }')" = 1 ] ||
			{ echo "dump-bench: printed pause $pause ms, meta pause_ns $meta" >&2; exit 1; }
		awk -v mode="$mode" -v run="$i" -v h="$heap" '{ m[$1] = $2 }
			END { ms = 1e-6
				printf "%-12s %4d %10.1f %8.1f %8.1f %8.1f %7d %8.1f %3d %8.1f %9d\n", mode, run,
				       m["pause_ns"] * ms / (h / 2^30), m["pause.stop_ns"] * ms, m["pause.metadata_ns"] * ms,
				       m["pause.heap_copy_ns"] * ms, m["pause.heap_copy_reads"],
				       (m["pause.memacct_ns"] + m["pause.allocsites_ns"] + m["pause.rest_copy_ns"] + m["pause.detach_ns"]) * ms,
				       m["pause.realtime"], m["pause.cpu_wait_ns"] * ms, m["pause.preempted"] }' \
			"$dir/info" >>"$dir/parts"
		printf '%-12s %4d %6s %10.1f %12.1f %9.2f %12.0f %12.1f %9.1f%%\n' "$mode" "$i" "$load" "$pause" \
			"$(awk -v p="$pause" -v h="$heap" 'BEGIN { print p / (h / 2^30) }')" "$wall" \
			"$(awk -v r="$rss" 'BEGIN { print r / 1024 }')" "$(awk -v s="$size" 'BEGIN { print s / 2^20 }')" \
			"$(awk -v s="$size" -v h="$heap" 'BEGIN { print 100 * s / h }')"
	done
done
echo
echo "where the pause went (ms; cpu_wait: heapwalk runnable but waiting for a CPU)"
printf '%-12s %4s %10s %8s %8s %8s %7s %8s %3s %8s %9s\n' mode run ms/GiB stop metadata heap reads rest rt cpu_wait preempted
cat "$dir/parts"
awk '{ print $3 }' "$dir/parts" | sort -n | awk '{ v[NR] = $1 }
	END { printf "\npause per GiB over %d dumps: median %.1f ms, worst %.1f ms\n", NR,
	             NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2, v[NR] }'
