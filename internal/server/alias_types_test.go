package server_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"kokeilu/internal/testdb"
)

// The ra* helpers build TestAliasesAcrossTypes' queries.

// raPart is the selection of one parent type in a case, with the named
// fragments and variable declarations it uses.
type raPart struct {
	Type string // Pilot, Network, Municipality, Organization, Theme
	Sel  string
	Defs string // fragment definitions used by Sel
	Decl string // variable declarations used by Sel, e.g. "$n: Int"
}

type raCase struct {
	name  string
	parts []raPart
	vars  map[string]any
}

func raAnswer(t *testing.T, a *api, q string, vars map[string]any) (map[string]map[string]json.RawMessage, int64) {
	t.Helper()
	before := a.statements.Load()
	res := a.post(q, vars)
	n := a.statements.Load() - before
	if len(res.Errors) > 0 {
		t.Errorf("%s\nvars %v\nerrors: %+v", q, vars, res.Errors)
		return nil, n
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(res.Data, &got); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]json.RawMessage{}
	for _, raw := range got {
		var list []map[string]json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			var one map[string]json.RawMessage
			if err := json.Unmarshal(raw, &one); err != nil {
				t.Fatal(err)
			}
			list = append(list, one)
		}
		for _, n := range list {
			if n == nil {
				continue
			}
			var id string
			_ = json.Unmarshal(n["id"], &id)
			if out[id] == nil {
				out[id] = map[string]json.RawMessage{}
			}
			for k, v := range n {
				out[id][k] = v
			}
		}
	}
	return out, n
}

func raQuery(root string, parts []raPart) string {
	var decls []string
	decls = append(decls, "$ids: [ID!]!")
	var sels, defs []string
	seen := map[string]bool{}
	for _, p := range parts {
		sels = append(sels, p.Sel)
		if p.Defs != "" && !seen[p.Defs] {
			seen[p.Defs] = true
			defs = append(defs, p.Defs)
		}
		for _, d := range strings.Split(p.Decl, ",") {
			d = strings.TrimSpace(d)
			if d != "" && !seen[d] {
				seen[d] = true
				decls = append(decls, d)
			}
		}
	}
	return fmt.Sprintf("query(%s) { r: %s { id %s } }\n%s", strings.Join(decls, ", "), root, strings.Join(sels, " "), strings.Join(defs, "\n"))
}

func raIDs(t *testing.T, a *api) map[string][]string {
	var seeded struct {
		Pilots, Networks, Municipalities, Organizations, Themes struct{ Nodes []struct{ ID string } }
	}
	a.query(&seeded, `{ pilots(first: 100) { nodes { id } } networks(first: 100) { nodes { id } }
		municipalities(first: 14, orderBy: {field: CODE}) { nodes { id } } organizations(first: 100) { nodes { id } } themes(first: 100) { nodes { id } } }`, nil)
	out := map[string][]string{}
	for typ, list := range map[string][]struct{ ID string }{
		"Pilot": seeded.Pilots.Nodes, "Network": seeded.Networks.Nodes, "Municipality": seeded.Municipalities.Nodes,
		"Organization": seeded.Organizations.Nodes, "Theme": seeded.Themes.Nodes,
	} {
		for _, n := range list {
			out[typ] = append(out[typ], n.ID)
		}
	}
	return out
}

func raCanon(m map[string]json.RawMessage) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		var v any
		_ = json.Unmarshal(m[k], &v)
		s, _ := json.Marshal(v)
		fmt.Fprintf(&b, "%s=%s;", k, s)
	}
	return b.String()
}

