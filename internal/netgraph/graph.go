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
// the GraphQL API once encoded). Empty strings and nil pointers are "does
// not apply or unknown".
type Node struct {
	ID    int
	Type  NodeType
	Label string // Finnish name of a municipality; name of the rest; title of a pilot
	// NameFi, NameSv, NameEn are a municipality's official names.
	NameFi, NameSv, NameEn string
	Slug                   string // pilot, network, organisation and operating model slug
	Code                   string // municipality code ("091")
	// Region (maakunta), County (wellbeing services county) and Subregion
	// (seutukunta) codes of a municipality, or of an organisation's
	// municipality.
	Region, County, Subregion string
	Population                int      // municipality population; 0 when unknown
	Latitude, Longitude       *float64 // municipality centre (WGS84 degrees)
	Kind                      string   // organisation or network kind
	Status                    string   // pilot status
	Themes                    []string // pilot theme slugs
	Funder                    string   // operating model funder
	StartsOn                  *time.Time
	EndsOn                    *time.Time
}

// AttrType is the type of an exported attribute, as Frictionless Table
// Schema names it; GraphML and GEXF declare the matching type.
type AttrType string

const (
	String  AttrType = "string"
	Integer AttrType = "integer"
	Number  AttrType = "number"
	Date    AttrType = "date"
)

// AttrSpec is one exported attribute: its key, type and meaning (the data
// dictionary of the exports' datapackage.json).
type AttrSpec struct {
	Key  string
	Type AttrType
	Doc  string
}

// Attr is one named attribute of a node or edge, as exported ("" when it
// does not apply).
type Attr struct{ Key, Value string }

// NodeAttrs are the attributes every node has (possibly empty), in export
// order; type and label are attributes too. Codes are strings ("005").
var NodeAttrs = []AttrSpec{
	{"type", String, "MUNICIPALITY, ORGANIZATION, NETWORK, PILOT or OPERATING_MODEL"},
	{"label", String, "Finnish name of a municipality; name of an organisation, network or operating model; title of a pilot"},
	{"nameFi", String, "municipality's official Finnish name"},
	{"nameSv", String, "municipality's official Swedish name"},
	{"nameEn", String, "municipality's English name, where it has one"},
	{"slug", String, "slug of a pilot, network, organisation or operating model"},
	{"code", String, "municipality code (\"091\")"},
	{"region", String, "region (maakunta) code of a municipality, or of an organisation's municipality"},
	{"county", String, "wellbeing services county code (90 Helsinki, 91 Åland) of a municipality or an organisation's municipality"},
	{"subregion", String, "subregion (seutukunta) code of a municipality or an organisation's municipality"},
	{"population", Integer, "municipality population"},
	{"latitude", Number, "municipality centre, WGS84 degrees north"},
	{"longitude", Number, "municipality centre, WGS84 degrees east"},
	{"kind", String, "organisation kind (MINISTRY, …) or network kind (PROGRAMME, …)"},
	{"status", String, "pilot status (PLANNED, ACTIVE, COMPLETED, CANCELLED)"},
	{"themes", String, "a pilot's theme slugs, ;-separated"},
	{"startsOn", Date, "start of a pilot or network"},
	{"endsOn", Date, "end of a pilot or network"},
	{"funder", String, "funder of an operating model"},
}

// Attrs returns the node's attributes in NodeAttrs order.
func (n *Node) Attrs() []Attr { return n.appendAttrs(nil) }

// appendAttrs appends the attributes to dst (the writers reuse one slice
// for every node).
func (n *Node) appendAttrs(dst []Attr) []Attr {
	pop := ""
	if n.Population > 0 {
		pop = strconv.Itoa(n.Population)
	}
	return append(dst,
		Attr{"type", string(n.Type)}, Attr{"label", n.Label}, Attr{"nameFi", n.NameFi}, Attr{"nameSv", n.NameSv}, Attr{"nameEn", n.NameEn},
		Attr{"slug", n.Slug}, Attr{"code", n.Code}, Attr{"region", n.Region}, Attr{"county", n.County}, Attr{"subregion", n.Subregion},
		Attr{"population", pop}, Attr{"latitude", formatFloat(n.Latitude)}, Attr{"longitude", formatFloat(n.Longitude)},
		Attr{"kind", n.Kind}, Attr{"status", n.Status}, Attr{"themes", strings.Join(n.Themes, ";")},
		Attr{"startsOn", formatDate(n.StartsOn)}, Attr{"endsOn", formatDate(n.EndsOn)}, Attr{"funder", n.Funder},
	)
}

