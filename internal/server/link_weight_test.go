package server_test

import (
	"testing"

	"kokeilu/internal/testdb"
)

// TestLinkWeightsAreBounded: a link's weight is 0.001–1,000. 1e308 (two
// parallel links summed to +Inf), the denormal 5e-324 and 0 made the graph
// algorithms answer INTERNAL or never return; they are refused at input
// with BAD_USER_INPUT naming weight.
func TestLinkWeightsAreBounded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		token, _ := a.register("weights@example.fi", "Weights")
		var ids struct{ A, B struct{ ID string } }
		a.query(&ids, `{ a: municipality(code: "091") { id } b: municipality(code: "049") { id } }`, nil)
		const create = `mutation($s: ID!, $t: ID!, $w: Float) { createLink(input: {sourceID: $s, targetID: $t, weight: $w}) { weight } }`
		for _, w := range []float64{1e308, 5e-324, 0, -1, 1000.5, 0.0009} {
			res := a.post(create, map[string]any{"s": ids.A.ID, "t": ids.B.ID, "w": w}, bearer(token)...)
			if len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != "weight" {
				t.Errorf("weight %g: want BAD_USER_INPUT on weight, got %+v", w, res.Errors)
			}
		}
		for _, w := range []float64{0.001, 1, 1000} {
			var out struct{ CreateLink struct{ Weight float64 } }
			a.query(&out, create, map[string]any{"s": ids.A.ID, "t": ids.B.ID, "w": w}, bearer(token)...)
			if out.CreateLink.Weight != w {
				t.Errorf("weight %g stored as %g", w, out.CreateLink.Weight)
			}
		}
	})
}
