#!/bin/bash
# gen-layout-table.sh - regenerates src/goruntime/layout-table.c, the per-release Go runtime
# layouts heapwalk uses for binaries without DWARF (src/goruntime/layout.h).
#
# For each Go release (default: the latest patch of every minor from 1.22 up that the Go module
# proxy serves as golang.org/toolchain, fetched by `GOTOOLCHAIN=goX.Y.Z go`, as
# tests/versions/run-versions.sh does) it builds samples/go/cache with that toolchain, with
# DWARF, and hands the binaries to layout-table-gen (src/goruntime/layout-table-gen.c), which
# records what the dumper's layout loaders read from each one's DWARF and prints the C file.
#
# Usage: scripts/gen-layout-table.sh BUILDDIR [goX.Y.Z ...] > src/goruntime/layout-table.c
# BUILDDIR is a configured meson build directory with src/layout-table-gen built. Rebuild and
# run the test debuginfo/nodwarf-table-current afterwards.
set -eu

[ $# -ge 1 ] || { echo "usage: $0 BUILDDIR [goX.Y.Z ...] > src/goruntime/layout-table.c" >&2; exit 2; }
src=$(cd "$(dirname "$0")/.." && pwd)
gen=$(cd "$1" && pwd)/src/layout-table-gen
shift
[ -x "$gen" ] || { echo "$gen is missing: ninja -C BUILDDIR src/layout-table-gen" >&2; exit 1; }
versions="$*"
if [ -z "$versions" ]; then
	versions=$(GOTOOLCHAIN=local GOFLAGS= go list -m -versions golang.org/toolchain |
		tr ' ' '\n' | sed -n 's/^v0\.0\.1-go\(1\.[0-9]*\.[0-9]*\)\.linux-amd64$/\1/p' | sort -V |
		awk -F. '$2 >= 22 { last[$2] = $0 } END { for (m in last) print "go" last[m] }' | sort -V)
	[ -n "$versions" ] || { echo "the Go module proxy lists no toolchains: name them" >&2; exit 1; }
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bins=()
for v in $versions; do
	echo "building samples/go/cache with $v" >&2
	(cd "$src/samples/go" && GOTOOLCHAIN=$v CGO_ENABLED=0 GOFLAGS= GOEXPERIMENT= go build -o "$tmp/$v" ./cache) >&2
	bins+=("$tmp/$v")
done
"$gen" "${bins[@]}"
