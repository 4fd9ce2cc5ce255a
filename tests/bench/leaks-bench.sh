#!/bin/sh
# leaks-bench.sh - the leak-analysis benchmark: `leaks`, `report` and `diff` at 10M objects.
#
# Writes the series of issue 5 (hwgen --shape cachedag --objects N --step 0|1|2: three
# snapshots of one leaking process, about N objects each) and runs, under GNU time, each
# command the findings work added: `heapwalk leaks` over the series, `heapwalk report` over it
# when this heapwalk has that command, and `heapwalk diff` of the first and last snapshots,
# matched by identity (one process) and by signature. Prints one Markdown row per command
# (wall time, CPU time = user + system, peak RSS) for docs/performance.md, and checks that
# `leaks` still finds what the generator built in (a cache, goroutines, listeners), so a fast
# wrong answer cannot pass. Target (issue 5): under 15 s for `leaks` and `report` over the
# series. No timing is asserted.
#
# Usage: tests/bench/leaks-bench.sh HEAPWALK HWGEN [OBJECTS]   (OBJECTS: default 10M)
# Environment: HW_BENCH_DIR: scratch directory (default: a new one in $TMPDIR; 1.6 GB for 10M).
set -eu
hw=$1
gen=$2
objects=${3:-10M}
dir=${HW_BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/heapwalk-leaks-bench-XXXXXX")}
mkdir -p "$dir"
trap 'rm -f "$dir"/s[012].hwd "$dir"/out "$dir"/err "$dir"/time; rm -rf "$dir"/report' EXIT INT TERM

for k in 0 1 2; do
	"$gen" --shape cachedag --objects "$objects" --step "$k" -o "$dir/s$k.hwd"
done
echo "series: 3 x $objects objects ($(du -m "$dir/s0.hwd" | cut -f1) MB each); $(nproc) cores," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | wall time | CPU time | peak RSS |"
echo "|---|---:|---:|---:|"

# timed NAME CMD...: one row; exits with the command's error output if it fails.
timed() {
	name=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o "$dir/time" "$@" >"$dir/out" 2>"$dir/err" || {
		echo "$name failed:" >&2
		cat "$dir/err" >&2
		exit 1
	}
	awk -v name="$name" '{ printf "| `%s` | %.1f s | %.1f s | %.0f MiB |\n", name, $1, $2 + $3, $4 / 1024 }' "$dir/time"
}

s="$dir/s0.hwd $dir/s1.hwd $dir/s2.hwd"
# shellcheck disable=SC2086 # the series is three words on purpose
timed "heapwalk leaks s0 s1 s2" "$hw" leaks $s --format json
for kind in cache goroutines listeners; do
	grep -q "\"kind\": \"$kind\"" "$dir/out" || { echo "leaks: no $kind finding at $objects objects" >&2; exit 1; }
done
if "$hw" report --help >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	timed "heapwalk report s0 s1 s2 -o DIR" "$hw" report $s -o "$dir/report"
else
	echo "| \`heapwalk report\` | (not in this build) | | |"
fi
timed "heapwalk diff s0 s2" "$hw" diff "$dir/s0.hwd" "$dir/s2.hwd"
timed "heapwalk diff s0 s2 --match signature" "$hw" diff "$dir/s0.hwd" "$dir/s2.hwd" --match signature
