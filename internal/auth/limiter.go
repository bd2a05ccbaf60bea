package auth

import (
	"sync"
	"time"
)

// loginLimiter counts failed logins per key (an account, an address) in a
// sliding window. Past Slowdown failures each attempt waits a little longer;
// past Max the key is refused until its window ends.
type loginLimiter struct {
	Window   time.Duration
	Slowdown int
	Max      int
	Step     time.Duration // extra wait per failure past Slowdown

	mu       sync.Mutex
	failures map[string][]time.Time
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{Window: 15 * time.Minute, Slowdown: 3, Max: 10, Step: 250 * time.Millisecond,
		failures: map[string][]time.Time{}}
}

// check reports how long to wait before the attempt, or refused.
func (l *loginLimiter) check(now time.Time, keys ...string) (wait time.Duration, refused bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	worst := 0
	for _, k := range keys {
		worst = max(worst, len(l.recent(now, k)))
	}
	if worst >= l.Max {
		return 0, true
	}
	if worst > l.Slowdown {
		return time.Duration(worst-l.Slowdown) * l.Step, false
	}
	return 0, false
}

func (l *loginLimiter) fail(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		l.failures[k] = append(l.recent(now, k), now)
	}
	// Keep memory bounded: drop keys whose failures have all expired.
	if len(l.failures) > 10000 {
		for k := range l.failures {
			if len(l.recent(now, k)) == 0 {
				delete(l.failures, k)
			}
		}
	}
}

func (l *loginLimiter) succeed(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.failures, k)
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

// LimitLogins sets login throttling: within window, each failure past
// slowdown makes the next attempt wait step longer, and max failures refuse
// the account or address until the window has passed. Defaults: 3, 10,
// 250ms, 15 minutes.
func (s *Service) LimitLogins(slowdown, max int, step, window time.Duration) {
	s.limiter.mu.Lock()
	defer s.limiter.mu.Unlock()
	s.limiter.Slowdown, s.limiter.Max, s.limiter.Step, s.limiter.Window = slowdown, max, step, window
}
