package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"kokeilu/internal/server"
	"kokeilu/internal/testdb"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
)

// faults injects panics for tests, through server.Options.TestExtensions:
// any field aliased "boom" panics in its resolver; an operation named
// PanicResponse panics in every response it produces (outside any
// resolver, where gqlgen does not recover: the transport must).
type faults struct{}

func (faults) ExtensionName() string                   { return "TestFaults" }
func (faults) Validate(graphql.ExecutableSchema) error { return nil }

func (faults) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Alias == "boom" {
		panic("injected field panic")
	}
	return next(ctx)
}

func (faults) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if graphql.HasOperationContext(ctx) {
		if op := graphql.GetOperationContext(ctx).Operation; op != nil && op.Name == "PanicResponse" {
			panic("injected response panic")
		}
	}
	if false {
		panic("injected response panic")
	}
	return next(ctx)
}

// newFaultyAPI is newAPI with the fault injector installed.
func newFaultyAPI(t testing.TB, b testdb.Backend) *api {
	t.Helper()
	a := newAPI(t, b, false)
	a.srv.Close()
	a.handler = server.NewHandler(a.db, server.Options{Accounts: a.accounts, Board: a.board, TestExtensions: []graphql.HandlerExtension{faults{}}})
	a.srv = httptest.NewServer(a.handler)
	t.Cleanup(a.srv.Close)
	return a
}

// logRecorder keeps the log records of a test (slog's default handler is
// swapped for the test's duration).
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.records = append(l.records, r.Clone())
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

func recordLogs(t testing.TB) *logRecorder {
	l := &logRecorder{}
	old := slog.Default()
	slog.SetDefault(slog.New(l))
	t.Cleanup(func() { slog.SetDefault(old) })
	return l
}

// panics lists the logged panics as "message request_id=…".
func (l *logRecorder) panics() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.records {
		if !strings.Contains(r.Message, "panic") {
			continue
		}
		line := r.Message
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "request_id" || a.Key == "where" {
				line += " " + a.Key + "=" + a.Value.String()
			}
			return true
		})
		out = append(out, line)
	}
	return out
}

// internalErrors counts the INTERNAL errors logged.
func (l *logRecorder) internalErrors() int { return len(l.internalMessages()) }

// internalMessages are the logged INTERNAL errors' details.
func (l *logRecorder) internalMessages() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, r := range l.records {
		if r.Message == "internal error" {
			line := ""
			r.Attrs(func(a slog.Attr) bool { line += a.Key + "=" + a.Value.String() + " "; return true })
			out = append(out, line)
		}
	}
	return out
}

// errorRecords counts the records logged at level ERROR.
func (l *logRecorder) errorRecords() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.records {
		if r.Level >= slog.LevelError {
			n++
		}
	}
	return n
}

// dialRaw opens a socket without initialising it.
func (a *api) dialRaw(protocol string) *wsClient {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(a.srv.URL, "http") + "/query"
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{protocol}})
	if err != nil {
		a.t.Fatalf("dial: %v", err)
	}
	conn.SetReadLimit(1 << 24)
	return &wsClient{t: a.t, conn: conn, protocol: protocol}
}

// answer is what a socket said about one operation: its messages in
// order, ending with complete or error (or the close code, if it closed).
type answer struct {
	messages []wsMessage
	closed   websocket.StatusCode // 0 while open
}

// types is the answer's message types, e.g. "next complete".
func (an answer) types() string {
	var ts []string
	for _, m := range an.messages {
		ts = append(ts, m.Type)
	}
	return strings.Join(ts, " ")
}

// errors are the GraphQL errors of the answer's next and error messages.
func (an answer) errors() []gqlError {
	var out []gqlError
	for _, m := range an.messages {
		switch m.Type {
		case "next", "data":
			var p struct{ Errors []gqlError }
			_ = json.Unmarshal(m.Payload, &p)
			out = append(out, p.Errors...)
		case "error":
			var list []gqlError
			if json.Unmarshal(m.Payload, &list) != nil {
				var one gqlError
				_ = json.Unmarshal(m.Payload, &one)
				list = []gqlError{one}
			}
			out = append(out, list...)
		}
	}
	return out
}

