// cleanlisteners: leaklisteners' twin with the fix: a connection unsubscribes when it closes.
//
// The same server and clients (internal/app, chat.go); the connect hook hands the unsubscribe
// function to the connection's OnClose. The bus then holds the server's own subscriber and
// the connections still open: a steady count from the second round on. No finding is expected.
package main

import (
	"heapwalk/samples/internal/app"
	"heapwalk/samples/internal/rounds"
)

// Made in main, not in the declaration: the compiler would place a store built by an initializer
// in an anonymous static object, and the retention path would start there.
var bus *app.Bus

func connect(c *app.Conn) {
	c.OnClose(bus.Subscribe(func(ev app.Event) { c.Deliver(ev) }))
}

func main() {
	bus = app.NewBus()
	rounds.Run("cleanlisteners", 2, func(n int) rounds.Report {
		app.ServeChatRound(bus, n, connect)
		return rounds.Report{
			"root":        "main.bus",
			"subscribers": bus.Subscribers(),
		}
	})
}
