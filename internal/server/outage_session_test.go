package server_test

import (
	"database/sql"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestOutageSignedInRequestSurvivesDroppedConnections: when PostgreSQL
// drops the pool's connections (a restart, a failover, an idle-session
// killer), anonymous requests go on, but the first signed-in request on a
// dropped connection fails in the session lookup of auth.Middleware and is
// answered 500 INTERNAL without a requestId (writeUnauthenticated in
// internal/auth/service.go). A dropped idle connection is no server fault:
// the request must be answered (with data, or a retryable code), never 5xx
// INTERNAL.
func TestOutageSignedInRequestSurvivesDroppedConnections(t *testing.T) {
	dsn := seededPostgres(t, "the dropped-connections review test")
	a, _ := instance(t, dsn, 50*time.Millisecond)
	token, _ := a.register("dropped@example.fi", "Dropped")
	const viewer = `{ viewer { displayName } }`
	for range 5 { // several pooled connections that have served the session lookup
		a.query(&struct{}{}, viewer, nil, bearer(token)...)
	}
	u, _ := url.Parse(dsn)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for round := range 3 {
		if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = $1 AND pid <> pg_backend_pid()`, strings.TrimPrefix(u.Path, "/")); err != nil {
			t.Fatal(err)
		}
		res := a.post(viewer, nil, bearer(token)...)
		if res.Status >= 500 || (len(res.Errors) > 0 && res.Errors[0].code() == "INTERNAL") {
			t.Fatalf("round %d: a signed-in request after the database dropped its connections: status %d, %+v", round, res.Status, res.Errors)
		}
	}
}
