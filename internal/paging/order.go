package paging

import (
	"strings"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
)

// The order of every connection, on both databases: the orderBy terms in
// their directions, NULLs after every value whatever the direction, then the
// ID ascending so that no two rows tie. A page asked for with `last` reads
// the same order backwards (directions and NULL placement reversed) and
// turns it around. The generated pagers (ent/template/pagination.tmpl)
// build their ORDER BY, their per-parent windows and their cursor
// predicates from the functions below, so the three cannot disagree.

// Key is one orderBy term as the client gave it.
type Key struct {
	Column string
	Desc   bool
	// Zero is the SQL literal that NULL stands for, if any: an optional
	// field that is not a pointer in Go reads NULL as "" or 0, and is sorted
	// and paged as that value, as clients see it (its cursors cannot tell
	// NULL from zero).
	Zero string
	// Kind is what the key's cursor values must be: a forged cursor is
	// BAD_USER_INPUT, not a database error (PostgreSQL refuses a text
	// compared with a number or a date).
	Kind Kind
	// Null tells that the column may hold NULL, so that a cursor may carry
	// nil for it; a nil for any other column is a forged cursor.
	Null bool
}

// Kind is the kind of a column's values as a cursor carries them.
type Kind uint8

const (
	Any Kind = iota
	Int
	Float
	Text
	Time
	Bool
	Bytes
)

// fits tells whether a cursor value (as msgpack decodes it) may stand for
// a value of the key's column.
func (k Key) fits(v any) bool {
	if v == nil {
		return k.Null
	}
	return k.Kind.fits(v)
}

// fits tells whether a non-nil cursor value may stand for a value of kind k.
func (k Kind) fits(v any) bool {
	switch v.(type) {
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return k == Int || k == Float || k == Any
	case float32, float64:
		return k == Float || k == Any
	case string:
		return k == Text || k == Any
	case time.Time:
		return k == Time || k == Any
	case bool:
		return k == Bool || k == Any
	case []byte:
		return k == Bytes || k == Any
	}
	return k == Any
}

// expr is the key's value in SQL, its column named by name.
func (k Key) expr(name string) string {
	if k.Zero != "" {
		return "COALESCE(" + name + ", " + k.Zero + ")"
	}
	return name
}

// term is the ORDER BY term of the key read forwards or backwards, after
// its value in SQL.
func (k Key) term(reverse bool) string {
	t := " " + direction(k.Desc, reverse)
	switch {
	case k.Zero != "" || !k.Null:
		// Never NULL: no NULLS clause, so that PostgreSQL reads its plain
		// index backwards for DESC (it does not match NULLS LAST to an
		// index whatever the column's NOT NULL).
	case reverse:
		t += " NULLS FIRST"
	default:
		t += " NULLS LAST"
	}
	return t
}

// OrderTerm orders a query by the key, read forwards or backwards.
func OrderTerm(k Key, reverse bool) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.OrderBy(k.expr(s.C(k.Column)) + k.term(reverse))
	}
}

// OrderExpr is the ORDER BY list of keys and then idColumn, read forwards or
// backwards, with unqualified columns: it orders the per-parent window of a
// nested connection and the rows read back from it.
func OrderExpr(keys []Key, idColumn string, reverse bool) sql.Querier {
	return sql.ExprFunc(func(b *sql.Builder) {
		for _, k := range keys {
			if k.Zero != "" {
				b.WriteString("COALESCE(").Ident(k.Column).WriteString(", " + k.Zero + ")")
			} else {
				b.Ident(k.Column)
			}
			b.WriteString(k.term(reverse)).Comma()
		}
		b.Ident(idColumn).Pad().WriteString(direction(false, reverse))
	})
}

func direction(desc, reverse bool) string {
	if desc != reverse {
		return "DESC"
	}
	return "ASC"
}

