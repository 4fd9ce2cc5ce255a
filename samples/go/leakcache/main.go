// leakcache: a web shop whose session store is never evicted, the growing-cache leak.
//
// Each round serves a hundred visitors' logins and requests (internal/app, sessions.go); every
// login stores a Session (with its user, cart and 1 KiB page buffer) in the global store, and
// nothing ever removes one: the bug is the missing eviction (compare cleancache). The ready
// line reports the store's size, the global that roots it and the field that holds the map.
package main

import (
	"heapwalk/samples/internal/app"
	"heapwalk/samples/internal/rounds"
)

// Made in main, not in the declaration: the compiler would place a store built by an initializer
// in an anonymous static object, and the retention path would start there.
var sessions *app.SessionStore

func main() {
	sessions = app.NewSessionStore()
	shop := &app.Shop{Sessions: sessions}
	rounds.Run("leakcache", 2, func(n int) rounds.Report {
		app.ServeShopRound(shop, n)
		return rounds.Report{
			"root":              "main.sessions",
			"field":             "byID",
			"root_type":         rounds.TypeName(sessions),
			"container_type":    rounds.FieldType(sessions, "byID"),
			"entries":           sessions.Len(),
			"entries_per_round": app.NewVisitorsPerRound,
		}
	})
}
