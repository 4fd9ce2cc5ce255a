package leakytest

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// TestLeaky remembers 64 KiB sessions for a while (HEAPWALK_LEAKY_SECONDS, default 4), at
// about 48 MiB per second, then passes: the heap grows the whole time, all of it held by
// sessions.
func TestLeaky(t *testing.T) {
	secs := 4.0
	if s := os.Getenv("HEAPWALK_LEAKY_SECONDS"); s != "" {
		secs, _ = strconv.ParseFloat(s, 64)
	}
	end := time.Now().Add(time.Duration(secs * float64(time.Second)))
	for id := 0; time.Now().Before(end); {
		for i := 0; i < 36; i++ {
			p := make([]byte, 64<<10)
			for j := 0; j < len(p); j += 4096 {
				p[j] = byte(id)
			}
			Remember(id, p)
			id++
		}
		time.Sleep(50 * time.Millisecond)
	}
	if Count() == 0 {
		t.Fatal("nothing remembered")
	}
}
