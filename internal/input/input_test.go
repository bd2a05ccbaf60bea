package input

import (
	"reflect"
	"testing"
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
