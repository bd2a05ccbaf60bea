package server_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"kokeilu/internal/testdb"
)

// TestAccessLogOneLinePerRequest sends queries, a failing query, a bad
// token, exports good and bad, and a WebSocket from a refused origin, and
// finds for each exactly one "access" line at info with its method, path,
// status, duration, client address, operation and error codes.
func TestAccessLogOneLinePerRequest(t *testing.T) {
	logs := recordLogs(t)
	a := newAPI(t, testdb.SQLite, false)
	type want struct {
		method, path string
		status       int
		operation    string   // "" when none
		codes        []string // nil when none
	}
	send := func(id, method, path, body string, header ...string) {
		t.Helper()
		req, _ := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
		req.Header.Set("X-Request-Id", id)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}
	cases := map[string]want{}
	send("q-ok", "POST", "/query", `{"query": "query Counts { regions { totalCount } }"}`)
	cases["q-ok"] = want{"POST", "/query", 200, "query Counts", nil}
	send("q-field", "POST", "/query", `{"query": "query Missing { pilot(slug: \"no-such-pilot\") { title } node(id: \"bad\") { id } }"}`)
	cases["q-field"] = want{"POST", "/query", 200, "query Missing", []string{"BAD_USER_INPUT"}}
	send("q-parse", "POST", "/query", `{"query": "{ regions { "}`)
	cases["q-parse"] = want{"POST", "/query", 200, "", []string{"GRAPHQL_PARSE_FAILED"}}
	send("q-401", "POST", "/query", `{"query": "{ viewer { id } }"}`, "Authorization", "Bearer kk_not-a-token")
	cases["q-401"] = want{"POST", "/query", 401, "", []string{"UNAUTHENTICATED"}}
	send("export-ok", "GET", "/export/pilots.csv", "")
	cases["export-ok"] = want{"GET", "/export/pilots.csv", 200, "", nil}
	send("export-bad", "GET", "/export/graph.graphml?asof=2020-01-01", "")
	cases["export-bad"] = want{"GET", "/export/graph.graphml", 400, "", []string{"BAD_USER_INPUT"}}
	send("probe", "GET", "/healthz", "")
	cases["probe"] = want{"GET", "/healthz", 200, "", nil}
	if _, err := a.dialWS("graphql-transport-ws", "", http.Header{"Origin": {"https://evil.example"}, "X-Request-Id": {"ws-origin"}}); err == nil {
		t.Fatal("a WebSocket from a refused origin was accepted")
	}
	cases["ws-origin"] = want{"GET", "/query", 403, "", nil}

	for id, w := range cases {
		lines := logs.waitAccess(t, id)
		if len(lines) != 1 {
			t.Errorf("%s: %d access lines, want 1: %v", id, len(lines), lines)
			continue
		}
		got := lines[0]
		if got.level != slog.LevelInfo || got.attrs["method"] != w.method || got.attrs["path"] != w.path ||
			got.attrs["status"] != fmt.Sprint(w.status) || got.attrs["operation"] != w.operation ||
			!strings.HasPrefix(got.attrs["client"], "127.0.0.1:") || got.attrs["duration_ms"] == "" {
			t.Errorf("%s: access line %v, want %+v", id, got.attrs, w)
		}
		wantCodes := ""
		if w.codes != nil {
			wantCodes = fmt.Sprint(w.codes)
		}
		if codes := got.attrs["codes"]; codes != wantCodes {
			t.Errorf("%s: codes %q, want %v", id, codes, w.codes)
		}
	}
}

type logLine struct {
	level slog.Level
	attrs map[string]string
}

// waitAccess returns the access lines of request id, waiting up to 2 s for
// the first (the line is written as the handler returns).
func (l *logRecorder) waitAccess(t *testing.T, id string) []logLine {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		var out []logLine
		l.mu.Lock()
		for _, r := range l.records {
			if r.Message != "access" {
				continue
			}
			line := logLine{level: r.Level, attrs: map[string]string{}}
			r.Attrs(func(a slog.Attr) bool { line.attrs[a.Key] = a.Value.String(); return true })
			if line.attrs["request_id"] == id {
				out = append(out, line)
			}
		}
		l.mu.Unlock()
		if len(out) > 0 || time.Now().After(deadline) {
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
}
