// bigptr: objects whose pointer bitmap the runtime builds on demand.
//
// A type with more than 16384 pointer words gets no compiler-emitted GC mask in Go 1.24+
// (abi.TFlagGCMaskOnDemand): the runtime builds the mask when it first needs it. Big holds
// an array of 20000 pointers between two ordinary pointer fields; every element points to its
// own small object, so a dumper that reads the mask wrongly loses or invents edges.
// A plain []*Node of the same length (a large object typed by its element) sits beside it.
package main

import (
	"heapwalk/samples/internal/stoppoint"
)

const words = 20000

type Node struct {
	ID   int
	Next *Node
}

type Big struct {
	Head *Node
	Arr  [words]*Node
	Tail *Node
}

var (
	big   *Big
	slice []*Node
	ints  []*int
)

func build() {
	big = &Big{Head: &Node{ID: -1}, Tail: &Node{ID: -2}}
	for i := range big.Arr {
		big.Arr[i] = &Node{ID: i}
	}
	slice = make([]*Node, words)
	for i := range slice {
		slice[i] = big.Arr[(i*7)%words] // shared targets
	}
	// 8-byte pointer-free objects go to the tiny allocator: two share a 16-byte block, so
	// half of these pointers are interior pointers into a block.
	ints = make([]*int, 1000)
	for i := range ints {
		v := i
		ints[i] = &v
	}
}

func main() {
	bytes, _ := stoppoint.Measure(build)
	stoppoint.Here("bigptr", stoppoint.Expect{
		"pointer_words": words,
		"retained_root": "main.big",
		"built_bytes":   bytes,
	}, nil)
}
