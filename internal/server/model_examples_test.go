package server_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"kokeilu/internal/testdb"
)

// The examples of issue 15 on the demo data, through the real handler.

type pageInfoP struct {
	HasNextPage     bool    `json:"hasNextPage"`
	HasPreviousPage bool    `json:"hasPreviousPage"`
	StartCursor     *string `json:"startCursor"`
	EndCursor       *string `json:"endCursor"`
}

func TestNestedPageUnderListIsThePilotsOwn(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		type muni struct {
			PageInfo pageInfoP
			Nodes    []struct{ Code string }
		}
		const slug = "kuntakokeilu-2015-nuorisotakuu"
		// Alone, the pilot's municipalities in code order.
		var alone struct {
			Pilots struct {
				Nodes []struct {
					Municipalities muni
				}
			}
		}
		a.query(&alone, `query($s: String!) { pilots(where: {slug: $s}) { nodes {
			municipalities(first: 100, orderBy: [{field: CODE}]) { nodes { code } } } } }`, map[string]any{"s": slug})
		var want []string
		for _, m := range alone.Pilots.Nodes[0].Municipalities.Nodes {
			want = append(want, m.Code)
		}
		if len(want) < 3 || !slices.IsSorted(want) {
			t.Fatalf("alone: %v", want)
		}
		// Under the list of every pilot, one page at a time by endCursor.
		const q = `query($after: Cursor) { pilots(first: 50) { nodes { slug
			municipalities(first: 1, after: $after, orderBy: [{field: CODE}]) { pageInfo { hasNextPage endCursor } nodes { code } } } } }`
		var got []string
		var after any
		for range 50 {
			var page struct {
				Pilots struct {
					Nodes []struct {
						Slug           string
						Municipalities muni
					}
				}
			}
			a.query(&page, q, map[string]any{"after": after})
			i := slices.IndexFunc(page.Pilots.Nodes, func(p struct {
				Slug           string
				Municipalities muni
			}) bool {
				return p.Slug == slug
			})
			m := page.Pilots.Nodes[i].Municipalities
			for _, n := range m.Nodes {
				got = append(got, n.Code)
			}
			if !m.PageInfo.HasNextPage {
				break
			}
			after = *m.PageInfo.EndCursor
		}
		if !slices.Equal(got, want) {
			t.Errorf("walked %v, want %v", got, want)
		}
	})
}

func TestPagingPastNullSortValues(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		// The verified experiments all have dates: add two pilots without.
		token, _ := a.register("paging@example.org", "Paging")
		for _, title := range []string{"Ilman alkua", "Ilman alkua 2"} {
			a.query(&struct{}{}, `mutation($t: String!) { createPilot(input: {title: $t}) { id } }`, map[string]any{"t": title}, bearer(token)...)
		}
		var total struct{ Pilots struct{ TotalCount int } }
		a.query(&total, `{ pilots { totalCount } }`, nil)
		for _, dir := range []string{"ASC", "DESC"} {
			seen := map[string]bool{}
			var startsOn []*string
			var after any
			for range 100 {
				var page struct {
					Pilots struct {
						PageInfo pageInfoP
						Nodes    []struct {
							ID       string
							StartsOn *string
						}
					}
				}
				a.query(&page, `query($after: Cursor, $d: OrderDirection!) { pilots(first: 1, after: $after, orderBy: [{field: STARTS_ON, direction: $d}]) {
					pageInfo { hasNextPage endCursor } nodes { id startsOn } } }`, map[string]any{"after": after, "d": dir})
				for _, n := range page.Pilots.Nodes {
					if seen[n.ID] {
						t.Fatalf("%s: %s twice", dir, n.ID)
					}
					seen[n.ID] = true
					startsOn = append(startsOn, n.StartsOn)
				}
				if !page.Pilots.PageInfo.HasNextPage {
					break
				}
				after = *page.Pilots.PageInfo.EndCursor
			}
			if len(seen) != total.Pilots.TotalCount {
				t.Errorf("%s: walked %d of %d pilots", dir, len(seen), total.Pilots.TotalCount)
			}
			// NULLs come last in either direction.
			firstNull := slices.Index(startsOn, nil)
			if firstNull < 0 {
				t.Fatalf("%s: no pilot without a start date was walked", dir)
			}
			for _, v := range startsOn[firstNull:] {
				if v != nil {
					t.Errorf("%s: a value after a NULL: %v", dir, *v)
				}
			}
		}
	})
}