// CursorPredicates are the predicates of the rows strictly after `after`
// and strictly before `before` in the order of keys (as the client gave it,
// whichever way the page is read). A cursor carries tag (the rules have
// checked it before anything ran; see cursor.go) and then the values of its
// row in keys, nil for NULL.
func CursorPredicates(after, before *entgql.Cursor[int], tag string, keys []Key, idColumn string) ([]func(*sql.Selector), error) {
	var out []func(*sql.Selector)
	for _, c := range []struct {
		cursor *entgql.Cursor[int]
		after  bool
		arg    string
	}{{after, true, "after"}, {before, false, "before"}} {
		if c.cursor == nil {
			continue
		}
		values, err := Values(c.cursor, c.arg, tag)
		if err != nil {
			return nil, err
		}
		if len(values) != len(keys) || !fit(keys, values) {
			return nil, NotThisOrder(c.arg)
		}
		id, isAfter := c.cursor.ID, c.after
		out = append(out, func(s *sql.Selector) {
			s.Where(beyond(s, keys, values, idColumn, id, isAfter))
		})
	}
	return out, nil
}

func fit(keys []Key, values []any) bool {
	for i, k := range keys {
		if !k.fits(values[i]) {
			return false
		}
	}
	return true
}

// beyond is the predicate of the rows strictly after (or before) the row
// with values and id: for each key, the earlier keys equal and this one
// beyond, and last all keys equal and the id beyond.
func beyond(s *sql.Selector, keys []Key, values []any, idColumn string, id int, after bool) *sql.Predicate {
	var or []*sql.Predicate
	var equal []*sql.Predicate
	for i, k := range keys {
		col, v := s.C(k.Column), values[i]
		if k.Zero != "" {
			col = k.expr(col) // never NULL, nor its cursor values (Key.fits)
		}
		var strict *sql.Predicate
		switch {
		case v == nil && after: // NULLs are last: nothing but NULLs follow
		case v == nil:
			strict = sql.NotNull(col)
		case after && k.Desc:
			strict = sql.Or(sql.LT(col, v), sql.IsNull(col))
		case after:
			strict = sql.Or(sql.GT(col, v), sql.IsNull(col))
		case k.Desc:
			strict = sql.GT(col, v)
		default:
			strict = sql.LT(col, v)
		}
		if strict != nil {
			or = append(or, sql.And(append(append([]*sql.Predicate{}, equal...), strict)...))
		}
		if v == nil {
			equal = append(equal, sql.IsNull(col))
		} else {
			equal = append(equal, sql.EQ(col, v))
		}
	}
	idCol := s.C(idColumn)
	if after {
		or = append(or, sql.And(append(equal, sql.GT(idCol, id))...))
	} else {
		or = append(or, sql.And(append(equal, sql.LT(idCol, id))...))
	}
	return sql.Or(or...)
}

// LimitPerRow keeps the first limit rows of each partition in the order of
// orderBy and returns them in that order: ent hands eager-loaded children to
// their parents in the order the rows come, so one order over all parents
// gives each parent its own children in order (entgql's LimitPerRow leaves
// the rows unordered). The selector is moved, not cloned: ent's
// Selector.Clone loses the operators of range predicates such as cursors.
//
// With totals, each row also carries the partition's rows before the
// limit, the parent's totalCount, in a last column that totals reads
// (Totals.Scan) with the row's parent: the count costs no statement of
// its own. The rows must not be narrowed by a cursor then. The partition's
// column is the parent's (Totals.Column) unless totals is told otherwise.
//
// pairs names where the edge keeps its parent–child pairs, for the
// cut-off form (cutOff) that SQLite takes when it fits.
func LimitPerRow(partitionBy string, limit int, orderBy sql.Querier, totals *Totals, pairs Pairs) func(*sql.Selector) {
	if totals != nil && totals.Column == "" {
		totals.Column = partitionBy
	}
	return func(s *sql.Selector) {
		d := sql.Dialect(s.Dialect())
		s.SetDistinct(false)
		if column, parents, ok := cutOffFits(s, partitionBy, orderBy); ok {
			cutOff(s, column, limit, totals, pairs, parents)
			return
		}
		columns := s.UnqualifiedColumns()
		src := *s
		limited := d.Select("*").
			AppendSelectExprAs(sql.RowNumber().PartitionBy(partitionBy).OrderExpr(orderBy), "row_number").
			From(d.Table("src_query"))
		if totals != nil {
			limited.AppendSelectExprAs(sql.Window(func(b *sql.Builder) { b.WriteString("COUNT(*)") }).PartitionBy(partitionBy), totalColumn)
		}
		with := d.With("src_query").
			As(&src).
			With("limited_query").
			As(limited)
		t := d.Table("limited_query").As(s.TableName())
		*s = *d.Select(columns...).
			From(t).
			Where(sql.LTE(t.C("row_number"), limit)).
			Prefix(with).
			OrderExpr(orderBy)
		if totals != nil {
			s.AppendSelect(t.C(totalColumn))
		}
	}
}

