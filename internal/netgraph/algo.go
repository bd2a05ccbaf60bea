package netgraph

import (
	"cmp"
	"context"
	"math"
	"slices"

	"kokeilu/internal/fault"

	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/community"
	"gonum.org/v1/gonum/graph/network"
	"gonum.org/v1/gonum/graph/path"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/graph/topo"
	"gonum.org/v1/gonum/mat"
)

// Path is a shortest path: nodes in order from → to, the edge used at each
// step (the strongest between the two) and its length (hops, or the sum of
// 1/weight when weighted).
type Path struct {
	Nodes  []*Node
	Edges  []*Edge
	Length float64
}

// ShortestPath finds a shortest path in v between global IDs from and to;
// nil when there is none. Unknown IDs are NOT_FOUND. Weighted paths come
// from gonum's Dijkstra (path.DijkstraFromTo) over the distances
// 1/strength; unweighted ones from a breadth-first search over the
// neighbour arrays (gonumGraph.bfs: gonum's traverse.BreadthFirst boxes
// every neighbour in an interface and took 80–370 ms on the benchmark's
// 300,000 edges; the arrays take a few ms — a test checks both agree).
func (v *View) ShortestPath(from, to int, weighted bool) (*Path, error) {
	g := v.Graph
	if _, ok := g.Node(from); !ok {
		return nil, fault.NotFoundf("from is not a node of the graph in this period and filter")
	}
	if _, ok := g.Node(to); !ok {
		return nil, fault.NotFoundf("to is not a node of the graph in this period and filter")
	}
	u := v.gonum()
	s, t := u.pos(from), u.pos(to)
	var steps []int64
	length := 0.0
	if weighted {
		nodes, l := path.DijkstraFromTo(simple.Node(s), simple.Node(t), distances{u})
		if len(nodes) == 0 || math.IsInf(l, 1) {
			return nil, nil
		}
		for _, n := range nodes {
			steps = append(steps, n.ID())
		}
		length = l
	} else {
		parent, ok := u.bfs(int32(s), int32(t))
		if !ok {
			return nil, nil
		}
		for x := t; x != s; x = int64(parent[x]) {
			steps = append(steps, x)
		}
		steps = append(steps, s)
		slices.Reverse(steps)
		length = float64(len(steps) - 1)
	}
	p := &Path{Length: length}
	for i, n := range steps {
		p.Nodes = append(p.Nodes, &g.Nodes[n])
		if i > 0 {
			p.Edges = append(p.Edges, g.strongest(int32(steps[i-1]), int32(n)))
		}
	}
	return p, nil
}

// bfs searches breadth-first from s until t and returns each reached
// node's parent on a shortest path from s (-1 for unreached nodes and s).
func (u *gonumGraph) bfs(s, t int32) ([]int32, bool) {
	parent := make([]int32, len(u.nbr))
	for i := range parent {
		parent[i] = -1
	}
	queue := []int32{s}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		if x == t {
			return parent, true
		}
		for _, y := range u.nbr[x] {
			if parent[y] < 0 && y != s {
				parent[y] = x
				queue = append(queue, y)
			}
		}
	}
	return parent, false
}

// strongest is the heaviest edge between node positions a and b.
func (g *Graph) strongest(a, b int32) *Edge {
	var best *Edge
	for _, ei := range g.adj[a] {
		if e := &g.Edges[ei]; g.other(ei, a) == b && (best == nil || e.Weight > best.Weight) {
			best = e
		}
	}
	return best
}

// MaxDepth bounds neighbourhoods; DefaultNeighborhoodNodes is their cap
// when the filter gives none (a municipality's depth 2 reaches thousands).
const (
	MaxDepth                 = 3
	DefaultNeighborhoodNodes = 1_000
)

