package cost

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"kokeilu/internal/input"
	"kokeilu/internal/paging"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Sizes: every field that returns many items has a size in the estimate,
// not only connections. Without one, nodes(ids:) with 100 ids was costed
// as one id (8 aliases: estimated 80,800, returned ~905,000 objects, 52 MB,
// +1.7 GB) and 100 aliased neighborhood(maxNodes: 100000) cost 0 (+1 GB).
// A field is costed in one of these ways (Rule says which):
//
//   - a connection: its page, first or last (cost.go);
//   - sized: by its arguments (nodes by the ids given, a graph field by
//     its maxNodes or its default, centrality by first); the fields below
//     count once per item;
//   - bounded: a plain list counts its bound per parent item (a survey's
//     100 questions, a snippet's 80 highlights…);
//   - within: its items are counted already by the field above it (a
//     connection's nodes and edges, a graph's nodes and edges, a graph
//     node's attributes).
//
// Every graph field builds (or shares) a view of the whole filtered graph,
// which the API does not cap: the first field of each filter (maxNodes
// aside) in an operation counts a view for it, the others share it. A view
// of a filtered graph is no larger than the whole graph, so a view counts
// the whole graph's nodes at the current data revision (Extension.GraphNodes:
// netgraph.Service.Nodes, the graph it loads once per revision and every
// graph field then filters), at most GraphView. Fixed at 50,000, ten yearly
// centralities or ten regional graphs were refused on a 6,354-node graph.
// TestCostEveryListHasASize (internal/server) walks the schema: a list
// field without a rule fails it.

// Graph sizes, as internal/netgraph states them (netgraph imports this
// package; TestCostEveryListHasASize checks they agree).
const (
	GraphDefaultNodes      = 5_000   // networkGraph without maxNodes
	GraphNeighborhoodNodes = 1_000   // neighborhood without maxNodes
	GraphMaxNodes          = 100_000 // the most maxNodes
	GraphAttributes        = 17      // attributes of a graph node
	// GraphView is the most one view of the graph counts: what it counts
	// without the graph's real size (Extension.GraphNodes unset or failing)
	// and the cap on that size, so that ten views of a graph of any size
	// pass (the generated 5,000-pilot data set's has 6,354 nodes).
	GraphView         = 50_000
	centralityFirst   = 20
	snippetHighlights = 80 // a 160-character snippet holds at most 80 one-letter words
	surveyQuestions   = 100
	surveyChoices     = 50
	surveyScale       = 5
	wellbeingCounties = 23 // 21 counties, Helsinki and the HUS area
	unpagedEstimate   = 100
	statsDimensions   = 3 // analytics.MaxDimensions
)

// size is how a field that is no connection counts.
type size struct {
	// items is how many it returns for each item of its parent, given the
	// nodes a view of the graph counts; the fields below count once for
	// each.
	items func(args map[string]any, view int) int
	// graph: it builds a view of the whole graph, counted once per filter
	// in the operation (newGraph) and not multiplied into the fields below.
	graph bool
	// Args names the arguments the size follows, Ignores those that ask
	// for more elsewhere but not here (for the schema test, which wants
	// every argument that can ask for more named in one of them).
	Args, Ignores []string
}

// wholeView: maxNodes caps networkGraph and neighborhood only; the other
// graph fields work on the whole view (counted as such).
var wholeView = []string{"filter.maxNodes"}

var sizes = map[string]size{
	"Query.nodes":        {items: listLength("ids"), Args: []string{"ids"}},
	"Query.networkGraph": {items: maxNodes(GraphDefaultNodes), graph: true, Args: []string{"filter.maxNodes"}},
	"Query.neighborhood": {items: neighborhood, graph: true, Args: []string{"filter.maxNodes", "depth"}},
	"Query.shortestPath": {items: fixed(1), graph: true, Ignores: wholeView},
	"Query.centrality":   {items: intArg("first", centralityFirst), graph: true, Args: []string{"first"}, Ignores: wholeView},
	"Query.communities":  {items: groups, graph: true, Args: []string{"membersFirst"}, Ignores: wholeView},
	"Query.components":   {items: groups, graph: true, Args: []string{"membersFirst"}, Ignores: wholeView},
}

