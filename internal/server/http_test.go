package server_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"kokeilu/internal/server"
	"kokeilu/internal/testdb"
)

// TestRequestErrorsHaveCodes sends requests that never reach a resolver:
// each gets a 4xx JSON error with extensions.code, never a 500.
func TestRequestErrorsHaveCodes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		for _, c := range []struct {
			method, contentType, body string
			status                    int
		}{
			{"POST", "application/json", `{bad json`, 400},
			{"POST", "application/json", ``, 400},
			{"POST", "application/json", `{"query": "{ __typename }", "variables": "x"}`, 400},
			{"POST", "text/plain", `{"query": "{ __typename }"}`, 415},
			{"PUT", "application/json", `{"query": "{ __typename }"}`, 405},
			{"DELETE", "", ``, 405},
		} {
			req, _ := http.NewRequest(c.method, a.srv.URL+"/query", strings.NewReader(c.body))
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var out response
			err = json.NewDecoder(res.Body).Decode(&out)
			res.Body.Close()
			if err != nil || res.StatusCode != c.status || len(out.Errors) == 0 || out.Errors[0].code() != "BAD_USER_INPUT" {
				t.Errorf("%s %s %q: status %d (want %d), errors %+v, decode %v", c.method, c.contentType, c.body, res.StatusCode, c.status, out.Errors, err)
			}
			if len(out.Errors) > 0 && strings.Contains(out.Errors[0].Message, "bad json") {
				t.Errorf("error echoes the request body: %q", out.Errors[0].Message)
			}
		}
	})
}

// TestPasswordHashIsNotInTheSchema looks for any trace of the hash in the
// schema a client can introspect.
func TestPasswordHashIsNotInTheSchema(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		var got struct {
			Schema struct {
				Types []struct {
					Name        string
					Fields      []struct{ Name string }
					InputFields []struct{ Name string } `json:"inputFields"`
					EnumValues  []struct{ Name string } `json:"enumValues"`
				}
			} `json:"__schema"`
		}
		a.query(&got, `{ __schema { types { name fields { name } inputFields { name } enumValues { name } } } }`, nil)
		var userFields []string
		for _, typ := range got.Schema.Types {
			var names []string
			for _, f := range typ.Fields {
				names = append(names, f.Name)
			}
			if typ.Name != "RegisterInput" && typ.Name != "LoginInput" { // where a password is typed in
				for _, f := range typ.InputFields {
					names = append(names, f.Name)
				}
			}
			for _, f := range typ.EnumValues {
				names = append(names, f.Name)
			}
			for _, n := range names {
				if strings.Contains(strings.ToLower(n), "password") {
					t.Errorf("%s.%s exposes the password", typ.Name, n)
				}
			}
			if typ.Name == "User" {
				userFields = names
			}
		}
		if len(userFields) == 0 {
			t.Fatal("no User type in the schema")
		}
	})
}