func raRun(t *testing.T, a *api, ids map[string][]string, c raCase) {
	t.Helper()
	vars := func(list []string) map[string]any {
		v := map[string]any{"ids": list}
		for k, x := range c.vars {
			v[k] = x
		}
		return v
	}
	// Reference: each type alone, with only its own parts.
	want := map[string]string{}
	byType := map[string][]raPart{}
	var order []string
	for _, p := range c.parts {
		if byType[p.Type] == nil {
			order = append(order, p.Type)
		}
		byType[p.Type] = append(byType[p.Type], p)
	}
	var all []string
	var alone int64
	for _, typ := range order {
		got, n := raAnswer(t, a, raQuery("nodes(ids: $ids)", byType[typ]), vars(ids[typ]))
		alone += n
		for _, id := range ids[typ] {
			want[id] = raCanon(got[id])
		}
		all = append(all, ids[typ]...)
	}
	for _, rev := range []bool{false, true} {
		parts := append([]raPart(nil), c.parts...)
		if rev {
			for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
				parts[i], parts[j] = parts[j], parts[i]
			}
		}
		q := raQuery("nodes(ids: $ids)", parts)
		got, n := raAnswer(t, a, q, vars(all))
		if n > alone+2 {
			t.Errorf("%s reversed=%v: %d statements for %d ids, %d for each type alone", c.name, rev, n, len(all), alone)
		}
		bad := 0
		for _, id := range all {
			if g := raCanon(got[id]); g != want[id] && bad < 3 {
				bad++
				t.Errorf("%s nodes reversed=%v: %s\n got %s\nwant %s\nquery %s", c.name, rev, id, g, want[id], q)
			}
		}
	}
	// node(id:) one at a time, every part.
	q := strings.Replace(raQuery("node(id: $id)", c.parts), "$ids: [ID!]!", "$id: ID!", 1)
	bad := 0
	for _, id := range all {
		v := vars(nil)
		delete(v, "ids")
		v["id"] = id
		got, _ := raAnswer(t, a, q, v)
		if g := raCanon(got[id]); g != want[id] && bad < 3 {
			bad++
			t.Errorf("%s node: %s\n got %s\nwant %s\nquery %s", c.name, id, g, want[id], q)
		}
	}
}

// TestAliasesAcrossTypes (a reviewer's): under nodes(ids:) and node(id:),
// selections on several types that reuse aliases (x, y, z, l, a, b) at one or
// more levels, with fragments, directives, cursors, orders and unique edges,
// answer each node as the same selection asked for its type alone, in either
// order of the fragments; and take about as many statements as the types
// alone (paging.MergedApart ignored type conditions: 33 and 46 statements
// for 22 ids where the types alone took 4).
func TestAliasesAcrossTypes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		w := newEdgeWorld(a)
		nestedSeed(t, a, w)
		ids := raIDs(t, a)
		for _, c := range raCases(t, a, ids) {
			t.Run(c.name, func(t *testing.T) { raRun(t, a, ids, c) })
		}
	})
}

