package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"

	"kokeilu/ent"
	"kokeilu/ent/municipality"
	"kokeilu/internal/auth"
	"kokeilu/internal/dataset"
	"kokeilu/internal/scalar"
	"kokeilu/internal/search"
	"kokeilu/internal/testdb"
)

// TestLeadTakesPartThroughTheAPI: a pilot's lead municipality is one of
// its participants whatever the mutation lists; taking the lead out of the
// participants while it leads is BAD_USER_INPUT naming the input field,
// and moving or clearing the lead first makes it possible.
func TestLeadTakesPartThroughTheAPI(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		token, _ := a.register("lead@example.org", "Lead")
		h := bearer(token)
		ids := map[string]string{}
		for _, m := range a.db.Client.Municipality.Query().Where(municipality.CodeIn("091", "049", "853")).AllX(auth.System(context.Background())) {
			ids[m.Code] = scalar.EncodeID(m.ID)
		}
		participants := func(id string) []string {
			var got struct {
				Node struct {
					Municipalities struct{ Nodes []struct{ Code string } }
				}
			}
			a.query(&got, `query($id: ID!) { node(id: $id) { ... on Pilot { municipalities(first: 50) { nodes { code } } } } }`,
				map[string]any{"id": id})
			var codes []string
			for _, n := range got.Node.Municipalities.Nodes {
				codes = append(codes, n.Code)
			}
			slices.Sort(codes)
			return codes
		}
		var created struct{ CreatePilot struct{ ID string } }
		a.query(&created, `mutation($lead: ID!, $m: [ID!]) { createPilot(input: {title: "Led by Helsinki", leadMunicipalityID: $lead, municipalityIDs: $m}) { id } }`,
			map[string]any{"lead": ids["091"], "m": []string{ids["853"]}}, h...)
		id := created.CreatePilot.ID
		if got := participants(id); !slices.Equal(got, []string{"091", "853"}) {
			t.Fatalf("created with lead 091 and participant 853: participants %v", got)
		}
		update := func(input string, vars map[string]any) response {
			decl := "$id: ID!"
			if _, ok := vars["lead"]; ok {
				decl += ", $lead: ID"
			}
			if _, ok := vars["m"]; ok {
				decl += ", $m: [ID!]"
			}
			vars["id"] = id
			return a.post(`mutation(`+decl+`) { updatePilot(id: $id, input: `+input+`) { id } }`, vars, h...)
		}
		for _, c := range []struct {
			input, field string
			vars         map[string]any
		}{
			{`{removeMunicipalityIDs: $m}`, "removeMunicipalityIDs", map[string]any{"m": []string{ids["091"]}}},
			{`{clearMunicipalities: true}`, "clearMunicipalities", map[string]any{}},
			{`{clearMunicipalities: true, addMunicipalityIDs: $m}`, "clearMunicipalities", map[string]any{"m": []string{ids["853"]}}},
		} {
			res := update(c.input, c.vars)
			if len(res.Errors) != 1 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != c.field ||
				!strings.Contains(res.Errors[0].Message, "091") {
				t.Errorf("%s: %+v", c.input, res.Errors)
			}
			if got := participants(id); !slices.Equal(got, []string{"091", "853"}) {
				t.Errorf("after the refused %s: participants %v", c.input, got)
			}
		}
		steps := []struct {
			input string
			vars  map[string]any
			want  []string
		}{
			// Keeping the lead while replacing the rest.
			{`{clearMunicipalities: true, addMunicipalityIDs: $m}`, map[string]any{"m": []string{ids["091"], ids["049"]}}, []string{"049", "091"}},
			// Removing and adding the lead in one update keeps it (the end
			// state counts, as for clearMunicipalities + addMunicipalityIDs).
			{`{removeMunicipalityIDs: $m, addMunicipalityIDs: $m}`, map[string]any{"m": []string{ids["091"]}}, []string{"049", "091"}},
			// A new lead joins; the old one may leave in the same update.
			{`{leadMunicipalityID: $lead, removeMunicipalityIDs: $m}`, map[string]any{"lead": ids["853"], "m": []string{ids["091"]}}, []string{"049", "853"}},
			// Without a lead, any participant may leave.
			{`{clearLeadMunicipality: true, removeMunicipalityIDs: $m}`, map[string]any{"m": []string{ids["853"]}}, []string{"049"}},
			// Setting a lead that already takes part changes nothing else.
			{`{leadMunicipalityID: $lead}`, map[string]any{"lead": ids["049"]}, []string{"049"}},
		}
		for _, s := range steps {
			if res := update(s.input, s.vars); len(res.Errors) > 0 {
				t.Fatalf("%s: %+v", s.input, res.Errors)
			}
			if got := participants(id); !slices.Equal(got, s.want) {
				t.Errorf("%s: participants %v, want %v", s.input, got, s.want)
			}
		}
	})
}

