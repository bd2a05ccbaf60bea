package database

import (
	"context"
	"database/sql"
	"strings"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
)

// preparedReads runs the readers' statements through prepared statements
// kept by their text: mattn's driver compiles every statement it is given
// afresh (a fifth of a dashboard request's time in SQLite went to
// sqlite3_prepare), where pgx keeps a cache per connection of its own.
// database/sql's Stmt prepares a text once per connection that runs it and
// keeps it there; the most recently used texts are kept, the rest closed.
type preparedReads struct {
	db    *sql.DB
	stmts *lru.Cache[string, *keptStmt]
}

// preparedTexts bounds the statements kept: a text is prepared on up to
// sqliteReaders connections; texts differ mostly in the length of their
// IN lists.
const preparedTexts = 128

func newPreparedReads(db *sql.DB, texts int) *preparedReads {
	stmts, err := lru.NewWithEvict(texts, func(_ string, s *keptStmt) { s.evict() })
	if err != nil {
		panic(err) // only for a size ≤ 0
	}
	return &preparedReads{db: db, stmts: stmts}
}

// keptStmt is closed once it is evicted and no call is starting a query on
// it (rows already open keep it alive inside database/sql).
type keptStmt struct {
	mu      sync.Mutex
	stmt    *sql.Stmt
	users   int
	evicted bool
}

func (s *keptStmt) acquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.evicted {
		return false
	}
	s.users++
	return true
}

func (s *keptStmt) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users--
	if s.users == 0 && s.evicted {
		s.stmt.Close()
	}
}

func (s *keptStmt) evict() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evicted = true
	if s.users == 0 {
		s.stmt.Close()
	}
}

func (p *preparedReads) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if strings.Contains(query, ";") {
		// mattn prepares a text's first statement alone; its Query runs
		// them all.
		return p.db.QueryContext(quiet(ctx), query, args...)
	}
	s, ok := p.stmts.Get(query)
	if !ok {
		stmt, err := p.db.PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		s = &keptStmt{stmt: stmt}
		if prev, found, _ := p.stmts.PeekOrAdd(query, s); found {
			stmt.Close()
			s = prev
		}
	}
	if !s.acquire() {
		return p.db.QueryContext(quiet(ctx), query, args...)
	}
	defer s.release()
	return s.stmt.QueryContext(quiet(ctx), args...)
}

func (p *preparedReads) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.db.ExecContext(ctx, query, args...)
}

// Close closes the kept statements and the pool.
func (p *preparedReads) Close() error {
	p.stmts.Purge()
	return p.db.Close()
}
