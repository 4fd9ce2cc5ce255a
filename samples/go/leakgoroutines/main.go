// leakgoroutines: a gateway whose backend goroutines block forever once their client has gone,
// the leaked-goroutines leak.
//
// Each round serves forty queries (internal/app, gateway.go); every fourth goes to a slow
// endpoint whose client disconnects before the answer comes. fetch gives up on the context,
// but the goroutine it started sends the late answer on an unbuffered channel nobody receives
// from any more: it blocks in the send forever, holding the 4 KiB result (the bug; compare
// cleangoroutines). The ready line reports how many goroutines are blocked and the file:line
// of the `go` statement that started them and the frame they wait in, as the runtime's own
// tracebacks give them, and the function that allocates the results, as the runtime names it.
package main

import (
	"context"
	"reflect"
	"runtime"

	"heapwalk/samples/internal/app"
	"heapwalk/samples/internal/rounds"
)

var backend = app.NewBackend()

func fetch(ctx context.Context, be *app.Backend, q app.Query) (app.Result, error) {
	ch := make(chan app.Result)
	go func() { ch <- be.Call(q) }()
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		return app.Result{}, ctx.Err()
	}
}

func main() {
	base := runtime.NumGoroutine()
	leaked := 0
	rounds.Run("leakgoroutines", 2, func(n int) rounds.Report {
		app.ServeGatewayRound(backend, n, fetch)
		leaked += app.QueriesPerRound / app.SlowEvery
		groups := app.Settle(base+app.LogShippers+leaked, leaked)
		var g app.Blocked // the one group expected: the test checks "groups"
		for g = range groups {
		}
		return rounds.Report{
			"groups":           len(groups),
			"creation_site":    g.CreatedAt,
			"start_func":       g.Func,
			"waits_at":         g.WaitsAt,
			"wait_reason":      "chan send",
			"blocked":          leaked,
			"leaked_per_round": app.QueriesPerRound / app.SlowEvery,
			"result_bytes":     app.ResultBytes,
			// The function that allocates each result, as the runtime names it.
			"result_alloc_func": runtime.FuncForPC(reflect.ValueOf((*app.Backend).Call).Pointer()).Name(),
		}
	})
}
