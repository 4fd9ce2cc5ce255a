// leaklisteners: a chat server whose connections never unsubscribe from the event bus, the
// unreleased-listeners leak.
//
// Each round sixty clients connect (internal/app, chat.go); the connect hook subscribes a
// closure that delivers events to the connection, and drops the unsubscribe function Subscribe
// returns: the bug (compare cleanlisteners). Every closed connection stays subscribed, and its
// closure keeps the connection and its 2 KiB outbox alive. The ready line reports the bus's
// subscriber count, the global that roots it and the field that holds the callbacks.
package main

import (
	"heapwalk/samples/internal/app"
	"heapwalk/samples/internal/rounds"
)

// Made in main, not in the declaration: the compiler would place a store built by an initializer
// in an anonymous static object, and the retention path would start there.
var bus *app.Bus

func connect(c *app.Conn) {
	bus.Subscribe(func(ev app.Event) { c.Deliver(ev) })
}

func main() {
	bus = app.NewBus()
	rounds.Run("leaklisteners", 2, func(n int) rounds.Report {
		app.ServeChatRound(bus, n, connect)
		return rounds.Report{
			"root":             "main.bus",
			"field":            "subs",
			"root_type":        rounds.TypeName(bus),
			"collection_type":  rounds.FieldType(bus, "subs"),
			"closure":          "main.connect.func1",
			"subscribers":      bus.Subscribers(),
			"leaked_per_round": app.ConnsPerRound,
		}
	})
}
