// cleancache: leakcache's twin with the fix: sessions idle for a round are evicted.
//
// The same shop and visitors (internal/app, sessions.go); after each round the janitor evicts
// the sessions not seen in it, so the store holds this round's logins and last round's
// returning visitors: a steady size from the second round on. No finding is expected.
package main

import (
	"heapwalk/samples/internal/app"
	"heapwalk/samples/internal/rounds"
)

// Made in main, not in the declaration: the compiler would place a store built by an initializer
// in an anonymous static object, and the retention path would start there.
var sessions *app.SessionStore

// idleRounds is the session TTL, in rounds without a request.
const idleRounds = 1

func main() {
	sessions = app.NewSessionStore()
	shop := &app.Shop{Sessions: sessions}
	rounds.Run("cleancache", 2, func(n int) rounds.Report {
		app.ServeShopRound(shop, n)
		evicted := sessions.EvictIdle(n, idleRounds)
		return rounds.Report{
			"root":    "main.sessions",
			"entries": sessions.Len(),
			"evicted": evicted,
		}
	})
}
