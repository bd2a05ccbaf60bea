package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/municipality"
	"kokeilu/ent/network"
	"kokeilu/ent/organization"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/testdb"
)

// nestedSeed adds public rows over every nested connection: pilots with
// municipalities, lead municipalities, organisations, themes, networks with
// children, pilots, municipalities and workspaces (some members-only),
// organisations with a municipality, operating models with adoptions.
func nestedSeed(t *testing.T, a *api, w *edgeWorld) {
	ctx := auth.System(context.Background())
	c := a.db.Client
	ms := c.Municipality.Query().Order(ent.Asc(municipality.FieldCode)).Limit(12).AllX(ctx)
	for i := range 4 {
		c.Theme.Create().SetSlug(fmt.Sprintf("rev-theme-%d", i)).SetNameFi(fmt.Sprintf("Teema %c", 'a'+i)).ExecX(ctx)
	}
	themes := c.Theme.Query().IDsX(ctx)
	var orgs []*ent.Organization
	for i := range 8 {
		cr := c.Organization.Create().SetName(fmt.Sprintf("Org %c", 'a'+i)).SetSlug(fmt.Sprintf("rev-org-%d", i)).SetKind(organization.KindOTHER)
		if i%3 != 0 {
			cr.SetMunicipalityID(ms[i%4].ID)
		}
		orgs = append(orgs, cr.SaveX(ctx))
	}
	var pilots []*ent.Pilot
	for i := range 14 {
		cr := c.Pilot.Create().SetSlug("rev-p" + strconv.Itoa(i)).SetTitle(fmt.Sprintf("Pilot %c", 'z'-i)).SetCreatedByID(w.memberID)
		if i%2 == 0 {
			cr.SetStatus("ACTIVE")
		}
		for j := range i % 6 {
			cr.AddMunicipalityIDs(ms[(i+j*5)%12].ID)
		}
		if i%4 != 3 {
			cr.SetLeadMunicipalityID(ms[i%5].ID)
		}
		for j := range i % 4 {
			cr.AddOrganizations(orgs[(i+j)%8])
		}
		for j := range min(i%3, len(themes)) {
			cr.AddThemeIDs(themes[(i+j)%len(themes)])
		}
		pilots = append(pilots, cr.SaveX(ctx))
	}
	var nets []*ent.Network
	for i := range 7 {
		cr := c.Network.Create().SetName(fmt.Sprintf("Net %c", 'a'+i)).SetSlug(fmt.Sprintf("rev-net-%d", i)).SetKind(network.KindTHEMATIC)
		if i > 0 && i < 5 {
			cr.SetParent(nets[(i-1)/2])
		}
		for j := range i % 5 {
			cr.AddPilots(pilots[(i*3+j)%14])
			cr.AddMunicipalityIDs(ms[(i+j*2)%12].ID)
		}
		for j := range i % 3 {
			cr.AddOrganizations(orgs[(i+j)%8])
		}
		nets = append(nets, cr.SaveX(ctx))
	}
	for i := range 9 {
		vis := workspace.VisibilityPUBLIC
		if i%3 == 1 {
			vis = workspace.VisibilityMEMBERS_ONLY
		}
		cr := c.Workspace.Create().SetName(fmt.Sprintf("Ws %c", 'a'+i)).SetSlug(fmt.Sprintf("rev-ws-%d", i)).SetVisibility(vis)
		if i%4 != 0 {
			cr.SetNetwork(nets[i%3])
		}
		for j := range i % 4 {
			cr.AddProjects(pilots[(i+j*2)%14])
		}
		ws := cr.SaveX(ctx)
		if i%2 == 0 {
			c.Membership.Create().SetWorkspace(ws).SetUserID(w.memberID).SetRole("MEMBER").ExecX(ctx)
		}
	}
	for i := range 4 {
		m := c.OperatingModel.Create().SetName(fmt.Sprintf("Model %d", i)).SetSlug(fmt.Sprintf("rev-model-%d", i)).SetSummary("x").
			SetCreatedByID(w.memberID).SaveX(ctx)
		for j := range i + 1 {
			c.OperatingModel.UpdateOne(m).AddMunicipalityIDs(ms[(i+j)%12].ID).AddDevelopedIn(pilots[(i*2+j)%14]).ExecX(ctx)
		}
		for j := range i * 2 {
			cr := c.Adoption.Create().SetOperatingModel(m).SetCreatedByID(w.memberID)
			if j%2 == 0 {
				cr.SetMunicipalityID(ms[j%12].ID).SetAdoptedOn(time.Date(2020+j, 1, 1, 0, 0, 0, 0, time.UTC))
			} else {
				cr.SetPilot(pilots[j%14])
			}
			cr.ExecX(ctx)
		}
	}
}

