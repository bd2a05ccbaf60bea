package server_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"kokeilu/graph"
	"kokeilu/internal/testdb"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"pgregory.net/rapid"
)

// TestAliasReuseProperty searches for the class of wrong answers where one
// field, collected under two aliases or in two places (nodes and edges
// { node }, aliased edges or node, two aliases of a unique edge, fragments
// on different types under node and nodes), has nested connections of one
// alias but other arguments or selections, and one place answers from the
// other's eager load (TestNestedAliasCollectedTwice, TestAliasedNodeStaysEager
// and others hold the cases found so far), and for aliased totalCount,
// pageInfo, edges, node and cursor answering otherwise than unaliased.
//
// rapid draws a root field with fixed arguments and 2 to 4 branches below
// it: chains of nested connections and unique edges, up to 3 deep, with
// random page arguments, orders, filters, selection shapes (nodes, edges
// { cursor node }, totalCount, pageInfo) and aliases from small pools, often
// a copy of an earlier branch with a key, arguments or a shape changed (so
// one alias is reused under siblings of one parent). The branches are
// merged into one query Q as GraphQL merges fields. Then, without errors:
//
//   - each branch's part of Q's answer is the answer to the branch alone;
//   - each branch answers as its canonical form, the branch with totalCount,
//     pageInfo, nodes, edges, node and cursor unaliased, and takes no more
//     statements (aliases are names, not other loads);
//   - Q takes no more statements than the branches alone together, less
//     the root's for all but one, unless it has a nested connection the
//     server leaves to each parent's resolver by design (aliasApart): one
//     statement per nested connection, not one per parent.
//
// 3000 checks by default (about 20 s on SQLite, 45 s on PostgreSQL; a tenth
// under -race); -rapid.checks=N (or KOKEILU_RAPID_CHECKS=N) runs more.
func TestAliasReuseProperty(t *testing.T) {
	aliasChecks(t, 3000)
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	m := newAliasSchema(schema)
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		w := newEdgeWorld(a)
		nestedSeed(t, a, w)
		seeds := aliasSeed(t, a)
		viewers := map[string][]string{"anonymous": nil, "member": bearer(w.member)}
		rapid.Check(t, func(rt *rapid.T) {
			g := &aliasGen{rt: rt, m: m}
			viewer := rapid.SampledFrom([]string{"anonymous", "member"}).Draw(rt, "viewer")
			root := g.root(seeds)
			q, kept := aliasMerge(rt, schema, root, g.branches(root))
			if len(kept) == 0 {
				rt.Skip("no branch merges into a valid query")
			}
			post := func(query string) (response, int64) {
				before := a.statements.Load()
				res := a.post(query, nil, viewers[viewer]...)
				return res, a.statements.Load() - before
			}
			answer := func(query string, res response) any {
				if len(res.Errors) > 0 {
					rt.Fatalf("viewer %s\nquery: %s\n%+v", viewer, query, res.Errors)
				}
				var data map[string]any
				if err := json.Unmarshal(res.Data, &data); err != nil {
					rt.Fatalf("%s: %v", query, err)
				}
				return data[root.key]
			}
			ask := func(query string) (any, int64) {
				res, n := post(query)
				return answer(query, res), n
			}
			query := aliasRender(q)
			res, qStatements := post(query)
			if len(res.Errors) > 0 && res.Errors[0].code() == "COST_LIMIT_EXCEEDED" {
				// Lists resolved once per area have a bound of their own.
				rt.Skip("too costly: ", res.Errors[0].Message)
			}
			got := answer(query, res)
			var sum int64
			for _, br := range kept {
				alone := aliasRender(br)
				want, n := ask(alone)
				sum += n
				if part := aliasProject(got, br, aliasKey); !reflect.DeepEqual(part, want) {
					rt.Fatalf("viewer %s\nquery:  %s\nbranch: %s\nin the query: %s\nalone:        %s",
						viewer, query, alone, aliasJSON(part), aliasJSON(want))
				}
				plain := aliasRender(aliasCanonical(br))
				canon, nc := ask(plain)
				if part := aliasProject(canon, br, aliasCanonicalKey); !reflect.DeepEqual(part, want) {
					rt.Fatalf("viewer %s\nbranch:    %s\ncanonical: %s\nbranch answers:    %s\ncanonical answers: %s",
						viewer, alone, plain, aliasJSON(want), aliasJSON(part))
				}
				if n > nc+1 {
					rt.Fatalf("viewer %s\nbranch: %s\n%d statements, %d unaliased: %s", viewer, alone, n, nc, plain)
				}
			}
			// Q reads the root once where the branches alone read it each,
			// and each nested page no more often than they do.
			if aliasApart(q) {
				return
			}
			rows := root.shell()
			rows.kids = []*aliasSel{{key: "id", name: "id"}}
			if root.def != nil {
				rows.kids = []*aliasSel{{key: "nodes", name: "nodes", kids: rows.kids}}
			}
			_, once := ask(aliasRender(rows))
			if most := sum - int64(len(kept)-1)*once; qStatements > most+1 {
				rt.Fatalf("viewer %s\nquery: %s\n%d statements, at most %d: the %d branches alone %d, the root alone %d",
					viewer, query, qStatements, most, len(kept), sum, once)
			}
		})
	})
}

