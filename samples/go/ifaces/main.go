// ifaces: interface values of every shape: pointers, boxed scalars and structs, strings,
// non-empty interfaces (itabs) and nested interfaces.
package main

import (
	"errors"
	"fmt"
	"strconv"

	"heapwalk/samples/internal/stoppoint"
)

type Shape interface{ Area() float64 }

type Rect struct {
	W, H  float64
	Owner *Owner
}

func (r Rect) Area() float64 { return r.W * r.H }

type Circle struct{ R float64 }

func (c *Circle) Area() float64 { return 3 * c.R * c.R }

type Owner struct{ Name string }

func (o *Owner) String() string { return o.Name }

var (
	anys     []any
	shapes   []Shape
	stringer fmt.Stringer
	failure  error
	boxed    any
)

func build() {
	owner := &Owner{Name: "owner-of-all-the-shapes"}
	for i := 0; i < 300; i++ {
		switch i % 6 {
		case 0:
			anys = append(anys, &Owner{Name: "owner-number-" + strconv.Itoa(i)})
		case 1:
			anys = append(anys, i*1000003) // boxed int
		case 2:
			anys = append(anys, "string-in-interface-"+strconv.Itoa(i))
		case 3:
			anys = append(anys, Rect{W: float64(i), H: 2, Owner: owner}) // boxed struct with a pointer
		case 4:
			anys = append(anys, []int{i, i + 1})
		case 5:
			anys = append(anys, any(&Circle{R: float64(i)}))
		}
	}
	for i := 0; i < 100; i++ {
		if i%2 == 0 {
			shapes = append(shapes, Rect{W: float64(i), H: 1, Owner: owner})
		} else {
			shapes = append(shapes, &Circle{R: float64(i)})
		}
	}
	stringer = owner
	failure = fmt.Errorf("wrapped: %w", errors.New("inner error value"))
	boxed = any(shapes)
}

func main() {
	bytes, _ := stoppoint.Measure(build)
	stoppoint.Here("ifaces", stoppoint.Expect{"built_bytes": bytes}, nil)
}