// reviewCollect finds every connection aliased x in an answer, keyed by the
// IDs (and list positions) of the objects above it.
func reviewCollect(v any, path string, out map[string]map[string]any) {
	switch v := v.(type) {
	case map[string]any:
		if id, ok := v["id"].(string); ok {
			path += "/" + id
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "x" {
				if m, ok := v[k].(map[string]any); ok {
					out[path] = m
				}
				continue
			}
			reviewCollect(v[k], path+"."+k, out)
		}
	case []any:
		for i, e := range v {
			reviewCollect(e, path+"#"+strconv.Itoa(i), out)
		}
	}
}

func reviewIDs(c map[string]any) []string {
	var out []string
	if ns, ok := c["nodes"].([]any); ok {
		for _, n := range ns {
			out = append(out, n.(map[string]any)["id"].(string))
		}
	}
	if es, ok := c["edges"].([]any); ok && out == nil {
		for _, e := range es {
			out = append(out, e.(map[string]any)["node"].(map[string]any)["id"].(string))
		}
	}
	return out
}

type reviewCase struct {
	frame string // the query with %s where the connection x goes
	edge  string // the connection's field name
	args  string // more arguments (where, orderBy)
}

// check runs c with first: k and totalCount (sel picks what else) and with
// first: 1000 and no totalCount, and requires the first's totalCount to
// be the second's length and its nodes the second's first k.
func (c reviewCase) check(t *testing.T, a *api, token string, k int, sel string) (checked, nonEmpty int) {
	t.Helper()
	var hdr []string
	if token != "" {
		hdr = []string{"Authorization", "Bearer " + token}
	}
	page := fmt.Sprintf("first: %d", k)
	if k < 0 {
		k = -k
		page = fmt.Sprintf("last: %d", k)
	}
	q1 := fmt.Sprintf(c.frame, fmt.Sprintf("x: %s(%s%s) { totalCount %s }", c.edge, page, c.args, sel))
	q2 := fmt.Sprintf(c.frame, fmt.Sprintf("x: %s(first: 50%s) { nodes { id } }", c.edge, c.args))
	got := map[string]map[string]any{}
	want := map[string]map[string]any{}
	for _, r := range []struct {
		q   string
		out map[string]map[string]any
	}{{q1, got}, {q2, want}} {
		res := a.post(r.q, nil, hdr...)
		if len(res.Errors) > 0 {
			t.Errorf("%s\n%+v", r.q, res.Errors)
			return
		}
		var v any
		if err := json.Unmarshal(res.Data, &v); err != nil {
			t.Fatal(err)
		}
		reviewCollect(v, "", r.out)
	}
	if len(got) != len(want) || len(got) == 0 {
		t.Errorf("%s: %d parents vs %d", q1, len(got), len(want))
	}
	for path, g := range got {
		w, ok := want[path]
		if !ok {
			t.Errorf("%s: parent %s missing from reference", q1, path)
			continue
		}
		all := reviewIDs(w)
		checked++
		if len(all) > 0 {
			nonEmpty++
		}
		tc, _ := g["totalCount"].(float64)
		if int(tc) != len(all) {
			t.Errorf("%s\n parent %s: totalCount %v, want %d", q1, path, g["totalCount"], len(all))
		}
		if strings.Contains(sel, "id") {
			wantPage := all
			if len(wantPage) > k {
				if strings.HasPrefix(page, "last") {
					wantPage = wantPage[len(wantPage)-k:]
				} else {
					wantPage = wantPage[:k]
				}
			}
			if gotIDs := reviewIDs(g); !slices.Equal(gotIDs, wantPage) && !(len(gotIDs) == 0 && len(wantPage) == 0) {
				t.Errorf("%s\n parent %s: nodes %v, want %v", q1, path, gotIDs, wantPage)
			}
		}
		if pi, ok := g["pageInfo"].(map[string]any); ok {
			if hn, ok := pi["hasNextPage"].(bool); ok && !strings.HasPrefix(page, "last") && hn != (len(all) > k) {
				t.Errorf("%s\n parent %s: hasNextPage %v with %d of %d", q1, path, hn, k, len(all))
			}
		}
	}
	return checked, nonEmpty
}

