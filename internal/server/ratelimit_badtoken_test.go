package server_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"kokeilu/internal/auth"
	"kokeilu/internal/server"
	"kokeilu/internal/testdb"
)

// TestBadTokenDrawsOnTheRateLimit: auth.Middleware runs before the
// rate limiter (server.go, the /query chain) and answers a bad token with
// 401 itself, so requests carrying any made-up "Authorization: Bearer …"
// never reach the limiter: each costs a session lookup in the database and
// none is ever refused. With 2 requests/s (bursts of 2), 30 quick requests
// with a made-up token must meet RATE_LIMITED (429) as 30 anonymous ones do.
func TestBadTokenDrawsOnTheRateLimit(t *testing.T) {
	db := testdb.Open(t, testdb.SQLite)
	accounts, err := auth.NewService(db.Client, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.NewHandler(db, server.Options{Accounts: accounts, RateLimit: server.RateLimit{PerSecond: 2, Burst: 2}}))
	defer srv.Close()
	limited := map[string]int{}
	for _, authorization := range []string{"", "Bearer kk_made-up-token"} {
		for range 30 {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/query", bytes.NewReader([]byte(`{"query": "{ __typename }"}`)))
			req.Header.Set("Content-Type", "application/json")
			if authorization != "" {
				req.Header.Set("Authorization", authorization)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode == http.StatusTooManyRequests {
				limited[authorization]++
			}
		}
	}
	if limited[""] == 0 {
		t.Fatalf("the limiter refused no anonymous request: the test does not measure what it should")
	}
	if limited["Bearer kk_made-up-token"] == 0 {
		t.Fatalf("30 quick requests with a made-up token: none refused (anonymous: %d refused)", limited[""])
	}
}
