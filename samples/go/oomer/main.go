// oomer: allocates until memory kills it, for the automatic-capture tests (tests/watch).
//
// Every chunk it allocates stays reachable from the global main.hoard, so a snapshot taken
// at any moment shows one root holding almost the whole heap: the finding
// `heapwalk leaks` must name. It allocates HEAPWALK_OOMER_RATE MiB per second (default 32),
// touching every page so that RSS and the cgroup's usage grow with the heap, and prints one
// line per 16 MiB so a test can see how far it got.
//
// With HEAPWALK_OOMER_AS=N (bytes) it first limits its own address space to N, so the Go
// runtime's next heap growth fails and the program dies of `fatal error: out of memory` (or
// `runtime: out of memory`, depending on where the growth fails); under GOTRACEBACK=crash
// that death is a SIGABRT, the --on-crash case. The runtime reserves address space well
// beyond the heap: 2 GiB leaves room for a heap of several hundred MiB.
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// Chunk is one allocation; the struct makes the type name visible in a snapshot.
type Chunk struct {
	Seq  int
	Data []byte
}

var hoard []*Chunk

const chunkBytes = 256 << 10

func main() {
	rate := 32
	if s := os.Getenv("HEAPWALK_OOMER_RATE"); s != "" {
		rate, _ = strconv.Atoi(s)
	}
	if s := os.Getenv("HEAPWALK_OOMER_AS"); s != "" {
		n, _ := strconv.ParseUint(s, 10, 64)
		lim := syscall.Rlimit{Cur: n, Max: n}
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, &lim); err != nil {
			fmt.Fprintln(os.Stderr, "oomer: setrlimit:", err)
			os.Exit(2)
		}
	}
	fmt.Printf("oomer: pid %d, %d MiB/s\n", os.Getpid(), rate)
	perTick := rate << 20 / chunkBytes / 20 // 20 ticks per second
	if perTick < 1 {
		perTick = 1
	}
	for seq := 0; ; {
		for i := 0; i < perTick; i++ {
			c := &Chunk{Seq: seq, Data: make([]byte, chunkBytes)}
			for j := 0; j < len(c.Data); j += 4096 {
				c.Data[j] = byte(seq)
			}
			hoard = append(hoard, c)
			seq++
			if seq*chunkBytes%(16<<20) == 0 {
				fmt.Printf("oomer: %d MiB\n", seq*chunkBytes>>20)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}