// Pairs names the table that pairs each parent with its children's IDs,
// indexed by the parent: a many-to-many edge's join table, or a
// one-to-many edge's child table with its foreign key (Child is then the
// child's own ID).
type Pairs struct{ Table, Parent, Child string }

// cutOffParents is the most parents the cut-off form takes: it binds their
// IDs, and SQLite takes at most 32,766 values in a statement.
const cutOffParents = 10000

// cutOffFits tells whether a page of s can take the cut-off form: on
// SQLite, in the default order (the child's ID ascending, the column
// "id"), when nothing but the parents narrows the rows — no filter, no
// privacy rule, no cursor: the cut-off reads the pairs table alone — and
// for at most cutOffParents parents. It returns the parent's column as s
// names it and the parents' IDs.
func cutOffFits(s *sql.Selector, partitionBy string, orderBy sql.Querier) (string, []any, bool) {
	if s.Dialect() != dialect.SQLite {
		return "", nil, false
	}
	if order, _ := orderBy.Query(); order != "`id` ASC" {
		return "", nil, false
	}
	p := s.P()
	if p == nil {
		return "", nil, false
	}
	where, parents := p.Query()
	column, list, ok := strings.Cut(where, " IN (")
	if !ok || len(parents) == 0 || len(parents) > cutOffParents || strings.ContainsAny(column, " ()") || !strings.HasSuffix(column, "`"+partitionBy+"`") ||
		list != strings.Repeat("?, ", len(parents)-1)+"?)" {
		return "", nil, false
	}
	return column, parents, true
}

// cutOff is LimitPerRow's form for SQLite, where a window over the rows of
// 50 pilots' participants cost a third of a dashboard request: per parent
// it counts the pairs and finds the limit-th child's ID with the pairs
// table's index (LIMIT 1 OFFSET limit-1), and s keeps the rows joined to
// those counts up to that ID. The join narrows the rows to the parents,
// so s's own IN list goes: tested on every row, it cost a tenth to a
// fifth of the statement. Same rows, same columns, same order.
func cutOff(s *sql.Selector, column string, limit int, totals *Totals, pairs Pairs, parents []any) {
	d := sql.Dialect(s.Dialect())
	x, y := d.Table(pairs.Table).As("kokeilu_x"), d.Table(pairs.Table).As("kokeilu_y")
	cut := d.Select(y.C(pairs.Child)).From(y).
		Where(sql.ColumnsEQ(y.C(pairs.Parent), x.C(pairs.Parent))).
		OrderBy(y.C(pairs.Child)).Limit(1).Offset(limit - 1)
	counts := d.Select().AppendSelectAs(x.C(pairs.Parent), parentColumn).
		AppendSelectExprAs(sql.Raw("COUNT(*)"), totalColumn).
		AppendSelectExprAs(sql.ExprFunc(func(b *sql.Builder) { b.Wrap(func(b *sql.Builder) { b.Join(cut) }) }), cutColumn).
		From(x).
		Where(sql.In(x.C(pairs.Parent), parents...)).
		GroupBy(x.C(pairs.Parent))
	c := d.Table("kokeilu_counts")
	// The counts' columns are all kokeilu_…: the rows' names stay as s has them.
	s.SetP(nil).
		Join(c).On(c.C(parentColumn), column).
		Where(sql.Or(sql.IsNull(c.C(cutColumn)), sql.ColumnsLTE(s.C("id"), c.C(cutColumn)))).
		Prefix(d.With("kokeilu_counts").As(counts)).
		ClearOrder().
		OrderBy(sql.Asc(s.C("id")))
	if totals != nil {
		s.AppendSelect(c.C(totalColumn))
	}
}
