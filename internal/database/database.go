// Package database opens Kokeilu's database from a DSN and keeps its schema
// current. The DSN picks the backend: postgres://… is PostgreSQL, anything
// else (sqlite://path, file:…, or a plain path) is an embedded SQLite file.
package database

import (
	"context"
	"database/sql"
	"fmt"
	"kokeilu/internal/analytics"
	"kokeilu/internal/revision"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/migrate"
	"kokeilu/internal/integrity"
	"kokeilu/internal/pubsub"
	"kokeilu/internal/search"
	"kokeilu/internal/sortkey"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // also registers the driver "pgx"
	_ "github.com/mattn/go-sqlite3"  // SQLite driver "sqlite3"
)

// DB is an open database: the ent client and the driver under it.
type DB struct {
	Client  *ent.Client
	Driver  dialect.Driver
	Dialect string
	SQL     *sql.DB // the pool under the driver (SQLite: the readers; writes go through Driver)
	DSN     string  // as given to Open
	Search  *search.Index
}

// Close closes the database.
func (db *DB) Close() error { return db.Client.Close() }

// Ping tells whether the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error {
	var rows entsql.Rows
	if err := db.Driver.Query(ctx, "SELECT 1", []any{}, &rows); err != nil {
		return err
	}
	return rows.Close()
}

// Option changes how Open builds the client.
type Option func(dialect.Driver) dialect.Driver

// Settings tunes the connection pool.
type Settings struct {
	MaxConns int // most open connections (PostgreSQL); 0 keeps the default of 20. SQLite has one writer and 8 readers.
}

// Open connects to dsn, creates or updates the schema and returns the client.
// wrap, if given, wraps the driver (tests count statements with it).
func Open(ctx context.Context, dsn string, wrap ...Option) (*DB, error) {
	return OpenWith(ctx, dsn, Settings{}, wrap...)
}

