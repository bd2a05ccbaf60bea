package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"kokeilu/ent"
	"kokeilu/internal/auth"
	"kokeilu/internal/dataset"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"
)

// graphWorld is generated data for the graph tests: the reference data,
// dataset.Generate's pilots, networks, organisations and themes, links, and
// operating models developed in and adopted by random pilots and
// municipalities (the generator makes none).
func graphWorld(t *testing.T, a *api, size dataset.Size, links int) {
	t.Helper()
	ctx := auth.System(context.Background())
	c := a.db.Client
	if err := dataset.Generate(ctx, c, size, 11); err != nil {
		t.Fatal(err)
	}
	if err := dataset.GenerateLinks(ctx, c, links, 11); err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(11, 12))
	pilots := c.Pilot.Query().IDsX(ctx)
	munis := c.Municipality.Query().IDsX(ctx)
	for i := range 8 {
		m := c.OperatingModel.Create().SetSlug(fmt.Sprintf("malli-%d", i)).SetName(fmt.Sprintf("Malli %d", i)).
			SetFunder("STM").AddDevelopedInIDs(pilots[rnd.IntN(len(pilots))]).SaveX(ctx)
		for range 3 {
			adopt := c.Adoption.Create().SetOperatingModel(m).
				SetAdoptedOn(time.Date(2012+rnd.IntN(12), 1, 1, 0, 0, 0, 0, time.UTC))
			if rnd.IntN(2) == 0 {
				adopt.SetMunicipalityID(munis[rnd.IntN(len(munis))])
			} else {
				adopt.SetPilotID(pilots[rnd.IntN(len(pilots))])
			}
			adopt.SaveX(ctx)
		}
	}
}

// graphRows is the reference: the rows behind the graph, read with ent.
type graphRows struct {
	region    map[int]string // municipality → region code
	pilots    []*ent.Pilot   // with themes, municipalities, organisations, networks
	networks  map[int]*ent.Network
	models    []*ent.OperatingModel // with developed_in and adoptions
	regions   []string
	themes    []string
	municipal []int
}

func readGraphRows(t *testing.T, a *api) *graphRows {
	ctx := auth.System(context.Background())
	c := a.db.Client
	r := &graphRows{region: map[int]string{}, networks: map[int]*ent.Network{}}
	for _, m := range c.Municipality.Query().WithRegion().AllX(ctx) {
		r.region[m.ID] = m.Edges.Region.Code
		r.municipal = append(r.municipal, m.ID)
	}
	r.pilots = c.Pilot.Query().WithThemes().WithMunicipalities().WithOrganizations().WithNetworks().AllX(ctx)
	for _, n := range c.Network.Query().WithMunicipalities().AllX(ctx) {
		r.networks[n.ID] = n
	}
	r.models = c.OperatingModel.Query().WithDevelopedIn().WithAdoptions(func(q *ent.AdoptionQuery) {
		q.WithMunicipality().WithPilot()
	}).AllX(ctx)
	for _, g := range c.Region.Query().AllX(ctx) {
		r.regions = append(r.regions, g.Code)
	}
	for _, th := range c.Theme.Query().AllX(ctx) {
		r.themes = append(r.themes, th.Slug)
	}
	return r
}

// window is a filter's period: asOf is from = to; nil ends are open.
type window struct{ from, to *time.Time }

// holds tells whether [from, to] (nil: open) meets the window.
func (w window) holds(from, to *time.Time) bool {
	return (w.to == nil || from == nil || !from.After(*w.to)) && (w.from == nil || to == nil || !to.Before(*w.from))
}

