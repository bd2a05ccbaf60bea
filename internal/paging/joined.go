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

// GroupLinks gives every node its neighbours at once, as ent's loader
// assigns them one by one: a node's neighbours in their order among the
// loaded neighbours, repeated links once. Node i's are the ranks
// ranks[bounds[i]:bounds[i+1]], where rank[k] is the position among the
// loaded neighbours of the neighbour numbered k, or -1 if it was not
// loaded; nodes is the number of nodes. The loader fills each node's
// slice of one array, where appending one neighbour at a time grew every
// node's slice four or five times.
func GroupLinks(links []Link, rank []int32, nodes int) (ranks, bounds []int32) {
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
	// Then a stable one by node, counting each node's link to a neighbour
	// once (a repeat follows its first in sorted).
	bounds = make([]int32, nodes+1)
	last := make([]int32, nodes) // the rank last counted for each node, plus one
	for i, l := range sorted {
		if last[l.Node] == l.Neighbor+1 {
			sorted[i].Neighbor = -1
			continue
		}
		last[l.Node] = l.Neighbor + 1
		bounds[l.Node+1]++
	}
	for n := 1; n <= nodes; n++ {
		bounds[n] += bounds[n-1]
	}
	ranks = make([]int32, bounds[nodes])
	next := last // reused: where each node's next rank goes
	copy(next, bounds[:nodes])
	for _, l := range sorted {
		if l.Neighbor >= 0 {
			ranks[next[l.Node]] = l.Neighbor
			next[l.Node]++
		}
	}
	return ranks, bounds
}
