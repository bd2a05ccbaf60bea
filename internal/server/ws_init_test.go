package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"kokeilu/internal/testdb"

	"github.com/coder/websocket"
)

// TestSocketInitPayload: connection_init's payload must be an object, null
// or absent, as graphql-ws's server requires (4400 otherwise: "x" and [1]
// were acknowledged); its Authorization must be a string (4403: {"Authorization": 5}
// signed in anonymously), null or absent.
func TestSocketInitPayload(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false) // no database question
	token, _ := a.register("init@example.org", "Init")
	cases := []struct {
		frame string
		want  websocket.StatusCode // 0: acknowledged
	}{
		{`{"type":"connection_init"}`, 0},
		{`{"type":"connection_init","payload":null}`, 0},
		{`{"type":"connection_init","payload":{}}`, 0},
		{`{"type":"connection_init","payload":{"Authorization":null}}`, 0},
		{`{"type":"connection_init","payload":{"Authorization":"Bearer ` + token + `"}}`, 0},
		{`{"type":"connection_init","payload":{"authorization":"Bearer ` + token + `"}}`, 0},
		{`{"type":"connection_init","payload":"x"}`, 4400},
		{`{"type":"connection_init","payload":[1]}`, 4400},
		{`{"type":"connection_init","payload":5}`, 4400},
		{`{"type":"connection_init","payload":true}`, 4400},
		{`{"type":"connection_init","payload":{"Authorization":5}}`, 4403},
		{`{"type":"connection_init","payload":{"Authorization":{"token":"x"}}}`, 4403},
		{`{"type":"connection_init","payload":{"authorization":["Bearer x"]}}`, 4403},
		{`{"type":"connection_init","payload":{"Authorization":"Bearer kk_not-a-token"}}`, 4403},
	}
	for _, protocol := range protocols {
		for _, c := range cases {
			ws := a.dialRaw(protocol)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := ws.conn.Write(ctx, websocket.MessageText, []byte(c.frame)); err != nil {
				t.Fatal(err)
			}
			cancel()
			var got websocket.StatusCode
			var types []string
			for {
				m, err := ws.read(3 * time.Second)
				if err != nil {
					got = websocket.CloseStatus(err)
					break
				}
				types = append(types, m.Type)
				if m.Type == "connection_ack" {
					break
				}
			}
			if got != c.want {
				t.Errorf("%s %s: closed %d after %v, want %d", protocol, c.frame, got, types, c.want)
			}
			ws.conn.CloseNow()
		}
	}
}

// TestSocketMessageLimitIsTheBodyLimit: a WebSocket message may be as
// large as an HTTP body (1 MiB). A 70 KB query, valid over HTTP, closed
// the whole socket with 1009 (the limit was 64 KiB) and ended every
// subscription on it. A message over 1 MiB still closes the socket with
// 1009, as graphql-ws's server (ws's maxPayload) does.
func TestSocketMessageLimitIsTheBodyLimit(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false) // a transport matter
	query := "# " + strings.Repeat("x", 70_000) + "\n{ __typename }"
	if res := a.post(query, nil); len(res.Errors) > 0 {
		t.Fatalf("the 70 KB query over HTTP: %+v", res.Errors)
	}
	for _, protocol := range protocols {
		c, err := a.dialWS(protocol, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		p := c.pump()
		c.subscribe("live", subscription, nil)
		waitSubscribers(t, a, 1)
		c.subscribe("big", query, nil)
		if got := p.await("big", 5*time.Second, 0); got.closed != 0 || string(got.data()) != `{"__typename":"Query"}` {
			t.Errorf("%s: the 70 KB query got %s %s, closed %d", protocol, got.types(), got.data(), got.closed)
		}
		if n := a.board.Subscribers(); n != 1 {
			t.Errorf("%s: %d subscriptions after the 70 KB query, want 1", protocol, n)
		}

		huge := "# " + strings.Repeat("x", 1<<20) + "\n{ __typename }"
		frame, _ := json.Marshal(wsMessage{ID: "huge", Type: startType(protocol), Payload: mustJSON(map[string]any{"query": huge})})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = c.conn.Write(ctx, websocket.MessageText, frame)
		cancel()
		if got := p.await("huge", 5*time.Second, 0); got.closed != websocket.StatusMessageTooBig {
			t.Errorf("%s: a message over 1 MiB got %s, closed %d; want 1009", protocol, got.types(), got.closed)
		}
		waitSubscribers(t, a, 0)
	}
}

func startType(protocol string) string {
	if protocol == "graphql-ws" {
		return "start"
	}
	return "subscribe"
}