// OpenWith is Open with pool settings.
func OpenWith(ctx context.Context, dsn string, settings Settings, wrap ...Option) (*DB, error) {
	driverName, dialectName, source, err := parse(dsn)
	if err != nil {
		return nil, err
	}
	var (
		sqlDB *sql.DB
		drv   dialect.Driver
	)
	switch dialectName {
	case dialect.SQLite:
		split, writer, readers, err := openSQLite(driverName, source)
		if err != nil {
			return nil, fmt.Errorf("open %s database: %w", dialectName, err)
		}
		if err := writer.PingContext(ctx); err != nil {
			split.Close()
			return nil, fmt.Errorf("connect to %s database: %w", dialectName, err)
		}
		sqlDB, drv = readers, split
	default:
		sqlDB, err = openPostgres(source)
		if err != nil {
			return nil, fmt.Errorf("open %s database: %w", dialectName, err)
		}
		if settings.MaxConns <= 0 {
			settings.MaxConns = 20
		}
		// Start-up holds one connection for its lock and works on another.
		settings.MaxConns = max(settings.MaxConns, 2)
		sqlDB.SetMaxOpenConns(settings.MaxConns)
		sqlDB.SetMaxIdleConns(settings.MaxConns)
		// Connections that saw an outage are replaced, not reused forever.
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
		if err := sqlDB.PingContext(ctx); err != nil {
			sqlDB.Close()
			return nil, fmt.Errorf("connect to %s database: %w", dialectName, err)
		}
		drv = quietPostgres{entsql.OpenDB(dialectName, sqlDB)}
	}
	plain := drv
	drv = serialTx(drv) // a mutation's answer shares its transaction between goroutines
	for _, w := range wrap {
		drv = w(drv)
	}
	db := &DB{Client: ent.NewClient(ent.Driver(drv)), Driver: drv, Dialect: dialectName, SQL: sqlDB, DSN: dsn, Search: search.New(dialectName)}
	// Values in their one stored form before the others see them.
	db.Client.Use(integrity.WebAddresses, storedTimes)
	if dialectName == dialect.Postgres {
		// Before the hooks that read the row: the tree lock, then the row
		// (lockRow), so every lock is taken in that order.
		db.Client.Use(lockTrees, lockRow)
	}
	db.Client.Use(revision.Hook())
	db.Client.Use(analytics.Hook(revision.IsDeferred))
	if err := db.startUp(ctx, plain); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// openPostgres opens the PostgreSQL pool; its connections get TCP
// keepalives, so a link that died without a FIN or RST is dropped from the
// pool in seconds rather than hanging the next request until its timeout.
func openPostgres(source string) (*sql.DB, error) {
	config, err := pgx.ParseConfig(source)
	if err != nil {
		return nil, err
	}
	config.DialFunc = pubsub.KeepAliveDialer().DialContext
	return sql.OpenDB(pgQuietConnector{stdlib.GetConnector(*config, stdlib.OptionShouldPing(pingIdle))}), nil
}

// pingIdle proves a connection that sat idle for over a second before it is
// reused, within a second of its own: a connection on a link that froze
// is dropped and the request gets another, instead of hanging until its
// own deadline (pgx's default ping would wait as long as the request).
func pingIdle(ctx context.Context, p stdlib.ShouldPingParams) bool {
	if p.IdleDuration <= time.Second {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := p.Conn.Ping(ctx); err != nil {
		_ = p.Conn.Close(ctx) // the ping that follows fails: the pool discards it
		return true
	}
	return false
}

// AtStartUp runs fn as instances starting together take turns: under the
// migration lock on PostgreSQL (fn's writes on other connections), as is
// on SQLite, which one process serves. For the start-up loads that check
// for their rows and then write them (reference data, the demo workspace):
// three instances starting on an empty database deadlocked in them.
func (db *DB) AtStartUp(ctx context.Context, fn func(context.Context) error) error {
	if db.Dialect != dialect.Postgres {
		return fn(ctx)
	}
	_, release, err := startUpLock(ctx, db.SQL)
	if err != nil {
		return err
	}
	defer release()
	return fn(ctx)
}

// startUp brings the schema up to date and fills what it leaves empty. The
// embedded SQLite file is auto-migrated by ent (which wants the driver's
// own rows: plain, the driver without wrappers); PostgreSQL, shared by
// instances, applies the committed versioned migrations, and does all of
// it under the migration lock, so instances starting together never fill
// the same rows at once.
func (db *DB) startUp(ctx context.Context, plain dialect.Driver) error {
	IndexForeignKeys()
	if db.Dialect == dialect.Postgres {
		conn, release, err := startUpLock(ctx, db.SQL)
		if err != nil {
			return err
		}
		defer release()
		if err := applyMigrations(ctx, conn); err != nil {
			return err
		}
	} else {
		if err := ent.NewClient(ent.Driver(plain)).Schema.Create(ctx); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
		if err := migrateSQLiteData(ctx, db.Driver); err != nil {
			return err
		}
	}
	// Rows written before a sort-key column existed get their keys.
	if err := sortkey.Backfill(ctx, db.Driver, migrate.Tables); err != nil {
		return err
	}
	// Pilots written before the kept counts existed (or by a bulk load
	// that stopped short) get theirs.
	if err := analytics.Backfill(ctx, db.Client); err != nil {
		return fmt.Errorf("pilot stats backfill: %w", err)
	}
	// The search index lives beside ent's schema: created (and filled
	// with existing rows) after the migrations, kept current by hooks.
	return db.Search.Install(ctx, db.Client)
}

// IndexForeignKeys adds to ent's table definitions an index on every
// foreign key column that no index or primary key starts with. ent leaves
// them out, but every edge is read through one: a pilot's networks are found
// by network_pilots.pilot_id, the second column of that table's key. Both
// auto-migration and migration files see the indexes.
var IndexForeignKeys = sync.OnceFunc(func() {
	for _, t := range migrate.Tables {
		for _, fk := range t.ForeignKeys {
			if len(fk.Columns) == 1 && !leadsIndex(t, fk.Columns[0]) {
				t.Indexes = append(t.Indexes, &schema.Index{Name: t.Name + "_" + fk.Columns[0].Name, Columns: fk.Columns})
			}
		}
	}
})

// leadsIndex tells whether c is the first column of t's key or of an index.
func leadsIndex(t *schema.Table, c *schema.Column) bool {
	if len(t.PrimaryKey) > 0 && t.PrimaryKey[0].Name == c.Name {
		return true
	}
	for _, idx := range t.Indexes {
		if len(idx.Columns) > 0 && idx.Columns[0].Name == c.Name {
			return true
		}
	}
	return false
}

// parse maps a DSN to a database/sql driver, an ent dialect and the driver's
// own DSN: postgres:// or postgresql:// (any case) is PostgreSQL, anything
// else SQLite (ParseSQLite).
func parse(dsn string) (driver, dialectName, source string, err error) {
	if IsPostgres(dsn) {
		// A database that does not answer fails requests fast, not at the
		// operating system's TCP timeout.
		if u, err := url.Parse(dsn); err == nil && u.Query().Get("connect_timeout") == "" {
			q := u.Query()
			q.Set("connect_timeout", "3")
			u.RawQuery = q.Encode()
			dsn = u.String()
		}
		return "pgx", dialect.Postgres, dsn, nil
	}
	f, err := ParseSQLite(dsn)
	if err != nil {
		return "", "", "", err
	}
	// The driver of search's ranking function; otherwise mattn's sqlite3.
	return search.SQLiteDriver, dialect.SQLite, f.URI(), nil
}

// IsPostgres tells whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	scheme, _, ok := strings.Cut(dsn, "://")
	return ok && (strings.EqualFold(scheme, "postgres") || strings.EqualFold(scheme, "postgresql"))
}

// CountStatements wraps the driver so that every statement it runs, inside
// transactions too, adds one to n. Tests and benchmarks use it to prove a
// request runs a fixed number of SQL statements.
func CountStatements(n *atomic.Int64) Option {
	return func(d dialect.Driver) dialect.Driver { return &countingDriver{Driver: d, n: n} }
}

type countingDriver struct {
	dialect.Driver
	n *atomic.Int64
}

func (d *countingDriver) Exec(ctx context.Context, query string, args, v any) error {
	d.n.Add(1)
	return d.Driver.Exec(ctx, query, args, v)
}

func (d *countingDriver) Query(ctx context.Context, query string, args, v any) error {
	d.n.Add(1)
	return d.Driver.Query(ctx, query, args, v)
}

func (d *countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, n: d.n}, nil
}

