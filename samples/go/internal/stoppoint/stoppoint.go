// Package stoppoint is the protocol every heapwalk sample follows once its heap is built.
//
// A sample builds a known heap, then calls Here. Here turns the collector off, collects twice
// (so the heap holds only live objects and every span is swept), reads runtime.MemStats, writes
// debug.WriteHeapDump to $HEAPWALK_SAMPLE_DUMP when that is set, prints one JSON "ready" line on
// stdout and parks forever. From the MemStats read on, nothing in the process allocates: the
// line is formatted into a buffer sized beforehand and written with a raw write(2), and the
// main goroutine parks in a read(2) of a pipe nobody writes to. (Not a sleep: adding a timer
// to a P whose timer heap is still nil allocates that heap. Not select{}: with every goroutine
// blocked and no timer the runtime reports a deadlock; a goroutine in a system call keeps it
// from doing so.) So the heap a dumper captures at
// any later moment is the heap the MemStats numbers and the heap dump describe. The line's
// "mallocs_after" field is the proof: Mallocs read again just before the line is written,
// minus Mallocs at the stop point (the tests require 0). The runtime's own allocations (a new
// thread's structures) can still land between the MemStats read and the dump: Here repeats
// the stop until a round is clean ("stop_rounds" says how many it took).
//
// With HEAPWALK_SAMPLE_MODE=checksum the sample instead waits for SIGUSR1 and answers each one
// with a line {"checksum":N} computed over its data, for the target-integrity tests.
//
// Running is the variant for samples that never stop allocating (churn): it prints the ready
// line without stopping anything.
package stoppoint

import (
	"bytes"
	"encoding/json"
	"heapwalk/samples/internal/rawio"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// maxRounds bounds the stop's retries; the ready line's mallocs_after then says it failed.
const maxRounds = 10

// timerSlots is the room made in the P's timer heap before the stop (see Here).
const timerSlots = 4

// Fields, when a sample sets it, runs in every round of the stop, after the MemStats read and
// before the allocation check, and appends `,"key":value` fields for the ready line to b. It
// must not allocate (b has room for 4 KiB), so what it reads describes the stopped process.
var Fields func(b []byte) []byte

// Expect holds a sample's own expectations, copied into the ready line (keys in sorted order).
type Expect map[string]any

// Kept in package variables so that nothing on the stop path escapes to the heap after the
// MemStats read.
var (
	stopStats  runtime.MemStats
	afterStats runtime.MemStats
	line       []byte
	fields     []byte
)

// Here stops the sample: see the package comment. checksum may be nil when the sample has no
// integrity mode. It never returns.
func Here(name string, expect Expect, checksum func() uint64) {
	fragment := encode(name, expect)
	checksumMode := os.Getenv("HEAPWALK_SAMPLE_MODE") == "checksum"
	if checksumMode && checksum == nil {
		fail("sample " + name + " has no checksum mode")
	}
	var usr1 chan os.Signal
	if checksumMode {
		usr1 = make(chan os.Signal, 1)
		signal.Notify(usr1, syscall.SIGUSR1)
	}
	dumpFd := -1
	if path := os.Getenv("HEAPWALK_SAMPLE_DUMP"); path != "" {
		fd, err := syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC|syscall.O_CLOEXEC, 0o600)
		if err != nil {
			fail("open " + path + ": " + err.Error())
		}
		dumpFd = fd
	}
	var park [2]int
	if err := syscall.Pipe2(park[:], syscall.O_CLOEXEC); err != nil {
		fail("pipe: " + err.Error())
	}
	fields = make([]byte, 0, 4096)
	line = make([]byte, 0, len(fragment)+512+cap(fields))

	// The background scavenger arms its sleep timer after a collection, at any later moment,
	// on the P it runs on: adding a timer to a P whose timer heap (p.timers.heap) has no room
	// allocates the heap's array, an object the heap dump and MemStats never saw. So the stop
	// runs on one P, whose timer heap gets room for timerSlots timers here, all armed at once.
	runtime.GOMAXPROCS(1)
	var sleepers sync.WaitGroup
	for i := 0; i < timerSlots; i++ {
		sleepers.Add(1)
		go func() {
			time.Sleep(time.Millisecond)
			sleepers.Done()
		}()
	}
	sleepers.Wait()

	// A timer-driven or heap-growth GC after this point would free nothing (everything is live),
	// but it would still change span state; and GC off also stops the periodic forced GC.
	debug.SetGCPercent(-1)
	// The runtime can still allocate for itself: restarting the world after a stop may start a
	// new thread, whose m, g0 and gsignal are heap objects. So the stop repeats until a whole
	// round (MemStats, heap dump, MemStats again) sees no allocation; threads, once made, stay.
	rounds := 0
	for {
		rounds++
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&stopStats)
		if dumpFd >= 0 {
			if _, err := syscall.Seek(dumpFd, 0, 0); err != nil {
				fail("rewinding the heap dump: " + err.Error())
			}
			if err := syscall.Ftruncate(dumpFd, 0); err != nil {
				fail("truncating the heap dump: " + err.Error())
			}
			debug.WriteHeapDump(uintptr(dumpFd))
		}
		if Fields != nil {
			fields = Fields(fields[:0])
		}
		runtime.ReadMemStats(&afterStats)
		if afterStats.Mallocs == stopStats.Mallocs || rounds == maxRounds {
			break
		}
	}
	if dumpFd >= 0 {
		syscall.Close(dumpFd)
	}
	runtime.ReadMemStats(&afterStats)

	line = append(line, `{"ready":true,"pid":`...)
	line = strconv.AppendInt(line, int64(os.Getpid()), 10)
	line = append(line, `,"heap_objects":`...)
	line = strconv.AppendUint(line, stopStats.HeapObjects, 10)
	line = append(line, `,"heap_alloc":`...)
	line = strconv.AppendUint(line, stopStats.HeapAlloc, 10)
	line = append(line, `,"mallocs_after":`...)
	line = strconv.AppendUint(line, afterStats.Mallocs-stopStats.Mallocs, 10)
	line = append(line, `,"stop_rounds":`...)
	line = strconv.AppendInt(line, int64(rounds), 10)
	line = append(line, fields...)
	line = append(line, fragment...)
	line = append(line, "}\n"...)
	rawio.Write(line)

	if checksumMode {
		for range usr1 {
			line = append(line[:0], `{"checksum":`...)
			line = strconv.AppendUint(line, checksum(), 10)
			line = append(line, "}\n"...)
			rawio.Write(line)
		}
	}
	var b [1]byte
	for {
		syscall.Read(park[0], b[:])
	}
}

