package server_test

import (
	"fmt"
	"strings"
	"testing"

	"kokeilu/internal/testdb"
)

// TestFilterAreaCodesWeighAsEdges (found by a hostile review): the area codes
// (regionCode, wellbeingCountyCode, subregionCode, municipalityCode and
// their …In) are subqueries through edges, but the filter limits counted
// only fields named has…: {hasMunicipalitiesWith: {hasPilotsWith:
// {regionCode}}} passed as a chain of 2 (3.86 s in the county list at 5,000
// pilots), 20 aliases of a list of workspaces' notices by region weighed 0
// (TIMEOUT; one alias took 9.5 s at 20,000 pilots), 50 aliases of
// pilotStats by region 8.5 s; and a dashboard spelled with hasRegionWith
// (0.20 s) was refused. Property: an area code counts its path's hops in a
// chain and weighs as its path; the dashboard passes; the slow shapes are
// refused before they run.
func TestFilterAreaCodesWeighAsEdges(t *testing.T) {
	aliases := func(n int, field string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "a%d: %s ", i, strings.ReplaceAll(field, "NN", fmt.Sprintf("%02d", i%19+1)))
		}
		return "{ " + b.String() + "}"
	}
	w := `{hasThemesWith: {slug: "employment-services"}, hasMunicipalitiesWith: {hasRegionWith: {code: "01"}}}`
	wArea := `{hasThemesWith: {slug: "employment-services"}, regionCode: "01"}`
	testdb.Each(t, func(t *testing.T, be testdb.Backend) {
		a := newAPI(t, be, true)
		for name, q := range map[string]string{
			"the dashboard with hasRegionWith":  `{ pilotStats(where: ` + w + `, groupBy: [STATUS]) { total } pilots(where: ` + w + `) { totalCount } }`,
			"the dashboard with regionCode":     `{ pilotStats(where: ` + wArea + `, groupBy: [STATUS]) { total } pilots(where: ` + wArea + `) { totalCount } }`,
			"notices of a region":               `{ notices(first: 10, where: {regionCode: "01"}) { totalCount } }`,
			"pilots in a region's municipality": `{ pilots(where: {hasMunicipalitiesWith: {subregionCode: "011"}}) { totalCount } }`,
			"two pilotStats by region":          aliases(2, `pilotStats(where: {regionCodeIn: ["NN"], titleNEQ: "i"}, groupBy: [THEME]) { total }`),
		} {
			if res := a.post(q, nil); len(res.Errors) > 0 {
				t.Errorf("%s: refused: %.300v", name, res.Errors)
			}
		}
		for name, q := range map[string]string{
			"regionCode at the end of a chain of 2": `{ wellbeingCounties(first: 100) { nodes { pilots(first: 1, where: {hasMunicipalitiesWith: {hasPilotsWith: {regionCode: "01"}}}) { totalCount } } } }`,
			"regionCode in a has…With":              `{ pilots(where: {hasNetworksWith: {regionCode: "01"}}) { totalCount } }`,
			"notices by region in a list":           `{ workspaces(first: 100) { nodes { notices(first: 1, where: {regionCode: "01", titleNEQ: "i"}) { totalCount nodes { id } } } } }`,
			"3 pilotStats by region":                aliases(3, `pilotStats(where: {regionCodeIn: ["NN"], titleNEQ: "i"}, groupBy: [THEME]) { total }`),
			"20 notices by region":                  aliases(20, `notices(first: 1, where: {regionCode: "NN", titleNEQ: "i"}) { totalCount }`),
			"5 pilots by county":                    aliases(5, `pilots(first: 1, where: {wellbeingCountyCode: "NN"}) { totalCount }`),
		} {
			res := a.post(q, nil)
			if len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" {
				t.Errorf("%s: want BAD_USER_INPUT before it runs, got %.300v", name, res.Errors)
			}
		}
	})
}

// TestCostAreaPilotLists (found by a hostile review): Region.pilots and
// WellbeingCounty.pilots run once per area, their filter again in each, and
// the cost limit did not count it: the counties with pilots(first: 1,
// where: {hasMunicipalitiesWith: {hasPilots: true}}) and four lists of
// areas with their pilots ran to the 10 s timeout on 20,000 pilots.
// Property: an operation's area lists count their runs (cost.MaxAreaRuns);
// one list of regions with pilots, one with a has…With, and two lists
// pass; the shapes that timed out are refused before they run.
func TestCostAreaPilotLists(t *testing.T) {
	list := func(field, alias, args string) string {
		return alias + `: ` + field + `(first: 100) { nodes { code pilots(first: 1` + args + `) { totalCount nodes { id } } } } `
	}
	testdb.Each(t, func(t *testing.T, be testdb.Backend) {
		a := newAPI(t, be, true)
		for name, q := range map[string]string{
			"regions with pilots":           "{ " + list("regions", "a", "") + "}",
			"regions with a has…With":       "{ " + list("regions", "a", `, where: {hasThemesWith: {slugNEQ: "x"}}`) + "}",
			"regions and counties":          "{ " + list("regions", "a", "") + list("wellbeingCounties", "b", "") + "}",
			"counties' counts with a chain": `{ wellbeingCounties(first: 100) { nodes { pilots(where: {hasMunicipalitiesWith: {hasPilots: true}}) { totalCount } } } }`,
		} {
			if res := a.post(q, nil); len(res.Errors) > 0 {
				t.Errorf("%s: refused: %.300v", name, res.Errors)
			}
		}
		for name, q := range map[string]string{
			"counties with a chain of 2": "{ " + list("wellbeingCounties", "a", `, where: {hasMunicipalitiesWith: {hasPilots: true}}`) + "}",
			"four lists":                 "{ " + list("regions", "a", "") + list("regions", "b", "") + list("wellbeingCounties", "c", "") + list("wellbeingCounties", "d", "") + "}",
		} {
			res := a.post(q, nil)
			if len(res.Errors) == 0 || res.Errors[0].code() != "COST_LIMIT_EXCEEDED" {
				t.Errorf("%s: want COST_LIMIT_EXCEEDED before it runs, got %.300v", name, res.Errors)
			}
		}
	})
}
