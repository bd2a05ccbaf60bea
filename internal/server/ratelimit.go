package server

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"kokeilu/internal/auth"
	"kokeilu/internal/fault"

	"golang.org/x/time/rate"
)

// RateLimit is a token bucket per client: requests a second and burst.
// Signed-in users are limited per account, others per address.
type RateLimit struct {
	PerSecond float64 // 0 turns limiting off
	Burst     int
}

// limiter keeps one bucket per client, forgetting idle ones.
type limiter struct {
	limit RateLimit

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	*rate.Limiter
	seen time.Time
}

// newLimiter is the limiter of l, or nil when l does not limit.
func newLimiter(l RateLimit) *limiter {
	if l.PerSecond <= 0 {
		return nil
	}
	return &limiter{limit: l, buckets: map[string]*bucket{}, swept: time.Now()}
}

// allow takes a token for key; when none is left it says how long to wait.
func (l *limiter) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute { // bounded memory: drop idle clients
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 10*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.bucketFor(key, now)
	r := b.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now)
		return false, delay
	}
	return true, 0
}

// bucketFor is key's bucket, made when missing; l.mu is held.
func (l *limiter) bucketFor(key string, now time.Time) *bucket {
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{Limiter: rate.NewLimiter(rate.Limit(l.limit.PerSecond), max(1, l.limit.Burst))}
		l.buckets[key] = b
	}
	b.seen = now
	return b
}

// authGate makes made-up bearer tokens cost budget: a refused token takes
// a token of its address's budget (shared with anonymous requests) and of
// a budget of the address's refused tokens; once the latter is empty, the
// address's next bearer token is refused (429) before it is looked up in
// the database. Valid tokens draw on their account's budget only
// (limitRate), so anonymous traffic from an address does not starve its
// signed-in users.
func (l *limiter) authGate() auth.Gate {
	g := auth.Gate{Unavailable: func(w http.ResponseWriter, r *http.Request) {
		auth.WriteUnavailable(w, map[string]any{"requestId": RequestID(r.Context())})
	}}
	if l == nil {
		return g
	}
	g.Admit = func(w http.ResponseWriter, r *http.Request) bool {
		now := time.Now()
		l.mu.Lock()
		b := l.bucketFor("refused:"+clientAddr(r), now)
		tokens := b.TokensAt(now)
		l.mu.Unlock()
		if tokens >= 1 {
			return true
		}
		secs, message := retryIn(time.Duration((1 - tokens) / l.limit.PerSecond * float64(time.Second)))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeErrorCode(w, http.StatusTooManyRequests, fault.RateLimited, message)
		return false
	}
	g.Refused = func(r *http.Request) {
		now, addr := time.Now(), clientAddr(r)
		l.allow("addr:"+addr, now)
		l.allow("refused:"+addr, now)
	}
	return g
}

// take takes a token for the client of ctx: the signed-in account, or
// the address. nil takes nothing (no limit).
func (l *limiter) take(ctx context.Context, addr string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	key := "addr:" + addr
	if v := auth.FromContext(ctx); v != nil {
		key = "user:" + strconv.Itoa(v.ID)
	}
	return l.allow(key, time.Now())
}

// retryIn says a wait in whole seconds, rounded up, for both the message
// and Retry-After ("retry in 0.0 s" beside Retry-After: 1 told clients two
// things).
func retryIn(wait time.Duration) (secs int, message string) {
	secs = max(1, int(math.Ceil(wait.Seconds())))
	return secs, fmt.Sprintf("too many requests: retry in %d s", secs)
}

// limitRate answers 429 RATE_LIMITED, with Retry-After, to a client over
// its rate; it runs after authentication to know who the client is. The
// same limiter counts the operations sent over WebSockets (each is a
// request too), so every transport draws on one budget.
func limitRate(lim *limiter, next http.Handler) http.Handler {
	if lim == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := lim.take(r.Context(), clientAddr(r)); !ok {
			secs, message := retryIn(wait)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeErrorCode(w, http.StatusTooManyRequests, fault.RateLimited, message)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
