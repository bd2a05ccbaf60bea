package server_test

import (
	"encoding/csv"
	"os"
	"slices"
	"strings"
	"testing"

	"kokeilu/internal/testdb"
)

// csvRows reads a reference CSV the way a person checking the API would.
func csvRows(t *testing.T, name string) []map[string]string {
	t.Helper()
	f, err := os.Open("../seed/data/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, col := range rows[0] {
			m[col] = r[i]
		}
		out = append(out, m)
	}
	return out
}

type pageInfo struct {
	HasNextPage     bool   `json:"hasNextPage"`
	HasPreviousPage bool   `json:"hasPreviousPage"`
	StartCursor     string `json:"startCursor"`
	EndCursor       string `json:"endCursor"`
}

func TestPilotsInRegionWithTheirMunicipalities(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		// Expected: pilots with at least one participant in Uusimaa (01).
		inUusimaa := map[string]bool{}
		for _, m := range csvRows(t, "municipalities.csv") {
			inUusimaa[m["municipality_code"]] = m["region_code"] == "01"
		}
		var want []string
		wantCount := map[string]int{}
		for _, p := range csvRows(t, "pilots.csv") {
			codes := strings.Fields(p["participating_municipality_codes"])
			wantCount[p["pilot_id"]] = len(codes)
			if slices.ContainsFunc(codes, func(c string) bool { return inUusimaa[c] }) {
				want = append(want, p["pilot_id"])
			}
		}
		slices.Sort(want)

		var got struct {
			Pilots struct {
				TotalCount int `json:"totalCount"`
				Nodes      []struct {
					Slug           string `json:"slug"`
					Municipalities struct {
						TotalCount int `json:"totalCount"`
						Nodes      []struct {
							Code   string                `json:"code"`
							Region struct{ Code string } `json:"region"`
						} `json:"nodes"`
					} `json:"municipalities"`
				} `json:"nodes"`
			} `json:"pilots"`
		}
		a.query(&got, `query($region: String!) {
			pilots(first: 100, where: {hasMunicipalitiesWith: {hasRegionWith: {code: $region}}}, orderBy: [{field: TITLE}]) {
				totalCount
				nodes { slug municipalities(first: 100) { totalCount nodes { code region { code } } } }
			}
		}`, map[string]any{"region": "01"})

		var slugs []string
		for _, p := range got.Pilots.Nodes {
			slugs = append(slugs, p.Slug)
			// A page holds at most 100 (kuntakokeilu-2021 has 117).
			if p.Municipalities.TotalCount != wantCount[p.Slug] || len(p.Municipalities.Nodes) != min(wantCount[p.Slug], 100) {
				t.Errorf("%s: %d municipalities (totalCount %d), want %d", p.Slug, len(p.Municipalities.Nodes), p.Municipalities.TotalCount, wantCount[p.Slug])
			}
			if !slices.ContainsFunc(p.Municipalities.Nodes, func(m struct {
				Code   string                `json:"code"`
				Region struct{ Code string } `json:"region"`
			}) bool {
				return m.Region.Code == "01"
			}) {
				t.Errorf("%s has no municipality in region 01", p.Slug)
			}
		}
		slices.Sort(slugs)
		if got.Pilots.TotalCount != len(want) || !slices.Equal(slugs, want) {
			t.Errorf("pilots in 01 = %v (totalCount %d), want %v", slugs, got.Pilots.TotalCount, want)
		}
		if len(want) < 3 {
			t.Fatalf("fixture too small: %v", want)
		}
	})
}

func TestHelsinkiInSwedish(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		type names struct {
			Municipality struct {
				Name            string                `json:"name"`
				NameFi          string                `json:"nameFi"`
				Code            string                `json:"code"`
				Region          struct{ Name string } `json:"region"`
				WellbeingCounty struct{ Name string } `json:"wellbeingCounty"`
			} `json:"municipality"`
		}
		// By argument.
		var got names
		a.query(&got, `{ municipality(code: "091") { code nameFi name(lang: SV) region { name(lang: SV) } wellbeingCounty { name(lang: SV) } } }`, nil)
		m := got.Municipality
		if m.Code != "091" || m.NameFi != "Helsinki" || m.Name != "Helsingfors" || m.Region.Name != "Nyland" || m.WellbeingCounty.Name != "Helsingfors stad" {
			t.Errorf("by lang argument: %+v", m)
		}
		// By Accept-Language, the default when lang is not given.
		got = names{}
		a.query(&got, `{ municipality(code: "091") { code nameFi name region { name } wellbeingCounty { name } } }`, nil,
			"Accept-Language", "sv-FI, sv;q=0.9, en;q=0.5")
		if m := got.Municipality; m.Name != "Helsingfors" || m.Region.Name != "Nyland" || m.WellbeingCounty.Name != "Helsingfors stad" {
			t.Errorf("by Accept-Language: %+v", m)
		}
		// English: Helsinki and Uusimaa are the same as in Finnish; the
		// county row 90 has its English name (wellbeing_counties.csv).
		got = names{}
		a.query(&got, `{ municipality(code: "091") { code nameFi name region { name } wellbeingCounty { name } } }`, nil,
			"Accept-Language", "en")
		if m := got.Municipality; m.Name != "Helsinki" || m.Region.Name != "Uusimaa" || m.WellbeingCounty.Name != "City of Helsinki" {
			t.Errorf("English with fallback: %+v", m)
		}
	})
}

