package server_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"kokeilu/ent/municipality"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/database"
	"kokeilu/internal/netgraph"
	"kokeilu/internal/netgraph/exportcheck"
	"kokeilu/internal/pubsub"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"
)

// cliques builds, through the API's mutations, two 4-cliques of
// municipalities m[0..3] and m[4..7] joined by the bridge m[3]–m[4]
// (COLLABORATION links, no dates), a FUNDING link m[0]–m[7] valid
// 2010–2012 only, a pilot (2015–2016) led by m[0] with m[1] taking part,
// and a network of m[5], m[6] and the pilot. It returns the municipalities'
// global IDs and the pilot's.
func cliques(t *testing.T, a *api, token string) (m []string, pilot string) {
	t.Helper()
	ctx := auth.System(context.Background())
	ids := a.db.Client.Municipality.Query().Order(municipality.ByCode()).Limit(8).IDsX(ctx)
	for _, id := range ids {
		m = append(m, scalar.EncodeID(id))
	}
	link := `mutation($in: CreateLinkInput!) { createLink(input: $in) { id } }`
	pairs := [][2]int{{3, 4}}
	for _, c := range [][]int{{0, 1, 2, 3}, {4, 5, 6, 7}} {
		for i := range c {
			for j := i + 1; j < len(c); j++ {
				pairs = append(pairs, [2]int{c[i], c[j]})
			}
		}
	}
	for _, p := range pairs {
		var out any
		a.query(&out, link, map[string]any{"in": map[string]any{"sourceID": m[p[0]], "targetID": m[p[1]], "kind": "COLLABORATION"}}, bearer(token)...)
	}
	var out any
	a.query(&out, link, map[string]any{"in": map[string]any{"sourceID": m[0], "targetID": m[7], "kind": "FUNDING",
		"weight": 2, "validFrom": "2010-01-01", "validTo": "2012-12-31"}}, bearer(token)...)
	var p struct{ CreatePilot struct{ ID string } }
	a.query(&p, `mutation($in: CreatePilotInput!) { createPilot(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"title": "Sillan kokeilu", "startsOn": "2015-01-01", "endsOn": "2016-12-31",
		"leadMunicipalityID": m[0], "municipalityIDs": []string{m[0], m[1]}}}, bearer(token)...)
	a.query(&out, `mutation($in: CreateNetworkInput!) { createNetwork(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"name": "Siltaverkosto", "municipalityIDs": []string{m[5], m[6]}, "pilotIDs": []string{p.CreatePilot.ID}}}, bearer(token)...)
	return m, p.CreatePilot.ID
}

type gNode struct {
	ID, Type, Label string
	Attributes      []struct{ Key, Value string }
}
type gEdge struct {
	Source, Target, Kind string
	Weight               float64
	ValidFrom, ValidTo   *string
}

const pathQuery = `query($from: ID!, $to: ID!, $filter: GraphFilter) {
  shortestPath(from: $from, to: $to, filter: $filter) { nodes { id } edges { source target kind } length } }`

func pathIDs(t *testing.T, a *api, from, to string, filter map[string]any) ([]string, float64) {
	t.Helper()
	var got struct {
		ShortestPath *struct {
			Nodes  []gNode
			Length float64
		}
	}
	a.query(&got, pathQuery, map[string]any{"from": from, "to": to, "filter": filter})
	if got.ShortestPath == nil {
		return nil, 0
	}
	var ids []string
	for _, n := range got.ShortestPath.Nodes {
		ids = append(ids, n.ID)
	}
	return ids, got.ShortestPath.Length
}