// aliasChecks sets rapid's number of checks to n (fewer with -short) unless
// the run chose one, for this test alone.
func aliasChecks(t *testing.T, n int) {
	f := flag.Lookup("rapid.checks")
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if f == nil || set {
		return
	}
	if testing.Short() {
		n /= 5
	}
	n /= raceSlowdown // the same time under -race, with fewer checks
	checks := strconv.Itoa(n)
	if env := os.Getenv("KOKEILU_RAPID_CHECKS"); env != "" {
		checks = env
	}
	old := f.Value.String()
	if err := flag.Set("rapid.checks", checks); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = flag.Set("rapid.checks", old) })
}

// aliasSeeds are seeded rows a root can ask for: global IDs by type (for
// node and nodes) and a lookup's arguments by field (pilot: `slug: "…"`).
type aliasSeeds struct {
	ids, lookups map[string][]string
}

func aliasSeed(t *testing.T, a *api) aliasSeeds {
	var got map[string]struct {
		Nodes []struct{ ID, Slug, Code string }
	}
	a.query(&got, `{ Pilot: pilots(first: 8) { nodes { id slug } } Network: networks(first: 7) { nodes { id slug } }
		Municipality: municipalities(first: 5, orderBy: {field: CODE}) { nodes { id code } }
		Organization: organizations(first: 5) { nodes { id } } Workspace: workspaces(first: 5) { nodes { id slug } } }`, nil)
	s := aliasSeeds{ids: map[string][]string{}, lookups: map[string][]string{}}
	for typ, c := range got {
		for _, n := range c.Nodes {
			s.ids[typ] = append(s.ids[typ], n.ID)
			switch {
			case typ == "Municipality":
				s.lookups["municipality"] = append(s.lookups["municipality"], fmt.Sprintf("code: %q", n.Code))
			case n.Slug != "":
				s.lookups[strings.ToLower(typ)] = append(s.lookups[strings.ToLower(typ)], fmt.Sprintf("slug: %q", n.Slug))
			}
		}
		if len(s.ids[typ]) == 0 {
			t.Fatalf("no %s seeded", typ)
		}
	}
	return s
}

// aliasSel is one selection of a generated query: a field (its response
// key, name and rendered arguments) or, with on set, an inline fragment.
type aliasSel struct {
	key, name, args string
	on              string               // a fragment's type condition
	named           bool                 // a fragment written as a named fragment's spread
	abstract        bool                 // a field of the Node interface: its fragments are on other types
	structural      bool                 // totalCount, pageInfo, nodes, edges, node or cursor of a connection
	unique          bool                 // a unique edge to another node
	def             *ast.FieldDefinition // a connection's
	pool            []string             // keys a mutation may give the field
	kids            []*aliasSel
}

func (s *aliasSel) clone() *aliasSel {
	c := *s
	c.kids = make([]*aliasSel, len(s.kids))
	for i, k := range s.kids {
		c.kids[i] = k.clone()
	}
	return &c
}

// shell is the field without its selections.
func (s *aliasSel) shell() *aliasSel {
	c := *s
	c.kids = nil
	return &c
}

