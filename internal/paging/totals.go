package paging

import (
	"fmt"
	"strconv"

	"entgo.io/ent/dialect/sql/sqlgraph"
)

// The two columns LimitPerRow appends when it counts: the parent of the
// row and the parent's rows before the page's limit.
const (
	parentColumn = "kokeilu_parent"
	totalColumn  = "kokeilu_total"
	cutColumn    = "kokeilu_cut" // the last child's ID on a parent's page (cutOff)
)

// Totals is the totalCount of one nested connection for each parent, read
// from the statement that loads the parents' pages (LimitPerRow with
// totals). The count has to be taken while the rows are scanned: ent
// assigns a child shared by several parents (a many-to-many edge) from its
// first row only. Scanning is sequential, one statement at a time.
type Totals struct {
	byParent map[int]int
	row      totalCell
}

// Of is the totalCount of parent's connection: 0 when no row named it.
func (t *Totals) Of(parent int) int { return t.byParent[parent] }

// Scan makes ent's eager loading of the nested rows read the two count
// columns into t and hand it the rest. The loader of a many-to-many edge
// wraps these functions again, with the parent's ID in front.
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
		// One cell serves every row: the parent column is scanned before
		// the count, and the count records the pair.
		return append(values, (*parentCell)(&t.row), &t.row), nil
	}
	spec.Assign = func(columns []string, values []any) error {
		if n, ok := counted(columns); ok {
			return assign(columns[:n], values[:n])
		}
		return assign(columns, values)
	}
	t.row.totals = t
}

// counted tells whether columns end with the two count columns, and where.
func counted(columns []string) (int, bool) {
	n := len(columns) - 2
	return n, n >= 0 && columns[n] == parentColumn && columns[n+1] == totalColumn
}

// totalCell scans the count of a row and records it for the row's parent.
type totalCell struct {
	totals *Totals
	parent int
}

func (c *totalCell) Scan(v any) error {
	n, err := asInt(v)
	if err != nil {
		return err
	}
	if c.totals.byParent == nil {
		c.totals.byParent = make(map[int]int)
	}
	c.totals.byParent[c.parent] = n
	return nil
}

// parentCell scans the parent of a row into the same cell.
type parentCell totalCell

func (c *parentCell) Scan(v any) (err error) {
	c.parent, err = asInt(v)
	return err
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
