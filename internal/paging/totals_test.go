package paging

import (
	"database/sql"
	"errors"
	"slices"
	"testing"

	"entgo.io/ent/dialect/sql/sqlgraph"
)

// TestTotalsScan feeds Totals.Scan rows as database/sql would: the count
// column is read into Totals, with the parent from the row's own column
// (a one-to-many edge's foreign key, Totals.Column) or from a cell scanned
// in front (a many-to-many loader's, ParentIn), and hidden from ent's own
// scan and assign, also for rows that ent's many-to-many loader does not
// assign.
func TestTotalsScan(t *testing.T) {
	for _, prepended := range []bool{false, true} {
		var scanned, assigned [][]string
		spec := &sqlgraph.QuerySpec{
			ScanValues: func(columns []string) ([]any, error) {
				scanned = append(scanned, columns)
				values := make([]any, len(columns))
				for i := range values {
					values[i] = new(sql.NullInt64)
				}
				return values, nil
			},
			Assign: func(columns []string, _ []any) error {
				assigned = append(assigned, columns)
				return nil
			},
		}
		totals := Totals{Column: "owner"}
		parent := new(sql.NullInt64)
		if prepended {
			totals.ParentIn(parent)
		}
		totals.Scan(spec)
		columns := []string{"id", "owner", totalColumn}
		for _, row := range [][2]any{{int64(7), int64(3)}, {int64(7), int64(3)}, {int64(9), []byte("12")}} {
			values, err := spec.ScanValues(columns)
			if err != nil {
				t.Fatal(err)
			}
			if len(values) != 3 {
				t.Fatalf("%d values for 3 columns", len(values))
			}
			// The parent is scanned first, into whichever cell holds it.
			cell := values[1]
			if prepended {
				cell = parent
				if err := values[1].(sql.Scanner).Scan(int64(1000)); err != nil { // not the parent
					t.Fatal(err)
				}
			}
			for i, v := range []any{row[0], row[1]} {
				if i == 1 {
					cell = values[2]
				}
				if err := cell.(sql.Scanner).Scan(v); err != nil {
					t.Fatal(err)
				}
			}
			if err := spec.Assign(columns, values); err != nil {
				t.Fatal(err)
			}
		}
		if got := [3]int{totals.Of(7), totals.Of(9), totals.Of(8)}; got != [3]int{3, 12, 0} {
			t.Errorf("prepended %v: totals of 7, 9, 8: %v, want [3 12 0]", prepended, got)
		}
		for _, c := range append(scanned, assigned...) {
			if !slices.Equal(c, []string{"id", "owner"}) {
				t.Errorf("ent saw columns %v", c)
			}
		}
		// Without the count column (a statement that does not count), ent
		// sees every column.
		if _, err := spec.ScanValues([]string{"id"}); err != nil || !slices.Equal(scanned[len(scanned)-1], []string{"id"}) {
			t.Errorf("plain columns: %v, %v", scanned[len(scanned)-1], err)
		}
		values, _ := spec.ScanValues(columns)
		if err := values[2].(sql.Scanner).Scan(1.5); err == nil {
			t.Error("a float count was accepted")
		}
		// A NULL parent is an error, not a count for parent 0.
		values, _ = spec.ScanValues(columns)
		if prepended {
			*parent = sql.NullInt64{}
		} else if err := values[1].(sql.Scanner).Scan(nil); err != nil {
			t.Fatal(err)
		}
		if err := values[2].(sql.Scanner).Scan(int64(4)); err == nil {
			t.Errorf("prepended %v: a count of a NULL parent was accepted", prepended)
		}
	}
	// Rows without the parent's column cannot be counted.
	spec := &sqlgraph.QuerySpec{ScanValues: func(columns []string) ([]any, error) { return make([]any, len(columns)), nil }}
	totals := Totals{Column: "owner"}
	totals.Scan(spec)
	if _, err := spec.ScanValues([]string{"id", totalColumn}); err == nil {
		t.Error("rows without the parent's column were counted")
	}
}

func TestAlongside(t *testing.T) {
	boom := errors.New("boom")
	for _, concurrent := range []bool{false, true} {
		if n, err := Alongside(concurrent, func() (int, error) { return 42, nil })(); n != 42 || err != nil {
			t.Errorf("concurrent=%v: %d, %v", concurrent, n, err)
		}
		if _, err := Alongside(concurrent, func() (int, error) { return 0, boom })(); !errors.Is(err, boom) {
			t.Errorf("concurrent=%v: error %v", concurrent, err)
		}
	}
	if _, err := Alongside(true, func() (int, error) { panic("count") })(); err == nil {
		t.Error("a panicking count gave no error")
	}
	// Sequential counting is done before Alongside returns.
	ran := false
	wait := Alongside(false, func() (int, error) { ran = true; return 1, nil })
	if !ran {
		t.Error("sequential count did not run at once")
	}
	_, _ = wait()
}
