package search

import (
	"context"
	"fmt"
	"strings"
	"time"

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
	Rank float64
}

// documents is how many documents the index holds, for BM25's idf on
// SQLite; it is read at most once a minute (idf needs no precision).
func (ix *Index) documents(ctx context.Context, c *ent.Client) (int64, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if time.Since(ix.countedAt) < time.Minute {
		return ix.count, nil
	}
	rows, err := c.QueryContext(ctx, `SELECT count(*) FROM search_documents`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&ix.count); err != nil {
			return 0, err
		}
	}
	ix.countedAt = time.Now()
	return ix.count, rows.Err()
}

// Search returns a page of hits for the viewer of ctx, best first (ties by
// id), and how many hits there are in all. Contents of workspaces whose
// contents the viewer may not read are left out of both, by the predicate
// the privacy policies use.
func (ix *Index) Search(ctx context.Context, c *ent.Client, q Query) ([]Hit, int, error) {
	if len(q.Terms) == 0 {
		return nil, 0, nil
	}
	b := &builder{postgres: ix.dialect == dialect.Postgres}
	var from, rank string
	if b.postgres {
		tsquery := b.arg(TSQuery(q.Terms)) + `::tsquery`
		from = `search_documents d`
		rank = `ts_rank('{0, 0, 0.1, 1.0}', d.tsv, ` + tsquery + `)::float8`
		b.where = append(b.where, `d.tsv @@ `+tsquery)
	} else {
		from = `search_fts JOIN search_documents d ON d.id = search_fts.docid`
		documents, err := ix.documents(ctx, c)
		if err != nil {
			return nil, 0, err
		}
		rank = fmt.Sprintf(`kokeilu_bm25(matchinfo(search_fts, 'pcx'), %d)`, documents)
		b.where = append(b.where, `search_fts MATCH `+b.arg(FTSMatch(q.Terms)))
	}
	if len(q.Kinds) > 0 {
		ks := make([]string, len(q.Kinds))
		for i, k := range q.Kinds {
			ks[i] = b.arg(string(k))
		}
		b.where = append(b.where, `d.kind IN (`+strings.Join(ks, ", ")+`)`)
	}
	if visible := readable(ctx); visible != nil {
		b.where = append(b.where, `(d.workspace_id IS NULL OR d.workspace_id IN (`+b.sub(visible)+`))`)
	}
	where := ` WHERE ` + strings.Join(b.where, ` AND `)

	var total int
	rows, err := c.QueryContext(ctx, `SELECT count(*) FROM `+from+where, b.args...)
	if err != nil {
		return nil, 0, err
	}
	if rows.Next() {
		err = rows.Scan(&total)
	}
	rows.Close()
	if err != nil {
		return nil, 0, err
	}
	offset, limit := q.Window(total)
	if limit <= 0 || offset >= total {
		return nil, total, nil
	}
	page := `SELECT d.id, d.kind, ` + rank + ` AS score FROM ` + from + where +
		fmt.Sprintf(` ORDER BY score DESC, d.id LIMIT %d OFFSET %d`, limit, offset)
	rows, err = c.QueryContext(ctx, page, b.args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var hits []Hit
	for rows.Next() {
		var h Hit
		if err := rows.Scan(&h.ID, &h.Kind, &h.Rank); err != nil {
			return nil, 0, err
		}
		hits = append(hits, h)
	}
	return hits, total, rows.Err()
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
	where    []string
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
// prefix) pairs without repeats.
func alternatives(w Word, prefix bool) [][2]string {
	alts := [][2]string{{w.Fi, ""}}
	if w.Sv != w.Fi {
		alts = append(alts, [2]string{w.Sv, ""})
	}
	if prefix {
		alts = append(alts, [2]string{w.Surface, "*"})
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
