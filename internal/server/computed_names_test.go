package server_test

import (
	"context"
	"testing"

	"kokeilu/internal/auth"
	"kokeilu/internal/lang"
	"kokeilu/internal/testdb"
)

// TestNamesUnderListsInEveryLanguage: loading a list asks the database for
// the name columns alone when `name` is the only computed field selected
// (graph.ComputedColumns), so every language's name must still arrive for
// every row: regions and, under a nested connection, their municipalities
// and those municipalities' wellbeing counties, compared with the rows
// read straight from the database.
func TestNamesUnderListsInEveryLanguage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		type names struct {
			Code       string
			FI, SV, EN string
		}
		var got struct {
			Regions struct {
				Nodes []struct {
					names
					Municipalities struct {
						Nodes []struct {
							names
							WellbeingCounty *names `json:"wellbeingCounty"`
						}
					}
				}
			}
		}
		a.query(&got, `{ regions(first: 100) { nodes { code fi: name(lang: FI) sv: name(lang: SV) en: name(lang: EN)
		  municipalities(first: 100) { nodes { code fi: name(lang: FI) sv: name(lang: SV) en: name(lang: EN)
		    wellbeingCounty { code fi: name(lang: FI) sv: name(lang: SV) en: name(lang: EN) } } } } } }`, nil)

		ctx := auth.System(context.Background())
		in := func(l lang.Language) *lang.Language { return &l }
		want := func(fi, sv, en string) names {
			return names{FI: lang.Name(ctx, in(lang.FI), fi, sv, en), SV: lang.Name(ctx, in(lang.SV), fi, sv, en), EN: lang.Name(ctx, in(lang.EN), fi, sv, en)}
		}
		check := func(kind string, got names, fi, sv, en string) {
			t.Helper()
			w := want(fi, sv, en)
			w.Code = got.Code
			if got != w {
				t.Errorf("%s %s: got %+v, want %+v", kind, got.Code, got, w)
			}
		}
		regions, err := a.db.Client.Region.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		regionByCode := map[string][3]string{}
		for _, r := range regions {
			regionByCode[r.Code] = [3]string{r.NameFi, r.NameSv, r.NameEn}
		}
		municipalities, err := a.db.Client.Municipality.Query().WithWellbeingCounty().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			fi, sv, en string
			county     *[3]string
		}
		byCode := map[string]row{}
		for _, m := range municipalities {
			r := row{fi: m.NameFi, sv: m.NameSv, en: m.NameEn}
			if c := m.Edges.WellbeingCounty; c != nil {
				r.county = &[3]string{c.NameFi, c.NameSv, c.NameEn}
			}
			byCode[m.Code] = r
		}
		seen, swedish := 0, 0
		if len(got.Regions.Nodes) != len(regions) {
			t.Fatalf("%d regions, want %d", len(got.Regions.Nodes), len(regions))
		}
		for _, r := range got.Regions.Nodes {
			n := regionByCode[r.Code]
			check("region", r.names, n[0], n[1], n[2])
			for _, m := range r.Municipalities.Nodes {
				seen++
				w, ok := byCode[m.Code]
				if !ok {
					t.Fatalf("municipality %s is not in the database", m.Code)
				}
				check("municipality", m.names, w.fi, w.sv, w.en)
				if m.SV != m.FI {
					swedish++
				}
				switch {
				case (m.WellbeingCounty == nil) != (w.county == nil):
					t.Errorf("municipality %s: wellbeing county %+v, want %v", m.Code, m.WellbeingCounty, w.county)
				case w.county != nil:
					check("wellbeing county", *m.WellbeingCounty, w.county[0], w.county[1], w.county[2])
				}
			}
		}
		// The check can fail: rows whose Swedish name differs from the
		// Finnish one are among those compared.
		if seen == 0 || swedish == 0 {
			t.Fatalf("%d municipalities compared, %d with their own Swedish name", seen, swedish)
		}
	})
}
