package server_test

import (
	"fmt"
	"strings"
	"testing"

	"kokeilu/internal/cost"
	"kokeilu/internal/testdb"
)

// TestFilterWorkBoundedPerOperation (found by a hostile review): the filter
// bounds were per argument, so 100 aliases (the alias limit) each carrying
// the largest has…With chain a filter may have (size ≤ 500) passed every
// check; on 20,000 generated pilots one such filter takes ~7 s and the
// operation ran to the 10 s request timeout while a concurrent small query
// waited 9 s. The filters of one operation now count together
// (cost.MaxFilterSizeTotal, cost.MaxFilterEdges); the operation is refused
// before it runs. The chain is now as long as one operation may have
// (cost.MaxFilterEdges); the 21-level chain is refused on its own
// (TestFilterBoundsEdge).
func TestFilterWorkBoundedPerOperation(t *testing.T) {
	chain := map[string]any{}
	edges := []string{"hasMunicipalitiesWith", "hasPilotsWith"}
	n := cost.MaxFilterEdges
	for i := n - 1; i >= 0; i-- {
		chain = map[string]any{edges[i%2]: chain}
	}
	var b strings.Builder
	for i := range 100 {
		fmt.Fprintf(&b, "a%d: pilots(where: $w) { totalCount } ", i)
	}
	query := "query($w: PilotWhereInput) { " + b.String() + "}"
	testdb.Each(t, func(t *testing.T, be testdb.Backend) {
		a := newAPI(t, be, true)
		one := a.post(`query($w: PilotWhereInput) { pilots(where: $w) { totalCount } }`, map[string]any{"w": chain})
		if len(one.Errors) > 0 {
			t.Fatalf("the %d-level chain alone should be accepted: %.300v", n, one.Errors)
		}
		res := a.post(query, map[string]any{"w": chain})
		if len(res.Errors) == 0 {
			t.Errorf("100 aliases × a %d-level has…With chain (each within the filter bounds) ran; want the operation refused before it runs", n)
			return
		}
		if c := res.Errors[0].code(); c != "COST_LIMIT_EXCEEDED" && c != "BAD_USER_INPUT" {
			t.Errorf("want COST_LIMIT_EXCEEDED or BAD_USER_INPUT, got %.300v", res.Errors)
		}
	})
}
