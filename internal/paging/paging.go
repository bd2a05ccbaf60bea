// Package paging enforces Kokeilu's Relay paging rules on every connection
// field, generated or hand-written, root or nested:
//
//   - first/last default to 20 and may be at most 100 (GitHub's rules), and
//     only one of them may be given;
//   - malformed cursors, and cursors of another list or orderBy (cursor.go),
//     are bad input, not internal errors or rows of a meaningless position;
//   - `nodes` and aliased `edges` load data like `edges { node }` does.
//
// entgql reads paging arguments and selections straight from the query AST
// (for eager loading nested edges), so the rules are applied to a per-request
// copy of the AST that the field's resolver sees, never to the cached
// document and never to what is written to the response.
package paging

import (
	"context"
	"kokeilu/internal/fault"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"entgo.io/contrib/entgql"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

const (
	// DefaultSize is the page size when neither first nor last is given.
	DefaultSize = 20
	// MaxSize is the largest page a client may ask for.
	MaxSize = 100
)

// Rules is the gqlgen extension that applies the paging rules.
type Rules struct {
	// Computed maps a field that a resolver computes from columns, as
	// "Type.field" (e.g. "Municipality.name"), to the fields of those
	// columns ("nameFi", …) that it reads for the request (its context)
	// and the field's arguments. In the resolver's view of a query it
	// stands for them, so entgql loads those columns alone instead of
	// every column of the table (one field it cannot map makes it select
	// them all).
	Computed map[string]func(ctx context.Context, args map[string]any) []string
}

var (
	_ graphql.HandlerExtension        = Rules{}
	_ graphql.OperationContextMutator = Rules{}
	_ graphql.FieldInterceptor        = Rules{}
	_ graphql.OperationInterceptor    = Rules{}
)

func (Rules) ExtensionName() string                   { return "PagingRules" }
func (Rules) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext rejects out-of-range page sizes and malformed
// cursors before anything runs, as GitHub does, so no query is half-answered.
func (Rules) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	var bad *gqlerror.Error
	walk(oc.Doc, oc.Operation.SelectionSet, func(f *ast.Field) {
		if bad == nil && IsConnection(f.Definition) {
			bad = checkArgs(f, f.ArgumentMap(oc.Variables))
		}
	})
	return bad
}

func checkArgs(f *ast.Field, args map[string]any) *gqlerror.Error {
	if args["first"] != nil && args["last"] != nil {
		return badInput(f, "last", "pass first or last to %s, not both", f.Name)
	}
	for _, name := range []string{"first", "last"} {
		v, ok := args[name]
		if !ok || v == nil {
			continue
		}
		n, err := graphql.UnmarshalInt(v)
		if err != nil || n < 0 || n > MaxSize {
			return badInput(f, name, "%s on %s must be between 0 and %d, got %v", name, f.Name, MaxSize, v)
		}
	}
	for _, name := range []string{"after", "before"} {
		v, ok := args[name]
		if !ok || v == nil {
			continue
		}
		var c entgql.Cursor[int]
		if err := c.UnmarshalGQL(v); err != nil {
			return badInput(f, name, "%s on %s is not a valid cursor", name, f.Name)
		}
		if _, err := Values(&c, name, connectionTag(f, args)); err != nil {
			return badInput(f, name, "%s", err.Error())
		}
	}
	return nil
}

func badInput(f *ast.Field, arg, format string, args ...any) *gqlerror.Error {
	err := gqlerror.ErrorPosf(f.Position, format, args...)
	err.Extensions = map[string]any{"code": fault.BadUserInput, "field": arg}
	return err
}

// InterceptField gives a connection field's resolver the default page size,
// and every field with a selection the rewritten selection: entgql eager
// loads edges from a parent's resolver (node, lookups, Paginate), so the
// rules must already hold in the parent's view of the query.
func (Rules) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || len(fc.Field.Selections) == 0 {
		return next(ctx)
	}
	connection := IsConnection(fc.Field.Definition)
	if !connection && !selectsConnection(graphql.GetOperationContext(ctx).Doc, fc.Field.Selections) {
		return next(ctx) // nothing to page below: the common case of a leaf object
	}
	if connection && isNilInt(fc.Args["first"]) && isNilInt(fc.Args["last"]) {
		// A copy: the rows of a list share one map of parsed arguments
		// (graph's perSelection), which is never written.
		args := make(map[string]any, len(fc.Args)+1)
		maps.Copy(args, fc.Args)
		size := DefaultSize
		args["first"] = &size
		fc.Args = args
	}
	fc.Field = rewritten(ctx, fc.Field)
	return next(ctx)
}