// Running prints the ready line of a sample that keeps allocating, and returns.
func Running(name string, expect Expect) {
	fragment := encode(name, expect)
	b := []byte(`{"ready":true,"pid":` + strconv.Itoa(os.Getpid()) + string(fragment) + "}\n")
	rawio.Write(b)
}

// encode returns `,"sample":NAME,...expectations` (leading comma, no braces).
func encode(name string, expect Expect) []byte {
	all := map[string]any{"sample": name}
	for k, v := range expect {
		all[k] = v
	}
	b, err := json.Marshal(all)
	if err != nil {
		fail("encoding expectations: " + err.Error())
	}
	return append([]byte{','}, b[1:len(b)-1]...)
}

func fail(msg string) {
	os.Stderr.WriteString("stoppoint: " + msg + "\n")
	os.Exit(2)
}

// Measure runs build and returns the heap bytes and objects it left live: HeapAlloc and
// HeapObjects after two collections, minus the same before. build must keep what it makes
// reachable (from a global) and allocate nothing else that survives.
//
// The runtime allocates heap objects for itself too, and some live on: an M (thread) and its
// g0 and gsignal when a collection wakes a new thread. So the window runs on one P (fewer
// threads to wake) with the collector off while build runs.
func Measure(build func()) (bytes, objects uint64) {
	var before, after runtime.MemStats
	procs := runtime.GOMAXPROCS(1)
	runtime.GC()
	runtime.GC()
	gcPercent := debug.SetGCPercent(-1)
	runtime.ReadMemStats(&before)
	build()
	debug.SetGCPercent(gcPercent)
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.GOMAXPROCS(procs)
	return after.HeapAlloc - before.HeapAlloc, after.HeapObjects - before.HeapObjects
}

// WaitBlocked returns once n goroutines' traceback headers say they wait on reason (such as
// "chan receive"), so that a sample stops with its goroutines where its expectations put them.
// Call it before Here: it allocates.
func WaitBlocked(n int, reason string) {
	header := []byte("[" + reason)
	b := make([]byte, 1<<20)
	for {
		m := runtime.Stack(b, true)
		if m == len(b) {
			b = make([]byte, 2*len(b))
			continue
		}
		if bytes.Count(b[:m], header) >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
}
