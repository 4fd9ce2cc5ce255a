// churn: eight goroutines allocating in a loop, never stopping: the target for the
// consistency test, where a capture either yields a consistent graph or retries.
//
// Each worker keeps a ring of recent structures alive (so live objects keep being replaced
// and pointers keep being rewritten) and drops everything else (so sweeping and reuse of
// freed slots go on all the time). Maps grow and are dropped, so map growth is in flight too.
package main

import (
	"strconv"

	"heapwalk/samples/internal/stoppoint"
)

type Item struct {
	Next    *Item
	Payload []byte
	Name    string
	Tags    map[int]string
}

const (
	workers = 8
	ring    = 256
)

var live [workers][ring]*Item

func work(w int) {
	for i := 0; ; i++ {
		var chain *Item
		for k := 0; k < 1+i%8; k++ {
			chain = &Item{Next: chain, Payload: make([]byte, 16+(i*k)%2000), Name: "item-" + strconv.Itoa(i)}
		}
		if i%16 == 0 {
			chain.Tags = map[int]string{}
			for k := 0; k < i%100; k++ {
				chain.Tags[k] = strconv.Itoa(k)
			}
		}
		live[w][i%ring] = chain
	}
}

func main() {
	for w := 0; w < workers; w++ {
		go work(w)
	}
	stoppoint.Running("churn", stoppoint.Expect{"workers": workers})
	select {}
}
