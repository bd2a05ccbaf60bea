package search

import (
	"context"
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

// exactUpTo is the most hits counted: a search that finds more reports
// exactUpTo+1 ("more than 1,000", as search engines show "1,000+"), and
// its results page up to that position. Counting tens of thousands of
// hits of a broad word would cost far more than finding its first page.
const exactUpTo = 1000

// Search returns a page of hits for the viewer of ctx and how many hits
// there are in all, at most exactUpTo+1. Order: documents whose title
// (name) holds every term come first, then the others; within each group
// the most recently indexed row (highest id) first. Contents of workspaces
// whose contents the viewer may not read are left out of the hits and of
// the count, by the predicate the privacy policies use.
//
// Title hits are counted up to exactUpTo+1 and read up to the end of the
// page (see titles). Only when they are at most exactUpTo are the bodies
// counted (up to exactUpTo+1), so a broad word whose titles alone pass the
// cap never reads its bodies' long lists; and only when the titles do not
// fill the page are body hits read, in the index's order up to the page.
func (ix *Index) Search(ctx context.Context, c *ent.Client, q Query) ([]Hit, int, error) {
	if len(q.Terms) == 0 {
		return nil, 0, nil
	}
	st := ix.statements(ctx, q)
	// The page if the hits are many: with fewer, it ends no later (every
	// bound of the window grows with the total), so title hits up to this
	// end cover it.
	offset, limit := q.Window(exactUpTo + 1)
	titles, titleCount, err := st.titles(ctx, c, offset+limit)
	if err != nil {
		return nil, 0, err
	}
	total := titleCount
	if titleCount <= exactUpTo {
		if total, err = st.count(ctx, c, st.all); err != nil {
			return nil, 0, err
		}
	}
	offset, limit = q.Window(total)
	if limit <= 0 || offset >= total {
		return nil, total, nil
	}
	if st.postgres && total <= exactUpTo {
		// Few hits in all: sorting them is cheap, walking the documents
		// backwards to find them is not (see sortAll).
		st.rest.order = sortAll
	}
	hits := titles[min(offset, len(titles)):min(offset+limit, len(titles))]
	if len(titles) < offset+limit && titleCount < total {
		others, err := st.ids(ctx, c, st.rest, limit-len(hits), max(0, offset-len(titles)))
		if err != nil {
			return nil, 0, err
		}
		hits = append(hits, others...)
	}
	return hits, total, nil
}

// titles reads the first n title hits and counts them up to exactUpTo+1.
// SQLite's FTS4 returns hits in docid order, so both statements stop
// early. PostgreSQL's GIN index returns them unordered: its statement
// reads every title hit from the narrow search_titles and sorts them (see
// sortAll), so it counts them in the same pass.
func (st *statements) titles(ctx context.Context, c execQuerier, n int) ([]Hit, int, error) {
	if !st.postgres {
		count, err := st.count(ctx, c, st.title)
		if err != nil || count == 0 {
			return nil, count, err
		}
		hits, err := st.ids(ctx, c, st.title, n, 0)
		return hits, count, err
	}
	query, args := st.statement(`SELECT d.id, d.kind, count(*) OVER ()`, st.title, fmt.Sprintf(` ORDER BY %s DESC LIMIT %d`, st.title.order, max(n, 1)))
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var hits []Hit
	count := 0
	for rows.Next() {
		var h Hit
		if err := rows.Scan(&h.ID, &h.Kind, &count); err != nil {
			return nil, 0, err
		}
		hits = append(hits, h)
	}
	return hits[:min(len(hits), n)], min(count, exactUpTo+1), rows.Err()
}

// ids reads limit hits of a set after skipping offset, newest first.
func (st *statements) ids(ctx context.Context, c execQuerier, hits set, limit, offset int) ([]Hit, error) {
	query, args := st.statement(`SELECT d.id, d.kind`, hits, fmt.Sprintf(` ORDER BY %s DESC LIMIT %d OFFSET %d`, hits.order, limit, offset))
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Hit
	for rows.Next() {
		var h Hit
		if err := rows.Scan(&h.ID, &h.Kind); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// statements writes the SQL of one search on either database.
type statements struct {
	postgres bool
	q        Query
	visible  func(*entsql.Selector) // nil: everything is readable
	// The sets of hits: every hit, title hits, the others.
	all, title, rest set
}

// set is where a set of hits is read from, its condition there, and the
// column of the index's order (a docid, so SQLite's FTS4 returns its hits
// in that order instead of sorting them).
type set struct {
	from  string
	cond  func(*builder) string
	order string
}

// sortAll orders PostgreSQL hits by id as "d.id" does, but keeps the
// planner from walking the primary key backwards and testing each row
// until the page is full: hits cluster by kind (ids are ranges per type),
// so a broad word's twenty newest title hits could lie behind 20,000 rows
// (28 ms), while reading every hit from the GIN index and sorting them
// takes 2 ms for 5,000 narrow title rows. Used where the hits are few or
// the rows narrow.
const sortAll = `d.id + 0`

func (ix *Index) statements(ctx context.Context, q Query) *statements {
	st := &statements{postgres: ix.dialect == dialect.Postgres, q: q, visible: readable(ctx)}
	if st.postgres {
		tsquery := func(b *builder) string { return b.arg(TSQuery(q.Terms)) + `::tsquery` }
		st.all = set{`search_documents d`, func(b *builder) string { return `d.tsv @@ ` + tsquery(b) }, `d.id`}
		st.title = set{`search_titles d`, func(b *builder) string { return `d.title_tsv @@ ` + tsquery(b) }, sortAll}
		st.rest = set{`search_documents d`, func(b *builder) string {
			return `d.tsv @@ ` + tsquery(b) + ` AND NOT d.title_tsv @@ ` + tsquery(b)
		}, `d.id`}
		return st
	}
	match := func(table string) func(b *builder) string {
		return func(b *builder) string { return table + ` MATCH ` + b.arg(FTSMatch(q.Terms)) }
	}
	st.all = set{`search_fts JOIN search_documents d ON d.id = search_fts.docid`, match(`search_fts`), `search_fts.docid`}
	st.title = set{`search_title_fts JOIN search_documents d ON d.id = search_title_fts.docid`, match(`search_title_fts`), `search_title_fts.docid`}
	st.rest = set{st.all.from, func(b *builder) string {
		return match(`search_fts`)(b) + ` AND search_fts.docid NOT IN (SELECT docid FROM search_title_fts WHERE ` + match(`search_title_fts`)(b) + `)`
	}, st.all.order}
	return st
}

// statement writes head FROM … WHERE the set's condition AND the
// filters (types, readability), tail, with its own arguments.
func (st *statements) statement(head string, hits set, tail string) (string, []any) {
	b := &builder{postgres: st.postgres}
	where := []string{hits.cond(b)}
	if len(st.q.Kinds) > 0 {
		ks := make([]string, len(st.q.Kinds))
		for i, k := range st.q.Kinds {
			ks[i] = b.arg(string(k))
		}
		where = append(where, `d.kind IN (`+strings.Join(ks, ", ")+`)`)
	}
	if st.visible != nil {
		where = append(where, `(d.workspace_id IS NULL OR d.workspace_id IN (`+b.sub(st.visible)+`))`)
	}
	return head + ` FROM ` + hits.from + ` WHERE ` + strings.Join(where, ` AND `) + tail, b.args
}

// count counts the hits of a set up to exactUpTo+1.
func (st *statements) count(ctx context.Context, c execQuerier, hits set) (int, error) {
	query, args := st.statement(`SELECT count(*) FROM (SELECT 1`, hits, fmt.Sprintf(` LIMIT %d) x`, exactUpTo+1))
	return scanInt(ctx, c, query, args...)
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
