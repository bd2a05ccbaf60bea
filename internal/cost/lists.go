package cost

import (
	"fmt"
	"sort"

	"kokeilu/internal/fault"
	"kokeilu/internal/input"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// List bounds, checked on every field's arguments (variables resolved)
// before anything runs: each element of an `…In` list, of nodes(ids:) or of
// an or/and list can become one SQL bind parameter, and a statement takes
// at most 32,766 of them on SQLite and 65,535 on PostgreSQL.
const (
	MaxList       = 1_000  // elements of one list argument or list input field
	MaxListsTotal = 10_000 // elements of all lists in one field's arguments together
)

// checkLists refuses a field whose arguments hold a list over MaxList, or
// lists over MaxListsTotal together, as BAD_USER_INPUT naming the input
// field (extensions.field, e.g. "where.slugIn"). schema (nil: only the
// argument's own type is known) gives the input fields' types.
func checkLists(schema *ast.Schema, f *ast.Field, vars map[string]any) *gqlerror.Error {
	total := 0
	for _, arg := range f.Arguments {
		v, err := arg.Value.Value(vars)
		if err != nil {
			continue // validation has refused it already
		}
		if path, n := longList(schema, arg.Value.ExpectedType, arg.Name, v, &total); n > 0 {
			return listError(f, path, fmt.Sprintf("%s has %d elements; a list takes at most %d", path, n, MaxList))
		}
		if total > MaxListsTotal {
			return listError(f, arg.Name, fmt.Sprintf("the lists in %s have %d elements together; at most %d are allowed", f.Name, total, MaxListsTotal))
		}
	}
	return nil
}

// longList is the first list within v, of type t (named path), over
// MaxList and its length, or n == 0; it adds the elements of the lists it
// walks to total. Where t is a list, a lone value is a list of one, as
// input coercion makes it: `statusIn: ACTIVE` counts as `[ACTIVE]`. Where
// the type is not known, only slices are lists.
func longList(schema *ast.Schema, t *ast.Type, path string, v any, total *int) (string, int) {
	if v == nil {
		return "", 0
	}
	if m, ok := v.(map[string]any); ok && (t == nil || t.Elem == nil) {
		var def *ast.Definition
		if schema != nil && t != nil {
			def = schema.Types[t.NamedType]
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys) // the same answer for the same input
		for _, k := range keys {
			var ft *ast.Type
			if def != nil {
				if f := def.Fields.ForName(k); f != nil {
					ft = f.Type
				}
			}
			if p, n := longList(schema, ft, path+"."+k, m[k], total); n > 0 {
				return p, n
			}
		}
		return "", 0
	}
	var list []any
	switch {
	case t != nil && t.Elem != nil:
		list = input.List(v)
	case t == nil:
		list, _ = input.Slice(v)
	}
	if len(list) > MaxList {
		return path, len(list)
	}
	*total += len(list)
	var elem *ast.Type
	if t != nil {
		elem = t.Elem
	}
	for _, e := range list {
		if p, n := longList(schema, elem, path, e, total); n > 0 {
			return p, n
		}
	}
	return "", 0
}

func listError(f *ast.Field, field, message string) *gqlerror.Error {
	err := gqlerror.ErrorPosf(f.Position, "%s: %s", f.Name, message)
	err.Extensions = map[string]any{"code": fault.BadUserInput, "field": field}
	return err
}
