package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"kokeilu/internal/server"
	"kokeilu/internal/testdb"

	"github.com/coder/websocket"
)

// TestHostileRequests sends malformed and hostile requests, each answered
// quickly with its exact status and error code (or close code), and checks
// the server still serves afterwards.
func TestHostileRequests(t *testing.T) {
	a := newAPI(t, testdb.SQLite, true)
	q := func(query string) string { b, _ := json.Marshal(map[string]any{"query": query}); return string(b) }
	deep := "code"
	for range 8 {
		deep = "region { municipalities(first: 1) { nodes { " + deep + " } } }"
	}
	var aliases, directives, ids strings.Builder
	for i := range 150 {
		fmt.Fprintf(&aliases, "a%d: __typename ", i)
	}
	for range 1000 {
		directives.WriteString("@skip(if: false) ")
	}
	for i := range 101 {
		if i > 0 {
			ids.WriteString(",")
		}
		ids.WriteString(`"azE6MQ"`)
	}
	type httpCase struct {
		name, method, contentType, accept, body string
		status                                  int
		code                                    string
	}
	const (
		badInput   = "BAD_USER_INPUT"
		costly     = "COST_LIMIT_EXCEEDED"
		validation = "GRAPHQL_VALIDATION_FAILED"
		parse      = "GRAPHQL_PARSE_FAILED"
	)
	cases := []httpCase{
		{"invalid JSON", "POST", "application/json", "", `{"query": `, 400, badInput},
		{"query of the wrong type", "POST", "application/json", "", `{"query": 5}`, 400, badInput},
		{"variables of the wrong type", "POST", "application/json", "", `{"query": "{ __typename }", "variables": "x"}`, 400, badInput},
		{"empty body", "POST", "application/json", "", ``, 400, badInput},
		{"JSON array body", "POST", "application/json", "", `[{"query": "{ __typename }"}]`, 400, badInput},
		{"huge body", "POST", "application/json", "", `{"query": "{ __typename }", "x": "` + strings.Repeat("x", 1<<20) + `"}`, 413, badInput},
		{"deep nesting", "POST", "application/json", "", q(`{ municipality(code: "091") { ` + deep + ` } }`), 200, costly},
		{"alias bomb", "POST", "application/json", "", q(`{ ` + aliases.String() + ` }`), 200, costly},
		{"field repetition", "POST", "application/json", "", q(`{ ` + strings.Repeat("__typename ", 1200) + ` }`), 200, costly},
		{"nested connections to millions", "POST", "application/json", "", q(`{ regions(first: 100) { nodes { municipalities(first: 100) { nodes { pilots(first: 100) { totalCount } } } } } }`), 200, costly},
		{"fragment cycle", "POST", "application/json", "", q(`{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }`), 200, validation},
		{"a thousand directives", "POST", "application/json", "", q(`{ __typename ` + directives.String() + `}`), 200, costly},
		{"over the token limit", "POST", "application/json", "", q(`{ ` + strings.Repeat("__typename ", 16000) + ` }`), 200, parse},
		{"first: 99999999", "POST", "application/json", "", q(`{ pilots(first: 99999999) { totalCount } }`), 200, badInput},
		{"negative last", "POST", "application/json", "", q(`{ pilots(last: -5) { totalCount } }`), 200, badInput},
		{"garbage cursor", "POST", "application/json", "", q(`{ pilots(after: "%%%") { totalCount } }`), 200, badInput},
		{"garbage ID", "POST", "application/json", "", q(`{ node(id: "💥") { id } }`), 200, badInput},
		{"101 IDs", "POST", "application/json", "", q(`{ nodes(ids: [` + ids.String() + `]) { id } }`), 200, badInput},
		{"unknown field", "POST", "application/json", "", q(`{ secrets }`), 200, validation},
		{"unknown operation name", "POST", "application/json", "", `{"query": "query A { __typename }", "operationName": "B"}`, 200, ""},
		{"syntax error", "POST", "application/json", "", q(`{ pilots(`), 200, parse},
		{"syntax error, graphql-response+json", "POST", "application/json", "application/graphql-response+json", q(`{ pilots(`), 400, parse},
		{"subscription as a plain request", "POST", "application/json", "", q(`subscription { noticePosted { id } }`), 200, badInput},
		{"text/plain (CSRF)", "POST", "text/plain", "", q(`{ __typename }`), 415, badInput},
		{"form (CSRF)", "POST", "application/x-www-form-urlencoded", "", "query=%7B__typename%7D", 415, badInput},
		{"multipart (CSRF)", "POST", "multipart/form-data; boundary=x", "", "--x--", 415, badInput},
		{"PUT", "PUT", "application/json", "", q(`{ __typename }`), 405, badInput},
		{"unacceptable Accept", "POST", "application/json", "text/html", q(`{ __typename }`), 406, badInput},
		{"mutation over GET", "GET", "", "", "", 405, ""},
		{"invalid token", "POST", "application/json", "", q(`{ viewer { id } }`), 401, "UNAUTHENTICATED"},
	}
	for _, c := range cases {
		target := a.srv.URL + "/query"
		if c.method == "GET" {
			target += "?query=" + url.QueryEscape(`mutation { logout }`)
		}
		req, _ := http.NewRequest(c.method, target, strings.NewReader(c.body))
		if c.contentType != "" {
			req.Header.Set("Content-Type", c.contentType)
		}
		if c.accept != "" {
			req.Header.Set("Accept", c.accept)
		}
		if c.name == "invalid token" {
			req.Header.Set("Authorization", "Bearer kk_forged")
		}
		start := time.Now()
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		took := time.Since(start)
		var out struct {
			Errors []gqlError
		}
		_ = json.Unmarshal(body, &out)
		code := ""
		if len(out.Errors) > 0 {
			code = out.Errors[0].code()
		}
		if res.StatusCode != c.status || (c.code != "" && code != c.code) || (c.code == "" && len(out.Errors) == 0) {
			t.Errorf("%s: %d %s, want %d %s (%.200s)", c.name, res.StatusCode, code, c.status, c.code, body)
		}
		if len(out.Errors) > 0 && code == "" {
			t.Errorf("%s: an error without a code: %.200s", c.name, body)
		}
		// A refusal is quick (its figures are BenchmarkRefusal's); this
		// bound only catches work that runs away (race detector: ×10).
		if took > time.Second*raceSlowdown {
			t.Errorf("%s: took %v", c.name, took)
		}
	}

	// WebSocket protocol abuse: each closes with its code.
	dial := func(protocols ...string) *websocket.Conn {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.srv.URL, "http")+"/query",
			&websocket.DialOptions{Subprotocols: protocols})
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		return conn
	}
	send := func(c *websocket.Conn, msg string) {
		_ = c.Write(context.Background(), websocket.MessageText, []byte(msg))
	}
	closedWith := func(c *websocket.Conn) websocket.StatusCode {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		for {
			if _, _, err := c.Read(ctx); err != nil {
				return websocket.CloseStatus(err)
			}
		}
	}
	init := `{"type":"connection_init"}`
	sub := `{"id":"1","type":"subscribe","payload":{"query":"subscription { noticePosted { id } }"}}`
	for _, c := range []struct {
		name     string
		protocol string
		messages []string
		code     websocket.StatusCode
	}{
		{"unknown subprotocol", "graphql-foo", nil, 4406},
		{"not JSON", "graphql-transport-ws", []string{init, "{{{"}, 4400},
		{"a second connection_init", "graphql-transport-ws", []string{init, init}, 4429},
		{"a duplicate subscription id", "graphql-transport-ws", []string{init, sub, sub}, 4409},
		{"subscribing before the ack", "graphql-transport-ws", []string{sub}, 4401},
		{"an unknown message type", "graphql-transport-ws", []string{init, `{"type":"hack"}`}, 4400},
		{"a first message that is not connection_init", "graphql-ws", []string{`{"type":"start","id":"1"}`}, 4401},
	} {
		conn := dial(c.protocol)
		for _, m := range c.messages {
			send(conn, m)
		}
		if got := closedWith(conn); got != c.code {
			t.Errorf("%s: closed with %d, want %d", c.name, got, c.code)
		}
	}

	// Still serving.
	var v struct{ Regions struct{ TotalCount int } }
	a.query(&v, `{ regions { totalCount } }`, nil)
	if v.Regions.TotalCount != 19 {
		t.Errorf("after the abuse: %d regions", v.Regions.TotalCount)
	}
}

