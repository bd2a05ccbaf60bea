// Package search is Kokeilu's full-text search over pilots, networks,
// organisations, workspaces, discussions and notices.
//
// Each searchable row has one document in search_documents (its global ID,
// kind, the workspace whose readers may see it, and its normalised title and
// body). On PostgreSQL the table carries a weighted tsvector with a GIN
// index; on SQLite an FTS4 table (compiled into mattn/go-sqlite3 by default,
// unlike FTS5) holds the text. Ent hooks keep documents current on every
// write, inside the writer's transaction; Install indexes rows that exist
// already. Queries rank with ts_rank (PostgreSQL) or BM25 over FTS4's
// matchinfo (SQLite), titles weighing more than bodies, and filter by the
// same workspace predicate as the privacy policies.
package search

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"kokeilu/ent"
	"kokeilu/ent/discussion"
	"kokeilu/ent/notice"
	"kokeilu/ent/post"

	"entgo.io/ent/dialect"
)

// Kind is a searchable type; the values are the GraphQL SearchType enum's.
type Kind string

const (
	Pilot        Kind = "PILOT"
	Network      Kind = "NETWORK"
	Organization Kind = "ORGANIZATION"
	Workspace    Kind = "WORKSPACE"
	Discussion   Kind = "DISCUSSION"
	Notice       Kind = "NOTICE"
)

// Kinds are all searchable types.
var Kinds = []Kind{Pilot, Network, Organization, Workspace, Discussion, Notice}

// source is the SQL that reads a kind's documents from its own table:
// id, workspace (contents only), title, body. Discussions take the body of
// their opening post. "p.id + 0" keeps PostgreSQL from walking the posts'
// primary key in id order looking for the discussion's first post (slow
// once posts are many); it finds the few posts of the discussion by the
// foreign-key index and sorts them.
type source struct {
	kind  Kind
	table string
	query string // ends where a WHERE on id may follow
}

var sources = []source{
	{Pilot, "pilots", `SELECT id, NULL, title, COALESCE(summary, '') || ' ' || COALESCE(description, '') FROM pilots`},
	{Network, "networks", `SELECT id, NULL, name, COALESCE(description, '') FROM networks`},
	{Organization, "organizations", `SELECT id, NULL, name, COALESCE(description, '') FROM organizations`},
	{Workspace, "workspaces", `SELECT id, NULL, name, COALESCE(description, '') FROM workspaces`},
	{Discussion, discussion.Table, `SELECT d.id, d.` + discussion.WorkspaceColumn + `, d.title, COALESCE((SELECT p.body FROM ` + post.Table +
		` p WHERE p.` + post.DiscussionColumn + ` = d.id ORDER BY p.id + 0 LIMIT 1), '') FROM ` + discussion.Table + ` d`},
	{Notice, notice.Table, `SELECT id, ` + notice.WorkspaceColumn + `, title, COALESCE(body, '') FROM ` + notice.Table},
}

func sourceOf(k Kind) source {
	for _, s := range sources {
		if s.kind == k {
			return s
		}
	}
	panic("search: unknown kind " + k)
}

// Index is the search index of one database.
type Index struct {
	dialect string

	mu        sync.Mutex
	count     int64 // documents, for ranking on SQLite
	countedAt time.Time
}

// New returns the index of a database of the given ent dialect.
func New(dialectName string) *Index { return &Index{dialect: dialectName} }

// execQuerier is an ent client: a plain one or a transaction's.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Install creates the index objects if missing, indexes every existing row
// when the index is empty (a new database, or one written before search
// existed), and registers the hooks that keep it current on client.
func (ix *Index) Install(ctx context.Context, client *ent.Client) error {
	if err := ix.create(ctx, client); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	client.Use(ix.hook)
	return nil
}