// TestMetrics scrapes /metrics after a few operations.
func TestMetrics(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	a.query(&struct{}{}, `query Dashboard { regions { totalCount } }`, nil)
	a.post(`query Broken { regions(first: 1000) { totalCount } }`, nil)
	res, err := http.Get(a.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, want := range []string{
		`kokeilu_graphql_operations_total{name="Dashboard",outcome="ok",type="query"} 1`,
		`kokeilu_graphql_operation_duration_seconds_count{name="Dashboard",type="query"} 1`,
		`kokeilu_subscriptions_active 0`,
		`kokeilu_notices_fanned_out_total 0`,
		`kokeilu_graphql_operations_total{name="Broken",outcome="error",type="query"} 1`,
		`go_sql_max_open_connections{db_name="kokeilu"}`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestRateLimit lets a client burst, then answers 429 RATE_LIMITED with
// Retry-After, per address for anonymous clients and per account for
// signed-in ones.
func TestRateLimit(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	limited := httptest.NewServer(server.NewHandler(a.db, server.Options{Accounts: a.accounts, Board: a.board,
		RateLimit: server.RateLimit{PerSecond: 1, Burst: 3}}))
	defer limited.Close()
	ask := func(header ...string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, limited.URL+"/query", strings.NewReader(`{"query": "{ __typename }"}`))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for i := range 3 {
		if res := ask(); res.StatusCode != http.StatusOK {
			t.Fatalf("request %d within the burst: %d", i, res.StatusCode)
		}
	}
	res := ask()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("over the burst: %d, Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	// A signed-in user has a bucket of their own.
	token, _ := a.register("limited@example.org", "Limited")
	if res := ask(bearer(token)...); res.StatusCode != http.StatusOK {
		t.Errorf("signed-in user limited by the address's bucket: %d", res.StatusCode)
	}
}

// TestGraphQLOverHTTPStatuses checks the status codes of the GraphQL over
// HTTP specification.
func TestGraphQLOverHTTPStatuses(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	do := func(method, path, body, accept string) *http.Response {
		req, _ := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	const gqlResp = "application/graphql-response+json"
	for _, c := range []struct {
		name, method, path, body, accept string
		status                           int
		contentType                      string
	}{
		{"query over GET", "GET", "/query?query=%7B__typename%7D", "", "", 200, "application/json"},
		{"mutation over GET", "GET", "/query?query=mutation%7Blogout%7D", "", "", 405, ""},
		{"parse error, graphql-response+json", "POST", "/query", `{"query": "{"}`, gqlResp, 400, gqlResp},
		{"validation error, graphql-response+json", "POST", "/query", `{"query": "{ nope }"}`, gqlResp, 400, gqlResp},
		{"validation error, application/json", "POST", "/query", `{"query": "{ nope }"}`, "application/json", 200, "application/json"},
		{"success, graphql-response+json", "POST", "/query", `{"query": "{ __typename }"}`, gqlResp, 200, gqlResp},
		{"unsupported Accept", "POST", "/query", `{"query": "{ __typename }"}`, "text/html", 406, ""},
		{"browser Accept", "GET", "/query?query=%7B__typename%7D", "", "text/html,application/xhtml+xml,*/*;q=0.8", 200, ""},
	} {
		res := do(c.method, c.path, c.body, c.accept)
		if res.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d", c.name, res.StatusCode, c.status)
		}
		if c.contentType != "" && !strings.HasPrefix(res.Header.Get("Content-Type"), c.contentType) {
			t.Errorf("%s: Content-Type %q, want %s", c.name, res.Header.Get("Content-Type"), c.contentType)
		}
		if c.status == 405 && res.Header.Get("Allow") != "POST" {
			t.Errorf("%s: Allow %q", c.name, res.Header.Get("Allow"))
		}
	}
}

// TestRegisteredQueriesOnly runs a registered query by text or by hash and
// refuses anything else.
func TestRegisteredQueriesOnly(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	const allowed = `{ regions { totalCount } }`
	file := t.TempDir() + "/queries.json"
	if err := os.WriteFile(file, []byte(`["`+allowed+`"]`), 0o644); err != nil {
		t.Fatal(err)
	}
	queries, err := server.LoadRegisteredQueries(file)
	if err != nil {
		t.Fatal(err)
	}
	h := httptest.NewServer(server.NewHandler(a.db, server.Options{Accounts: a.accounts, Board: a.board, RegisteredQueries: queries}))
	defer h.Close()
	b := &api{t: t, srv: h}
	var got struct{ Regions struct{ TotalCount int } }
	b.query(&got, allowed, nil)
	sum := sha256.Sum256([]byte(allowed))
	res := b.postRaw(map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}})
	if len(res.Errors) > 0 || !strings.Contains(string(res.Data), `"totalCount":19`) {
		t.Errorf("by hash: %s %+v", res.Data, res.Errors)
	}
	if e := b.fail("FORBIDDEN", `{ municipalities { totalCount } }`, nil); e.Message == "" {
		t.Error("no message")
	}
}