func TestPageInfoAlone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		var got struct{ Pilots struct{ PageInfo pageInfoP } }
		a.query(&got, `{ pilots(first: 2) { pageInfo { hasNextPage endCursor } } }`, nil)
		if !got.Pilots.PageInfo.HasNextPage || got.Pilots.PageInfo.EndCursor == nil {
			t.Fatalf("pageInfo alone: %+v", got.Pilots.PageInfo)
		}
		var next struct {
			Pilots struct {
				Nodes []struct{ ID string }
			}
		}
		var first struct {
			Pilots struct {
				Nodes []struct{ ID string }
			}
		}
		a.query(&first, `{ pilots(first: 2) { nodes { id } } }`, nil)
		a.query(&next, `query($a: Cursor) { pilots(first: 2, after: $a) { nodes { id } } }`, map[string]any{"a": *got.Pilots.PageInfo.EndCursor})
		if len(next.Pilots.Nodes) != 2 || slices.ContainsFunc(next.Pilots.Nodes, func(n struct{ ID string }) bool {
			return n.ID == first.Pilots.Nodes[0].ID || n.ID == first.Pilots.Nodes[1].ID
		}) {
			t.Errorf("the page after pageInfo's endCursor: %v (first page %v)", next.Pilots.Nodes, first.Pilots.Nodes)
		}
		// Nested too.
		var nested struct {
			Pilots struct {
				Nodes []struct {
					Municipalities struct {
						TotalCount int
						PageInfo   pageInfoP
					}
				}
			}
		}
		a.query(&nested, `{ pilots(first: 20) { nodes { municipalities(first: 1) { totalCount pageInfo { hasNextPage endCursor } } } } }`, nil)
		for _, p := range nested.Pilots.Nodes {
			m := p.Municipalities
			if m.PageInfo.HasNextPage != (m.TotalCount > 1) || (m.TotalCount > 0) != (m.PageInfo.EndCursor != nil) {
				t.Errorf("nested pageInfo alone: %+v of %d", m.PageInfo, m.TotalCount)
			}
		}
	})
}

func TestEmptyListFilters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		count := func(where string) int {
			t.Helper()
			var got struct{ Pilots struct{ TotalCount int } }
			a.query(&got, `{ pilots(where: `+where+`) { totalCount } }`, nil)
			return got.Pilots.TotalCount
		}
		all := count(`{}`)
		for where, want := range map[string]int{
			`{idIn: []}`: 0, `{slugIn: []}`: 0, `{or: []}`: 0, `{regionCodeIn: []}`: 0, `{statusIn: []}`: 0,
			`{and: []}`: all, `{not: {or: []}}`: all, `{and: [{or: []}]}`: 0, `{or: [{and: [{statusIn: []}]}, {idNotIn: []}]}`: all,
			`{idNotIn: []}`: all, `{hasMunicipalitiesWith: [{codeIn: []}]}`: 0,
		} {
			if got := count(where); got != want {
				t.Errorf("%s: %d pilots, want %d", where, got, want)
			}
		}
		var m struct{ Municipalities struct{ TotalCount int } }
		a.query(&m, `{ municipalities(where: {codeIn: []}) { totalCount } }`, nil)
		if m.Municipalities.TotalCount != 0 {
			t.Errorf("municipalities codeIn []: %d", m.Municipalities.TotalCount)
		}
	})
}

