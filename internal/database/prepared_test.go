package database

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// TestPreparedReads runs reads through the kept statements from several
// goroutines while more texts than are kept push the oldest out (and
// close them, some while a query is starting on them or their rows are
// still being read), and while the schema and the rows change under them:
// every read gives the rows as they are at that moment, and no more texts
// stay than are kept. Run it with -race.
func TestPreparedReads(t *testing.T) {
	ctx := context.Background()
	_, writer, reader, err := openSQLite("sqlite3", "file:"+filepath.Join(t.TempDir(), "p.db")+"?_journal_mode=WAL&_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	const kept = 3 // of 5 texts in turn: most reads evict one
	reads := newPreparedReads(reader, kept)
	defer reads.Close()
	if _, err := writer.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 10; i++ {
		if _, err := writer.Exec("INSERT INTO t (id, v) VALUES (?, ?)", i, i*i); err != nil {
			t.Fatal(err)
		}
	}
	sum := func(query string, args ...any) (int, error) {
		rows, err := reads.QueryContext(ctx, query, args...)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		total := 0
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				return 0, err
			}
			total += v
		}
		return total, rows.Err()
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 4 {
		wg.Go(func() {
			for i := range 300 {
				// Each text twice in a row (the second from the cache
				// unless another goroutine pushed it out).
				id := 1 + (i+g)%10
				query := fmt.Sprintf("SELECT v FROM t WHERE id = ? AND %d = %d", (i+g)%5, (i+g)%5)
				for range 2 {
					got, err := sum(query, id)
					if err != nil {
						errs <- err
						return
					}
					if got != id*id {
						errs <- fmt.Errorf("%s with %d: %d, want %d", query, id, got, id*id)
						return
					}
				}
				if got, err := sum("SELECT v FROM t WHERE id <= ?", 3); err != nil || got != 14 {
					errs <- fmt.Errorf("shared text: %d, %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := reads.stmts.Len(); n > kept {
		t.Errorf("%d texts kept, at most %d", n, kept)
	}

	// A kept statement sees a new column and new rows.
	const all = "SELECT * FROM t WHERE id = ?"
	var id0, v0 int
	if err := queryRow(reads, all, 2).Scan(&id0, &v0); err != nil || v0 != 4 {
		t.Fatalf("before the change: %d %d, %v; want 2 4", id0, v0, err)
	}
	if _, err := sum("SELECT v FROM t WHERE id = ?", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := writer.Exec("ALTER TABLE t ADD COLUMN w INTEGER NOT NULL DEFAULT 7"); err != nil {
		t.Fatal(err)
	}
	if _, err := writer.Exec("UPDATE t SET v = 5 WHERE id = 2"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		var id, v, w int
		if err := queryRow(reads, all, 2).Scan(&id, &v, &w); err != nil || v != 5 || w != 7 {
			t.Errorf("after the change: %d %d %d, %v; want 2 5 7", id, v, w, err)
		}
	}
	if got, err := sum("SELECT v FROM t WHERE id = ?", 2); err != nil || got != 5 {
		t.Errorf("kept statement after the update: %d, %v; want 5", got, err)
	}

	// A text of two statements runs as the driver runs it: both, the
	// last one's rows (mattn would prepare the first alone).
	for range 2 {
		var v int
		if err := queryRow(reads, "SELECT 1; SELECT ?", 2).Scan(&v); err != nil || v != 2 {
			t.Errorf("two statements: %d, %v; want 2", v, err)
		}
	}

	// A statement that does not compile is the caller's error, and kept nowhere.
	before := reads.stmts.Len()
	if _, err := reads.QueryContext(ctx, "SELECT nothing FROM t"); err == nil {
		t.Error("a bad column was accepted")
	}
	if reads.stmts.Len() > before {
		t.Error("a statement that failed to compile was kept")
	}
}

// queryRow is QueryRowContext over preparedReads: the first row of query.
func queryRow(p *preparedReads, query string, args ...any) scanner {
	rows, err := p.QueryContext(context.Background(), query, args...)
	return scanner{rows, err}
}

type scanner struct {
	rows *sql.Rows
	err  error
}

func (s scanner) Scan(dest ...any) error {
	if s.err != nil {
		return s.err
	}
	defer s.rows.Close()
	if !s.rows.Next() {
		return sql.ErrNoRows
	}
	return s.rows.Scan(dest...)
}

// TestKeptStmtClosesAfterItsLastUser: a statement pushed out while a
// query is starting on it stays open for that query and is closed once
// the query has started (TestPreparedReads seldom hits that moment).
func TestKeptStmtClosesAfterItsLastUser(t *testing.T) {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stmt, err := db.Prepare("SELECT 1")
	if err != nil {
		t.Fatal(err)
	}
	works := func() bool {
		var one int
		return stmt.QueryRow().Scan(&one) == nil && one == 1
	}
	s := &keptStmt{stmt: stmt}
	if !s.acquire() {
		t.Fatal("a kept statement was refused")
	}
	s.evict()
	if s.acquire() {
		t.Error("an evicted statement was handed out")
	}
	if !works() {
		t.Fatal("evicted under its user")
	}
	s.release()
	if works() {
		t.Error("still open after its last user")
	}
}