var bounds = map[string]int{
	"PilotStatsBucket.keys":             statsDimensions,
	"SearchSnippet.highlights":          snippetHighlights,
	"Survey.questions":                  surveyQuestions,
	"SurveyResults.questions":           surveyQuestions,
	"SurveyResponse.answers":            surveyQuestions,
	"SurveyQuestion.choices":            surveyChoices,
	"SurveyAnswer.choices":              surveyChoices,
	"SurveyQuestionResult.choices":      surveyChoices,
	"SurveyQuestionResult.distribution": surveyScale,
	"OperatingModel.wellbeingCounties":  wellbeingCounties,
	// No bound in the data model: estimated as a page.
	"SurveyQuestionResult.texts": unpagedEstimate,
	"OperatingModel.parts":       unpagedEstimate,
}

var within = map[string]bool{
	"NetworkGraph.nodes": true, "NetworkGraph.edges": true, // networkGraph, neighborhood: maxNodes
	"GraphPath.nodes": true, "GraphPath.edges": true, // shortestPath: its graph
	"Centrality.scores":            true, // first
	"GraphCommunities.communities": true, // communities, components: their groups and
	"GraphCommunity.members":       true, // members (membersFirst), at most the view's
	"GraphComponent.members":       true, // nodes each
	"PilotStats.buckets":           true, // Extension.Weights (analytics.Cost)
	// A node's own columns as key–value pairs (at most GraphAttributes),
	// no rows: counted with the node, so the whole graph (maxNodes
	// 100,000) with its attributes stays one graph's worth.
	"GraphNode.attributes": true,
}

// Rule names how the field f of object counts: "connection", "sized",
// "bounded", "within", or "" when it has no rule. Fields that are no list
// and have no rule count once per parent item ("").
func Rule(object *ast.Definition, f *ast.FieldDefinition, weights map[string]Weigher) string {
	key := object.Name + "." + f.Name
	switch {
	case paging.IsConnection(f):
		return "connection"
	case sizes[key].items != nil || weights[key] != nil:
		return "sized"
	case bounds[key] > 0:
		return "bounded"
	case within[key] || f.Type.Elem != nil && strings.HasSuffix(object.Name, "Connection"):
		return "within"
	}
	return ""
}

// SizeArgs are the arguments a sized field's estimate follows ("filter.maxNodes").
func SizeArgs(object, field string) []string { return sizes[object+"."+field].Args }

// IgnoredArgs are a sized field's arguments that ask for more items of
// other fields but not of it.
func IgnoredArgs(object, field string) []string { return sizes[object+"."+field].Ignores }

// sized adds the nodes of f, no connection, for multiplier parent items to
// est and returns how many times the fields below it count.
func (mr *measurer) sized(f *ast.Field, multiplier int, est *Estimate) int {
	if w := mr.weight(f); w > 0 {
		m := saturatingMul(multiplier, w)
		est.Nodes = saturatingAdd(est.Nodes, m)
		return m
	}
	if f.ObjectDefinition == nil {
		return multiplier
	}
	key := f.ObjectDefinition.Name + "." + f.Name
	if s, ok := sizes[key]; ok {
		args := f.ArgumentMap(mr.vars)
		view := 0
		if s.graph {
			view = mr.viewNodes()
			if mr.newGraph(f, args) {
				est.Nodes = saturatingAdd(est.Nodes, saturatingMul(multiplier, view))
			}
		}
		m := saturatingMul(multiplier, max(s.items(args, view), 1))
		est.Nodes = saturatingAdd(est.Nodes, m)
		return m
	}
	if b := bounds[key]; b > 0 {
		m := saturatingMul(multiplier, b)
		est.Nodes = saturatingAdd(est.Nodes, m)
		return m
	}
	return multiplier
}

