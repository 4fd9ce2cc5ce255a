#!/bin/sh
# scripts/setup.sh - Quick start, command 1: install what is missing, build, and run the main job
# on a bundled sample.
set -eu
cd "$(dirname "$0")/.."
. scripts/deps.sh
heapwalk_check_go
heapwalk_install_deps
heapwalk_build build
exec bash scripts/demo.sh build
