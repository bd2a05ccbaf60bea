package netgraph

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/path"
	"gonum.org/v1/gonum/graph/simple"
)

func day(s string) *time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return &t
}

// build makes a graph of municipalities 1..n with COLLABORATION edges.
func build(n int, edges [][2]int) *Graph {
	b := &Builder{}
	for i := 1; i <= n; i++ {
		b.AddNode(Node{ID: i, Type: Municipality, Label: "m"})
	}
	for _, e := range edges {
		b.AddEdge(Edge{Source: e[0], Target: e[1], Kind: Collaboration, Weight: 1})
	}
	return b.Build()
}

func ids(nodes []*Node) []int {
	out := make([]int, len(nodes))
	for i, n := range nodes {
		out[i] = n.ID
	}
	return out
}

// pathGraph is 1-2-3-4-5.
func pathGraph() *Graph { return build(5, [][2]int{{1, 2}, {2, 3}, {3, 4}, {4, 5}}) }

// starGraph has centre 1 and leaves 2..5.
func starGraph() *Graph { return build(5, [][2]int{{1, 2}, {1, 3}, {1, 4}, {1, 5}}) }

// bridgeGraph is two 4-cliques {1..4} and {5..8} joined by the bridge 4–5.
func bridgeGraph() *Graph {
	var e [][2]int
	for _, c := range [][]int{{1, 2, 3, 4}, {5, 6, 7, 8}} {
		for i := range c {
			for j := i + 1; j < len(c); j++ {
				e = append(e, [2]int{c[i], c[j]})
			}
		}
	}
	return build(8, append(e, [2]int{4, 5}))
}