// InterceptOperation gives each operation a cache of rewritten fields: the
// rows of a list share their fields' AST, so each is rewritten once.
func (r Rules) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	op := &operation{computed: r.Computed}
	ctx = context.WithValue(ctx, cacheKey{}, op)
	op.ctx = ctx
	return next(ctx)
}

type cacheKey struct{}

// operation is one operation's rewriting state.
type operation struct {
	fields   sync.Map // *ast.Field → its rewritten graphql.CollectedField
	mu       sync.Mutex
	lost     []graphql.CollectedField // rewrites another resolver's came before
	computed map[string]func(ctx context.Context, args map[string]any) []string
	ctx      context.Context // the operation's, for computed
}

func rewritten(ctx context.Context, f graphql.CollectedField) graphql.CollectedField {
	op, _ := ctx.Value(cacheKey{}).(*operation)
	if op == nil {
		op = &operation{}
	} else if c, ok := op.fields.Load(f.Field); ok {
		return c.(graphql.CollectedField)
	}
	field := op.rewriteField(graphql.GetOperationContext(ctx), f.Field, f.Selections)
	c := graphql.CollectedField{Field: field, Selections: field.SelectionSet}
	// Concurrent resolvers of one list may rewrite the same field at once;
	// all of them use the first rewrite. The others stay alive with the
	// operation: CollectFields' cache may hold their addresses (rewriteField).
	stored, lost := op.fields.LoadOrStore(f.Field, c)
	if lost {
		op.mu.Lock()
		op.lost = append(op.lost, c)
		op.mu.Unlock()
	}
	return stored.(graphql.CollectedField)
}

// IsConnection tells whether a field returns a Relay connection.
func IsConnection(def *ast.FieldDefinition) bool {
	return def != nil && def.Type != nil &&
		strings.HasSuffix(def.Type.Name(), "Connection") &&
		def.Arguments.ForName("first") != nil && def.Arguments.ForName("last") != nil
}

// rewriteField copies f with sel as its selections, applying the rules to
// every connection at or below it.
func (op *operation) rewriteField(oc *graphql.OperationContext, f *ast.Field, sel ast.SelectionSet) *ast.Field {
	c := *f
	c.SelectionSet = op.rewriteSelections(oc, sel)
	if IsConnection(f.Definition) {
		c.Arguments = withDefaultFirst(f, oc.Variables)
		// Room for edgesFor's field first: graphql.CollectFields caches by
		// a selection set's address and length, as a uintptr, so the set
		// edgesFor collects must stay alive for the operation, not be
		// dropped by a growing append and its address reused by another.
		c.SelectionSet = slices.Grow(c.SelectionSet, 1)
		c.SelectionSet = append(c.SelectionSet, edgesFor(oc, c.SelectionSet)...)
	}
	return &c
}

func (op *operation) rewriteSelections(oc *graphql.OperationContext, set ast.SelectionSet) ast.SelectionSet {
	out := make(ast.SelectionSet, 0, len(set))
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			if columns := op.columnsOf(oc, s); columns != nil {
				out = append(out, columns...)
				continue
			}
			out = append(out, op.rewriteField(oc, s, s.SelectionSet))
		case *ast.InlineFragment:
			c := *s
			c.SelectionSet = op.rewriteSelections(oc, s.SelectionSet)
			out = append(out, &c)
		case *ast.FragmentSpread:
			// Spreads are looked up by name in the cached document, so the
			// copy inlines them to carry the rewritten selections.
			frag := oc.Doc.Fragments.ForName(s.Name)
			if frag == nil {
				continue
			}
			out = append(out, &ast.InlineFragment{
				TypeCondition:    frag.TypeCondition,
				Directives:       s.Directives,
				SelectionSet:     op.rewriteSelections(oc, frag.SelectionSet),
				ObjectDefinition: frag.Definition,
				Position:         s.Position,
			})
		}
	}
	return out
}

// columnsOf returns the fields that stand for f when a resolver computes
// it from columns (Rules.Computed), or nil.
func (op *operation) columnsOf(oc *graphql.OperationContext, f *ast.Field) ast.SelectionSet {
	if f.ObjectDefinition == nil || len(op.computed) == 0 || op.ctx == nil {
		return nil
	}
	reads := op.computed[f.ObjectDefinition.Name+"."+f.Name]
	if reads == nil {
		return nil
	}
	names := reads(op.ctx, f.ArgumentMap(oc.Variables))
	out := make(ast.SelectionSet, 0, len(names))
	for _, name := range names {
		def := f.ObjectDefinition.Fields.ForName(name)
		if def == nil {
			return nil // a misnamed column field: load every column as before
		}
		out = append(out, &ast.Field{Alias: name, Name: name, Definition: def, ObjectDefinition: f.ObjectDefinition, Position: f.Position})
	}
	return out
}

