// probe: a Go program that reports facts about itself, for heapwalk's tests to compare with
// what heapwalk reads from its DWARF, its pclntab and its memory.
package main

import (
	"fmt"
	"os"
	"time"
	"unsafe"
)

// Probe has members of every shape the DWARF reader must lay out.
type Probe struct {
	A int8
	B int64
	C string
	D []int
	E *Probe
	F [3]uint16
	G map[string]int
	H any
	I struct {
		X uint8
		Y uint32
	}
}

// ProbeConst is a package-level constant the DWARF reader must find.
const ProbeConst int64 = -123456789

// Counter is a global whose address and value the tests read back.
var Counter uint64 = 0x1122334455667788

// Keep is a global holding a Probe so the type is in the binary.
var Keep = &Probe{A: 1, C: "probe"}

func main() {
	var p Probe
	fmt.Printf("offsets A=%d B=%d C=%d D=%d E=%d F=%d G=%d H=%d I=%d I.Y=%d size=%d\n",
		unsafe.Offsetof(p.A), unsafe.Offsetof(p.B), unsafe.Offsetof(p.C),
		unsafe.Offsetof(p.D), unsafe.Offsetof(p.E), unsafe.Offsetof(p.F),
		unsafe.Offsetof(p.G), unsafe.Offsetof(p.H), unsafe.Offsetof(p.I),
		unsafe.Offsetof(p.I)+unsafe.Offsetof(p.I.Y), unsafe.Sizeof(p))
	fmt.Printf("counter_addr=%#x counter=%d keep=%#x const=%d\n",
		uintptr(unsafe.Pointer(&Counter)), Counter, uintptr(unsafe.Pointer(Keep)), ProbeConst)
	if len(os.Args) > 1 && os.Args[1] == "once" {
		return
	}
	for i := 0; ; i++ {
		fmt.Printf("tick %d\n", i)
		time.Sleep(20 * time.Millisecond)
	}
}
