package netgraph

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/iterator"
	"gonum.org/v1/gonum/graph/simple"
)

// gonumGraph is a Graph as gonum sees it: simple and undirected, one edge
// per pair of nodes weighted by the sum of the weights between them (a
// tie's strength). gonum node IDs are positions in Graph.Nodes, and
// neighbours are kept in sorted slices, so the algorithms walk plain arrays
// instead of gonum's map-based simple graphs (several times faster on the
// 300,000-edge data set). It also answers as a directed graph with every
// edge both ways, for PageRank.
type gonumGraph struct {
	g     *Graph
	nbr   [][]int32   // position → sorted distinct neighbour positions
	w     [][]float64 // strengths, aligned with nbr
	edges int         // distinct undirected pairs
}

func newGonumGraph(g *Graph) *gonumGraph {
	u := &gonumGraph{g: g, nbr: make([][]int32, len(g.Nodes)), w: make([][]float64, len(g.Nodes))}
	type tie struct {
		to int32
		w  float64
	}
	var ties []tie
	for i := range g.Nodes {
		ties = ties[:0]
		for _, ei := range g.adj[i] {
			w := tieWeight(g.Edges[ei].Weight)
			ties = append(ties, tie{g.other(ei, int32(i)), w})
		}
		slices.SortFunc(ties, func(a, b tie) int { return int(a.to) - int(b.to) })
		for _, t := range ties {
			if k := len(u.nbr[i]); k > 0 && u.nbr[i][k-1] == t.to {
				u.w[i][k-1] += t.w
				continue
			}
			u.nbr[i] = append(u.nbr[i], t.to)
			u.w[i] = append(u.w[i], t.w)
		}
		u.edges += len(u.nbr[i])
	}
	u.edges /= 2
	return u
}

// id is the global ID of gonum node n.
func (u *gonumGraph) id(n int64) int { return u.g.Nodes[n].ID }

// pos is the gonum node of global ID id.
func (u *gonumGraph) pos(id int) int64 { return int64(u.g.index[id]) }

func (u *gonumGraph) Node(id int64) graph.Node {
	if id < 0 || id >= int64(len(u.nbr)) {
		return nil
	}
	return simple.Node(id)
}

func (u *gonumGraph) Nodes() graph.Nodes {
	return iterator.NewImplicitNodes(0, len(u.nbr), func(id int) graph.Node { return simple.Node(id) })
}

func (u *gonumGraph) From(id int64) graph.Nodes {
	if id < 0 || id >= int64(len(u.nbr)) {
		return graph.Empty
	}
	return &neighbours{ids: u.nbr[id], i: -1}
}

func (u *gonumGraph) To(id int64) graph.Nodes { return u.From(id) }

// weight is the strength between x and y.
func (u *gonumGraph) weight(x, y int64) (float64, bool) {
	if x < 0 || x >= int64(len(u.nbr)) {
		return 0, false
	}
	k, ok := slices.BinarySearch(u.nbr[x], int32(y))
	if !ok {
		return 0, false
	}
	return u.w[x][k], true
}

func (u *gonumGraph) HasEdgeBetween(x, y int64) bool { _, ok := u.weight(x, y); return ok }
func (u *gonumGraph) HasEdgeFromTo(x, y int64) bool  { return u.HasEdgeBetween(x, y) }

func (u *gonumGraph) WeightedEdge(x, y int64) graph.WeightedEdge {
	w, ok := u.weight(x, y)
	if !ok {
		return nil
	}
	return simple.WeightedEdge{F: simple.Node(x), T: simple.Node(y), W: w}
}

func (u *gonumGraph) Edge(x, y int64) graph.Edge {
	if e := u.WeightedEdge(x, y); e != nil {
		return e
	}
	return nil
}

func (u *gonumGraph) EdgeBetween(x, y int64) graph.Edge { return u.Edge(x, y) }

func (u *gonumGraph) WeightedEdgeBetween(x, y int64) graph.WeightedEdge {
	return u.WeightedEdge(x, y)
}

// Weight is gonum's weight: the strength, 0 from a node to itself.
func (u *gonumGraph) Weight(x, y int64) (float64, bool) {
	if x == y {
		return 0, true
	}
	return u.weight(x, y)
}

// neighbours iterates a node's neighbour positions.
type neighbours struct {
	ids []int32
	i   int
}

func (n *neighbours) Next() bool {
	if n.i+1 >= len(n.ids) {
		n.i = len(n.ids)
		return false
	}
	n.i++
	return true
}
func (n *neighbours) Len() int { return max(0, len(n.ids)-n.i-1) }
func (n *neighbours) Reset()   { n.i = -1 }
func (n *neighbours) Node() graph.Node {
	if n.i < 0 || n.i >= len(n.ids) {
		return nil
	}
	return simple.Node(n.ids[n.i])
}

var (
	_ graph.WeightedUndirected = (*gonumGraph)(nil)
	_ graph.WeightedDirected   = (*gonumGraph)(nil)
)

// distances reads a tie's strength w as the distance 1/w: strong ties are
// short. Dijkstra finds Weight through this wrapper.
type distances struct{ *gonumGraph }

func (d distances) Weight(x, y int64) (float64, bool) {
	if x == y {
		return 0, true
	}
	w, ok := d.gonumGraph.weight(x, y)
	return 1 / w, ok
}

// Link weights are 0.001–1,000 (the Link schema refuses others). Rows stored
// before that bound may hold 0, a denormal, a huge value or infinity: read
// them into the range (0 and NaN as the default 1) so that sums over parallel
// links stay finite and every algorithm answers.
const minWeight, maxWeight = 0.001, 1000

func tieWeight(w float64) float64 {
	switch {
	case w <= 0 || math.IsNaN(w):
		return 1
	case w < minWeight:
		return minWeight
	case w > maxWeight:
		return maxWeight
	}
	return w
}
