// gateway.go: an API gateway that forwards queries to a backend on behalf of clients who may
// give up waiting, the workload of the leakgoroutines / cleangoroutines samples.
//
// Each query runs in its own handler goroutine, which calls the program's fetch function
// (passed to ServeGatewayRound) with the client's context. Fetch starts a goroutine for the
// backend call and waits for its result or for the context to end. Some queries go to a slow
// report endpoint whose answers arrive only after their clients disconnected: what the fetch
// goroutine does with such a late answer is the difference between the leaky sample and its
// clean twin. Everything is sequenced by the round (no timers), so each round leaves the same
// goroutines whatever the scheduling.
package app

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Query is one client request to the backend.
type Query struct {
	Endpoint string
	Args     string
}

// Result is the backend's answer.
type Result struct {
	Rows []byte
}

// ResultBytes is the size of a result.
const ResultBytes = 4096

// Backend answers queries; calls to the report endpoint wait until Flush.
type Backend struct {
	mu      sync.Mutex
	gate    chan struct{}
	waiting int
}

func NewBackend() *Backend { return &Backend{gate: make(chan struct{})} }

// Call runs q and returns its result.
func (b *Backend) Call(q Query) Result {
	if q.Endpoint == "/reports" {
		b.mu.Lock()
		gate := b.gate
		b.waiting++
		b.mu.Unlock()
		<-gate
	}
	r := Result{Rows: make([]byte, ResultBytes)}
	copy(r.Rows, q.Endpoint+"?"+q.Args)
	return r
}

// Waiting is how many report calls are waiting for Flush.
func (b *Backend) Waiting() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waiting
}

// Flush lets every waiting report call finish.
func (b *Backend) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.gate)
	b.gate = make(chan struct{})
	b.waiting = 0
}

const (
	// QueriesPerRound is how many queries each round serves.
	QueriesPerRound = 40
	// SlowEvery: every SlowEvery-th query goes to the slow report endpoint.
	SlowEvery = 4
)

// Fetch is the program's backend call on behalf of a client (see the file comment).
type Fetch func(ctx context.Context, be *Backend, q Query) (Result, error)

// Gateway state: a pool of log shippers, started once and blocked between jobs; they belong to
// the steady state of both samples.
var (
	shippers  sync.Once
	shipLog   = make(chan string)
	shipQuit  = make(chan struct{})
	shipCount int
)

const LogShippers = 8

// ServeGatewayRound serves one round of queries through fetch: the clients of slow queries
// disconnect once every fast query is answered and every slow one waits in the backend; then
// the backend delivers its late answers.
func ServeGatewayRound(be *Backend, round int, fetch Fetch) {
	shippers.Do(func() {
		for i := 0; i < LogShippers; i++ {
			go func() {
				for {
					select {
					case line := <-shipLog:
						shipCount += len(line)
					case <-shipQuit:
						return
					}
				}
			}()
		}
	})
	var fast, all sync.WaitGroup
	var disconnects []context.CancelFunc
	slow := 0
	for i := 0; i < QueriesPerRound; i++ {
		q := Query{Endpoint: "/items", Args: "round=" + strconv.Itoa(round) + "&i=" + strconv.Itoa(i)}
		ctx, cancel := context.WithCancel(context.Background())
		if i%SlowEvery == 0 {
			q.Endpoint = "/reports"
			disconnects = append(disconnects, cancel)
			slow++
		} else {
			defer cancel()
			fast.Add(1)
		}
		all.Add(1)
		go func(ctx context.Context, q Query, isSlow bool) {
			defer all.Done()
			_, err := fetch(ctx, be, q)
			if !isSlow {
				fast.Done()
			}
			status := "200"
			if err != nil {
				status = "499"
			}
			shipLog <- q.Endpoint + " " + status
		}(ctx, q, q.Endpoint == "/reports")
	}
	fast.Wait()
	for be.Waiting() < slow {
		time.Sleep(time.Millisecond)
	}
	for _, disconnect := range disconnects {
		disconnect()
	}
	all.Wait()
	be.Flush()
}

// Blocked is a group of goroutines as the runtime's own tracebacks show them: the `go`
// statement that created them and the innermost shown frame (runtime frames are elided).
type Blocked struct {
	CreatedAt string // file:line
	Func      string // the innermost frame's function
	WaitsAt   string // and its file:line
}

// Settle waits until the process runs exactly `want` goroutines (runtime.NumGoroutine) and
// exactly `sends` of them are blocked in a channel send: the late answers have been dealt with.
// It returns the blocked senders by group (see BlockedIn).
func Settle(want, sends int) map[Blocked]int {
	for {
		groups := BlockedIn("chan send")
		total := 0
		for _, n := range groups {
			total += n
		}
		if runtime.NumGoroutine() == want && total == sends {
			return groups
		}
		time.Sleep(time.Millisecond)
	}
}

// BlockedIn counts the goroutines waiting for `reason` by group.
func BlockedIn(reason string) map[Blocked]int {
	b := make([]byte, 1<<16)
	n := runtime.Stack(b, true)
	for n == len(b) {
		b = make([]byte, 2*len(b))
		n = runtime.Stack(b, true)
	}
	groups := map[Blocked]int{}
	for _, g := range strings.Split(string(b[:n]), "\n\n") {
		lines := strings.Split(g, "\n")
		if len(lines) < 5 || !(strings.Contains(lines[0], "["+reason+"]") || strings.Contains(lines[0], "["+reason+",")) {
			continue
		}
		var k Blocked
		k.Func, _, _ = strings.Cut(lines[1], "(")
		k.WaitsAt = place(lines[2])
		for i, l := range lines {
			if strings.HasPrefix(l, "created by ") && i+1 < len(lines) {
				k.CreatedAt = place(lines[i+1])
			}
		}
		groups[k]++
	}
	return groups
}

// place is the file:line of a traceback's "\tFILE:LINE +0xPC" line.
func place(l string) string {
	l, _, _ = strings.Cut(strings.TrimSpace(l), " ")
	return l
}
