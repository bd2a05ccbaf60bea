package input

import (
	"reflect"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

func TestList(t *testing.T) {
	m := map[string]any{"a": 1}
	for _, c := range []struct {
		in      any
		list    []any
		slice   []any
		isSlice bool
	}{
		{nil, nil, nil, false},
		{"x", []any{"x"}, nil, false},
		{m, []any{m}, nil, false},
		{[]any{}, []any{}, []any{}, true},
		{[]any{m, "x"}, []any{m, "x"}, []any{m, "x"}, true},
		{[]map[string]any{m}, []any{m}, []any{m}, true},
		{[]string{"REGION", "THEME"}, []any{"REGION", "THEME"}, []any{"REGION", "THEME"}, true},
	} {
		if got := List(c.in); !reflect.DeepEqual(got, c.list) {
			t.Errorf("List(%#v) = %#v, want %#v", c.in, got, c.list)
		}
		if got, ok := Slice(c.in); ok != c.isSlice || !reflect.DeepEqual(got, c.slice) {
			t.Errorf("Slice(%#v) = %#v, %v; want %#v, %v", c.in, got, ok, c.slice, c.isSlice)
		}
	}
}

func TestCoerce(t *testing.T) {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: `
		type Query { f(filter: Filter, tags: [String!]): Int }
		enum Kind { A B }
		input Filter { kinds: [Kind!], name: String, or: [Filter!], not: Filter }`})
	filter := &ast.Type{NamedType: "Filter"}
	tags := ast.ListType(ast.NonNullNamedType("String", nil), nil)
	for _, c := range []struct {
		typ     *ast.Type
		in, out any
	}{
		{filter, nil, nil},
		{tags, "x", []any{"x"}},
		{tags, []string{"x", "y"}, []any{"x", "y"}},
		{filter, map[string]any{"kinds": "A", "name": "n"}, map[string]any{"kinds": []any{"A"}, "name": "n"}},
		{filter, map[string]any{"kinds": []any{"A"}}, map[string]any{"kinds": []any{"A"}}},
		{filter, map[string]any{"or": map[string]any{"kinds": "B"}, "not": map[string]any{"kinds": []string{"A"}}},
			map[string]any{"or": []any{map[string]any{"kinds": []any{"B"}}}, "not": map[string]any{"kinds": []any{"A"}}}},
		{filter, map[string]any{"kinds": nil, "unknown": "z"}, map[string]any{"kinds": nil, "unknown": "z"}},
	} {
		if got := Coerce(schema, c.typ, c.in); !reflect.DeepEqual(got, c.out) {
			t.Errorf("Coerce(%s, %#v) = %#v, want %#v", c.typ, c.in, got, c.out)
		}
	}
}
