// list: a singly linked list one million nodes long, the deep-graph case: any recursion over
// the graph overflows a stack here.
package main

import (
	"os"
	"strconv"

	"heapwalk/samples/internal/stoppoint"
)

type Node struct {
	Next  *Node
	Value int
}

var head *Node

func build(n int) {
	for i := 0; i < n; i++ {
		head = &Node{Next: head, Value: i}
	}
}

func checksum() uint64 {
	var sum uint64
	for n := head; n != nil; n = n.Next {
		sum = sum*1099511628211 + uint64(n.Value)
	}
	return sum
}

func main() {
	n := 1000000
	if s := os.Getenv("HEAPWALK_SAMPLE_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	bytes, objects := stoppoint.Measure(func() { build(n) })
	stoppoint.Here("list", stoppoint.Expect{
		"list_len":       n,
		"retained_root":  "main.head",
		"retained_bytes": bytes,
		"list_objects":   objects,
	}, checksum)
}