// aliasRender writes the query of one root field, its named fragments after it.
func aliasRender(root *aliasSel) string {
	var frags []string
	body := aliasWrite(root, &frags)
	return "{ " + body + " }" + strings.Join(frags, "")
}

func aliasWrite(s *aliasSel, frags *[]string) string {
	parts := make([]string, len(s.kids))
	for i, k := range s.kids {
		parts[i] = aliasWrite(k, frags)
	}
	inner := strings.Join(parts, " ")
	if s.on != "" {
		if s.named {
			name := fmt.Sprintf("F%d", len(*frags))
			*frags = append(*frags, fmt.Sprintf(" fragment %s on %s { %s }", name, s.on, inner))
			return "..." + name
		}
		return "... on " + s.on + " { " + inner + " }"
	}
	out := s.name
	if s.key != s.name {
		out = s.key + ": " + s.name
	}
	if s.args != "" {
		out += "(" + s.args + ")"
	}
	if inner != "" {
		out += " { " + inner + " }"
	}
	return out
}

// aliasCanonical returns the branch with its connections' own fields
// unaliased. They take no arguments, so the fields of one name merge.
func aliasCanonical(s *aliasSel) *aliasSel {
	c := s.clone()
	var walk func(*aliasSel)
	walk = func(s *aliasSel) {
		if s.structural {
			s.key = s.name
		}
		for _, k := range s.kids {
			walk(k)
		}
	}
	walk(c)
	return c
}

func aliasKey(s *aliasSel) string { return s.key }

// aliasCanonicalKey is where the canonical form answers s.
func aliasCanonicalKey(s *aliasSel) string {
	if s.structural {
		return s.name
	}
	return s.key
}

// aliasMerge merges the branches into one query as GraphQL merges fields:
// one response key of one selection set is one field with one set of
// arguments, so a branch's field that would break that takes a fresh key,
// in the branch too (the branch alone then asks what it asks in the query).
// A field the query has already is merged into it or, drawn, written again
// beside it (and a fragment on a type again), for graphql.CollectFields to
// merge. A branch that still makes the query invalid (response shapes of
// one key in fragments on two types) is left out. It returns the query and
// the branches in it.
func aliasMerge(rt *rapid.T, schema *ast.Schema, root *aliasSel, branches []*aliasSel) (*aliasSel, []*aliasSel) {
	q := root.shell()
	m := &aliasMerger{rt: rt}
	var kept []*aliasSel
	for _, br := range branches {
		for _, strict := range []bool{false, true} {
			next := q.clone()
			m.strict = strict
			m.merge([]*aliasSel{next}, next, br)
			_, errs := gqlparser.LoadQuery(schema, aliasRender(next))
			_, alone := gqlparser.LoadQuery(schema, aliasRender(br))
			if len(errs) == 0 && len(alone) == 0 {
				q = next
				kept = append(kept, br)
				break
			}
		}
	}
	return q, kept
}

type aliasMerger struct {
	rt     *rapid.T
	fresh  int
	strict bool // a key is one field in the fragments on all types too
}

// merge merges src's selections into dst, a field of group or a fragment
// in one; group are the fields GraphQL merges into one.
func (m *aliasMerger) merge(group []*aliasSel, dst, src *aliasSel) {
	for _, s := range src.kids {
		if s.on != "" {
			var f *aliasSel
			for _, k := range dst.kids {
				if k.on == s.on {
					f = k
					break
				}
			}
			if f == nil || rapid.IntRange(0, 3).Draw(m.rt, "fragment again") == 3 {
				f = s.shell()
				dst.kids = append(dst.kids, f)
			}
			m.merge(group, f, s)
			continue
		}
		var same []*aliasSel
		for conflict := true; conflict; {
			conflict, same = false, nil
			own, others := m.scope(group, dst.on)
			for _, e := range append(own, others...) {
				switch {
				case e.key != s.key:
				case e.name == s.name && e.args == s.args:
					if slices.Contains(own, e) {
						same = append(same, e)
					} // else the same field in a fragment on another type
				default:
					conflict = true
				}
			}
			if conflict {
				m.fresh++
				s.key = strings.TrimRight(s.key, "0123456789") + strconv.Itoa(m.fresh)
			}
		}
		if len(same) == 0 || rapid.IntRange(0, 3).Draw(m.rt, "field again") == 3 {
			f := s.shell()
			dst.kids = append(dst.kids, f)
			same = append(same, f)
			m.merge(same, f, s)
		} else {
			m.merge(same, same[0], s)
		}
	}
}