// TestNestedTotalsEveryEdge compares the totalCount and the page of every
// nested connection (one-to-many by a hidden foreign key or an edge field,
// many-to-many both ways, the SQLite cut-off and the window forms, filters,
// two aliases, two levels deep, under node(id:) and nodes(ids:)) with a
// page of 50 read without totalCount, as four viewers.
func TestNestedTotalsEveryEdge(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		w := newEdgeWorld(a)
		w.hide(a)
		nestedSeed(t, a, w)
		const (
			pilots    = `{ pilots(first: 100) { nodes { id %s } } }`
			munis     = `{ municipalities(first: 100, orderBy: [{field: CODE}]) { nodes { id %s } } }`
			networks  = `{ networks(first: 100) { nodes { id %s } } }`
			orgs      = `{ organizations(first: 100) { nodes { id %s } } }`
			models    = `{ operatingModels(first: 100) { nodes { id %s } } }`
			themes    = `{ themes(first: 100) { nodes { id %s } } }`
			regions   = `{ regions(first: 100) { nodes { id %s } } }`
			counties  = `{ wellbeingCounties(first: 100) { nodes { id %s } } }`
			spaces    = `{ workspaces(first: 100) { nodes { id %s } } }`
			workshops = `{ workshops(first: 100) { nodes { id %s } } }`
			posts     = `{ workspaces(first: 20) { nodes { id discussions(first: 5) { nodes { id posts(first: 10) { nodes { id %s } } } } } } }`
			dposts    = `{ workspaces(first: 20) { nodes { id discussions(first: 5) { nodes { id %s } } } } }`
			members   = `{ workspaces(first: 20) { nodes { id discussions(first: 5) { nodes { id posts(first: 10) { nodes { id author { id %s } } } } } } } }`
		)
		cases := []reviewCase{
			{pilots, "municipalities", ""},
			{pilots, "municipalities", ", orderBy: [{field: CODE, direction: DESC}]"},
			{pilots, "municipalities", ", where: {nameFiContains: \"a\"}"},
			{pilots, "organizations", ""},
			{pilots, "organizations", ", orderBy: [{field: NAME, direction: DESC}]"},
			{pilots, "themes", ""},
			{pilots, "networks", ""},
			{pilots, "networks", ", orderBy: [{field: NAME, direction: DESC}]"},
			{pilots, "projectOf", ""},
			{pilots, "projectOf", ", orderBy: [{field: NAME, direction: DESC}]"},
			{pilots, "developedModels", ""},
			{munis, "pilots", ""},
			{munis, "pilots", ", orderBy: [{field: TITLE}]"},
			{munis, "pilots", ", where: {status: ACTIVE}"},
			{munis, "ledPilots", ""},
			{munis, "ledPilots", ", orderBy: [{field: TITLE}]"},
			{munis, "ledPilots", ", where: {status: ACTIVE}"},
			{munis, "networks", ""},
			{munis, "organizations", ""},
			{munis, "organizations", ", orderBy: [{field: NAME, direction: DESC}]"},
			{munis, "organizations", ", where: {nameNEQ: \"Org b\"}"},
			{munis, "operatingModels", ""},
			{networks, "municipalities", ""},
			{networks, "organizations", ""},
			{networks, "pilots", ""},
			{networks, "pilots", ", orderBy: [{field: TITLE, direction: DESC}]"},
			{networks, "workspaces", ""},
			{networks, "workspaces", ", orderBy: [{field: NAME, direction: DESC}]"},
			{networks, "children", ""},
			{networks, "children", ", orderBy: [{field: NAME, direction: DESC}]"},
			{models, "municipalities", ""},
			{models, "developedIn", ""},
			{models, "adoptions", ""},
			{models, "adoptions", ", orderBy: [{field: ADOPTED_ON, direction: DESC}]"},
			{orgs, "pilots", ""},
			{orgs, "networks", ""},
			{themes, "pilots", ""},
			{regions, "municipalities", ""},
			{regions, "municipalities", ", orderBy: [{field: POPULATION, direction: DESC}]"},
			{regions, "wellbeingCounties", ""},
			{counties, "municipalities", ""},
			{counties, "municipalities", ", orderBy: [{field: NAME_FI}]"},
			{counties, "operatingModels", ""},
			{spaces, "projects", ""},
			{spaces, "projects", ", orderBy: [{field: TITLE}]"},
			{workshops, "registrations", ""},
			{workshops, "registrations", ", orderBy: [{field: REGISTERED_AT, direction: DESC}]"},
			{dposts, "posts", ""},
			{posts, "replies", ""},
			{posts, "replies", ", orderBy: [{field: CREATED_AT, direction: DESC}]"},
			{members, "memberships", ""},
			{members, "memberships", ", orderBy: [{field: ROLE}]"},
			// two levels deep, and the same edge beside under another alias
			{`{ pilots(first: 100) { nodes { id municipalities(first: 3) { totalCount nodes { id %s } } } } }`, "pilots", ""},
			{`{ pilots(first: 100) { nodes { id municipalities(first: 3, orderBy: [{field: CODE, direction: DESC}]) { totalCount nodes { id %s } } } } }`, "ledPilots", ""},
			{`{ pilots(first: 100) { nodes { id o: municipalities(first: 2) { totalCount nodes { id } } %s } } }`, "municipalities", ", orderBy: [{field: CODE, direction: DESC}]"},
			{`{ pilots(first: 100) { nodes { id o: municipalities(first: 5, where: {nameFiContains: "a"}) { totalCount nodes { id } } %s } } }`, "municipalities", ""},
			{`{ municipalities(first: 100, orderBy: [{field: CODE}]) { nodes { id o: ledPilots(first: 1, where: {status: ACTIVE}) { totalCount nodes { id } } %s } } }`, "ledPilots", ""},
			{`{ networks(first: 100) { nodes { id children(first: 2) { totalCount nodes { id %s } } } } }`, "children", ""},
			{`{ networks(first: 100) { nodes { id children(first: 2) { totalCount nodes { id %s } } } } }`, "workspaces", ""},
			{`{ networks(first: 100) { nodes { id pilots(first: 3) { totalCount nodes { id %s } } } } }`, "municipalities", ""},
			{`{ organizations(first: 100) { nodes { id pilots(first: 3) { totalCount nodes { id %s } } } } }`, "organizations", ""},
			// nested in a list of the edge's own type and in unique edges
			{`{ pilots(first: 100) { nodes { id leadMunicipality { id %s } } } }`, "ledPilots", ""},
			{`{ pilots(first: 100) { nodes { id leadMunicipality { id %s } } } }`, "pilots", ""},
			{`{ organizations(first: 100) { nodes { id municipality { id %s } } } }`, "organizations", ""},
			{`{ networks(first: 100) { nodes { id parent { id %s } } } }`, "children", ""},
		}
		var ids struct {
			Pilots, Municipalities, Networks struct{ Nodes []struct{ ID string } }
		}
		a.query(&ids, `{ pilots(first: 6) { nodes { id } } municipalities(first: 4, orderBy: [{field: CODE}]) { nodes { id } } networks(first: 4) { nodes { id } } }`, nil)
		p, m, n := ids.Pilots.Nodes, ids.Municipalities.Nodes, ids.Networks.Nodes
		list := fmt.Sprintf("%q", []string{p[5].ID, p[5].ID, m[0].ID, p[4].ID, n[3].ID, m[0].ID, p[0].ID, m[3].ID, n[2].ID, p[5].ID})
		cases = append(cases,
			reviewCase{`{ nodes(ids: ` + list + `) { id ... on Pilot { %s } } }`, "municipalities", ""},
			reviewCase{`{ nodes(ids: ` + list + `) { id ... on Pilot { %s } } }`, "networks", ", orderBy: [{field: NAME}]"},
			reviewCase{`{ nodes(ids: ` + list + `) { id ... on Municipality { %s } } }`, "ledPilots", ""},
			reviewCase{`{ nodes(ids: ` + list + `) { id ... on Municipality { %s } } }`, "pilots", ""},
			reviewCase{`{ nodes(ids: ` + list + `) { id ... on Network { %s } } }`, "children", ""},
			reviewCase{`{ nodes(ids: ` + list + `) { id ... on Network { %s } ... on Municipality { y: ledPilots(first: 1) { totalCount } } } }`, "pilots", ""},
			reviewCase{`{ nodes(ids: ` + list + `) { id ... on Node { ... on Pilot { %s } } } }`, "municipalities", ""},
			reviewCase{`{ node(id: "` + p[5].ID + `") { id ... on Pilot { municipalities(first: 3) { nodes { id %s } } } } }`, "ledPilots", ""},
			reviewCase{`{ node(id: "` + p[5].ID + `") { id ... on Pilot { municipalities(first: 3) { nodes { id %s } } } } }`, "pilots", ", where: {status: ACTIVE}"},
			reviewCase{`{ pilots(first: 100) { nodes { id a: leadMunicipality { id } b: leadMunicipality { id %s } } } }`, "ledPilots", ""},
		)
		sels := []string{"nodes { id }", "edges { node { id } } pageInfo { hasNextPage }", "pageInfo { hasNextPage }"}
		viewers := map[string]string{"anonymous": "", "member": w.member, "outsider": w.outsider, "admin": w.admin}
		for vname, tok := range viewers {
			for _, c := range cases {
				for _, k := range []int{1, 2, -2} {
					for _, sel := range sels {
						n, ne := c.check(t, a, tok, k, sel)
						if k == 1 && sel == sels[0] {
							t.Logf("%s %s %s%s: %d parents, %d with rows", vname, strings.Fields(c.frame)[1], c.edge, c.args, n, ne)
						}
					}
				}
			}
		}
	})
}