type countingTx struct {
	dialect.Tx
	n *atomic.Int64
}

// ExecContext runs raw SQL (ent's ExecContext), counted too.
func (t *countingTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.n.Add(1)
	ex, ok := t.Tx.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("ExecContext is not supported")
	}
	return ex.ExecContext(ctx, query, args...)
}

// ExecContext runs raw SQL (ent's ExecContext), counted too.
func (d *countingDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	d.n.Add(1)
	ex, ok := d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("ExecContext is not supported")
	}
	return ex.ExecContext(ctx, query, args...)
}

// QueryContext runs raw SQL (ent's QueryContext), counted too.
func (d *countingDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	d.n.Add(1)
	q, ok := d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("QueryContext is not supported")
	}
	return q.QueryContext(ctx, query, args...)
}

// QueryContext runs raw SQL (ent's QueryContext), counted too.
func (t *countingTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	t.n.Add(1)
	q, ok := t.Tx.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("QueryContext is not supported")
	}
	return q.QueryContext(ctx, query, args...)
}

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	t.n.Add(1)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	t.n.Add(1)
	return t.Tx.Query(ctx, query, args, v)
}

// AroundQueries wraps the driver so that every query ent runs outside a
// transaction runs inside around: around calls run once, and may wait
// before or count while it runs. Tests and benchmarks use it to hold
// statements or to add a round trip; raw SQL passes through.
func AroundQueries(around func(run func() error) error) Option {
	return func(d dialect.Driver) dialect.Driver { return &aroundDriver{Driver: d, around: around} }
}

type aroundDriver struct {
	dialect.Driver
	around func(run func() error) error
}

func (d *aroundDriver) Query(ctx context.Context, query string, args, v any) error {
	return d.around(func() error { return d.Driver.Query(ctx, query, args, v) })
}

func (d *aroundDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ex, ok := d.Driver.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("ExecContext is not supported")
	}
	return ex.ExecContext(ctx, query, args...)
}

func (d *aroundDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, ok := d.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("QueryContext is not supported")
	}
	return q.QueryContext(ctx, query, args...)
}
