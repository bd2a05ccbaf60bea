package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"kokeilu/internal/cost"
	"kokeilu/internal/server"
	"kokeilu/internal/testdb"
)

// logBuffer captures the process log while a test runs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func captureLog(t *testing.T) *logBuffer {
	l := &logBuffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelInfo})))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return l
}

// rawResponse is a response as it came: status, headers and the body's
// top-level entries.
type rawResponse struct {
	status  int
	header  http.Header
	body    []byte
	entries map[string]json.RawMessage
	errors  []gqlError
	took    time.Duration
}

func (r rawResponse) code() string {
	if len(r.errors) == 0 {
		return ""
	}
	return r.errors[0].code()
}

func send(t testing.TB, req *http.Request) rawResponse {
	t.Helper()
	start := time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	out := rawResponse{status: res.StatusCode, header: res.Header, body: body, took: time.Since(start)}
	_ = json.Unmarshal(body, &out.entries)
	_ = json.Unmarshal(out.entries["errors"], &out.errors)
	return out
}

func postBody(t testing.TB, url, body, accept string, header ...string) rawResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return send(t, req)
}

// cachedAPI is the handler as `go run .` builds it: the response cache and
// the rate limit on (tests' default handler has them off).
func cachedAPI(t *testing.T, b testdb.Backend) (*api, string) {
	a := newAPI(t, b, false)
	h := httptest.NewServer(server.NewHandler(a.db, server.Options{Accounts: a.accounts, Board: a.board,
		ResponseCacheTTL: 30 * time.Second, RateLimit: server.RateLimit{PerSecond: 1000, Burst: 2000}}))
	t.Cleanup(h.Close)
	return a, h.URL + "/query"
}

// TestBodiesThatAreNoGraphQLRequest: a body or query string that is not a
// GraphQL request is the client's error on every path — anonymous (where
// the response cache sits) or signed in, POST, GET or SSE, either response
// type: 400 BAD_USER_INPUT, no data entry, nothing INTERNAL, no stack in the
// log.
func TestBodiesThatAreNoGraphQLRequest(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a, endpoint := cachedAPI(t, b)
		logs := captureLog(t)
		token, _ := a.register("malformed@example.org", "M")
		bodies := []string{
			`{bad json`, `{"query": `, ``, `null`, `[]`, `[{"query": "{ __typename }"}]`, `"{ __typename }"`, `5`,
			`{}`, `{"query": null}`, `{"query": ""}`, `{"query": 5}`, `{"query": ["{ __typename }"]}`,
			`{"query": "{ __typename }", "variables": "x"}`, `{"query": "{ __typename }", "variables": [1]}`,
			`{"query": "{ __typename }", "operationName": 5}`, `{"query": "{ __typename }", "extensions": "x"}`,
			`{"variables": {}}`, `{"extensions": {}}`,
		}
		gets := []string{
			``, `query=`, `operationName=A`, `query=%7B__typename%7D&variables=x`, `query=%7B__typename%7D&variables=%5B%5D`,
			`query=%7B__typename%7D&extensions=%7B`, `query=%7B__typename%7D&%zz`,
		}
		for _, who := range []string{"anonymous", "signed in"} {
			var auth []string
			if who == "signed in" {
				auth = []string{"Authorization", "Bearer " + token}
			}
			for _, accept := range []string{"", "application/json", "application/graphql-response+json", "text/event-stream"} {
				check := func(what string, res rawResponse) {
					t.Helper()
					if res.status != http.StatusBadRequest || res.code() != "BAD_USER_INPUT" {
						t.Errorf("%s, %s, Accept %q: %d %s, want 400 BAD_USER_INPUT: %.300s", who, what, accept, res.status, res.code(), res.body)
					}
					if _, ok := res.entries["data"]; ok {
						t.Errorf("%s, %s: a data entry: %.300s", who, what, res.body)
					}
				}
				for _, body := range bodies {
					check(fmt.Sprintf("POST %q", body), postBody(t, endpoint, body, accept, auth...))
				}
				if accept == "text/event-stream" {
					continue // SSE is POST only
				}
				for _, q := range gets {
					req, _ := http.NewRequest(http.MethodGet, endpoint+"?"+q, nil)
					if accept != "" {
						req.Header.Set("Accept", accept)
					}
					for i := 0; i+1 < len(auth); i += 2 {
						req.Header.Set(auth[i], auth[i+1])
					}
					check(fmt.Sprintf("GET ?%s", q), send(t, req))
				}
			}
		}
		if log := logs.String(); strings.Contains(log, "INTERNAL") || strings.Contains(log, "panic") || strings.Contains(log, "internal error") {
			t.Errorf("the log has an internal error:\n%.2000s", log)
		}
		// The server still answers, from the cache the second time.
		for range 2 {
			if res := postBody(t, endpoint, `{"query": "{ __typename }"}`, ""); res.status != 200 || string(res.entries["data"]) != `{"__typename":"Query"}` {
				t.Errorf("after the malformed requests: %d %s", res.status, res.body)
			}
		}
	})
}