// TestNestedAliasCollectedTwice: loaded edges are kept under their alias,
// so one alias collected twice into one query, under two aliases of a
// unique edge, or in a connection's nodes and in its edges, must not answer
// both from one of them: each keeps its own arguments (a.x counted b.x's
// unfiltered pilots before, and e's nodes showed the edges' 50
// municipalities for first: 1) and its own columns (c.m and d.m).
func TestNestedAliasCollectedTwice(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		w := newEdgeWorld(a)
		nestedSeed(t, a, w)
		q := `{ pilots(first: 100) { nodes { id
		  a: leadMunicipality { id x: ledPilots(first: 1, where: {status: ACTIVE}) { totalCount nodes { id } } }
		  b: leadMunicipality { id x: ledPilots(first: 1) { totalCount nodes { id } } }
		  ra: leadMunicipality { id y: ledPilots(first: 50, where: {status: ACTIVE}) { nodes { id } } }
		  rb: leadMunicipality { id z: ledPilots(first: 50) { nodes { id } } }
		  c: leadMunicipality { m: ledPilots(first: 50) { nodes { title } } }
		  d: leadMunicipality { m: ledPilots(first: 50) { nodes { slug } } }
		  rc: leadMunicipality { m: ledPilots(first: 50) { nodes { title slug } } } }
		}
		e: pilots(first: 100) { nodes { id x: municipalities(first: 1) { nodes { id } } } edges { node { id x: municipalities(first: 50) { totalCount nodes { id } } } } }
		f: pilots(first: 100) { nodes { id y: municipalities(first: 50) { nodes { id } } } } }`
		type texts struct {
			Nodes []struct{ Title, Slug string }
		}
		type withPage struct {
			ID string
			X  idPage
			Y  idPage
		}
		var got struct {
			Pilots struct {
				Nodes []struct {
					ID       string
					A, B     *struct{ X idPage }
					RA       *struct{ Y idPage }
					RB       *struct{ Z idPage }
					C, D, RC *struct{ M texts }
				}
			}
			E struct {
				Nodes []withPage
				Edges []struct{ Node withPage }
			}
			F struct{ Nodes []withPage }
		}
		a.query(&got, q, nil)
		ids := func(p idPage) []string {
			var out []string
			for _, n := range p.Nodes {
				out = append(out, n.ID)
			}
			return out
		}
		checked := 0
		for _, p := range got.Pilots.Nodes {
			if p.A == nil {
				continue
			}
			checked++
			active, all := ids(p.RA.Y), ids(p.RB.Z)
			if p.A.X.TotalCount != len(active) || !slices.Equal(ids(p.A.X), active[:min(1, len(active))]) {
				t.Errorf("pilot %s: a.x %d %v, want %d %v", p.ID, p.A.X.TotalCount, ids(p.A.X), len(active), active[:min(1, len(active))])
			}
			if p.B.X.TotalCount != len(all) || !slices.Equal(ids(p.B.X), all[:min(1, len(all))]) {
				t.Errorf("pilot %s: b.x %d %v, want %d %v", p.ID, p.B.X.TotalCount, ids(p.B.X), len(all), all[:min(1, len(all))])
			}
			for i, n := range p.RC.M.Nodes {
				if p.C.M.Nodes[i].Title != n.Title || p.D.M.Nodes[i].Slug != n.Slug || n.Title == "" || n.Slug == "" {
					t.Errorf("pilot %s: c.m %+v, d.m %+v, want titles and slugs of %+v", p.ID, p.C.M.Nodes[i], p.D.M.Nodes[i], n)
				}
			}
		}
		if checked == 0 {
			t.Fatal("no pilot has a lead municipality")
		}
		want := map[string][]string{}
		for _, p := range got.F.Nodes {
			want[p.ID] = ids(p.Y)
		}
		for i, p := range got.E.Nodes {
			w := want[p.ID]
			if !slices.Equal(ids(p.X), w[:min(1, len(w))]) {
				t.Errorf("pilot %s: nodes' x %v, want %v", p.ID, ids(p.X), w[:min(1, len(w))])
			}
			e := got.E.Edges[i].Node
			if e.X.TotalCount != len(w) || !slices.Equal(ids(e.X), w) {
				t.Errorf("pilot %s: edges' x %d %v, want %d %v", e.ID, e.X.TotalCount, ids(e.X), len(w), w)
			}
		}
	})
}

