package paging

import (
	"slices"
	"testing"

	"entgo.io/ent/dialect/sql/sqlgraph"
	"pgregory.net/rapid"
)

// TestGroupLinksAsEnt checks GroupLinks against ent's many-to-many
// loader: ent keeps, per neighbour, the set of nodes whose rows showed it,
// then walks the loaded neighbours in order and assigns each to its
// nodes. So a node's neighbours come in the loaded neighbours' order, each
// once, and a neighbour that was not loaded is assigned to no node.
func TestGroupLinksAsEnt(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		nodes := rapid.IntRange(1, 6).Draw(t, "nodes")
		numbered := rapid.IntRange(1, 8).Draw(t, "neighbours")
		links := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) Link {
			return Link{
				Neighbor: int32(rapid.IntRange(0, numbered-1).Draw(t, "neighbor")),
				Node:     int32(rapid.IntRange(0, nodes-1).Draw(t, "node")),
			}
		}), 0, 30).Draw(t, "links")
		// The loaded neighbours: a permutation of the numbered ones, some left out.
		loaded := rapid.Permutation(seq(numbered)).Draw(t, "order")
		loaded = loaded[:rapid.IntRange(0, numbered).Draw(t, "loaded")]
		rank := make([]int32, numbered)
		for i := range rank {
			rank[i] = -1
		}
		for i, k := range loaded {
			rank[k] = int32(i)
		}

		want := make([][]int32, nodes) // ent: sets per neighbour, walked in loaded order
		sets := map[int32]map[int32]bool{}
		for _, l := range links {
			if sets[l.Neighbor] == nil {
				sets[l.Neighbor] = map[int32]bool{}
			}
			sets[l.Neighbor][l.Node] = true
		}
		for i, k := range loaded {
			for node := range sets[k] {
				want[node] = append(want[node], int32(i))
			}
		}

		ranks, bounds := GroupLinks(links, rank, nodes)
		if len(bounds) != nodes+1 || bounds[0] != 0 || int(bounds[nodes]) != len(ranks) {
			t.Fatalf("bounds %v for %d nodes and %d ranks", bounds, nodes, len(ranks))
		}
		for node := range nodes {
			if got := ranks[bounds[node]:bounds[node+1]]; !slices.Equal(got, want[node]) {
				t.Fatalf("node %d: assigned %v, ent assigns %v", node, got, want[node])
			}
		}
	})
}

func seq(n int) []int32 {
	s := make([]int32, n)
	for i := range s {
		s[i] = int32(i)
	}
	return s
}

// TestPrependCellKeepsOneRow checks that the key cell comes first and the
// row's cells after it, and that one slice serves every row while the
// cells before are reused, but not when they are new for each row.
func TestPrependCellKeepsOneRow(t *testing.T) {
	for _, reused := range []bool{true, false} {
		var made int
		var kept []any
		spec := &sqlgraph.QuerySpec{ScanValues: func(columns []string) ([]any, error) {
			if reused && kept != nil {
				return kept, nil
			}
			made++
			kept = make([]any, len(columns))
			for i := range kept {
				kept[i] = new(int)
			}
			return kept, nil
		}}
		key := new(int64)
		PrependCell(spec, key)
		var first []any
		for row := range 3 {
			cells, err := spec.ScanValues([]string{"owner", "a", "b"})
			if err != nil {
				t.Fatal(err)
			}
			if len(cells) != 3 || cells[0] != key || cells[1] != kept[0] || cells[2] != kept[1] {
				t.Fatalf("reused=%v row %d: cells %v, want the key then %v", reused, row, cells, kept)
			}
			if row == 0 {
				first = cells
			} else if same := &cells[0] == &first[0]; same != reused {
				t.Fatalf("reused=%v row %d: same slice as the first row's: %v", reused, row, same)
			}
		}
	}
}
