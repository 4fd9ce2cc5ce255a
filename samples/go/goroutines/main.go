// goroutines: M goroutines blocked receiving on a channel, each holding a buffer.
//
// The ready line names the `go` statement (creation_site, file:line as the runtime reports it
// for gopc) so that a dumper's goroutine records can be matched to it. The sample waits until
// every worker is parked in the receive, checked through the runtime's own traceback text,
// before it stops.
package main

import (
	"runtime"
	"strconv"
	"sync"

	"heapwalk/samples/internal/stoppoint"
)

const (
	workers    = 100
	bufferSize = 4096
)

var (
	release = make(chan struct{})
	sink    int
)

func worker(i int, started *sync.WaitGroup) {
	buf := make([]byte, bufferSize)
	for j := range buf {
		buf[j] = byte(i)
	}
	started.Done()
	<-release
	sink += int(buf[i%bufferSize]) // keeps buf live across the receive
}

func main() {
	var started sync.WaitGroup
	started.Add(workers)
	_, file, line, _ := runtime.Caller(0)
	site := file + ":" + strconv.Itoa(line+3) // the `go` statement below
	for i := 0; i < workers; i++ {
		go worker(i, &started)
	}
	started.Wait()
	stoppoint.WaitBlocked(workers, "chan receive")
	stoppoint.Here("goroutines", stoppoint.Expect{
		"goroutines_blocked": workers,
		"creation_site":      site,
		"wait_reason":        "chan receive",
		"buffer_bytes":       bufferSize,
	}, nil)
}
