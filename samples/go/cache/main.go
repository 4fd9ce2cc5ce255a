// cache: a global map cache of N entries with payloads, the classic leak shape.
//
// The sample measures what building the cache left live (HeapAlloc after minus before, with
// collections on both sides) and reports it as cache_bytes: the retained size a dumper must
// find for the map that the global main.cache points to. Keys are at least 16 bytes long so
// that none goes to the tiny allocator, whose blocks could be shared with older objects.
package main

import (
	"hash/fnv"
	"os"
	"strconv"

	"heapwalk/samples/internal/stoppoint"
)

// Entry is one cached value.
type Entry struct {
	Key     string
	Payload []byte
	Hits    int
	Prev    *Entry // the entry inserted before this one: a chain through the cache
}

var cache map[string]*Entry

const payloadBytes = 100

func build(n int) {
	cache = make(map[string]*Entry)
	var prev *Entry
	for i := 0; i < n; i++ {
		key := "cache-entry-key-" + strconv.Itoa(i)
		e := &Entry{Key: key, Payload: make([]byte, payloadBytes), Hits: i, Prev: prev}
		for j := range e.Payload {
			e.Payload[j] = byte(i + j)
		}
		cache[key] = e
		prev = e
	}
}

// checksum sums per-entry hashes, so the map's iteration order does not matter.
func checksum() uint64 {
	var sum uint64
	h := fnv.New64a()
	for k, e := range cache {
		h.Reset()
		h.Write([]byte(k))
		h.Write(e.Payload)
		sum += h.Sum64() ^ uint64(e.Hits)
	}
	return sum
}

func main() {
	n := 10000
	if s := os.Getenv("HEAPWALK_SAMPLE_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	bytes, objects := stoppoint.Measure(func() { build(n) })
	stoppoint.Here("cache", stoppoint.Expect{
		"cache_entries":  n,
		"cache_bytes":    bytes,
		"cache_objects":  objects,
		"retained_root":  "main.cache",
		"retained_bytes": bytes,
	}, checksum)
}