func TestPagingThroughAllMunicipalities(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		const q = `query($after: Cursor, $before: Cursor, $first: Int, $last: Int) {
			municipalities(first: $first, after: $after, last: $last, before: $before, orderBy: [{field: CODE}]) {
				totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { code } }
			}
		}`
		type page struct {
			Municipalities struct {
				TotalCount int      `json:"totalCount"`
				PageInfo   pageInfo `json:"pageInfo"`
				Edges      []struct {
					Cursor string
					Node   struct{ Code string }
				} `json:"edges"`
			} `json:"municipalities"`
		}
		seen := map[string]int{}
		var order []string
		vars := map[string]any{"first": 100}
		pages := 0
		for {
			var p page
			a.query(&p, q, vars)
			pages++
			for _, e := range p.Municipalities.Edges {
				seen[e.Node.Code]++
				order = append(order, e.Node.Code)
			}
			if p.Municipalities.TotalCount != 308 {
				t.Fatalf("totalCount = %d", p.Municipalities.TotalCount)
			}
			if !p.Municipalities.PageInfo.HasNextPage {
				break
			}
			vars = map[string]any{"first": 100, "after": p.Municipalities.PageInfo.EndCursor}
			if pages > 10 {
				t.Fatal("paging does not end")
			}
		}
		if pages != 4 || len(seen) != 308 || len(order) != 308 || !slices.IsSorted(order) {
			t.Fatalf("%d pages, %d distinct of %d codes", pages, len(seen), len(order))
		}
		for code, n := range seen {
			if n != 1 {
				t.Errorf("%s seen %d times", code, n)
			}
		}
		if csv := csvRows(t, "municipalities.csv"); len(csv) != 308 {
			t.Fatalf("csv has %d rows", len(csv))
		}

		// Backwards from the end: last 100 before nothing, then before its start.
		var back []string
		vars = map[string]any{"last": 100}
		for range 4 {
			var p page
			a.query(&p, q, vars)
			var codes []string
			for _, e := range p.Municipalities.Edges {
				codes = append(codes, e.Node.Code)
			}
			back = append(codes, back...)
			if !p.Municipalities.PageInfo.HasPreviousPage {
				break
			}
			vars = map[string]any{"last": 100, "before": p.Municipalities.PageInfo.StartCursor}
		}
		if !slices.Equal(back, order) {
			t.Errorf("backward paging gave %d codes, not the forward order", len(back))
		}
	})
}

func TestPageSizeDefaultAndLimits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		var got struct {
			Municipalities struct {
				TotalCount int                     `json:"totalCount"`
				Nodes      []struct{ Code string } `json:"nodes"`
				PageInfo   pageInfo                `json:"pageInfo"`
			} `json:"municipalities"`
			Region struct {
				Municipalities struct {
					Edges []struct{ Cursor string } `json:"edges"`
				} `json:"municipalities"`
			} `json:"region"`
		}
		a.query(&got, `{ municipalities { totalCount nodes { code } pageInfo { hasNextPage } }
			region(code: "01") { municipalities { edges { cursor } } } }`, nil)
		if n := len(got.Municipalities.Nodes); n != 20 || !got.Municipalities.PageInfo.HasNextPage || got.Municipalities.TotalCount != 308 {
			t.Errorf("default page: %d nodes, hasNextPage %v, totalCount %d", n, got.Municipalities.PageInfo.HasNextPage, got.Municipalities.TotalCount)
		}
		if n := len(got.Region.Municipalities.Edges); n != 20 {
			t.Errorf("default nested page: %d edges, want 20", n)
		}

		for _, q := range []string{
			`{ municipalities(first: 101) { totalCount } }`,
			`{ municipalities(last: 101) { totalCount } }`,
			`{ municipalities(first: -1) { totalCount } }`,
			`{ regions { nodes { municipalities(first: 1000) { totalCount } } } }`,
			`query($n: Int) { pilots(first: $n) { totalCount } }`,
			`{ ...F } fragment F on Query { themes(first: 500) { totalCount } }`,
		} {
			e := a.fail("BAD_USER_INPUT", q, map[string]any{"n": 101})
			if e.Extensions["field"] != "first" && e.Extensions["field"] != "last" {
				t.Errorf("%s: error names no argument: %+v", q, e)
			}
		}
		// 100 is allowed.
		a.query(&got, `{ municipalities(first: 100) { totalCount nodes { code } } }`, nil)
		if len(got.Municipalities.Nodes) != 100 {
			t.Errorf("first: 100 gave %d", len(got.Municipalities.Nodes))
		}
	})
}

