package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"kokeilu/internal/auth"
	"kokeilu/internal/testdb"

	"github.com/coder/websocket"
	"pgregory.net/rapid"
)

// A frame-sequence fuzzer for the streaming transports: random orders of
// connection_init, subscribe (queries, mutations, subscriptions, bad
// payloads), complete, ping/pong, duplicate ids, unknown types and garbage
// on both WebSocket protocols, and random requests to SSE, through a real
// server. Properties: no panic is logged; no answer carries INTERNAL; every
// error has extensions.code; every subscribe is answered (next, complete or
// error) unless the server closed the socket with a graphql-ws protocol
// code; graphql-transport-ws never sends complete after error; and the
// server answers an HTTP query afterwards.
//
// It runs for KOKEILU_FUZZ_TIME per database (a Go duration; 10s when unset).

// fuzzPayloads are the operations a subscribe frame carries.
var fuzzPayloads = []string{
	`{"query":"{ __typename }"}`,
	`{"query":"query { viewer { id } }"}`,
	`{"query":"mutation { logout }"}`,
	`{"query":"mutation($ws: ID!) { postNotice(input: {workspaceId: $ws, title: \"Fuzz\"}) { id } }","variables":{"ws":"bm90LWEtcmVhbC1pZA"}}`,
	`{"query":"mutation { joinWorkspace(workspaceId: \"eA\") { role } }"}`,
	`{"query":"subscription { noticePosted { id title } }"}`,
	`{"query":"subscription S { noticePosted { id cursor author { displayName } } }","operationName":"S"}`,
	`{"query":"subscription { noticePosted(workspaceId: \"bm90LWEtcmVhbC1pZA\") { id } }"}`,
	`{"query":"subscription { noticePosted(after: \"garbage!!\") { id } }"}`,
	`{"query":"subscription($ws: ID, $after: Cursor) { noticePosted(workspaceId: $ws, after: $after) { id } }","variables":{"ws":12,"after":false}}`,
	`{"query":"subscription($ws: ID) { noticePosted(workspaceId: $ws) { id } }","variables":{"ws":{"a":1}}}`,
	`{"query":"subscription { noticePosted { id } __typename }"}`,
	`{"query":"subscription A { noticePosted { id } } subscription B { noticePosted { id } }"}`,
	`{"query":"subscription A { noticePosted { id } } subscription B { noticePosted { id } }","operationName":"C"}`,
	`{"query":"{ nope }"}`,
	`{"query":"query {"}`,
	`{"query":"query($n: Int) { __typename }","variables":{"n":"x"}}`,
	`{"query":""}`,
	`{"query":5}`,
	`{}`,
	`null`,
	`"text"`,
	`[1,2]`,
	`{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}}`,
}

// fuzzFrame is one client frame; raw frames are sent as they are.
type fuzzFrame struct {
	Type    string
	ID      string
	Payload string // JSON, or "" for none
	Raw     string // a frame that is not a protocol message
	Binary  bool
}

func (f fuzzFrame) String() string {
	switch {
	case f.Binary:
		return "binary(" + f.Raw + ")"
	case f.Raw != "":
		return "raw(" + f.Raw + ")"
	case f.Payload != "":
		return fmt.Sprintf("%s[%s]%s", f.Type, f.ID, f.Payload)
	default:
		return fmt.Sprintf("%s[%s]", f.Type, f.ID)
	}
}

func (f fuzzFrame) bytes() []byte {
	if f.Raw != "" {
		return []byte(f.Raw)
	}
	m := map[string]any{"type": f.Type}
	if f.ID != "" {
		m["id"] = f.ID
	}
	if f.Payload != "" {
		m["payload"] = json.RawMessage(f.Payload)
	}
	b, _ := json.Marshal(m)
	return b
}

