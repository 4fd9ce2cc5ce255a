// socialgraph: the pipeline benchmark's real Go heap (tests/bench/go-heap-bench.sh), a
// service-like object graph of about 10 million objects and 30 million pointers.
//
// HEAPWALK_SAMPLE_N people (default 2,500,000), held by one global slice. Each person is a
// struct with a name (a string, its own allocation), a profile (its own allocation, pointing
// back to the person) and a slice of 8 friends. Friends are what real heaps look like to a
// dominator computation: mostly near their owner (6 of 8 within 1,000 people, i.e. allocated
// about the same time), some anywhere (2 of 8, uniformly random). With the defaults:
// 4 objects per person (10M) and 13 pointers per person (32.5M), about 0.9 GiB live.
// Then it stops at the stop point (the ready line carries MemStats) for dumps.
package main

import (
	"math/rand"
	"os"
	"strconv"

	"heapwalk/samples/internal/stoppoint"
)

type profile struct {
	owner   *person
	karma   int
	created int64
}

type person struct {
	name    string
	profile *profile
	friends []*person
	id      int
}

const friendsEach = 8

var people []*person

func build(n int) {
	rng := rand.New(rand.NewSource(1))
	people = make([]*person, n)
	for i := range people {
		p := &person{name: "person-" + strconv.Itoa(i), id: i}
		p.profile = &profile{owner: p, karma: i % 100, created: int64(i)}
		p.friends = make([]*person, friendsEach)
		people[i] = p
	}
	for i, p := range people {
		for k := range p.friends {
			j := rng.Intn(n)
			if k < 6 {
				j = i + rng.Intn(2001) - 1000
				if j < 0 || j >= n {
					j = rng.Intn(n)
				}
			}
			p.friends[k] = people[j]
		}
	}
}

func main() {
	n := 2500000
	if s := os.Getenv("HEAPWALK_SAMPLE_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	build(n)
	stoppoint.Here("socialgraph", stoppoint.Expect{"people": n}, nil)
}
