package server_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"kokeilu/internal/testdb"
)

// TestShutdownLooksLikeARestart: at shutdown, WebSocket subscriptions on
// both protocols end with the 1012 close alone — no complete, which would
// make graphql-ws clients give the subscription up — and SSE streams end
// without event: complete, so graphql-sse clients retry.
func TestShutdownLooksLikeARestart(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		var sockets []*wsClient
		for _, protocol := range []string{"graphql-transport-ws", "graphql-ws"} {
			c, err := a.dialWS(protocol, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"1", "2", "3"} {
				c.subscribe(id, subscription, nil)
			}
			sockets = append(sockets, c)
		}
		req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/query", bytes.NewReader([]byte(`{"query":"subscription { noticePosted { id } }"}`)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "text/event-stream")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		waitSubscribers(t, a, 7)

		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		a.handler.Shutdown(ctx)
		for _, c := range sockets {
			for {
				m, err := c.read(3 * time.Second)
				if err != nil {
					if code := websocket.CloseStatus(err); code != 1012 {
						t.Errorf("%s: ended with %v, want close 1012", c.protocol, err)
					}
					break
				}
				if m.Type == "complete" || m.Type == "error" {
					t.Errorf("%s: %s for %s before the 1012 close", c.protocol, m.Type, m.ID)
				}
			}
		}
		body, _ := io.ReadAll(res.Body)
		if strings.Contains(string(body), "event: complete") {
			t.Errorf("the SSE stream ended with complete: %q", body)
		}
	})
}
