// closures: closures capturing by value and by reference, nested closures, method values,
// and a closure that captures itself through a variable.
package main

import (
	"strconv"

	"heapwalk/samples/internal/stoppoint"
)

type counter struct {
	n    int
	name string
}

func (c *counter) Inc() int { c.n++; return c.n }

var (
	funcs   []func() int
	nested  func() func() string
	methods []func() int
	self    func(int) int
)

func build() {
	for i := 0; i < 200; i++ {
		c := &counter{name: "counter-name-" + strconv.Itoa(i)}
		shared := make([]int, 10)
		k := i
		funcs = append(funcs, func() int { shared[k%10]++; return c.Inc() + k })
		methods = append(methods, c.Inc) // a method value: a closure over c
	}
	prefix := "nested-closure-prefix"
	nested = func() func() string {
		inner := prefix + "-inner"
		return func() string { return inner + prefix }
	}
	innerFn := nested()
	funcs = append(funcs, func() int { return len(innerFn()) })
	self = func(n int) int {
		if n == 0 {
			return 0
		}
		return self(n - 1)
	}
}

func main() {
	bytes, _ := stoppoint.Measure(build)
	stoppoint.Here("closures", stoppoint.Expect{"built_bytes": bytes}, nil)
}
