// ptrhog: the oomer sample with a heap made of pointers, for tests/vm.
//
// samples/go/oomer grows a heap of []byte, which heapwalk does not copy during a capture
// (it copies only the spans that hold pointers, and pointer-free ones of objects up to 32
// bytes). A service's heap is mostly pointers, and
// heapwalk under a systemd unit shares the unit's memory limit, so the VM also runs this:
// every chunk is a 256 KiB []*int whose every slot points at one shared int, all of it
// reachable from the global main.hoard. It allocates 32 MiB per second, touching every page.
package main

import (
	"fmt"
	"os"
	"time"
)

var one = 1

var hoard [][]*int

const chunkSlots = 256 << 10 / 8

func main() {
	fmt.Printf("ptrhog: pid %d, 32 MiB/s\n", os.Getpid())
	for seq := 1; ; seq++ {
		for i := 0; i < 32<<20/(chunkSlots*8)/20; i++ {
			c := make([]*int, chunkSlots)
			for j := range c {
				c[j] = &one
			}
			hoard = append(hoard, c)
		}
		if seq%10 == 0 {
			fmt.Printf("ptrhog: %d MiB\n", len(hoard)*chunkSlots*8>>20)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
