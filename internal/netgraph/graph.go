// Package netgraph is the research view of Kokeilu's data: the network of
// municipalities, organisations, networks and pilots as a typed, dated,
// weighted graph, with time slices, an actor–actor projection, traversal,
// shortest paths, centrality, communities, components and exports
// (GraphML, GEXF, CSV). The algorithms are gonum's; this package builds
// the graph from ent queries and shapes the answers.
package netgraph

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"kokeilu/internal/scalar"
)

// NodeType is the kind of entity a node stands for.
type NodeType string

const (
	Municipality NodeType = "MUNICIPALITY"
	Organization NodeType = "ORGANIZATION"
	Network      NodeType = "NETWORK"
	Pilot        NodeType = "PILOT"
	// OperatingModel is a toimintamalli: adoptions spread it.
	OperatingModel NodeType = "OPERATING_MODEL"
)

// NodeTypes are all node types, in a stable order.
var NodeTypes = []NodeType{Municipality, Organization, Network, Pilot, OperatingModel}

// EdgeKind is what an edge says. Relations of the data come first, then the
// kinds of explicit Links, then the actor–actor kinds of the projection.
type EdgeKind string

const (
	ParticipatesIn EdgeKind = "PARTICIPATES_IN" // municipality → pilot
	Leads          EdgeKind = "LEADS"           // municipality → pilot
	PartnerIn      EdgeKind = "PARTNER_IN"      // organisation → pilot
	MemberOf       EdgeKind = "MEMBER_OF"       // municipality or organisation → network
	PartOfNetwork  EdgeKind = "PART_OF_NETWORK" // pilot → network
	SubNetworkOf   EdgeKind = "SUB_NETWORK_OF"  // network → its parent
	DevelopedIn    EdgeKind = "DEVELOPED_IN"    // operating model → pilot that developed it

	// Kinds of Link entities (their kind field).
	Collaboration    EdgeKind = "COLLABORATION"
	Funding          EdgeKind = "FUNDING"
	KnowledgeSharing EdgeKind = "KNOWLEDGE_SHARING"
	Adoption         EdgeKind = "ADOPTION"
	Successor        EdgeKind = "SUCCESSOR"
	Other            EdgeKind = "OTHER"

	// Projection: two actors that share pilots or networks in the period;
	// the weight is how many they share.
	SharedPilots   EdgeKind = "SHARED_PILOTS"
	SharedNetworks EdgeKind = "SHARED_NETWORKS"
)

// EdgeKinds are all edge kinds.
var EdgeKinds = []EdgeKind{ParticipatesIn, Leads, PartnerIn, MemberOf, PartOfNetwork, SubNetworkOf, DevelopedIn,
	Collaboration, Funding, KnowledgeSharing, Adoption, Successor, Other, SharedPilots, SharedNetworks}

// Node is one entity of the graph; ID is its global ent ID (the Node id of
// the GraphQL API once encoded).
type Node struct {
	ID       int
	Type     NodeType
	Label    string
	Code     string   // municipality code
	Region   string   // region code (municipalities; organisations by their municipality)
	Kind     string   // organisation or network kind
	Status   string   // pilot status
	Themes   []string // pilot theme slugs
	StartsOn *time.Time
	EndsOn   *time.Time
}

// Attr is one named attribute of a node, as exported.
type Attr struct{ Key, Value string }

// NodeAttrKeys are the attribute keys every node has (possibly empty), in
// export order; type and label are attributes too.
var NodeAttrKeys = []string{"type", "label", "code", "region", "kind", "status", "themes", "startsOn", "endsOn"}

// Attrs returns the node's attributes in NodeAttrKeys order.
func (n *Node) Attrs() []Attr {
	return []Attr{
		{"type", string(n.Type)}, {"label", n.Label}, {"code", n.Code}, {"region", n.Region},
		{"kind", n.Kind}, {"status", n.Status}, {"themes", strings.Join(n.Themes, ";")},
		{"startsOn", formatDate(n.StartsOn)}, {"endsOn", formatDate(n.EndsOn)},
	}
}

// GlobalID is the node's opaque GraphQL ID.
func (n *Node) GlobalID() string { return encodeID(n.ID) }

func encodeID(id int) string { return scalar.EncodeID(id) }

