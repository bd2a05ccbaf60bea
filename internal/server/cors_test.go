package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"kokeilu/internal/auth"
	"kokeilu/internal/server"
	"kokeilu/internal/testdb"
)

// TestCrossOriginDefault: without -origins no other origin may call the API
// (no Access-Control-Allow-Origin, preflight or plain); listed origins may,
// and "*" opens it to all only when an operator writes it.
func TestCrossOriginDefault(t *testing.T) {
	db := testdb.Open(t, testdb.SQLite)
	accounts, err := auth.NewService(db.Client, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		origins []string
		origin  string
		allowed string // the Access-Control-Allow-Origin wanted; "" for none
	}{
		{"default refuses others", nil, "https://evil.example", ""},
		{"listed origin", []string{"https://app.example.fi"}, "https://app.example.fi", "https://app.example.fi"},
		{"unlisted origin", []string{"https://app.example.fi"}, "https://evil.example", ""},
		{"operator's star", []string{"*"}, "https://any.example", "*"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(server.NewHandler(db, server.Options{Accounts: accounts, Origins: tc.origins}))
			defer srv.Close()
			pre, _ := http.NewRequest(http.MethodOptions, srv.URL+"/query", nil)
			pre.Header.Set("Origin", tc.origin)
			pre.Header.Set("Access-Control-Request-Method", "POST")
			pre.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
			get, _ := http.NewRequest(http.MethodGet, srv.URL+"/query?query=%7B__typename%7D", nil)
			get.Header.Set("Origin", tc.origin)
			for _, req := range []*http.Request{pre, get} {
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if got := res.Header.Get("Access-Control-Allow-Origin"); got != tc.allowed {
					t.Errorf("%s from %s: Access-Control-Allow-Origin %q, want %q", req.Method, tc.origin, got, tc.allowed)
				}
				if tc.allowed == "" && res.Header.Get("Access-Control-Allow-Headers") != "" {
					t.Errorf("%s from %s allows headers %q", req.Method, tc.origin, res.Header.Get("Access-Control-Allow-Headers"))
				}
			}
		})
	}
}

// TestIntrospectionOff: with introspection off, __schema and __type (also
// behind fragments) are refused with FORBIDDEN before execution, never
// INTERNAL; __typename still answers.
func TestIntrospectionOff(t *testing.T) {
	db := testdb.Open(t, testdb.SQLite)
	accounts, err := auth.NewService(db.Client, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.NewHandler(db, server.Options{Accounts: accounts, NoIntrospection: true}))
	defer srv.Close()
	a := &api{t: t, srv: srv}
	for _, q := range []string{
		`{ __schema { types { name } } }`,
		`{ __type(name: "Pilot") { name } }`,
		`query { ...F } fragment F on Query { __schema { queryType { name } } }`,
		`{ ... on Query { __type(name: "Query") { name } } }`,
	} {
		res := a.post(q, nil)
		if len(res.Errors) != 1 || res.Errors[0].code() != "FORBIDDEN" || res.Data != nil && string(res.Data) != "null" {
			t.Errorf("%s: status %d, data %s, errors %+v", q, res.Status, res.Data, res.Errors)
		}
	}
	var got struct {
		Typename string `json:"__typename"`
	}
	a.query(&got, `{ __typename }`, nil)
	if got.Typename != "Query" {
		t.Errorf("__typename: %q", got.Typename)
	}
}
