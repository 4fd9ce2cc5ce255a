#!/bin/bash
# run-versions.sh - the Go integration tests (tests/go) against every available Go release.
#
# For each Go version (default: the latest patch of every minor from 1.22 up that the Go
# module proxy serves as golang.org/toolchain, fetched by `GOTOOLCHAIN=goX.Y.Z go`, ~70 MB
# each, cached in the module cache), the samples are built with that toolchain into a
# directory of their own and tests/go/run-integration.py runs its dump-SAMPLE cases against
# them (the sample's heap as heapwalk dumps it, live and from a core, against the runtime's
# WriteHeapDump and MemStats). With the version on PATH it also builds four variants:
#   pie          -buildmode=pie
#   cgo          CGO_ENABLED=1 plus a file with `import "C"` added to every sample (through
#                `go build -overlay`, so samples/go stays untouched): external linking by
#                gcc (which the go linker asks to zlib-compress the DWARF)
#   dwarf-plain  -ldflags=-compressdwarf=false: uncompressed DWARF sections
#   trimpath     -trimpath
# and checks that an executable built with -ldflags=-s (neither DWARF nor symbols) is refused
# with an error naming what is missing. For every version, the types suite
# (tests/types/run-types.py: type names from the samples' source, more than 95% of the bytes
# typed; run-stackvars.py for stackvars) runs on the same binaries, and its cells give the
# typed fraction of bytes. Then, for
# every version, the binaries without DWARF (tests/debuginfo/run-nodwarf.py: the layout table
# against the same binary's DWARF). It ends with the results tables (docs/versions.md keeps
# the last ones).
#
# Usage: run-versions.sh --build DIR [--work DIR] [--versions "go1.22.12 go1.26.11"]
#                        [--cases "dump-cache dump-maps"] [--types "ifaces maps"]
#                        [--nodwarf-cases "strip-ifaces"] [--no-variants]
# --types and --nodwarf-cases choose subsets of those suites ("" skips one).
# DIR is a configured and built meson build directory (heapwalk, tests/go/snapshot-listing,
# tests/go/heapdump-oracle). Exit status 0 iff every cell passed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build= work= versions= cases= variants=1
types_samples="cache listeners maps ifaces closures stackvars"
nodwarf_cases="table-current strip-cache strip-maps strip-ifaces strip-closures strip-goroutines strip-list w-cache"
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--versions) versions=$2; shift 2 ;;
	--cases) cases=$2; shift 2 ;;
	--types) types_samples=$2; shift 2 ;;
	--nodwarf-cases) nodwarf_cases=$2; shift 2 ;;
	--no-variants) variants=0; shift ;;
	*) echo "usage: $0 --build DIR [--work DIR] [--versions LIST] [--cases LIST] [--types LIST]" \
		"[--nodwarf-cases LIST] [--no-variants]" >&2; exit 2 ;;
	esac
done
[ -n "$build" ] || { echo "FAIL: --build DIR is required" >&2; exit 2; }
build=$(cd "$build" && pwd)
work=${work:-$build/tests/versions/work}
heapwalk=$build/src/heapwalk
listing=$build/tests/go/snapshot-listing
oracle=$build/tests/go/heapdump-oracle
gen=$build/src/layout-table-gen
for f in "$heapwalk" "$listing" "$oracle" "$gen"; do
	[ -x "$f" ] || { echo "FAIL: $f is missing: build $build first" >&2; exit 1; }
done
command -v go >/dev/null || { echo "FAIL: no go on PATH: these tests need Go >= 1.22" >&2; exit 1; }

samples="cache listeners goroutines bigptr maps ifaces closures cycle list"
# What each row builds: the dump cases' samples, churn (run-integration.py's) and stackvars
# (the types suite's).
built="$samples churn stackvars"
if [ -z "$cases" ]; then
	for s in $samples; do cases="$cases dump-$s"; done
fi

# The latest patch release of each minor >= 1.22 that the proxy lists.
if [ -z "$versions" ]; then
	versions=$(GOTOOLCHAIN=local GOFLAGS= go list -m -versions golang.org/toolchain 2>/dev/null |
		tr ' ' '\n' | sed -n 's/^v0\.0\.1-go\(1\.[0-9]*\.[0-9]*\)\.linux-amd64$/\1/p' | sort -V |
		awk -F. '$2 >= 22 { last[$2] = $0 } END { for (m in last) print "go" last[m] }' | sort -V)
	[ -n "$versions" ] || { echo "FAIL: the Go module proxy lists no golang.org/toolchain versions;" \
		"pass --versions" >&2; exit 1; }