func TestShortestPath(t *testing.T) {
	v := NewView(pathGraph())
	p, err := v.ShortestPath(1, 5, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(p.Nodes); !slices.Equal(got, []int{1, 2, 3, 4, 5}) || p.Length != 4 || len(p.Edges) != 4 {
		t.Fatalf("path 1→5 = %v length %v edges %d", got, p.Length, len(p.Edges))
	}
	// Across the bridge: 1 → 4 → 5 → 8.
	p, _ = NewView(bridgeGraph()).ShortestPath(1, 8, false)
	if got := ids(p.Nodes); !slices.Equal(got, []int{1, 4, 5, 8}) || p.Length != 3 {
		t.Fatalf("path 1→8 = %v length %v", got, p.Length)
	}
	// Unreachable: nil, not an error.
	g := build(3, [][2]int{{1, 2}})
	if p, err := NewView(g).ShortestPath(1, 3, false); p != nil || err != nil {
		t.Fatalf("unreachable: %v %v", p, err)
	}
	if _, err := NewView(g).ShortestPath(1, 99, false); err == nil {
		t.Fatal("unknown node: want an error")
	}
}

// TestBFSAgreesWithGonum compares the breadth-first paths with gonum's
// Dijkstra at uniform cost on random graphs: same lengths, valid paths.
func TestBFSAgreesWithGonum(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for round := range 20 {
		var edges [][2]int
		for range 60 {
			a, b := 1+rnd.IntN(40), 1+rnd.IntN(40)
			if a != b {
				edges = append(edges, [2]int{a, b})
			}
		}
		v := NewView(build(40, edges))
		u := v.gonum()
		for range 20 {
			from, to := 1+rnd.IntN(40), 1+rnd.IntN(40)
			p, err := v.ShortestPath(from, to, false)
			if err != nil {
				t.Fatal(err)
			}
			nodes, want := path.DijkstraFromTo(simple.Node(u.pos(from)), simple.Node(u.pos(to)), unit{u})
			if p == nil {
				if len(nodes) != 0 {
					t.Fatalf("round %d: %d→%d: BFS found nothing, gonum %v", round, from, to, nodes)
				}
				continue
			}
			if p.Length != want {
				t.Fatalf("round %d: %d→%d: length %v, gonum %v", round, from, to, p.Length, want)
			}
			for i, e := range p.Edges {
				a, b := p.Nodes[i].ID, p.Nodes[i+1].ID
				if !(e.Source == a && e.Target == b) && !(e.Source == b && e.Target == a) {
					t.Fatalf("step %d: edge %+v does not join %d and %d", i, e, a, b)
				}
			}
		}
	}
}

// unit hides the weights: gonum then uses uniform cost.
type unit struct{ g *gonumGraph }

func (u unit) From(id int64) graph.Nodes  { return u.g.From(id) }
func (u unit) Edge(x, y int64) graph.Edge { return u.g.Edge(x, y) }

func TestWeightedShortestPath(t *testing.T) {
	// 1–2–3 with strong ties (weight 4: distance 0.25 each) beats the weak
	// direct tie 1–3 (weight 1: distance 1).
	b := &Builder{}
	for i := 1; i <= 3; i++ {
		b.AddNode(Node{ID: i, Type: Municipality})
	}
	b.AddEdge(Edge{Source: 1, Target: 2, Kind: Collaboration, Weight: 4})
	b.AddEdge(Edge{Source: 2, Target: 3, Kind: Collaboration, Weight: 4})
	b.AddEdge(Edge{Source: 1, Target: 3, Kind: Collaboration, Weight: 1})
	v := NewView(b.Build())
	p, _ := v.ShortestPath(1, 3, true)
	if got := ids(p.Nodes); !slices.Equal(got, []int{1, 2, 3}) || p.Length != 0.5 {
		t.Fatalf("weighted = %v %v", got, p.Length)
	}
	p, _ = v.ShortestPath(1, 3, false)
	if got := ids(p.Nodes); !slices.Equal(got, []int{1, 3}) || p.Length != 1 {
		t.Fatalf("unweighted = %v %v", got, p.Length)
	}
}

func scoreOf(scores []Score) map[int]float64 {
	m := map[int]float64{}
	for _, s := range scores {
		m[s.Node.ID] = s.Score
	}
	return m
}

func TestDegreeAndBetweenness(t *testing.T) {
	star := NewView(starGraph())
	deg, _ := star.Centrality(context.Background(), Degree, DefaultBudget)
	if deg[0].Node.ID != 1 || deg[0].Score != 4 || scoreOf(deg)[3] != 1 {
		t.Fatalf("star degree = %v", scoreOf(deg))
	}
	bt, _ := star.Centrality(context.Background(), Betweenness, DefaultBudget)
	// The centre lies on all C(4,2) = 6 leaf-to-leaf paths.
	if s := scoreOf(bt); s[1] != 6 || s[2] != 0 {
		t.Fatalf("star betweenness = %v", s)
	}
	bt, _ = NewView(pathGraph()).Centrality(context.Background(), Betweenness, DefaultBudget)
	// In 1-2-3-4-5, node 3 is between {1,2}×{4,5}: 4 pairs; node 2 between 1 and {3,4,5}.
	if s := scoreOf(bt); s[3] != 4 || s[2] != 3 || s[1] != 0 {
		t.Fatalf("path betweenness = %v", s)
	}
	bt, _ = NewView(bridgeGraph()).Centrality(context.Background(), Betweenness, DefaultBudget)
	// Bridge ends: each is between its 3 clique mates and the 4 across (12), plus
	// its mates and the far bridge end... = 3×4 = 12 pairs through 4 for the far side.
	if s := scoreOf(bt); s[4] != 12 || s[5] != 12 || s[1] != 0 {
		t.Fatalf("bridge betweenness = %v", s)
	}
}

func TestEigenvectorAndPageRank(t *testing.T) {
	star := NewView(starGraph())
	for _, m := range []Metric{Eigenvector, PageRank} {
		sc, err := star.Centrality(context.Background(), m, DefaultBudget)
		if err != nil {
			t.Fatal(err)
		}
		s := scoreOf(sc)
		if sc[0].Node.ID != 1 || math.Abs(s[2]-s[5]) > 1e-6 {
			t.Fatalf("%s: centre not first or leaves unequal: %v", m, s)
		}
	}
	// Star's principal eigenvector: centre 1/√2, leaves 1/(2√2).
	sc, _ := star.Centrality(context.Background(), Eigenvector, DefaultBudget)
	if s := scoreOf(sc); math.Abs(s[1]-1/math.Sqrt2) > 1e-6 || math.Abs(s[2]-1/(2*math.Sqrt2)) > 1e-6 {
		t.Fatalf("eigenvector = %v", s)
	}
}

func TestCommunitiesOfTwoCliques(t *testing.T) {
	c, err := NewView(bridgeGraph()).Communities(context.Background(), DefaultBudget)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Groups) != 2 || !slices.Equal(ids(c.Groups[0]), []int{1, 2, 3, 4}) || !slices.Equal(ids(c.Groups[1]), []int{5, 6, 7, 8}) {
		t.Fatalf("communities = %v", c.Groups)
	}
	// Q of two 4-cliques joined by a bridge: m = 13, each side holds 6 edges
	// and degree sum 13: Q = 2·(6/13 − (13/26)²) = 12/13 − 1/2.
	if want := 12.0/13 - 0.5; math.Abs(c.Modularity-want) > 1e-9 {
		t.Fatalf("modularity %v, want %v", c.Modularity, want)
	}
}