// TestNestedPageSelectedTwiceStaysEager: the same nested connection with
// the same arguments, selected twice (colocated fragments, or in nodes and
// in edges { node }), is merged by graphql.CollectFields and still loaded
// for all parents in one statement, not by each parent's resolver
// (paging.MergedApart; a reviewer's finding: 31 and 61 statements for 2).
func TestNestedPageSelectedTwiceStaysEager(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	w := newEdgeWorld(a)
	nestedSeed(t, a, w)
	count := func(q string) int64 {
		before := a.statements.Load()
		res := a.post(q, nil)
		if len(res.Errors) > 0 {
			t.Fatalf("%s: %+v", q, res.Errors)
		}
		return a.statements.Load() - before
	}
	base := count(`{ pilots(first: 100) { nodes { id municipalities(first: 3) { totalCount nodes { id } } } } }`)
	cases := map[string]string{
		"fragments": `{ pilots(first: 100) { nodes { id ...A ...B } } }
			fragment A on Pilot { municipalities(first: 3) { totalCount } }
			fragment B on Pilot { municipalities(first: 3) { nodes { id } } }`,
		"twice": `{ pilots(first: 100) { nodes { id municipalities(first: 3) { totalCount } municipalities(first: 3) { nodes { id } } } } }`,
		"nodes and edges": `{ pilots(first: 100) { nodes { id municipalities(first: 3) { totalCount nodes { id } } }
			edges { cursor node { id municipalities(first: 3) { totalCount nodes { id } } } } } }`,
	}
	for name, q := range cases {
		if n := count(q); n > base+1 {
			t.Errorf("%s: %d statements, %d for the same page selected once", name, n, base)
		}
	}
}