// scope returns the fields GraphQL merges with one placed in the selection
// set of group, in a fragment on on ("" outside fragments), and when
// strict those of fragments on other types, that only must not differ.
func (m *aliasMerger) scope(group []*aliasSel, on string) (own, others []*aliasSel) {
	for _, field := range group {
		for _, k := range field.kids {
			switch {
			case k.on == "":
				own = append(own, k)
			case !field.abstract || on == "" || k.on == on:
				own = append(own, k.kids...)
			case m.strict:
				others = append(others, k.kids...)
			}
		}
	}
	return own, others
}

// aliasProject returns what of v, an answer to sel's field or to one that
// holds it, answers sel's selections, each read at key(selection): a
// fragment of a Node field applies to its type alone.
func aliasProject(v any, sel *aliasSel, key func(*aliasSel) string) any {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = aliasProject(e, sel, key)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		aliasPick(out, v, sel, sel.abstract, key)
		return out
	}
	return v
}

func aliasPick(out, v map[string]any, set *aliasSel, abstract bool, key func(*aliasSel) string) {
	for _, k := range set.kids {
		if k.on != "" {
			if !abstract || v["__typename"] == k.on {
				aliasPick(out, v, k, abstract, key)
			}
			continue
		}
		got, ok := v[key(k)]
		if !ok {
			out[k.key] = "(missing)"
			continue
		}
		// A key selected twice (edges { cursor } edges { node }) answers
		// both selections.
		out[k.key] = aliasUnion(out[k.key], aliasProject(got, k, key))
	}
}

// aliasUnion merges two projections of one value.
func aliasUnion(a, b any) any {
	switch a := a.(type) {
	case map[string]any:
		if b, ok := b.(map[string]any); ok {
			for k, v := range b {
				a[k] = aliasUnion(a[k], v)
			}
			return a
		}
	case []any:
		if b, ok := b.([]any); ok && len(a) == len(b) {
			for i := range a {
				a[i] = aliasUnion(a[i], b[i])
			}
			return a
		}
	}
	return b
}

func aliasJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// aliasPlaced is a selection set met where the server collects a node's
// fields, and the aliases of unique edges it was met under.
type aliasPlaced struct {
	set    []*aliasSel
	origin string
}

// aliasApart tells whether q has a nested connection that the server
// leaves to each parent's resolver by design (correct, one statement per
// parent): one key with other arguments (or another field) where
// collectField meets a node's fields, which are all of its connection's
// nodes and edges { node } under any alias (paging.MergedApart), or one
// key below two aliases of one unique edge, whose loads are one
// (collectedTwice).
func aliasApart(q *aliasSel) bool {
	switch {
	case q.unique:
		return aliasScopeApart([]aliasPlaced{{set: q.kids}})
	case !q.abstract:
		return aliasScopeApart(aliasRows(q, ""))
	}
	// node and nodes collect the fragments of each type apart.
	var direct []*aliasSel
	byType := map[string][]aliasPlaced{}
	for _, k := range q.kids {
		if k.on == "" {
			direct = append(direct, k)
		} else {
			byType[k.on] = append(byType[k.on], aliasPlaced{set: k.kids})
		}
	}
	for _, sets := range byType {
		if aliasScopeApart(append(sets, aliasPlaced{set: direct})) {
			return true
		}
	}
	return false
}

// aliasFields returns the fields of set and of its fragments.
func aliasFields(set []*aliasSel) []*aliasSel {
	var out []*aliasSel
	for _, k := range set {
		if k.on != "" {
			out = append(out, aliasFields(k.kids)...)
		} else {
			out = append(out, k)
		}
	}
	return out
}

// aliasRows returns the selections of a connection's nodes.
func aliasRows(c *aliasSel, origin string) []aliasPlaced {
	var out []aliasPlaced
	for _, k := range aliasFields(c.kids) {
		switch {
		case k.structural && k.name == "nodes":
			out = append(out, aliasPlaced{k.kids, origin})
		case k.structural && k.name == "edges":
			for _, n := range aliasFields(k.kids) {
				if n.name == "node" {
					out = append(out, aliasPlaced{n.kids, origin})
				}
			}
		}
	}
	return out
}