func TestNetworkGraphEndToEnd(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		token, _ := a.register("researcher@example.org", "Tutkija")
		m, pilot := cliques(t, a, token)
		links := map[string]any{"nodeTypes": []string{"MUNICIPALITY"}, "edgeKinds": []string{"COLLABORATION", "FUNDING"}}
		in2020 := map[string]any{"nodeTypes": []string{"MUNICIPALITY"}, "asOf": "2020-01-01"}

		// Shortest paths: across the bridge in 2020; the expired FUNDING link
		// is the short cut in 2011 and when no period is given.
		if ids, l := pathIDs(t, a, m[0], m[7], in2020); !slices.Equal(ids, []string{m[0], m[3], m[4], m[7]}) || l != 3 {
			t.Fatalf("2020 path %v length %v", ids, l)
		}
		if ids, l := pathIDs(t, a, m[0], m[7], map[string]any{"asOf": "2011-06-01"}); len(ids) != 2 || l != 1 {
			t.Fatalf("2011 path %v length %v", ids, l)
		}
		if ids, _ := pathIDs(t, a, m[0], m[7], links); len(ids) != 2 {
			t.Fatalf("all-time path %v", ids)
		}
		// Unreachable in 2020 without links: null.
		if ids, _ := pathIDs(t, a, m[0], m[7], map[string]any{"asOf": "2020-01-01", "edgeKinds": []string{"MEMBER_OF"}}); ids != nil {
			t.Fatalf("want no path, got %v", ids)
		}

		// Centrality: the bridge ends lead degree and betweenness.
		var c struct {
			Centrality struct {
				NodeCount int
				Scores    []struct {
					Node  gNode
					Score float64
					Rank  int
				}
			}
		}
		a.query(&c, `query($f: GraphFilter) { centrality(metric: BETWEENNESS, filter: $f, first: 3) { nodeCount scores { node { id } score rank } } }`, map[string]any{"f": in2020})
		top := []string{c.Centrality.Scores[0].Node.ID, c.Centrality.Scores[1].Node.ID}
		slices.Sort(top)
		want := []string{m[3], m[4]}
		slices.Sort(want)
		if !slices.Equal(top, want) || c.Centrality.Scores[0].Score != 12 || c.Centrality.Scores[1].Score != 12 || c.Centrality.Scores[2].Score != 0 {
			t.Fatalf("betweenness %+v", c.Centrality.Scores)
		}
		a.query(&c, `query($f: GraphFilter) { centrality(metric: DEGREE, filter: $f, first: 3) { nodeCount scores { node { id } score rank } } }`, map[string]any{"f": in2020})
		if c.Centrality.Scores[0].Score != 4 || c.Centrality.Scores[1].Score != 4 || c.Centrality.Scores[2].Score != 3 || c.Centrality.Scores[2].Rank != 3 {
			t.Fatalf("degree %+v", c.Centrality.Scores)
		}
		for _, metric := range []string{"EIGENVECTOR", "PAGERANK"} {
			a.query(&c, `query($f: GraphFilter, $m: CentralityMetric!) { centrality(metric: $m, filter: $f, first: 2) { nodeCount scores { node { id } score } } }`, map[string]any{"f": in2020, "m": metric})
			if got := []string{c.Centrality.Scores[0].Node.ID, c.Centrality.Scores[1].Node.ID}; !slices.Contains(got, m[3]) || !slices.Contains(got, m[4]) {
				t.Fatalf("%s top 2 = %v", metric, got)
			}
		}

		// Communities: the two cliques (the other municipalities are alone).
		var cm struct {
			Communities struct {
				Modularity  float64
				Communities []struct {
					Size    int
					Members []gNode
				}
			}
		}
		a.query(&cm, `query($f: GraphFilter) { communities(filter: $f) { modularity communities { size members { id } } } }`, map[string]any{"f": in2020})
		groups := cm.Communities.Communities
		if groups[0].Size != 4 || groups[1].Size != 4 || groups[2].Size != 1 || cm.Communities.Modularity < 0.4 {
			t.Fatalf("communities %+v", cm.Communities)
		}
		for _, g := range groups[:2] {
			var ids []string
			for _, n := range g.Members {
				ids = append(ids, n.ID)
			}
			if !(slices.Contains(ids, m[0]) && slices.Contains(ids, m[3])) && !(slices.Contains(ids, m[4]) && slices.Contains(ids, m[7])) {
				t.Fatalf("community %v mixes the cliques", ids)
			}
		}
		var comp struct {
			Components []struct{ Size int }
			Centrality struct{ Components int }
		}
		a.query(&comp, `query($f: GraphFilter) { components(filter: $f, membersFirst: 0) { size }
			centrality(metric: EIGENVECTOR, filter: $f, first: 0) { components } }`, map[string]any{"f": in2020})
		if comp.Components[0].Size != 8 || comp.Components[1].Size != 1 || comp.Centrality.Components != len(comp.Components) {
			t.Fatalf("components %+v; centrality says %d", comp.Components[:2], comp.Centrality.Components)
		}

		// Neighbourhood of m[0]: its clique at depth 1, and the pilot.
		var nb struct {
			Neighborhood struct {
				Nodes []gNode
				Edges []gEdge
			}
		}
		a.query(&nb, `query($id: ID!) { neighborhood(id: $id, depth: 1, filter: {asOf: "2016-01-01"}) { nodes { id type label } edges { source target kind } } }`, map[string]any{"id": m[0]})
		var types []string
		for _, n := range nb.Neighborhood.Nodes {
			types = append(types, n.Type)
		}
		if len(nb.Neighborhood.Nodes) != 5 || !slices.Contains(types, "PILOT") {
			t.Fatalf("neighbourhood %+v", nb.Neighborhood.Nodes)
		}
		a.fail("BAD_USER_INPUT", `query($id: ID!) { neighborhood(id: $id, depth: 4) { nodes { id } } }`, map[string]any{"id": m[0]})

		// The whole graph: the pilot with its relations, dated; ids are Node ids.
		var ng struct {
			NetworkGraph struct {
				Nodes      []gNode
				Edges      []gEdge
				TotalNodes int
				Truncated  bool
			}
		}
		a.query(&ng, `{ networkGraph(filter: {nodeTypes: [PILOT, NETWORK, MUNICIPALITY], edgeKinds: [LEADS, PARTICIPATES_IN, PART_OF_NETWORK, MEMBER_OF]}) {
			nodes { id type label } edges { source target kind weight validFrom validTo } totalNodes truncated } }`, nil)
		kinds := map[string]int{}
		for _, e := range ng.NetworkGraph.Edges {
			kinds[e.Kind]++
			if e.Kind == "LEADS" && (e.Source != m[0] || e.Target != pilot || *e.ValidFrom != "2015-01-01" || *e.ValidTo != "2016-12-31") {
				t.Fatalf("LEADS edge %+v", e)
			}
		}
		if kinds["LEADS"] != 1 || kinds["PARTICIPATES_IN"] != 2 || kinds["PART_OF_NETWORK"] != 1 || kinds["MEMBER_OF"] != 2 {
			t.Fatalf("edge kinds %v", kinds)
		}
		var node struct{ Node struct{ Title string } }
		a.query(&node, `query($id: ID!) { node(id: $id) { ... on Pilot { title } } }`, map[string]any{"id": pilot})
		if node.Node.Title != "Sillan kokeilu" {
			t.Fatalf("node(id:) of the graph's pilot id: %+v", node)
		}
		a.query(&ng, `{ networkGraph(filter: {nodeTypes: [MUNICIPALITY], maxNodes: 5}) { nodes { id } edges { source } totalNodes truncated } }`, nil)
		if len(ng.NetworkGraph.Nodes) != 5 || !ng.NetworkGraph.Truncated || ng.NetworkGraph.TotalNodes < 300 {
			t.Fatalf("cap: %d nodes of %d, truncated %v", len(ng.NetworkGraph.Nodes), ng.NetworkGraph.TotalNodes, ng.NetworkGraph.Truncated)
		}

		// Projection: m[0] and m[1] share the pilot; m[5] and m[6] the network.
		a.query(&ng, `{ networkGraph(filter: {projection: true, edgeKinds: [SHARED_PILOTS, SHARED_NETWORKS]}) { nodes { id type } edges { source target kind weight } totalNodes truncated } }`, nil)
		if len(ng.NetworkGraph.Edges) != 2 {
			t.Fatalf("projection edges %+v", ng.NetworkGraph.Edges)
		}
		for _, e := range ng.NetworkGraph.Edges {
			if !(e.Kind == "SHARED_PILOTS" && e.Source == m[0] && e.Target == m[1]) && !(e.Kind == "SHARED_NETWORKS" && e.Source == m[5] && e.Target == m[6]) || e.Weight != 1 {
				t.Fatalf("projection edge %+v", e)
			}
		}
	})
}