func TestComponents(t *testing.T) {
	g := build(6, [][2]int{{1, 2}, {2, 3}, {4, 5}})
	got := NewView(g).Components()
	if len(got) != 3 || !slices.Equal(ids(got[0]), []int{1, 2, 3}) || !slices.Equal(ids(got[1]), []int{4, 5}) || !slices.Equal(ids(got[2]), []int{6}) {
		t.Fatalf("components = %v", got)
	}
}

func TestNeighborhood(t *testing.T) {
	v := NewView(pathGraph())
	n, total, truncated, err := v.Neighborhood(3, 1, 0)
	if err != nil || truncated || total != 3 {
		t.Fatal(err, total, truncated)
	}
	var got []int
	for _, x := range n.Nodes {
		got = append(got, x.ID)
	}
	if !slices.Equal(got, []int{2, 3, 4}) || len(n.Edges) != 2 {
		t.Fatalf("depth 1 of 3 = %v, %d edges", got, len(n.Edges))
	}
	n, total, _, _ = v.Neighborhood(1, 3, 0)
	if len(n.Nodes) != 4 || len(n.Edges) != 3 || total != 4 {
		t.Fatalf("depth 3 of 1: %d nodes %d edges", len(n.Nodes), len(n.Edges))
	}
	if _, _, _, err := v.Neighborhood(1, 4, 0); err == nil {
		t.Fatal("depth 4: want an error")
	}
	// The cap keeps 3 of the star's 5 nodes; the total is before the cap.
	if n, total, truncated, _ := NewView(starGraph()).Neighborhood(1, 1, 3); !truncated || len(n.Nodes) != 3 || total != 5 {
		t.Fatalf("cap 3: %d nodes of %d, truncated %v", len(n.Nodes), total, truncated)
	}
	// From a leaf at depth 2: the centre at depth 1 fills the cap of 2, the
	// other three leaves at depth 2 still count.
	if n, total, truncated, _ := NewView(starGraph()).Neighborhood(2, 2, 2); !truncated || len(n.Nodes) != 2 || total != 5 || len(n.Edges) != 1 {
		t.Fatalf("leaf cap 2: %d nodes of %d, %d edges, truncated %v", len(n.Nodes), total, len(n.Edges), truncated)
	}
}

func TestTimeSliceRemovesExpiredLink(t *testing.T) {
	b := &Builder{}
	for i := 1; i <= 3; i++ {
		b.AddNode(Node{ID: i, Type: Municipality})
	}
	b.AddEdge(Edge{Source: 1, Target: 2, Kind: Funding, Weight: 1, ValidFrom: day("2015-01-01"), ValidTo: day("2016-12-31")})
	b.AddEdge(Edge{Source: 2, Target: 3, Kind: Collaboration, Weight: 1, ValidFrom: day("2015-01-01")})
	b.AddNode(Node{ID: 10, Type: Pilot, StartsOn: day("2014-01-01"), EndsOn: day("2014-12-31")})
	b.AddEdge(Edge{Source: 1, Target: 10, Kind: ParticipatesIn, Weight: 1, ValidFrom: day("2014-01-01"), ValidTo: day("2014-12-31")})
	g := b.Build()

	in2016 := Apply(g, Filter{AsOf: day("2016-06-01")})
	if len(in2016.Edges) != 2 || len(in2016.Nodes) != 3 {
		t.Fatalf("2016: %d nodes %d edges", len(in2016.Nodes), len(in2016.Edges))
	}
	in2018 := Apply(g, Filter{AsOf: day("2018-01-01")})
	if len(in2018.Edges) != 1 || in2018.Edges[0].Kind != Collaboration {
		t.Fatalf("2018 keeps the expired link: %+v", in2018.Edges)
	}
	if p, _ := NewView(in2018).ShortestPath(1, 3, false); p != nil {
		t.Fatal("2018: 1 and 3 are no longer connected")
	}
	// A period overlapping 2014 keeps the pilot and its participant edge.
	period := Apply(g, Filter{From: day("2013-01-01"), To: day("2014-06-01")})
	if _, ok := period.Node(10); !ok || len(period.Edges) != 1 {
		t.Fatalf("2013–2014: %+v", period.Edges)
	}
}

