// Package search is Kokeilu's full-text search over pilots, networks,
// organisations, workspaces, discussions and notices.
//
// Each searchable row has one document in search_documents (its global ID,
// kind, the workspace whose readers may see it, and the words of its title
// and body as Analyse makes them: folded as written, and their Finnish and
// Swedish stems, and accented forms). The analysis runs in Go, so both
// databases index the same terms. On PostgreSQL the table carries tsvectors
// built in Go, laid out as SQLite's columns (see tsvector), under GIN indexes,
// and the titles' alone again in the narrow search_titles; on SQLite an FTS4
// table (compiled into mattn/go-sqlite3 by default, unlike FTS5) holds one
// column per form of title and body, and search_title_fts the titles'. Ent hooks keep
// documents current on every write, inside the writer's transaction;
// Install indexes rows that exist already, and rebuilds the index when
// AnalyserVersion changed. Queries put title hits before body hits (see
// Index.Search) and filter by the same workspace predicate as the privacy
// policies.
package search

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"kokeilu/ent"
	"kokeilu/ent/discussion"
	"kokeilu/ent/municipality"
	"kokeilu/ent/notice"
	"kokeilu/ent/post"
	"kokeilu/ent/region"
	"kokeilu/ent/theme"
	"kokeilu/ent/wellbeingcounty"

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
	// Places and themes are found by their names in Finnish, Swedish and
	// English ("Helsingfors" finds Helsinki).
	Municipality    Kind = "MUNICIPALITY"
	Region          Kind = "REGION"
	WellbeingCounty Kind = "WELLBEING_COUNTY"
	Theme           Kind = "THEME"
)

// Kinds are all searchable types.
var Kinds = []Kind{Pilot, Network, Organization, Workspace, Discussion, Notice, Municipality, Region, WellbeingCounty, Theme}

// names is the title of a row with official names in three languages.
const names = `name_fi || ' ' || COALESCE(name_sv, '') || ' ' || COALESCE(name_en, '')`

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
	{Municipality, municipality.Table, `SELECT id, NULL, ` + names + `, '' FROM ` + municipality.Table},
	{Region, region.Table, `SELECT id, NULL, ` + names + `, '' FROM ` + region.Table},
	{WellbeingCounty, wellbeingcounty.Table, `SELECT id, NULL, ` + names + `, '' FROM ` + wellbeingcounty.Table},
	{Theme, theme.Table, `SELECT id, NULL, ` + names + `, '' FROM ` + theme.Table},
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
// existed) or was made by another AnalyserVersion, and registers the hooks
// that keep it current on client.
func (ix *Index) Install(ctx context.Context, client *ent.Client) error {
	if err := ix.create(ctx, client); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	client.Use(ix.hook)
	return nil
}