// Edge is one relation between two nodes. Edges are stored with a direction
// (participant → pilot, member → network, link source → target) but the
// algorithms treat the graph as undirected.
type Edge struct {
	Source, Target int
	Kind           EdgeKind
	Weight         float64
	ValidFrom      *time.Time
	ValidTo        *time.Time
}

// EdgeAttrKeys are the attribute keys of edges in export order.
var EdgeAttrKeys = []string{"kind", "weight", "validFrom", "validTo"}

// Attrs returns the edge's attributes in EdgeAttrKeys order.
func (e *Edge) Attrs() []Attr {
	return []Attr{
		{"kind", string(e.Kind)}, {"weight", strconv.FormatFloat(e.Weight, 'g', -1, 64)},
		{"validFrom", formatDate(e.ValidFrom)}, {"validTo", formatDate(e.ValidTo)},
	}
}

func formatDate(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(scalar.DateLayout)
}

// Graph is an immutable graph: nodes, edges and an adjacency index. Share
// it freely between goroutines once built.
type Graph struct {
	Nodes []Node
	Edges []Edge
	index map[int]int32 // node ID → position in Nodes
	adj   [][]int32     // node position → positions in Edges
	ends  [][2]int32    // edge position → positions of its source and target
}

// Builder collects nodes and edges; Build drops edges whose ends are not
// nodes (an entity the viewer may not read, or a type filtered out).
type Builder struct {
	nodes []Node
	edges []Edge
}

func (b *Builder) AddNode(n Node) { b.nodes = append(b.nodes, n) }
func (b *Builder) AddEdge(e Edge) { b.edges = append(b.edges, e) }

// Build indexes what was added. Duplicate node IDs keep the first.
func (b *Builder) Build() *Graph {
	g := &Graph{index: make(map[int]int32, len(b.nodes))}
	g.Nodes = make([]Node, 0, len(b.nodes))
	for _, n := range b.nodes {
		if _, dup := g.index[n.ID]; dup {
			continue
		}
		g.index[n.ID] = int32(len(g.Nodes))
		g.Nodes = append(g.Nodes, n)
	}
	g.Edges = make([]Edge, 0, len(b.edges))
	for _, e := range b.edges {
		_, ok1 := g.index[e.Source]
		_, ok2 := g.index[e.Target]
		if ok1 && ok2 && e.Source != e.Target {
			g.Edges = append(g.Edges, e)
		}
	}
	g.indexEdges()
	return g
}

func (g *Graph) indexEdges() {
	deg := make([]int32, len(g.Nodes))
	for _, e := range g.Edges {
		deg[g.index[e.Source]]++
		deg[g.index[e.Target]]++
	}
	g.ends = make([][2]int32, len(g.Edges))
	g.adj = make([][]int32, len(g.Nodes))
	for i := range g.adj {
		g.adj[i] = make([]int32, 0, deg[i])
	}
	for i, e := range g.Edges {
		s, t := g.index[e.Source], g.index[e.Target]
		g.ends[i] = [2]int32{s, t}
		g.adj[s] = append(g.adj[s], int32(i))
		g.adj[t] = append(g.adj[t], int32(i))
	}
}

// Node returns the node with global ID id.
func (g *Graph) Node(id int) (*Node, bool) {
	i, ok := g.index[id]
	if !ok {
		return nil, false
	}
	return &g.Nodes[i], true
}

// other is the end of edge position ei that is not node position i.
func (g *Graph) other(ei, i int32) int32 {
	if ends := g.ends[ei]; ends[0] != i {
		return ends[0]
	} else {
		return ends[1]
	}
}

// Degree is the number of edges at node position i.
func (g *Graph) degree(i int32) int { return len(g.adj[i]) }

// subgraph keeps the nodes for which keepNode is true and the edges between
// them for which keepEdge is true.
func (g *Graph) subgraph(keepNode func(*Node) bool, keepEdge func(*Edge) bool) *Graph {
	b := &Builder{}
	for i := range g.Nodes {
		if keepNode(&g.Nodes[i]) {
			b.nodes = append(b.nodes, g.Nodes[i])
		}
	}
	for i := range g.Edges {
		if keepEdge(&g.Edges[i]) {
			b.edges = append(b.edges, g.Edges[i])
		}
	}
	return b.Build()
}

// sortedIDs returns node IDs in ascending order, for stable answers.
func sortedIDs(ids map[int]bool) []int {
	out := make([]int, 0, len(ids))
	for id := range ids {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
