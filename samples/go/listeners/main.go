// listeners: a global slice of listener closures, each capturing its own state.
//
// The closures capture a pointer to a per-listener struct and a counter captured by reference,
// so each closure object has pointer fields into two other objects. Nothing here is smaller
// than 16 bytes and pointer-free: such objects go to the tiny allocator, whose 16-byte blocks
// can be shared with objects allocated outside the build, and then the retained size differs
// from what the build measured by a block.
package main

import (
	"strconv"

	"heapwalk/samples/internal/stoppoint"
)

type state struct {
	name  string
	calls []int
}

type tally struct {
	n     int
	owner *state
}

var listeners []func(int) int

const count = 1000

func build() {
	for i := 0; i < count; i++ {
		st := &state{name: "listener-name-" + strconv.Itoa(1000+i), calls: make([]int, 0, 4)}
		total := &tally{n: i, owner: st}
		listeners = append(listeners, func(ev int) int {
			st.calls = append(st.calls, ev)
			total.n += ev
			return total.n
		})
	}
}

func main() {
	bytes, _ := stoppoint.Measure(build)
	stoppoint.Here("listeners", stoppoint.Expect{
		"listeners":      count,
		"retained_root":  "main.listeners",
		"retained_bytes": bytes,
	}, nil)
}