// edgesFor returns a synthetic `edges { node { … } }` selection that holds
// what `nodes`, aliased `edges` and aliased `node`s select: entgql loads
// rows, and the connections below them, only for `edges { node }`
// unaliased. graphql.CollectFields merges it with a real unaliased `edges`,
// and their `node`s, which it does only for fields of the same object type
// (ObjectDefinition): without one, entgql collected the real `edges` alone,
// and `nodes` answered a nested page from what `edges` loaded with its own
// arguments. Resolution only: the response follows the original query.
func edgesFor(oc *graphql.OperationContext, set ast.SelectionSet) ast.SelectionSet {
	var nodeSel ast.SelectionSet
	var edgesDef, nodeDef *ast.FieldDefinition
	var connection *ast.Definition
	for _, f := range graphql.CollectFields(oc, set, nil) {
		connection = f.ObjectDefinition
		switch {
		case f.Name == "nodes":
			nodeSel = append(nodeSel, f.Selections...)
		case f.Name == "edges":
			for _, e := range graphql.CollectFields(oc, f.Selections, nil) {
				// The real edges' own node is collected as it is.
				if e.Name == "node" && (f.Alias != "edges" || e.Alias != "node") {
					nodeSel = append(nodeSel, e.Selections...)
					nodeDef = e.Definition
				}
			}
			edgesDef = f.Definition
		}
	}
	if nodeSel == nil {
		return nil
	}
	if edgesDef == nil || nodeDef == nil {
		edgesDef, nodeDef = edgeDefinitions(oc, set)
	}
	var edge *ast.Definition // the edge type, by name as CollectFields compares it
	if edgesDef != nil && edgesDef.Type != nil {
		edge = &ast.Definition{Kind: ast.Object, Name: edgesDef.Type.Name()}
	}
	node := &ast.Field{Alias: "node", Name: "node", Definition: nodeDef, ObjectDefinition: edge, SelectionSet: nodeSel}
	return ast.SelectionSet{&ast.Field{Alias: "edges", Name: "edges", Definition: edgesDef, ObjectDefinition: connection, SelectionSet: ast.SelectionSet{node}}}
}

// edgeDefinitions finds the schema definitions of a connection's edges and
// node fields from the connection type of any field in set.
func edgeDefinitions(oc *graphql.OperationContext, set ast.SelectionSet) (*ast.FieldDefinition, *ast.FieldDefinition) {
	for _, f := range graphql.CollectFields(oc, set, nil) {
		if f.ObjectDefinition == nil {
			continue
		}
		edges := f.ObjectDefinition.Fields.ForName("edges")
		if edges == nil {
			continue
		}
		return edges, &ast.FieldDefinition{Name: "node", Type: ast.NamedType(strings.TrimSuffix(f.ObjectDefinition.Name, "Connection"), nil)}
	}
	return nil, nil
}

// withDefaultFirst returns f's arguments with `first: 20` added when neither
// first nor last has a value.
func withDefaultFirst(f *ast.Field, vars map[string]any) ast.ArgumentList {
	args := f.ArgumentMap(vars)
	if args["first"] != nil || args["last"] != nil {
		return f.Arguments
	}
	out := make(ast.ArgumentList, 0, len(f.Arguments)+1)
	for _, a := range f.Arguments {
		if a.Name != "first" && a.Name != "last" {
			out = append(out, a)
		}
	}
	return append(out, &ast.Argument{
		Name:  "first",
		Value: &ast.Value{Kind: ast.IntValue, Raw: strconv.Itoa(DefaultSize)},
	})
}

// selectsConnection tells whether any field at or below set is a connection.
func selectsConnection(doc *ast.QueryDocument, set ast.SelectionSet) bool {
	found := false
	walk(doc, set, func(f *ast.Field) {
		found = found || IsConnection(f.Definition)
	})
	return found
}

// walk calls fn for every field of set, following fragments.
func walk(doc *ast.QueryDocument, set ast.SelectionSet, fn func(*ast.Field)) {
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			fn(s)
			walk(doc, s.SelectionSet, fn)
		case *ast.InlineFragment:
			walk(doc, s.SelectionSet, fn)
		case *ast.FragmentSpread:
			if frag := doc.Fragments.ForName(s.Name); frag != nil {
				walk(doc, frag.SelectionSet, fn)
			}
		}
	}
}

func isNilInt(v any) bool {
	p, _ := v.(*int)
	return p == nil
}
