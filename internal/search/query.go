package search

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"kokeilu/ent"
	"kokeilu/ent/privacy"
	"kokeilu/internal/policy"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// Query is one search.
type Query struct {
	Terms []Term // what Terms parsed; every term must match
	Kinds []Kind // nil for all
	// Window picks the page once the number of hits is known: the hits
	// skipped and the most to return.
	Window func(total int) (offset, limit int)
}

// Hit is one ranked result.
type Hit struct {
	ID   int
	Kind Kind
}

// exactUpTo is the most hits counted one by one: above it, totalCount is
// an estimate (see Search), as counting tens of thousands of readable hits
// would cost more than finding the page.
const exactUpTo = 1000

// Search returns a page of hits for the viewer of ctx and how many hits
// there are in all. Order: documents whose title (name) holds every term
// come first, then the others; within each group the most recently indexed
// row (highest id) first. Both groups are read in the index's own order and
// stop at the page, so a broad word costs no more than a rare one.
//
// The total is exact up to exactUpTo hits. Above that it is an estimate,
// never less than exactUpTo+1: on PostgreSQL the planner's estimate of the
// rows of the search, on SQLite the documents that match the words before
// the type and readability filters (an upper bound; and when those are
// more than exactUpTo, SQLite reports them even if fewer pass the filters). Contents of
// workspaces whose contents the viewer may not read are left out of the
// hits and of the exact count, by the predicate the privacy policies use.
func (ix *Index) Search(ctx context.Context, c *ent.Client, q Query) ([]Hit, int, error) {
	if len(q.Terms) == 0 {
		return nil, 0, nil
	}
	pg := ix.dialect == dialect.Postgres
	// A set of hits is where it is read from and the condition there.
	type set struct {
		from string
		cond func(*builder) string
	}
	var all, title, rest set
	if pg {
		tsquery := func(b *builder) string { return b.arg(TSQuery(q.Terms)) + `::tsquery` }
		all = set{`search_documents d`, func(b *builder) string { return `d.tsv @@ ` + tsquery(b) }}
		title = set{`search_documents d`, func(b *builder) string { return `d.title_tsv @@ ` + tsquery(b) }}
		rest = set{`search_documents d`, func(b *builder) string {
			return `d.tsv @@ ` + tsquery(b) + ` AND NOT d.title_tsv @@ ` + tsquery(b)
		}}
	} else {
		all = set{`search_fts JOIN search_documents d ON d.id = search_fts.docid`,
			func(b *builder) string { return `search_fts MATCH ` + b.arg(FTSMatch(q.Terms)) }}
		title = set{`search_title_fts JOIN search_documents d ON d.id = search_title_fts.docid`,
			func(b *builder) string { return `search_title_fts MATCH ` + b.arg(FTSMatch(q.Terms)) }}
		rest = set{all.from, func(b *builder) string {
			return all.cond(b) + ` AND d.id NOT IN (SELECT docid FROM search_title_fts WHERE search_title_fts MATCH ` + b.arg(FTSMatch(q.Terms)) + `)`
		}}
	}
	visible := readable(ctx)
	// statement writes head FROM … WHERE the set's condition AND the
	// filters, tail, with its own arguments.
	statement := func(head string, hits set, tail string) (string, []any) {
		b := &builder{postgres: pg}
		where := []string{hits.cond(b)}
		if len(q.Kinds) > 0 {
			ks := make([]string, len(q.Kinds))
			for i, k := range q.Kinds {
				ks[i] = b.arg(string(k))
			}
			where = append(where, `d.kind IN (`+strings.Join(ks, ", ")+`)`)
		}
		if visible != nil {
			where = append(where, `(d.workspace_id IS NULL OR d.workspace_id IN (`+b.sub(visible)+`))`)
		}
		return head + ` FROM ` + hits.from + ` WHERE ` + strings.Join(where, ` AND `) + tail, b.args
	}

	query, args := statement(`SELECT count(*) FROM (SELECT 1`, all, fmt.Sprintf(` LIMIT %d) x`, exactUpTo+1))
	total, err := ix.count(ctx, c, q.Terms, query, args)
	if err != nil {
		return nil, 0, err
	}
	if total > exactUpTo && pg {
		query, args = statement(`SELECT 1`, all, ``)
		if total, err = planRows(ctx, c, query, args); err != nil {
			return nil, 0, err
		}
		total = max(total, exactUpTo+1)
	}
	offset, limit := q.Window(total)
	if limit <= 0 || offset >= total {
		return nil, total, nil
	}
	ids := func(from set, limit, offset int) ([]Hit, error) {
		query, args := statement(`SELECT d.id, d.kind`, from, fmt.Sprintf(` ORDER BY d.id DESC LIMIT %d OFFSET %d`, limit, offset))
		rows, err := c.QueryContext(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var hits []Hit
		for rows.Next() {
			var h Hit
			if err := rows.Scan(&h.ID, &h.Kind); err != nil {
				return nil, err
			}
			hits = append(hits, h)
		}
		return hits, rows.Err()
	}
	// Title hits up to the end of the page: how many there are before it
	// tells where the other hits start.
	first, err := ids(title, offset+limit, 0)
	if err != nil {
		return nil, 0, err
	}
	hits := first[min(offset, len(first)):]
	if len(first) < offset+limit {
		others, err := ids(rest, limit-len(hits), max(0, offset-len(first)))
		if err != nil {
			return nil, 0, err
		}
		hits = append(hits, others...)
	}
	return hits, total, nil
}

// count is the exact number of hits up to exactUpTo, from the statement
// exact (with its arguments); on SQLite above that, the documents the words
// match before the filters. SQLite counts those first: FTS4 reads a term's
// whole list of documents for any query, so one count of a broad word
// spares the join of every hit to its document.
func (ix *Index) count(ctx context.Context, c execQuerier, terms []Term, exact string, args []any) (int, error) {
	if ix.dialect != dialect.Postgres {
		n, err := scanInt(ctx, c, `SELECT count(*) FROM search_fts WHERE search_fts MATCH ?`, FTSMatch(terms))
		if err != nil || n > exactUpTo {
			return n, err
		}
	}
	return scanInt(ctx, c, exact, args...)
}

// planRows is PostgreSQL's estimate of the rows of query.
func planRows(ctx context.Context, c execQuerier, query string, args []any) (int, error) {
	rows, err := c.QueryContext(ctx, `EXPLAIN (FORMAT JSON) `+query, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var plan []byte
	if rows.Next() {
		if err := rows.Scan(&plan); err != nil {
			return 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var out []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		}
	}
	if err := json.Unmarshal(plan, &out); err != nil || len(out) == 0 {
		return 0, fmt.Errorf("search estimate: %s: %v", plan, err)
	}
	return int(out[0].Plan.Rows), nil
}

// readable is the predicate of workspaces whose contents the viewer of ctx
// may read, or nil when everything is readable (site administrators, the
// server's own work).
func readable(ctx context.Context) func(*entsql.Selector) {
	if d, ok := privacy.DecisionFromContext(ctx); ok && d == privacy.Allow {
		return nil
	}
	return policy.ReadableContent(ctx)
}

// builder collects a statement's arguments in order, numbering them for
// PostgreSQL.
type builder struct {
	postgres bool
	args     []any
}

func (b *builder) arg(v any) string {
	b.args = append(b.args, v)
	if b.postgres {
		return fmt.Sprintf("$%d", len(b.args))
	}
	return "?"
}

// sub writes the ids of workspaces that match pred as a subquery.
func (b *builder) sub(pred func(*entsql.Selector)) string {
	d := dialect.SQLite
	if b.postgres {
		d = dialect.Postgres
	}
	s := entsql.Dialect(d).Select("id").From(entsql.Table("workspaces"))
	s.SetTotal(len(b.args))
	pred(s)
	query, args := s.Query()
	b.args = append(b.args, args...)
	return query
}

// Both databases get the same condition from the same terms (Word): a word
// matches when its Finnish or its Swedish stem is a word's stem of the same
// language; the query's last word also matches words that start with it as
// typed; a phrase's words must stand next to each other in that order, by
// their Finnish or by their Swedish stems. Terms hold letters and digits
// only, so nothing in them is an operator of either query language.

// alternatives are the index terms one query word matches, as (stem, is
// prefix) pairs without repeats. A prefix is the word as typed
// (Word.PrefixForm): with accents, it matches the accented forms only.
func alternatives(w Word, prefix bool) [][2]string {
	var alts [][2]string
	for i, stem := range []string{w.Fi, w.Sv} {
		// A stem that the prefix matches anyway costs a second lookup.
		if (i == 1 && stem == w.Fi) || (prefix && strings.HasPrefix(stem, w.PrefixForm())) {
			continue
		}
		alts = append(alts, [2]string{stem, ""})
	}
	if prefix {
		alts = append(alts, [2]string{w.PrefixForm(), "*"})
	}
	return alts
}

// phrases are a phrase's words by their Finnish stems and by their
// Swedish stems (one when they agree).
func phrases(words []Word) [][]string {
	fi, sv := make([]string, len(words)), make([]string, len(words))
	for i, w := range words {
		fi[i], sv[i] = w.Fi, w.Sv
	}
	if strings.Join(fi, " ") == strings.Join(sv, " ") {
		return [][]string{fi}
	}
	return [][]string{fi, sv}
}

// FTSMatch is the terms as an FTS4 MATCH expression (enhanced syntax,
// which mattn/go-sqlite3 compiles in): any column matches.
func FTSMatch(terms []Term) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		var alts []string
		if len(t.Words) == 1 {
			for _, a := range alternatives(t.Words[0], t.Prefix) {
				alts = append(alts, a[0]+a[1])
			}
		} else {
			for _, p := range phrases(t.Words) {
				alts = append(alts, `"`+strings.Join(p, " ")+`"`)
			}
		}
		parts[i] = "(" + strings.Join(alts, " OR ") + ")"
	}
	return strings.Join(parts, " AND ")
}

// TSQuery is the terms as a PostgreSQL tsquery literal (cast with
// ::tsquery, so no configuration changes the lexemes).
func TSQuery(terms []Term) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		var alts []string
		if len(t.Words) == 1 {
			for _, a := range alternatives(t.Words[0], t.Prefix) {
				lexeme := "'" + a[0] + "'"
				if a[1] != "" {
					lexeme += ":*"
				}
				alts = append(alts, lexeme)
			}
		} else {
			for _, p := range phrases(t.Words) {
				alts = append(alts, "('"+strings.Join(p, "' <-> '")+"')")
			}
		}
		parts[i] = "(" + strings.Join(alts, " | ") + ")"
	}
	return strings.Join(parts, " & ")
}
