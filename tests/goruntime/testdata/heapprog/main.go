// heapprog: a Go program with a known heap, the live target of heapwalk's goruntime tests.
//
// It builds objects of every pointer-map regime (small scan objects with heap bits, header
// objects, large objects with largeType, a type whose GC mask is built on demand), a
// finalizer, a cleanup, a weak pointer and a few blocked goroutines; then collects garbage, reads
// runtime.MemStats and prints "heap_objects=N heap_alloc=B" on stdout without allocating,
// and blocks in a read of stdin (closing stdin ends it). Nothing allocates between the
// MemStats reading and the block, so a dump taken while it blocks must find exactly
// HeapObjects objects of HeapAlloc bytes.
package main

import (
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"
	"weak"
)

type Node struct {
	Next *Node
	Val  int
	Name string
}

type Mid struct { // 1024 B with pointers: a malloc-header object
	Ptrs [64]*Node
	Pad  [64]int
}

type Big struct { // > 16384 pointer words: GC mask built on demand (1.24+)
	A [20000]*Node
}

type Holder struct {
	list  *Node
	mids  []*Mid
	large []*Node
	big   *Big
	m     map[int]*Node
	iface []any
}

var keep Holder
var fin *Node
var wp weak.Pointer[Node]

func build() {
	var head *Node
	for i := 0; i < 1000; i++ {
		head = &Node{Next: head, Val: i, Name: "node"}
	}
	keep.list = head
	for i := 0; i < 10; i++ {
		m := &Mid{}
		m.Ptrs[3] = head
		keep.mids = append(keep.mids, m)
	}
	keep.large = make([]*Node, 10000) // 80000 B: a large span with largeType
	for i := range keep.large {
		keep.large[i] = head
	}
	keep.big = &Big{}
	keep.big.A[19999] = head
	keep.m = make(map[int]*Node)
	for i := 0; i < 100; i++ {
		keep.m[i] = &Node{Val: i}
	}
	for i := 0; i < 50; i++ {
		keep.iface = append(keep.iface, &Node{Val: -i})
	}
	fin = &Node{Val: 42, Next: head}
	runtime.SetFinalizer(fin, func(n *Node) {})
	c := &Node{Val: 7}
	runtime.AddCleanup(c, func(v int) {}, 3)
	keep.m[1000] = c
	wp = weak.Make(keep.list)
}

func main() {
	build()
	ch := make(chan int)
	for i := 0; i < 3; i++ {
		go func() { <-ch }()
	}
	go func() {
		for {
			time.Sleep(time.Hour)
		}
	}()
	time.Sleep(10 * time.Millisecond)
	// Block in system calls from several goroutines at once first, as the final read will
	// block: the runtime creates the Ms (threads, each with heap-allocated runtime structs)
	// that blocking needs now, and keeps them idle for reuse, instead of after the reading.
	var wg sync.WaitGroup
	for round := 0; round < 2; round++ {
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ts := syscall.Timespec{Nsec: 30e6}
				syscall.Nanosleep(&ts, nil)
			}()
		}
		wg.Wait()
	}
	runtime.GC()
	runtime.GC()
	var ms, prev runtime.MemStats
	buf := make([]byte, 0, 128)
	in := make([]byte, 1)
	// The runtime may still be finishing asynchronous work (goroutines exiting, background
	// workers parking) that allocates: read until two readings 20ms apart agree.
	for {
		runtime.ReadMemStats(&ms)
		if ms.Mallocs == prev.Mallocs && ms.Frees == prev.Frees && ms.HeapAlloc == prev.HeapAlloc {
			break
		}
		prev = ms
		time.Sleep(20 * time.Millisecond)
	}
	buf = append(buf, "heap_objects="...)
	buf = strconv.AppendUint(buf, ms.HeapObjects, 10)
	buf = append(buf, " heap_alloc="...)
	buf = strconv.AppendUint(buf, ms.HeapAlloc, 10)
	buf = append(buf, '\n')
	syscall.Write(1, buf)
	for {
		n, err := syscall.Read(0, in)
		if n == 0 && err == nil {
			break
		}
	}
	runtime.KeepAlive(ch)
}
