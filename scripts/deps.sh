#!/bin/sh
# scripts/deps.sh - checks for Go and installs the Debian 12 packages heapwalk needs to build and test.
#
# Sourced by setup.sh and test.sh so that both Quick start commands work on a fresh machine.
# Go is the one prerequisite we do not install: our users bring their own toolchain.
set -eu

heapwalk_check_go() {
	if ! command -v go >/dev/null 2>&1; then
		echo "heapwalk: Go >= 1.22 must be on PATH (none found)." >&2
		echo "  Install it from the official Go release archive (unpack to /usr/local/go and add" >&2
		echo "  /usr/local/go/bin to PATH), or on Debian 12: apt-get install -t bookworm-backports" >&2
		echo "  golang-1.23-go and add /usr/lib/go-1.23/bin to PATH." >&2
		return 1
	fi
	v=$(go env GOVERSION 2>/dev/null || go version | awk '{print $3}')
	minor=$(echo "$v" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
	if [ -z "$minor" ] || [ "$minor" -lt 22 ]; then
		echo "heapwalk: Go >= 1.22 is required, found '$v' ($(command -v go))." >&2
		return 1
	fi
}

HEAPWALK_PACKAGES="gcc libc6-dev meson ninja-build pkg-config libdwarf-dev libelf-dev libglib2.0-dev \
libcmocka-dev zlib1g-dev libzstd-dev gdb python3 procps clang libclang-rt-14-dev libjson-glib-dev chromium"

heapwalk_install_deps() {
	missing=""
	for p in $HEAPWALK_PACKAGES; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			missing="$missing $p"
		fi
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "heapwalk: missing packages:$missing; run this as root or install them with apt-get." >&2
		return 1
	fi
	echo "heapwalk: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# heapwalk_install_node_tools: Node.js and npm (Debian 12's nodejs 18 is enough) when node is
# missing, then the reference tools the V8 tests compare against (tests/v8/node/package.json,
# pinned by its package-lock.json; install scripts skipped: none is needed, and puppeteer's would
# download Chrome).
heapwalk_install_node_tools() {
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		if [ "$(id -u)" -ne 0 ]; then
			echo "heapwalk: node and npm are missing; run this as root or apt-get install nodejs npm." >&2
			return 1
		fi
		echo "heapwalk: installing nodejs npm"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
	fi
	if [ ! -d tests/v8/node/node_modules ] || [ tests/v8/node/package-lock.json -nt tests/v8/node/node_modules ]; then
		(cd tests/v8/node && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
	fi
}

# heapwalk_build DIR [meson options...]: configures DIR once, then builds it.
heapwalk_build() {
	dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir"
}