// TestNetworkGraphCacheFollowsWrites: a write on this instance or on
// another one over the same database is seen by the next graph query.
func TestNetworkGraphCacheFollowsWrites(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		token, _ := a.register("researcher@example.org", "Tutkija")
		m, _ := cliques(t, a, token)
		in2020 := map[string]any{"nodeTypes": []string{"MUNICIPALITY"}, "asOf": "2020-01-01"}
		if _, l := pathIDs(t, a, m[0], m[7], in2020); l != 3 {
			t.Fatalf("before: length %v", l)
		}
		// A second instance: its own client and cache over the same database.
		other := &api{t: t}
		db, err := database.Open(context.Background(), a.db.DSN)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		other.db = db
		other.serve(pubsub.NewMemory())
		if _, l := pathIDs(t, other, m[0], m[7], in2020); l != 3 {
			t.Fatalf("other before: length %v", l)
		}
		var out any
		a.query(&out, `mutation($in: CreateLinkInput!) { createLink(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"sourceID": m[1], "targetID": m[6], "kind": "KNOWLEDGE_SHARING"}}, bearer(token)...)
		for name, inst := range map[string]*api{"same": a, "other": other} {
			if ids, l := pathIDs(t, inst, m[0], m[7], in2020); l != 3 || ids[1] != m[1] && ids[1] != m[3] {
				t.Fatalf("%s instance after the write: %v %v", name, ids, l)
			}
			if _, l := pathIDs(t, inst, m[1], m[6], in2020); l != 1 {
				t.Fatalf("%s instance serves a stale graph: m1→m6 length %v", name, l)
			}
		}
	})
}

func TestNetworkGraphCostAndPrivacy(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityMEMBERS_ONLY)
		// Members-only workspaces never enter anyone's graph; the graph holds
		// public entities only, the same for an outsider and a member.
		for _, role := range []string{"anonymous", "outsider", "member"} {
			var ng struct{ NetworkGraph struct{ Nodes []gNode } }
			a.query(&ng, `{ networkGraph(filter: {maxNodes: 100000}) { nodes { id type label } } }`, nil, p.header(role)...)
			for _, n := range ng.NetworkGraph.Nodes {
				if n.ID == w.Workspace || strings.Contains(n.Label, w.slug) {
					t.Fatalf("%s sees the members-only workspace in the graph: %+v", role, n)
				}
			}
		}

		s := netgraph.For(a.db.Client)
		saved := s.Budget
		s.Budget = netgraph.Budget{BetweennessWork: 100, Nodes: 100}
		defer func() { s.Budget = saved }()
		e := a.fail("COST_LIMIT_EXCEEDED", `{ centrality(metric: BETWEENNESS) { nodeCount } }`, nil)
		if e.Extensions["limit"] != float64(100) {
			t.Fatalf("cost error %+v", e)
		}
		a.fail("COST_LIMIT_EXCEEDED", `{ communities { modularity } }`, nil)
		a.fail("BAD_USER_INPUT", `{ networkGraph(filter: {asOf: "2020-01-01", from: "2019-01-01"}) { totalNodes } }`, nil)
		a.fail("BAD_USER_INPUT", `{ centrality(metric: DEGREE, first: 5000) { nodeCount } }`, nil)
	})
}

func TestGraphExports(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		token, _ := a.register("researcher@example.org", "Tutkija")
		cliques(t, a, token)
		get := func(path string) (*http.Response, []byte) {
			res, err := http.Get(a.srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			return res, body
		}
		var counts struct {
			NetworkGraph struct {
				Nodes []gNode
				Edges []gEdge
			}
		}
		a.query(&counts, `{ networkGraph(filter: {maxNodes: 100000}) { nodes { id } edges { kind } } }`, nil)
		wantNodes, wantEdges := len(counts.NetworkGraph.Nodes), len(counts.NetworkGraph.Edges)
		// 14 links, LEADS, 2 PARTICIPATES_IN, 2 MEMBER_OF, PART_OF_NETWORK.
		if wantEdges != 20 || wantNodes != 308+2 {
			t.Fatalf("graph has %d nodes, %d edges", wantNodes, wantEdges)
		}

		res, body := get("/export/graph.graphml")
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/graphml+xml") {
			t.Fatalf("graphml: %d %s", res.StatusCode, body)
		}
		n, e, err := exportcheck.GraphML(body)
		if err != nil || n != wantNodes || e != wantEdges {
			t.Fatalf("graphml: %v, %d/%d nodes, %d/%d edges", err, n, wantNodes, e, wantEdges)
		}
		res, body = get("/export/graph.gexf?asOf=2020-01-01&nodeTypes=MUNICIPALITY")
		n, e, err = exportcheck.GEXF(body)
		if err != nil || res.StatusCode != 200 || n != 308 || e != 13 {
			t.Fatalf("gexf: %v, %d nodes, %d edges", err, n, e)
		}
		_, body = get("/export/edges.csv?edgeKinds=FUNDING")
		if lines := strings.Split(strings.TrimSpace(string(body)), "\n"); len(lines) != 2 || lines[0] != "id,source,target,kind,weight,validFrom,validTo" ||
			!strings.HasSuffix(lines[1], ",FUNDING,2,2010-01-01,2012-12-31") {
			t.Fatalf("edges.csv: %q", body)
		}
		res, body = get("/export/graph.zip?projection=true")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/zip" || len(body) == 0 {
			t.Fatalf("zip: %d", res.StatusCode)
		}
		for _, bad := range []string{"/export/graph.dot", "/export/graph.gexf?asOf=yesterday", "/export/nodes.csv?nodeTypes=PERSON"} {
			if res, body := get(bad); res.StatusCode != 400 && res.StatusCode != 404 || !strings.Contains(string(body), `"code"`) {
				t.Fatalf("%s: %d %s", bad, res.StatusCode, body)
			}
		}
	})
}
