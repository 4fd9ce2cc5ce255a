#!/bin/sh
# scripts/demo.sh BUILDDIR - the main job on a bundled sample: what keeps the heap alive.
#
# The sample is the synthetic "cachedag" heap from samples/gen (a session cache leaking through a
# global map, listeners, goroutines), generated deterministically at build time.
set -eu
b=${1:-build}
snap="$b/samples/demo/demo.hwsnap"
[ -f "$snap" ] || ninja -C "$b" samples/demo/demo.hwsnap >/dev/null
hw="$b/src/heapwalk"
echo "== heapwalk info $snap"
"$hw" info "$snap"
echo
echo "== heapwalk top $snap --depth 3 --limit 5"
"$hw" top "$snap" --depth 3 --limit 5
echo
echo "== heapwalk retained-by main.Session $snap"
"$hw" retained-by main.Session "$snap"
