package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"kokeilu/ent/municipality"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/dataset"
	"kokeilu/internal/testdb"
)

// statsSize is the generated data set of the pilotStats tests.
var statsSize = dataset.Size{Pilots: 150, Networks: 8, Organizations: 10, Themes: 5}

type statsKey struct {
	Dimension string `json:"dimension"`
	Code      string `json:"code"`
	Name      string `json:"name"`
}

type statsBucket struct {
	Keys           []statsKey `json:"keys"`
	Pilots         int        `json:"pilots"`
	Municipalities int        `json:"municipalities"`
	Population     int        `json:"population"`
}

type pilotStats struct {
	Total   int           `json:"total"`
	Buckets []statsBucket `json:"buckets"`
}

func (a *api) pilotStats(where map[string]any, dims ...string) pilotStats {
	a.t.Helper()
	var got struct{ PilotStats pilotStats }
	a.query(&got, `query($w: PilotWhereInput, $g: [PilotDimension!]!) {
	  pilotStats(where: $w, groupBy: $g) { total buckets { keys { dimension code name } pilots municipalities population } } }`,
		map[string]any{"w": where, "g": dims})
	return got.PilotStats
}

// keyWhere says what a bucket key means, in the API's own filters: a
// condition on the pilot, and for geographic dimensions one on the
// participating municipality.
func keyWhere(t testing.TB, k statsKey) (pilot, muni map[string]any) {
	switch k.Dimension {
	case "REGION":
		return map[string]any{"regionCode": k.Code}, map[string]any{"hasRegionWith": map[string]any{"code": k.Code}}
	case "WELLBEING_COUNTY":
		return map[string]any{"wellbeingCountyCode": k.Code}, map[string]any{"hasWellbeingCountyWith": map[string]any{"code": k.Code}}
	case "SUBREGION":
		return map[string]any{"subregionCode": k.Code}, map[string]any{"subregionCode": k.Code}
	case "MUNICIPALITY":
		return map[string]any{"municipalityCode": k.Code}, map[string]any{"code": k.Code}
	case "THEME":
		return map[string]any{"hasThemesWith": map[string]any{"slug": k.Code}}, nil
	case "NETWORK":
		return map[string]any{"hasNetworksWith": map[string]any{"slug": k.Code}}, nil
	case "STATUS":
		return map[string]any{"status": k.Code}, nil
	case "START_YEAR":
		y, _ := strconv.Atoi(k.Code)
		return map[string]any{"startsOnGTE": fmt.Sprintf("%d-01-01", y), "startsOnLT": fmt.Sprintf("%d-01-01", y+1)}, nil
	case "ACTIVE_YEAR":
		y, _ := strconv.Atoi(k.Code)
		open := map[string]any{"endsOnIsNil": true}
		if y > time.Now().Year() { // an open-ended pilot counts beyond this year only in its start year
			open["startsOnGTE"] = fmt.Sprintf("%d-01-01", y)
		}
		return map[string]any{"startsOnLT": fmt.Sprintf("%d-01-01", y+1),
			"or": []any{map[string]any{"endsOnGTE": fmt.Sprintf("%d-01-01", y)}, open}}, nil
	}
	t.Fatalf("unknown dimension %s", k.Dimension)
	return nil, nil
}