// TestNoDataBeforeExecution: a request that fails to parse, to validate or
// to coerce its variables has no data entry, under either response type;
// one that fails during execution keeps "data".
func TestNoDataBeforeExecution(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a, endpoint := cachedAPI(t, b)
		_ = a
		const gqlResp = "application/graphql-response+json"
		for _, c := range []struct {
			name, body, accept string
			status             int
			code               string
			data               bool
		}{
			{"parse", `{"query": "{"}`, "application/json", 200, "GRAPHQL_PARSE_FAILED", false},
			{"parse", `{"query": "{"}`, gqlResp, 400, "GRAPHQL_PARSE_FAILED", false},
			{"validation", `{"query": "{ nope }"}`, "application/json", 200, "GRAPHQL_VALIDATION_FAILED", false},
			{"validation", `{"query": "{ nope }"}`, gqlResp, 400, "GRAPHQL_VALIDATION_FAILED", false},
			{"variables", `{"query": "query($c: String!) { region(code: $c) { code } }"}`, "application/json", 200, "GRAPHQL_VALIDATION_FAILED", false},
			{"variables", `{"query": "query($n: Int!) { pilots(first: $n) { totalCount } }", "variables": {"n": "x"}}`, gqlResp, 400, "GRAPHQL_VALIDATION_FAILED", false},
			{"unknown operation", `{"query": "query A { __typename }", "operationName": "B"}`, gqlResp, 400, "GRAPHQL_VALIDATION_FAILED", false},
			{"over a limit", `{"query": "{ ` + strings.Repeat("__typename ", cost.Default.Fields+1) + `}"}`, "application/json", 200, "COST_LIMIT_EXCEEDED", false},
			{"over a limit", `{"query": "{ ` + strings.Repeat("__typename ", cost.Default.Fields+1) + `}"}`, gqlResp, 400, "COST_LIMIT_EXCEEDED", false},
			{"subscription as a plain request", `{"query": "subscription { noticePosted { id } }"}`, gqlResp, 400, "BAD_USER_INPUT", false},
			{"unknown persisted query", `{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "` + strings.Repeat("ab", 32) + `"}}}`, gqlResp, 200, "PERSISTED_QUERY_NOT_FOUND", false},
			{"execution", `{"query": "{ node(id: \"x\") { id } }"}`, "application/json", 200, "BAD_USER_INPUT", true},
			{"execution", `{"query": "{ node(id: \"x\") { id } }"}`, gqlResp, 200, "BAD_USER_INPUT", true},
		} {
			res := postBody(t, endpoint, c.body, c.accept)
			_, hasData := res.entries["data"]
			if res.status != c.status || res.code() != c.code || hasData != c.data {
				t.Errorf("%s, %s: %d %s data %v, want %d %s data %v: %.300s", c.name, c.accept, res.status, res.code(), hasData, c.status, c.code, c.data, res.body)
			}
		}
	})
}

