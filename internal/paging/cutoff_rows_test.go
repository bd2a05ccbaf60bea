package paging

import (
	"context"
	stdsql "database/sql"
	"fmt"
	"slices"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	_ "github.com/mattn/go-sqlite3"
	"pgregory.net/rapid"
)

// TestCutOffRows runs the cut-off form on SQLite over generated pairs, for
// a many-to-many edge (a join table) and a one-to-many edge (the child's
// foreign key), and compares each page with a reference computed in Go:
// per parent its first limit children by ID and its count of children,
// all rows in ID order. The model tests reach this form only through the
// server, a few cases per run; an off-by-one in the cut needs hundreds.
func TestCutOffRows(t *testing.T) {
	db, err := stdsql.Open("sqlite3", "file:cutoff?mode=memory&cache=shared")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	for _, ddl := range []string{
		"CREATE TABLE kids (id INTEGER PRIMARY KEY, parent_kids INTEGER)",
		"CREATE INDEX kids_parent ON kids (parent_kids)",
		"CREATE TABLE parent_kids (parent_id INTEGER, kid_id INTEGER, PRIMARY KEY (parent_id, kid_id))",
	} {
		if _, err := db.ExecContext(ctx, ddl); err != nil {
			t.Fatal(err)
		}
	}
	rapid.Check(t, func(rt *rapid.T) {
		for _, stmt := range []string{"DELETE FROM kids", "DELETE FROM parent_kids"} {
			if _, err := db.ExecContext(ctx, stmt); err != nil {
				rt.Fatal(err)
			}
		}
		kids := rapid.IntRange(0, 12).Draw(rt, "kids")
		// One-to-many: each kid has at most one parent (0: none).
		owner := map[int][]int{}
		for id := 1; id <= kids; id++ {
			p := rapid.IntRange(0, 4).Draw(rt, fmt.Sprintf("owner%d", id))
			if _, err := db.ExecContext(ctx, "INSERT INTO kids (id, parent_kids) VALUES (?, NULLIF(?, 0))", id, p); err != nil {
				rt.Fatal(err)
			}
			if p != 0 {
				owner[p] = append(owner[p], id)
			}
		}
		// Many-to-many: any pairs of parents 1–4 and the kids.
		paired := map[int][]int{}
		if kids > 0 {
			for _, pair := range rapid.SliceOfNDistinct(rapid.IntRange(0, 4*kids-1), 0, 4*kids, rapid.ID[int]).Draw(rt, "pairs") {
				p, k := pair/kids+1, pair%kids+1
				if _, err := db.ExecContext(ctx, "INSERT INTO parent_kids (parent_id, kid_id) VALUES (?, ?)", p, k); err != nil {
					rt.Fatal(err)
				}
				paired[p] = append(paired[p], k)
			}
		}
		parents := rapid.SliceOfNDistinct(rapid.IntRange(1, 5), 1, 5, rapid.ID[int]).Draw(rt, "parents")
		limit := rapid.IntRange(1, 5).Draw(rt, "limit")
		ids := make([]any, len(parents))
		for i, p := range parents {
			ids[i] = p
		}
		d := sql.Dialect(dialect.SQLite)

		// As ent selects a many-to-many edge's children: the parent first.
		s := d.Select().From(d.Table("kids"))
		jt := d.Table("parent_kids").As("t1")
		s.Join(jt).On(s.C("id"), jt.C("kid_id")).Where(sql.In(jt.C("parent_id"), ids...))
		s.Select(jt.C("parent_id"), s.C("id"))
		checkCutOff(rt, db, s, "parent_id", Pairs{Table: "parent_kids", Parent: "parent_id", Child: "kid_id"}, parents, limit, paired)

		// As ent selects a one-to-many edge's children.
		s = d.Select().From(d.Table("kids"))
		s.Where(sql.In(s.C("parent_kids"), ids...))
		s.Select(s.C("parent_kids"), s.C("id"))
		checkCutOff(rt, db, s, "parent_kids", Pairs{Table: "kids", Parent: "parent_kids", Child: "id"}, parents, limit, owner)
	})
}

// checkCutOff pages s with LimitPerRow, requires the cut-off form, and
// compares the rows (parent, child, and with a count parent, total) with
// children's.
func checkCutOff(rt *rapid.T, db *stdsql.DB, s *sql.Selector, partitionBy string, pairs Pairs, parents []int, limit int, children map[int][]int) {
	order := OrderExpr(nil, "id", false)
	if _, _, fits := cutOffFits(s, partitionBy, order); !fits {
		rt.Fatalf("%s: the cut-off form does not fit", pairs.Table)
	}
	var totals *Totals
	counted := rapid.Bool().Draw(rt, "counted "+pairs.Table)
	if counted {
		totals = &Totals{}
	}
	LimitPerRow(partitionBy, limit, order, totals, pairs)(s)
	query, args := s.Query()
	rows, err := db.Query(query, args...)
	if err != nil {
		rt.Fatalf("%s\n%v", query, err)
	}
	defer rows.Close()
	type row struct{ parent, child, total int }
	var got []row
	for rows.Next() {
		var r row
		cells := []any{&r.parent, &r.child}
		if counted {
			cells = append(cells, &r.total)
		}
		if err := rows.Scan(cells...); err != nil {
			rt.Fatal(err)
		}
		if !counted {
			r.total = -1
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		rt.Fatal(err)
	}
	var want []row
	for _, p := range parents {
		kids := slices.Sorted(slices.Values(children[p]))
		for _, k := range kids[:min(limit, len(kids))] {
			total := len(kids)
			if !counted {
				total = -1
			}
			want = append(want, row{p, k, total})
		}
	}
	// One order over all parents, by child; a child shared by two parents
	// may come in either order of its parents.
	if !slices.IsSortedFunc(got, func(a, b row) int { return a.child - b.child }) {
		rt.Fatalf("%s: rows out of order: %v", pairs.Table, got)
	}
	byChild := func(a, b row) int {
		if a.child != b.child {
			return a.child - b.child
		}
		return a.parent - b.parent
	}
	slices.SortFunc(got, byChild)
	slices.SortFunc(want, byChild)
	if !slices.Equal(got, want) {
		rt.Fatalf("%s, limit %d, parents %v:\n got %v\nwant %v\n%s", pairs.Table, limit, parents, got, want, query)
	}
}