func TestFirstAndLastTogether(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		for _, q := range []string{
			`{ pilots(first: 1, last: 1) { totalCount } }`,
			`{ pilots(first: 1) { nodes { municipalities(first: 1, last: 1) { totalCount } } } }`,
			`{ search(query: "kokeilu", first: 1, last: 1) { nodes { __typename } } }`,
			`{ pilots(orderBy: [{field: TITLE}, {field: STARTS_ON}, {field: TITLE, direction: DESC}]) { totalCount } }`,
		} {
			a.fail("BAD_USER_INPUT", q, nil)
		}
	})
}

func TestCursorOfAnotherOrderIsBadInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		var got struct{ Pilots struct{ PageInfo pageInfoP } }
		a.query(&got, `{ pilots(first: 1, orderBy: [{field: TITLE}, {field: STARTS_ON}]) { pageInfo { endCursor } } }`, nil)
		c := *got.Pilots.PageInfo.EndCursor
		e := a.fail("BAD_USER_INPUT", `query($c: Cursor) { pilots(first: 1, after: $c) { totalCount nodes { id } } }`, map[string]any{"c": c})
		if !strings.Contains(e.Message, "orderBy") {
			t.Errorf("message: %s", e.Message)
		}
	})
}

// rangeWheres are where inputs with every range operator of the pilots'
// dates, run through the dashboard counts and the area counts.
var rangeWheres = []string{
	`{startsOnGTE: "2020-01-01"}`, `{startsOnGT: "2016-01-01"}`, `{startsOnLT: "2020-01-01"}`, `{startsOnLTE: "2020-01-01"}`,
	`{endsOnGTE: "2020-01-01"}`, `{endsOnGT: "2020-01-01"}`, `{endsOnLT: "2030-01-01"}`, `{endsOnLTE: "2030-01-01"}`,
	`{createdAtGT: "2000-01-01T00:00:00Z"}`, `{titleGT: "A"}`,
	`{not: {startsOnLT: "2018-01-01"}, or: [{startsOnGT: "2019-01-01"}, {endsOnLT: "2020-01-01"}]}`,
}

func TestRangePredicatesInDashboardCounts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		for _, where := range rangeWheres {
			var list struct{ Pilots struct{ TotalCount int } }
			a.query(&list, `{ pilots(where: `+where+`) { totalCount } }`, nil)
			var stats struct {
				PilotStats struct {
					Total   int
					Buckets []struct{ Pilots int }
				}
				Regions struct {
					Nodes []struct {
						Code   string
						Pilots struct{ TotalCount int }
					}
				}
			}
			res := a.post(`{ pilotStats(where: `+where+`, groupBy: [REGION, STATUS]) { total buckets { pilots } }
				regions(first: 30) { nodes { code pilots(where: `+where+`) { totalCount } } } }`, nil)
			if len(res.Errors) > 0 {
				t.Errorf("%s: %+v", where, res.Errors)
				continue
			}
			if err := json.Unmarshal(res.Data, &stats); err != nil {
				t.Fatal(err)
			}
			if stats.PilotStats.Total != list.Pilots.TotalCount {
				t.Errorf("%s: pilotStats total %d, pilots %d", where, stats.PilotStats.Total, list.Pilots.TotalCount)
			}
			for _, r := range stats.Regions.Nodes {
				var one struct{ Pilots struct{ TotalCount int } }
				a.query(&one, `query($r: String!) { pilots(where: {and: [`+where+`, {hasMunicipalitiesWith: {hasRegionWith: {code: $r}}}]}) { totalCount } }`, map[string]any{"r": r.Code})
				if one.Pilots.TotalCount != r.Pilots.TotalCount {
					t.Errorf("%s: region %s counts %d, the list %d", where, r.Code, r.Pilots.TotalCount, one.Pilots.TotalCount)
				}
			}
		}
	})
}