func TestNodesEqualsEdgesAndAliases(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		var got struct {
			A struct {
				Nodes []struct {
					Slug string
					M    struct{ Nodes []struct{ Code string } } `json:"m"`
				} `json:"nodes"`
			} `json:"a"`
			B struct {
				E []struct {
					N struct {
						Slug string
						M    struct {
							E []struct{ N struct{ Code string } } `json:"e"`
						} `json:"m"`
					} `json:"n"`
				} `json:"e"`
			} `json:"b"`
		}
		a.query(&got, `{
			a: pilots(first: 15, orderBy: [{field: TITLE}]) { nodes { slug m: municipalities(first: 5, orderBy: [{field: CODE}]) { nodes { code } } } }
			b: pilots(first: 15, orderBy: [{field: TITLE}]) { e: edges { n: node { slug m: municipalities(first: 5, orderBy: [{field: CODE}]) { e: edges { n: node { code } } } } } }
		}`, nil)
		if len(got.A.Nodes) != 15 || len(got.B.E) != 15 {
			t.Fatalf("nodes %d, aliased edges %d, want 15 each", len(got.A.Nodes), len(got.B.E))
		}
		total := 0
		for i, n := range got.A.Nodes {
			e := got.B.E[i].N
			if n.Slug != e.Slug || len(n.M.Nodes) != len(e.M.E) {
				t.Errorf("row %d: nodes %s/%d vs edges %s/%d", i, n.Slug, len(n.M.Nodes), e.Slug, len(e.M.E))
			}
			total += len(n.M.Nodes)
		}
		if total == 0 {
			t.Error("no nested municipalities loaded")
		}
	})
}

// TestNodesBesideTotalCountUnderNode covers eager loading from node(id:):
// a connection asked for its total and its nodes (without edges) returns both.
func TestNodesBesideTotalCountUnderNode(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		var r struct{ Region struct{ ID string } }
		a.query(&r, `{ region(code: "01") { id } }`, nil)
		var got struct {
			Node struct {
				Municipalities struct {
					TotalCount int
					Nodes      []struct{ Code string }
				}
			}
		}
		a.query(&got, `query($id: ID!) { node(id: $id) { ... on Region { municipalities { totalCount nodes { code } } } } }`, map[string]any{"id": r.Region.ID})
		if m := got.Node.Municipalities; m.TotalCount != 26 || len(m.Nodes) != 20 {
			t.Errorf("Uusimaa: totalCount %d, %d nodes; want 26 and the default page of 20", m.TotalCount, len(m.Nodes))
		}
	})
}

func TestUnknownKeysAndBadInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		var got struct {
			Municipality *struct{ Code string } `json:"municipality"`
			Region       *struct{ Code string } `json:"region"`
			Workspace    *struct{ Name string } `json:"workspace"`
			Pilots       struct {
				TotalCount int        `json:"totalCount"`
				Nodes      []struct{} `json:"nodes"`
			} `json:"pilots"`
		}
		a.query(&got, `{ municipality(code: "999") { code } region(code: "5") { code } workspace(slug: "nope") { name }
			pilots(where: {hasMunicipalitiesWith: {code: "999"}}) { totalCount nodes { id } } }`, nil)
		if got.Municipality != nil || got.Region != nil || got.Workspace != nil || got.Pilots.TotalCount != 0 || len(got.Pilots.Nodes) != 0 {
			t.Errorf("unknown keys: %+v", got)
		}

		for q, code := range map[string]string{
			`{ node(id: "not-an-id") { id } }`:                                    "BAD_USER_INPUT",
			`{ nodes(ids: ["azE6MQ", "%%%"]) { id } }`:                            "BAD_USER_INPUT",
			`{ pilots(where: {id: "123"}) { totalCount } }`:                       "BAD_USER_INPUT",
			`{ municipalities(after: "garbage") { totalCount } }`:                 "BAD_USER_INPUT",
			`{ regions { nodes { municipalities(after: "x") { totalCount } } } }`: "BAD_USER_INPUT",
			`{ pilots(where: {startsOnGT: "2015-13-45"}) { totalCount } }`:        "BAD_USER_INPUT",
			`{ pilots(first: "ten") { totalCount } }`:                             "GRAPHQL_VALIDATION_FAILED",
			`{ nosuchfield }`:   "GRAPHQL_VALIDATION_FAILED",
			`{ municipalities(`: "GRAPHQL_PARSE_FAILED",
		} {
			res := a.post(q, nil)
			if res.Status >= 500 || len(res.Errors) == 0 || res.Errors[0].code() != code {
				t.Errorf("%s: status %d, errors %+v, want %s", q, res.Status, res.Errors, code)
			}
		}
		// A well-formed ID of nothing: null and NOT_FOUND, with the ID kept opaque.
		res := a.post(`{ node(id: "azE6OTk5OTk5") { id } }`, nil)
		if len(res.Errors) != 1 || res.Errors[0].code() != "NOT_FOUND" || strings.Contains(res.Errors[0].Message, "999999") {
			t.Errorf("missing node: %+v", res.Errors)
		}
	})
}