fi
local_version=$(GOTOOLCHAIN=local go env GOVERSION)
# A variant whose build is not what it claims fails in its first column.
first_case=$(set -- $cases; echo "$1")

rm -rf "$work"
mkdir -p "$work"
declare -A cell
rows=()
names=()
failed=0

# build_samples ROW TOOLCHAIN CGO [go build flags...]: builds every sample into $work/ROW.
build_samples() {
	local row=$1 tc=$2 cgo=$3
	shift 3
	mkdir -p "$work/$row"
	local s
	for s in $built; do
		if ! (cd "$src/samples/go" && GOTOOLCHAIN=$tc CGO_ENABLED=$cgo GOFLAGS= \
			go build -o "$work/$row/$s" "$@" "./$s") >>"$work/$row/build.log" 2>&1; then
			return 1
		fi
	done
}

# The overlay that adds `import "C"` to every sample's main package.
cgo_overlay() {
	local s json="{\"Replace\":{"
	for s in $built; do
		json="$json\"$src/samples/go/$s/zz_cgolink.go\":\"$here/cgolink.go\","
	done
	echo "${json%,}}}" >"$work/cgo-overlay.json"
}

# run_row ROW DESCRIPTION TOOLCHAIN CGO [go build flags...]
run_row() {
	local row=$1 desc=$2 tc=$3 cgo=$4
	shift 4
	rows+=("$row")
	if [ "$tc" = local ]; then
		names[${#rows[@]}]="$local_version $desc"
	else
		names[${#rows[@]}]="$(GOTOOLCHAIN=$tc go env GOVERSION 2>/dev/null || echo "$tc unavailable")"
	fi
	echo "== $row: ${names[${#rows[@]}]}"
	if ! build_samples "$row" "$tc" "$cgo" "$@"; then
		echo "   build failed: $work/$row/build.log"
		local c
		for c in $cases; do cell[$row,$c]="nobuild"; done
		failed=1
		return
	fi
	local c
	for c in $cases; do
		# A case that hangs (a capture that never returns) fails rather than stalls the run.
		if timeout 900 python3 "$src/tests/go/run-integration.py" --case "$c" --heapwalk "$heapwalk" \
			--oracle "$oracle" --listing "$listing" --samples "$work/$row" \
			--workdir "$work/$row/work-$c" >"$work/$row/$c.log" 2>&1; then
			cell[$row,$c]=pass
		else
			cell[$row,$c]=FAIL
			failed=1
			echo "   $c FAIL: $work/$row/$c.log"
			grep '^FAIL' "$work/$row/$c.log" | head -3 | cut -c1-300 | sed 's/^/     /'
		fi
	done
}

for v in $versions; do
	run_row "$v" "" "$v" 0
done

# The types suite on each release's binaries (built by run_row above); a cell is the verdict
# and the typed fraction of bytes run-types.py reports.
declare -A tcell
for v in $versions; do
	for s in $types_samples; do
		log=$work/$v/types-$s.log
		if [ "${cell[$v,$first_case]:-}" = nobuild ]; then
			tcell[$v,$s]=nobuild
			continue
		fi
		# stackvars has a script of its own (objects only stack variables reach).
		script=("$src/tests/types/run-types.py" --sample "$s")
		[ "$s" = stackvars ] && script=("$src/tests/types/run-stackvars.py")
		timeout 900 python3 "${script[@]}" --heapwalk "$heapwalk" \
			--samples "$work/$v" --workdir "$work/$v/work-types-$s" >"$log" 2>&1
		rc=$?
		typed=$(sed -n "s/^$s: \([0-9.]*%\) of bytes typed.*/\1/p" "$log" | head -1)
		if [ $rc = 0 ]; then
			tcell[$v,$s]="pass $typed"
		else
			tcell[$v,$s]="FAIL $typed"
			failed=1
			echo "   $v types-$s FAIL: $log"
			grep '^FAIL' "$log" | head -3 | cut -c1-300 | sed 's/^/     /'
		fi
	done
done
srefused=skipped
declare -A ndcell
nodwarf_script=$src/tests/debuginfo/run-nodwarf.py
nodwarf_args=(--heapwalk "$heapwalk" --listing "$listing" --gen "$gen")
if [ $variants = 1 ]; then
	run_row pie "-buildmode=pie" local 0 -buildmode=pie
	cgo_overlay
	run_row cgo "cgo (import \"C\", external link)" local 1 -overlay "$work/cgo-overlay.json"
	# The variant is only worth its name if gcc linked it (Go asks gcc to zlib-compress the
	# DWARF; the dwarf-plain row below covers uncompressed DWARF).
	if [ -x "$work/cgo/cache" ] && ! { readelf -p .comment "$work/cgo/cache" | grep -q GCC &&
		readelf -d "$work/cgo/cache" | grep -q NEEDED; }; then
		echo "   the cgo variant is not linked by gcc"
		cell[cgo,$first_case]=FAIL
		failed=1
	fi
	run_row dwarf-plain "-ldflags=-compressdwarf=false (uncompressed DWARF)" local 0 -ldflags=-compressdwarf=false
	if [ -x "$work/dwarf-plain/cache" ] && readelf -SW "$work/dwarf-plain/cache" |
		awk '$0 ~ / \.debug_info / && $0 ~ / C /' | grep -q .; then
		echo "   the dwarf-plain variant still has compressed DWARF"
		cell[dwarf-plain,$first_case]=FAIL
		failed=1
	fi
	run_row trimpath "-trimpath" local 0 -trimpath

	# -ldflags=-s: no DWARF and no symbol table either, which heapwalk must refuse.
	if python3 "$nodwarf_script" --case s-refused "${nodwarf_args[@]}" --workdir "$work/nodwarf-s" \
		>"$work/nodwarf-s.log" 2>&1; then
		srefused="refused as expected: $(grep '^-ldflags=-s: ' "$work/nodwarf-s.log" | head -c 300)"
	else
		srefused="FAIL: $(grep '^FAIL' "$work/nodwarf-s.log" | head -c 300)"
		failed=1
	fi
fi

# Without DWARF, every release: tests/debuginfo/run-nodwarf.py with that toolchain (the table
# entry against a fresh build's DWARF; stripped samples against the same binary's DWARF given
# as --debug-file, and MemStats; a -ldflags=-w build live).
for v in $versions; do
	for c in $nodwarf_cases; do
		log=$work/nodwarf-$v-$c.log
		if timeout 900 python3 "$nodwarf_script" --case "$c" --toolchain "$v" "${nodwarf_args[@]}" \
			--workdir "$work/nodwarf-$v/$c" >"$log" 2>&1; then
			ndcell[$v,$c]=pass
			typed=$(sed -n 's/.*typed bytes \([0-9.]*%\) without DWARF, \([0-9.]*%\) with it.*/\1 (\2)/p' "$log")
			[ -n "$typed" ] && ndcell[$v,$c]="pass $typed"
		else
			ndcell[$v,$c]=FAIL
			failed=1
			echo "   $v no-DWARF $c FAIL: $log"
			grep '^FAIL' "$log" | head -3 | cut -c1-300 | sed 's/^/     /'
		fi
	done
done

# md_header PREFIX COLUMN...: a Markdown table's header row, "build" then PREFIX+COLUMN each.
md_header() {
	local prefix=$1 c
	shift
	printf '| build |'
	for c in "$@"; do printf ' %s%s |' "$prefix" "$c"; done
	printf '\n|---|'
	for c in "$@"; do printf -- '---|'; done
	echo
}

# The results table (markdown).
echo
md_header "" ${cases//dump-/}
i=0
for row in "${rows[@]}"; do
	i=$((i + 1))
	printf '| %s |' "${names[$i]}"
	for c in $cases; do printf ' %s |' "${cell[$row,$c]}"; done
	echo
done
if [ -n "$types_samples" ]; then
	echo
	echo "Types (tests/types/run-types.py; cells: verdict and typed bytes):"
	echo
	md_header types- $types_samples
	for v in $versions; do
		printf '| %s |' "$(GOTOOLCHAIN=$v go env GOVERSION 2>/dev/null || echo "$v")"
		for s in $types_samples; do printf ' %s |' "${tcell[$v,$s]}"; done
		echo
	done
fi
if [ -n "$nodwarf_cases" ]; then
	echo
	echo "Without DWARF (cells of strip-SAMPLE: typed bytes without DWARF (with it)):"
	echo
	md_header "" $nodwarf_cases
	for v in $versions; do
		printf '| %s |' "$v"
		for c in $nodwarf_cases; do printf ' %s |' "${ndcell[$v,$c]}"; done
		echo
	done
fi
echo
echo "-ldflags=-s ($local_version): $srefused"
echo "logs: $work"
exit $failed