func raCases(t *testing.T, a *api, ids map[string][]string) []raCase {
	page := `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } }`
	// a cursor of a pilot's municipalities, for after:
	var cur struct {
		Pilots struct {
			Nodes []struct {
				Municipalities struct{ Edges []struct{ Cursor string } }
			}
		}
	}
	a.query(&cur, `{ pilots(first: 100) { nodes { municipalities(first: 100) { edges { cursor } } } } }`, nil)
	var after string
	for _, p := range cur.Pilots.Nodes {
		if len(p.Municipalities.Edges) >= 3 {
			after = p.Municipalities.Edges[0].Cursor
		}
	}
	return []raCase{
		{name: "deep", parts: []raPart{
			{Type: "Pilot", Sel: `... on Pilot { x: municipalities(first: 3) { totalCount nodes { id y: pilots(first: 2, where: {status: ACTIVE}) { totalCount nodes { id } } } } }`},
			{Type: "Network", Sel: `... on Network { x: municipalities(first: 4, orderBy: {field: NAME_FI, direction: DESC}) { totalCount edges { cursor node { id y: pilots(last: 1) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor } nodes { id } } } } } }`},
			{Type: "Municipality", Sel: `... on Municipality { x: pilots(first: 2) { totalCount nodes { id y: municipalities(first: 1) { ` + page + ` } } } }`},
		}},
		{name: "deeper three levels", parts: []raPart{
			{Type: "Pilot", Sel: `... on Pilot { x: municipalities(first: 3) { nodes { id y: pilots(first: 3) { nodes { id z: organizations(first: 1) { totalCount nodes { id } } } } } } }`},
			{Type: "Network", Sel: `... on Network { x: municipalities(first: 3) { nodes { id y: pilots(first: 3, where: {status: ACTIVE}) { nodes { id z: organizations(first: 5) { totalCount } } } } } }`},
		}},
		{name: "pageInfo only totalCount only", parts: []raPart{
			{Type: "Pilot", Sel: `... on Pilot { x: organizations(first: 2) { totalCount } }`},
			{Type: "Network", Sel: `... on Network { x: organizations(first: 1) { pageInfo { hasNextPage endCursor startCursor } } }`},
			{Type: "Organization", Sel: `... on Organization { x: pilots(first: 0) { totalCount pageInfo { hasNextPage hasPreviousPage } } }`},
			{Type: "Theme", Sel: `... on Theme { x: pilots(last: 2) { pageInfo { hasPreviousPage } } }`},
		}},
		{name: "first 0 vs edges", parts: []raPart{
			{Type: "Pilot", Sel: `... on Pilot { x: municipalities(first: 0) { totalCount pageInfo { hasNextPage } } }`},
			{Type: "Network", Sel: `... on Network { x: municipalities(first: 2) { totalCount nodes { id } } }`},
		}},
		{name: "aliased edges", parts: []raPart{
			{Type: "Pilot", Sel: `... on Pilot { x: municipalities(first: 2) { e: edges { node { id } } } }`},
			{Type: "Network", Sel: `... on Network { x: municipalities(last: 2) { edges { node { code } } nodes { id } } }`},
			{Type: "Municipality", Sel: `... on Municipality { w: networks(first: 2) { edges: pageInfo { hasNextPage } nodes { id y: municipalities(first: 1) { totalCount nodes { id } } } } }`},
		}},
		{name: "edges alias swapped", parts: []raPart{
			{Type: "Pilot", Sel: `... on Pilot { x: municipalities(first: 2) { totalCount edges: nodes { id } } }`},
			{Type: "Network", Sel: `... on Network { x: municipalities(first: 3) { totalCount nodes: edges { node { id } } } }`},
		}},
		{name: "Node fragments nested", parts: []raPart{
			{Type: "Pilot", Sel: `...A`, Defs: `fragment A on Node { ... on Pilot { x: themes(first: 1) { nodes { id } totalCount } } ...B }
				fragment B on Network { x: pilots(first: 3, where: {status: ACTIVE}) { nodes { id } totalCount } }`},
			{Type: "Network", Sel: `...A`, Defs: `fragment A on Node { ... on Pilot { x: themes(first: 1) { nodes { id } totalCount } } ...B }
				fragment B on Network { x: pilots(first: 3, where: {status: ACTIVE}) { nodes { id } totalCount } }`},
		}},
		{name: "same type merged alone", parts: []raPart{
			{Type: "Pilot", Sel: `... on Pilot { x: municipalities(first: 1) { nodes { id } } } ... on Pilot { x: municipalities(first: 1) { totalCount } }`},
		}},
		{name: "Node inline wrapping", parts: []raPart{
			{Type: "Pilot", Sel: `... on Node { ... on Pilot { x: networks(first: 2) { totalCount nodes { id y: municipalities(first: 1) { nodes { id } } } } } }`},
			{Type: "Network", Sel: `... { ... on Network { x: children(first: 2) { totalCount nodes { id y: municipalities(first: 2) { nodes { id } totalCount } } } } }`},
		}},
		{name: "directives", vars: map[string]any{"inc": true, "n": 2}, parts: []raPart{
			{Type: "Pilot", Decl: "$n: Int, $inc: Boolean!", Sel: `... on Pilot { x: municipalities(first: $n) @include(if: $inc) { totalCount nodes { id } } }`},
			{Type: "Network", Decl: "$inc: Boolean!", Sel: `... on Network { x: municipalities(first: 3) { totalCount @skip(if: $inc) nodes @include(if: $inc) { id } } }`},
			{Type: "Municipality", Decl: "$inc: Boolean!", Sel: `... on Municipality @include(if: $inc) { x: pilots(first: 1) { totalCount } }`},
		}},
		{name: "directives off", vars: map[string]any{"inc": false, "n": 2}, parts: []raPart{
			{Type: "Pilot", Decl: "$n: Int, $inc: Boolean!", Sel: `... on Pilot { x: municipalities(first: $n) @include(if: $inc) { totalCount nodes { id } } }`},
			{Type: "Network", Decl: "$inc: Boolean!", Sel: `... on Network { x: municipalities(first: 3) { totalCount @skip(if: $inc) nodes @include(if: $inc) { id } pageInfo @skip(if: $inc) { hasNextPage } } }`},
		}},
		{name: "unique edges", parts: []raPart{
			{Type: "Pilot", Sel: `... on Pilot { l: leadMunicipality { id x: ledPilots(first: 1, where: {status: ACTIVE}) { totalCount nodes { id } } } }`},
			{Type: "Organization", Sel: `... on Organization { l: municipality { id x: ledPilots(first: 2) { totalCount nodes { id } } } }`},
			{Type: "Network", Sel: `... on Network { l: parent { id x: children(first: 1) { totalCount nodes { id } } } }`},
		}},
		{name: "unique edges twice", parts: []raPart{
			{Type: "Pilot", Sel: `... on Pilot { a: leadMunicipality { id x: ledPilots(first: 1, where: {status: ACTIVE}) { totalCount nodes { id } } } b: leadMunicipality { id x: ledPilots(first: 1) { totalCount nodes { id } } } }`},
			{Type: "Organization", Sel: `... on Organization { a: municipality { id x: ledPilots(first: 2) { totalCount nodes { id } } } b: municipality { x: pilots(first: 1) { totalCount } } }`},
		}},
		{name: "same type merged plus other type", parts: []raPart{
			{Type: "Pilot", Sel: `... on Pilot { x: municipalities(first: 1) { nodes { id } } } ... on Pilot { x: municipalities(first: 1) { totalCount } }`},
			{Type: "Network", Sel: `... on Network { x: municipalities(first: 3) { nodes { id } } }`},
		}},
		{name: "after cursor", vars: map[string]any{"c": after}, parts: []raPart{
			{Type: "Pilot", Decl: "$c: Cursor", Sel: `... on Pilot { x: municipalities(first: 2, after: $c) { totalCount nodes { id } pageInfo { hasPreviousPage hasNextPage } } }`},
			{Type: "Network", Sel: `... on Network { x: municipalities(first: 2) { totalCount nodes { id } pageInfo { hasPreviousPage hasNextPage } } }`},
		}},
		{name: "orderBy and where", parts: []raPart{
			{Type: "Pilot", Sel: `... on Pilot { x: organizations(first: 2, orderBy: {field: NAME, direction: DESC}) { ` + page + ` } }`},
			{Type: "Network", Sel: `... on Network { x: organizations(last: 2, where: {nameGT: "Org b"}) { ` + page + ` } }`},
			{Type: "Municipality", Sel: `... on Municipality { x: organizations(first: 3) { ` + page + ` } }`},
		}},
		{name: "themes networks pilots", parts: []raPart{
			{Type: "Theme", Sel: `... on Theme { x: pilots(first: 3, orderBy: {field: TITLE}) { totalCount nodes { id x: themes(first: 2) { totalCount nodes { id } } } } }`},
			{Type: "Pilot", Sel: `... on Pilot { x: networks(first: 2) { totalCount nodes { id x: pilots(first: 1) { totalCount nodes { id } } } } }`},
			{Type: "Network", Sel: `... on Network { x: pilots(first: 2, orderBy: {field: TITLE, direction: DESC}) { totalCount nodes { id x: networks(first: 3) { totalCount nodes { id } } } } }`},
		}},
		{name: "named fragments inner", parts: []raPart{
			{Type: "Pilot", Sel: `... on Pilot { x: municipalities(first: 3) { ...MP } }`, Defs: `fragment MP on MunicipalityConnection { totalCount edges { node { ...MN } } }
				fragment MN on Municipality { id y: networks(first: 1) { totalCount nodes { id } } }`},
			{Type: "Network", Sel: `... on Network { x: municipalities(first: 2) { ...MP2 } }`, Defs: `fragment MP2 on MunicipalityConnection { nodes { ...MN2 } pageInfo { hasNextPage } }
				fragment MN2 on Municipality { id y: networks(first: 3, orderBy: {field: NAME}) { nodes { id } } }`},
		}},
	}
}