func frameGen(protocol string, token string) *rapid.Generator[fuzzFrame] {
	ids := rapid.SampledFrom([]string{"1", "2", "3", ""})
	subscribe, complete := "subscribe", "complete"
	if protocol == "graphql-ws" {
		subscribe, complete = "start", "stop"
	}
	inits := []string{`{}`, `{"Authorization":"Bearer kk_bad"}`, `"x"`, ``, `{"Authorization":"Bearer ` + token + `"}`, `{"authorization":"Bearer ` + token + `"}`}
	return rapid.Custom(func(t *rapid.T) fuzzFrame {
		switch rapid.IntRange(0, 9).Draw(t, "kind") {
		case 0:
			return fuzzFrame{Type: "connection_init", Payload: rapid.SampledFrom(inits).Draw(t, "init")}
		case 1, 2, 3, 4:
			return fuzzFrame{Type: rapid.SampledFrom([]string{subscribe, subscribe, subscribe, "subscribe", "start"}).Draw(t, "subscribe"),
				ID: ids.Draw(t, "id"), Payload: rapid.SampledFrom(fuzzPayloads).Draw(t, "payload")}
		case 5:
			return fuzzFrame{Type: complete, ID: ids.Draw(t, "id")}
		case 6:
			return fuzzFrame{Type: rapid.SampledFrom([]string{"ping", "pong", "ka", "connection_terminate"}).Draw(t, "control")}
		case 7:
			return fuzzFrame{Type: rapid.SampledFrom([]string{"foo", "", "next", "error", "connection_ack", "data"}).Draw(t, "unknown"), ID: ids.Draw(t, "id")}
		case 8:
			return fuzzFrame{Raw: rapid.SampledFrom([]string{"not json", `{"type":5}`, `[]`, `{"id":1,"type":"subscribe"}`, `{"type":"subscribe","id":"1","payload":{"query":"{ __typename }"}`}).Draw(t, "raw")}
		default:
			return fuzzFrame{Raw: "\x00\x01", Binary: true}
		}
	})
}

// protocolCloses are the codes graphql-ws lets a server close with, and
// 1000 (the client asked: connection_terminate).
var protocolCloses = map[websocket.StatusCode]bool{4400: true, 4401: true, 4403: true, 4408: true, 4409: true, 4429: true, 1000: true}

type fuzzStats struct {
	sequences, frames, socketMessages, sseRequests atomic.Int64
}

func TestStreamFrameFuzz(t *testing.T) {
	budget := 10 * time.Second
	if s := os.Getenv("KOKEILU_FUZZ_TIME"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("KOKEILU_FUZZ_TIME: %v", err)
		}
		budget = d
	}
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		logs := recordLogs(t)
		a := newAPI(t, b, false)
		ws := a.publicWorkspace()
		token, _ := a.register("fuzz@example.org", "Fuzz")
		var stats fuzzStats
		deadline := time.Now().Add(budget)
		if f := flag.Lookup("rapid.checks"); f != nil && f.Value.String() == f.DefValue {
			_ = flag.Set("rapid.checks", "20") // rounds of 20 until the budget is spent
			defer flag.Set("rapid.checks", f.DefValue)
		}
		for round := 0; round == 0 || time.Now().Before(deadline); round++ {
			rapid.Check(t, func(rt *rapid.T) {
				stats.sequences.Add(1)
				panicsBefore, internalBefore := len(logs.panics()), logs.internalErrors()
				switch rapid.SampledFrom([]string{"graphql-transport-ws", "graphql-ws", "sse"}).Draw(rt, "transport") {
				case "sse":
					fuzzSSE(rt, a, &stats, token)
				case "graphql-ws":
					fuzzSocket(rt, a, ws, "graphql-ws", token, &stats)
				default:
					fuzzSocket(rt, a, ws, "graphql-transport-ws", token, &stats)
				}
				if p := logs.panics(); len(p) > panicsBefore {
					rt.Fatalf("panics logged: %v", p[panicsBefore:])
				}
				if m := logs.internalMessages(); len(m) > internalBefore {
					rt.Fatalf("internal errors logged: %v", m[internalBefore:])
				}
				if res := a.postQuiet(`{ __typename }`); res != http.StatusOK {
					rt.Fatalf("HTTP after the sequence: %d", res)
				}
			})
			if t.Failed() {
				break
			}
		}
		t.Logf("%s: %d sequences (%d frames, %d socket messages received, %d SSE requests) in %s",
			b, stats.sequences.Load(), stats.frames.Load(), stats.socketMessages.Load(), stats.sseRequests.Load(), budget)
	})
}

