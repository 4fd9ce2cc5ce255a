// cgolink.go - added to every sample by run-versions.sh (go build -overlay) for the cgo
// variant: importing "C" makes the go command link with gcc (external linking), so the
// executable is dynamically linked, has cgo's runtime threads, and its DWARF is left
// uncompressed by the external linker.
package main

import "C"
