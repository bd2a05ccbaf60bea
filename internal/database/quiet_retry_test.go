package database_test

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"

	"kokeilu/internal/testdb"
)

// A read whose connection turns out bad (pgx's ResetSession →
// driver.ErrBadConn once pingIdle finds the backend gone) is retried by
// database/sql; the retry's wait for a free connection must still end with
// the caller's context. database/sql hands a freed connection to a random
// waiter, so the scenario is tried a few times.
func TestQuietRetryWaitHonoursDeadline(t *testing.T) {
	if os.Getenv("KOKEILU_TEST_POSTGRES") == "" {
		t.Skip("no PostgreSQL")
	}
	db := testdb.Open(t, testdb.Postgres)
	reads := db.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	db.SQL.SetMaxOpenConns(1)
	db.SQL.SetMaxIdleConns(1)
	admin, err := sql.Open("pgx", os.Getenv("KOKEILU_TEST_POSTGRES"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()

	for trial := range 4 {
		// H holds the only connection A.
		held, err := reads.QueryContext(context.Background(), "SELECT pg_backend_pid()")
		if err != nil {
			t.Fatal(err)
		}
		var pid int
		if !held.Next() {
			t.Fatal(held.Err())
		}
		if err := held.Scan(&pid); err != nil {
			t.Fatal(err)
		}
		hStart := time.Now()
		// X waits for a connection with a 3 s deadline.
		var xErr error
		var xTook time.Duration
		xDone := make(chan struct{})
		go func() {
			defer close(xDone)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			start := time.Now()
			xErr = drain(ctx, reads, "SELECT 2")
			xTook = time.Since(start)
		}()
		time.Sleep(100 * time.Millisecond)
		// Y waits too: a long read without a deadline.
		yDone := make(chan error, 1)
		go func() { yDone <- drain(context.Background(), reads, "SELECT pg_sleep(4)") }()
		time.Sleep(100 * time.Millisecond)
		// A's backend goes away (restart, failover, idle timeout) and A
		// has been idle past pingIdle's second.
		time.Sleep(time.Until(hStart.Add(1200 * time.Millisecond)))
		if _, err := admin.Exec("SELECT pg_terminate_backend($1)", pid); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		held.Close()
		<-xDone
		yErr := <-yDone
		t.Logf("trial %d: X (deadline 3s): %v after %v; Y: %v", trial, xErr, xTook.Round(10*time.Millisecond), yErr)
		if xTook > 4*time.Second {
			t.Fatalf("trial %d: the retried wait ignored X's deadline: %v after %v", trial, xErr, xTook)
		}
	}
}
