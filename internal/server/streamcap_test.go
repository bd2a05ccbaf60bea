package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"kokeilu/internal/server"
	"kokeilu/internal/testdb"
)

// TestStreamsPerAddressCountSSE: the per-address cap counts WebSockets and
// SSE streams together (700 SSE subscriptions from one address were all
// accepted while WebSockets stopped at 500): with a cap of 2, one socket
// and one SSE stream fill it, a further SSE stream and a further socket
// are refused with 429 RATE_LIMITED and Retry-After, and a slot frees when
// a stream ends.
func TestStreamsPerAddressCountSSE(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	capped := httptest.NewServer(server.NewHandler(a.db, server.Options{Accounts: a.accounts, Board: a.board, SocketsPerAddress: 2}))
	defer capped.Close()
	b := &api{t: t, srv: capped, board: a.board}
	ws, err := b.dialWS("graphql-transport-ws", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	first := b.subscribeSSE(subscription, nil)
	sse := func() *http.Response {
		body, _ := json.Marshal(map[string]any{"query": subscription})
		req, _ := http.NewRequest(http.MethodPost, capped.URL+"/query", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "text/event-stream")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := sse()
	var out response
	_ = json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" ||
		len(out.Errors) == 0 || out.Errors[0].code() != "RATE_LIMITED" {
		t.Fatalf("a third stream (SSE): status %d, Retry-After %q, %+v", res.StatusCode, res.Header.Get("Retry-After"), out.Errors)
	}
	if _, err := b.dialWS("graphql-transport-ws", "", nil); err == nil {
		t.Fatal("a third stream (WebSocket) was accepted")
	}
	first.res.Body.Close()
	ws.conn.CloseNow()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		res := sse()
		status := res.StatusCode
		res.Body.Close()
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after two streams ended: status %d", status)
		}
	}
}
