package server_test

import (
	"strings"
	"testing"

	"kokeilu/internal/testdb"
)

// TestNoSuggestions: no error answers "Did you mean …", which would map the
// schema for a prober with introspection off. A hostile review found that
// gqlgen's switch silenced only the output fields: misspelt input fields,
// enum values, argument and type names were still answered with the right
// name.
func TestNoSuggestions(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	cases := []struct {
		name, query string
		vars        map[string]any
	}{
		{"output field", `{ pilots { totalCont } }`, nil},
		{"input field", `{ pilots(where: {titl: "x"}) { totalCount } }`, nil},
		{"enum value", `{ pilots(orderBy: [{field: TITL}]) { totalCount } }`, nil},
		{"both", `{ pilots(where:{titl:"x"}, orderBy:[{field:TITL}]) { totalCount } }`, nil},
		{"enum value in a variable", `query($o: [PilotOrder!]) { pilots(orderBy: $o) { totalCount } }`, map[string]any{"o": []any{map[string]any{"field": "TITL"}}}},
		{"input field in a variable", `query($w: PilotWhereInput) { pilots(where: $w) { totalCount } }`, map[string]any{"w": map[string]any{"titl": "x"}}},
		{"argument name", `{ pilots(frist: 1) { totalCount } }`, nil},
		{"type name in a fragment", `{ pilots { ...f } } fragment f on PilotConection { totalCount }`, nil},
		{"type name of a variable", `query($w: PilotWhereImput) { pilots(where: $w) { totalCount } }`, nil},
		{"directive", `{ pilots @skipp(if: true) { totalCount } }`, nil},
		{"leaf without selection", `{ pilots }`, nil},
		{"selection on a leaf", `{ pilots { totalCount { x } } }`, nil},
		{"inline fragment hint", `{ node(id: "x") { title } }`, nil},
	}
	for _, c := range cases {
		res := a.post(c.query, c.vars)
		if len(res.Errors) == 0 {
			t.Errorf("%s: no error", c.name)
		}
		for _, e := range res.Errors {
			if strings.Contains(strings.ToLower(e.Message), "did you mean") {
				t.Errorf("%s: %q", c.name, e.Message)
			}
		}
	}
}
