package analytics_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"entgo.io/ent/dialect"

	"kokeilu/internal/database"
)

// recorder keeps the text and arguments of every statement a driver
// runs, inside transactions too, so a test can tell which tables a write
// touched and with what.
type recorder struct {
	mu    sync.Mutex
	stmts []stmt
}

type stmt struct {
	q    string
	args []any
}

func (r *recorder) add(q string, args any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, _ := args.([]any)
	r.stmts = append(r.stmts, stmt{q, a})
}

// take returns the statements so far and forgets them.
func (r *recorder) take() []stmt {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.stmts
	r.stmts = nil
	return s
}

func (r *recorder) option() database.Option {
	return func(d dialect.Driver) dialect.Driver { return &recDriver{Driver: d, r: r} }
}

type recDriver struct {
	dialect.Driver
	r *recorder
}

func (d *recDriver) Exec(ctx context.Context, q string, args, v any) error {
	d.r.add(q, args)
	return d.Driver.Exec(ctx, q, args, v)
}

func (d *recDriver) Query(ctx context.Context, q string, args, v any) error {
	d.r.add(q, args)
	return d.Driver.Query(ctx, q, args, v)
}

func (d *recDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &recTx{Tx: tx, r: d.r}, nil
}

func (d *recDriver) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	d.r.add(q, args)
	return execContext(ctx, d.Driver, q, args...)
}

func (d *recDriver) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	d.r.add(q, args)
	return queryContext(ctx, d.Driver, q, args...)
}

type recTx struct {
	dialect.Tx
	r *recorder
}

func (t *recTx) Exec(ctx context.Context, q string, args, v any) error {
	t.r.add(q, args)
	return t.Tx.Exec(ctx, q, args, v)
}

func (t *recTx) Query(ctx context.Context, q string, args, v any) error {
	t.r.add(q, args)
	return t.Tx.Query(ctx, q, args, v)
}

func (t *recTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	t.r.add(q, args)
	return execContext(ctx, t.Tx, q, args...)
}

func (t *recTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	t.r.add(q, args)
	return queryContext(ctx, t.Tx, q, args...)
}

func execContext(ctx context.Context, d any, q string, args ...any) (sql.Result, error) {
	ex, ok := d.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("ExecContext is not supported")
	}
	return ex.ExecContext(ctx, q, args...)
}

func queryContext(ctx context.Context, d any, q string, args ...any) (*sql.Rows, error) {
	qu, ok := d.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("QueryContext is not supported")
	}
	return qu.QueryContext(ctx, q, args...)
}
