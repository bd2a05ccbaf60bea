// Package cost refuses requests that would cost too much before any work
// is done, as GitHub's GraphQL API does: the document is parsed with a
// token limit and its depth, fields, aliases and directives are bounded
// before gqlgen validates it (validation is superlinear); after validation
// the nodes it can return are estimated (page sizes multiplied through
// nested connections) and bounded. Accepted queries report their cost in
// the response's extensions.
package cost

import (
	"context"

	"kokeilu/internal/paging"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Limits are the most a single request may ask for. They are stated here
// once, and in the README's limits section.
type Limits struct {
	Tokens     int // lexical tokens of the document (the parser stops there)
	Depth      int // nesting of fields
	Fields     int // selections, fragments expanded (repetition)
	Aliases    int // aliased fields
	Directives int // directive uses
	Overlaps   int // pairs of same-named fields in a selection set (see Document)
	Nodes      int // estimated nodes returned (GitHub: 500,000)
}

// Default is what the public API allows. gqlparser's overlapping-fields
// check is quadratic in the repetitions of a field in one selection set
// (1,000 __typename cost ~130 ms to validate, 500 ~30 ms): Overlaps bounds
// that work, Fields the rest. GraphiQL's introspection query has 209 fields
// and 0 overlaps.
var Default = Limits{Tokens: 15_000, Depth: 20, Fields: 500, Aliases: 100, Directives: 100, Overlaps: 10_000, Nodes: 500_000}

// Extension is the gqlgen extension that applies Limits: the document
// limits on the parsed document before validation, the node estimate
// (which needs the schema) after it.
type Extension struct {
	Limits Limits
	// Weights estimate the nodes of fields that are no connections but
	// still return many (analytics), by "Type.field".
	Weights map[string]Weigher
	// Validated is gqlgen's cache of validated documents (optional): a
	// document found there has passed the limits already.
	Validated graphql.Cache[*ast.QueryDocument]
	// Schema is the schema the operations run on: the filter limits read
	// its where inputs (FilterEdge). Without it no edge test is known.
	Schema *ast.Schema
	// GraphNodes is the node count of the whole network graph now
	// (netgraph.Service.Nodes), asked only of operations with a graph
	// field; without it, or when it fails, a view counts GraphView.
	GraphNodes func(context.Context) (int, error)
}

// Weigher estimates the nodes a field returns from its arguments.
type Weigher func(args map[string]any) int

var (
	_ graphql.HandlerExtension          = Extension{}
	_ graphql.OperationParameterMutator = Extension{}
	_ graphql.OperationContextMutator   = Extension{}
	_ graphql.ResponseInterceptor       = Extension{}
)

func (Extension) ExtensionName() string                   { return "CostLimits" }
func (Extension) Validate(graphql.ExecutableSchema) error { return nil }

// Estimate is the measured shape of the operation that runs.
type Estimate struct {
	Nodes, Depth, Fields, Aliases int
}

// MutateOperationContext estimates the nodes of the validated operation
// and refuses it over the limit; the paging rules have already bounded
// each page to 100. It refuses a list argument over MaxList or a filter
// over MaxFilterSize or MaxFilterDepth first.
func (e Extension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	m := measurer{doc: oc.Doc, vars: oc.Variables, weights: e.Weights, schema: e.Schema, visiting: map[string]bool{}}
	if e.GraphNodes != nil {
		m.graphNodes = func() (int, error) { return e.GraphNodes(ctx) }
	}
	est := m.estimate(oc.Operation.SelectionSet)
	if m.refused != nil {
		return m.refused
	}
	oc.Stats.SetExtension(e.ExtensionName(), est)
	if e.Limits.Nodes > 0 && est.Nodes > e.Limits.Nodes {
		return exceeded("nodes", est.Nodes, e.Limits.Nodes)
	}
	return nil
}

// InterceptResponse reports an accepted query's cost in extensions.cost.
func (e Extension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || !graphql.HasOperationContext(ctx) {
		return resp
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
		return resp // not on every event of a stream
	}
	est, ok := oc.Stats.GetExtension(e.ExtensionName()).(Estimate)
	if ok {
		if resp.Extensions == nil {
			resp.Extensions = map[string]any{}
		}
		resp.Extensions["cost"] = map[string]int{"nodes": est.Nodes, "depth": est.Depth, "fields": est.Fields}
	}
	return resp
}

// Measure estimates an operation: every connection returns its page size
// (first or last, 20 by default) times the pages of the connections around
// it; any other field counts once per enclosing node.
func Measure(doc *ast.QueryDocument, set ast.SelectionSet, vars map[string]any) Estimate {
	return MeasureWith(nil, doc, set, vars)
}

// MeasureWith is Measure with the weights of fields that are no connections.
func MeasureWith(weights map[string]Weigher, doc *ast.QueryDocument, set ast.SelectionSet, vars map[string]any) Estimate {
	m := measurer{doc: doc, vars: vars, weights: weights, visiting: map[string]bool{}}
	return m.estimate(set)
}

func (mr *measurer) estimate(set ast.SelectionSet) Estimate {
	var est Estimate
	mr.measure(set, 1, 1, &est)
	return est
}

type measurer struct {
	schema   *ast.Schema
	doc      *ast.QueryDocument
	vars     map[string]any
	weights  map[string]Weigher
	visiting map[string]bool
	refused  *gqlerror.Error // the first field with a list or filter over its bounds (lists.go, filters.go)
	filters  int             // the size of the operation's filters so far (filters.go)
	edges    int             // the edge subqueries of the operation's filters so far (filters.go)
	areas    int             // the runs of area pilot lists so far (areas.go)
	parent   string          // the connection whose nodes are being measured ("Query.regions")
	graphs   map[string]bool // the graph views counted so far (sizes.go)
	// graphNodes is Extension.GraphNodes; view is what one view counts,
	// asked of it once (0: not yet).
	graphNodes func() (int, error)
	view       int
}

func (mr *measurer) measure(set ast.SelectionSet, multiplier, depth int, est *Estimate) {
	doc, vars, visiting := mr.doc, mr.vars, mr.visiting
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			est.Fields++
			// Filters first: their walk stops at MaxFilterDepth, so the
			// list walk never meets input nested deeper than that.
			if mr.refused == nil {
				mr.refused = checkFilters(mr.schema, s, mr.vars, multiplier > 1, &mr.filters, &mr.edges)
			}
			if mr.refused == nil {
				mr.refused = checkLists(mr.schema, s, mr.vars)
			}
			if s.Alias != "" && s.Alias != s.Name {
				est.Aliases++
			}
			est.Depth = max(est.Depth, depth)
			m := multiplier
			parent := mr.parent
			if paging.IsConnection(s.Definition) {
				mr.areaRuns(s, multiplier, parent) // areas.go
				m = saturatingMul(multiplier, pageSize(s, vars))
				est.Nodes = saturatingAdd(est.Nodes, m)
				if s.ObjectDefinition != nil {
					mr.parent = s.ObjectDefinition.Name + "." + s.Name
				}
			} else {
				m = mr.sized(s, multiplier, est) // sizes.go
				if s.Name != "nodes" && s.Name != "edges" && s.Name != "node" {
					mr.parent = ""
				}
			}
			mr.measure(s.SelectionSet, m, depth+1, est)
			mr.parent = parent
		case *ast.InlineFragment:
			mr.measure(s.SelectionSet, multiplier, depth, est)
		case *ast.FragmentSpread:
			if visiting[s.Name] { // validation refuses cycles; never loop
				continue
			}
			if frag := doc.Fragments.ForName(s.Name); frag != nil {
				visiting[s.Name] = true
				mr.measure(frag.SelectionSet, multiplier, depth, est)
				delete(visiting, s.Name)
			}
		}
	}
}

// weight is the nodes a weighed field returns, 0 for others.
func (mr *measurer) weight(f *ast.Field) int {
	if mr.weights == nil || f.ObjectDefinition == nil {
		return 0
	}
	w, ok := mr.weights[f.ObjectDefinition.Name+"."+f.Name]
	if !ok {
		return 0
	}
	return w(f.ArgumentMap(mr.vars))
}

// pageSize is a connection's first or last, or the default page.
func pageSize(f *ast.Field, vars map[string]any) int {
	args := f.ArgumentMap(vars)
	for _, name := range []string{"first", "last"} {
		if v, ok := args[name]; ok && v != nil {
			if n, err := graphql.UnmarshalInt(v); err == nil && n >= 0 {
				return n
			}
		}
	}
	return paging.DefaultSize
}

const ceiling = 1 << 40

func saturatingMul(a, b int) int {
	if a != 0 && b > ceiling/a {
		return ceiling
	}
	return a * b
}

func saturatingAdd(a, b int) int { return min(a+b, ceiling) }