// Neighborhood is the part of v within depth steps of id: at most max nodes
// (nearest first, in breadth-first order) and every edge between them. It
// also returns how many nodes are within depth steps (before the cap) and
// whether the cap cut any off.
func (v *View) Neighborhood(id, depth, max int) (g *Graph, total int, truncated bool, err error) {
	full := v.Graph
	if depth < 0 || depth > MaxDepth {
		return nil, 0, false, fault.BadInput("depth", "depth is between 0 and %d", MaxDepth)
	}
	start, ok := full.index[id]
	if !ok {
		return nil, 0, false, fault.NotFoundf("the node is not in the graph in this period and filter")
	}
	if max <= 0 {
		max = DefaultNeighborhoodNodes
	}
	// The search runs to depth whatever the cap, to count the total; the
	// first max nodes reached are kept.
	seen := make([]bool, len(full.Nodes))
	kept := make([]bool, len(full.Nodes))
	seen[start], kept[start] = true, true
	order := []int32{start}
	frontier := []int32{start}
	total = 1
	for d := 0; d < depth && len(frontier) > 0; d++ {
		var next []int32
		for _, i := range frontier {
			for _, ei := range full.adj[i] {
				j := full.other(ei, i)
				if seen[j] {
					continue
				}
				seen[j] = true
				total++
				next = append(next, j)
				if len(order) < max {
					kept[j] = true
					order = append(order, j)
				}
			}
		}
		frontier = next
	}
	slices.Sort(order)
	b := &Builder{nodes: make([]Node, len(order))}
	for k, i := range order {
		b.nodes[k] = full.Nodes[i]
	}
	for _, i := range order {
		for _, ei := range full.adj[i] {
			// Each edge once: from its source's side.
			if ends := full.ends[ei]; ends[0] == i && kept[ends[1]] {
				b.edges = append(b.edges, full.Edges[ei])
			}
		}
	}
	return b.Build(), total, total > len(order), nil
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
	// CommunitiesWork is the most CommunitiesWork(nodes, ties) for
	// communities (Louvain).
	CommunitiesWork int
}

// CommunitiesWork is what Louvain's work is measured by on n nodes and m
// ties (distinct pairs): every pass of its local moving visits each node
// and its ties (and the passes grow with the graph).
func CommunitiesWork(n, m int) int { return n + m }

// Size is the view's nodes and ties (distinct pairs of neighbours, the
// edges that the algorithms see).
func (v *View) Size() (nodes, ties int) { return len(v.Nodes), v.gonum().edges }

// DefaultBudget is the public API's. gonum's Betweenness did about 3·10⁶
// units of work a second on the benchmark machine (808 nodes and 76,000
// edges, 6.2·10⁷ units, took 19 s), so 10⁷ is a few seconds at most.
// Louvain's time grows faster than its nodes and ties (TestCommunitiesWork,
// views of the 5,000-pilot data set, SQLite, machine shared): 37,855 took
// 0.85 s, 70,074 2.2 s, 85,696 (the projection) 4.0 s, 91,609 4.9 s, and
// the whole graph, 7,808 nodes and 172,440 ties, 47 s; so over 100,000 it
// is refused up front, and what passes still stops at the deadline.
var DefaultBudget = Budget{BetweennessWork: 10_000_000, Nodes: 200_000, CommunitiesWork: 100_000}

// centrality computes metric over the whole view: Degree counts distinct
// neighbours; Betweenness is unnormalised over unweighted shortest paths,
// each pair once (as NetworkX with normalized=False); Eigenvector is the
// principal eigenvector of the weighted adjacency (power iteration, L2 = 1;
// on a disconnected graph it lives on the component with the largest
// eigenvalue and every other node scores about 0, as in NetworkX);
// PageRank is weighted, damping 0.85 (pageRank).
func (v *View) centrality(ctx context.Context, metric Metric, budget Budget) ([]Score, error) {
	return run(ctx, func(stop *stopper) ([]Score, error) { return v.centralityStopping(stop, metric, budget) })
}

func (v *View) centralityStopping(stop *stopper, metric Metric, budget Budget) ([]Score, error) {
	g := v.Graph
	u := v.gonum()
	n, m := len(g.Nodes), u.edges
	score := make([]float64, n) // by position
	switch metric {
	case Degree:
		for i := range u.nbr {
			score[i] = float64(len(u.nbr[i]))
		}
	case Betweenness:
		if work := n * (n + m); work > budget.BetweennessWork { // Brandes: a BFS of V+E from every node
			return nil, CostError("betweenness", work, budget.BetweennessWork)
		}
		for id, s := range network.Betweenness(stoppingGraph{u, stop}) {
			score[id] = s / 2 // gonum counts each unordered pair twice in an undirected graph
		}
	case PageRank:
		if n > budget.Nodes {
			return nil, CostError("nodes", n, budget.Nodes)
		}
		score = pageRank(u, 0.85, 1e-10, stop)
	case Eigenvector:
		if n > budget.Nodes {
			return nil, CostError("nodes", n, budget.Nodes)
		}
		score = eigenvector(u, stop)
	default:
		return nil, fault.BadInput("metric", "unknown metric %q", metric)
	}
	out := make([]Score, len(g.Nodes))
	for i := range g.Nodes {
		out[i] = Score{Node: &g.Nodes[i], Score: score[i]}
	}
	slices.SortStableFunc(out, func(x, y Score) int {
		return cmp.Or(cmp.Compare(y.Score, x.Score), cmp.Compare(x.Node.ID, y.Node.ID))
	})
	return out, nil
}

