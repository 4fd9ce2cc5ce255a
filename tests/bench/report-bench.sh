#!/bin/sh
# report-bench.sh - the findings benchmark: `heapwalk leaks` and `heapwalk report` on a series.
#
# Builds heapwalk and hwgen in a release (-O2) build directory if needed, generates a series of
# three cachedag snapshots of one leaking process (hwgen --step 1, 2, 3; about 10M objects
# each by default) into a scratch directory, then times `heapwalk leaks` and `heapwalk report`
# over the series (wall time and peak RSS, from /usr/bin/time). Each run is also checked at
# scale: the report must contain the three findings the generator builds in (a growing cache,
# leaked goroutines, unreleased listeners). Target (issue 5): under 15 s each for the series.
# Results go in docs/performance.md. No timing is asserted.
#
# Usage: tests/bench/report-bench.sh [OBJECTS]          (accepts k/M/G suffixes; default 10M)
# Environment:
#   HEAPWALK, HWGEN   use these executables instead of building
#   HW_BENCH_BUILD    release build directory (default: <source>/build-release)
#   HW_BENCH_DIR      where the snapshots go (default: /tmp/heapwalk-report-bench); 2 GB free needed
#   HW_BENCH_KEEP=1   keep the snapshots and the report afterwards
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
objects=${1:-10M}
dir=${HW_BENCH_DIR:-/tmp/heapwalk-report-bench}

if [ -z "${HEAPWALK:-}" ] || [ -z "${HWGEN:-}" ]; then
	build=${HW_BENCH_BUILD:-$src/build-release}
	if [ ! -f "$build/build.ninja" ]; then
		meson setup "$build" "$src" --buildtype=release -Doptimization=2 -Db_ndebug=true >/dev/null
	fi
	ninja -C "$build" -j2 src/heapwalk samples/gen/hwgen >/dev/null
	HEAPWALK=$build/src/heapwalk
	HWGEN=$build/samples/gen/hwgen
fi

mkdir -p "$dir"
cleanup() {
	[ "${HW_BENCH_KEEP:-0}" = 1 ] || rm -rf "$dir"/series-*.hwsnap "$dir"/report
}
trap cleanup EXIT

snaps=""
for k in 1 2 3; do
	snap=$dir/series-$k.hwsnap
	start=$(date +%s.%N)
	"$HWGEN" --shape cachedag --objects "$objects" --step "$k" --seed 1 -o "$snap"
	end=$(date +%s.%N)
	echo "snapshot $k: $("$HEAPWALK" info "$snap" --format json | awk -F'[:,]' '/"objects"/ { print $2; exit }' | tr -d ' ') objects," \
	     "$(du -m "$snap" | cut -f1) MiB, generated in $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s"
	snaps="$snaps $snap"
done

# timed NAME CMD...: runs CMD, prints its wall time, CPU time (user + system: what the run
# costs even when other work shares the machine) and peak RSS.
timed() {
	name=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$dir/time.txt" "$@" >"$dir/out.txt" 2>"$dir/err.txt" || {
		echo "$name failed:" >&2
		cat "$dir/err.txt" >&2
		exit 1
	}
	awk -v n="$name" '{ printf "%-8s %6.2f s wall  %6.2f s cpu  %6.0f MiB peak RSS\n", n, $1, $2 + $3, $4 / 1024 }' "$dir/time.txt"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
# shellcheck disable=SC2086
timed leaks "$HEAPWALK" leaks $snaps --format json
kinds=$(grep -c '"kind": "\(cache\|goroutines\|listeners\)"' "$dir/out.txt" || true)
# shellcheck disable=SC2086
timed report "$HEAPWALK" report $snaps -o "$dir/report"
for kind in cache goroutines listeners; do
	grep -q "\"kind\": \"$kind\"" "$dir/report/report.json" || { echo "MISMATCH: no $kind finding in the report" >&2; exit 1; }
done
echo "findings: ok (leaks printed $kinds; the report has a cache, a goroutines and a listeners finding)"
