// memacct: a process whose memory outside the live heap is known, for the memory accounting.
//
// It builds a live heap, starts goroutines parked at the bottom of deep recursions (their
// stacks grow to several times the initial size), then frees part of the heap twice over: one
// part is returned to the OS (debug.FreeOSMemory: heap/released), the other is only collected
// (runtime.GC: heap/free, still resident). At the stop point the ready line carries every
// /memory/classes metric the runtime reports and the process's RSS from /proc/self/statm, all
// read after the stop's last collection: the dumper's mem.* lines are checked against them.
package main

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"syscall"
	"time"

	"heapwalk/samples/internal/stoppoint"
)

const (
	chunk      = 256 << 10 // bytes per heap chunk (large objects: whole spans of their own)
	liveChunks = 256       // 64 MiB stays live
	relChunks  = 128       // 32 MiB freed and returned to the OS
	freeChunks = 128       // 32 MiB freed and kept by the runtime
	workers    = 200
	depth      = 400 // recursion depth of each worker: ~100 KiB of stack
)

var (
	live     [][]byte
	released [][]byte
	freed    [][]byte
	park     = make(chan struct{})
	sink     int
)

// deep recurses n levels with a frame of a few hundred bytes, then parks.
func deep(n int, ready chan<- struct{}) int {
	var pad [32]int64
	pad[n%32] = int64(n)
	if n == 0 {
		ready <- struct{}{}
		<-park
		return int(pad[0])
	}
	return deep(n-1, ready) + int(pad[n%32])
}

func fill(n int) [][]byte {
	v := make([][]byte, n)
	for i := range v {
		v[i] = make([]byte, chunk)
		for j := 0; j < chunk; j += 4096 {
			v[i][j] = byte(i) // touch every page: resident
		}
	}
	return v
}

// The metrics the ready line reports, named as runtime/metrics names them.
var names = []string{
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/memory/classes/metadata/mspan/inuse:bytes",
	"/memory/classes/metadata/mspan/free:bytes",
	"/memory/classes/metadata/mcache/inuse:bytes",
	"/memory/classes/metadata/mcache/free:bytes",
	"/memory/classes/metadata/other:bytes",
	"/memory/classes/os-stacks:bytes",
	"/memory/classes/other:bytes",
	"/memory/classes/profiling/buckets:bytes",
	"/memory/classes/total:bytes",
}

var (
	samples []metrics.Sample
	keys    [][]byte // `,"metric_name":` per sample, made before the stop
	statmFd int
	statm   [128]byte
)

// fields appends the metrics and the RSS to b without allocating (stoppoint.Fields).
func fields(b []byte) []byte {
	metrics.Read(samples)
	for i := range samples {
		b = append(b, keys[i]...)
		b = strconv.AppendUint(b, samples[i].Value.Uint64(), 10)
	}
	n, err := syscall.Pread(statmFd, statm[:], 0)
	if err != nil || n == 0 {
		return b
	}
	// statm: size resident shared text lib data dt, in pages; the second field is wanted.
	pages, field := uint64(0), 0
	for _, c := range statm[:n] {
		switch {
		case c == ' ':
			field++
		case field == 1 && c >= '0' && c <= '9':
			pages = pages*10 + uint64(c-'0')
		}
	}
	b = append(b, `,"rss_statm":`...)
	return strconv.AppendUint(b, pages*uint64(syscall.Getpagesize()), 10)
}

func main() {
	live = fill(liveChunks)
	released = fill(relChunks)
	freed = fill(freeChunks)

	ready := make(chan struct{})
	for i := 0; i < workers; i++ {
		go func() { sink += deep(depth, ready) }()
	}
	for i := 0; i < workers; i++ {
		<-ready
	}

	released = nil
	debug.FreeOSMemory() // collects, then returns every free page to the OS
	freed = nil
	runtime.GC() // collects; the pages stay with the runtime (GC off from here: no scavenging goal)

	samples = make([]metrics.Sample, len(names))
	keys = make([][]byte, len(names))
	for i, name := range names {
		samples[i].Name = name
		keys[i] = []byte(`,"` + name + `":`)
	}
	metrics.Read(samples) // the first Read initialises the runtime's metric table (allocates)
	// The background scavenger returns part of the collected chunks to the OS at its own
	// pace (until the stop turns the collector, and with it the scavenger's goal, off): wait
	// until the split between free and released has not moved for a while, so that the
	// ready line and a dump taken later see the same split.
	for still := 0; still < 50; {
		before := samples[3].Value.Uint64() // heap/released
		time.Sleep(10 * time.Millisecond)
		metrics.Read(samples)
		if samples[3].Value.Uint64() == before {
			still++
		} else {
			still = 0
		}
	}
	fd, err := syscall.Open("/proc/self/statm", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		panic(err)
	}
	statmFd = fd
	stoppoint.Fields = fields
	stoppoint.Here("memacct", stoppoint.Expect{
		"live_bytes":     liveChunks * chunk,
		"goroutines":     workers,
		"released_bytes": relChunks * chunk,
		"freed_bytes":    freeChunks * chunk,
	}, nil)
}
