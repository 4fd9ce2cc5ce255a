// stackvars: small heap objects that only goroutines' local variables reference.
//
// Each worker allocates, in functions that return them, a pointer to a small struct (which
// points to another), a slice of small structs (each pointing to a tag), a small map and an
// interface value, keeps them in locals, and parks in a channel receive with all of them
// live. Nothing else references these objects: no global, no malloc header (all are under
// 512 bytes), so only the workers' frames can give them their types. The ready line says how
// many workers there are; the receive line is marked in the source ("park here").
package main

import (
	"sync"

	"heapwalk/samples/internal/stoppoint"
)

const (
	workers = 8
	points  = 4
)

type Item struct {
	ID   int
	Name string
	Next *Item
}

type Tag struct {
	Label string
	Hits  int
}

type Point struct {
	X, Y int
	Tag  *Tag
}

type Node struct {
	Weight int
	Peer   *Node
}

type Sayer interface{ Say() string }

type Greeter struct {
	Msg   string
	Count int
}

func (g *Greeter) Say() string { return g.Msg }

var (
	release = make(chan struct{})
	sink    int
)

//go:noinline
func newItem(id int) *Item {
	return &Item{ID: id, Name: "item", Next: &Item{ID: -id, Name: "next"}}
}

//go:noinline
func newPoints(id int) []Point {
	ps := make([]Point, points)
	for i := range ps {
		ps[i] = Point{X: id, Y: i, Tag: &Tag{Label: "tag", Hits: i}}
	}
	return ps
}

//go:noinline
func newIndex(id int) map[string]*Node {
	return map[string]*Node{"a": {Weight: id}, "b": {Weight: -id}}
}

//go:noinline
func newSayer(id int) Sayer {
	return &Greeter{Msg: "hello", Count: id}
}

//go:noinline
func use(item *Item, ps []Point, index map[string]*Node, s Sayer) int {
	return item.Next.ID + len(ps) + ps[0].Tag.Hits + len(index) + len(s.Say())
}

func worker(id int, started *sync.WaitGroup) {
	item := newItem(id)
	pts := newPoints(id)
	index := newIndex(id)
	say := newSayer(id)
	started.Done()
	<-release // park here
	sink += use(item, pts, index, say)
}

func main() {
	var started sync.WaitGroup
	started.Add(workers)
	for i := 0; i < workers; i++ {
		go worker(i+1, &started)
	}
	started.Wait()
	stoppoint.WaitBlocked(workers, "chan receive")
	stoppoint.Here("stackvars", stoppoint.Expect{"workers": workers, "points": points}, nil)
}
