// maps: small and large maps, with pointer and pointer-free keys and values.
//
// Small maps (8 entries or fewer) are a single group; large ones have a directory of tables.
// Values over 128 bytes are stored indirectly, so one map holds pointers to out-of-line
// value objects.
package main

import (
	"strconv"

	"heapwalk/samples/internal/stoppoint"
)

type Val struct {
	Name string
	Next *Val
}

type bigVal struct {
	Data [40]int
	Ref  *Val
}

var (
	small      map[int]*Val
	smallNoPtr map[int64]int64
	large      map[string]*Val
	largeNoPtr map[int]int
	indirect   map[int]bigVal
	nested     map[string]map[int]*Val
)

func build() {
	small = map[int]*Val{}
	for i := 0; i < 5; i++ {
		small[i] = &Val{Name: "small-value-name-" + strconv.Itoa(i)}
	}
	smallNoPtr = map[int64]int64{1: 2, 3: 4}
	large = map[string]*Val{}
	var prev *Val
	for i := 0; i < 20000; i++ {
		v := &Val{Name: "large-value-name-" + strconv.Itoa(i), Next: prev}
		large["large-key-string-"+strconv.Itoa(i)] = v
		prev = v
	}
	largeNoPtr = map[int]int{}
	for i := 0; i < 5000; i++ {
		largeNoPtr[i] = i * i
	}
	indirect = map[int]bigVal{}
	for i := 0; i < 100; i++ {
		indirect[i] = bigVal{Ref: small[i%5]}
	}
	nested = map[string]map[int]*Val{}
	for i := 0; i < 50; i++ {
		m := map[int]*Val{}
		for j := 0; j < i; j++ {
			m[j] = prev
		}
		nested["nested-map-key-"+strconv.Itoa(i)] = m
	}
}

func main() {
	bytes, _ := stoppoint.Measure(build)
	stoppoint.Here("maps", stoppoint.Expect{"built_bytes": bytes, "large_entries": 20000}, nil)
}
