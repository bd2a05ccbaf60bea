package paging

import (
	"slices"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqlgraph"
)

// ReuseCells makes ent scan every row of a statement into the cells it
// made for the first row, instead of a new cell per column and row (for
// the 500 municipalities of a dashboard's nested pages, 4,500 allocations).
// That is safe because ent's assign copies each value out of its cell
// (strings, numbers, times, decoded JSON; a scan replaces a []byte, it
// does not write into it), and every cell type's Scan sets the whole cell,
// NULL included. A column ent does not know (sql.UnknownType) is kept by
// reference in the row's entity (Value), so such statements keep a cell
// per row. Installed for every query by Kokeilu's collection template,
// after the totals' cells (Totals.Scan) and before an edge loader's.
func ReuseCells(spec *sqlgraph.QuerySpec) {
	scan := spec.ScanValues
	var cells []any
	spec.ScanValues = func(columns []string) ([]any, error) {
		if cells != nil {
			return cells, nil
		}
		values, err := scan(columns)
		if err == nil && !slices.ContainsFunc(values, keptByEntity) {
			cells = values
		}
		return values, err
	}
}

func keptByEntity(cell any) bool {
	_, ok := cell.(*sql.UnknownType)
	return ok
}