// hostileDocuments are the documents of issue 13 that cost seconds of CPU
// or megabytes of answer before the limits ran first.
func hostileDocuments() []struct{ name, query, measure string } {
	nest := func(n int) string {
		return strings.Repeat("__type(name: \"Query\") { fields { type { ", n/3) + "name" + strings.Repeat(" } } }", n/3)
	}
	var aliases, fragments strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&aliases, "a%d: __typename ", i)
	}
	// Ten fragments, each spreading the next ten times: 10^10 fields.
	fragments.WriteString("{ ...F0 }")
	for i := range 10 {
		fmt.Fprintf(&fragments, " fragment F%d on Query { %s}", i, strings.Repeat(fmt.Sprintf("...F%d ", i+1), 10))
	}
	fragments.WriteString(" fragment F10 on Query { __typename }")
	return []struct{ name, query, measure string }{
		{"8,000 __typename", "{ " + strings.Repeat("__typename ", 8000) + "}", "fields"},
		{"14,000 __typename", "{ " + strings.Repeat("__typename ", 14000) + "}", "fields"},
		{"5,000 unknown directives", "{ __typename " + strings.Repeat("@a", 5000) + " }", "directives"},
		{"depth 300", "{ " + nest(300) + " }", "depth"},
		{"1,000 aliases", "{ " + aliases.String() + "}", "aliases"},
		{"fragment bomb", fragments.String(), "fields"},
		{"4,000 spreads of unknown fragments", "{ " + strings.Repeat("...X ", 4000) + "}", "fields"},
		{"3,000 operations", strings.Repeat("query { __typename } ", 3000), "fields"},
		{"500 __typename", "{ " + strings.Repeat("__typename ", 500) + "}", "overlaps"},
		{"500 __typename with 8 arguments", "{ " + strings.Repeat("__typename(a:1 b:1 c:1 d:1 e:1 f:1 g:1 h:1) ", 500) + "}", "overlaps"},
		{"repeats within repeats", "{ " + strings.Repeat("__schema { "+strings.Repeat("description(a:1 b:1 c:1 d:1) ", 21)+"} ", 21) + "}", "overlaps"},
	}
}

// TestLimitsBeforeValidation: each hostile document is refused with
// COST_LIMIT_EXCEEDED naming its measure, in at most 100 ms, with no SQL
// run and no data entry; the server answers at once afterwards.
func TestLimitsBeforeValidation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		for _, d := range hostileDocuments() {
			body, _ := json.Marshal(map[string]string{"query": d.query})
			before := a.statements.Load()
			var res rawResponse
			// The best of three: the machine is shared, a refusal is not.
			for range 3 {
				r := postBody(t, a.srv.URL+"/query", string(body), "")
				if res.body == nil || r.took < res.took {
					res = r
				}
			}
			if res.code() != "COST_LIMIT_EXCEEDED" || len(res.errors) != 1 || res.errors[0].Extensions["measure"] != d.measure {
				t.Errorf("%s: %d %.300s", d.name, res.status, res.body)
			}
			if res.took > raceSlowdown*100*time.Millisecond {
				t.Errorf("%s: refused in %v, want ≤ 100 ms (×%d under -race)", d.name, res.took, raceSlowdown)
			}
			if _, ok := res.entries["data"]; ok {
				t.Errorf("%s: a data entry", d.name)
			}
			if ran := a.statements.Load() - before; ran != 0 {
				t.Errorf("%s: %d SQL statements before the refusal", d.name, ran)
			}
			t.Logf("%s (%d bytes): refused in %v", d.name, len(body), res.took)
		}
		var v struct {
			Typename string `json:"__typename"`
		}
		a.query(&v, `{ __typename }`, nil)
	})
}