// TestAreaCountsAgreeAcrossSurfaces: on generated data, with pilots whose
// lead municipality was not listed among the participants they were
// created with, every surface counts the same pilots in an area, and that
// is the reference computed here from the rows: the pilots led by, or
// with a participant in, a municipality of the area. Surfaces: the where
// inputs' area fields, pilotStats buckets, Region.pilots and
// WellbeingCounty.pilots (one-statement totalCount and paged), and the
// CSV and JSON exports; for every region and wellbeing services county, a
// sample of municipalities and of subregions. Run with -v for a table.
func TestAreaCountsAgreeAcrossSurfaces(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		ctx := search.WithoutIndexing(auth.System(context.Background()))
		if err := dataset.Generate(ctx, a.db.Client, dataset.Size{Pilots: 400, Networks: 5, Organizations: 10, Themes: 5}, 11); err != nil {
			t.Fatal(err)
		}
		munis := a.db.Client.Municipality.Query().WithRegion().WithWellbeingCounty().Order(ent.Asc(municipality.FieldCode)).AllX(ctx)
		// Pilots created through the API with a lead outside the listed
		// participants (the case that made the surfaces disagree).
		token, _ := a.register("areas@example.org", "Areas")
		rnd := rand.New(rand.NewPCG(16, 1))
		for i := range 30 {
			lead, other := munis[rnd.IntN(len(munis))], munis[rnd.IntN(len(munis))]
			if i == 0 {
				lead = munis[slices.IndexFunc(munis, func(m *ent.Municipality) bool { return m.Code == "091" })]
			}
			a.query(&struct{}{}, `mutation($lead: ID!, $m: [ID!]) { createPilot(input: {title: "Led elsewhere", leadMunicipalityID: $lead, municipalityIDs: $m}) { id } }`,
				map[string]any{"lead": scalar.EncodeID(lead.ID), "m": []string{scalar.EncodeID(other.ID)}}, bearer(token)...)
		}

		// The reference: pilots led by, or with a participant in, the area.
		type key struct{ dim, code string }
		want := map[key]map[int]bool{}
		add := func(p int, m *ent.Municipality) {
			keys := []key{{"MUNICIPALITY", m.Code}, {"SUBREGION", m.SubregionCode}, {"REGION", m.Edges.Region.Code}}
			if c := m.Edges.WellbeingCounty; c != nil {
				keys = append(keys, key{"WELLBEING_COUNTY", c.Code})
			}
			for _, k := range keys {
				if want[k] == nil {
					want[k] = map[int]bool{}
				}
				want[k][p] = true
			}
		}
		byID := map[int]*ent.Municipality{}
		for _, m := range munis {
			byID[m.ID] = m
		}
		pilots := a.db.Client.Pilot.Query().WithLeadMunicipality().WithMunicipalities().AllX(ctx)
		for _, p := range pilots {
			if l := p.Edges.LeadMunicipality; l != nil {
				add(p.ID, byID[l.ID])
			}
			for _, m := range p.Edges.Municipalities {
				add(p.ID, byID[m.ID])
			}
		}

		// The areas: every region and county, a sample of municipalities
		// (Helsinki among them) and of subregions.
		areas := map[string][]string{}
		for _, m := range munis {
			if r := m.Edges.Region.Code; !slices.Contains(areas["REGION"], r) {
				areas["REGION"] = append(areas["REGION"], r)
			}
			if c := m.Edges.WellbeingCounty; c != nil && !slices.Contains(areas["WELLBEING_COUNTY"], c.Code) {
				areas["WELLBEING_COUNTY"] = append(areas["WELLBEING_COUNTY"], c.Code)
			}
		}
		for _, m := range munis {
			if m.Code == "091" || rnd.IntN(20) == 0 {
				areas["MUNICIPALITY"] = append(areas["MUNICIPALITY"], m.Code)
				if !slices.Contains(areas["SUBREGION"], m.SubregionCode) {
					areas["SUBREGION"] = append(areas["SUBREGION"], m.SubregionCode)
				}
			}
		}
		if len(areas["REGION"]) < 19 || len(areas["WELLBEING_COUNTY"]) < 23 || len(areas["MUNICIPALITY"]) < 5 {
			t.Fatalf("areas %v", areas)
		}

		whereField := map[string]string{"REGION": "regionCode", "WELLBEING_COUNTY": "wellbeingCountyCode",
			"SUBREGION": "subregionCode", "MUNICIPALITY": "municipalityCode"}
		exportParam := map[string]string{"REGION": "region", "WELLBEING_COUNTY": "county", "MUNICIPALITY": "municipality"}
		lookup := map[string]string{"REGION": "region", "WELLBEING_COUNTY": "wellbeingCounty", "MUNICIPALITY": "municipality"}
		got := map[key]map[string]int{} // area → surface → count
		note := func(k key, surface string, n int) {
			if got[k] == nil {
				got[k] = map[string]int{}
			}
			got[k][surface] = n
		}
		for dim, codes := range areas {
			// pilotStats, one bucket per area.
			var stats struct {
				PilotStats struct {
					Buckets []struct {
						Keys   []struct{ Code string }
						Pilots int
					}
				}
			}
			a.query(&stats, `query($d: PilotDimension!) { pilotStats(groupBy: [$d]) { buckets { keys { code } pilots } } }`,
				map[string]any{"d": dim})
			for _, bk := range stats.PilotStats.Buckets {
				note(key{dim, bk.Keys[0].Code}, "pilotStats", bk.Pilots)
			}
			// pilots(where:) and the area's own pilots connection, one
			// request per area: an area code is an edge test (weight 3 on
			// pilots), so the operation limit refuses a whole dimension's
			// codes as aliases of one request.
			for _, code := range codes {
				k := key{dim, code}
				q := fmt.Sprintf(`{ w: pilots(first: 1, where: {%s: %q}) { totalCount }`, whereField[dim], code)
				if l := lookup[dim]; l != "" {
					q += fmt.Sprintf(` a: %s(code: %q) { count: pilots { totalCount } paged: pilots(first: 2) { totalCount edges { node { id } } } }`, l, code)
				}
				var data struct {
					W struct{ TotalCount int }
					A struct{ Count, Paged struct{ TotalCount int } }
				}
				a.query(&data, q+" }", nil)
				note(k, "where", data.W.TotalCount)
				if lookup[dim] != "" {
					note(k, "area.pilots", data.A.Count.TotalCount)
					note(k, "area.pilots(first:2)", data.A.Paged.TotalCount)
				}
				if p := exportParam[dim]; p != "" {
					note(k, "pilots.csv", len(a.exportCSV(p+"="+code)))
					status, body := a.get("/export/pilots.json?" + p + "=" + code)
					var rows []json.RawMessage
					if err := json.Unmarshal(body, &rows); status != http.StatusOK || err != nil {
						t.Fatalf("pilots.json?%s=%s: %d %v", p, code, status, err)
					}
					note(k, "pilots.json", len(rows))
				}
			}
		}

		surfaces := []string{"where", "pilotStats", "area.pilots", "area.pilots(first:2)", "pilots.csv", "pilots.json"}
		of := map[string][]string{"REGION": surfaces, "WELLBEING_COUNTY": surfaces, "MUNICIPALITY": surfaces,
			"SUBREGION": surfaces[:2]}
		checked, nonzero := 0, 0
		for dim, codes := range areas {
			for _, code := range codes {
				k := key{dim, code}
				reference := len(want[k])
				if reference > 0 {
					nonzero++
				}
				for _, s := range of[dim] {
					// An area without pilots has no pilotStats bucket.
					if n := got[k][s]; n != reference {
						t.Errorf("%s %s: %s counts %d, the rows say %d", dim, code, s, n, reference)
					}
					checked++
				}
			}
		}
		if nonzero < 30 {
			t.Errorf("only %d areas have pilots: the data is too thin to compare", nonzero)
		}
		t.Logf("%s: %d area counts compared over %d pilots", b, checked, len(pilots))
		var table strings.Builder
		fmt.Fprintf(&table, "\n| area | rows (lead or participant) | %s |\n", strings.Join(surfaces, " | "))
		for _, k := range []key{{"REGION", "01"}, {"REGION", "02"}, {"REGION", "21"}, {"MUNICIPALITY", "091"}} {
			fmt.Fprintf(&table, "| %s %s | %d |", k.dim, k.code, len(want[k]))
			for _, s := range surfaces {
				if n, ok := got[k][s]; ok {
					fmt.Fprintf(&table, " %d |", n)
				} else {
					table.WriteString(" – |")
				}
			}
			table.WriteString("\n")
		}
		t.Log(table.String())
	})
}

