package paging

import (
	"errors"
	"slices"
	"testing"

	"entgo.io/ent/dialect/sql/sqlgraph"
)

// TestTotalsScan feeds Totals.Scan rows as database/sql would: the count
// columns are read into Totals and hidden from ent's own scan and assign,
// also for rows that ent's many-to-many loader does not assign.
func TestTotalsScan(t *testing.T) {
	var scanned, assigned [][]string
	spec := &sqlgraph.QuerySpec{
		ScanValues: func(columns []string) ([]any, error) {
			scanned = append(scanned, columns)
			return make([]any, len(columns)), nil
		},
		Assign: func(columns []string, _ []any) error {
			assigned = append(assigned, columns)
			return nil
		},
	}
	var totals Totals
	totals.Scan(spec)
	columns := []string{"id", "code", parentColumn, totalColumn}
	for _, row := range [][2]any{{int64(7), int64(3)}, {int64(7), int64(3)}, {int64(9), []byte("12")}} {
		values, err := spec.ScanValues(columns)
		if err != nil {
			t.Fatal(err)
		}
		if len(values) != 4 {
			t.Fatalf("%d values for 4 columns", len(values))
		}
		for i, v := range row {
			if err := values[2+i].(interface{ Scan(any) error }).Scan(v); err != nil {
				t.Fatal(err)
			}
		}
		if err := spec.Assign(columns, values); err != nil {
			t.Fatal(err)
		}
	}
	if got := [3]int{totals.Of(7), totals.Of(9), totals.Of(8)}; got != [3]int{3, 12, 0} {
		t.Errorf("totals of 7, 9, 8: %v, want [3 12 0]", got)
	}
	for _, c := range append(scanned, assigned...) {
		if !slices.Equal(c, []string{"id", "code"}) {
			t.Errorf("ent saw columns %v", c)
		}
	}
	// Without the count columns (a statement that does not count), ent
	// sees every column.
	if _, err := spec.ScanValues([]string{"id"}); err != nil || !slices.Equal(scanned[len(scanned)-1], []string{"id"}) {
		t.Errorf("plain columns: %v, %v", scanned[len(scanned)-1], err)
	}
	values, _ := spec.ScanValues(columns)
	if err := values[3].(interface{ Scan(any) error }).Scan(1.5); err == nil {
		t.Error("a float count was accepted")
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
