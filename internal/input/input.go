// Package input reads argument values as gqlparser hands them over.
package input

import (
	"reflect"

	"github.com/vektah/gqlparser/v2/ast"
)

// List is v, the value of a list-typed argument or input field, as the list
// GraphQL's input coercion makes of it: nil for null or absent, the
// elements of a slice, and a list of one for a single value
// (`orderBy: {field: SLUG}` is `orderBy: [{field: SLUG}]`). A list arrives
// as []any from JSON or a literal, but a literal single value stays
// unwrapped in ArgumentMap, and gqlparser coerces a single value given in
// variables into a typed slice (e.g. []map[string]any), so every reader of a
// list argument goes through here. A walk that does not know the types
// reads lists with Slice instead.
func List(v any) []any {
	if v == nil {
		return nil
	}
	if s, ok := Slice(v); ok {
		return s
	}
	return []any{v}
}

// Slice is v as a list when it is a slice of any element type, else
// (nil, false).
func Slice(v any) ([]any, bool) {
	switch v := v.(type) {
	case nil:
		return nil, false
	case []any:
		return v, true
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// Coerce is v, a value of type t as gqlparser hands it over, with every
// list within it as GraphQL's input coercion makes it (List): written bare
// or as a list of one, a value comes out the same, so it can be compared
// or used as a key. Input objects are walked by their fields' types
// (schema); other values are left as they are.
func Coerce(schema *ast.Schema, t *ast.Type, v any) any {
	if v == nil || t == nil {
		return v
	}
	if t.Elem != nil {
		list := List(v)
		out := make([]any, len(list))
		for i, e := range list {
			out[i] = Coerce(schema, t.Elem, e)
		}
		return out
	}
	m, ok := v.(map[string]any)
	def := schema.Types[t.NamedType]
	if !ok || def == nil || def.Kind != ast.InputObject {
		return v
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		if f := def.Fields.ForName(k); f != nil {
			e = Coerce(schema, f.Type, e)
		}
		out[k] = e
	}
	return out
}