// expected is the node set the schema's GraphFilter text promises for a
// region code and/or theme slug in period w, written from the rows without
// netgraph's code.
func (r *graphRows) expected(region, theme string, w window) map[int]bool {
	keep := map[int]bool{}
	inRegion := func(m int) bool { return region == "" || r.region[m] == region }
	pilotKept := map[int]bool{}
	for _, p := range r.pilots {
		if !w.holds(p.StartsOn, p.EndsOn) {
			continue
		}
		if theme != "" && !slices.ContainsFunc(p.Edges.Themes, func(th *ent.Theme) bool { return th.Slug == theme }) {
			continue
		}
		if !slices.ContainsFunc(p.Edges.Municipalities, func(m *ent.Municipality) bool { return inRegion(m.ID) }) {
			continue
		}
		pilotKept[p.ID] = true
		keep[p.ID] = true
		for _, m := range p.Edges.Municipalities {
			if inRegion(m.ID) {
				keep[m.ID] = true
			}
		}
		for _, o := range p.Edges.Organizations {
			keep[o.ID] = true
		}
		for _, n := range p.Edges.Networks {
			// PART_OF_NETWORK holds while both do.
			if nw := r.networks[n.ID]; w.holds(nw.StartsOn, nw.EndsOn) && w.holds(latest(p.StartsOn, nw.StartsOn), earliest(p.EndsOn, nw.EndsOn)) {
				keep[n.ID] = true
			}
		}
	}
	areaOnly := region != "" && theme == ""
	if areaOnly {
		for m, code := range r.region {
			if code == region {
				keep[m] = true
			}
		}
		for _, n := range r.networks {
			if w.holds(n.StartsOn, n.EndsOn) && slices.ContainsFunc(n.Edges.Municipalities, func(m *ent.Municipality) bool { return r.region[m.ID] == region }) {
				keep[n.ID] = true
			}
		}
	}
	for _, om := range r.models {
		tied := slices.ContainsFunc(om.Edges.DevelopedIn, func(p *ent.Pilot) bool { return pilotKept[p.ID] })
		for _, ad := range om.Edges.Adoptions {
			if !w.holds(ad.AdoptedOn, nil) {
				continue
			}
			if p := ad.Edges.Pilot; p != nil && pilotKept[p.ID] {
				tied = true
			}
			if m := ad.Edges.Municipality; m != nil && areaOnly && r.region[m.ID] == region {
				tied = true
			}
		}
		if tied {
			keep[om.ID] = true
		}
	}
	return keep
}

// latest and earliest are the later start and the earlier end (nil: open).
func latest(a, b *time.Time) *time.Time {
	if a == nil || b != nil && b.After(*a) {
		return b
	}
	return a
}

func earliest(a, b *time.Time) *time.Time {
	if a == nil || b != nil && b.Before(*a) {
		return b
	}
	return a
}

const filteredGraphQuery = `query($f: GraphFilter) { networkGraph(filter: $f) {
  nodes { id type label attributes { key value } } edges { id source target kind weight validFrom validTo } totalNodes truncated } }`

type graphAnswer struct {
	Nodes []gNode
	Edges []struct {
		ID, Source, Target, Kind string
		Weight                   float64
	}
	TotalNodes int
	Truncated  bool
}

func networkGraphOf(t *testing.T, a *api, filter map[string]any) graphAnswer {
	t.Helper()
	var out struct{ NetworkGraph graphAnswer }
	f := map[string]any{"maxNodes": 100000}
	for k, v := range filter {
		f[k] = v
	}
	a.query(&out, filteredGraphQuery, map[string]any{"f": f})
	if out.NetworkGraph.Truncated {
		t.Fatalf("filter %v: truncated", filter)
	}
	return out.NetworkGraph
}