func aliasScopeApart(sets []aliasPlaced) bool {
	type placed struct {
		f      *aliasSel
		origin string
	}
	conns := map[string][]placed{}
	edges := map[string][]placed{}
	for _, p := range sets {
		for _, f := range aliasFields(p.set) {
			switch {
			case f.def != nil:
				conns[f.key] = append(conns[f.key], placed{f, p.origin})
			case f.unique:
				edges[f.name] = append(edges[f.name], placed{f, p.origin})
			}
		}
	}
	for _, group := range conns {
		var rows []aliasPlaced
		for _, p := range group {
			first := group[0]
			if p.f.name != first.f.name || p.f.args != first.f.args || p.origin != first.origin {
				return true
			}
			rows = append(rows, aliasRows(p.f, "")...)
		}
		if aliasScopeApart(rows) {
			return true
		}
	}
	for _, group := range edges {
		var below []aliasPlaced
		for _, p := range group {
			below = append(below, aliasPlaced{p.f.kids, p.origin + "/" + p.f.key})
		}
		if aliasScopeApart(below) {
			return true
		}
	}
	return false
}

// aliasSchema is what the generator draws from the schema: per object
// type, its connections, unique edges to other nodes and leaf fields.
type aliasSchema struct {
	s      *ast.Schema
	roots  []*ast.FieldDefinition // Query's connections
	rich   []*ast.FieldDefinition // those of nodes with two connections or more
	conns  map[string][]*ast.FieldDefinition
	unique map[string][]*ast.FieldDefinition
	leaves map[string][]*ast.FieldDefinition
	where  map[string][]string // a where input's predicates, rendered
}

func newAliasSchema(s *ast.Schema) *aliasSchema {
	m := &aliasSchema{s: s, conns: map[string][]*ast.FieldDefinition{}, unique: map[string][]*ast.FieldDefinition{},
		leaves: map[string][]*ast.FieldDefinition{}, where: map[string][]string{}}
	for name, def := range s.Types {
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") {
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") || f.Name == "id" || aliasRequiresArgs(f) {
				continue
			}
			target := s.Types[f.Type.Name()]
			switch {
			case m.isConnection(f):
				m.conns[name] = append(m.conns[name], f)
			case f.Type.Elem == nil && target.Kind == ast.Object && slices.Contains(target.Interfaces, "Node"):
				m.unique[name] = append(m.unique[name], f)
			case target.Kind == ast.Scalar || target.Kind == ast.Enum:
				m.leaves[name] = append(m.leaves[name], f)
			}
		}
	}
	for _, fs := range []map[string][]*ast.FieldDefinition{m.conns, m.unique, m.leaves} {
		for _, l := range fs {
			slices.SortFunc(l, func(a, b *ast.FieldDefinition) int { return strings.Compare(a.Name, b.Name) })
		}
	}
	m.roots = m.conns[s.Query.Name]
	for _, f := range m.roots {
		if len(m.conns[m.nodeType(f)]) >= 2 {
			m.rich = append(m.rich, f)
		}
	}
	return m
}

func aliasRequiresArgs(f *ast.FieldDefinition) bool {
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil {
			return true
		}
	}
	return false
}

func (m *aliasSchema) isConnection(f *ast.FieldDefinition) bool {
	def := m.s.Types[f.Type.Name()]
	return def != nil && strings.HasSuffix(def.Name, "Connection") && def.Fields.ForName("nodes") != nil &&
		f.Arguments.ForName("first") != nil && f.Arguments.ForName("last") != nil
}

// nodeType is the type of a connection's nodes.
func (m *aliasSchema) nodeType(conn *ast.FieldDefinition) string {
	return m.s.Types[conn.Type.Name()].Fields.ForName("nodes").Type.Name()
}

