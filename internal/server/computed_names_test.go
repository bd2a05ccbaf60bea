package server_test

import (
	"context"
	"strings"
	"testing"

	"kokeilu/internal/auth"
	"kokeilu/internal/lang"
	"kokeilu/internal/testdb"
)

// TestNamesUnderListsInEveryLanguage: loading a list asks the database for
// the name columns that name(lang:) reads alone when `name` is the only
// computed field selected (graph.ComputedColumns: the wanted language's and
// the Finnish one), so the name in each language must still arrive for
// every row: regions and, under a nested connection, their municipalities
// and those municipalities' wellbeing counties, compared with the rows read
// straight from the database. The language is given every way a client
// can: three aliases with literal arguments in one query, a variable, and
// Accept-Language for a `name` without an argument.
func TestNamesUnderListsInEveryLanguage(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		ctx := auth.System(context.Background())
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
			names  [3]string
			county *[3]string
		}
		byCode := map[string]row{}
		for _, m := range municipalities {
			r := row{names: [3]string{m.NameFi, m.NameSv, m.NameEn}}
			if c := m.Edges.WellbeingCounty; c != nil {
				r.county = &[3]string{c.NameFi, c.NameSv, c.NameEn}
			}
			byCode[m.Code] = r
		}

		languages := []lang.Language{lang.FI, lang.SV, lang.EN}
		// names are a row's names as asked: by the languages' aliases, or
		// one language by `name`.
		type names struct {
			Code             string
			FI, SV, EN, Name string
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
		// check compares the rows answered, in the languages asked, with
		// what lang.Name gives from the database's names.
		check := func(way string, asked []lang.Language) {
			t.Helper()
			compare := func(kind string, got names, n [3]string) {
				t.Helper()
				answered := map[lang.Language]string{lang.FI: got.FI, lang.SV: got.SV, lang.EN: got.EN}
				if len(asked) == 1 {
					answered = map[lang.Language]string{asked[0]: got.Name}
				}
				for _, l := range asked {
					if want := lang.Name(ctx, &l, n[0], n[1], n[2]); answered[l] != want {
						t.Errorf("%s: %s %s in %s: got %q, want %q", way, kind, got.Code, l, answered[l], want)
					}
				}
			}
			if len(got.Regions.Nodes) != len(regions) {
				t.Fatalf("%s: %d regions, want %d", way, len(got.Regions.Nodes), len(regions))
			}
			seen, own := 0, 0
			for _, r := range got.Regions.Nodes {
				compare("region", r.names, regionByCode[r.Code])
				for _, m := range r.Municipalities.Nodes {
					seen++
					w, ok := byCode[m.Code]
					if !ok {
						t.Fatalf("%s: municipality %s is not in the database", way, m.Code)
					}
					compare("municipality", m.names, w.names)
					if w.names[1] != "" && w.names[1] != w.names[0] || w.names[2] != "" && w.names[2] != w.names[0] {
						own++
					}
					switch {
					case (m.WellbeingCounty == nil) != (w.county == nil):
						t.Errorf("%s: municipality %s: wellbeing county %+v, want %v", way, m.Code, m.WellbeingCounty, w.county)
					case w.county != nil:
						compare("wellbeing county", *m.WellbeingCounty, *w.county)
					}
				}
			}
			// The check can fail: rows whose Swedish or English name
			// differs from the Finnish one are among those compared.
			if seen == 0 || own == 0 {
				t.Fatalf("%s: %d municipalities compared, %d with a name of their own in Swedish or English", way, seen, own)
			}
		}

		a.query(&got, `{ regions(first: 100) { nodes { code fi: name(lang: FI) sv: name(lang: SV) en: name(lang: EN)
		  municipalities(first: 100) { nodes { code fi: name(lang: FI) sv: name(lang: SV) en: name(lang: EN)
		    wellbeingCounty { code fi: name(lang: FI) sv: name(lang: SV) en: name(lang: EN) } } } } } }`, nil)
		check("three aliases", languages)
		for _, l := range languages {
			got.Regions.Nodes = nil
			a.query(&got, `query($l: Language) { regions(first: 100) { nodes { code name(lang: $l)
			  municipalities(first: 100) { nodes { code name(lang: $l) wellbeingCounty { code name(lang: $l) } } } } } }`,
				map[string]any{"l": l})
			check("variable "+string(l), []lang.Language{l})
			got.Regions.Nodes = nil
			a.query(&got, `{ regions(first: 100) { nodes { code name municipalities(first: 100) { nodes { code name wellbeingCounty { code name } } } } } }`,
				nil, "Accept-Language", strings.ToLower(string(l)))
			check("Accept-Language "+string(l), []lang.Language{l})
		}
	})
}
