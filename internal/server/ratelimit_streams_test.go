package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"kokeilu/internal/auth"
	"kokeilu/internal/server"
	"kokeilu/internal/testdb"
)

// TestRateLimitOnEveryTransport: operations over a WebSocket draw on the
// same per-client budget as HTTP requests (and SSE requests, which are
// HTTP requests): with 2 requests/s, 30 quick operations on one socket are
// mostly refused with RATE_LIMITED (and a retryAfter), and the HTTP request
// that follows finds the budget spent.
func TestRateLimitOnEveryTransport(t *testing.T) {
	db := testdb.Open(t, testdb.SQLite)
	accounts, err := auth.NewService(db.Client, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := server.NewHandler(db, server.Options{Accounts: accounts, RateLimit: server.RateLimit{PerSecond: 2, Burst: 2}})
	srv := httptest.NewServer(h)
	defer srv.Close()
	a := &api{t: t, srv: srv}

	c, err := a.dialWS("graphql-transport-ws", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	const ops = 30
	for i := range ops {
		c.subscribe(strconv.Itoa(i), `{ __typename }`, nil)
	}
	answered, limited := 0, 0
	for done := 0; done < ops; {
		m, err := c.read(5 * time.Second)
		if err != nil {
			t.Fatalf("after %d answers: %v", done, err)
		}
		switch m.Type {
		case "next":
			answered++
		case "complete":
			done++
		case "error":
			done++
			var errs []gqlError
			_ = json.Unmarshal(m.Payload, &errs)
			if len(errs) == 0 || errs[0].code() != "RATE_LIMITED" || errs[0].Extensions["retryAfter"] == nil {
				t.Errorf("error %s", m.Payload)
			}
			limited++
		}
	}
	if limited < ops-10 || answered+limited != ops {
		t.Errorf("%d answered, %d refused of %d operations on one socket at 2/s", answered, limited, ops)
	}
	for name, req := range map[string]func() *http.Request{
		"POST": func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, srv.URL+"/query", bytes.NewReader([]byte(`{"query":"{ __typename }"}`)))
			r.Header.Set("Content-Type", "application/json")
			return r
		},
		"SSE": func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, srv.URL+"/query", bytes.NewReader([]byte(`{"query":"subscription { noticePosted { id } }"}`)))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Accept", "text/event-stream")
			return r
		},
	} {
		res, err := http.DefaultClient.Do(req())
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
			t.Errorf("%s after the socket spent the budget: %d", name, res.StatusCode)
		}
	}
	t.Logf("one socket at 2 requests/s: %d of %d operations answered, %d refused", answered, ops, limited)
}
