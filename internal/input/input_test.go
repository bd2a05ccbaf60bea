package input

import (
	"reflect"
	"testing"
)

func TestList(t *testing.T) {
	m := map[string]any{"a": 1}
	for _, c := range []struct {
		in   any
		want []any
	}{
		{nil, nil},
		{"x", nil},
		{m, nil},
		{[]any{m, "x"}, []any{m, "x"}},
		{[]map[string]any{m}, []any{m}},
		{[]string{"REGION", "THEME"}, []any{"REGION", "THEME"}},
	} {
		if got := List(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("List(%#v) = %#v, want %#v", c.in, got, c.want)
		}
	}
}
