package database

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync/atomic"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/stdlib"
)

// database/sql starts a goroutine and a context.WithCancel for every Rows
// whose context can be cancelled, only to close the rows when it is
// (Rows.awaitDone): on SQLite, starting and waking those goroutines was
// about a tenth of a dashboard request's CPU. Both drivers watch the
// context themselves — context.AfterFunc: mattn interrupts SQLite's step,
// pgx cancels the query; Next returns the context's error — so reads hand
// database/sql a context whose Done it sees only until the driver has
// answered the query (quietDone): the wait for a free connection, a retry's
// too, still ends with the context; the rows get no goroutine.
//
// What database/sql no longer does: close rows that were left open after
// their context ended. Every reader of the code base closes its rows; one
// left open would keep its connection, and the callers waiting for one
// would fail at their deadlines.

// quietDone is a context whose Done database/sql sees until the driver
// has answered the query (reached). One per database/sql call.
type quietDone struct {
	context.Context
	reached atomic.Bool
}

func (q *quietDone) Done() <-chan struct{} {
	if q.reached.Load() {
		return nil
	}
	return q.Context.Done()
}

// quiet wraps ctx for one read through database/sql.
func quiet(ctx context.Context) context.Context {
	if ctx.Done() == nil {
		return ctx
	}
	return &quietDone{Context: ctx}
}

// loud is the caller's own context again, for the driver.
func loud(ctx context.Context) context.Context {
	if q, ok := ctx.(*quietDone); ok {
		return q.Context
	}
	return ctx
}

// reached hides Done from database/sql once the driver has answered a
// query: only then does database/sql look at Done for the rows. A reset,
// connect, prepare or query that failed (driver.ErrBadConn) leaves Done
// visible, so database/sql's retry still waits with the caller's context.
func reached(ctx context.Context, err error) {
	if q, ok := ctx.(*quietDone); ok && err == nil {
		q.reached.Store(true)
	}
}

// openQuiet opens a pool of the registered driver's connections that give
// the driver the context quiet hid.
func openQuiet(driverName, source string) (*sql.DB, error) {
	probe, err := sql.Open(driverName, source)
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	probe.Close() // never connected
	return sql.OpenDB(quietConnector{drv, source}), nil
}

type quietConnector struct {
	driver driver.Driver
	source string
}

func (c quietConnector) Driver() driver.Driver { return c.driver }

func (c quietConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.driver.Open(c.source)
	if err != nil {
		return nil, err
	}
	full, ok := conn.(contextConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("database: the driver's connection %T lacks the context methods", conn)
	}
	return quietConn{full}, nil
}

// contextConn is what mattn's SQLiteConn offers database/sql.
type contextConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
	driver.ConnBeginTx
	driver.Pinger
}

type quietConn struct{ contextConn }

func (c quietConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.contextConn.PrepareContext(loud(ctx), query)
	if err != nil {
		return nil, err
	}
	full, ok := s.(contextStmt)
	if !ok {
		s.Close()
		return nil, fmt.Errorf("database: the driver's statement %T lacks the context methods", s)
	}
	return quietStmt{full}, nil
}

func (c quietConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c quietConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.contextConn.QueryContext(loud(ctx), query, args)
	reached(ctx, err)
	return rows, err
}

func (c quietConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.contextConn.ExecContext(loud(ctx), query, args)
}

func (c quietConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.contextConn.BeginTx(loud(ctx), opts)
}

func (c quietConn) Ping(ctx context.Context) error { return c.contextConn.Ping(loud(ctx)) }

// contextStmt is what mattn's SQLiteStmt offers database/sql.
type contextStmt interface {
	driver.Stmt
	driver.StmtQueryContext
	driver.StmtExecContext
}

type quietStmt struct{ contextStmt }

func (s quietStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := s.contextStmt.QueryContext(loud(ctx), args)
	reached(ctx, err)
	return rows, err
}

func (s quietStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.contextStmt.ExecContext(loud(ctx), args)
}

// quietPostgres reads outside transactions as quietly: pgx watches the
// context itself (pgconn's ContextWatcher, context.AfterFunc) on the
// connections of openPostgres (pgQuietConn). A transaction's statements
// keep database/sql's watch: it closes their rows when the transaction
// ends.
type quietPostgres struct{ *entsql.Driver }

func (d quietPostgres) Query(ctx context.Context, query string, args, v any) error {
	return d.Driver.Query(quiet(ctx), query, args, v)
}

func (d quietPostgres) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.Driver.QueryContext(quiet(ctx), query, args...)
}

type pgQuietConnector struct{ driver.Connector }

func (c pgQuietConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(loud(ctx))
	if err != nil {
		return nil, err
	}
	pg, ok := conn.(*stdlib.Conn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("database: pgx gave a connection of type %T", conn)
	}
	return pgQuietConn{pg}, nil
}

// pgQuietConn gives pgx back the context quiet hid, in every method that
// takes one.
type pgQuietConn struct{ *stdlib.Conn }

func (c pgQuietConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.Conn.PrepareContext(loud(ctx), query)
	if err != nil {
		return nil, err
	}
	return quietStmt{s.(*stdlib.Stmt)}, nil
}

func (c pgQuietConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c pgQuietConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.Conn.QueryContext(loud(ctx), query, args)
	reached(ctx, err)
	return rows, err
}

func (c pgQuietConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(loud(ctx), query, args)
}

func (c pgQuietConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.BeginTx(loud(ctx), opts)
}

func (c pgQuietConn) Ping(ctx context.Context) error { return c.Conn.Ping(loud(ctx)) }

func (c pgQuietConn) ResetSession(ctx context.Context) error { return c.Conn.ResetSession(loud(ctx)) }