// TestNestedAliasAcrossTypes: one alias in fragments on two types under an
// abstract field (node, nodes) answers each type from its own
// fragment's arguments and selections, as when the other fragment is absent.
// entgql found a nested field's arguments by walking aliases from the
// resolver's field without type conditions, so both took the first one's.
func TestNestedAliasAcrossTypes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		w := newEdgeWorld(a)
		nestedSeed(t, a, w)
		var seeded struct {
			Pilots, Networks struct{ Nodes []struct{ ID string } }
		}
		a.query(&seeded, `{ pilots(first: 100) { nodes { id } } networks(first: 100) { nodes { id } } }`, nil)
		var ids []string
		for _, n := range append(seeded.Pilots.Nodes, seeded.Networks.Nodes...) {
			ids = append(ids, n.ID)
		}
		const (
			onPilot   = `... on Pilot { x: municipalities(first: 2, where: {nameFiGTE: "K"}) { totalCount nodes { id } } }`
			onNetwork = `... on Network { x: municipalities(first: 5, orderBy: {field: NAME_FI, direction: DESC}) { totalCount edges { node { id } } nodes { code } } }`
		)
		answer := func(q string, vars map[string]any) map[string]string {
			res := a.post(q, vars)
			if len(res.Errors) > 0 {
				t.Fatalf("%s: %+v", q, res.Errors)
			}
			var got map[string][]map[string]any
			if err := json.Unmarshal(res.Data, &got); err != nil {
				t.Fatal(err)
			}
			out := map[string]string{}
			for _, list := range got {
				for _, n := range list {
					if n == nil || n["x"] == nil {
						continue
					}
					x, _ := json.Marshal(n["x"])
					out[n["id"].(string)] = string(x)
				}
			}
			return out
		}
		vars := map[string]any{"ids": ids}
		want := answer(`query($ids: [ID!]!) { p: nodes(ids: $ids) { id `+onPilot+` } }`, vars)
		maps := answer(`query($ids: [ID!]!) { n: nodes(ids: $ids) { id `+onNetwork+` } }`, vars)
		for id, x := range maps {
			want[id] = x
		}
		if len(want) != len(ids) {
			t.Fatalf("%d answers for %d ids", len(want), len(ids))
		}
		for name, q := range map[string]string{
			"nodes":          `query($ids: [ID!]!) { both: nodes(ids: $ids) { id ` + onPilot + onNetwork + ` } }`,
			"nodes reversed": `query($ids: [ID!]!) { both: nodes(ids: $ids) { id ` + onNetwork + onPilot + ` } }`,
			"fragments": `query($ids: [ID!]!) { both: nodes(ids: $ids) { id ...P ...N } }
				fragment P on Pilot { ` + onPilot[len("... on Pilot {"):len(onPilot)-1] + ` }
				fragment N on Network { ` + onNetwork[len("... on Network {"):len(onNetwork)-1] + ` }`,
		} {
			got := answer(q, vars)
			for id, x := range want {
				if got[id] != x {
					t.Errorf("%s: %s x = %s, want %s", name, id, got[id], x)
				}
			}
		}
		for _, id := range ids {
			res := a.post(`query($id: ID!) { one: node(id: $id) { id `+onPilot+onNetwork+` } }`, map[string]any{"id": id})
			var got struct{ One struct{ X any } }
			if len(res.Errors) > 0 || json.Unmarshal(res.Data, &got) != nil {
				t.Fatalf("node(%s): %+v", id, res.Errors)
			}
			if x, _ := json.Marshal(got.One.X); string(x) != want[id] {
				t.Errorf("node(%s) x = %s, want %s", id, x, want[id])
			}
		}
	})
}

