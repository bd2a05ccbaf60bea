package graph

import (
	"context"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// field finds the first field named name in a query validated against the
// schema.
func field(t *testing.T, query, name string) graphql.CollectedField {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(parsedSchema, query)
	if errs != nil {
		t.Fatal(errs)
	}
	var found *ast.Field
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			if f, ok := sel.(*ast.Field); ok {
				if f.Name == name && found == nil {
					found = f
				}
				walk(f.SelectionSet)
			}
		}
	}
	walk(doc.Operations[0].SelectionSet)
	if found == nil {
		t.Fatalf("no %s in %s", name, query)
	}
	return graphql.CollectedField{Field: found, Selections: found.SelectionSet}
}

// TestFieldArgsParsesOncePerSelection: scalar and enum arguments are parsed
// once per field of the document; where inputs (which WhereScope scopes in
// place) are parsed for every object, each into a map of its own; the
// kept maps are shared (nothing writes to them: the paging rules give a
// connection its default size in a copy, TestDefaultSizeLeavesArgsAlone).
func TestFieldArgsParsesOncePerSelection(t *testing.T) {
	oc := &graphql.OperationContext{Variables: map[string]any{}}
	ctx := context.Background()
	for _, c := range []struct {
		query, field string
		parses       int
		ownMap       bool
	}{
		{`{ pilotStats(groupBy: [THEME]) { buckets { keys { name(lang: SV) } } } }`, "name", 1, false},
		{`{ pilotStats(groupBy: [THEME]) { buckets { keys { name } } } }`, "name", 1, false},
		{`{ regions { nodes { pilots(first: 2) { totalCount } } } }`, "pilots", 1, false},
		{`{ regions { nodes { pilots { totalCount } } } }`, "pilots", 1, false},
		{`{ regions { nodes { pilots(where: {status: ACTIVE}) { totalCount } } } }`, "pilots", 3, true},
	} {
		f := field(t, c.query, c.field)
		var s perSelection
		parses := 0
		parse := func(_ context.Context, raw map[string]any) (map[string]any, error) {
			parses++
			args := map[string]any{}
			for k, v := range raw {
				args[k] = v
			}
			return args, nil
		}
		var maps []map[string]any
		for range 3 {
			args, err := s.fieldArgs(&ctx, &graphql.FieldContext{Field: f}, oc, f, parse)
			if err != nil {
				t.Fatal(err)
			}
			maps = append(maps, args)
		}
		if parses != c.parses {
			t.Errorf("%s: parsed %d times for 3 objects, want %d", c.query, parses, c.parses)
		}
		maps[0]["x"] = 1
		if _, shared := maps[1]["x"]; shared == c.ownMap {
			t.Errorf("%s: map shared between objects: %v, want %v", c.query, shared, !c.ownMap)
		}
	}
}