// pageRank is weighted PageRank with damping damp, as NetworkX's pagerank
// with its defaults: a node passes damp of its score to its neighbours in
// proportion to tie strength, nodes without ties spread theirs evenly, and
// everyone gets (1-damp)/n. Power iteration starts from the uniform vector
// (gonum's PageRankSparse starts from a random one, so two instances
// differed at the 9th digit) and runs until the L1 change is below tol, at
// most 10,000 rounds; the same graph always gives the same bits. Scores by
// position, summing to 1.
func pageRank(u *gonumGraph, damp, tol float64, stop *stopper) []float64 {
	n := len(u.nbr)
	if n == 0 {
		return nil
	}
	strength := make([]float64, n)
	for i := range n {
		strength[i] = floats.Sum(u.w[i])
	}
	x, y := make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = 1 / float64(n)
	}
	for range 10_000 {
		stop.now()
		dangling := 0.0
		for i := range n {
			if strength[i] == 0 {
				dangling += x[i]
			}
		}
		base := (1-damp)/float64(n) + damp*dangling/float64(n)
		for i := range y {
			y[i] = base
		}
		for i := range n {
			if strength[i] == 0 {
				continue
			}
			share := damp * x[i] / strength[i]
			for k, j := range u.nbr[i] {
				y[j] += share * u.w[i][k]
			}
		}
		change := floats.Distance(x, y, 1)
		x, y = y, x
		if change < tol {
			break
		}
	}
	return x
}

// eigenvector runs power iteration on (A + I) — the shift keeps bipartite
// graphs from oscillating without changing the eigenvectors — until the
// change is below 1e-9 or 1,000 rounds; scores by position.
func eigenvector(u *gonumGraph, stop *stopper) []float64 {
	n := len(u.nbr)
	if n == 0 {
		return nil
	}
	x := mat.NewVecDense(n, nil)
	for i := range n {
		x.SetVec(i, 1/math.Sqrt(float64(n)))
	}
	y := mat.NewVecDense(n, nil)
	var diff mat.VecDense
	for range 1000 {
		stop.now()
		for i := range n {
			s := x.AtVec(i)
			for k, j := range u.nbr[i] {
				s += u.w[i][k] * x.AtVec(int(j))
			}
			y.SetVec(i, s)
		}
		y.ScaleVec(1/mat.Norm(y, 2), y)
		diff.SubVec(y, x)
		x, y = y, x
		if mat.Norm(&diff, 2) < 1e-9 {
			break
		}
	}
	return x.RawVector().Data
}

// Communities is a partition of the view by modularity (Louvain).
type Communities struct {
	Modularity float64
	Groups     [][]*Node // largest first; members by ID
}

// communities runs gonum's Louvain (community.Modularize, resolution 1,
// fixed seed so answers repeat) and scores the result with community.Q.
func (v *View) communities(ctx context.Context, budget Budget) (*Communities, error) {
	return run(ctx, func(stop *stopper) (*Communities, error) { return v.communitiesStopping(stop, budget) })
}

func (v *View) communitiesStopping(stop *stopper, budget Budget) (*Communities, error) {
	g := v.Graph
	if len(g.Nodes) > budget.Nodes {
		return nil, CostError("nodes", len(g.Nodes), budget.Nodes)
	}
	u := v.gonum()
	if work := CommunitiesWork(len(g.Nodes), u.edges); budget.CommunitiesWork > 0 && work > budget.CommunitiesWork {
		return nil, CostError("communities", work, budget.CommunitiesWork)
	}
	out := &Communities{}
	if u.edges == 0 {
		// Louvain needs edges; every node is then its own community.
		for i := range g.Nodes {
			out.Groups = append(out.Groups, []*Node{&g.Nodes[i]})
		}
		return out, nil
	}
	su := stoppingGraph{u, stop}
	reduced := community.Modularize(su, 1, stoppingSource{rand.NewPCG(1, 1), stop})
	groups := reduced.Communities()
	out.Modularity = community.Q(su, groups, 1)
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
			members = append(members, &v.Graph.Nodes[n.ID()])
		}
		slices.SortFunc(members, func(x, y *Node) int { return cmp.Compare(x.ID, y.ID) })
		out = append(out, members)
	}
	slices.SortStableFunc(out, func(x, y []*Node) int {
		return cmp.Or(cmp.Compare(len(y), len(x)), cmp.Compare(x[0].ID, y[0].ID))
	})
	return out
}