// TestGraphFiltersRestrict: for every region, every theme, and region ×
// theme and period combinations, networkGraph keeps exactly the nodes the
// schema promises (a reference computed from the rows), and exactly the
// edges of the unfiltered graph (same period) between them, with the same
// edge ids; the CSV export of the same filter has the same nodes. Unknown
// region codes and theme slugs are BAD_USER_INPUT.
func TestGraphFiltersRestrict(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		graphWorld(t, a, dataset.Size{Pilots: 160, Networks: 12, Organizations: 20, Themes: 4}, 150)
		rows := readGraphRows(t, a)
		rnd := rand.New(rand.NewPCG(21, 22))
		type filterCase struct {
			region, theme string
			asOf          *time.Time
			period        *[2]time.Time // from, to
			types         []string      // nodeTypes
		}
		var cases []filterCase
		for _, code := range rows.regions {
			cases = append(cases, filterCase{region: code})
		}
		for _, slug := range rows.themes {
			cases = append(cases, filterCase{theme: slug})
		}
		for range 12 {
			day := time.Date(2011+rnd.IntN(14), time.Month(1+rnd.IntN(12)), 1, 0, 0, 0, 0, time.UTC)
			region, theme := rows.regions[rnd.IntN(len(rows.regions))], rows.themes[rnd.IntN(len(rows.themes))]
			period := &[2]time.Time{day, day.AddDate(1+rnd.IntN(3), 0, 0)}
			cases = append(cases, filterCase{region: region, theme: theme}, filterCase{region: region, asOf: &day},
				filterCase{theme: theme, asOf: &day}, filterCase{region: region, theme: theme, asOf: &day},
				filterCase{region: region, period: period}, filterCase{theme: theme, period: period, types: []string{"MUNICIPALITY", "PILOT"}},
				filterCase{region: region, types: []string{"NETWORK", "ORGANIZATION", "OPERATING_MODEL"}})
		}
		unfiltered := map[string]graphAnswer{}
		restricted := 0
		for _, c := range cases {
			filter, period := map[string]any{}, map[string]any{}
			var w window
			if c.asOf != nil {
				period["asOf"] = c.asOf.Format(scalar.DateLayout)
				w = window{c.asOf, c.asOf}
			}
			if c.period != nil {
				period["from"], period["to"] = c.period[0].Format(scalar.DateLayout), c.period[1].Format(scalar.DateLayout)
				w = window{&c.period[0], &c.period[1]}
			}
			for k, v := range period {
				filter[k] = v
			}
			if c.region != "" {
				filter["regionCode"] = c.region
			}
			if c.theme != "" {
				filter["themeSlug"] = c.theme
			}
			if c.types != nil {
				filter["nodeTypes"] = c.types
			}
			key := fmt.Sprint(period)
			all, ok := unfiltered[key]
			if !ok {
				all = networkGraphOf(t, a, period)
				unfiltered[key] = all
			}
			got := networkGraphOf(t, a, filter)
			want := rows.expected(c.region, c.theme, w)
			if c.types != nil {
				for _, n := range all.Nodes {
					if id, _ := scalar.DecodeID(n.ID); want[id] && !slices.Contains(c.types, n.Type) {
						delete(want, id)
					}
				}
			}
			var gotIDs, wantIDs []int
			for _, n := range got.Nodes {
				id, _ := scalar.DecodeID(n.ID)
				gotIDs = append(gotIDs, id)
			}
			for id := range want {
				wantIDs = append(wantIDs, id)
			}
			slices.Sort(gotIDs)
			slices.Sort(wantIDs)
			if !slices.Equal(gotIDs, wantIDs) {
				t.Fatalf("filter %v: %d nodes, reference %d\n got %v\nwant %v", filter, len(gotIDs), len(wantIDs), gotIDs, wantIDs)
			}
			if len(gotIDs) < len(all.Nodes) {
				restricted++
			}
			// Edges: those of the period's graph between kept nodes, same ids.
			var gotEdges, wantEdges []string
			for _, e := range got.Edges {
				gotEdges = append(gotEdges, e.ID+" "+e.Source+" "+e.Target+" "+e.Kind)
			}
			for _, e := range all.Edges {
				s, _ := scalar.DecodeID(e.Source)
				d, _ := scalar.DecodeID(e.Target)
				if want[s] && want[d] {
					wantEdges = append(wantEdges, e.ID+" "+e.Source+" "+e.Target+" "+e.Kind)
				}
			}
			slices.Sort(gotEdges)
			slices.Sort(wantEdges)
			if !slices.Equal(gotEdges, wantEdges) {
				t.Fatalf("filter %v: %d edges, want %d of the period's graph", filter, len(gotEdges), len(wantEdges))
			}
			// The export of the same filter has the same node count.
			q := []string{}
			for k, v := range filter {
				if list, ok := v.([]string); ok {
					v = strings.Join(list, ",")
				}
				q = append(q, k+"="+fmt.Sprint(v))
			}
			res, err := http.Get(a.srv.URL + "/export/nodes.csv?" + strings.Join(q, "&"))
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || res.Header.Get("X-Graph-Nodes") != strconv.Itoa(len(gotIDs)) {
				t.Fatalf("export %v: %d, %s nodes, want %d", filter, res.StatusCode, res.Header.Get("X-Graph-Nodes"), len(gotIDs))
			}
		}
		if restricted != len(cases) {
			t.Fatalf("only %d of %d filters kept fewer nodes than the whole graph", restricted, len(cases))
		}
		t.Logf("%d filters checked against the reference", len(cases))

		// Unknown codes and slugs: BAD_USER_INPUT, in GraphQL and in the exports.
		for _, f := range []string{`{regionCode: "99"}`, `{themeSlug: "no-such-theme"}`, `{regionCode: "1"}`} {
			e := a.fail("BAD_USER_INPUT", `{ networkGraph(filter: `+f+`) { totalNodes } }`, nil)
			if !strings.Contains(e.Message, "no ") {
				t.Fatalf("%s: %+v", f, e)
			}
		}
		a.fail("BAD_USER_INPUT", `{ centrality(metric: DEGREE, filter: {regionCode: "99"}) { nodeCount } }`, nil)
		for _, q := range []string{"regionCode=99", "themeSlug=nope"} {
			res, err := http.Get(a.srv.URL + "/export/graph.graphml?" + q)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 400 || !strings.Contains(string(body), "BAD_USER_INPUT") {
				t.Fatalf("export %s: %d %s", q, res.StatusCode, body)
			}
		}

		// neighborhood.totalNodes is the count before the cap.
		m := scalar.EncodeID(rows.municipal[0])
		var full, capped struct {
			Neighborhood struct {
				Nodes      []gNode
				TotalNodes int
				Truncated  bool
			}
		}
		nq := `query($id: ID!, $max: Int) { neighborhood(id: $id, depth: 2, filter: {maxNodes: $max}) { nodes { id } totalNodes truncated } }`
		a.query(&full, nq, map[string]any{"id": m, "max": 100000})
		a.query(&capped, nq, map[string]any{"id": m, "max": 5})
		if n := len(full.Neighborhood.Nodes); full.Neighborhood.Truncated || full.Neighborhood.TotalNodes != n || n <= 5 ||
			len(capped.Neighborhood.Nodes) != 5 || !capped.Neighborhood.Truncated || capped.Neighborhood.TotalNodes != n {
			t.Fatalf("neighborhood: uncapped %d nodes (total %d), capped %d nodes (total %d, truncated %v)", n,
				full.Neighborhood.TotalNodes, len(capped.Neighborhood.Nodes), capped.Neighborhood.TotalNodes, capped.Neighborhood.Truncated)
		}
	})
}

