// Package rounds is the protocol of the leak samples: a workload run in rounds, each followed by
// a stable stop at which a harness takes a live snapshot.
//
// A leak sample (samples/go/leak*, clean*) hands Run the function that does one round of its
// workload. Run does `warmup` rounds (so that a bounded structure of the clean twin has reached
// its steady size before the first snapshot), then stops: it collects twice (the round's
// garbage is gone and every span is swept), prints one JSON ready line and blocks in a read(2)
// of stdin. The line carries the round number, the pid, MemStats read after the collections and
// the sample's own report of the round (how many entries its cache holds, how many goroutines it
// leaked and where they were started, ...): the oracle the tests compare heapwalk's findings to.
// Each line the harness writes to stdin runs one more round and stops again; end of input exits.
//
// While stopped nothing in the process allocates: the line is built before the MemStats read
// in a buffer with room for the numbers appended after it, and written with a raw write(2); the
// main goroutine waits in a system call, every other goroutine the workload left is blocked.
// So a capture at any moment of the stop sees the heap the line describes.
//
// HEAPWALK_MEMPROFILERATE=N sets runtime.MemProfileRate to N while the package initialises,
// before any round allocates: a test that checks allocation sites sets 1 so that every
// allocation is sampled rather than about one per 512 KiB.
package rounds

import (
	"encoding/json"
	"heapwalk/samples/internal/rawio"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"syscall"
)

var _ = setProfileRate()

func setProfileRate() bool {
	v := os.Getenv("HEAPWALK_MEMPROFILERATE")
	if v == "" {
		return false
	}
	rate, err := strconv.Atoi(v)
	if err != nil || rate < 1 {
		fail("HEAPWALK_MEMPROFILERATE=" + v + ": want a positive number of bytes")
	}
	runtime.MemProfileRate = rate
	return true
}

// Report is what a round knows about itself, copied into the ready line (keys in sorted order).
type Report map[string]any

// Run runs round(1), round(2), ... as described in the package comment. It never returns.
func Run(name string, warmup int, round func(n int) Report) {
	var in [1]byte
	for n := 1; ; n++ {
		report := round(n)
		if n < warmup {
			continue
		}
		stop(name, n, report)
		if !nextLine(in[:]) {
			os.Exit(0)
		}
	}
}

// stop collects, reads MemStats and writes the ready line (see the package comment).
func stop(name string, n int, report Report) {
	all := map[string]any{"sample": name}
	for k, v := range report {
		all[k] = v
	}
	fields, err := json.Marshal(all)
	if err != nil {
		fail("encoding the report: " + err.Error())
	}
	line := make([]byte, 0, len(fields)+256)
	line = append(line, `{"ready":true,"pid":`...)
	line = strconv.AppendInt(line, int64(os.Getpid()), 10)
	line = append(line, `,"round":`...)
	line = strconv.AppendInt(line, int64(n), 10)
	var stats runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&stats)
	line = append(line, `,"heap_alloc":`...)
	line = strconv.AppendUint(line, stats.HeapAlloc, 10)
	line = append(line, `,"heap_objects":`...)
	line = strconv.AppendUint(line, stats.HeapObjects, 10)
	line = append(line, ',')
	line = append(line, fields[1:]...) // fields is {...}: its closing brace ends the line
	line = append(line, '\n')
	rawio.Write(line)
}

// FieldType is the name of the type of field `field` of the struct *ptr points to, and
// TypeName is the name of *ptr's type, both spelled as the Go toolchain names types in an
// executable's DWARF (packages by import path, not by the package name reflect's String uses):
// the names a heap snapshot of the sample gives its objects.
func FieldType(ptr any, field string) string {
	f, ok := reflect.TypeOf(ptr).Elem().FieldByName(field)
	if !ok {
		fail("no field " + field)
	}
	return typeName(f.Type)
}

func TypeName(ptr any) string { return typeName(reflect.TypeOf(ptr).Elem()) }

func typeName(t reflect.Type) string {
	switch {
	case t.Name() != "" && t.PkgPath() != "":
		return t.PkgPath() + "." + t.Name()
	case t.Kind() == reflect.Pointer:
		return "*" + typeName(t.Elem())
	case t.Kind() == reflect.Slice:
		return "[]" + typeName(t.Elem())
	case t.Kind() == reflect.Map:
		return "map[" + typeName(t.Key()) + "]" + typeName(t.Elem())
	}
	return t.String()
}

// nextLine blocks until stdin delivers a whole line (true) or ends (false).
func nextLine(b []byte) bool {
	for {
		n, err := syscall.Read(0, b)
		switch {
		case err == syscall.EINTR:
		case err != nil || n == 0:
			return false
		case b[0] == '\n':
			return true
		}
	}
}

func fail(msg string) {
	os.Stderr.WriteString("rounds: " + msg + "\n")
	os.Exit(2)
}
