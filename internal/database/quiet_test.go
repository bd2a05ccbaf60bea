package database_test

import (
	"context"
	"database/sql"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"kokeilu/internal/testdb"
)

// Reads outside transactions reach database/sql with a context it cannot
// watch (internal/database's quiet): a long read through the server's
// driver must still stop when its caller's context is cancelled or runs
// out, and rows open under a cancellable context cost no goroutine each.
func TestQuietReadsStopWithTheirContext(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		db := testdb.Open(t, b)
		reads := db.Driver.(interface {
			QueryContext(context.Context, string, ...any) (*sql.Rows, error)
		})
		// About ten seconds each unless stopped.
		long := []string{"SELECT pg_sleep(10)"}
		if b == testdb.SQLite {
			const count = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000000) SELECT count(*) FROM n"
			long = []string{count, count + "; SELECT 1"} // a kept statement, and a text run unprepared
		}
		ends := map[string]func() (context.Context, context.CancelFunc, error){
			"cancel": func() (context.Context, context.CancelFunc, error) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(100*time.Millisecond, cancel)
				return ctx, cancel, context.Canceled
			},
			"deadline": func() (context.Context, context.CancelFunc, error) {
				ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
				return ctx, cancel, context.DeadlineExceeded
			},
		}
		for name, end := range ends {
			for _, text := range long {
				ctx, cancel, want := end()
				start := time.Now()
				err := drain(ctx, reads, text)
				cancel()
				if err == nil || !errors.Is(err, want) && !strings.Contains(err.Error(), "canceling statement") {
					t.Errorf("%s, %.30s…: got %v, want %v", name, text, err, want)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("%s, %.30s…: the read stopped after %v", name, text, d)
				}
			}
		}

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		before := runtime.NumGoroutine()
		var open []*sql.Rows
		for i := range 8 {
			rows, err := reads.QueryContext(ctx, "SELECT 1 + 1 WHERE 1 < 2 + "+strings.Repeat("0 + ", i)+"0")
			if err != nil {
				t.Fatal(err)
			}
			if !rows.Next() {
				t.Fatal(rows.Err())
			}
			open = append(open, rows)
		}
		if after := runtime.NumGoroutine(); after > before+2 {
			t.Errorf("8 open rows under a cancellable context: %d goroutines, %d before", after, before)
		}
		for _, r := range open {
			r.Close()
		}

		// With every connection held, a read waits for one only as long
		// as its context lasts (a review found the wait ignoring it).
		if err := drain(context.Background(), reads, "SELECT 2"); err != nil { // kept: no prepare waits below
			t.Fatal(err)
		}
		held := []*sql.Rows{}
		for range db.SQL.Stats().MaxOpenConnections {
			rows, err := reads.QueryContext(context.Background(), "SELECT 1")
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, rows)
		}
		release := time.AfterFunc(5*time.Second, func() { // so that a wait that ignores its context fails, not hangs
			for _, r := range held {
				r.Close()
			}
		})
		for name, end := range ends {
			ctx, cancel, want := end()
			start := time.Now()
			err := drain(ctx, reads, "SELECT 2")
			cancel()
			if !errors.Is(err, want) || time.Since(start) > 2*time.Second {
				t.Errorf("%s while every connection is held: %v after %v, want %v", name, err, time.Since(start), want)
			}
		}
		if release.Stop() {
			for _, r := range held {
				r.Close()
			}
		}
	})
}

func drain(ctx context.Context, reads interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, text string) error {
	rows, err := reads.QueryContext(ctx, text)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}
