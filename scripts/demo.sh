#!/bin/bash
# scripts/demo.sh BUILDDIR - the main job on a bundled sample: a Go service that leaks.
#
# samples/go/leakcache is a small web shop whose sessions are never evicted. It runs in rounds
# of work and parks between them (samples/go/internal/rounds). We take three live snapshots a
# round apart (the process keeps running: heapwalk stops it for a few milliseconds each time),
# then ask heapwalk what grows, what holds it, and which line allocated it.
set -euo pipefail
b=${1:-build}
hw="$b/src/heapwalk"
sample="$b/samples/go/leakcache"
[ -x "$hw" ] && [ -x "$sample" ] || ninja -C "$b" >/dev/null
out=$(mktemp -d "${TMPDIR:-/tmp}/heapwalk-demo.XXXXXX")

# Profile every allocation (runtime.MemProfileRate = 1, set by samples/go/internal/rounds), so
# that each finding also says exactly where its memory was allocated.
coproc SAMPLE { HEAPWALK_MEMPROFILERATE=1 exec "$sample"; }
pid=$SAMPLE_PID
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$out"' EXIT
for round in 1 2 3; do
	read -r ready <&"${SAMPLE[0]}"          # the sample is parked at a stable point
	"$hw" dump --pid "$pid" -o "$out/shop-$round.hwd" >/dev/null
	echo "round $round: captured pid $pid into shop-$round.hwd"
	echo >&"${SAMPLE[1]}"                  # one more round of work
done

echo
echo "== heapwalk leaks shop-1.hwd shop-2.hwd shop-3.hwd"
"$hw" leaks "$out"/shop-1.hwd "$out"/shop-2.hwd "$out"/shop-3.hwd
echo
echo "== heapwalk top shop-3.hwd --depth 2 --limit 4"
"$hw" top "$out/shop-3.hwd" --depth 2 --limit 4
echo
echo "== heapwalk retained-by heapwalk/samples/internal/app.Session shop-3.hwd"
"$hw" retained-by heapwalk/samples/internal/app.Session "$out/shop-3.hwd"