// expected counts a bucket independently, through pilots(where:) and
// municipalities(where:) totals, and adds up the municipalities' population.
func (a *api) expected(base map[string]any, keys []statsKey) statsBucket {
	a.t.Helper()
	pilotAnd, muniAnd := []any{}, []any{}
	if base != nil {
		pilotAnd = append(pilotAnd, base)
	}
	for _, k := range keys {
		p, m := keyWhere(a.t, k)
		if m != nil {
			muniAnd = append(muniAnd, m)
		} else {
			pilotAnd = append(pilotAnd, p)
		}
	}
	// The bucket's pilots: every key holds for the pilot (a geographic key
	// through some participant).
	allPilot := append([]any{}, pilotAnd...)
	for _, k := range keys {
		if p, m := keyWhere(a.t, k); m != nil {
			allPilot = append(allPilot, p)
		}
	}
	hasPilots := map[string]any{"hasPilots": true}
	if len(pilotAnd) > 0 {
		hasPilots = map[string]any{"hasPilotsWith": map[string]any{"and": pilotAnd}}
	}
	muniWhere := map[string]any{"and": append(muniAnd, hasPilots)}
	want := statsBucket{Keys: keys}
	var after any
	for {
		var got struct {
			Pilots         struct{ TotalCount int }
			Municipalities struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   string
				}
				Nodes []struct{ Population int }
			}
		}
		a.query(&got, `query($p: PilotWhereInput, $m: MunicipalityWhereInput, $after: Cursor) {
		  pilots(where: $p) { totalCount }
		  municipalities(where: $m, first: 100, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { population } } }`,
			map[string]any{"p": andOrAll(allPilot), "m": muniWhere, "after": after})
		want.Pilots, want.Municipalities = got.Pilots.TotalCount, got.Municipalities.TotalCount
		for _, n := range got.Municipalities.Nodes {
			want.Population += n.Population
		}
		if !got.Municipalities.PageInfo.HasNextPage {
			return want
		}
		after = got.Municipalities.PageInfo.EndCursor
	}
}

// checkBuckets compares every bucket with its independent count.
func (a *api) checkBuckets(where map[string]any, s pilotStats) {
	a.t.Helper()
	var total struct{ Pilots struct{ TotalCount int } }
	a.query(&total, `query($w: PilotWhereInput) { pilots(where: $w) { totalCount } }`, map[string]any{"w": where})
	if s.Total != total.Pilots.TotalCount {
		a.t.Errorf("total %d, pilots(where:) totalCount %d", s.Total, total.Pilots.TotalCount)
	}
	for _, b := range s.Buckets {
		want := a.expected(where, b.Keys)
		if b.Pilots != want.Pilots || b.Municipalities != want.Municipalities || b.Population != want.Population {
			a.t.Errorf("bucket %v: pilots/municipalities/population %d/%d/%d, counted %d/%d/%d",
				b.Keys, b.Pilots, b.Municipalities, b.Population, want.Pilots, want.Municipalities, want.Population)
		}
		if b.Pilots == 0 {
			a.t.Errorf("bucket %v is empty", b.Keys)
		}
	}
}

