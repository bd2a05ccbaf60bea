package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"kokeilu/internal/auth"
	"kokeilu/internal/dataset"
	"kokeilu/internal/netgraph"
	"kokeilu/internal/testdb"
)

// TestCostGraphViewsFollowTheGraph (found by a hostile review): every
// distinct graph filter counted a fixed 50,000-node view, so ten yearly
// centralities or ten regional graphs were refused on a graph of a few
// thousand nodes; and components and communities counted one item however
// many members they listed (70 aliases of components(membersFirst: 100000)
// were accepted and took +600 MB). A view now counts the whole graph's
// nodes, and the groups and their members at most as many again. On the
// demo data and the generated 5,000-pilot set the research operations run;
// on the latter the hostile ones are refused before they run.
func TestCostGraphViewsFollowTheGraph(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		research := func(t *testing.T, a *api) {
			var regions struct {
				Regions struct{ Nodes []struct{ Code string } }
			}
			a.query(&regions, `{ regions(first: 10) { nodes { code } } }`, nil)
			if len(regions.Regions.Nodes) != 10 {
				t.Fatalf("%d regions", len(regions.Regions.Nodes))
			}
			var years, areas strings.Builder
			for k := range 10 {
				fmt.Fprintf(&years, `y%d: centrality(metric: DEGREE, filter: {asOf: "%d-06-30"}) { nodeCount scores { score node { id } } } `, k, 2015+k)
				fmt.Fprintf(&areas, `r%d: networkGraph(filter: {regionCode: %q}) { totalNodes truncated } `, k, regions.Regions.Nodes[k].Code)
			}
			for name, q := range map[string]string{
				"10 yearly centralities": "{ " + years.String() + "}",
				"10 regional graphs":     "{ " + areas.String() + "}",
				"components and communities of a period": `{ components(filter: {asOf: "2024-01-01"}) { size members { id } } ` +
					`communities(filter: {asOf: "2024-01-01"}, membersFirst: 10) { modularity communities { size members { label } } } }`,
			} {
				if res := a.post(q, nil); len(res.Errors) > 0 {
					t.Errorf("%s: %.300v", name, res.Errors)
				}
			}
		}
		t.Run("demo", func(t *testing.T) { research(t, newAPI(t, b, true)) })
		t.Run("5000 pilots", func(t *testing.T) {
			a := newAPI(t, b, false)
			ctx := auth.System(context.Background())
			if err := dataset.Generate(ctx, a.db.Client, dataset.Size{Pilots: 5000, Networks: 50, Organizations: 125, Themes: 30}, 3); err != nil {
				t.Fatal(err)
			}
			research(t, a)
			view, err := netgraph.For(a.db.Client).Nodes(ctx)
			if err != nil || view < 5000 {
				t.Fatalf("the whole graph has %d nodes: %v", view, err)
			}
			var id struct {
				Municipalities struct{ Nodes []struct{ ID string } }
			}
			a.query(&id, `{ municipalities(first: 1) { nodes { id } } }`, nil)
			var periods, members strings.Builder
			for k := range 100 {
				fmt.Fprintf(&periods, `a%d: neighborhood(id: %q, depth: 3, filter: {asOf: "20%02d-01-01"}) { totalNodes nodes { id } } `, k, id.Municipalities.Nodes[0].ID, k)
			}
			for k := range 70 {
				fmt.Fprintf(&members, `a%d: components(membersFirst: 100000) { size members { id label } } `, k)
			}
			for _, c := range []struct {
				name, query string
				want        int
			}{
				{"100 neighborhoods over 100 periods", "{ " + periods.String() + "}", 100 * (view + 1_000)},
				{"70 aliases of components(membersFirst: 100000)", "{ " + members.String() + "}", view + 70*2*view},
			} {
				before := a.statements.Load()
				res := a.post(c.query, nil)
				if len(res.Errors) == 0 || res.Errors[0].code() != "COST_LIMIT_EXCEEDED" || res.Errors[0].Extensions["cost"] != float64(c.want) || res.Data != nil {
					t.Errorf("%s: want COST_LIMIT_EXCEEDED at %d nodes, got %.300v", c.name, c.want, res.Errors)
				}
				if ran := a.statements.Load() - before; ran > 1 { // the revision
					t.Errorf("%s: %d SQL statements ran before the refusal", c.name, ran)
				}
			}
		})
	})
}