// predicates returns the where input's simple predicates: booleans, enum
// equality and string bounds.
func (m *aliasSchema) predicates(input string) []string {
	if p, ok := m.where[input]; ok {
		return p
	}
	var out []string
	for _, f := range m.s.Types[input].Fields {
		if f.Type.Elem != nil {
			continue
		}
		typ := m.s.Types[f.Type.Name()]
		switch {
		case typ.Name == "Boolean":
			out = append(out, f.Name+": true", f.Name+": false")
		case typ.Kind == ast.Enum:
			for _, v := range typ.EnumValues {
				out = append(out, f.Name+": "+v.Name)
			}
		case typ.Name == "String" && (strings.HasSuffix(f.Name, "GTE") || strings.HasSuffix(f.Name, "LT")):
			out = append(out, f.Name+`: "K"`, f.Name+`: "R"`)
		}
	}
	slices.Sort(out)
	m.where[input] = out
	return out
}

// aliasGen draws queries. Its choices shrink to the simplest: a field's
// own name, no filter, nothing below.
type aliasGen struct {
	rt       *rapid.T
	m        *aliasSchema
	rootType string // a lookup root's
}

const aliasMaxDepth = 3

// root draws the field all branches share: a connection of Query with a
// fixed order and page (mostly one with nested connections), node or
// nodes of seeded IDs, or a lookup of a seeded row.
func (g *aliasGen) root(seeds aliasSeeds) *aliasSel {
	types := slices.Sorted(maps.Keys(seeds.ids))
	roots := g.m.rich
	switch rapid.IntRange(0, 6).Draw(g.rt, "root kind") {
	case 3:
		roots = g.m.roots
	case 4:
		typ := rapid.SampledFrom(types).Draw(g.rt, "node type")
		id := rapid.SampledFrom(seeds.ids[typ]).Draw(g.rt, "node id")
		return &aliasSel{key: "r", name: "node", args: fmt.Sprintf("id: %q", id), abstract: true}
	case 5:
		var list []string
		for range rapid.IntRange(1, 12).Draw(g.rt, "nodes ids") {
			typ := rapid.SampledFrom(types).Draw(g.rt, "nodes type")
			list = append(list, strconv.Quote(rapid.SampledFrom(seeds.ids[typ]).Draw(g.rt, "nodes id")))
		}
		return &aliasSel{key: "r", name: "nodes", args: "ids: [" + strings.Join(list, ", ") + "]", abstract: true}
	case 6:
		name := rapid.SampledFrom(slices.Sorted(maps.Keys(seeds.lookups))).Draw(g.rt, "lookup")
		g.rootType = g.m.s.Query.Fields.ForName(name).Type.Name()
		return &aliasSel{key: "r", name: name, args: rapid.SampledFrom(seeds.lookups[name]).Draw(g.rt, "lookup of"), unique: true}
	}
	f := g.pick(roots, "root")
	args := []string{"first: " + strconv.Itoa(rapid.IntRange(1, 8).Draw(g.rt, "root first"))}
	if o := g.order(f); o != "" {
		args = append(args, o)
	}
	return &aliasSel{key: "r", name: f.Name, args: strings.Join(args, ", "), def: f}
}

// branches draws 2 to 4 branches below root, each often a mutated copy of
// an earlier one.
func (g *aliasGen) branches(root *aliasSel) []*aliasSel {
	var out []*aliasSel
	for i := range rapid.IntRange(2, 4).Draw(g.rt, "branches") {
		var br *aliasSel
		if i > 0 && rapid.IntRange(0, 3).Draw(g.rt, "copy") > 0 {
			br = rapid.SampledFrom(out).Draw(g.rt, "copy of").clone()
			g.mutate(br)
		} else {
			br = root.shell()
			switch {
			case root.abstract:
				br.kids = g.abstract()
			case root.unique:
				br.kids = g.object(g.rootType, 0)
			default:
				br.kids = g.connection(root.def, 0)
			}
		}
		out = append(out, br)
	}
	return out
}

// abstract draws a selection of a Node: __typename (for the projection
// to tell the fragments that apply), id and a fragment on a seeded type.
func (g *aliasGen) abstract() []*aliasSel {
	typ := rapid.SampledFrom([]string{"Pilot", "Network", "Municipality", "Organization", "Workspace"}).Draw(g.rt, "fragment type")
	frag := &aliasSel{on: typ, named: rapid.Bool().Draw(g.rt, "named"), kids: g.object(typ, 0)}
	return []*aliasSel{{key: "__typename", name: "__typename"}, {key: "id", name: "id"}, frag}
}