func newStatsAPI(t *testing.T, b testdb.Backend) *api {
	a := newAPI(t, b, false)
	if err := dataset.Generate(auth.System(context.Background()), a.db.Client, statsSize, 7); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestPilotStatsSingleDimensions checks every bucket of every dimension
// against counts the API gives through filters, and that no area with
// pilots is missing.
func TestPilotStatsSingleDimensions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newStatsAPI(t, b)
		universe := map[string]string{
			"REGION":           `{ l: regions(first: 100) { nodes { code } } }`,
			"WELLBEING_COUNTY": `{ l: wellbeingCounties(first: 100) { nodes { code } } }`,
			"THEME":            `{ l: themes(first: 100) { nodes { code: slug } } }`,
			"NETWORK":          `{ l: networks(first: 100) { nodes { code: slug } } }`,
		}
		for _, dim := range []string{"REGION", "WELLBEING_COUNTY", "SUBREGION", "MUNICIPALITY", "THEME", "STATUS", "NETWORK", "START_YEAR", "ACTIVE_YEAR"} {
			t.Run(dim, func(t *testing.T) {
				a.t = t
				s := a.pilotStats(nil, dim)
				if len(s.Buckets) < 2 || s.Total != statsSize.Pilots {
					t.Fatalf("%d buckets, total %d", len(s.Buckets), s.Total)
				}
				a.checkBuckets(nil, s)
				// Every area, theme or network that is not a bucket has no pilots.
				if q, ok := universe[dim]; ok {
					var all struct {
						L struct{ Nodes []struct{ Code string } }
					}
					a.query(&all, q, nil)
					have := map[string]bool{}
					for _, b := range s.Buckets {
						have[b.Keys[0].Code] = true
					}
					for _, n := range all.L.Nodes {
						if !have[n.Code] {
							if got := a.expected(nil, []statsKey{{Dimension: dim, Code: n.Code}}); got.Pilots != 0 {
								t.Errorf("%s %s has %d pilots but no bucket", dim, n.Code, got.Pilots)
							}
						}
					}
				}
				if dim == "MUNICIPALITY" {
					var m struct{ Municipalities struct{ TotalCount int } }
					a.query(&m, `{ municipalities(where: {hasPilots: true}) { totalCount } }`, nil)
					if m.Municipalities.TotalCount != len(s.Buckets) {
						t.Errorf("%d municipalities have pilots, %d buckets", m.Municipalities.TotalCount, len(s.Buckets))
					}
				}
			})
		}
		a.t = t

		// With a filter, and names in the requested language.
		where := map[string]any{"status": "ACTIVE", "hasThemesWith": map[string]any{"slug": "synthetic-theme-1"}}
		s := a.pilotStats(where, "REGION")
		a.checkBuckets(where, s)
		var uusimaa struct{ Region struct{ NameSv string } }
		a.query(&uusimaa, `{ region(code: "01") { nameSv } }`, nil)
		var sv struct{ PilotStats pilotStats }
		a.query(&sv, `{ pilotStats(groupBy: [REGION]) { buckets { keys { code name(lang: SV) } } } }`, nil)
		for _, b := range sv.PilotStats.Buckets {
			if b.Keys[0].Code == "01" && b.Keys[0].Name != uusimaa.Region.NameSv {
				t.Errorf("Swedish name of region 01: %q, want %q", b.Keys[0].Name, uusimaa.Region.NameSv)
			}
		}
	})
}

// TestPilotStatsRegionStatusYear checks region × status × start year: each
// bucket exactly, and that for each region and status the years add up to
// the pilots of that region and status (every generated pilot has a start).
func TestPilotStatsRegionStatusYear(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newStatsAPI(t, b)
		before := a.statements.Load()
		s := a.pilotStats(nil, "REGION", "STATUS", "START_YEAR")
		t.Logf("%d buckets in %d SQL statements", len(s.Buckets), a.statements.Load()-before)
		if n := a.statements.Load() - before; n > 2 {
			t.Errorf("pilotStats ran %d statements, want 2", n)
		}
		a.checkBuckets(nil, s)
		sums := map[[2]string]int{}
		for _, b := range s.Buckets {
			if len(b.Keys) != 3 || b.Keys[0].Dimension != "REGION" || b.Keys[1].Dimension != "STATUS" || b.Keys[2].Dimension != "START_YEAR" {
				t.Fatalf("keys %v", b.Keys)
			}
			sums[[2]string{b.Keys[0].Code, b.Keys[1].Code}] += b.Pilots
		}
		var regions struct {
			Regions struct{ Nodes []struct{ Code string } }
		}
		a.query(&regions, `{ regions(first: 100) { nodes { code } } }`, nil)
		for _, r := range regions.Regions.Nodes {
			for _, st := range []string{"PLANNED", "ACTIVE", "COMPLETED", "CANCELLED"} {
				var got struct{ Pilots struct{ TotalCount int } }
				a.query(&got, `query($w: PilotWhereInput) { pilots(where: $w) { totalCount } }`,
					map[string]any{"w": map[string]any{"regionCode": r.Code, "status": st}})
				if got.Pilots.TotalCount != sums[[2]string{r.Code, st}] {
					t.Errorf("region %s %s: %d pilots, buckets add up to %d", r.Code, st, got.Pilots.TotalCount, sums[[2]string{r.Code, st}])
				}
			}
		}
	})
}