// TestErrorsAreCapped: a document within the limits that makes 3,000
// errors (unknown arguments) is answered with the first 100 and a last
// TOO_MANY_ERRORS entry.
func TestErrorsAreCapped(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		var args strings.Builder
		for i := range 3000 {
			fmt.Fprintf(&args, "a%d: 1 ", i)
		}
		body, _ := json.Marshal(map[string]string{"query": "{ __typename(" + args.String() + ") }"})
		res := postBody(t, a.srv.URL+"/query", string(body), "")
		if len(res.errors) != 101 {
			t.Fatalf("%d errors, want 101: %.300s", len(res.errors), res.body)
		}
		last := res.errors[100]
		if last.code() != "TOO_MANY_ERRORS" || !strings.Contains(last.Message, "2900") {
			t.Errorf("last error: %+v", last)
		}
		if res.errors[0].code() != "GRAPHQL_VALIDATION_FAILED" || len(res.body) > 30_000 {
			t.Errorf("first error %+v, %d bytes", res.errors[0], len(res.body))
		}
		t.Logf("3,000 unknown arguments: %d bytes in %v", len(res.body), res.took)
	})
}

// TestGetParams: a well-formed GET still runs; its variables are decoded.
func TestGetParams(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	q := url.Values{"query": {`query($c: String!) { region(code: $c) { code } }`}, "variables": {`{"c": "01"}`}}
	res := send(t, mustRequest(http.MethodGet, a.srv.URL+"/query?"+q.Encode()))
	if res.status != 200 || string(res.entries["data"]) != `{"region":{"code":"01"}}` {
		t.Errorf("%d %s", res.status, res.body)
	}
}

func mustRequest(method, url string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		panic(err)
	}
	return req
}

// TestLimitsOnStreams: the document limits and the error cap hold on
// WebSocket and SSE too (one executor serves every transport).
func TestLimitsOnStreams(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		var args strings.Builder
		for i := range 3000 {
			fmt.Fprintf(&args, "a%d: 1 ", i)
		}
		hostile := "{ " + strings.Repeat("__typename ", 5000) + "}" // under the socket's 64 KiB frames
		capped := "{ __typename(" + args.String() + ") }"
		c, err := a.dialWS("graphql-transport-ws", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.conn.CloseNow()
		for i, want := range []struct {
			query, code string
			errors      int
		}{{hostile, "COST_LIMIT_EXCEEDED", 1}, {capped, "GRAPHQL_VALIDATION_FAILED", 101}} {
			start := time.Now()
			c.subscribe(fmt.Sprint(i), want.query, nil)
			// The errors come as an "error" message or as a "next" with
			// errors (then "complete"): either way, capped and coded.
			var errs []gqlError
			for len(errs) == 0 {
				m, err := c.read(5 * time.Second)
				if err != nil {
					t.Fatal(err)
				}
				if m.ID != fmt.Sprint(i) {
					continue // keep-alives, the last operation's "complete"
				}
				switch m.Type {
				case "error":
					_ = json.Unmarshal(m.Payload, &errs)
				case "next":
					var p struct{ Errors []gqlError }
					_ = json.Unmarshal(m.Payload, &p)
					errs = p.Errors
				}
				if len(errs) == 0 {
					t.Fatalf("WebSocket: %s %.300s", m.Type, m.Payload)
				}
			}
			if len(errs) != want.errors || errs[0].code() != want.code || errs[len(errs)-1].code() == "" {
				t.Errorf("WebSocket: %d errors, first %+v", len(errs), errs[0])
			}
			if took := time.Since(start); took > raceSlowdown*100*time.Millisecond {
				t.Errorf("WebSocket: refused in %v", took)
			}
		}
		c.subscribe("ok", `{ __typename }`, nil)
		for {
			m, err := c.read(5 * time.Second)
			if err != nil {
				t.Fatalf("after the refusals: %v", err)
			}
			if m.ID == "ok" {
				if m.Type != "next" || !strings.Contains(string(m.Payload), `{"__typename":"Query"}`) {
					t.Errorf("after the refusals: %s %s", m.Type, m.Payload)
				}
				break
			}
		}

		for _, q := range []string{hostile, capped} {
			body, _ := json.Marshal(map[string]string{"query": q})
			res := postBody(t, a.srv.URL+"/query", string(body), "text/event-stream")
			if !strings.Contains(string(res.body), "COST_LIMIT_EXCEEDED") && !strings.Contains(string(res.body), "TOO_MANY_ERRORS") ||
				strings.Count(string(res.body), `"message"`) > 101 {
				t.Errorf("SSE: %d %.300s", res.status, res.body)
			}
		}
	})
}
