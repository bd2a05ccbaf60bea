package paging

import (
	"database/sql/driver"
	"slices"
	"testing"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
)

// TestCutOffFits: the cut-off form is taken only where it gives the
// window's rows — on SQLite, in the default order, with the rows narrowed
// by their parents alone (TestModelNestedUnderList compares its rows with
// the reference).
func TestCutOffFits(t *testing.T) {
	byID := OrderExpr(nil, "id", false)
	for _, c := range []struct {
		name    string
		dialect string
		order   sql.Querier
		where   func(s *sql.Selector, jt *sql.SelectTable) *sql.Predicate
		fits    bool
	}{
		{"parents alone", dialect.SQLite, byID, nil, true},
		{"PostgreSQL", dialect.Postgres, byID, nil, false},
		{"read backwards (last)", dialect.SQLite, OrderExpr(nil, "id", true), nil, false},
		{"ordered by name", dialect.SQLite, OrderExpr([]Key{{Column: "name_fi"}}, "id", false), nil, false},
		{"a filter too", dialect.SQLite, byID, func(s *sql.Selector, _ *sql.SelectTable) *sql.Predicate { return sql.EQ(s.C("code"), "091") }, false},
		{"a cursor too", dialect.SQLite, byID, func(s *sql.Selector, _ *sql.SelectTable) *sql.Predicate { return sql.GT(s.C("id"), 7) }, false},
		{"an IN of another column", dialect.SQLite, byID, func(s *sql.Selector, jt *sql.SelectTable) *sql.Predicate {
			return sql.InValues(jt.C("municipality_id"), 5)
		}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := sql.Dialect(c.dialect)
			s := d.Select("id", "code").From(d.Table("municipalities"))
			jt := d.Table("pilot_municipalities").As("t1")
			s.Join(jt).On(s.C("id"), jt.C("municipality_id"))
			if c.where != nil {
				s.Where(c.where(s, jt))
			}
			s.Where(sql.InValues(jt.C("pilot_id"), 1, 2, 3))
			column, parents, fits := cutOffFits(s, "pilot_id", c.order)
			if fits != c.fits {
				t.Fatalf("fits = %v, want %v", fits, c.fits)
			}
			if fits && (!slices.Equal(parents, []any{1, 2, 3}) || column != "`t1`.`pilot_id`") {
				t.Errorf("column %s, parents %v, want `t1`.`pilot_id`, [1 2 3]", column, parents)
			}
		})
	}
	// More parents than the cut-off takes: the window.
	many := make([]driver.Value, cutOffParents+1)
	for i := range many {
		many[i] = i + 1
	}
	s0 := sql.Dialect(dialect.SQLite).Select("id").From(sql.Table("municipalities"))
	s0.Where(sql.InValues(s0.C("region_municipalities"), many...))
	if _, _, fits := cutOffFits(s0, "region_municipalities", byID); fits {
		t.Errorf("%d parents took the cut-off", len(many))
	}
	s0 = sql.Dialect(dialect.SQLite).Select("id").From(sql.Table("municipalities"))
	s0.Where(sql.InValues(s0.C("region_municipalities"), many[:cutOffParents]...))
	if _, _, fits := cutOffFits(s0, "region_municipalities", byID); !fits {
		t.Errorf("%d parents did not take the cut-off", cutOffParents)
	}
	// No parents: nothing to cut (ent asks for none, but the form must not
	// take an empty list).
	s := sql.Dialect(dialect.SQLite).Select("id").From(sql.Table("municipalities"))
	s.Where(sql.InValues(s.C("region_municipalities")))
	if _, _, fits := cutOffFits(s, "region_municipalities", byID); fits {
		t.Error("an empty IN took the cut-off")
	}
}