// TestGraphExportsNetworkX loads the GraphML, GEXF and CSV/datapackage
// exports with NetworkX (Debian's python3-networkx, which .ci/run installs)
// and compares them with the API's answers on the same filters:
// internal/netgraph/exportcheck/networkx_check.py. It skips when NetworkX
// is missing, unless CI=true.
func TestGraphExportsNetworkX(t *testing.T) {
	python := "/usr/bin/python3" // Debian's, where python3-networkx lives (not a pyenv shim)
	script, err := filepath.Abs("../netgraph/exportcheck/networkx_check.py")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(python, "-c", "import networkx").CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("NetworkX is needed (apt-get install python3-networkx): %v %s", err, out)
		}
		t.Skipf("NetworkX is not installed for %s: %s", python, out)
	}
	a := newAPI(t, testdb.SQLite, true)
	graphWorld(t, a, dataset.Size{Pilots: 120, Networks: 8, Organizations: 15, Themes: 3}, 120)
	dir := t.TempDir()
	get := func(path, file string) {
		res, err := http.Get(a.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, res.StatusCode, body)
		}
		if err := os.WriteFile(file, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		query  string
		filter map[string]any
	}{
		{"whole", "", map[string]any{}},
		{"region-01", "regionCode=01", map[string]any{"regionCode": "01"}},
		{"theme-2018", "themeSlug=synthetic-theme-1&asOf=2018-06-01", map[string]any{"themeSlug": "synthetic-theme-1", "asOf": "2018-06-01"}},
		{"projection-municipalities", "projection=true&nodeTypes=MUNICIPALITY&from=2015-01-01&to=2019-12-31",
			map[string]any{"projection": true, "nodeTypes": []string{"MUNICIPALITY"}, "from": "2015-01-01", "to": "2019-12-31"}},
	}
	var dirs []string
	for _, c := range cases {
		cd := filepath.Join(dir, c.name)
		if err := os.Mkdir(cd, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, file := range []string{"graph.graphml", "graph.gexf", "graph.zip"} {
			get("/export/"+file+"?"+c.query, filepath.Join(cd, file))
		}
		f := map[string]any{"maxNodes": 100000}
		for k, v := range c.filter {
			f[k] = v
		}
		var api struct {
			Graph    json.RawMessage `json:"graph"`
			Degree   []json.RawMessage
			PageRank []json.RawMessage
		}
		var out struct {
			NetworkGraph     json.RawMessage
			Degree, PageRank struct {
				NodeCount int
				Scores    []json.RawMessage
			}
		}
		a.query(&out, `query($f: GraphFilter) { networkGraph(filter: $f) { nodes { id type label attributes { key value } } edges { id source target kind weight } }
		  degree: centrality(metric: DEGREE, filter: $f, first: 1000) { nodeCount scores { node { id } score } }
		  pageRank: centrality(metric: PAGERANK, filter: $f, first: 1000) { nodeCount scores { node { id } score } } }`, map[string]any{"f": f})
		if out.Degree.NodeCount > 1000 || out.Degree.NodeCount == 0 {
			t.Fatalf("%s: %d nodes; the check needs 1–1,000", c.name, out.Degree.NodeCount)
		}
		api.Graph, api.Degree, api.PageRank = out.NetworkGraph, out.Degree.Scores, out.PageRank.Scores
		doc, _ := json.Marshal(map[string]any{"graph": api.Graph, "degree": api.Degree, "pagerank": api.PageRank})
		if err := os.WriteFile(filepath.Join(cd, "api.json"), doc, 0o644); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, cd)
	}
	out, err := exec.Command(python, append([]string{script}, dirs...)...).CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("NetworkX check: %v", err)
	}
}