// TestEveryPilotWhereFieldInDashboardCounts runs every field of
// PilotWhereInput (read from the schema, so new fields are covered) through
// pilots, pilotStats and the regions' pilot counts, which must agree.
func TestEveryPilotWhereFieldInDashboardCounts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		type typeRef struct {
			Kind, Name string
			OfType     *typeRef
		}
		var schema struct {
			Type struct {
				InputFields []struct {
					Name string
					Type typeRef
				}
			} `json:"__type"`
		}
		a.query(&schema, `{ __type(name: "PilotWhereInput") { inputFields { name type { kind name ofType { kind name ofType { kind name } } } } } }`, nil)
		var some struct {
			Pilots struct{ Nodes []struct{ ID string } }
		}
		a.query(&some, `{ pilots(first: 1) { nodes { id } } }`, nil)
		samples := map[string]string{
			"ID": strconv.Quote(some.Pilots.Nodes[0].ID), "String": `"Kokeilu"`, "Time": `"2020-01-01T00:00:00Z"`,
			"Date": `"2020-01-01"`, "Boolean": "true", "PilotStatus": "ACTIVE",
		}
		areaCodes := map[string]string{"regionCode": `"01"`, "wellbeingCountyCode": `"90"`, "subregionCode": `"011"`, "municipalityCode": `"091"`}
		tested := 0
		for _, f := range schema.Type.InputFields {
			ty, list := f.Type, false
			for ty.Name == "" && ty.OfType != nil {
				list = list || ty.Kind == "LIST"
				ty = *ty.OfType
			}
			v, ok := samples[ty.Name]
			if code, isArea := areaCodes[strings.TrimSuffix(f.Name, "In")]; isArea {
				v = code // area codes have a form (analytics.Area.Check)
			}
			if !ok {
				continue // nested inputs: covered by the model tests
			}
			if list {
				v = "[" + v + "]"
			}
			where := "{" + f.Name + ": " + v + "}"
			tested++
			var got struct {
				Pilots struct {
					TotalCount int
					Nodes      []struct {
						Municipalities struct {
							Nodes []struct{ Region *struct{ Code string } }
						}
					}
				}
				PilotStats struct{ Total int }
				Regions    struct {
					Nodes []struct {
						Code   string
						Pilots struct{ TotalCount int }
					}
				}
			}
			res := a.post(`{ pilots(first: 100, where: `+where+`) { totalCount nodes { municipalities(first: 100) { nodes { region { code } } } } }
				pilotStats(where: `+where+`, groupBy: [REGION, STATUS]) { total }
				regions(first: 30) { nodes { code pilots(where: `+where+`) { totalCount } } } }`, nil)
			if len(res.Errors) > 0 {
				t.Errorf("%s: %+v", where, res.Errors)
				continue
			}
			if err := json.Unmarshal(res.Data, &got); err != nil {
				t.Fatal(err)
			}
			if got.PilotStats.Total != got.Pilots.TotalCount {
				t.Errorf("%s: pilotStats total %d, pilots %d", where, got.PilotStats.Total, got.Pilots.TotalCount)
			}
			perRegion := map[string]int{}
			for _, p := range got.Pilots.Nodes {
				seen := map[string]bool{}
				for _, m := range p.Municipalities.Nodes {
					if m.Region != nil && !seen[m.Region.Code] {
						seen[m.Region.Code] = true
						perRegion[m.Region.Code]++
					}
				}
			}
			for _, r := range got.Regions.Nodes {
				if r.Pilots.TotalCount != perRegion[r.Code] {
					t.Errorf("%s: region %s counts %d pilots, the list has %d", where, r.Code, r.Pilots.TotalCount, perRegion[r.Code])
				}
			}
		}
		if tested < 60 {
			t.Errorf("only %d where fields tested", tested)
		}
		t.Logf("%d where fields through pilots, pilotStats and regions.pilots", tested)
	})
}
