// Command allocsites builds a heap whose allocation sites are known, for the allocation-site
// tests (tests/allocsites): the heap profiler's samples the dumper reads must name the same
// sites as `go tool pprof` on a heap profile the process writes at the stop point.
//
// HEAPWALK_ALLOCSITES_RATE=1 sets runtime.MemProfileRate to 1 before main's own allocations
// (a package variable's initializer), so every allocation of main is sampled; otherwise the
// default rate (512 KiB) stays. HEAPWALK_ALLOCSITES_PPROF names the file for
// pprof.WriteHeapProfile, written after two collections, just before the stop point, so that
// the profile (as of the last collection) describes the heap the dumper sees.
//
// The heap is built with the collector off: a GC assist during an allocation can allocate the
// runtime's own objects (a sudog) with the sample's stack, and those live and die with the
// collections between the profile and the stop point, so they would blur the comparison.
//
// The heap: sessions in a map (fillVault, with payloads from an inlined helper), a linked
// list (buildList), big noscan blocks from two sites (so that shares at the default rate
// have enough samples) and tiny pointer-free allocations that share tiny-allocator blocks.
package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"

	"heapwalk/samples/internal/stoppoint"
)

var rateSet = setRate()

func setRate() bool {
	if os.Getenv("HEAPWALK_ALLOCSITES_RATE") == "1" {
		runtime.MemProfileRate = 1
		return true
	}
	return false
}

type Session struct {
	ID      int
	Name    string
	Payload []byte
	Next    *Session
}

type Node struct {
	Value int
	Next  *Node
}

var (
	sessionVault = map[int]*Session{}
	list         *Node
	bigBlocks    [][]byte
	smallBlocks  [][]byte
	counters     []*int32
)

const (
	nSessions = 2000
	nNodes    = 3000
	nBig      = 4000 // 16 KiB each
	nSmall    = 4000 // 4 KiB each
	nCounters = 3000 // 4 bytes each, tiny allocator
)

//go:noinline
func fillVault() {
	for i := 0; i < nSessions; i++ {
		s := &Session{ID: i, Name: "session"}
		s.Payload = newPayload(i)
		sessionVault[i] = s
	}
}

// newPayload is small enough to be inlined into fillVault: its allocation's stack has an
// inlined frame.
func newPayload(i int) []byte {
	return make([]byte, 200+i%8)
}

//go:noinline
func buildList() {
	for i := 0; i < nNodes; i++ {
		list = &Node{Value: i, Next: list}
	}
}

//go:noinline
func makeBig() {
	bigBlocks = make([][]byte, 0, nBig)
	for i := 0; i < nBig; i++ {
		bigBlocks = append(bigBlocks, make([]byte, 16<<10))
	}
}

//go:noinline
func makeSmall() {
	smallBlocks = make([][]byte, 0, nSmall)
	for i := 0; i < nSmall; i++ {
		smallBlocks = append(smallBlocks, make([]byte, 4<<10))
	}
}

//go:noinline
func makeCounters() {
	counters = make([]*int32, 0, nCounters)
	for i := 0; i < nCounters; i++ {
		c := new(int32)
		*c = int32(i)
		counters = append(counters, c)
	}
}

func main() {
	gcPercent := debug.SetGCPercent(-1)
	fillVault()
	buildList()
	makeBig()
	makeSmall()
	makeCounters()
	debug.SetGCPercent(gcPercent)
	runtime.GC()
	runtime.GC()
	if path := os.Getenv("HEAPWALK_ALLOCSITES_PPROF"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.WriteHeapProfile(f)
		}
		if err == nil {
			err = f.Close()
		}
		if err != nil {
			os.Stderr.WriteString("allocsites: " + err.Error() + "\n")
			os.Exit(2)
		}
	}
	stoppoint.Here("allocsites", stoppoint.Expect{
		"rate_set": rateSet,
		"sessions": nSessions,
		"nodes":    nNodes,
		"big":      nBig,
		"small":    nSmall,
		"counters": nCounters,
		"mem_rate": runtime.MemProfileRate,
	}, nil)
}
