package server

import (
	"net/http"
	"sync"

	"kokeilu/internal/fault"
)

// addressCap bounds the open streams of one client address — WebSockets
// and SSE responses together (Options.SocketsPerAddress): without it one
// address could hold any number of SSE subscriptions, each a goroutine and
// a notice board subscriber. nil, or a limit of 0, admits every stream.
type addressCap struct {
	limit int

	mu   sync.Mutex
	open map[string]int
}

func newAddressCap(limit int) *addressCap {
	if limit <= 0 {
		return nil
	}
	return &addressCap{limit: limit, open: map[string]int{}}
}

// acquire takes a slot for r's address, or answers 429 RATE_LIMITED with
// Retry-After and returns a nil release. release frees the slot; call it
// once, when the stream ends.
func (c *addressCap) acquire(w http.ResponseWriter, r *http.Request) (release func()) {
	if c == nil {
		return func() {}
	}
	addr := clientAddr(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[addr] >= c.limit {
		w.Header().Set("Retry-After", "5")
		writeErrorCode(w, http.StatusTooManyRequests, fault.RateLimited, "too many open streams (WebSockets and SSE) from this address")
		return nil
	}
	c.open[addr]++
	return sync.OnceFunc(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.open[addr]--; c.open[addr] <= 0 {
			delete(c.open, addr)
		}
	})
}
