// sessions.go: a web shop's session store and the request handler that fills it, the workload
// of the leakcache / cleancache samples.
//
// The handler is what a net/http server would call, minus the network: requests are built in
// memory by a deterministic population of visitors (ServeShopRound). A request without a
// session cookie logs in and creates a Session in the store; a request with one looks its
// session up and touches it. The store offers EvictIdle; whether the program calls it is the
// difference between the leaky sample and its clean twin.
package app

import (
	"strconv"
	"sync"
)

// User is the account a session belongs to.
type User struct {
	ID    int
	Name  string
	Email string
}

// Item is one line of a shopping cart.
type Item struct {
	SKU string
	Qty int
}

// Session is what the store keeps per logged-in visitor.
type Session struct {
	ID       string
	User     *User
	Cart     []Item
	Created  int    // round of the login
	LastSeen int    // round of the latest request
	Render   []byte // the page buffer the handler renders into, kept for the next request
}

// SessionStore maps session ids (the cookie) to sessions.
type SessionStore struct {
	mu   sync.Mutex
	byID map[string]*Session
}

func NewSessionStore() *SessionStore {
	return &SessionStore{byID: make(map[string]*Session)}
}

func (s *SessionStore) Get(id string) *Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byID[id]
}

func (s *SessionStore) Put(sess *Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID[sess.ID] = sess
}

func (s *SessionStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}

// EvictIdle removes the sessions not seen for `ttl` rounds before `now`; returns how many.
func (s *SessionStore) EvictIdle(now, ttl int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, sess := range s.byID {
		if sess.LastSeen <= now-ttl {
			delete(s.byID, id)
			n++
		}
	}
	return n
}

// Request and Response are the handler's in-memory HTTP exchange.
type Request struct {
	Path   string
	Cookie string
	Form   map[string]string
}

type Response struct {
	Status    int
	SetCookie string
	Body      []byte
}

// renderBytes is the size of a session's page buffer.
const renderBytes = 1024

// Shop handles requests against a session store.
type Shop struct {
	Sessions *SessionStore
	Round    int
	logins   int
}

// Handle serves one request.
func (sh *Shop) Handle(req *Request) *Response {
	sess := sh.Sessions.Get(req.Cookie)
	if sess == nil {
		if req.Path != "/login" {
			return &Response{Status: 302}
		}
		sh.logins++
		id := "sess-" + strconv.Itoa(sh.logins) + "-" + strconv.Itoa(sh.Round)
		user := &User{ID: sh.logins, Name: req.Form["user"], Email: req.Form["user"] + "@example.com"}
		sess = &Session{ID: id, User: user, Created: sh.Round, Render: make([]byte, 0, renderBytes)}
		sh.Sessions.Put(sess)
	}
	sess.LastSeen = sh.Round
	if sku := req.Form["add"]; sku != "" && len(sess.Cart) < 8 {
		sess.Cart = append(sess.Cart, Item{SKU: sku, Qty: 1})
	}
	sess.Render = append(sess.Render[:0], "<html>"+req.Path+" for "+sess.User.Name+"</html>"...)
	return &Response{Status: 200, SetCookie: sess.ID, Body: sess.Render}
}

// NewVisitorsPerRound is how many visitors log in each round.
const NewVisitorsPerRound = 100

// Shop visitors: those of this round log in, add to their cart and check out; those of the
// previous round come back once to look at their cart. Nobody comes back later.
var returning []string

// ServeShopRound runs round `round`'s requests through the shop.
func ServeShopRound(sh *Shop, round int) {
	sh.Round = round
	for _, cookie := range returning {
		sh.Handle(&Request{Path: "/cart", Cookie: cookie})
	}
	returning = returning[:0]
	for i := 0; i < NewVisitorsPerRound; i++ {
		name := "visitor-" + strconv.Itoa(round) + "-" + strconv.Itoa(i)
		resp := sh.Handle(&Request{Path: "/login", Form: map[string]string{"user": name}})
		sh.Handle(&Request{Path: "/add", Cookie: resp.SetCookie,
			Form: map[string]string{"add": "sku-" + strconv.Itoa(i%37)}})
		sh.Handle(&Request{Path: "/checkout", Cookie: resp.SetCookie})
		returning = append(returning, resp.SetCookie)
	}
}
