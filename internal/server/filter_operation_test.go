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
// (cost.MaxFilterChain); the 21-level chain is refused on its own
// (TestFilterBoundsEdge).
func TestFilterWorkBoundedPerOperation(t *testing.T) {
	chain := map[string]any{}
	edges := []string{"hasMunicipalitiesWith", "hasPilotsWith"}
	n := cost.MaxFilterChain
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

// TestFilterEdgesWeighByDepth (found by a hostile review): the edge tests
// of an operation's filters were counted, at most 4, so dashboard filters
// were refused: 5 aliases with one hasThemesWith each, or a panel of 5
// independent has… conditions. A chain is the costly shape: each edge test
// now weighs 1 + the has…With around it, at most cost.MaxFilterEdges
// together, and they nest at most cost.MaxFilterChain deep (chains of 3
// and 4, within the weight, ran to the 10 s timeout on 20,000 pilots).
// Siblings up to 12 pass (cost.MaxFilterEdges); a chain of 2 does, one of
// 3 does not.
func TestFilterEdgesWeighByDepth(t *testing.T) {
	var aliases strings.Builder
	for i := range 8 {
		fmt.Fprintf(&aliases, `a%d: pilots(where: {hasThemesWith: {slugNEQ: "t%d"}}) { totalCount } `, i, i)
	}
	panel := `{ pilots(where: {hasThemesWith: {slugNEQ: "a"}, hasMunicipalitiesWith: {codeNEQ: "005"}, hasOrganizations: true,
		hasNetworks: false, hasLeadMunicipality: true, hasWorkspace: false, hasCreatedBy: false,
		and: [{hasThemesWith: {slugNEQ: "b"}}]}) { totalCount } }`
	// chain is n has…With, each inside the one before (weighing 1+2+…+n),
	// around leaf, after the conditions extra.
	chain := func(n int, extra, leaf string) string {
		w := leaf
		for i := range n - 1 {
			w = fmt.Sprintf("{%s: %s}", []string{"hasPilotsWith", "hasMunicipalitiesWith"}[(n-2-i)%2], w)
		}
		return `{ pilots(where: {` + extra + ` hasLeadMunicipalityWith: ` + w + `}) { totalCount } }`
	}
	testdb.Each(t, func(t *testing.T, be testdb.Backend) {
		a := newAPI(t, be, true)
		for name, q := range map[string]string{
			"8 aliases with one hasThemesWith each": "{ " + aliases.String() + "}",
			"8 has… conditions side by side":        panel,
			"a chain of 2":                          chain(2, "", "{}"),
			"a chain of 2 ending in a has… test":    chain(1, "", "{hasRegion: true}"),
			"three chains of 2 and one more test":   chain(2, "hasThemes: true, hasMunicipalitiesWith: {hasRegionWith: {}}, hasNetworksWith: {hasPilotsWith: {}},", "{}"),
			"a has…With around four has… tests":     chain(1, "", "{hasPilots: true, hasRegion: true, hasLedPilotsWith: {}, hasWellbeingCountyWith: {}}"),
			// pilotStats runs its filter twice: its tests weigh double.
			"pilotStats with 5 has… side by side": `{ pilotStats(groupBy: [REGION], where: {hasThemes: true, hasNetworks: true, hasOrganizations: true, hasWorkspace: false, hasCreatedBy: false}) { total } }`,
			"pilotStats with one chain of 2":      `{ pilotStats(groupBy: [REGION], where: {hasMunicipalitiesWith: {hasRegion: true}}) { total } }`,
			"pilotStats with an or of 6 has…":     `{ pilotStats(groupBy: [REGION], where: {or: [{hasThemes: true}, {hasNetworks: true}, {hasOrganizations: true}, {hasWorkspace: true}, {hasCreatedBy: true}, {hasMunicipalities: true}]}) { total } }`,
			"pilotStats, 2 aliases of a chain of 2": `{ a: pilotStats(groupBy: [REGION], where: {hasMunicipalitiesWith: {hasRegion: true}}) { total }
				b: pilotStats(groupBy: [THEME], where: {hasMunicipalitiesWith: {hasRegion: true}}) { total } }`,
		} {
			if res := a.post(q, nil); len(res.Errors) > 0 {
				t.Errorf("%s: %.300v", name, res.Errors)
			}
		}
		for name, q := range map[string]string{
			"a chain of 3":                    chain(3, "", "{}"),
			"a has… test inside two has…With": chain(2, "", "{hasWorkspace: true}"),
			"a chain of 4":                    chain(4, "", "{}"),
			"a chain of 2 and 10 more tests":  chain(2, "hasThemes: true, hasNetworks: true, hasOrganizations: true, hasWorkspace: true, hasCreatedBy: true, hasMunicipalities: true, hasThemesWith: {}, hasNetworksWith: {}, hasOrganizationsWith: {}, hasMunicipalitiesWith: {},", "{}"),
			"10 aliases and a 2-level chain":  "{ " + aliases.String() + ` c: pilots(where: {hasThemesWith: {slugNEQ: "c"}}) { totalCount } d: pilots(where: {hasThemesWith: {slugNEQ: "d"}}) { totalCount } b: pilots(where: {hasThemesWith: {hasPilotsWith: {}}}) { totalCount } }`,
			"pilotStats with an or of 7 has…": `{ pilotStats(groupBy: [REGION], where: {or: [{hasThemes: true}, {hasNetworks: true}, {hasOrganizations: true}, {hasWorkspace: true}, {hasCreatedBy: true}, {hasMunicipalities: true}, {hasLeadMunicipality: true}]}) { total } }`,
			"pilotStats, 3 aliases of a chain of 2": `{ a: pilotStats(groupBy: [REGION], where: {hasMunicipalitiesWith: {hasRegion: true}}) { total }
				b: pilotStats(groupBy: [THEME], where: {hasMunicipalitiesWith: {hasRegion: true}}) { total }
				c: pilotStats(groupBy: [STATUS], where: {hasMunicipalitiesWith: {hasRegion: true}}) { total } }`,
		} {
			res := a.post(q, nil)
			if len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != "where" {
				t.Errorf("%s: want BAD_USER_INPUT on where, got %.300v", name, res.Errors)
			}
		}
	})
}