// statementsOf posts q and returns the statements it took and its data,
// failing on errors.
func statementsOf(t *testing.T, a *api, q string) (int64, string) {
	t.Helper()
	before := a.statements.Load()
	res := a.post(q, nil)
	if len(res.Errors) > 0 {
		t.Fatalf("%s: %+v", q, res.Errors)
	}
	return a.statements.Load() - before, string(res.Data)
}

// TestNestedPageUnderAliasedPageInfo: an alias "edges" on a connection's
// pageInfo does not hide its nodes from the eager load: the nested pages
// below them take as many statements as with pageInfo unaliased (they took
// one per parent: entgql looked edges up by alias alone).
func TestNestedPageUnderAliasedPageInfo(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	w := newEdgeWorld(a)
	nestedSeed(t, a, w)
	count := func(q string) (int64, string) {
		n, data := statementsOf(t, a, q)
		return n, strings.ReplaceAll(data, `"edges":`, `"pageInfo":`)
	}
	const page = `nodes { id y: municipalities(first: 1) { totalCount nodes { id } } }`
	base, want := count(`{ municipalities(first: 14, orderBy: {field: CODE}) { nodes { w: networks(first: 2) { pageInfo { hasNextPage } ` + page + ` } } } }`)
	n, got := count(`{ municipalities(first: 14, orderBy: {field: CODE}) { nodes { w: networks(first: 2) { edges: pageInfo { hasNextPage } ` + page + ` } } } }`)
	if got != want {
		t.Errorf("aliased pageInfo answers %s, want %s", got, want)
	}
	if n > base {
		t.Errorf("aliased pageInfo: %d statements, %d unaliased", n, base)
	}
	// The same at the root.
	base, want = count(`{ networks(first: 20) { pageInfo { hasNextPage } ` + page + ` } }`)
	n, got = count(`{ networks(first: 20) { edges: pageInfo { hasNextPage } ` + page + ` } }`)
	if got != want {
		t.Errorf("root: aliased pageInfo answers %s, want %s", got, want)
	}
	if n > base {
		t.Errorf("root: aliased pageInfo: %d statements, %d unaliased", n, base)
	}
}

// TestAliasedTotalCountAndPageInfo: every connection of the schema, at the
// root and nested under each root list's nodes, answers `tc: totalCount`,
// `pi: pageInfo { … }` (and aliased nodes, edges, node and cursor) as it
// answers them unaliased, with and without rows, for first, first: 0 and
// last. entgql looked both up by alias: an
// aliased totalCount alone answered 0 and a nested one the page's length,
// an aliased pageInfo hasNextPage false, aliased edges of cursors alone
// no edges (a reviewer's finding).
func TestAliasedTotalCountAndPageInfo(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		w := newEdgeWorld(a)
		nestedSeed(t, a, w)
		type typeRef struct {
			Name   string
			Kind   string
			OfType *typeRef
		}
		named := func(r typeRef) string {
			for r.OfType != nil {
				r = *r.OfType
			}
			return r.Name
		}
		type field struct {
			Name string
			Type typeRef
			Args []struct {
				Name string
				Type typeRef
			}
		}
		var schema struct {
			Schema struct {
				Types []struct {
					Name   string
					Fields []field
				}
			} `json:"__schema"`
		}
		a.query(&schema, `{ __schema { types { name fields { name type { name kind ofType { name kind ofType { name kind } } }
			args { name type { name kind ofType { name kind } } } } } } }`, nil)
		fields := map[string][]field{}
		for _, ty := range schema.Schema.Types {
			fields[ty.Name] = ty.Fields
		}
		// connections returns the fields of typ that are connections a
		// query may ask without other arguments.
		connections := func(typ string) []field {
			var out []field
		next:
			for _, f := range fields[typ] {
				conn := named(f.Type)
				if !strings.HasSuffix(conn, "Connection") {
					continue
				}
				first := false
				for _, arg := range f.Args {
					first = first || arg.Name == "first"
					if arg.Type.Kind == "NON_NULL" {
						continue next
					}
				}
				if first {
					out = append(out, f)
				}
			}
			return out
		}
		shapes := []string{
			`totalCount`,
			`pageInfo { hasNextPage hasPreviousPage }`,
			`totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`,
			`totalCount nodes { __typename }`,
			`totalCount pageInfo { hasNextPage } edges { cursor }`,
			`edges { node { __typename } } pageInfo { endCursor }`,
			`edges { cursor }`,
		}
		alias := strings.NewReplacer("totalCount", "tc: totalCount", "pageInfo", "pi: pageInfo",
			"nodes", "ns: nodes", "edges", "es: edges", "node {", "n: node {", "cursor", "cu: cursor")
		back := strings.NewReplacer(`"tc":`, `"totalCount":`, `"pi":`, `"pageInfo":`,
			`"ns":`, `"nodes":`, `"es":`, `"edges":`, `"n":`, `"node":`, `"cu":`, `"cursor":`)
		checked := 0
		check := func(q string) {
			t.Helper()
			plain := a.post(q, nil)
			aliased := a.post(alias.Replace(q), nil)
			if len(plain.Errors) > 0 || len(aliased.Errors) > 0 {
				t.Fatalf("%s: %+v %+v", q, plain.Errors, aliased.Errors)
			}
			if got := back.Replace(string(aliased.Data)); got != string(plain.Data) {
				t.Errorf("%s\naliased: %.300s\n  plain: %.300s", alias.Replace(q), got, plain.Data)
			}
			checked++
		}
		for _, root := range connections("Query") {
			node := strings.TrimSuffix(named(root.Type), "Connection")
			for _, args := range []string{"first: 2", "first: 0", "last: 1"} {
				for _, shape := range shapes {
					check(fmt.Sprintf(`{ %s(%s) { %s } }`, root.Name, args, shape))
				}
			}
			for _, edge := range connections(node) {
				for _, args := range []string{"first: 1", "first: 0", "last: 1"} {
					for _, shape := range shapes {
						check(fmt.Sprintf(`{ %s(first: 30) { nodes { %s(%s) { %s } } } }`, root.Name, edge.Name, args, shape))
					}
				}
			}
		}
		if checked < 300 {
			t.Fatalf("only %d queries checked", checked)
		}
		t.Logf("%d queries", checked)
	})
}

