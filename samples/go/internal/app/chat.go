// chat.go: a chat server's event bus and its client connections, the workload of the
// leaklisteners / cleanlisteners samples.
//
// Connections subscribe a closure to the bus when they open; the bus delivers every published
// event to every subscriber. Subscribe returns the function that unsubscribes; whether the
// program's connect hook (passed to ServeChatRound) arranges for it to run when the connection
// closes is the difference between the leaky sample and its clean twin.
package app

import (
	"strconv"
	"sync"
)

// Event is one chat message.
type Event struct {
	Room string
	Seq  int
	Text string
}

// subscriber is one registration: the id that Unsubscribe finds it by, and the callback.
type subscriber struct {
	id uint64
	fn func(Event)
}

// Bus fans events out to its subscribers.
type Bus struct {
	mu     sync.Mutex
	nextID uint64
	subs   []subscriber
	seq    int
}

func NewBus() *Bus { return &Bus{} }

// Subscribe registers fn and returns the function that removes it again.
func (b *Bus) Subscribe(fn func(Event)) (unsubscribe func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nextID++
	id := b.nextID
	b.subs = append(b.subs, subscriber{id: id, fn: fn})
	return func() { b.unsubscribe(id) }
}

func (b *Bus) unsubscribe(id uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range b.subs {
		if b.subs[i].id == id {
			last := len(b.subs) - 1
			b.subs[i] = b.subs[last]
			b.subs[last] = subscriber{} // the backing array must not keep the callback alive
			b.subs = b.subs[:last]
			return
		}
	}
}

// Publish delivers ev to every subscriber.
func (b *Bus) Publish(room, text string) {
	b.mu.Lock()
	b.seq++
	ev := Event{Room: room, Seq: b.seq, Text: text}
	subs := append([]subscriber(nil), b.subs...)
	b.mu.Unlock()
	for _, s := range subs {
		s.fn(ev)
	}
}

// Subscribers is how many callbacks the bus holds.
func (b *Bus) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// outboxBytes is the size of a connection's write buffer.
const outboxBytes = 2048

// Conn is one client connection.
type Conn struct {
	ID      int
	User    string
	outbox  []byte
	sent    int
	closed  bool
	onClose []func()
}

// Deliver queues ev on the connection (drops it once closed).
func (c *Conn) Deliver(ev Event) {
	if c.closed {
		return
	}
	c.outbox = append(c.outbox[:0], ev.Room+": "+ev.Text...)
	c.sent++
}

// OnClose arranges for fn to run when the connection closes.
func (c *Conn) OnClose(fn func()) { c.onClose = append(c.onClose, fn) }

// Close closes the connection and runs its OnClose functions.
func (c *Conn) Close() {
	c.closed = true
	for _, fn := range c.onClose {
		fn()
	}
	c.onClose = nil
}

const (
	// ConnsPerRound is how many clients connect each round.
	ConnsPerRound = 60
	// stayingConns of them stay connected until the next round.
	stayingConns = 20
)

// AuditLog keeps the rooms of the latest events.
type AuditLog struct {
	rooms []string
}

func (a *AuditLog) Record(ev Event) {
	if len(a.rooms) == 8 {
		a.rooms = a.rooms[:0]
	}
	a.rooms = append(a.rooms, ev.Room)
}

// Chat state across rounds: the connections still open, and the server's own subscriber
// (registered once, for the server's lifetime).
var (
	open     []*Conn
	connSeq  int
	services sync.Once
)

// ServeChatRound runs round `round`: the connections left open by the previous round close,
// ConnsPerRound clients connect (connect is the server's hook, run on each new connection),
// chat, and all but stayingConns of them disconnect again.
func ServeChatRound(bus *Bus, round int, connect func(*Conn)) {
	services.Do(func() {
		audit := &AuditLog{}
		bus.Subscribe(audit.Record)
	})
	for _, c := range open {
		c.Close()
	}
	open = open[:0]
	var conns []*Conn
	for i := 0; i < ConnsPerRound; i++ {
		connSeq++
		c := &Conn{ID: connSeq, User: "user-" + strconv.Itoa(connSeq), outbox: make([]byte, 0, outboxBytes)}
		connect(c)
		conns = append(conns, c)
	}
	for i, c := range conns {
		bus.Publish("room-"+strconv.Itoa(i%5), c.User+" says hello in round "+strconv.Itoa(round))
	}
	for i, c := range conns {
		if i < stayingConns {
			open = append(open, c)
		} else {
			c.Close()
		}
	}
}