// GlobalID is the node's opaque GraphQL ID.
func (n *Node) GlobalID() string { return encodeID(n.ID) }

func encodeID(id int) string { return scalar.EncodeID(id) }

// Edge is one relation between two nodes. Edges are stored with a direction
// (participant → pilot, member → network, link source → target) but the
// graph is undirected: the algorithms and the exports treat it so.
type Edge struct {
	Source, Target int
	Kind           EdgeKind
	// Ref is the entity the edge stands for: the Link of a link edge, the
	// Adoption of an adoption edge; 0 for relations (see ID).
	Ref       int
	Weight    float64
	ValidFrom *time.Time
	ValidTo   *time.Time
}

// ID is the edge's stable id, the same in every export and under every
// filter: the global id of its Link or Adoption, or else
// "KIND:source:target" with the ends' global ids (a relation holds once
// per kind and pair; projection edges have source < target).
func (e *Edge) ID() string {
	if e.Ref != 0 {
		return encodeID(e.Ref)
	}
	return string(e.Kind) + ":" + encodeID(e.Source) + ":" + encodeID(e.Target)
}

// appendID appends e.ID() to buf, with the ends' global ids given.
func (e *Edge) appendID(buf []byte, source, target string) []byte {
	if e.Ref != 0 {
		return append(buf, encodeID(e.Ref)...)
	}
	buf = append(buf, e.Kind...)
	buf = append(append(buf, ':'), source...)
	return append(append(buf, ':'), target...)
}

// EdgeAttrs are the attributes of edges in export order (besides id,
// source and target).
var EdgeAttrs = []AttrSpec{
	{"kind", String, "edge kind: a relation of the data, a Link's kind, or SHARED_PILOTS / SHARED_NETWORKS in the projection"},
	{"weight", Number, "a Link's weight (0 or more, default 1); 1 for relations; in the projection how many pilots or networks the two share. " +
		"The algorithms sum the weights of all edges between two nodes into one tie strength (a weight of 0 counts as 1)"},
	{"validFrom", Date, "first day the edge holds (empty: open)"},
	{"validTo", Date, "last day the edge holds (empty: open)"},
}

// Attrs returns the edge's attributes in EdgeAttrs order.
func (e *Edge) Attrs() []Attr {
	return []Attr{
		{"kind", string(e.Kind)}, {"weight", strconv.FormatFloat(e.Weight, 'g', -1, 64)},
		{"validFrom", formatDate(e.ValidFrom)}, {"validTo", formatDate(e.ValidTo)},
	}
}

func formatFloat(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'g', -1, 64)
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
	// Regions and Themes are the region codes and theme slugs of the data,
	// so that a filter naming another can be refused.
	Regions, Themes map[string]bool
	index           map[int]int32 // node ID → position in Nodes
	adj             [][]int32     // node position → positions in Edges
	ends            [][2]int32    // edge position → positions of its source and target
}

// Builder collects nodes and edges; Build drops edges whose ends are not
// nodes (an entity the viewer may not read, or a type filtered out).
type Builder struct {
	nodes   []Node
	edges   []Edge
	regions map[string]bool
	themes  map[string]bool
}

func (b *Builder) AddNode(n Node) { b.nodes = append(b.nodes, n) }
func (b *Builder) AddEdge(e Edge) { b.edges = append(b.edges, e) }

// AddRegion and AddTheme record a region code and a theme slug that exist.
func (b *Builder) AddRegion(code string) { b.regions = addKey(b.regions, code) }
func (b *Builder) AddTheme(slug string)  { b.themes = addKey(b.themes, slug) }

func addKey(m map[string]bool, k string) map[string]bool {
	if m == nil {
		m = map[string]bool{}
	}
	m[k] = true
	return m
}

// Build indexes what was added. Duplicate node IDs keep the first.
func (b *Builder) Build() *Graph {
	g := &Graph{index: make(map[int]int32, len(b.nodes)), Regions: b.regions, Themes: b.themes}
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
	b := &Builder{regions: g.Regions, themes: g.Themes}
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