// data is the data of the answer's first next message.
func (an answer) data() json.RawMessage {
	for _, m := range an.messages {
		if m.Type == "next" || m.Type == "data" {
			var p struct{ Data json.RawMessage }
			_ = json.Unmarshal(m.Payload, &p)
			return p.Data
		}
	}
	return nil
}

// peer reads a socket on a goroutine of its own: a read with a deadline
// would make coder/websocket drop the connection when it expires.
type peer struct {
	*wsClient
	in     chan wsMessage
	closed websocket.StatusCode // valid once in is closed
	stash  []wsMessage          // read while waiting for another id
	ended  bool                 // in is closed: closed is set
}

// take returns the next message of id: stashed, or read (others are
// stashed); ok is false on timeout or close.
func (p *peer) take(id string, timer *time.Timer) (m wsMessage, ok bool) {
	for i, m := range p.stash {
		if m.ID == id {
			p.stash = append(p.stash[:i:i], p.stash[i+1:]...)
			return m, true
		}
	}
	for {
		select {
		case m, ok := <-p.in:
			if !ok {
				p.ended = true
				return wsMessage{}, false
			}
			if m.ID == id {
				return m, true
			}
			if m.ID != "" {
				p.stash = append(p.stash, m)
			}
		case <-timer.C:
			return wsMessage{}, false
		}
	}
}

func (c *wsClient) pump() *peer {
	p := &peer{wsClient: c, in: make(chan wsMessage, 256)}
	go func() {
		defer close(p.in)
		for {
			_, data, err := c.conn.Read(context.Background())
			if err != nil {
				p.closed = websocket.CloseStatus(err)
				return
			}
			var m wsMessage
			if json.Unmarshal(data, &m) != nil {
				m = wsMessage{Type: "unparsable " + string(data)}
			}
			if m.Type == "ping" {
				_ = c.conn.Write(context.Background(), websocket.MessageText, mustJSON(wsMessage{Type: "pong"}))
			}
			p.in <- m
		}
	}()
	return p
}

// first is the next message of operation id (ok false on timeout or close).
func (p *peer) first(id string, timeout time.Duration) (wsMessage, bool) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	return p.take(id, timer)
}

// await collects the messages of operation id until it completes or
// fails, and settle longer (a complete after an error must not come).
func (p *peer) await(id string, timeout, settle time.Duration) answer {
	var an answer
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		m, ok := p.take(id, timer)
		if !ok {
			if p.ended {
				an.closed = p.closed
			}
			return an
		}
		an.messages = append(an.messages, m)
		if m.Type == "complete" || m.Type == "error" {
			if settle == 0 {
				return an
			}
			timer.Reset(settle)
		}
	}
}

// sseEvent is one event of an SSE response.
type sseEvent struct{ Event, Data string }

// sse posts a request to the SSE transport and returns its events until
// the stream ends, or until timeout (then open is true).
func (a *api) sse(query string, vars map[string]any, timeout time.Duration, header ...string) (events []sseEvent, open bool) {
	a.t.Helper()
	body := mustJSON(map[string]any{"query": query, "variables": vars})
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, a.srv.URL+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("SSE: %v", err)
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var cur sseEvent
	for sc.Scan() {
		line := sc.Text()
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
			events = append(events, sseEvent{Event: "bare", Data: line}) // not SSE framing
		}
	}
	return events, ctx.Err() != nil
}

func sseTypes(events []sseEvent) string {
	var ts []string
	for _, e := range events {
		ts = append(ts, e.Event)
	}
	return strings.Join(ts, " ")
}

func sseErrors(events []sseEvent) []gqlError {
	var out []gqlError
	for _, e := range events {
		var p struct{ Errors []gqlError }
		_ = json.Unmarshal([]byte(e.Data), &p)
		out = append(out, p.Errors...)
	}
	return out
}
