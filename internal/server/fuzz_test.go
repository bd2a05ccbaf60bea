package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"kokeilu/internal/testdb"
)

// FuzzHandler sends arbitrary bodies and content types to /query: the
// answer is never a 5xx, always JSON, and every error carries a code.
//
//	go test ./internal/server -run '^$' -fuzz FuzzHandler -fuzztime 30s
func FuzzHandler(f *testing.F) {
	for _, seed := range []struct{ contentType, body string }{
		{"application/json", `{"query": "{ regions { nodes { code name } } }"}`},
		{"application/json", `{"query": "query($n: Int) { pilots(first: $n) { totalCount } }", "variables": {"n": 5}}`},
		{"application/json", `{"query": "mutation { login(input: {email: \"a@b.c\", password: \"x\"}) { token } }"}`},
		{"application/json", `{"query": "{ node(id: \"azE6MQ\") { id } }"}`},
		{"application/json", `{"query": "{ municipalities(after: \"garbage\") { totalCount } }"}`},
		{"application/json", `{"query": "fragment A on Query { ...A } { ...A }"}`},
		{"application/json", `{"query": "{ __schema { types { name } } }"}`},
		{"application/json", `{bad`},
		{"text/plain", `{"query": "{ __typename }"}`},
		{"application/json", `[]`},
	} {
		f.Add(seed.contentType, seed.body)
	}
	a := newAPI(f, testdb.SQLite, true)
	f.Fuzz(func(t *testing.T, contentType, body string) {
		req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		start := time.Now()
		a.handler.ServeHTTP(rec, req)
		if took := time.Since(start); took > 3*time.Second {
			t.Fatalf("%v for %q %q: answers must be quick", took, contentType, body)
		}
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q %q: %s", rec.Code, contentType, body, rec.Body)
		}
		var out struct {
			Errors []struct {
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("not JSON (%d) for %q: %s", rec.Code, body, rec.Body)
		}
		for _, e := range out.Errors {
			if e.Extensions["code"] == nil {
				t.Fatalf("an error without a code for %q: %s", body, rec.Body)
			}
		}
	})
}