// create makes the tables and fills them if empty, in one transaction: on
// PostgreSQL under an advisory lock, so instances starting together do it
// once. An index of another AnalyserVersion is dropped and built again in
// the same transaction: readers see the old index until it commits.
func (ix *Index) create(ctx context.Context, client *ent.Client) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmts := sqliteSchema
	if ix.dialect == dialect.Postgres {
		stmts = postgresSchema
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(72740002)`); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS search_analyser (version integer NOT NULL)`); err != nil {
		return err
	}
	version, err := scanInt(ctx, tx, `SELECT COALESCE(max(version), 0) FROM search_analyser`)
	if err != nil {
		return err
	}
	if version != AnalyserVersion {
		for _, s := range []string{`DROP TABLE IF EXISTS search_fts`, `DROP TABLE IF EXISTS search_title_fts`, `DROP TABLE IF EXISTS search_titles`,
			`DROP TABLE IF EXISTS search_documents`, `DELETE FROM search_analyser`} {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", firstLine(s), err)
		}
	}
	n, err := scanInt(ctx, tx, `SELECT count(*) FROM search_documents`)
	if err != nil {
		return err
	}
	if n == 0 {
		if err := ix.rebuild(ctx, tx.Client()); err != nil {
			return err
		}
	}
	if version != AnalyserVersion {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO search_analyser (version) VALUES (%d)`, AnalyserVersion)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// scanInt is the one integer that query returns.
func scanInt(ctx context.Context, c execQuerier, query string, args ...any) (int, error) {
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var n int
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	return n, rows.Err()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// sqliteSchema: documents in a plain table, text in FTS4 (docid = id),
// one column per form of the words (Word) of title and body, so a phrase
// finds its words next to each other in one column, and one of accented
// forms; the tokenizer keeps accents (the terms are already folded where
// they should be: Word.Accented must stay apart); the titles alone again
// in search_title_fts, for the hits ranked first (FTS4 has no column
// filter for phrases, and titles' lists of documents are short).
// FTS5 needs the sqlite_fts5 build tag; FTS4 is in the default build.
var sqliteSchema = []string{
	`CREATE TABLE IF NOT EXISTS search_documents (
		id INTEGER PRIMARY KEY, kind TEXT NOT NULL, workspace_id INTEGER)`,
	`CREATE INDEX IF NOT EXISTS search_documents_workspace_id ON search_documents (workspace_id)`,
	`CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts4(title, body, title_fi, body_fi, title_sv, body_sv, accented,
		tokenize=unicode61 "remove_diacritics=0")`,
	`CREATE VIRTUAL TABLE IF NOT EXISTS search_title_fts USING fts4(title, title_fi, title_sv, accented,
		tokenize=unicode61 "remove_diacritics=0")`,
}

// postgresSchema: the tsvector is written by Go (tsvector below), titles
// weighing A, bodies B. The titles alone are again in search_titles, a
// narrow table for the hits ranked first, as search_title_fts on SQLite:
// finding a page of title hits reads every title hit's row, and rows that
// carry a body's tsvector are ten times wider (a broad word's first page
// of titles took 50 ms from search_documents, 2 ms from search_titles).
// The GIN indexes keep their fast-update list of new entries short
// (128 kB, not the default 4 MB): every search reads the whole list, while
// a write that fills it moves it into the index. These objects live beside
// the ent schema, not in the versioned migrations, whose drift check
// compares ent's tables only.
var postgresSchema = []string{
	`CREATE TABLE IF NOT EXISTS search_documents (
		id bigint PRIMARY KEY, kind text NOT NULL, workspace_id bigint,
		tsv tsvector NOT NULL, title_tsv tsvector NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS search_documents_tsv ON search_documents USING gin (tsv) WITH (gin_pending_list_limit = 128)`,
	`CREATE INDEX IF NOT EXISTS search_documents_workspace_id ON search_documents (workspace_id)`,
	`CREATE TABLE IF NOT EXISTS search_titles (
		id bigint PRIMARY KEY, kind text NOT NULL, workspace_id bigint, title_tsv tsvector NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS search_titles_tsv ON search_titles USING gin (title_tsv) WITH (gin_pending_list_limit = 128)`,
	`CREATE INDEX IF NOT EXISTS search_titles_workspace_id ON search_titles (workspace_id)`,
}

// Rebuild empties the index and indexes every row again; the data
// generator calls it after bulk loading with indexing skipped.
func (ix *Index) Rebuild(ctx context.Context, client *ent.Client) error {
	tx, err := client.Tx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	tables := []string{`search_documents`, `search_fts`, `search_title_fts`}
	if ix.dialect == dialect.Postgres {
		tables = []string{`search_documents`, `search_titles`}
	}
	for _, t := range tables {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
			return err
		}
	}
	if err := ix.rebuild(ctx, tx.Client()); err != nil {
		return err
	}
	return tx.Commit()
}

// rebuild indexes every row of every kind, in batches. On PostgreSQL it
// then moves the GIN indexes' fast-update lists into the indexes (searches
// would read them through) and analyses the table for the planner. On
// SQLite it merges the FTS4 segments that the batches left, so a term's
// documents are one list.
func (ix *Index) rebuild(ctx context.Context, c execQuerier) error {
	if err := ix.index(ctx, c); err != nil {
		return err
	}
	stmts := []string{`INSERT INTO search_fts(search_fts) VALUES ('optimize')`, `INSERT INTO search_title_fts(search_title_fts) VALUES ('optimize')`}
	if ix.dialect == dialect.Postgres {
		stmts = []string{`SELECT gin_clean_pending_list('search_documents_tsv'::regclass)`,
			`SELECT gin_clean_pending_list('search_titles_tsv'::regclass)`, `ANALYZE search_documents`, `ANALYZE search_titles`}
	}
	for _, s := range stmts {
		if _, err := c.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func (ix *Index) index(ctx context.Context, c execQuerier) error {
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
	title, body string // as written, the body clipped to maxBody
}

// columns are the SQLite FTS4 columns of one text: its words as written,
// their Finnish stems, their Swedish stems, each in the order of the text,
// and the accented forms of the words that have accents (for prefixes
// typed with accents only, so their positions do not matter).
func columns(words []Word) [4]string {
	var forms [4][]string
	for _, w := range words {
		forms[0] = append(forms[0], w.Surface)
		forms[1] = append(forms[1], w.Fi)
		forms[2] = append(forms[2], w.Sv)
		if w.Accented != "" {
			forms[3] = append(forms[3], w.Accented)
		}
	}
	var out [4]string
	for i, f := range forms {
		out[i] = strings.Join(f, " ")
	}
	return out
}

// tsvector is the PostgreSQL tsvector literal of a document, laid out as
// SQLite's FTS4 columns so that both match the same: the words as written
// (with their accented forms at the same positions), then their Finnish
// stems, then their Swedish stems, each form in a run of positions of its
// own: title words (weight A), a gap, body words (B), a gap. A phrase thus
// matches words next to each other in one form, never across title and
// body or from one form into another, as in one FTS4 column. Titles are at
// most 300 characters and bodies maxBody bytes, so the three runs end far
// below PostgreSQL's last position (16383); a lexeme keeps at most 256
// positions (a word repeated more often in one text loses the rest).
func tsvector(title, body []Word) string {
	type entry struct{ positions []string }
	lexemes := map[string]*entry{}
	var order []string
	add := func(lexeme string, pos int, weight string) {
		e := lexemes[lexeme]
		if e == nil {
			e = &entry{}
			lexemes[lexeme] = e
			order = append(order, lexeme)
		}
		if len(e.positions) < 256 && pos <= 16383 {
			e.positions = append(e.positions, fmt.Sprintf("%d%s", pos, weight))
		}
	}
	pos := 1
	for form := range 3 {
		for _, text := range []struct {
			words  []Word
			weight string
		}{{title, "A"}, {body, "B"}} {
			for _, w := range text.words {
				switch form {
				case 0:
					add(w.Surface, pos, text.weight)
					if w.Accented != "" {
						add(w.Accented, pos, text.weight)
					}
				case 1:
					add(w.Fi, pos, text.weight)
				case 2:
					add(w.Sv, pos, text.weight)
				}
				pos++
			}
			pos++
		}
	}
	var b strings.Builder
	for i, l := range order {
		if i > 0 {
			b.WriteByte(' ')
		}
		// Lexemes are letters and digits only: nothing to escape.
		b.WriteString("'" + l + "':" + strings.Join(lexemes[l].positions, ","))
	}
	return b.String()
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
		d.body = clip(d.body, maxBody)
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
	const perStatement = 100 // at most 7 parameters each, far below both databases' limits
	for start := 0; start < len(docs); start += perStatement {
		part := docs[start:min(start+perStatement, len(docs))]
		if ix.dialect == dialect.Postgres {
			var docs, titles strings.Builder
			args := make([]any, 0, 5*len(part))
			titleArgs := make([]any, 0, 4*len(part))
			docs.WriteString(`INSERT INTO search_documents (id, kind, workspace_id, tsv, title_tsv) VALUES `)
			titles.WriteString(`INSERT INTO search_titles (id, kind, workspace_id, title_tsv) VALUES `)
			for i, d := range part {
				if i > 0 {
					docs.WriteString(", ")
					titles.WriteString(", ")
				}
				n, m := len(args), len(titleArgs)
				fmt.Fprintf(&docs, "($%d, $%d, $%d, $%d::tsvector, $%d::tsvector)", n+1, n+2, n+3, n+4, n+5)
				fmt.Fprintf(&titles, "($%d, $%d, $%d, $%d::tsvector)", m+1, m+2, m+3, m+4)
				title := Analyse(d.title)
				titleTSV := tsvector(title, nil)
				args = append(args, d.id, string(d.kind), d.workspace, tsvector(title, Analyse(d.body)), titleTSV)
				titleArgs = append(titleArgs, d.id, string(d.kind), d.workspace, titleTSV)
			}
			// Upserts, not delete-then-insert: two transactions writing
			// the same document must not collide on its key.
			docs.WriteString(` ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, workspace_id = EXCLUDED.workspace_id,
				tsv = EXCLUDED.tsv, title_tsv = EXCLUDED.title_tsv`)
			titles.WriteString(` ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, workspace_id = EXCLUDED.workspace_id,
				title_tsv = EXCLUDED.title_tsv`)
			if _, err := c.ExecContext(ctx, docs.String(), args...); err != nil {
				return err
			}
			if _, err := c.ExecContext(ctx, titles.String(), titleArgs...); err != nil {
				return err
			}
			continue
		}
		meta := make([]any, 0, 3*len(part))
		text := make([]any, 0, 8*len(part))
		titles := make([]any, 0, 5*len(part))
		for _, d := range part {
			meta = append(meta, d.id, string(d.kind), d.workspace)
			title, body := columns(Analyse(d.title)), columns(Analyse(d.body))
			text = append(text, d.id, title[0], body[0], title[1], body[1], title[2], body[2], strings.TrimSpace(title[3]+" "+body[3]))
			titles = append(titles, d.id, title[0], title[1], title[2], title[3])
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO search_documents (id, kind, workspace_id) VALUES `+placeholders(len(part), 3), meta...); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO search_fts (docid, title, body, title_fi, body_fi, title_sv, body_sv, accented) VALUES `+placeholders(len(part), 8), text...); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO search_title_fts (docid, title, title_fi, title_sv, accented) VALUES `+placeholders(len(part), 5), titles...); err != nil {
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
	if ix.dialect == dialect.Postgres {
		_, err := c.ExecContext(ctx, `DELETE FROM search_titles WHERE id IN (`+list+`)`)
		return err
	}
	for _, t := range []string{"search_fts", "search_title_fts"} {
		if _, err := c.ExecContext(ctx, `DELETE FROM `+t+` WHERE docid IN (`+list+`)`); err != nil {
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
