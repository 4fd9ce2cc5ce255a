// goheap: the small Go process whose memory image seeds the fuzz-goheap target.
//
// It builds a little of every shape the dumper decodes (a map, a linked list, slices of
// pointers, an interface, a closure, a big pointerful object with a malloc header, a large
// object, goroutines blocked on a channel, a finalizer), prints "ready" and parks in read(2).
// tests/fuzz/gen-goheap-seed then copies what heapwalk's dumper reads of it into an image
// file. The binary must be built with -trimpath -buildvcs=false so that the committed seed
// matches any build of it by the same Go release (see tests/fuzz/meson.build).
package main

import (
	"os"
	"runtime"
	"strconv"
	"syscall"
)

type node struct {
	next *node
	name string
	data []byte
}

type shape interface{ area() int }

type rect struct{ w, h int }

func (r *rect) area() int { return r.w * r.h }

type big struct {
	ptrs [100]*node
	pad  [200]int
}

var (
	byName  map[string]*node
	list    *node
	shapes  []shape
	fns     []func() int
	bigs    []*big
	large   []*node
	blocker = make(chan int)
)

func main() {
	byName = make(map[string]*node)
	for i := 0; i < 200; i++ {
		n := &node{next: list, name: "node-" + strconv.Itoa(i), data: make([]byte, i%64)}
		list = n
		byName[n.name] = n
	}
	for i := 0; i < 20; i++ {
		r := &rect{i, i + 1}
		shapes = append(shapes, r)
		fns = append(fns, func() int { return r.area() + i })
	}
	for i := 0; i < 4; i++ {
		b := &big{}
		for j := range b.ptrs {
			b.ptrs[j] = byName["node-"+strconv.Itoa((i*7+j)%200)]
		}
		bigs = append(bigs, b)
	}
	large = make([]*node, 10000)
	for i := range large {
		large[i] = byName["node-"+strconv.Itoa(i%200)]
	}
	f := &node{name: "finalized"}
	runtime.SetFinalizer(f, func(*node) {})
	byName["finalized"] = f
	for i := 0; i < 3; i++ {
		go func() { <-blocker }()
	}
	runtime.GC()
	os.Stdout.WriteString("ready\n")
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil {
		panic(err)
	}
	var b [1]byte
	for {
		syscall.Read(p[0], b[:])
	}
}