// create makes the tables and fills them if empty, in one transaction: on
// PostgreSQL under an advisory lock, so instances starting together do it
// once.
func (ix *Index) create(ctx context.Context, client *ent.Client) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmts := sqliteSchema
	if ix.dialect == dialect.Postgres {
		stmts = append([]string{`SELECT pg_advisory_xact_lock(72740002)`}, postgresSchema...)
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", firstLine(s), err)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT count(*) FROM search_documents`)
	if err != nil {
		return err
	}
	var n int
	if rows.Next() {
		err = rows.Scan(&n)
	}
	rows.Close()
	if err != nil {
		return err
	}
	if n == 0 {
		if err := ix.rebuild(ctx, tx.Client()); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// sqliteSchema: documents in a plain table, text in FTS4 (docid = id).
// FTS5 needs the sqlite_fts5 build tag; FTS4 is in the default build.
var sqliteSchema = []string{
	`CREATE TABLE IF NOT EXISTS search_documents (
		id INTEGER PRIMARY KEY, kind TEXT NOT NULL, workspace_id INTEGER)`,
	`CREATE INDEX IF NOT EXISTS search_documents_workspace_id ON search_documents (workspace_id)`,
	`CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts4(title, body, tokenize=unicode61)`,
}

// postgresSchema: the text is normalised in Go, so the 'simple'
// configuration (no stemming, no stop words) only splits it into words;
// titles weigh A, bodies B. These objects live beside the ent schema, not
// in the versioned migrations, whose drift check compares ent's tables only.
var postgresSchema = []string{
	`CREATE TABLE IF NOT EXISTS search_documents (
		id bigint PRIMARY KEY, kind text NOT NULL, workspace_id bigint,
		title text NOT NULL, body text NOT NULL,
		tsv tsvector GENERATED ALWAYS AS (
			setweight(to_tsvector('simple', title), 'A') || setweight(to_tsvector('simple', body), 'B')) STORED)`,
	`CREATE INDEX IF NOT EXISTS search_documents_tsv ON search_documents USING gin (tsv)`,
	`CREATE INDEX IF NOT EXISTS search_documents_workspace_id ON search_documents (workspace_id)`,
}

// Rebuild empties the index and indexes every row again; the data
// generator calls it after bulk loading with indexing skipped.
func (ix *Index) Rebuild(ctx context.Context, client *ent.Client) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM search_documents`, `DELETE FROM search_fts`} {
		if q == `DELETE FROM search_fts` && ix.dialect == dialect.Postgres {
			continue
		}
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	if err := ix.rebuild(ctx, tx.Client()); err != nil {
		return err
	}
	return tx.Commit()
}

// rebuild indexes every row of every kind, in batches.
func (ix *Index) rebuild(ctx context.Context, c execQuerier) error {
	for _, s := range sources {
		last := 0
		for {
			docs, err := ix.read(ctx, c, s, fmt.Sprintf(" WHERE %s > %d ORDER BY %s LIMIT %d", idColumn(s), last, idColumn(s), rebuildBatch))
			if err != nil {
				return err
			}
			if err := ix.write(ctx, c, docs); err != nil {
				return err
			}
			if len(docs) < rebuildBatch {
				break
			}
			last = docs[len(docs)-1].id
		}
	}
	return nil
}

const rebuildBatch = 1000

// maxBody bounds the text of a body that is indexed: the start of a long
// notice or post says what it is about, and every indexed word costs on
// every write (posting a 20 kB notice must stay quick).
const maxBody = 4000

// clip cuts s to at most n bytes, at a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func idColumn(s source) string {
	if s.kind == Discussion {
		return "d.id"
	}
	return "id"
}

// document is one row's entry in the index.
type document struct {
	id          int
	kind        Kind
	workspace   sql.NullInt64
	title, body string
}

// read returns the documents of source s selected by the SQL tail where.
func (ix *Index) read(ctx context.Context, c execQuerier, s source, where string) ([]document, error) {
	rows, err := c.QueryContext(ctx, s.query+where)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var docs []document
	for rows.Next() {
		d := document{kind: s.kind}
		if err := rows.Scan(&d.id, &d.workspace, &d.title, &d.body); err != nil {
			return nil, err
		}
		d.title, d.body = Normalize(d.title), Normalize(clip(d.body, maxBody))
		docs = append(docs, d)
	}
	return docs, rows.Err()
}

// write stores docs, replacing earlier versions.
func (ix *Index) write(ctx context.Context, c execQuerier, docs []document) error {
	if len(docs) == 0 {
		return nil
	}
	ids := make([]int, len(docs))
	for i, d := range docs {
		ids[i] = d.id
	}
	if ix.dialect != dialect.Postgres { // PostgreSQL upserts below
		if err := ix.remove(ctx, c, ids); err != nil {
			return err
		}
	}
	const perStatement = 200 // 5 parameters each, far below both databases' limits
	for start := 0; start < len(docs); start += perStatement {
		part := docs[start:min(start+perStatement, len(docs))]
		if ix.dialect == dialect.Postgres {
			var b strings.Builder
			args := make([]any, 0, 5*len(part))
			b.WriteString(`INSERT INTO search_documents (id, kind, workspace_id, title, body) VALUES `)
			for i, d := range part {
				if i > 0 {
					b.WriteString(", ")
				}
				n := len(args)
				fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5)
				args = append(args, d.id, string(d.kind), d.workspace, d.title, d.body)
			}
			// An upsert, not delete-then-insert: two transactions writing
			// the same document must not collide on its key.
			b.WriteString(` ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, workspace_id = EXCLUDED.workspace_id,
				title = EXCLUDED.title, body = EXCLUDED.body`)
			if _, err := c.ExecContext(ctx, b.String(), args...); err != nil {
				return err
			}
			continue
		}
		meta := make([]any, 0, 3*len(part))
		text := make([]any, 0, 3*len(part))
		for _, d := range part {
			meta = append(meta, d.id, string(d.kind), d.workspace)
			text = append(text, d.id, d.title, d.body)
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO search_documents (id, kind, workspace_id) VALUES `+placeholders(len(part), 3), meta...); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO search_fts (docid, title, body) VALUES `+placeholders(len(part), 3), text...); err != nil {
			return err
		}
	}
	return nil
}

// remove deletes the documents of ids.
func (ix *Index) remove(ctx context.Context, c execQuerier, ids []int) error {
	if len(ids) == 0 {
		return nil
	}
	list := intList(ids)
	if _, err := c.ExecContext(ctx, `DELETE FROM search_documents WHERE id IN (`+list+`)`); err != nil {
		return err
	}
	if ix.dialect != dialect.Postgres {
		if _, err := c.ExecContext(ctx, `DELETE FROM search_fts WHERE docid IN (`+list+`)`); err != nil {
			return err
		}
	}
	return nil
}

// placeholders is "(?, ?), (?, ?)" for rows of width columns (SQLite).
func placeholders(rows, width int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
}

// intList writes ids into SQL; they are ints, so nothing can be injected.
func intList(ids []int) string {
	var b strings.Builder
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprint(&b, id)
	}
	return b.String()
}
