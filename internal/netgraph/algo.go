package netgraph

import (
	"cmp"
	"math"
	"slices"

	"kokeilu/internal/fault"

	"math/rand/v2"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/community"
	"gonum.org/v1/gonum/graph/network"
	"gonum.org/v1/gonum/graph/path"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/topo"
	"gonum.org/v1/gonum/mat"
)

// undirected is g as a gonum graph: one edge per pair of nodes, weighted by
// the sum of the weights of the edges between them (a tie's strength).
func undirected(g *Graph) *simple.WeightedUndirectedGraph {
	u := simple.NewWeightedUndirectedGraph(0, 0)
	for i := range g.Nodes {
		u.AddNode(simple.Node(g.Nodes[i].ID))
	}
	for _, e := range g.Edges {
		w := e.Weight
		if w <= 0 {
			w = 1
		}
		if old, ok := u.Weight(int64(e.Source), int64(e.Target)); ok {
			w += old
		}
		u.SetWeightedEdge(u.NewWeightedEdge(simple.Node(e.Source), simple.Node(e.Target), w))
	}
	return u
}

// distances reads a tie's strength w as the distance 1/w: strong ties are
// short. Dijkstra finds Weight through this wrapper.
type distances struct {
	*simple.WeightedUndirectedGraph
}

func (d distances) Weight(x, y int64) (float64, bool) {
	if x == y {
		return 0, true
	}
	w, ok := d.WeightedUndirectedGraph.Weight(x, y)
	return 1 / w, ok
}

// hops counts every edge as 1: it hides Weight, so Dijkstra uses uniform cost.
type hops struct {
	g *simple.WeightedUndirectedGraph
}

func (h hops) From(id int64) graph.Nodes      { return h.g.From(id) }
func (h hops) Edge(u, v int64) graph.Edge     { return h.g.Edge(u, v) }
func (h hops) Node(id int64) graph.Node       { return h.g.Node(id) }
func (h hops) Nodes() graph.Nodes             { return h.g.Nodes() }
func (h hops) HasEdgeBetween(x, y int64) bool { return h.g.HasEdgeBetween(x, y) }
func (h hops) EdgeBetween(x, y int64) graph.Edge {
	return h.g.EdgeBetween(x, y)
}

// Path is a shortest path: nodes in order from → to, the edge used at each
// step (the strongest between the two) and its length (hops, or the sum of
// 1/weight when weighted).
type Path struct {
	Nodes  []*Node
	Edges  []*Edge
	Length float64
}

// ShortestPath finds a shortest path in v between global IDs from and to;
// nil when there is none. Unknown IDs are NOT_FOUND.
func (v *View) ShortestPath(from, to int, weighted bool) (*Path, error) {
	g := v.Graph
	if _, ok := g.Node(from); !ok {
		return nil, fault.NotFoundf("from is not a node of the graph in this period and filter")
	}
	if _, ok := g.Node(to); !ok {
		return nil, fault.NotFoundf("to is not a node of the graph in this period and filter")
	}
	u := v.gonum()
	var tg interface {
		From(int64) graph.Nodes
		Edge(int64, int64) graph.Edge
	} = hops{u}
	if weighted {
		tg = distances{u}
	}
	nodes, length := path.DijkstraFromTo(simple.Node(from), simple.Node(to), tg)
	if len(nodes) == 0 || math.IsInf(length, 1) {
		return nil, nil
	}
	p := &Path{Length: length}
	for i, n := range nodes {
		node, _ := g.Node(int(n.ID()))
		p.Nodes = append(p.Nodes, node)
		if i > 0 {
			p.Edges = append(p.Edges, g.strongest(int(nodes[i-1].ID()), int(n.ID())))
		}
	}
	return p, nil
}

// strongest is the heaviest edge between nodes a and b.
func (g *Graph) strongest(a, b int) *Edge {
	var best *Edge
	for _, ei := range g.adj[g.index[a]] {
		e := &g.Edges[ei]
		if (e.Source == b || e.Target == b) && (best == nil || e.Weight > best.Weight) {
			best = e
		}
	}
	return best
}

// MaxDepth bounds neighbourhoods.
const MaxDepth = 3

