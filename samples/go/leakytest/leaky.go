// Package leakytest is a package whose test leaks, for `heapwalk run -- go test` (tests/watch).
//
// Remember keeps every session it is given in the package-level map sessions and never
// forgets one: the leak a test suite can hide, because each test passes.
package leakytest

// Session is what the leaky code keeps.
type Session struct {
	ID      int
	Payload []byte
}

var sessions = map[int]*Session{}

// Remember records a session (and forgets nothing).
func Remember(id int, payload []byte) {
	sessions[id] = &Session{ID: id, Payload: payload}
}

// Count is the number of sessions remembered.
func Count() int { return len(sessions) }
