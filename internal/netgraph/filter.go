package netgraph

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"kokeilu/internal/fault"
	"kokeilu/internal/scalar"
)

// Filter selects part of the graph. Zero values select everything.
type Filter struct {
	NodeTypes []NodeType
	EdgeKinds []EdgeKind
	Region    string // region code: municipalities of the region (organisations by their municipality)
	Theme     string // theme slug: pilots of the theme
	// AsOf keeps what is valid on that day; From/To what overlaps the
	// period (either end may be open). AsOf excludes From/To.
	AsOf, From, To *time.Time
	// Projection replaces pilots and networks by actor–actor edges:
	// SHARED_PILOTS and SHARED_NETWORKS weighted by how many they share.
	Projection bool
	// MaxNodes caps the nodes of networkGraph (the best-connected are kept);
	// 0 is DefaultMaxNodes.
	MaxNodes int
}

// Caps of a graph answer.
const (
	DefaultMaxNodes = 5_000
	LimitMaxNodes   = 100_000
)

// Validate checks the filter's values.
func (f *Filter) Validate() error {
	if f.AsOf != nil && (f.From != nil || f.To != nil) {
		return fault.BadInput("filter.asOf", "give asOf or from/to, not both")
	}
	if f.From != nil && f.To != nil && f.To.Before(*f.From) {
		return fault.BadInput("filter.to", "to is before from")
	}
	for _, t := range f.NodeTypes {
		if !slices.Contains(NodeTypes, t) {
			return fault.BadInput("filter.nodeTypes", "unknown node type %q", t)
		}
	}
	for _, k := range f.EdgeKinds {
		if !slices.Contains(EdgeKinds, k) {
			return fault.BadInput("filter.edgeKinds", "unknown edge kind %q", k)
		}
	}
	if f.MaxNodes < 0 || f.MaxNodes > LimitMaxNodes {
		return fault.BadInput("filter.maxNodes", "maxNodes is between 1 and %d", LimitMaxNodes)
	}
	return nil
}

// period is the filter's time window; nil ends are open.
func (f *Filter) period() (from, to *time.Time) {
	if f.AsOf != nil {
		return f.AsOf, f.AsOf
	}
	return f.From, f.To
}

// key identifies the filter for the cache (MaxNodes is applied later).
func (f *Filter) key() string {
	date := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.Format(scalar.DateLayout)
	}
	types := make([]string, len(f.NodeTypes))
	for i, t := range f.NodeTypes {
		types[i] = string(t)
	}
	kinds := make([]string, len(f.EdgeKinds))
	for i, k := range f.EdgeKinds {
		kinds[i] = string(k)
	}
	slices.Sort(types)
	slices.Sort(kinds)
	return fmt.Sprintf("t=%s|k=%s|r=%s|th=%s|a=%s|f=%s|to=%s|p=%v", strings.Join(types, ","), strings.Join(kinds, ","),
		f.Region, f.Theme, date(f.AsOf), date(f.From), date(f.To), f.Projection)
}

// overlaps tells whether [from, to] (nil = open) meets the window.
func overlaps(from, to, wFrom, wTo *time.Time) bool {
	if wTo != nil && from != nil && from.After(*wTo) {
		return false
	}
	if wFrom != nil && to != nil && to.Before(*wFrom) {
		return false
	}
	return true
}