// Neighborhood is the part of v within depth steps of id: at most max nodes
// (nearest first, in breadth-first order) and every edge between them.
func (v *View) Neighborhood(id, depth, max int) (*Graph, bool, error) {
	g := v.Graph
	if depth < 0 || depth > MaxDepth {
		return nil, false, fault.BadInput("depth", "depth is between 0 and %d", MaxDepth)
	}
	start, ok := g.index[id]
	if !ok {
		return nil, false, fault.NotFoundf("the node is not in the graph in this period and filter")
	}
	if max <= 0 {
		max = DefaultMaxNodes
	}
	seen := map[int32]bool{start: true}
	frontier := []int32{start}
	truncated := false
	for d := 0; d < depth && len(frontier) > 0 && !truncated; d++ {
		var next []int32
		for _, i := range frontier {
			for _, ei := range g.adj[i] {
				j := g.other(&g.Edges[ei], i)
				if seen[j] {
					continue
				}
				if len(seen) >= max {
					truncated = true
					break
				}
				seen[j] = true
				next = append(next, j)
			}
		}
		frontier = next
	}
	b := &Builder{}
	for i := range seen {
		b.nodes = append(b.nodes, g.Nodes[i])
	}
	slices.SortFunc(b.nodes, func(x, y Node) int { return cmp.Compare(x.ID, y.ID) })
	for i := range seen {
		for _, ei := range g.adj[i] {
			e := &g.Edges[ei]
			// Each edge once: from its source's side.
			if g.index[e.Source] == i && seen[g.index[e.Target]] {
				b.edges = append(b.edges, *e)
			}
		}
	}
	return b.Build(), truncated, nil
}

// Metric is a centrality measure.
type Metric string

const (
	Degree      Metric = "DEGREE"
	Betweenness Metric = "BETWEENNESS"
	Eigenvector Metric = "EIGENVECTOR"
	PageRank    Metric = "PAGERANK"
)

// Score is one node's centrality.
type Score struct {
	Node  *Node
	Score float64
}

// Budget bounds the work of whole-graph metrics so that no request runs for
// minutes; a graph over it gets COST_LIMIT_EXCEEDED and should be narrowed
// (a period, a region, node types or the projection).
type Budget struct {
	// BetweennessWork is the most nodes × (nodes + edges) for exact betweenness
	// (Brandes: O(V·(V+E))).
	BetweennessWork int
	// Nodes is the most nodes for the other metrics and communities.
	Nodes int
}

// DefaultBudget is the public API's.
var DefaultBudget = Budget{BetweennessWork: 200_000_000, Nodes: 200_000}

// centrality computes metric over the whole view: Degree counts distinct
// neighbours; Betweenness is unnormalised over unweighted shortest paths,
// each pair once (as NetworkX with normalized=False); Eigenvector is the
// principal eigenvector of the weighted adjacency (power iteration, L2 = 1);
// PageRank is weighted, damping 0.85.
func (v *View) centrality(metric Metric, budget Budget) ([]Score, error) {
	g := v.Graph
	n, m := len(g.Nodes), v.gonum().Edges().Len()
	score := map[int64]float64{}
	switch metric {
	case Degree:
		u := v.gonum()
		for i := range g.Nodes {
			score[int64(g.Nodes[i].ID)] = float64(u.From(int64(g.Nodes[i].ID)).Len())
		}
	case Betweenness:
		if work := n * (n + m); work > budget.BetweennessWork { // Brandes: a BFS of V+E from every node
			return nil, CostError("betweenness", work, budget.BetweennessWork)
		}
		for id, s := range network.Betweenness(v.gonum()) {
			score[id] = s / 2 // gonum counts each unordered pair twice in an undirected graph
		}
	case PageRank:
		if n > budget.Nodes {
			return nil, CostError("nodes", n, budget.Nodes)
		}
		score = network.PageRankSparse(directed(v.gonum()), 0.85, 1e-8)
	case Eigenvector:
		if n > budget.Nodes {
			return nil, CostError("nodes", n, budget.Nodes)
		}
		score = eigenvector(g, v.gonum())
	default:
		return nil, fault.BadInput("metric", "unknown metric %q", metric)
	}
	out := make([]Score, len(g.Nodes))
	for i := range g.Nodes {
		out[i] = Score{Node: &g.Nodes[i], Score: score[int64(g.Nodes[i].ID)]}
	}
	slices.SortStableFunc(out, func(x, y Score) int {
		return cmp.Or(cmp.Compare(y.Score, x.Score), cmp.Compare(x.Node.ID, y.Node.ID))
	})
	return out, nil
}

