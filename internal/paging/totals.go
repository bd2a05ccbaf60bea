package paging

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
	"strconv"

	"entgo.io/ent/dialect/sql/sqlgraph"
)

// The columns LimitPerRow adds when it counts: the parent's rows before
// the page's limit, appended to each row, and in the cut-off form the
// counts' own columns (kokeilu_counts).
const (
	parentColumn = "kokeilu_parent" // the counts' parent, joined to the row's
	totalColumn  = "kokeilu_total"
	cutColumn    = "kokeilu_cut" // the last child's ID on a parent's page (cutOff)
)

// Totals is the totalCount of one nested connection for each parent, read
// from the statement that loads the parents' pages (LimitPerRow with
// totals). The count has to be taken while the rows are scanned: ent
// assigns a child shared by several parents (a many-to-many edge) from its
// first row only. Scanning is sequential, one statement at a time.
//
// A row's parent is read from a column the row has anyway, not from one
// more (each cost an allocation per row in the SQLite driver): a
// one-to-many edge's foreign key among ent's columns (Column), or the
// first column, the parent's ID, that the loader of a many-to-many edge
// scans itself (ParentIn).
type Totals struct {
	// Column names the parent's column among the child rows' columns (a
	// one-to-many edge's foreign key, which ent selects to assign the
	// children); unused after ParentIn.
	Column   string
	byParent map[int]int
	row      totalCell
	parent   any // ParentIn's cell
}

// Of is the totalCount of parent's connection: 0 when no row named it.
func (t *Totals) Of(parent int) int { return t.byParent[parent] }

// ParentIn says that each row's parent is scanned into cell before the
// row's count (a column in front of the ones Scan sees, paging.PrependCell).
func (t *Totals) ParentIn(cell any) { t.parent = cell }

// Scan makes ent's eager loading of the nested rows read the count column
// into t and hand it the rest. The loader of a many-to-many edge wraps
// these functions again, with the parent's ID in front (ParentIn).
func (t *Totals) Scan(spec *sqlgraph.QuerySpec) {
	scan, assign := spec.ScanValues, spec.Assign
	spec.ScanValues = func(columns []string) ([]any, error) {
		n, ok := counted(columns)
		if !ok {
			return scan(columns)
		}
		values, err := scan(columns[:n])
		if err != nil {
			return nil, err
		}
		// One cell serves every row: the parent's cell is scanned before
		// the count (database/sql scans in column order), and the count
		// records the pair.
		t.row.parent = t.parent
		if t.row.parent == nil {
			i := slices.Index(columns[:n], t.Column)
			if i < 0 {
				return nil, fmt.Errorf("paging: the counted rows have no parent column %q", t.Column)
			}
			t.row.parent = values[i]
		}
		return append(values, &t.row), nil
	}
	spec.Assign = func(columns []string, values []any) error {
		if n, ok := counted(columns); ok {
			return assign(columns[:n], values[:n])
		}
		return assign(columns, values)
	}
	t.row.totals = t
}

// counted tells whether columns end with the count column, and where.
func counted(columns []string) (int, bool) {
	n := len(columns) - 1
	return n, n >= 0 && columns[n] == totalColumn
}

// totalCell scans the count of a row and records it for the row's parent,
// read from the parent's cell, which the row scanned before.
type totalCell struct {
	totals *Totals
	parent any
}

func (c *totalCell) Scan(v any) error {
	n, err := asInt(v)
	if err != nil {
		return err
	}
	parent, err := cellInt(c.parent)
	if err != nil {
		return err
	}
	if c.totals.byParent == nil {
		c.totals.byParent = make(map[int]int)
	}
	c.totals.byParent[parent] = n
	return nil
}

// cellInt reads an integer ID from the cell a row scanned it into.
func cellInt(cell any) (int, error) {
	switch c := cell.(type) {
	case *sql.NullInt64:
		if c.Valid {
			return int(c.Int64), nil
		}
	case *int:
		return *c, nil
	case *int64:
		return int(*c), nil
	case driver.Valuer:
		v, err := c.Value()
		if err != nil || v == nil {
			break
		}
		return asInt(v)
	}
	return 0, fmt.Errorf("paging: a counted row's parent is %T %v", cell, cell)
}

func asInt(v any) (int, error) {
	switch v := v.(type) {
	case int64:
		return int(v), nil
	case int32:
		return int(v), nil
	case []byte:
		return strconv.Atoi(string(v))
	case string:
		return strconv.Atoi(v)
	}
	return 0, fmt.Errorf("paging: a count column holds %T", v)
}
