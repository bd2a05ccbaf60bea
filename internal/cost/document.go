package cost

import (
	"context"

	"kokeilu/internal/fault"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// Document is the shape of a parsed document, before validation: every
// operation with its fragments expanded, then the fragments no operation
// spreads (validation walks them all).
type Document struct {
	// Fields counts selections: fields, fragment spreads and inline
	// fragments, a fragment's selections wherever it is spread.
	Fields     int
	Aliases    int
	Depth      int // nesting of fields
	Directives int
	// Overlaps counts the pairs of fields with one response name in one
	// selection set — fragments and the selections of same-named fields
	// merged — each weighted by 1 + its arguments: the work of gqlparser's
	// overlapping-fields check, quadratic in a repeated field.
	Overlaps int
}

// maxSteps stops the walk of a fragment bomb (fragments spreading others
// many times over): its count is then at least this, far over any limit.
const maxSteps = 10_000

// MeasureDocument measures doc without the schema, in at most maxSteps
// steps whatever its fragments do.
func MeasureDocument(doc *ast.QueryDocument) Document {
	w := docWalker{doc: doc, visiting: map[string]bool{}, reached: map[string]bool{}}
	for _, op := range doc.Operations {
		w.m.Directives += len(op.Directives)
		for _, v := range op.VariableDefinitions {
			w.m.Directives += len(v.Directives)
		}
		w.walk(op.SelectionSet, 1)
	}
	for _, f := range doc.Fragments {
		if !w.reached[f.Name] {
			w.fragment(f, 1)
		}
	}
	for _, op := range doc.Operations {
		w.overlaps([]ast.SelectionSet{op.SelectionSet})
	}
	for _, f := range doc.Fragments { // validated on their own too
		w.overlaps([]ast.SelectionSet{f.SelectionSet})
	}
	return w.m
}

// overlaps adds the pairs of same-named fields in the merged selection set
// made of sets, then does the same for each name's merged selections (a
// superset of the pairs validation compares between them).
func (w *docWalker) overlaps(sets []ast.SelectionSet) {
	groups := map[string][]*ast.Field{}
	var names []string
	visiting := map[string]bool{}
	var collect func(ast.SelectionSet)
	collect = func(set ast.SelectionSet) {
		for _, sel := range set {
			if w.steps >= maxSteps {
				return
			}
			w.steps++
			switch s := sel.(type) {
			case *ast.Field:
				name := s.Alias
				if name == "" {
					name = s.Name
				}
				if _, ok := groups[name]; !ok {
					names = append(names, name)
				}
				groups[name] = append(groups[name], s)
			case *ast.InlineFragment:
				collect(s.SelectionSet)
			case *ast.FragmentSpread:
				if f := w.doc.Fragments.ForName(s.Name); f != nil && !visiting[s.Name] {
					visiting[s.Name] = true
					collect(f.SelectionSet)
					delete(visiting, s.Name)
				}
			}
		}
	}
	for _, set := range sets {
		collect(set)
	}
	for _, name := range names {
		fields := groups[name]
		args := 0
		var subs []ast.SelectionSet
		for _, f := range fields {
			args = max(args, len(f.Arguments))
			if len(f.SelectionSet) > 0 {
				subs = append(subs, f.SelectionSet)
			}
		}
		k := len(fields)
		w.m.Overlaps = saturatingAdd(w.m.Overlaps, saturatingMul(k*(k-1)/2, 1+args))
		if len(subs) > 0 && w.steps < maxSteps {
			w.overlaps(subs)
		}
	}
}

type docWalker struct {
	doc      *ast.QueryDocument
	m        Document
	visiting map[string]bool // fragments being expanded: validation refuses cycles, the walk skips them
	reached  map[string]bool
	steps    int // of the overlaps walk, which a cycle through a field's selections would not end
}

func (w *docWalker) walk(set ast.SelectionSet, depth int) {
	for _, sel := range set {
		if w.m.Fields >= maxSteps {
			return
		}
		w.m.Fields++
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				w.m.Aliases++
			}
			w.m.Directives += len(s.Directives)
			w.m.Depth = max(w.m.Depth, depth)
			w.walk(s.SelectionSet, depth+1)
		case *ast.InlineFragment:
			w.m.Directives += len(s.Directives)
			w.walk(s.SelectionSet, depth)
		case *ast.FragmentSpread:
			w.m.Directives += len(s.Directives)
			if f := w.doc.Fragments.ForName(s.Name); f != nil && !w.visiting[s.Name] {
				w.fragment(f, depth)
			}
		}
	}
}

func (w *docWalker) fragment(f *ast.FragmentDefinition, depth int) {
	w.reached[f.Name] = true
	w.visiting[f.Name] = true
	w.m.Directives += len(f.Directives)
	w.walk(f.SelectionSet, depth)
	delete(w.visiting, f.Name)
}

// Check refuses a document over the limits: the first measure over its
// limit, as COST_LIMIT_EXCEEDED.
func (l Limits) Check(d Document) *gqlerror.Error {
	for _, c := range []struct {
		name         string
		value, limit int
	}{
		{"depth", d.Depth, l.Depth},
		{"aliases", d.Aliases, l.Aliases},
		{"directives", d.Directives, l.Directives},
		{"fields", d.Fields, l.Fields},
		{"overlaps", d.Overlaps, l.Overlaps},
	} {
		if c.limit > 0 && c.value > c.limit {
			return exceeded(c.name, c.value, c.limit)
		}
	}
	return nil
}

func exceeded(measure string, value, limit int) *gqlerror.Error {
	err := gqlerror.Errorf("the query is too large: %s %d, the limit is %d", measure, value, limit)
	err.Extensions = map[string]any{"code": fault.CostLimitExceeded, "measure": measure, "cost": value, "limit": limit}
	return err
}

// MutateOperationParameters parses the document with the token limit and
// applies the document limits before gqlgen validates it: validation is
// superlinear in the size of a selection set (8,000 fields cost seconds),
// so nothing over the limits may reach it. Documents in Validated (gqlgen's
// cache of validated documents) have passed already.
func (e Extension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if e.Validated != nil {
		if _, ok := e.Validated.Get(ctx, p.Query); ok {
			return nil
		}
	}
	if err := ctx.Err(); err != nil {
		return timedOut()
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, e.Limits.Tokens)
	if err != nil {
		gqlErr, ok := err.(*gqlerror.Error)
		if !ok {
			gqlErr = gqlerror.Wrap(err)
		}
		errcode.Set(gqlErr, errcode.ParseFailed)
		return gqlErr
	}
	if err := e.Limits.Check(MeasureDocument(doc)); err != nil {
		return err
	}
	if ctx.Err() != nil { // the client left or the request timed out: do not validate
		return timedOut()
	}
	return nil
}

func timedOut() *gqlerror.Error {
	err := gqlerror.Errorf("the request timed out before its query was validated")
	err.Extensions = map[string]any{"code": fault.Timeout}
	return err
}
