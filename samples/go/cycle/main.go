// cycle: cyclic structures: a ring, a doubly linked list, a self loop, and a tree whose
// nodes point back to their parents. Every object in a cycle is reachable only through it.
package main

import (
	"heapwalk/samples/internal/stoppoint"
)

type Node struct {
	Next, Prev *Node
	Parent     *Node
	Kids       []*Node
	Self       *Node
	Value      [4]int
}

var (
	ring  *Node
	dlist *Node
	loop  *Node
	tree  *Node
)

func build() {
	ring = &Node{}
	cur := ring
	for i := 0; i < 100; i++ {
		cur.Next = &Node{}
		cur = cur.Next
	}
	cur.Next = ring

	dlist = &Node{}
	cur = dlist
	for i := 0; i < 100; i++ {
		n := &Node{Prev: cur}
		cur.Next = n
		cur = n
	}
	cur.Next = dlist
	dlist.Prev = cur

	loop = &Node{}
	loop.Self = loop

	tree = &Node{}
	stack := []*Node{tree}
	for len(stack) > 0 && len(stack) < 200 {
		n := stack[0]
		stack = stack[1:]
		for k := 0; k < 3; k++ {
			kid := &Node{Parent: n}
			n.Kids = append(n.Kids, kid)
			stack = append(stack, kid)
		}
	}
}

func main() {
	bytes, _ := stoppoint.Measure(build)
	stoppoint.Here("cycle", stoppoint.Expect{"built_bytes": bytes, "retained_root": "main.ring"}, nil)
}