func TestProjection(t *testing.T) {
	// Municipalities 1, 2, 3; pilots 10 (1, 2) and 11 (1, 2, 3); network 20 (2, 3).
	b := &Builder{}
	for i := 1; i <= 3; i++ {
		b.AddNode(Node{ID: i, Type: Municipality})
	}
	b.AddNode(Node{ID: 10, Type: Pilot})
	b.AddNode(Node{ID: 11, Type: Pilot})
	b.AddNode(Node{ID: 20, Type: Network})
	b.AddNode(Node{ID: 30, Type: OperatingModel}) // developed in 10, adopted by 1: not an actor
	b.AddNode(Node{ID: 31, Type: OperatingModel}) // tied to nothing
	for _, e := range []Edge{{Source: 30, Target: 10, Kind: DevelopedIn}, {Source: 1, Target: 30, Kind: Adoption}, {Source: 1, Target: 10, Kind: Leads}, {Source: 1, Target: 10, Kind: ParticipatesIn}, {Source: 2, Target: 10, Kind: ParticipatesIn},
		{Source: 1, Target: 11, Kind: ParticipatesIn}, {Source: 2, Target: 11, Kind: ParticipatesIn}, {Source: 3, Target: 11, Kind: ParticipatesIn},
		{Source: 2, Target: 20, Kind: MemberOf}, {Source: 3, Target: 20, Kind: MemberOf}} {
		e.Weight = 1
		b.AddEdge(e)
	}
	p := Apply(b.Build(), Filter{Projection: true})
	if len(p.Nodes) != 3 {
		t.Fatalf("projection keeps actors only: %d nodes", len(p.Nodes))
	}
	w := map[[2]int]float64{}
	for _, e := range p.Edges {
		w[[2]int{e.Source, e.Target}] += e.Weight
		if e.Kind == SharedNetworks && (e.Source != 2 || e.Target != 3) {
			t.Fatalf("network edge %+v", e)
		}
	}
	if w[[2]int{1, 2}] != 2 || w[[2]int{1, 3}] != 1 || w[[2]int{2, 3}] != 2 {
		t.Fatalf("projected weights %v", w)
	}
	for _, n := range p.Nodes {
		if n.Type != Municipality && n.Type != Organization {
			t.Fatalf("projection keeps a %s", n.Type)
		}
	}
}

// TestPageRankDeterministic: two computations over the same graph, in
// separate views (as on two instances), give identical bits; the scores
// sum to 1 and a node without ties gets the teleport share plus its share
// of the spread.
func TestPageRankDeterministic(t *testing.T) {
	build := func() *Graph {
		b := &Builder{}
		for i := 1; i <= 300; i++ {
			b.AddNode(Node{ID: i, Type: Municipality})
		}
		r := rand.New(rand.NewPCG(5, 6))
		for range 900 {
			b.AddEdge(Edge{Source: 1 + r.IntN(290), Target: 1 + r.IntN(290), Kind: Collaboration, Weight: 0.5 + r.Float64()})
		}
		return b.Build() // 291..300 have no ties
	}
	first, err := NewView(build()).Centrality(context.Background(), PageRank, DefaultBudget)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := NewView(build()).Centrality(context.Background(), PageRank, DefaultBudget)
	sum := 0.0
	for i := range first {
		if first[i].Node.ID != second[i].Node.ID || math.Float64bits(first[i].Score) != math.Float64bits(second[i].Score) {
			t.Fatalf("rank %d: %d %v vs %d %v", i, first[i].Node.ID, first[i].Score, second[i].Node.ID, second[i].Score)
		}
		sum += first[i].Score
	}
	if math.Abs(sum-1) > 1e-9 {
		t.Fatalf("scores sum to %v", sum)
	}
}

func TestBudget(t *testing.T) {
	_, err := NewView(bridgeGraph()).Centrality(context.Background(), Betweenness, Budget{BetweennessWork: 10, Nodes: 10})
	if err == nil || err.Error() == "" {
		t.Fatal("want COST_LIMIT_EXCEEDED")
	}
}
