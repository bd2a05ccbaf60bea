package database

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// serialTx makes every transaction safe to share between goroutines.
//
// A mutation's answer is resolved by gqlgen concurrently (one goroutine per
// field resolver and per list element), and every one of them reads through
// the mutation's transaction — one connection. A connection runs one
// statement at a time (pgx answers "conn busy" to a second query while the
// first one's rows are open), so statements on a transaction take turns:
// one statement, and for a query its rows until they are closed, at a time.
// Waiting for the turn obeys the statement's context, so a request past its
// deadline gives up instead of hanging.
//
// Not covered: *sql.Rows from raw QueryContext hold the turn only while the
// query starts (a *sql.Rows cannot carry a close hook); raw queries run
// inside a mutation's own resolver (search's hooks), not in its answer.
func serialTx(d dialect.Driver) dialect.Driver { return &serialDriver{Driver: d} }

type serialDriver struct{ dialect.Driver }

func (d *serialDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &lockedTx{Tx: tx, turn: make(chan struct{}, 1)}, nil
}

// BeginTx keeps transaction options (ent's client asks for them when given).
func (d *serialDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	b, ok := d.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return nil, fmt.Errorf("BeginTx is not supported")
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &lockedTx{Tx: tx, turn: make(chan struct{}, 1)}, nil
}

// ExecContext and QueryContext pass ent's raw SQL (sql/execquery) through.
func (d *serialDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ex, ok := d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("ExecContext is not supported")
	}
	return ex.ExecContext(ctx, query, args...)
}

func (d *serialDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("QueryContext is not supported")
	}
	return q.QueryContext(ctx, query, args...)
}

// lockedTx is a transaction whose statements take turns (turn holds one
// token while a statement or its rows are in use).
type lockedTx struct {
	dialect.Tx
	turn chan struct{}
}

func (t *lockedTx) take(ctx context.Context) error {
	select {
	case t.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (t *lockedTx) give() { <-t.turn }

func (t *lockedTx) Exec(ctx context.Context, query string, args, v any) error {
	if err := t.take(ctx); err != nil {
		return err
	}
	defer t.give()
	return t.Tx.Exec(ctx, query, args, v)
}

// Query keeps the turn until the rows are closed (ent closes every Rows it
// opens, after scanning them and before its next statement).
func (t *lockedTx) Query(ctx context.Context, query string, args, v any) error {
	if err := t.take(ctx); err != nil {
		return err
	}
	if err := t.Tx.Query(ctx, query, args, v); err != nil {
		t.give()
		return err
	}
	if rows, ok := v.(*entsql.Rows); ok && rows.ColumnScanner != nil {
		rows.ColumnScanner = &turnRows{ColumnScanner: rows.ColumnScanner, give: sync.OnceFunc(t.give)}
		return nil
	}
	t.give()
	return nil
}

func (t *lockedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ex, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("ExecContext is not supported")
	}
	if err := t.take(ctx); err != nil {
		return nil, err
	}
	defer t.give()
	return ex.ExecContext(ctx, query, args...)
}

func (t *lockedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("QueryContext is not supported")
	}
	if err := t.take(ctx); err != nil {
		return nil, err
	}
	defer t.give()
	return q.QueryContext(ctx, query, args...)
}

// turnRows gives the transaction's turn back when the rows are closed.
type turnRows struct {
	entsql.ColumnScanner
	give func()
}

func (r *turnRows) Close() error {
	defer r.give()
	return r.ColumnScanner.Close()
}
