package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"kokeilu/internal/server"
	"kokeilu/internal/testdb"
)

// clientFrom is an HTTP client whose connections come from ip (any
// 127.x.y.z is loopback on Linux), so the server sees another address.
func clientFrom(t *testing.T, ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr := &http.Transport{DialContext: d.DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

// postWith sends a GraphQL request with c.
func (a *api) postWith(c *http.Client, query string, vars map[string]any) response {
	a.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	res, err := c.Post(a.srv.URL+"/query", "application/json", bytes.NewReader(body))
	if err != nil {
		a.t.Fatalf("POST /query: %v", err)
	}
	defer res.Body.Close()
	var out response
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		a.t.Fatalf("decode response (status %d): %v", res.StatusCode, err)
	}
	out.Status = res.StatusCode
	return out
}

const loginMutation = `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { token } }`

func outcomeOf(res response) string {
	if len(res.Errors) > 0 {
		return res.Errors[0].code()
	}
	return "OK"
}

var retryIn = regexp.MustCompile(`try again in (\d+) s`)

// TestLoginIsNoLockOutTool: a guesser at another address cannot lock the
// owner out. The guesser's own attempts are refused after the limit (even
// with the right password, and told when to retry); the owner's correct
// password from their address still signs in, only slowed down.
func TestLoginIsNoLockOutTool(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		a.accounts.LimitLogins(2, 5, 30*time.Millisecond, time.Minute)
		a.register("owner@example.org", "Owner")
		guesser, owner := clientFrom(t, "127.0.0.2"), clientFrom(t, "127.0.0.1")
		wrong := map[string]any{"e": "owner@example.org", "p": "guess guess guess"}
		right := map[string]any{"e": "owner@example.org", "p": "correct horse battery"}
		for i := range 5 {
			if got := outcomeOf(a.postWith(guesser, loginMutation, wrong)); got != "UNAUTHENTICATED" {
				t.Fatalf("guess %d: %s", i+1, got)
			}
		}
		for _, vars := range []map[string]any{wrong, right} {
			res := a.postWith(guesser, loginMutation, vars)
			if outcomeOf(res) != "RATE_LIMITED" {
				t.Fatalf("guesser past the limit: %s", outcomeOf(res))
			}
			m := retryIn.FindStringSubmatch(res.Errors[0].Message)
			if m == nil {
				t.Fatalf("no retry time in %q", res.Errors[0].Message)
			}
			if s, _ := strconv.Atoi(m[1]); s < 55 || s > 60 {
				t.Errorf("retry in %d s, want about the 60 s window", s)
			}
		}
		start := time.Now()
		if got := outcomeOf(a.postWith(owner, loginMutation, right)); got != "OK" {
			t.Fatalf("the owner's correct password from their address: %s", got)
		}
		// 5 failures, slowdown after 2: 3 steps of 30 ms.
		if took := time.Since(start); took < 90*time.Millisecond {
			t.Errorf("the owner's sign-in took %v, want it slowed by the account's failures", took)
		}
		// The owner's sign-in forgot the account's failures.
		start = time.Now()
		a.postWith(owner, loginMutation, right)
		if took := time.Since(start); took > 80*time.Millisecond {
			t.Errorf("after the owner signed in, a sign-in still took %v", took)
		}
	})
}

// TestParallelGuessesAreCounted: 40 wrong passwords at once from one
// address get 10 checks (the limit); the rest are refused before their
// password is checked (all 40 were tried before).
func TestParallelGuessesAreCounted(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		a.accounts.LimitLogins(1000, 10, 0, time.Minute)
		a.register("target@example.org", "Target")
		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			counts = map[string]int{}
		)
		for range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got := outcomeOf(a.post(loginMutation, map[string]any{"e": "target@example.org", "p": "guess guess guess"}))
				mu.Lock()
				counts[got]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		if counts["UNAUTHENTICATED"] != 10 || counts["RATE_LIMITED"] != 30 {
			t.Errorf("40 parallel guesses: %v, want 10 checked and 30 refused", counts)
		}
	})
}

// TestRetryAfterAgrees: the 429 of the request rate limit says the same
// whole seconds as its Retry-After header (it said "retry in 0.0 s").
func TestRetryAfterAgrees(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	limited := httptest.NewServer(server.NewHandler(a.db, server.Options{Accounts: a.accounts, Board: a.board,
		RateLimit: server.RateLimit{PerSecond: 50, Burst: 1}}))
	defer limited.Close()
	for range 5 {
		res, err := http.Post(limited.URL+"/query", "application/json", strings.NewReader(`{"query": "{ __typename }"}`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusTooManyRequests {
			continue
		}
		header := res.Header.Get("Retry-After")
		if !strings.Contains(string(body), "retry in "+header+" s") || header == "0" {
			t.Fatalf("Retry-After %q, body %s", header, body)
		}
		return
	}
	t.Fatal("never limited")
}