// postQuiet sends a query and returns the status, without failing.
func (a *api) postQuiet(query string) int {
	res, err := http.Post(a.srv.URL+"/query", "application/json", strings.NewReader(string(mustJSON(map[string]any{"query": query}))))
	if err != nil {
		return 0
	}
	res.Body.Close()
	return res.StatusCode
}

// fuzzSocket sends a random frame sequence on one socket and checks what
// came back.
func fuzzSocket(rt *rapid.T, a *api, ws int, protocol, token string, stats *fuzzStats) {
	frames := rapid.SliceOfN(frameGen(protocol, token), 1, 12).Draw(rt, "frames")
	if rapid.IntRange(0, 4).Draw(rt, "initFirst") > 0 { // mostly past the handshake
		init := rapid.SampledFrom([]string{`{}`, `{"Authorization":"Bearer ` + token + `"}`}).Draw(rt, "init")
		frames = append([]fuzzFrame{{Type: "connection_init", Payload: init}}, frames...)
	}
	checkSocket(rt, a, ws, protocol, frames, stats)
}

// fataler is *testing.T or *rapid.T.
type fataler interface {
	Fatalf(format string, args ...any)
}

// checkSocket sends frames on a new socket and checks the properties.
func checkSocket(rt fataler, a *api, ws int, protocol string, frames []fuzzFrame, stats *fuzzStats) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(a.srv.URL, "http") + "/query"
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{protocol}})
	if err != nil {
		rt.Fatalf("dial: %v", err)
	}
	defer conn.CloseNow()
	c := (&wsClient{conn: conn, protocol: protocol}).pump()
	subscribe := map[string]bool{"subscribe": protocol == "graphql-transport-ws", "start": protocol == "graphql-ws"}
	stop := map[string]bool{"complete": protocol == "graphql-transport-ws", "stop": protocol == "graphql-ws"}
	required := map[string]int{} // answers owed per id, in send order
	for _, f := range frames {
		stats.frames.Add(1)
		typ := websocket.MessageText
		if f.Binary {
			typ = websocket.MessageBinary
		}
		if conn.Write(ctx, typ, f.bytes()) != nil {
			break // the server closed it
		}
		switch {
		case f.Raw != "":
		case subscribe[f.Type] && f.ID != "":
			if protocol == "graphql-ws" {
				required[f.ID] = 1 // a repeated start replaces the operation
			} else {
				required[f.ID]++
			}
		case stop[f.Type]:
			delete(required, f.ID)
		}
	}
	// Collect until every owed answer came or the socket closed; notices
	// posted meanwhile answer live subscriptions.
	got := map[string][]wsMessage{}
	var order []wsMessage
	closed := websocket.StatusCode(0)
	answered := func() bool {
		for id, n := range required {
			terminal := 0
			for _, m := range got[id] {
				if m.Type == "complete" || m.Type == "error" {
					terminal++
				}
			}
			if len(got[id]) == 0 || terminal < n-1 {
				return false
			}
		}
		return true
	}
	limit := time.After(3 * time.Second)
	poke := time.NewTicker(150 * time.Millisecond)
	defer poke.Stop()