// TestAliasedNodeStaysEager: an aliased node inside the real edges loads
// the connections below it with the page, as node does: the eager load
// followed node by alias alone, so each parent's resolver loaded them
// (8 statements for 7 networks where 2 do, a reviewer's finding).
func TestAliasedNodeStaysEager(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		w := newEdgeWorld(a)
		nestedSeed(t, a, w)
		count := func(q string) (int64, string) {
			n, data := statementsOf(t, a, q)
			return n, strings.ReplaceAll(data, `"n":`, `"node":`)
		}
		const inner = `{ id y: municipalities(first: 1) { totalCount nodes { id } } }`
		for _, c := range []struct{ name, plain, aliased string }{
			{"root",
				`{ networks(first: 20) { edges { node ` + inner + ` } } }`,
				`{ networks(first: 20) { edges { n: node ` + inner + ` } } }`},
			{"nested",
				`{ municipalities(first: 14, orderBy: {field: CODE}) { nodes { w: networks(first: 2) { edges { node ` + inner + ` } } } } }`,
				`{ municipalities(first: 14, orderBy: {field: CODE}) { nodes { w: networks(first: 2) { edges { n: node ` + inner + ` } } } } }`},
		} {
			base, want := count(c.plain)
			n, got := count(c.aliased)
			if got != want {
				t.Errorf("%s: aliased node answers %s, want %s", c.name, got, want)
			}
			if n > base {
				t.Errorf("%s: aliased node: %d statements, %d unaliased", c.name, n, base)
			}
		}
		// node beside an aliased node with other arguments below: each
		// answers from its own arguments.
		page := func(first int) string {
			return fmt.Sprintf(`{ id y: municipalities(first: %d) { totalCount nodes { id } } }`, first)
		}
		nodes := func(q string, keys ...string) map[string][]string {
			_, data := statementsOf(t, a, q)
			var d struct {
				Networks struct{ Edges []map[string]json.RawMessage }
			}
			if err := json.Unmarshal([]byte(data), &d); err != nil {
				t.Fatal(err)
			}
			out := map[string][]string{}
			for _, e := range d.Networks.Edges {
				for _, k := range keys {
					out[k] = append(out[k], string(e[k]))
				}
			}
			return out
		}
		both := nodes(`{ networks(first: 20) { edges { node `+page(1)+` n: node `+page(3)+` } } }`, "node", "n")
		one := nodes(`{ networks(first: 20) { edges { node `+page(1)+` } } }`, "node")
		three := nodes(`{ networks(first: 20) { edges { node `+page(3)+` } } }`, "node")
		if len(one["node"]) == 0 {
			t.Fatal("no networks")
		}
		if !slices.Equal(both["node"], one["node"]) {
			t.Errorf("node beside n: node answers %v, want %v", both["node"], one["node"])
		}
		if !slices.Equal(both["n"], three["node"]) {
			t.Errorf("n: node beside node answers %v, want %v", both["n"], three["node"])
		}
	})
}
