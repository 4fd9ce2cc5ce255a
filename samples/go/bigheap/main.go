// bigheap: the dump benchmark's target (tests/bench/dump-bench.sh), a live heap of about
// 1 GiB in about 10 million objects.
//
// It builds HEAPWALK_SAMPLE_N nodes (default 5,000,000), each a 96-byte pointerful struct
// (size class 96, regime A heap bits) owning a 128-byte payload (noscan), held in 8 KiB
// pointer slices of 1,024 nodes (malloc-header objects) and chained to their neighbours.
// With the defaults: 10,004,883 objects, 1.05 GiB. Then it stops at the stop point (the
// ready line carries MemStats) for dumps.
package main

import (
	"os"
	"strconv"

	"heapwalk/samples/internal/stoppoint"
)

type node struct {
	next, prev *node
	payload    []byte
	id         int
	a, b, c, d int
	e          [1]int
}

const perSlice = 1024

var slices [][]*node

func build(n int) {
	var prev *node
	slices = make([][]*node, 0, (n+perSlice-1)/perSlice)
	for i := 0; i < n; i += perSlice {
		s := make([]*node, 0, perSlice)
		for j := i; j < n && j < i+perSlice; j++ {
			nd := &node{prev: prev, payload: make([]byte, 128), id: j}
			nd.payload[0] = byte(j)
			if prev != nil {
				prev.next = nd
			}
			prev = nd
			s = append(s, nd)
		}
		slices = append(slices, s)
	}
}

func main() {
	n := 5000000
	if s := os.Getenv("HEAPWALK_SAMPLE_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	build(n)
	stoppoint.Here("bigheap", stoppoint.Expect{"nodes": n}, nil)
}