// TestAreaCodesAreChecked: an area code not of its form (two digits for
// regions and counties, three for subregions and municipalities) is
// BAD_USER_INPUT on every where input that takes one, and in the exports; a
// well-formed code that names no area matches nothing.
func TestAreaCodesAreChecked(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		for _, c := range []struct{ query, field string }{
			{`{ pilots(where: {regionCode: "1"}) { totalCount } }`, "regionCode"},
			{`{ pilots(where: {or: [{municipalityCodeIn: ["091", "91"]}]}) { totalCount } }`, "municipalityCodeIn"},
			{`{ pilotStats(where: {wellbeingCountyCode: "x1"}, groupBy: [REGION]) { total } }`, "wellbeingCountyCode"},
			{`{ pilots(where: {subregionCode: "0111"}) { totalCount } }`, "subregionCode"},
			{`{ networks(where: {regionCodeIn: ["01", " 2"]}) { totalCount } }`, "regionCodeIn"},
			{`{ organizations(where: {municipalityCode: "abc"}) { totalCount } }`, "municipalityCode"},
			{`{ notices(where: {wellbeingCountyCodeIn: ["999"]}) { totalCount } }`, "wellbeingCountyCodeIn"},
			{`{ region(code: "01") { pilots(where: {regionCode: "1"}) { totalCount } } }`, "regionCode"},
		} {
			if e := a.fail("BAD_USER_INPUT", c.query, nil); e.Extensions["field"] != c.field {
				t.Errorf("%s: field %v, want %s (%s)", c.query, e.Extensions["field"], c.field, e.Message)
			}
		}
		if n := a.pilotCount(map[string]any{"regionCode": "99"}); n != 0 {
			t.Errorf("region 99: %d pilots", n)
		}
		for _, c := range []struct{ query, param string }{
			{"region=1", "region"}, {"county=01,x", "county"}, {"municipality=0910", "municipality"},
		} {
			status, body := a.get("/export/pilots.json?" + c.query)
			if code, param := refusal(t, body); status != http.StatusBadRequest || code != "BAD_USER_INPUT" || param != c.param {
				t.Errorf("%s: %d %s on %q", c.query, status, code, param)
			}
		}
	})
}
