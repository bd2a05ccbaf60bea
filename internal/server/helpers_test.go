package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	_ "kokeilu/ent/runtime"
	"kokeilu/internal/auth"
	"kokeilu/internal/database"
	"kokeilu/internal/noticeboard"
	"kokeilu/internal/pubsub"
	"kokeilu/internal/seed"
	"kokeilu/internal/server"
	"kokeilu/internal/testdb"
)

// siteAdminEmail is the site administrator of test servers (KOKEILU_ADMINS).
const siteAdminEmail = "site-admin@example.org"

func init() {
	// Cheap password hashing keeps account-heavy tests fast; the format and
	// code path are the production ones.
	auth.Params = auth.Argon2Params{Memory: 64, Time: 1, Threads: 1}
}

// api is a running Kokeilu over a fresh database, called through real HTTP.
type api struct {
	t          testing.TB
	db         *database.DB
	srv        *httptest.Server
	handler    *server.Handler
	board      *noticeboard.Board
	accounts   *auth.Service
	statements atomic.Int64
}

// newAPI starts the real handler on backend b with the reference data and,
// if demo, the demo content loaded.
func newAPI(t testing.TB, b testdb.Backend, demo bool) *api {
	t.Helper()
	a := &api{t: t}
	a.db = testdb.Open(t, b, database.CountStatements(&a.statements))
	ctx := context.Background()
	if err := seed.Reference(ctx, a.db.Client); err != nil {
		t.Fatalf("reference data: %v", err)
	}
	if demo {
		if _, err := seed.Demo(ctx, a.db.Client, time.Now()); err != nil {
			t.Fatalf("demo content: %v", err)
		}
	}
	a.serve(pubsub.NewMemory())
	return a
}

// serve starts the real handler over a.db with notices travelling by broker.
func (a *api) serve(broker pubsub.Broker) {
	a.t.Helper()
	accounts, err := auth.NewService(a.db.Client, 0, []string{siteAdminEmail})
	if err != nil {
		a.t.Fatal(err)
	}
	a.accounts = accounts
	a.board = noticeboard.New(a.db.Client, broker)
	a.t.Cleanup(a.board.Close)
	checks := map[string]func() error{}
	if l, ok := broker.(interface{ Healthy() error }); ok {
		checks["notice listener"] = l.Healthy
	}
	a.handler = server.NewHandler(a.db, server.Options{Accounts: accounts, Board: a.board, Origins: []string{"https://app.example.fi"}, Checks: checks})
	a.srv = httptest.NewServer(a.handler)
	a.t.Cleanup(a.srv.Close)
}

// siteAdmin registers the site administrator and restarts the account
// service's bookkeeping (SyncAdmins), as a real start would: registering
// alone never makes an administrator.
func (a *api) siteAdmin(name string) (token, id string) {
	a.t.Helper()
	token, id = a.register(siteAdminEmail, name)
	if err := a.accounts.SyncAdmins(context.Background()); err != nil {
		a.t.Fatal(err)
	}
	return token, id
}

// gqlError is one entry of a response's errors.
type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

func (e gqlError) code() string { s, _ := e.Extensions["code"].(string); return s }

type response struct {
	Status     int
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions json.RawMessage `json:"extensions"`
}

// post sends a GraphQL request; header pairs are added to the request.
func (a *api) post(query string, vars map[string]any, header ...string) response {
	a.t.Helper()
	return a.postNamed(query, "", vars, header...)
}

// postRaw sends a request body of any shape.
func (a *api) postRaw(body map[string]any) response {
	a.t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post(a.srv.URL+"/query", "application/json", bytes.NewReader(b))
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	var out response
	_ = json.NewDecoder(res.Body).Decode(&out)
	out.Status = res.StatusCode
	return out
}

// query sends a request that must succeed and decodes its data into v.
func (a *api) query(v any, query string, vars map[string]any, header ...string) {
	a.t.Helper()
	res := a.post(query, vars, header...)
	if len(res.Errors) > 0 {
		a.t.Fatalf("query failed: %+v", res.Errors)
	}
	if err := json.Unmarshal(res.Data, v); err != nil {
		a.t.Fatalf("decode data: %v", err)
	}
}

// fail sends a request that must fail with code and returns the error.
func (a *api) fail(code, query string, vars map[string]any) gqlError {
	a.t.Helper()
	res := a.post(query, vars)
	if res.Status >= 500 {
		a.t.Fatalf("status %d", res.Status)
	}
	if len(res.Errors) == 0 {
		a.t.Fatalf("want error %s, got data %s", code, res.Data)
	}
	if got := res.Errors[0].code(); got != code {
		a.t.Fatalf("want error code %s, got %s: %+v", code, got, res.Errors)
	}
	return res.Errors[0]
}
