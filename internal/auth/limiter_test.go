package auth

import (
	"testing"
	"time"
)

// TestLoginLimiter: one account from one address is refused after Max
// failures and told when to retry; other addresses of that account are
// only slowed down (at most MaxWait); an abandoned attempt does not count;
// a success forgets the account's failures.
func TestLoginLimiter(t *testing.T) {
	l := newLoginLimiter()
	l.Max, l.AddressMax, l.Slowdown, l.Step, l.MaxWait, l.Window = 3, 5, 1, time.Second, 2*time.Second, time.Minute
	now := time.Unix(1_000_000, 0)
	for i := range 3 {
		if _, _, _, refused := l.reserve(now.Add(time.Duration(i)*time.Second), "a@x", "1.1.1.1"); refused {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	_, _, retry, refused := l.reserve(now.Add(10*time.Second), "a@x", "1.1.1.1")
	if !refused || retry != 50*time.Second {
		t.Fatalf("4th attempt from the guesser: refused %v, retry in %v (want 50 s: the first failure expires)", refused, retry)
	}
	a, wait, _, refused := l.reserve(now.Add(10*time.Second), "a@x", "2.2.2.2")
	if refused || wait != 2*time.Second {
		t.Fatalf("the owner's address: refused %v, wait %v (want the 2 s cap)", refused, wait)
	}
	a.abandoned()
	if n := len(l.failures["account:a@x"]); n != 3 {
		t.Errorf("an abandoned attempt counted: %d failures", n)
	}
	a, _, _, _ = l.reserve(now.Add(11*time.Second), "a@x", "2.2.2.2")
	a.succeeded()
	if _, wait, _, _ := l.reserve(now.Add(12*time.Second), "a@x", "2.2.2.2"); wait != 0 {
		t.Errorf("after a success the account still waits %v", wait)
	}
	// One address spraying many accounts is refused at AddressMax.
	for i := range 5 {
		if _, _, _, refused := l.reserve(now, string(rune('b'+i))+"@x", "3.3.3.3"); refused {
			t.Fatalf("spray %d refused early", i)
		}
	}
	if _, _, _, refused := l.reserve(now, "z@x", "3.3.3.3"); !refused {
		t.Error("an address over AddressMax is not refused")
	}
}