// directed doubles each undirected edge, for PageRank.
func directed(u *simple.WeightedUndirectedGraph) *simple.WeightedDirectedGraph {
	d := simple.NewWeightedDirectedGraph(0, 0)
	nodes := u.Nodes()
	for nodes.Next() {
		d.AddNode(nodes.Node())
	}
	edges := u.WeightedEdges()
	for edges.Next() {
		e := edges.WeightedEdge()
		d.SetWeightedEdge(d.NewWeightedEdge(e.From(), e.To(), e.Weight()))
		d.SetWeightedEdge(d.NewWeightedEdge(e.To(), e.From(), e.Weight()))
	}
	return d
}

// eigenvector runs power iteration on (A + I) — the shift keeps bipartite
// graphs from oscillating without changing the eigenvectors — until the
// change is below 1e-9 or 1,000 rounds.
func eigenvector(g *Graph, u *simple.WeightedUndirectedGraph) map[int64]float64 {
	n := len(g.Nodes)
	if n == 0 {
		return map[int64]float64{}
	}
	x := mat.NewVecDense(n, nil)
	for i := range n {
		x.SetVec(i, 1/math.Sqrt(float64(n)))
	}
	y := mat.NewVecDense(n, nil)
	for range 1000 {
		for i := range g.Nodes {
			id := int64(g.Nodes[i].ID)
			s := x.AtVec(i)
			to := u.From(id)
			for to.Next() {
				j := to.Node().ID()
				w, _ := u.Weight(id, j)
				s += w * x.AtVec(int(g.index[int(j)]))
			}
			y.SetVec(i, s)
		}
		y.ScaleVec(1/mat.Norm(y, 2), y)
		var diff mat.VecDense
		diff.SubVec(y, x)
		x, y = y, x
		if mat.Norm(&diff, 2) < 1e-9 {
			break
		}
	}
	out := make(map[int64]float64, n)
	for i := range g.Nodes {
		out[int64(g.Nodes[i].ID)] = x.AtVec(i)
	}
	return out
}

// Communities is a partition of the view by modularity (Louvain).
type Communities struct {
	Modularity float64
	Groups     [][]*Node // largest first; members by ID
}

// communities runs gonum's Louvain (community.Modularize, resolution 1,
// fixed seed so answers repeat) and scores the result with community.Q.
func (v *View) communities(budget Budget) (*Communities, error) {
	g := v.Graph
	if len(g.Nodes) > budget.Nodes {
		return nil, CostError("nodes", len(g.Nodes), budget.Nodes)
	}
	u := v.gonum()
	out := &Communities{}
	if u.Edges().Len() == 0 {
		// Louvain needs edges; every node is then its own community.
		for i := range g.Nodes {
			out.Groups = append(out.Groups, []*Node{&g.Nodes[i]})
		}
		return out, nil
	}
	reduced := community.Modularize(u, 1, rand.NewPCG(1, 1))
	groups := reduced.Communities()
	out.Modularity = community.Q(u, groups, 1)
	out.Groups = v.groups(groups)
	return out, nil
}

// components are the connected components (topo.ConnectedComponents).
func (v *View) components() [][]*Node {
	return v.groups(topo.ConnectedComponents(v.gonum()))
}

// groups turns gonum node sets into sorted groups of nodes.
func (v *View) groups(sets [][]graph.Node) [][]*Node {
	out := make([][]*Node, 0, len(sets))
	for _, set := range sets {
		members := make([]*Node, 0, len(set))
		for _, n := range set {
			node, _ := v.Graph.Node(int(n.ID()))
			members = append(members, node)
		}
		slices.SortFunc(members, func(x, y *Node) int { return cmp.Compare(x.ID, y.ID) })
		out = append(out, members)
	}
	slices.SortStableFunc(out, func(x, y []*Node) int {
		return cmp.Or(cmp.Compare(len(y), len(x)), cmp.Compare(x[0].ID, y[0].ID))
	})
	return out
}
