package server

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"

	"kokeilu/internal/fault"
	"kokeilu/internal/testdb"
)

// TestConcurrentChangeIsAConflict: when PostgreSQL breaks a deadlock
// between two writers by rolling one back, that writer is told CONFLICT
// (retry), not INTERNAL. The deadlock is a real one: two transactions
// lock two rows in opposite orders.
func TestConcurrentChangeIsAConflict(t *testing.T) {
	if os.Getenv("KOKEILU_TEST_POSTGRES") == "" {
		t.Skip("needs PostgreSQL (KOKEILU_TEST_POSTGRES)")
	}
	db := testdb.Open(t, testdb.Postgres)
	ctx := context.Background()
	if _, err := db.SQL.ExecContext(ctx, "CREATE TABLE deadlock_drill (id int PRIMARY KEY); INSERT INTO deadlock_drill VALUES (1), (2)"); err != nil {
		t.Fatal(err)
	}
	begin := func(first int) *sql.Tx {
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "SELECT 1 FROM deadlock_drill WHERE id = $1 FOR UPDATE", first); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	a, b := begin(1), begin(2)
	defer a.Rollback()
	defer b.Rollback()
	second := make(chan error, 1)
	go func() {
		_, err := a.ExecContext(ctx, "SELECT 1 FROM deadlock_drill WHERE id = 2 FOR UPDATE")
		second <- err
	}()
	_, errB := b.ExecContext(ctx, "SELECT 1 FROM deadlock_drill WHERE id = 1 FOR UPDATE")
	if errB == nil {
		b.Rollback() // a waits for b's lock on 2: let it go
	}
	errA := <-second
	err := errB
	if err == nil {
		err = errA
	}
	if err == nil {
		t.Fatal("no deadlock")
	}
	// ent wraps the driver's error.
	got := presentError(ctx, fmt.Errorf("ent: update pilot: %w", err))
	if code := got.Extensions["code"]; code != fault.Conflict {
		t.Errorf("a deadlock (%v) is answered %v: %q", err, code, got.Message)
	}
}