// TestRewrittenFieldsRepeat (a reviewer's) asks one wide query many times:
// each answer must be the first. graphql.CollectFields caches by a selection
// set's address, so a rewritten set dropped while the operation runs
// (paging.rewriteField, paging.rewritten) could answer for another; run it
// with GOGC=1 to make such reuse likely.
func TestRewrittenFieldsRepeat(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		w := newEdgeWorld(a)
		nestedSeed(t, a, w)
		q := `{ pilots(first: 100) { nodes { id
			m: municipalities(first: 3) { totalCount nodes { id } }
			o: organizations(first: 3) { totalCount nodes { id } }
			t: themes(first: 3) { totalCount nodes { id } }
			n: networks(first: 3) { totalCount nodes { id } }
			l: leadMunicipality { id p: pilots(first: 2) { totalCount nodes { id } } q: networks(first: 2) { totalCount nodes { id } } }
		} }
		networks(first: 100) { nodes { id
			m: municipalities(first: 2) { totalCount nodes { id } }
			o: organizations(first: 2) { totalCount nodes { id } }
			p: pilots(first: 2) { totalCount nodes { id } }
			c: children(first: 2) { totalCount nodes { id } }
		} } }`
		first := a.post(q, nil)
		if len(first.Errors) > 0 {
			t.Fatal(first.Errors)
		}
		for i := range 300 {
			res := a.post(q, nil)
			if string(res.Data) != string(first.Data) || len(res.Errors) > 0 {
				t.Fatalf("run %d differs: %+v\n%s\nvs\n%s", i, res.Errors, res.Data, first.Data)
			}
		}
	})
}