// newGraph tells whether the graph a field with these arguments builds is
// not counted yet: a view is built once per filter (maxNodes aside) and
// shared, but each other filter builds one of the whole graph (100 aliased
// neighborhoods with as many asOf dates took +750 MB at 1,000 nodes each).
func (mr *measurer) newGraph(f *ast.Field, args map[string]any) bool {
	filter, _ := args["filter"].(map[string]any)
	if def := f.Definition.Arguments.ForName("filter"); def != nil && mr.schema != nil {
		// `nodeTypes: PILOT` is the filter `nodeTypes: [PILOT]`.
		filter, _ = input.Coerce(mr.schema, def.Type, args["filter"]).(map[string]any)
	}
	// The view as the graph's cache tells views apart (netgraph's
	// Filter.key): lists are sets, and null, [], "" and projection: false
	// are the filter left out.
	view := map[string]any{}
	for k, v := range filter {
		if l, ok := input.Slice(v); ok {
			if len(l) == 0 {
				continue
			}
			l = slices.Clone(l)
			slices.SortFunc(l, func(a, b any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
			v = l
		}
		if k == "maxNodes" || v == nil || v == "" || k == "projection" && v == false {
			continue
		}
		view[k] = v
	}
	b, _ := json.Marshal(view) // keys sorted, strings quoted: no two views print alike
	key := string(b)
	if mr.graphs[key] {
		return false
	}
	if mr.graphs == nil {
		mr.graphs = map[string]bool{}
	}
	mr.graphs[key] = true
	return true
}

// viewNodes is what one view of the graph counts: the whole graph's nodes
// now, at most GraphView (asked once per operation).
func (mr *measurer) viewNodes() int {
	if mr.view == 0 {
		mr.view = GraphView
		if mr.graphNodes != nil {
			if n, err := mr.graphNodes(); err == nil {
				mr.view = max(min(n, GraphView), 1)
			}
		}
	}
	return mr.view
}

func fixed(n int) func(map[string]any, int) int { return func(map[string]any, int) int { return n } }

// listLength is the length of the list argument name (variables resolved,
// typed slices too).
func listLength(name string) func(map[string]any, int) int {
	return func(args map[string]any, _ int) int { return len(input.List(args[name])) }
}

// intArg is the integer argument name, or def when it is absent.
func intArg(name string, def int) func(map[string]any, int) int {
	return func(args map[string]any, _ int) int { return intOr(args[name], def) }
}

// groups sizes communities and components: their groups and the members
// listed, at most membersFirst of each group's. The groups partition the
// view, so there are at most as many as its nodes, and so many members
// (70 aliases of components(membersFirst: 100000), counted as one item
// each, were accepted and took +600 MB). How many groups there are is
// known only once they are computed: a view of isolated nodes has one per
// node, so membersFirst 1 may list every node already.
func groups(args map[string]any, view int) int {
	first := 100 // the schema's default
	if v, ok := args["membersFirst"]; ok && v != nil {
		if n, err := graphql.UnmarshalInt(v); err == nil && n >= 0 {
			first = n
		}
	}
	return saturatingAdd(view, saturatingMul(min(first, 1), view))
}

func intOr(v any, def int) int {
	if v == nil {
		return def
	}
	if n, err := graphql.UnmarshalInt(v); err == nil && n > 0 {
		return n
	}
	return def // 0 is not a cap: the resolver refuses it or applies the default
}

// maxNodes is a graph field's filter.maxNodes, or def.
func maxNodes(def int) func(map[string]any, int) int {
	return func(args map[string]any, _ int) int {
		filter, _ := args["filter"].(map[string]any)
		return min(intOr(filter["maxNodes"], def), GraphMaxNodes)
	}
}

// neighborhood is one node at depth 0, else its maxNodes.
func neighborhood(args map[string]any, view int) int {
	if d, ok := args["depth"]; ok && d != nil {
		if n, err := graphql.UnmarshalInt(d); err == nil && n == 0 {
			return 1
		}
	}
	return maxNodes(GraphNeighborhoodNodes)(args, view)
}
