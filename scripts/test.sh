#!/bin/sh
# scripts/test.sh - Quick start, command 2: install what is missing, build, and run the whole test
# suite twice: once as built (gcc), once under AddressSanitizer + UndefinedBehaviorSanitizer built
# with clang, so that both compilers' warnings (-Werror) are checked too.
# Suites 'versions' (every Go release, downloads toolchains; docs/versions.md) and 'vm' (a qemu VM,
# tests/vm) are run by hand.
set -eu
cd "$(dirname "$0")/.."
. scripts/deps.sh
heapwalk_check_go
heapwalk_install_deps
heapwalk_install_node_tools

heapwalk_build build
meson test -C build --print-errorlogs --num-processes 2 --no-suite versions --no-suite vm

CC=clang heapwalk_build build-asan -Db_sanitize=address,undefined -Db_lundef=false
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C build-asan --print-errorlogs --num-processes 2 --timeout-multiplier 3 --no-suite versions --no-suite vm
