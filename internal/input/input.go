// Package input reads argument values as gqlparser hands them over.
package input

import "reflect"

// List is v as a list, or nil when v is not one. A list argument arrives as
// []any from JSON or a literal, but gqlparser coerces a single value given
// for a list in variables into a typed slice (e.g. []map[string]any), so a
// walk that only knew []any skipped it; every walk over argument values
// reads lists through here.
func List(v any) []any {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return nil
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out
}
