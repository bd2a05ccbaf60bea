package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"kokeilu/internal/auth"
	"kokeilu/internal/database"
	"kokeilu/internal/seed"
	"kokeilu/internal/testdb"

	"pgregory.net/rapid"
)

// TestPostAnswersAsGqlgen sends the same POST requests to the server and
// to the server with gqlgen's own POST transport: the status, the content
// type and the answer (as JSON: gqlgen's writer also escapes <, > and &
// in the data) are the same, for a matrix of Accept headers and bodies
// (answers, errors beside data, syntax, validation, bad JSON) and for
// generated ones.
func TestPostAnswersAsGqlgen(t *testing.T) {
	db, ours, theirs := postServers(t)
	ctx := context.Background()
	// Markup in the data, which gqlgen's writer escapes.
	if _, err := db.Client.Theme.Create().SetSlug("r-d").SetNameFi("T&K <tutkimus> & kehitys\u2028").SetNameSv("FoU").SetNameEn("R&D").Save(auth.System(ctx)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Client.Theme.Create().SetSlug("rivi").SetNameFi("rivin\u2029erotin").SetNameSv("rad").SetNameEn("line").Save(auth.System(ctx)); err != nil {
		t.Fatal(err)
	}

	type answer struct {
		status      int
		contentType string
		body        any
	}
	send := func(t fataler, url, accept, body string) answer {
		status, contentType, raw := postAccept(t, url, accept, body)
		if !json.Valid(raw) {
			t.Fatalf("not JSON: %.300s", raw)
		}
		if bytes.ContainsAny(raw, "<>&\u2028\u2029") {
			t.Fatalf("markup characters not escaped: %.300s", raw)
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		_ = dec.Decode(&v)
		// Root fields run concurrently: their errors come in either order.
		if m, ok := v.(map[string]any); ok {
			if errs, ok := m["errors"].([]any); ok {
				sort.Slice(errs, func(i, j int) bool { return fmt.Sprint(errs[i]) < fmt.Sprint(errs[j]) })
			}
		}
		return answer{status, contentType, v}
	}
	same := func(t fataler, accept, body string) {
		a, b := send(t, ours.URL, accept, body), send(t, theirs.URL, accept, body)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("Accept %q, body %.200s:\nours:   %+v\ngqlgen: %+v", accept, body, a, b)
		}
	}
	accepts := []string{"", "application/json", graphqlResponse, "text/html", "*/*", "application/*",
		"text/html, " + graphqlResponse, "application/json;q=0.1, " + graphqlResponse, ";;", "text/plain"}
	bodies := []string{
		`{"query": "{ regions(first: 3) { totalCount nodes { code name } } }"}`,
		`{"query": "{ pilots(first: 5) { nodes { id title summary sourceURL } } }"}`,
		`{"query": "{ a: node(id: \"azE6MQ\") { id } b: node(id: \"<b>&\") { id } }"}`,
		`{"query": "{ regions(first: -1) { totalCount } }"}`,
		`{"query": "{ themes(first: 50) { nodes { slug nameFi nameEn } } }"}`,
		`{"query": "{ themes(where: {slug: \"rivi\"}) { nodes { nameFi } } }"}`,
		`{"query": "{ a: __typename b: __type(name: \"Query\") { description } }"}`,
		`{"query": "{"}`,
		`{"query": "{ nope }"}`,
		`{"query": "query Q($n: Int!) { regions(first: $n) { totalCount } }", "variables": {"n": "x"}}`,
		`{"query": "query A { __typename } query B { __typename }", "operationName": "C"}`,
		`{"query": "mutation { logout }"}`,
		`{"query": 5}`,
		`{`,
		``,
		`[]`,
	}
	for _, accept := range accepts {
		for _, body := range bodies {
			same(t, accept, body)
		}
	}
	rapid.Check(t, func(rt *rapid.T) {
		accept := strings.Join(rapid.SliceOfN(rapid.SampledFrom(append(accepts, "application/graphql-response+json;charset=utf-8", "*/*;q=0")), 0, 3).Draw(rt, "accept"), ",")
		body := rapid.SampledFrom(bodies).Draw(rt, "body")
		if cut := rapid.IntRange(0, len(body)).Draw(rt, "cut"); rapid.Bool().Draw(rt, "truncate") {
			body = body[:cut]
		}
		same(rt, accept, body)
	})
}

// postServers opens a SQLite database with the reference and demo data
// and serves it twice: with the server's POST transport (ours) and with
// gqlgen's (theirs).
func postServers(t *testing.T) (db *database.DB, ours, theirs *httptest.Server) {
	db = testdb.Open(t, testdb.SQLite)
	ctx := context.Background()
	if err := seed.Reference(ctx, db.Client); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, db.Client, time.Now()); err != nil {
		t.Fatal(err)
	}
	accounts, err := auth.NewService(db.Client, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	ours = httptest.NewServer(NewHandler(db, Options{Accounts: accounts}))
	t.Cleanup(ours.Close)
	theirs = httptest.NewServer(NewHandler(db, Options{Accounts: accounts, gqlgenPOST: true}))
	t.Cleanup(theirs.Close)
	return db, ours, theirs
}

// fataler is a *testing.T or a *rapid.T.
type fataler interface{ Fatalf(string, ...any) }

// postAccept POSTs body to url's /query with the Accept header (none if
// empty) and gives the status, content type and answer's bytes.
func postAccept(t fataler, url, accept, body string) (int, string, []byte) {
	req, _ := http.NewRequest(http.MethodPost, url+"/query", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%v", err)
	}
	defer res.Body.Close()
	var raw bytes.Buffer
	_, _ = raw.ReadFrom(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), raw.Bytes()
}
