package paging

import (
	"entgo.io/ent/dialect/sql/sqlgraph"
)

// Kokeilu's loader of a many-to-many edge (the collection template's
// load<Edge>Joined) reads the rows of the join as ent's does: each row is
// a node's id followed by a neighbour's columns, and a neighbour is built
// from the first row that shows it. ent's loader made two cells and a set
// of nodes per row and neighbour (for a dashboard's 500 participants,
// 1,700 allocations); this one keeps a row of cells per statement and
// the rows' links in one slice.

// PrependCell makes spec scan each row's first column into cell and the
// rest into the cells spec made before; one slice serves every row while
// those cells are reused (ReuseCells). The caller reads cell in Assign,
// before the next row is scanned.
func PrependCell(spec *sqlgraph.QuerySpec, cell any) {
	scan := spec.ScanValues
	var inner, cells []any
	spec.ScanValues = func(columns []string) ([]any, error) {
		values, err := scan(columns[1:])
		if err != nil {
			return nil, err
		}
		if cells == nil || len(values) != len(inner) || (len(values) > 0 && &values[0] != &inner[0]) {
			inner = values
			cells = append(append(make([]any, 0, len(values)+1), cell), values...)
		}
		return cells, nil
	}
}

// Link is one row of a many-to-many join: Neighbor is the neighbour's
// number (the order in which the rows first showed it) and Node the
// index of the node it belongs to.
type Link struct{ Neighbor, Node int32 }

// AssignLinks calls assign(node, neighbor) for every link once, a node's
// neighbours in their order among the loaded neighbours, as ent's loader
// assigns them. rank[k] is the position among the loaded neighbours of
// the neighbour numbered k, or -1 if it was not loaded; nodes is the
// number of nodes. Repeated links are assigned once.
func AssignLinks(links []Link, rank []int32, nodes int, assign func(node, neighbor int32)) {
	// A counting sort by rank: start[r] is where neighbour r's links begin.
	start := make([]int32, len(rank)+1)
	for _, l := range links {
		if r := rank[l.Neighbor]; r >= 0 {
			start[r+1]++
		}
	}
	for r := 1; r < len(start); r++ {
		start[r] += start[r-1]
	}
	sorted := make([]Link, start[len(rank)])
	for _, l := range links {
		if r := rank[l.Neighbor]; r >= 0 {
			sorted[start[r]] = Link{Neighbor: r, Node: l.Node}
			start[r]++
		}
	}
	last := make([]int32, nodes) // the rank last assigned to each node, plus one
	for _, l := range sorted {
		if last[l.Node] == l.Neighbor+1 {
			continue
		}
		last[l.Node] = l.Neighbor + 1
		assign(l.Node, l.Neighbor)
	}
}