// TestPilotStatsRefusesBadGroups: no dimensions, too many, or a repeat.
func TestPilotStatsRefusesBadGroups(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	for _, g := range []string{`[]`, `[STATUS, REGION, START_YEAR, THEME]`, `[REGION, REGION]`} {
		e := a.fail("BAD_USER_INPUT", `{ pilotStats(groupBy: `+g+`) { total } }`, nil)
		if !strings.Contains(e.Message, "group") && !strings.Contains(e.Message, "twice") {
			t.Errorf("%s: %q", g, e.Message)
		}
	}
}

// TestAreaPilotCounts: a map layer of 19 regions, 23 counties, 100
// municipalities or the themes with their pilot counts under a filter is
// one query with a fixed number of statements, and each count is that of
// pilots(where:) with the area's filter.
func TestAreaPilotCounts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newStatsAPI(t, b)
		type area struct {
			Code   string
			Pilots struct{ TotalCount int }
		}
		for _, c := range []struct{ name, query, filter string }{
			{"regions", `{ l: regions(first: 100) { nodes { code pilots(where: {status: ACTIVE}) { totalCount } } } }`, "regionCode"},
			{"wellbeingCounties", `{ l: wellbeingCounties(first: 100) { nodes { code pilots(where: {status: ACTIVE}) { totalCount } } } }`, "wellbeingCountyCode"},
			{"municipalities", `{ l: municipalities(first: 100) { nodes { code pilots(where: {status: ACTIVE}) { totalCount } } } }`, "municipalityCode"},
			{"themes", `{ l: themes(first: 100) { nodes { code: slug pilots(where: {status: ACTIVE}) { totalCount } } } }`, ""},
		} {
			var got struct{ L struct{ Nodes []area } }
			before := a.statements.Load()
			a.query(&got, c.query, nil)
			n := a.statements.Load() - before
			t.Logf("%s: %d areas in %d statements", c.name, len(got.L.Nodes), n)
			if n > 3 {
				t.Errorf("%s: %d statements", c.name, n)
			}
			nonzero := 0
			for _, ar := range got.L.Nodes {
				w := map[string]any{"status": "ACTIVE", c.filter: ar.Code}
				if c.filter == "" {
					w = map[string]any{"status": "ACTIVE", "hasThemesWith": map[string]any{"slug": ar.Code}}
				}
				var want struct{ Pilots struct{ TotalCount int } }
				a.query(&want, `query($w: PilotWhereInput) { pilots(where: $w) { totalCount } }`, map[string]any{"w": w})
				if ar.Pilots.TotalCount != want.Pilots.TotalCount {
					t.Errorf("%s %s: %d pilots, pilots(where:) says %d", c.name, ar.Code, ar.Pilots.TotalCount, want.Pilots.TotalCount)
				}
				if ar.Pilots.TotalCount > 0 {
					nonzero++
				}
			}
			if nonzero < 2 {
				t.Errorf("%s: only %d with pilots", c.name, nonzero)
			}
		}
		// Region.pilots with nodes pages through the region's pilots.
		var r struct {
			Region struct {
				Pilots struct {
					TotalCount int
					Nodes      []struct {
						Municipalities struct {
							Nodes []struct{ Region struct{ Code string } }
						}
					}
				}
			}
		}
		a.query(&r, `{ region(code: "01") { pilots(first: 5) { totalCount nodes { municipalities(first: 20) { nodes { region { code } } } } } } }`, nil)
		if r.Region.Pilots.TotalCount == 0 || len(r.Region.Pilots.Nodes) != min(5, r.Region.Pilots.TotalCount) {
			t.Fatalf("region 01: %d nodes of %d", len(r.Region.Pilots.Nodes), r.Region.Pilots.TotalCount)
		}
		for _, p := range r.Region.Pilots.Nodes {
			in := false
			for _, m := range p.Municipalities.Nodes {
				in = in || m.Region.Code == "01"
			}
			if !in {
				t.Errorf("a pilot of region 01 has no participant there")
			}
		}
	})
}