// pick draws one of fs by name (rapid logs what it draws).
func (g *aliasGen) pick(fs []*ast.FieldDefinition, label string) *ast.FieldDefinition {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return fs[slices.Index(names, rapid.SampledFrom(names).Draw(g.rt, label))]
}

// field draws the key of a field name from pool (repeated names weigh more).
func (g *aliasGen) field(label, name string, pool ...string) *aliasSel {
	return &aliasSel{key: rapid.SampledFrom(pool).Draw(g.rt, label), name: name, pool: pool}
}

// part draws the key of a connection's own field.
func (g *aliasGen) part(label, name string, pool ...string) *aliasSel {
	s := g.field(label, name, pool...)
	s.structural = true
	return s
}

// object draws the selection of an object of type typ depth levels below
// the root: id, up to two leaves and at most one nested connection or
// unique edge, sometimes in a fragment.
func (g *aliasGen) object(typ string, depth int) []*aliasSel {
	var out []*aliasSel
	if g.m.s.Types[typ].Fields.ForName("id") != nil {
		out = append(out, g.field("id key", "id", "id", "id", "i"))
	}
	if leaves := g.m.leaves[typ]; len(leaves) > 0 {
		for range rapid.IntRange(0, 2).Draw(g.rt, "leaves") {
			f := g.pick(leaves, "leaf")
			out = append(out, g.field("leaf key", f.Name, f.Name, f.Name, "s"))
		}
	}
	if depth >= aliasMaxDepth {
		return out
	}
	var next *aliasSel
	conns, edges := g.m.conns[typ], g.m.unique[typ]
	switch below := rapid.IntRange(0, 4).Draw(g.rt, "below"); {
	case below >= 1 && below <= 3 && len(conns) > 0:
		f := g.pick(conns, "connection")
		next = g.field("connection key", f.Name, f.Name, "x", "y")
		next.def = f
		next.args = g.connArgs(f)
		next.kids = g.connection(f, depth+1)
	case below >= 1 && len(edges) > 0:
		f := g.pick(edges, "unique edge")
		next = g.field("edge key", f.Name, f.Name, "a", "b")
		next.unique = true
		next.kids = g.object(f.Type.Name(), depth+1)
	}
	if next != nil {
		if rapid.IntRange(0, 3).Draw(g.rt, "in fragment") == 3 {
			next = &aliasSel{on: typ, named: rapid.Bool().Draw(g.rt, "named"), kids: []*aliasSel{next}}
		}
		out = append(out, next)
	}
	return out
}

// connection draws the selection of connection f: totalCount, pageInfo
// and cursors in any combination, and its nodes in nodes or edges { node }.
func (g *aliasGen) connection(f *ast.FieldDefinition, depth int) []*aliasSel {
	var out []*aliasSel
	if rapid.Bool().Draw(g.rt, "totalCount") {
		out = append(out, g.part("totalCount key", "totalCount", "totalCount", "n", "t"))
	}
	if rapid.Bool().Draw(g.rt, "pageInfo") {
		p := g.part("pageInfo key", "pageInfo", "pageInfo", "pageInfo", "p", "edges")
		for _, name := range []string{"hasNextPage", "hasPreviousPage", "startCursor", "endCursor"} {
			if rapid.Bool().Draw(g.rt, name) {
				p.kids = append(p.kids, &aliasSel{key: name, name: name})
			}
		}
		if len(p.kids) == 0 {
			p.kids = append(p.kids, &aliasSel{key: "hasNextPage", name: "hasNextPage"})
		}
		out = append(out, p)
	}
	if rapid.Bool().Draw(g.rt, "cursors") {
		e := g.part("cursors key", "edges", "edges", "es")
		e.kids = []*aliasSel{g.part("cursor key", "cursor", "cursor", "c")}
		out = append(out, e)
	}
	node := g.m.nodeType(f)
	switch rows := rapid.IntRange(0, 4).Draw(g.rt, "rows"); {
	case rows == 1 || rows == 2:
		n := g.part("nodes key", "nodes", "nodes", "nodes", "ns", "edges")
		n.kids = g.object(node, depth)
		out = append(out, n)
	case rows >= 3:
		e := g.part("edges key", "edges", "edges", "edges", "es")
		n := g.part("node key", "node", "node", "n")
		n.kids = g.object(node, depth)
		if rapid.Bool().Draw(g.rt, "with cursor") {
			e.kids = append(e.kids, g.part("cursor key", "cursor", "cursor", "c"))
		}
		e.kids = append(e.kids, n)
		out = append(out, e)
	}
	if len(out) == 0 {
		out = append(out, g.part("totalCount key", "totalCount", "totalCount", "n", "t"))
	}
	return out
}

