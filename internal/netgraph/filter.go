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
	Region    string // region code: see Graph.scope
	Theme     string // theme slug: see Graph.scope
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

// Apply returns the part of g the filter selects, in four steps:
//
//  1. Period: pilots and networks are kept when their dates meet the
//     window, edges when theirs do (relations carry the dates of their pilot
//     or network, links their validity). Other nodes stay whatever the
//     window.
//  2. Region and theme (see scope): the pilots of the theme that a
//     municipality of the region takes part in, and what is tied to them.
//  3. Projection: pilots and networks become actor–actor edges.
//  4. Node types and edge kinds.
//
// Edges are kept when both ends are; links never bring a node in.
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
	out := g.subgraph(func(n *Node) bool {
		return overlaps(n.StartsOn, n.EndsOn, wFrom, wTo) // municipalities, organisations and operating models have no dates
	}, func(e *Edge) bool {
		return overlaps(e.ValidFrom, e.ValidTo, wFrom, wTo)
	})
	if f.Region != "" || f.Theme != "" {
		keep := out.scope(f.Region, f.Theme)
		out = out.subgraph(func(n *Node) bool { return keep[n.ID] }, func(*Edge) bool { return true })
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

// scope is the set of node IDs that a region code and a theme slug (either
// may be "") select, by the edges of g (already cut to the period). The
// schema's GraphFilter states the same rules:
//
//   - pilots: of the theme, and with a PARTICIPATES_IN edge from a
//     municipality of the region;
//   - municipalities: those of the region; with a theme, only those taking
//     part (PARTICIPATES_IN) in a kept pilot;
//   - organisations: partners (PARTNER_IN) in a kept pilot;
//   - networks: those a kept pilot is part of (PART_OF_NETWORK); with a
//     region and no theme also those a kept municipality is a member of;
//   - operating models: developed in (DEVELOPED_IN) or adopted by (ADOPTION)
//     a kept pilot; with a region and no theme also those adopted by a kept
//     municipality.
func (g *Graph) scope(region, theme string) map[int]bool {
	keep := map[int]bool{}
	inRegion := func(i int32) bool { return region == "" || g.Nodes[i].Region == region }
	// ties calls fn with the other end of every edge of kind at i.
	ties := func(i int32, kind EdgeKind, fn func(j int32)) {
		for _, ei := range g.adj[i] {
			if g.Edges[ei].Kind == kind {
				fn(g.other(ei, i))
			}
		}
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Type != Pilot || theme != "" && !slices.Contains(n.Themes, theme) {
			continue
		}
		area := region == ""
		ties(int32(i), ParticipatesIn, func(j int32) { area = area || inRegion(j) })
		if !area {
			continue
		}
		keep[n.ID] = true
		ties(int32(i), ParticipatesIn, func(j int32) {
			if inRegion(j) {
				keep[g.Nodes[j].ID] = true
			}
		})
		for _, k := range []EdgeKind{PartnerIn, PartOfNetwork, DevelopedIn} {
			ties(int32(i), k, func(j int32) { keep[g.Nodes[j].ID] = true })
		}
		ties(int32(i), Adoption, func(j int32) {
			if g.Nodes[j].Type == OperatingModel {
				keep[g.Nodes[j].ID] = true
			}
		})
	}
	if region == "" {
		return keep
	}
	for i := range g.Nodes {
		if n := &g.Nodes[i]; n.Type != Municipality || n.Region != region || theme != "" {
			continue
		}
		keep[g.Nodes[i].ID] = true
		ties(int32(i), MemberOf, func(j int32) { keep[g.Nodes[j].ID] = true })
		ties(int32(i), Adoption, func(j int32) {
			if g.Nodes[j].Type == OperatingModel {
				keep[g.Nodes[j].ID] = true
			}
		})
	}
	return keep
}

// known refuses a region code or theme slug that g does not know: a typo
// must not answer with an empty (or whole) graph.
func (f *Filter) known(g *Graph) error {
	if f.Region != "" && !g.Regions[f.Region] {
		return fault.BadInput("filter.regionCode", "no region has code %q (codes are two digits, e.g. \"01\")", f.Region)
	}
	if f.Theme != "" && !g.Themes[f.Theme] {
		return fault.BadInput("filter.themeSlug", "no theme has slug %q", f.Theme)
	}
	return nil
}

// project turns pilots and networks into actor–actor edges: two actors
// (municipalities, organisations) get one SHARED_PILOTS edge weighted by the
// number of pilots they both take part in (as participant, lead or
// partner), and one SHARED_NETWORKS edge weighted by the networks both are
// members of. Links between actors are kept; the rest (pilots, networks,
// operating models and their edges) is dropped.
func project(g *Graph) *Graph {
	type pair struct{ a, b int }
	shared := map[EdgeKind]map[pair]float64{SharedPilots: {}, SharedNetworks: {}}
	b := &Builder{}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if isActor(n) {
			b.AddNode(*n)
			continue
		}
		if n.Type != Pilot && n.Type != Network {
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