// TestAreaFilters: regionCode, wellbeingCountyCode and municipalityCode on
// pilots, networks and organisations agree with the nested has…With
// filters; on notices they never reveal a members-only workspace's notice.
func TestAreaFilters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newStatsAPI(t, b)
		total := func(list, where string) int {
			var got map[string]struct{ TotalCount int }
			a.query(&got, `{ `+list+`(where: `+where+`) { totalCount } }`, nil)
			return got[list].TotalCount
		}
		// A municipality that has pilots and networks in the generated data.
		var some struct {
			Municipalities struct{ Nodes []struct{ Code string } }
		}
		a.query(&some, `{ municipalities(first: 1, where: {hasPilots: true, hasNetworks: true}) { nodes { code } } }`, nil)
		muni := some.Municipalities.Nodes[0].Code
		for _, c := range []struct{ list, direct, nested string }{
			{"pilots", `{regionCode: "02"}`, `{hasMunicipalitiesWith: {hasRegionWith: {code: "02"}}}`},
			{"pilots", `{regionCodeIn: ["02", "04"]}`, `{hasMunicipalitiesWith: {hasRegionWith: {codeIn: ["02", "04"]}}}`},
			{"pilots", `{wellbeingCountyCode: "90"}`, `{hasMunicipalitiesWith: {hasWellbeingCountyWith: {code: "90"}}}`},
			{"pilots", `{municipalityCode: "MUNI"}`, `{hasMunicipalitiesWith: {code: "MUNI"}}`},
			{"pilots", `{municipalityCodeIn: ["091", "049"]}`, `{hasMunicipalitiesWith: {codeIn: ["091", "049"]}}`},
			{"pilots", `{not: {regionCode: "01"}}`, `{not: {hasMunicipalitiesWith: {hasRegionWith: {code: "01"}}}}`},
			{"networks", `{regionCode: "01"}`, `{hasMunicipalitiesWith: {hasRegionWith: {code: "01"}}}`},
			{"networks", `{wellbeingCountyCodeIn: ["90", "91"]}`, `{hasMunicipalitiesWith: {hasWellbeingCountyWith: {codeIn: ["90", "91"]}}}`},
			{"networks", `{municipalityCode: "MUNI"}`, `{hasMunicipalitiesWith: {code: "MUNI"}}`},
			{"organizations", `{regionCode: "01"}`, `{hasMunicipalityWith: {hasRegionWith: {code: "01"}}}`},
			{"organizations", `{wellbeingCountyCode: "90"}`, `{hasMunicipalityWith: {hasWellbeingCountyWith: {code: "90"}}}`},
			{"organizations", `{municipalityCodeIn: ["091", "049", "092"]}`, `{hasMunicipalityWith: {codeIn: ["091", "049", "092"]}}`},
		} {
			c.direct, c.nested = strings.ReplaceAll(c.direct, "MUNI", muni), strings.ReplaceAll(c.nested, "MUNI", muni)
			d, n := total(c.list, c.direct), total(c.list, c.nested)
			if d != n {
				t.Errorf("%s(where: %s) = %d, nested filter %d", c.list, c.direct, d, n)
			}
			if all := total(c.list, `{}`); d == 0 && c.list != "organizations" || d == all && !strings.Contains(c.direct, "not") {
				t.Errorf("%s(where: %s) = %d of %d: the data does not exercise the filter", c.list, c.direct, d, all)
			}
		}

		// Notices: a pilot in Helsinki (region 01) with a public and a
		// members-only workspace, each with a notice.
		ctx := auth.System(context.Background())
		c := a.db.Client
		p := a.people()
		helsinki := c.Municipality.Query().Where(municipality.Code("091")).OnlyIDX(ctx)
		pilot := c.Pilot.Create().SetTitle("Alueen kokeilu").AddMunicipalityIDs(helsinki).SaveX(ctx)
		for _, v := range []workspace.Visibility{workspace.VisibilityPUBLIC, workspace.VisibilityMEMBERS_ONLY} {
			ws := c.Workspace.Create().SetName("Alue " + string(v)).SetSlug("alue-" + strings.ToLower(string(v))).SetVisibility(v).SaveX(ctx)
			if v == workspace.VisibilityPUBLIC {
				c.Pilot.UpdateOne(pilot).SetWorkspace(ws).ExecX(ctx)
			} else {
				net := c.Network.Create().SetName("Alueverkosto").AddMunicipalityIDs(helsinki).SaveX(ctx)
				c.Workspace.UpdateOne(ws).SetNetwork(net).ExecX(ctx)
				c.Membership.Create().SetWorkspace(ws).SetUserID(p.id["member"]).SetRole("MEMBER").ExecX(ctx)
			}
			c.Notice.Create().SetWorkspace(ws).SetTitle("Ilmoitus " + string(v)).ExecX(ctx)
		}
		notices := func(where string, who string) []string {
			var got struct {
				Notices struct{ Nodes []struct{ Title string } }
			}
			a.query(&got, `{ notices(where: `+where+`) { nodes { title } } }`, nil, p.header(who)...)
			var titles []string
			for _, n := range got.Notices.Nodes {
				titles = append(titles, n.Title)
			}
			return titles
		}
		for _, c := range []struct {
			where, who string
			want       string
		}{
			{`{regionCode: "01"}`, "anonymous", "[Ilmoitus PUBLIC]"},
			{`{municipalityCode: "091"}`, "outsider", "[Ilmoitus PUBLIC]"},
			{`{regionCode: "01"}`, "member", "[Ilmoitus PUBLIC Ilmoitus MEMBERS_ONLY]"},
			{`{wellbeingCountyCodeIn: ["90"]}`, "member", "[Ilmoitus PUBLIC Ilmoitus MEMBERS_ONLY]"},
			{`{regionCode: "02"}`, "member", "[]"},
		} {
			if got := fmt.Sprint(notices(c.where, c.who)); got != c.want {
				t.Errorf("notices(where: %s) as %s: %s, want %s", c.where, c.who, got, c.want)
			}
		}
	})
}

