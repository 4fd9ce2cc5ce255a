// graph.go - the object graph of a heap dump: edges, roots, reachability, retained size.
//
// The edge definition is the snapshot's: an edge is a pointer word of an object (a field the
// dump lists, i.e. a word the runtime's own heap metadata says holds a pointer) whose value
// points inside an allocated object; an interior pointer resolves to that object's base. Nil
// words, pointers outside the heap (globals, read-only data, stacks) and pointers to free slots
// make no edge. Roots are built the same way from the data/bss pointer words, stack-frame
// pointer words, goroutine contexts and finalizers.
package main

import (
	"fmt"
	"sort"
)

// Edge is one pointer word between objects (indices into the object slice).
type Edge struct {
	From   int
	Offset uint64 // from the source object's Addr
	To     int
}

// Root is one reference from outside the heap.
type Root struct {
	Kind string // "global", "stack", "context", "finalizer"
	Addr uint64 // where the reference lives (0 for finalizers)
	To   int
}

// Graph holds the objects and everything derived from them.
type Graph struct {
	Objects []HeapObject
	Edges   []Edge // ordered by (From, Offset)
	Roots   []Root
	// Pointer words whose value lies in the heap arena range but in no allocated object, and
	// words that point into a malloc header (never legitimate Go pointers).
	UnresolvedHeapWords int
	HeaderWords         int
	// Up to 10 of the unresolved words, "value (in source)", for the summary.
	UnresolvedExamples []string
	arenaStart         uint64
	arenaEnd           uint64
}

// find returns the index of the object containing addr, or -1.
func (g *Graph) find(addr uint64) int {
	objs := g.Objects
	i := sort.Search(len(objs), func(i int) bool { return objs[i].Addr > addr }) - 1
	if i >= 0 && addr < objs[i].Addr+objs[i].Size {
		return i
	}
	return -1
}

// resolve classifies one pointer word's value; where names the word for the summary.
func (g *Graph) resolve(v uint64, where func() string) int {
	if v == 0 {
		return -1
	}
	if i := g.find(v); i >= 0 {
		return i
	}
	if v >= g.arenaStart && v < g.arenaEnd {
		objs := g.Objects
		i := sort.Search(len(objs), func(i int) bool { return objs[i].Slot > v }) - 1
		if i >= 0 && objs[i].Header && v < objs[i].Addr {
			g.HeaderWords++
		} else {
			g.UnresolvedHeapWords++
			if len(g.UnresolvedExamples) < 10 {
				g.UnresolvedExamples = append(g.UnresolvedExamples, fmt.Sprintf("%#x (in %s)", v, where()))
			}
		}
	}
	return -1
}

func word(b []byte, off uint64) (uint64, bool) {
	if off+8 > uint64(len(b)) {
		return 0, false
	}
	var v uint64
	for k := uint64(0); k < 8; k++ {
		v |= uint64(b[off+k]) << (8 * k)
	}
	return v, true
}

// BuildGraph resolves every pointer word of the objects and roots.
func BuildGraph(d *Dump, objs []HeapObject) *Graph {
	g := &Graph{Objects: objs, arenaStart: d.ArenaStart, arenaEnd: d.ArenaEnd}
	for i := range objs {
		for _, f := range objs[i].Fields {
			v, ok := word(objs[i].Data, f)
			if !ok {
				continue
			}
			if t := g.resolve(v, func() string { return fmt.Sprintf("object %#x+%d", objs[i].Addr, f) }); t >= 0 {
				g.Edges = append(g.Edges, Edge{From: i, Offset: f, To: t})
			}
		}
	}
	for _, s := range d.Segments {
		for _, f := range s.Fields {
			if v, ok := word(s.Contents, f); ok {
				if t := g.resolve(v, func() string { return fmt.Sprintf("%s %#x", s.Name, s.Addr+f) }); t >= 0 {
					g.Roots = append(g.Roots, Root{Kind: "global", Addr: s.Addr + f, To: t})
				}
			}
		}
	}
	for _, gr := range d.Goroutines {
		for _, fr := range gr.Frames {
			for _, f := range fr.Fields {
				if v, ok := word(fr.Contents, f); ok {
					if t := g.resolve(v, func() string { return fmt.Sprintf("goroutine %d frame %s sp+%d", gr.ID, fr.Name, f) }); t >= 0 {
						g.Roots = append(g.Roots, Root{Kind: "stack", Addr: fr.SP + f, To: t})
					}
				}
			}
		}
		if t := g.resolve(gr.Ctxt, func() string { return fmt.Sprintf("goroutine %d context", gr.ID) }); t >= 0 {
			g.Roots = append(g.Roots, Root{Kind: "context", To: t})
		}
	}
	for _, f := range d.Finalizers {
		for _, v := range []uint64{f.Obj, f.Fn} {
			if t := g.resolve(v, func() string { return fmt.Sprintf("finalizer of %#x", f.Obj) }); t >= 0 {
				g.Roots = append(g.Roots, Root{Kind: "finalizer", To: t})
			}
		}
	}
	return g
}

// reach marks every object reachable from the roots without passing through `skip` (-1 for
// none), with an explicit stack.
func (g *Graph) reach(skip int) []bool {
	n := len(g.Objects)
	first := make([]int, n+1) // CSR offsets into g.Edges, which are ordered by From
	for _, e := range g.Edges {
		first[e.From+1]++
	}
	for i := 0; i < n; i++ {
		first[i+1] += first[i]
	}
	seen := make([]bool, n)
	var stack []int
	push := func(i int) {
		if i != skip && !seen[i] {
			seen[i] = true
			stack = append(stack, i)
		}
	}
	for _, r := range g.Roots {
		push(r.To)
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, e := range g.Edges[first[i]:first[i+1]] {
			push(e.To)
		}
	}
	return seen
}

// Retained is what one object keeps alive: the objects that become unreachable when it is
// removed (itself included), i.e. its dominator subtree, computed by brute force.
type Retained struct {
	Objects   int
	Bytes     uint64 // object sizes, headers excluded
	SlotBytes uint64 // slot sizes, as MemStats counts them
}

func (g *Graph) retained(all []bool, target int) Retained {
	without := g.reach(target)
	var r Retained
	for i, o := range g.Objects {
		if all[i] && !without[i] {
			r.Objects++
			r.Bytes += o.Size
			r.SlotBytes += o.Size + hdr(o)
		}
	}
	return r
}