// connArgs draws a nested connection's arguments: a page (or none, the
// default 20), an order and a filter.
func (g *aliasGen) connArgs(f *ast.FieldDefinition) string {
	var args []string
	switch rapid.IntRange(0, 2).Draw(g.rt, "page") {
	case 0:
		args = append(args, "first: "+strconv.Itoa(rapid.IntRange(0, 4).Draw(g.rt, "first")))
	case 1:
		args = append(args, "last: "+strconv.Itoa(rapid.IntRange(0, 3).Draw(g.rt, "last")))
	}
	if rapid.Bool().Draw(g.rt, "ordered") {
		if o := g.order(f); o != "" {
			args = append(args, o)
		}
	}
	if w := f.Arguments.ForName("where"); w != nil && rapid.Bool().Draw(g.rt, "filtered") {
		if preds := g.m.predicates(w.Type.Name()); len(preds) > 0 {
			p := rapid.SampledFrom(preds).Draw(g.rt, "predicate")
			if rapid.IntRange(0, 3).Draw(g.rt, "negated") == 3 {
				p = "not: {" + p + "}"
			}
			args = append(args, "where: {"+p+"}")
		}
	}
	return strings.Join(args, ", ")
}

// order draws an orderBy of f, or "" if f has none.
func (g *aliasGen) order(f *ast.FieldDefinition) string {
	arg := f.Arguments.ForName("orderBy")
	if arg == nil {
		return ""
	}
	field := g.m.s.Types[arg.Type.Name()].Fields.ForName("field")
	if field == nil {
		return ""
	}
	var names []string
	for _, v := range g.m.s.Types[field.Type.Name()].EnumValues {
		names = append(names, v.Name)
	}
	v := rapid.SampledFrom(names).Draw(g.rt, "order field")
	dir := rapid.SampledFrom([]string{"ASC", "DESC"}).Draw(g.rt, "direction")
	return fmt.Sprintf("orderBy: {field: %s, direction: %s}", v, dir)
}

// mutate changes a copied branch in a few places: another key from a
// field's pool, other arguments of a connection, or nodes turned into
// edges { node } and back. The root keeps its arguments.
func (g *aliasGen) mutate(br *aliasSel) {
	var walk func(s *aliasSel)
	walk = func(s *aliasSel) {
		for i, k := range s.kids {
			if k.on == "" {
				switch rapid.IntRange(0, 5).Draw(g.rt, "mutation") {
				case 3:
					if len(k.pool) > 1 {
						k.key = rapid.SampledFrom(k.pool).Draw(g.rt, "other key")
					}
				case 4:
					if k.def != nil {
						k.args = g.connArgs(k.def)
					}
				case 5:
					if e := aliasSwapRows(k); e != nil {
						s.kids[i] = e
					}
				}
			}
			walk(s.kids[i])
		}
	}
	walk(br)
}

// aliasSwapRows returns nodes { … } as edges { node { … } } and edges
// { node { … } } (without cursor) as nodes { … }, or nil for other fields.
func aliasSwapRows(k *aliasSel) *aliasSel {
	switch {
	case k.structural && k.name == "nodes":
		node := &aliasSel{key: "node", name: "node", pool: []string{"node", "n"}, structural: true, kids: k.kids}
		return &aliasSel{key: "edges", name: "edges", pool: []string{"edges", "es"}, structural: true, kids: []*aliasSel{node}}
	case k.structural && k.name == "edges" && len(k.kids) == 1 && k.kids[0].name == "node":
		return &aliasSel{key: "nodes", name: "nodes", pool: []string{"nodes", "ns", "edges"}, structural: true, kids: k.kids[0].kids}
	}
	return nil
}