// andOrAll is the conjunction of filters; nil (every pilot) when none.
func andOrAll(filters []any) map[string]any {
	if len(filters) == 0 {
		return nil
	}
	return map[string]any{"and": filters}
}

// TestPilotStatsCost: pilotStats costs the buckets it can return, so a
// small grouping passes with its cost reported and a huge one (or many
// aliased copies) is refused before any SQL runs.
func TestPilotStatsCost(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	res := a.postRaw(map[string]any{"query": `{ pilotStats(groupBy: [REGION, STATUS]) { total } }`})
	if len(res.Errors) > 0 || res.Status != 200 {
		t.Fatalf("region × status: %d %+v", res.Status, res.Errors)
	}
	var full struct {
		Extensions struct{ Cost struct{ Nodes int } } `json:"extensions"`
	}
	if err := json.Unmarshal(a.rawPost(`{ pilotStats(groupBy: [REGION, STATUS]) { total } }`), &full); err != nil {
		t.Fatal(err)
	}
	if full.Extensions.Cost.Nodes != 19*4 {
		t.Errorf("region × status costs %d nodes, want %d", full.Extensions.Cost.Nodes, 19*4)
	}
	before := a.statements.Load()
	e := a.fail("COST_LIMIT_EXCEEDED", `{ pilotStats(groupBy: [MUNICIPALITY, NETWORK, ACTIVE_YEAR]) { total } }`, nil)
	if e.Extensions["measure"] != "nodes" {
		t.Errorf("refused for %v", e.Extensions)
	}
	var aliases strings.Builder
	for i := range 20 {
		fmt.Fprintf(&aliases, "s%d: pilotStats(groupBy: [MUNICIPALITY, THEME]) { total } ", i)
	}
	a.fail("COST_LIMIT_EXCEEDED", "{ "+aliases.String()+"}", nil)
	if n := a.statements.Load() - before; n != 0 {
		t.Errorf("refused queries ran %d statements", n)
	}
}