collect:
	for {
		select {
		case m, ok := <-c.in:
			if !ok {
				closed = c.closed
				break collect
			}
			stats.socketMessages.Add(1)
			order = append(order, m)
			if m.ID != "" {
				got[m.ID] = append(got[m.ID], m)
			}
		case <-poke.C:
			if answered() {
				break collect
			}
			a.db.Client.Notice.Create().SetWorkspaceID(ws).SetTitle("Fuzz").SaveX(auth.System(context.Background()))
		case <-limit:
			break collect
		}
	}
	for _, m := range order {
		switch m.Type {
		case "connection_ack", "next", "data", "error", "complete", "ping", "pong", "ka", "connection_error":
		default:
			rt.Fatalf("unexpected message %q from the server", m.Type)
		}
		for _, e := range messageErrors(m) {
			if e.code() == "" || e.code() == "INTERNAL" {
				rt.Fatalf("%s message with error %+v (code %q)", m.Type, e, e.code())
			}
		}
	}
	if closed != 0 && !protocolCloses[closed] {
		rt.Fatalf("closed with %d, not a protocol code", closed)
	}
	if closed == 0 && !answered() {
		rt.Fatalf("operations owed an answer: %v; got %v", required, got)
	}
	if protocol == "graphql-transport-ws" {
		for id, ms := range got {
			errored := false
			for _, m := range ms {
				if m.Type == "error" {
					errored = true
				}
				if m.Type == "complete" && errored && subscribesWithID(frames, id) == 1 {
					rt.Fatalf("complete after error for %s", id)
				}
			}
		}
	}
}

// subscribesWithID is how many subscribe frames of the sequence use id.
func subscribesWithID(frames []fuzzFrame, id string) int {
	n := 0
	for _, f := range frames {
		if (f.Type == "subscribe" || f.Type == "start") && f.ID == id && f.Raw == "" {
			n++
		}
	}
	return n
}

// messageErrors are the GraphQL errors a server message carries.
func messageErrors(m wsMessage) []gqlError {
	switch m.Type {
	case "next", "data", "error":
		return answer{messages: []wsMessage{m}}.errors()
	case "connection_error":
		var e gqlError
		_ = json.Unmarshal(m.Payload, &e)
		return []gqlError{e}
	}
	return nil
}

// fuzzSSE sends a random request to the SSE transport.
func fuzzSSE(rt *rapid.T, a *api, stats *fuzzStats, token string) {
	stats.sseRequests.Add(1)
	body := rapid.SampledFrom(append(fuzzPayloads, `not json`, `{"query":"{ __typename }"`)).Draw(rt, "body")
	auth := rapid.SampledFrom([]string{"", "Bearer kk_bad", "Bearer " + token}).Draw(rt, "authorization")
	checkSSE(rt, a, body, auth)
}

// checkSSE sends body to the SSE transport and checks the properties.
func checkSSE(rt fataler, a *api, body, auth string) {
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, a.srv.URL+"/query", bytes.NewReader([]byte(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		rt.Fatalf("SSE: %v", err)
	}
	defer res.Body.Close()
	raw := new(bytes.Buffer)
	_, _ = raw.ReadFrom(res.Body) // until the stream ends or the deadline
	open := ctx.Err() != nil
	if res.StatusCode >= 500 {
		rt.Fatalf("SSE status %d: %s", res.StatusCode, raw)
	}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		var out struct{ Errors []gqlError }
		if json.Unmarshal(raw.Bytes(), &out) != nil || len(out.Errors) == 0 {
			rt.Fatalf("SSE answered %d %q: %s", res.StatusCode, res.Header.Get("Content-Type"), raw)
		}
		for _, e := range out.Errors {
			if e.code() == "" || e.code() == "INTERNAL" {
				rt.Fatalf("SSE error %+v", e)
			}
		}
		return
	}
	var events []sseEvent
	var cur sseEvent
	for _, line := range strings.Split(raw.String(), "\n") {
		switch {
		case strings.HasPrefix(line, "event: "):
			cur.Event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			cur.Data = strings.TrimPrefix(line, "data: ")
		case line == "" && cur != (sseEvent{}):
			events = append(events, cur)
			cur = sseEvent{}
		case line == "" || strings.HasPrefix(line, ":"):
		default:
			rt.Fatalf("SSE line outside the event framing: %q", line)
		}
	}
	for _, e := range events {
		if e.Event != "next" && e.Event != "complete" {
			rt.Fatalf("SSE event %q", e.Event)
		}
	}
	for _, e := range sseErrors(events) {
		if e.code() == "" || e.code() == "INTERNAL" {
			rt.Fatalf("SSE error %+v", e)
		}
	}
	if !open && (len(events) == 0 || events[len(events)-1].Event != "complete") {
		rt.Fatalf("SSE stream ended without complete: %+v", events)
	}
}
