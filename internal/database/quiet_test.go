package database

import (
	"context"
	"errors"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// A long read on the readers' pool stops when its caller's context ends,
// although database/sql no longer watches the context: the driver
// interrupts SQLite's step. And rows open under a cancellable context cost
// database/sql no goroutine each.
func TestQuietReadsStopWithTheirContext(t *testing.T) {
	_, writer, reader, err := openSQLite("sqlite3", "file:"+filepath.Join(t.TempDir(), "q.db")+"?_journal_mode=WAL&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	reads := newPreparedReads(reader, 4)
	defer reads.Close()
	// Counts to 6·10^7 unless interrupted: about ten seconds of SQLite's time.
	const long = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) SELECT count(*) FROM n"
	for _, end := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, context.DeadlineExceeded},
	} {
		for _, text := range []string{long, long + "; SELECT 1"} { // kept, and run unprepared
			ctx, cancel := end.ctx()
			start := time.Now()
			n, err := count(ctx, reads, text)
			cancel()
			if !errors.Is(err, end.want) && (err == nil || err.Error() != "interrupted") {
				t.Errorf("%s, %.20s…: got %v (n=%d), want %v", end.name, text, err, n, end.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%s: the read stopped after %v", end.name, d)
			}
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	before := runtime.NumGoroutine()
	var open []interface{ Close() error }
	for i := range 8 {
		rows, err := reads.QueryContext(ctx, "SELECT ? + 1", i)
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
}

func count(ctx context.Context, reads *preparedReads, text string) (int64, error) {
	rows, err := reads.QueryContext(ctx, text, int64(6e7))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	return n, rows.Err()
}
