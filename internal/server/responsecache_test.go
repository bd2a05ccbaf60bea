package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"kokeilu/internal/auth"
	"kokeilu/internal/database"
	"kokeilu/internal/seed"
	"kokeilu/internal/server"
	"kokeilu/internal/testdb"
)

// cachedInstance is one server instance with the response cache on.
type cachedInstance struct {
	t   *testing.T
	url string
}

func newCachedInstance(t *testing.T, dsn string, ttl time.Duration) cachedInstance {
	t.Helper()
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	accounts, err := auth.NewService(db.Client, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.NewHandler(db, server.Options{Accounts: accounts, ResponseCacheTTL: ttl}))
	t.Cleanup(srv.Close)
	return cachedInstance{t: t, url: srv.URL}
}

// post returns the body and the X-Cache header of a GraphQL request.
func (c cachedInstance) post(query string, header ...string) (string, string) {
	c.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, c.url+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return string(out), res.Header.Get("X-Cache")
}

// TestResponseCache: a repeated anonymous query is answered from the cache
// with the same body; a write on another instance retires the answer at
// once; signed-in requests, mutations and errors are never cached; the TTL
// ends an answer even without writes.
func TestResponseCache(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		dsn := testdb.DSN(t, b)
		first := newCachedInstance(t, dsn, time.Minute)
		second := newCachedInstance(t, dsn, time.Minute)
		db, err := database.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := seed.Reference(context.Background(), db.Client); err != nil {
			t.Fatal(err)
		}
		const q = `{ pilots { totalCount } regions(first: 3) { nodes { code name } } }`
		miss, state := first.post(q)
		if state != "MISS" {
			t.Fatalf("first answer: X-Cache %q", state)
		}
		hit, state := first.post(q)
		if state != "HIT" || hit != miss {
			t.Fatalf("second answer: X-Cache %q, same body %v", state, hit == miss)
		}
		// Swedish names are another answer.
		if _, state := first.post(q, "Accept-Language", "sv"); state != "MISS" {
			t.Errorf("another language: X-Cache %q", state)
		}
		// A write through the other instance's API retires the answer.
		var reg struct {
			Data struct{ Register struct{ Token string } }
		}
		body, _ := second.post(`mutation { register(input: {email: "cache@example.org", password: "correct horse battery", displayName: "Välimuisti"}) { token } }`)
		if err := json.Unmarshal([]byte(body), &reg); err != nil || reg.Data.Register.Token == "" {
			t.Fatalf("register: %s", body)
		}
		token := reg.Data.Register.Token
		if body, _ := second.post(`mutation { createPilot(input: {title: "Uusi kokeilu"}) { id } }`, bearer(token)...); !json.Valid([]byte(body)) || bytes.Contains([]byte(body), []byte(`"errors"`)) {
			t.Fatalf("createPilot: %s", body)
		}
		after, state := first.post(q)
		if state != "MISS" || after == miss || !bytes.Contains([]byte(after), []byte(`"totalCount":1`)) {
			t.Errorf("after a write elsewhere: X-Cache %q, body %s", state, after)
		}
		// Signed-in requests and failing queries are never served from it.
		for range 2 {
			if _, state := first.post(q, bearer(token)...); state != "" {
				t.Errorf("signed in: X-Cache %q", state)
			}
			if _, state := first.post(`{ pilots(first: 1000) { totalCount } }`); state != "MISS" {
				t.Errorf("an error answer: X-Cache %q", state)
			}
		}
		// The TTL ends an answer without writes.
		short := newCachedInstance(t, dsn, 50*time.Millisecond)
		short.post(q)
		time.Sleep(100 * time.Millisecond)
		if _, state := short.post(q); state != "MISS" {
			t.Errorf("after the TTL: X-Cache %q", state)
		}
	})
}
