package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"kokeilu/ent"
	"kokeilu/internal/testdb"
)

// TestManyToManyUnderListsAsEachParentAlone: every many-to-many edge
// answered under a list of parents (first and last pages, aliases, both
// directions) equals the neighbours ent reads for each parent alone
// (QueryX, a join, not the eager loader); empty lists are [], not null.
// From the hostile review of paging.GroupLinks; it fails when a parent's
// neighbours are reversed.
func TestManyToManyUnderListsAsEachParentAlone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		ctx := context.Background()
		c := a.db.Client
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		keys := func(n int, f func(i int) string) []string {
			out := make([]string, n)
			for i := range out {
				out[i] = f(i)
			}
			return out
		}
		edges := map[string]map[string][]string{}
		add := func(edge, parent string, ks []string) {
			if edges[edge] == nil {
				edges[edge] = map[string][]string{}
			}
			edges[edge][parent] = ks
		}
		pilots, err := c.Pilot.Query().All(ctx)
		must(err)
		for _, p := range pilots {
			th, err := p.QueryThemes().Order(ent.Asc("id")).All(ctx)
			must(err)
			add("Pilot.themes", p.Slug, keys(len(th), func(i int) string { return th[i].Slug }))
			ms, err := p.QueryMunicipalities().Order(ent.Asc("id")).All(ctx)
			must(err)
			add("Pilot.municipalities", p.Slug, keys(len(ms), func(i int) string { return ms[i].Code }))
			os, err := p.QueryOrganizations().Order(ent.Asc("id")).All(ctx)
			must(err)
			add("Pilot.organizations", p.Slug, keys(len(os), func(i int) string { return os[i].Slug }))
			ns, err := p.QueryNetworks().Order(ent.Asc("id")).All(ctx)
			must(err)
			add("Pilot.networks", p.Slug, keys(len(ns), func(i int) string { return ns[i].Slug }))
			ws, err := p.QueryProjectOf().Order(ent.Asc("id")).All(ctx)
			must(err)
			add("Pilot.projectOf", p.Slug, keys(len(ws), func(i int) string { return ws[i].Slug }))
			dm, err := p.QueryDevelopedModels().Order(ent.Asc("id")).All(ctx)
			must(err)
			add("Pilot.developedModels", p.Slug, keys(len(dm), func(i int) string { return dm[i].Slug }))
		}
		themes, err := c.Theme.Query().All(ctx)
		must(err)
		for _, th := range themes {
			ps, err := th.QueryPilots().Order(ent.Asc("id")).All(ctx)
			must(err)
			add("Theme.pilots", th.Slug, keys(len(ps), func(i int) string { return ps[i].Slug }))
		}
		models, err := c.OperatingModel.Query().All(ctx)
		must(err)
		for _, m := range models {
			wc, err := m.QueryWellbeingCounties().Order(ent.Asc("id")).All(ctx)
			must(err)
			add("OperatingModel.wellbeingCounties", m.Slug, keys(len(wc), func(i int) string { return wc[i].Code }))
		}
		type conn struct {
			TotalCount int
			Nodes      []map[string]string
		}
		listOf := func(c conn, key string) []string {
			out := []string{}
			for _, n := range c.Nodes {
				out = append(out, n[key])
			}
			return out
		}
		check := func(edge, parent string, got []string, first, last int) {
			t.Helper()
			exp := edges[edge][parent]
			if exp == nil {
				exp = []string{}
			}
			if first >= 0 && len(exp) > first {
				exp = exp[:first]
			}
			if last >= 0 && len(exp) > last {
				exp = exp[len(exp)-last:]
			}
			if !reflect.DeepEqual(got, exp) {
				t.Errorf("%s of %s (first %d last %d): got %v, ent %v", edge, parent, first, last, got, exp)
			}
		}
		type edgeQ struct{ field, edge, key string }
		pq := []edgeQ{{"themes", "Pilot.themes", "slug"}, {"municipalities", "Pilot.municipalities", "code"}, {"organizations", "Pilot.organizations", "slug"},
			{"networks", "Pilot.networks", "slug"}, {"projectOf", "Pilot.projectOf", "slug"}, {"developedModels", "Pilot.developedModels", "slug"}}
		var q strings.Builder
		q.WriteString("{ pilots(first: 100) { nodes { slug")
		for _, e := range pq {
			fmt.Fprintf(&q, " %s: %s(first: 100) { totalCount nodes { %s } } %s_f1: %s(first: 1) { totalCount nodes { %s } } %s_l2: %s(last: 2) { totalCount nodes { %s } }",
				e.field, e.field, e.key, e.field, e.field, e.key, e.field, e.field, e.key)
		}
		q.WriteString(" } } }")
		var pr struct {
			Pilots struct{ Nodes []map[string]json.RawMessage }
		}
		a.query(&pr, q.String(), nil)
		if len(pr.Pilots.Nodes) != len(pilots) {
			t.Fatalf("%d pilots answered, %d in the database", len(pr.Pilots.Nodes), len(pilots))
		}
		for _, n := range pr.Pilots.Nodes {
			var slug string
			_ = json.Unmarshal(n["slug"], &slug)
			for _, e := range pq {
				for suffix, fl := range map[string][2]int{"": {100, -1}, "_f1": {1, -1}, "_l2": {-1, 2}} {
					raw := n[e.field+suffix]
					if strings.Contains(string(raw), `"nodes":null`) {
						t.Errorf("%s%s of %s: nodes null", e.field, suffix, slug)
					}
					var c conn
					_ = json.Unmarshal(raw, &c)
					check(e.edge, slug, listOf(c, e.key), fl[0], fl[1])
					if c.TotalCount != len(edges[e.edge][slug]) {
						t.Errorf("%s%s of %s: totalCount %d, ent %d", e.field, suffix, slug, c.TotalCount, len(edges[e.edge][slug]))
					}
				}
			}
		}
		var tr struct {
			Themes struct {
				Nodes []struct {
					Slug           string
					Pilots, P1, PL conn
				}
			}
		}
		a.query(&tr, `{ themes(first: 100) { nodes { slug pilots(first: 100) { totalCount nodes { slug } } p1: pilots(first: 1) { totalCount nodes { slug } } pL: pilots(last: 1) { totalCount nodes { slug } } } } }`, nil)
		for _, n := range tr.Themes.Nodes {
			check("Theme.pilots", n.Slug, listOf(n.Pilots, "slug"), 100, -1)
			check("Theme.pilots", n.Slug, listOf(n.P1, "slug"), 1, -1)
			check("Theme.pilots", n.Slug, listOf(n.PL, "slug"), -1, 1)
		}
		var or struct {
			OperatingModels struct {
				Nodes []struct {
					Slug                  string
					WellbeingCounties, W2 []map[string]string
				}
			}
		}
		res := a.post(`{ operatingModels(first: 100) { nodes { slug wellbeingCounties { code } w2: wellbeingCounties { code } } } }`, nil)
		if strings.Contains(string(res.Data), `"wellbeingCounties":null`) || strings.Contains(string(res.Data), `"w2":null`) {
			t.Errorf("null list: %s", res.Data)
		}
		_ = json.Unmarshal(res.Data, &or)
		for _, n := range or.OperatingModels.Nodes {
			for _, l := range [][]map[string]string{n.WellbeingCounties, n.W2} {
				got := []string{}
				for _, x := range l {
					got = append(got, x["code"])
				}
				check("OperatingModel.wellbeingCounties", n.Slug, got, -1, -1)
			}
		}
	})
}