// Apply returns the part of g the filter selects. Pilots and networks are
// kept when their dates meet the window, edges when theirs do (relations
// carry the dates of their pilot or network, links their validity).
// Municipalities and organisations stay whatever the window. With a region
// or theme, pilots, networks and organisations left without any edge are
// dropped, so the answer is about that region or theme.
func Apply(g *Graph, f Filter) *Graph {
	wFrom, wTo := f.period()
	types := map[NodeType]bool{}
	for _, t := range f.NodeTypes {
		types[t] = true
	}
	kinds := map[EdgeKind]bool{}
	for _, k := range f.EdgeKinds {
		kinds[k] = true
	}
	keepNode := func(n *Node) bool {
		switch {
		case n.Type == Municipality || n.Type == Organization:
			if f.Region != "" && n.Region != f.Region && (n.Type == Municipality || n.Region != "") {
				return false
			}
		case !overlaps(n.StartsOn, n.EndsOn, wFrom, wTo):
			return false
		case f.Theme != "" && n.Type == Pilot && !slices.Contains(n.Themes, f.Theme):
			return false
		}
		// Projections need pilots and networks to count what actors share.
		return f.Projection || len(types) == 0 || types[n.Type]
	}
	keepEdge := func(e *Edge) bool {
		return overlaps(e.ValidFrom, e.ValidTo, wFrom, wTo)
	}
	out := g.subgraph(keepNode, keepEdge)
	if f.Region != "" || f.Theme != "" {
		out = out.subgraph(func(n *Node) bool {
			return n.Type == Municipality || out.degree(out.index[n.ID]) > 0
		}, func(*Edge) bool { return true })
	}
	if f.Projection {
		out = project(out)
	}
	if len(types) > 0 || len(kinds) > 0 {
		out = out.subgraph(func(n *Node) bool { return len(types) == 0 || types[n.Type] },
			func(e *Edge) bool { return len(kinds) == 0 || kinds[e.Kind] })
	}
	return out
}

// project turns pilots and networks into actor–actor edges: two actors
// (municipalities, organisations) get one SHARED_PILOTS edge weighted by the
// number of pilots they both take part in (as participant, lead or
// partner), and one SHARED_NETWORKS edge weighted by the networks both are
// members of. Links between actors are kept; the rest is dropped.
func project(g *Graph) *Graph {
	type pair struct{ a, b int }
	shared := map[EdgeKind]map[pair]float64{SharedPilots: {}, SharedNetworks: {}}
	b := &Builder{}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Type != Pilot && n.Type != Network {
			b.AddNode(*n)
			continue
		}
		kind := SharedPilots
		if n.Type == Network {
			kind = SharedNetworks
		}
		actors := map[int]bool{}
		for _, ei := range g.adj[i] {
			switch g.Edges[ei].Kind {
			case ParticipatesIn, Leads, PartnerIn, MemberOf:
				actors[g.Nodes[g.other(ei, int32(i))].ID] = true
			}
		}
		ids := sortedIDs(actors)
		for x := range ids {
			for y := x + 1; y < len(ids); y++ {
				shared[kind][pair{ids[x], ids[y]}]++
			}
		}
	}
	for _, e := range g.Edges {
		s, _ := g.Node(e.Source)
		t, _ := g.Node(e.Target)
		if isActor(s) && isActor(t) {
			b.AddEdge(e)
		}
	}
	for _, kind := range []EdgeKind{SharedPilots, SharedNetworks} {
		pairs := make([]pair, 0, len(shared[kind]))
		for p := range shared[kind] {
			pairs = append(pairs, p)
		}
		slices.SortFunc(pairs, func(x, y pair) int { return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b)) })
		for _, p := range pairs {
			b.AddEdge(Edge{Source: p.a, Target: p.b, Kind: kind, Weight: shared[kind][p]})
		}
	}
	return b.Build()
}

func isActor(n *Node) bool { return n.Type == Municipality || n.Type == Organization }

// Capped keeps at most max nodes, the best-connected first (ties by ID),
// and the edges between them; it reports whether anything was cut.
func Capped(g *Graph, max int) (*Graph, bool) {
	if max <= 0 {
		max = DefaultMaxNodes
	}
	if len(g.Nodes) <= max {
		return g, false
	}
	order := make([]int32, len(g.Nodes))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int {
		return cmp.Or(cmp.Compare(g.degree(y), g.degree(x)), cmp.Compare(g.Nodes[x].ID, g.Nodes[y].ID))
	})
	keep := make(map[int]bool, max)
	for _, i := range order[:max] {
		keep[g.Nodes[i].ID] = true
	}
	return g.subgraph(func(n *Node) bool { return keep[n.ID] }, func(*Edge) bool { return true }), true
}
