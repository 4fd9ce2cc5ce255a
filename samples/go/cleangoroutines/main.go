// cleangoroutines: leakgoroutines' twin with the fix: the backend goroutine gives up with its
// client.
//
// The same gateway and queries (internal/app, gateway.go); the goroutine fetch starts sends
// its answer in a select that also waits for the client's context, so a late answer is dropped
// and the goroutine returns. Only the gateway's fixed pool of log shippers stays blocked,
// in the same number every round. No finding is expected.
package main

import (
	"context"
	"runtime"

	"heapwalk/samples/internal/app"
	"heapwalk/samples/internal/rounds"
)

var backend = app.NewBackend()

func fetch(ctx context.Context, be *app.Backend, q app.Query) (app.Result, error) {
	ch := make(chan app.Result)
	go func() {
		r := be.Call(q)
		select {
		case ch <- r:
		case <-ctx.Done():
		}
	}()
	select {
	case r := <-ch:
		return r, nil
	case <-ctx.Done():
		return app.Result{}, ctx.Err()
	}
}

func main() {
	base := runtime.NumGoroutine()
	rounds.Run("cleangoroutines", 2, func(n int) rounds.Report {
		app.ServeGatewayRound(backend, n, fetch)
		app.Settle(base+app.LogShippers, 0)
		return rounds.Report{"blocked": 0}
	})
}