// TestSocketCaps: one address may hold only so many sockets, and a socket
// only 100 operations at once.
func TestSocketCaps(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	capped := httptest.NewServer(server.NewHandler(a.db, server.Options{Accounts: a.accounts, Board: a.board, SocketsPerAddress: 2}))
	defer capped.Close()
	b := &api{t: t, srv: capped, board: a.board}
	var open []*wsClient
	for range 2 {
		c, err := b.dialWS("graphql-transport-ws", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
	}
	if _, err := b.dialWS("graphql-transport-ws", "", nil); err == nil {
		t.Error("a third socket from one address was accepted")
	}
	open[0].conn.Close(websocket.StatusNormalClosure, "")
	// The server frees the slot once it has seen the close: poll for it.
	var c *wsClient
	for wait := time.Now().Add(5 * time.Second); ; {
		var err error
		if c, err = b.dialWS("graphql-transport-ws", "", nil); err == nil {
			break
		}
		if time.Now().After(wait) {
			t.Fatalf("a socket after one closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := range 101 {
		c.subscribe(fmt.Sprint(i), subscription, nil)
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		m, err := c.read(time.Until(deadline))
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == "error" {
			if m.ID != "100" || !strings.Contains(string(m.Payload), "RATE_LIMITED") {
				t.Errorf("error for %s: %s", m.ID, m.Payload)
			}
			return
		}
	}
	t.Error("the 101st operation on one socket was not refused")
}
