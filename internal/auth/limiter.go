package auth

import (
	"slices"
	"sync"
	"time"
)

// loginLimiter throttles password guessing without handing anyone a tool to
// lock an owner out of their account:
//
//   - one account from one address is refused after Max failures within
//     Window (the guesser; the owner elsewhere is not affected);
//   - one address is refused after AddressMax failures over any accounts
//     (spraying one password over many accounts);
//   - an account's failures from all addresses only slow its sign-ins down:
//     past Slowdown failures each attempt waits Step longer, at most MaxWait,
//     so a correct password from another address still gets in.
//
// An attempt is reserved — counted as a failure — before its password is
// checked, and released when it succeeds, so parallel guesses cannot all
// pass the check before any is counted.
type loginLimiter struct {
	Window     time.Duration
	Slowdown   int
	Step       time.Duration // extra wait per account failure past Slowdown
	MaxWait    time.Duration
	Max        int // failures of one account from one address
	AddressMax int // failures from one address, any accounts

	mu       sync.Mutex
	failures map[string][]time.Time
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{Window: 15 * time.Minute, Slowdown: 3, Step: 250 * time.Millisecond, MaxWait: 3 * time.Second,
		Max: 10, AddressMax: 100, failures: map[string][]time.Time{}}
}

// attempt is a reserved sign-in attempt.
type attempt struct {
	l    *loginLimiter
	keys []string
	at   time.Time
}

// reserve counts an attempt at account from address before its password
// is checked. It returns the attempt and how long to wait before checking,
// or, when refused, how long until the next attempt may be made.
func (l *loginLimiter) reserve(now time.Time, account, address string) (a *attempt, wait, retryIn time.Duration, refused bool) {
	pair, acct, addr := "pair:"+account+"\x00"+address, "account:"+account, "addr:"+address
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, limit := range []struct {
		key string
		max int
	}{{pair, l.Max}, {addr, l.AddressMax}} {
		if fs := l.recent(now, limit.key); len(fs) >= limit.max {
			// Free again when enough of the oldest failures have expired.
			retryIn = max(retryIn, fs[len(fs)-limit.max].Add(l.Window).Sub(now))
			refused = true
		}
	}
	if refused {
		return nil, 0, max(retryIn, time.Second), true
	}
	if n := len(l.recent(now, acct)); n > l.Slowdown {
		wait = min(time.Duration(n-l.Slowdown)*l.Step, l.MaxWait)
	}
	keys := []string{pair, acct, addr}
	for _, k := range keys {
		l.failures[k] = append(l.failures[k], now)
	}
	l.sweep(now)
	return &attempt{l: l, keys: keys, at: now}, wait, 0, false
}

// succeeded releases the attempt and forgets the failures of the account
// (the owner has signed in).
func (a *attempt) succeeded() {
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	a.l.release(a)
	delete(a.l.failures, a.keys[0])
	delete(a.l.failures, a.keys[1])
}

// abandoned releases an attempt that got no verdict (the request ended or
// the database failed): no password was tried.
func (a *attempt) abandoned() {
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	a.l.release(a)
}

// release removes a's reservation; l.mu is held.
func (l *loginLimiter) release(a *attempt) {
	for _, k := range a.keys {
		fs := l.failures[k]
		if i := slices.Index(fs, a.at); i >= 0 {
			l.failures[k] = slices.Delete(fs, i, i+1)
		}
	}
}

// sweep keeps memory bounded: it drops keys whose failures have all
// expired; l.mu is held.
func (l *loginLimiter) sweep(now time.Time) {
	if len(l.failures) <= 10000 {
		return
	}
	for k := range l.failures {
		if len(l.recent(now, k)) == 0 {
			delete(l.failures, k)
		}
	}
}

// recent returns the failures of k inside the window; l.mu is held.
func (l *loginLimiter) recent(now time.Time, k string) []time.Time {
	fs := l.failures[k]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) > l.Window {
		i++
	}
	if i > 0 {
		fs = fs[i:]
		l.failures[k] = fs
	}
	return fs
}

// LimitLogins sets login throttling: within window, max failures refuse
// one account from one address (and 10 × max refuse an address over all
// accounts), and each failure of an account past slowdown makes its next
// attempts wait step longer (at most 12 steps). Defaults: 3, 10, 250ms,
// 15 minutes.
func (s *Service) LimitLogins(slowdown, max int, step, window time.Duration) {
	s.limiter.mu.Lock()
	defer s.limiter.mu.Unlock()
	s.limiter.Slowdown, s.limiter.Max, s.limiter.Step, s.limiter.Window = slowdown, max, step, window
	s.limiter.AddressMax, s.limiter.MaxWait = 10*max, 12*step
}
