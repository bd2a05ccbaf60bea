package server_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"kokeilu/graph"
	"kokeilu/internal/cost"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"

	"github.com/vektah/gqlparser/v2/ast"
	"pgregory.net/rapid"
)

// filterFields are fields that take a where input, each as a query with the
// filter in $w (declared as the type typ), reaching root and nested
// connections, the hand-written area connections and pilotStats; lists is
// the elements of the query's other list arguments.
var filterFields = []struct {
	name, typ, query string
	lists            int
}{
	{"pilots", "PilotWhereInput", `pilots(first: 5, where: $w) { totalCount nodes { id } }`, 0},
	{"municipalities", "MunicipalityWhereInput", `municipalities(first: 5, where: $w) { totalCount nodes { id } }`, 0},
	{"pilotStats", "PilotWhereInput", `pilotStats(where: $w, groupBy: [REGION, STATUS]) { total buckets { pilots } }`, 2},
	{"municipalities.pilots", "PilotWhereInput", `municipalities(first: 3) { nodes { pilots(first: 5, where: $w) { totalCount nodes { id } } } }`, 0},
	{"region.pilots", "PilotWhereInput", `regions(first: 2) { nodes { pilots(first: 5, where: $w) { totalCount nodes { id } } } }`, 0},
	{"region.pilots totalCount", "PilotWhereInput", `regions(first: 2) { nodes { pilots(where: $w) { totalCount } } }`, 0},
	{"region.municipalities", "MunicipalityWhereInput", `regions(first: 2) { nodes { municipalities(first: 5, where: $w) { totalCount nodes { id } } } }`, 0},
}

// literal writes v (a where input as JSON sees it) as a GraphQL literal of
// input type typ: enum values bare, everything else as JSON writes it.
func literal(s *ast.Schema, typ string, v any) string {
	switch v := v.(type) {
	case map[string]any:
		def := s.Types[typ]
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + ": " + literal(s, def.Fields.ForName(k).Type.Name(), v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = literal(s, typ, e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case string:
		if d := s.Types[typ]; d != nil && d.Kind == ast.Enum {
			return v
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// sendFilter asks field f with the filter w, inline or as a variable.
func sendFilter(a *api, s *ast.Schema, f int, w any, inline bool) response {
	c := filterFields[f]
	if inline {
		return a.post(`{ `+strings.Replace(c.query, "$w", literal(s, c.typ, w), 1)+` }`, nil)
	}
	return a.post(`query($w: `+c.typ+`) { `+c.query+` }`, map[string]any{"w": w})
}

// nested is n filters, each inside the next through key (a list of one
// for and, or and has…With), around leaf.
func nested(key string, n int, leaf map[string]any) map[string]any {
	w := leaf
	for range n - 1 {
		if key == "not" {
			w = map[string]any{key: w}
		} else {
			w = map[string]any{key: []any{w}}
		}
	}
	return w
}

// alternatives is a filter whose key (or, and) lists n filters.
func alternatives(key string, n int) map[string]any {
	list := make([]any, n)
	for i := range list {
		list[i] = map[string]any{"id": scalar.EncodeID(i + 1)}
	}
	return map[string]any{key: list}
}

// TestHostileFilterIsBadInput: a where input of 1,000 `or` (or `and`)
// alternatives, or of 1,100 nested `not`, answered INTERNAL on SQLite
// ("Expression tree is too large (maximum depth 1000)"). Every filter
// argument is bounded in size and depth before anything runs: BAD_USER_INPUT
// naming the argument, inline or in a variable, on every field with a
// filter.
func TestHostileFilterIsBadInput(t *testing.T) {
	s := graph.NewSchema(nil, nil, nil, nil).Schema()
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		hostile := map[string]map[string]any{
			"1,000 or":         alternatives("or", 1000),
			"999 or":           alternatives("or", 999),
			"1,000 and":        alternatives("and", 1000),
			"1,100 nested not": nested("not", 1100, map[string]any{"id": scalar.EncodeID(1)}),
			"500 nested not":   nested("not", 500, map[string]any{"id": scalar.EncodeID(1)}),
			"1,000 or of {}": {"or": func() []any {
				out := make([]any, 1000)
				for i := range out {
					out[i] = map[string]any{}
				}
				return out
			}()},
		}
		for name, w := range hostile {
			for f, c := range filterFields {
				for _, inline := range []bool{false, true} {
					res := sendFilter(a, s, f, w, inline)
					if inline && len(res.Errors) > 0 && res.Errors[0].code() == "GRAPHQL_PARSE_FAILED" {
						continue // over gqlparser's nesting limit (1,000), before any bound of ours
					}
					if len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != "where" {
						t.Errorf("%s on %s (inline %v): want BAD_USER_INPUT on where, got %d %.300v", name, c.name, inline, res.Status, res.Errors)
					}
				}
			}
		}
	})
}

// TestFilterBoundsEdge runs filters at the edge of every bound on every
// field with a filter: the largest and deepest filters accepted answer
// data (the SQL they make stays within both databases' limits), one more
// is BAD_USER_INPUT; and so does a filter carrying the most list elements a
// field may (10,000, each a bind parameter).
func TestFilterBoundsEdge(t *testing.T) {
	s := graph.NewSchema(nil, nil, nil, nil).Schema()
	// widest is the largest filter of make(n) within the size bound, and
	// the smallest over it.
	widest := func(make func(n int) map[string]any) (ok, over map[string]any) {
		n := 1
		for size, _ := filterSize(make(n + 1)); size <= cost.MaxFilterSize; size, _ = filterSize(make(n + 1)) {
			n++
		}
		return make(n), make(n + 1)
	}
	// under is w inside a chain of n has…With filters, hasMunicipalitiesWith
	// and hasPilotsWith in turn, for a filter of typ.
	under := func(typ string, n int, w map[string]any) map[string]any {
		edges := []string{"hasMunicipalitiesWith", "hasPilotsWith"}
		if typ != "PilotWhereInput" {
			edges[0], edges[1] = edges[1], edges[0]
		}
		for i := n - 1; i >= 0; i-- {
			w = map[string]any{edges[i%2]: []any{w}}
		}
		return w
	}
	id := map[string]any{"id": scalar.EncodeID(1)}
	// idIn lists of 1,000 or-ed, as many list elements (with the `or` list
	// itself and the field's other lists) as a field may have.
	ids := func(others int) map[string]any {
		or := make([]any, 10)
		left := cost.MaxListsTotal - others - len(or)
		for i := range or {
			list := make([]any, min(1000, left))
			left -= len(list)
			for j := range list {
				list[j] = scalar.EncodeID(i*1000 + j + 1)
			}
			or[i] = map[string]any{"idIn": list}
		}
		return map[string]any{"or": or}
	}
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		for f, c := range filterFields {
			type edge struct {
				name string
				w    map[string]any
				ok   bool
			}
			var edges []edge
			add := func(name string, make func(n int) map[string]any) {
				ok, over := widest(make)
				edges = append(edges, edge{name, ok, true}, edge{name + ", one more", over, false})
			}
			add("or", func(n int) map[string]any { return alternatives("or", n) })
			add("and", func(n int) map[string]any { return alternatives("and", n) })
			for _, m := range []int{1, cost.MaxFilterChain} {
				add(fmt.Sprintf("or under %d has…With", m), func(n int) map[string]any { return under(c.typ, m, alternatives("or", n)) })
			}
			edges = append(edges,
				edge{"has…With chain", under(c.typ, cost.MaxFilterChain, id), true},
				edge{"has…With chain, one more", under(c.typ, cost.MaxFilterChain+1, id), false},
				edge{"has… side by side", siblings(s, c.typ, cost.MaxFilterEdges/cost.FilterRuns("Query", c.name)), true},
				edge{"has… side by side, one more", siblings(s, c.typ, cost.MaxFilterEdges/cost.FilterRuns("Query", c.name)+1), false})
			edges = append(edges,
				edge{"deepest not", nested("not", cost.MaxFilterDepth, id), true},
				edge{"deepest not, one more", nested("not", cost.MaxFilterDepth+1, id), false},
				edge{"deepest or", nested("or", cost.MaxFilterDepth, id), true},
				edge{"deepest or, one more", nested("or", cost.MaxFilterDepth+1, id), false},
				edge{"10,000 list elements", ids(c.lists), true})
			for _, e := range edges {
				size, depth := filterSize(e.w)
				for _, inline := range []bool{false, true} {
					res := sendFilter(a, s, f, e.w, inline)
					switch {
					case e.ok && len(res.Errors) > 0:
						t.Errorf("%s on %s (size %d, depth %d, inline %v): %.300v", e.name, c.name, size, depth, inline, res.Errors)
					case !e.ok && (len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != "where"):
						t.Errorf("%s on %s (size %d, depth %d, inline %v): want BAD_USER_INPUT on where, got %.300v", e.name, c.name, size, depth, inline, res.Errors)
					}
				}
			}
		}
	})
}

// whereGen draws where inputs of PilotWhereInput and MunicipalityWhereInput
// from the schema: any of their fields (and those of the types their
// has…With edges reach) with values of the field's type, around a spine of
// random depth (not, and, or, has…With) with wide and/or lists on it, so
// that both sides of both bounds are drawn.
type whereGen struct{ s *ast.Schema }

// scalarValue is a valid value of a scalar or enum field (the area codes
// have a form of their own).
func (g whereGen) scalarValue(t *rapid.T, f *ast.FieldDefinition, label string) any {
	name, typ := f.Name, f.Type.Name()
	if def := g.s.Types[typ]; def != nil && def.Kind == ast.Enum {
		return rapid.SampledFrom(def.EnumValues).Draw(t, label).Name
	}
	switch {
	case typ != "String":
	case strings.HasPrefix(name, "regionCode"), strings.HasPrefix(name, "wellbeingCountyCode"):
		return rapid.SampledFrom([]string{"01", "19", "90", "77"}).Draw(t, label)
	case strings.HasPrefix(name, "subregionCode"), strings.HasPrefix(name, "municipalityCode"):
		return rapid.SampledFrom([]string{"091", "049", "999"}).Draw(t, label)
	}
	switch typ {
	case "ID":
		return scalar.EncodeID(rapid.IntRange(1, 1<<33).Draw(t, label))
	case "Int":
		return rapid.IntRange(-1, 700_000).Draw(t, label)
	case "Float":
		return rapid.SampledFrom([]float64{0, 0.5, 60.2, 1e6}).Draw(t, label)
	case "Boolean":
		return rapid.Bool().Draw(t, label)
	case "Date":
		return rapid.SampledFrom([]string{"2015-12-02", "2020-01-01", "2030-06-30"}).Draw(t, label)
	case "Time":
		return rapid.SampledFrom([]string{"2020-01-01T00:00:00Z", "2026-06-01T12:00:00+03:00"}).Draw(t, label)
	}
	return rapid.SampledFrom([]string{"", "a", "kokeilu", "Helsinki", "perustulo-2017", "Å%_"}).Draw(t, label)
}

// leaf is a filter of type typ setting 0–3 of its non-recursive fields.
func (g whereGen) leaf(t *rapid.T, typ, label string) map[string]any {
	var plain []*ast.FieldDefinition
	for _, f := range g.s.Types[typ].Fields {
		if d := g.s.Types[f.Type.Name()]; d == nil || d.Kind != ast.InputObject {
			plain = append(plain, f)
		}
	}
	w := map[string]any{}
	for i := range rapid.IntRange(0, 3).Draw(t, label+"#fields") {
		f := rapid.SampledFrom(plain).Draw(t, fmt.Sprintf("%s#field%d", label, i))
		if f.Type.Elem != nil {
			list := make([]any, rapid.IntRange(0, 3).Draw(t, label+"."+f.Name+"#len"))
			for j := range list {
				list[j] = g.scalarValue(t, f, label+"."+f.Name)
			}
			w[f.Name] = list
		} else {
			w[f.Name] = g.scalarValue(t, f, label+"."+f.Name)
		}
	}
	return w
}

// edges are the fields of typ that hold a filter: not, and, or, has…With.
func (g whereGen) edges(typ string) []*ast.FieldDefinition {
	var out []*ast.FieldDefinition
	for _, f := range g.s.Types[typ].Fields {
		if d := g.s.Types[f.Type.Name()]; d != nil && d.Kind == ast.InputObject {
			out = append(out, f)
		}
	}
	return out
}

// tree is a filter of type typ: a spine depth deep through random edges,
// each level a leaf's fields plus, now and then, a list of width filters.
func (g whereGen) tree(t *rapid.T, typ string, depth int, label string) map[string]any {
	w := g.leaf(t, typ, label)
	if rapid.IntRange(0, 4).Draw(t, label+"#wide?") == 0 {
		width := rapid.IntRange(0, 300).Draw(t, label+"#width")
		key := rapid.SampledFrom([]string{"or", "and"}).Draw(t, label+"#wide")
		list := make([]any, width)
		for i := range list {
			list[i] = g.leaf(t, typ, label+"."+key)
		}
		w[key] = list
	}
	if depth <= 1 {
		return w
	}
	e := rapid.SampledFrom(g.edges(typ)).Draw(t, label+"#edge")
	inner := g.tree(t, e.Type.Name(), depth-1, label+"."+e.Name)
	switch {
	case e.Type.Elem != nil && w[e.Name] == nil && rapid.Bool().Draw(t, label+"#single"):
		// One object for a list: GraphQL coerces it, and in variables
		// gqlparser makes it a typed slice, which the bounds once skipped.
		w[e.Name] = inner
	case e.Type.Elem != nil:
		w[e.Name] = append(asList(w[e.Name]), inner)
	default:
		w[e.Name] = inner
	}
	return w
}

func asList(v any) []any { l, _ := v.([]any); return l }

// siblings is n has… edge tests side by side (an and of them), none
// inside another.
func siblings(s *ast.Schema, typ string, n int) map[string]any {
	var has string
	for _, f := range s.Types[typ].Fields {
		if strings.HasPrefix(f.Name, "has") && f.Type.Name() == "Boolean" {
			has = f.Name
			break
		}
	}
	list := make([]any, n)
	for i := range list {
		list[i] = map[string]any{has: i%2 == 0}
	}
	return map[string]any{"and": list}
}

// filterEdgeCount is the weight of the edge tests of a where input of type
// typ as internal/cost bounds them, counted here on their own: every edge
// test (cost.FilterEdge: has…With, a list of filters being one subquery,
// has…, the area codes), each its weight + the has…With around it; and how
// deep they chain, with their own hops (cost.MaxFilterChain).
func filterEdgeCount(s *ast.Schema, typ string, v any) (n, chain int) {
	var walk func(def *ast.Definition, v any, depth int)
	walk = func(def *ast.Definition, v any, depth int) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(def, e, depth)
			}
		case map[string]any:
			for k, e := range v {
				f := def.Fields.ForName(k)
				inner := s.Types[f.Type.Name()]
				edge := cost.FilterEdge(def, f) // which fields are edge tests: TestFilterEdgesMatchSQL
				if edge.Hops == 0 {
					walk(inner, e, depth)
					continue
				}
				n += edge.Weight + depth
				chain = max(chain, depth+edge.Hops)
				walk(inner, e, depth+1)
			}
		}
	}
	walk(s.Types[typ], v, 0)
	return n, chain
}

// filterSize is the size and depth of a where input as internal/cost
// bounds them, counted here on their own: input objects and the fields set
// in them, each once more for every has…With filter around it; how deep the
// objects nest.
func filterSize(v any) (size, depth int) {
	var walk func(v any, edges int) int
	walk = func(v any, edges int) (depth int) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				depth = max(depth, walk(e, edges))
			}
		case map[string]any:
			size += (1 + len(v)) * (1 + edges)
			for k, e := range v {
				inner := edges
				if strings.HasPrefix(k, "has") {
					inner++
				}
				depth = max(depth, walk(e, inner))
			}
			depth++
		}
		return depth
	}
	depth = walk(v, 0)
	return size, depth
}

// TestFilterProperty sends random where inputs (whereGen) to every field
// with a filter, inline or as a variable, on both databases. Property: a
// filter within the bounds (size, depth, edges, chain) answers data; one over them BAD_USER_INPUT on
// `where`; never INTERNAL.
func TestFilterProperty(t *testing.T) {
	s := graph.NewSchema(nil, nil, nil, nil).Schema()
	g := whereGen{s}
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		var within, over, largest int
		rapid.Check(t, func(rt *rapid.T) {
			f := rapid.IntRange(0, len(filterFields)-1).Draw(rt, "field")
			c := filterFields[f]
			depth := rapid.IntRange(1, cost.MaxFilterDepth+4).Draw(rt, "depth")
			w := g.tree(rt, c.typ, depth, "where")
			inline := rapid.Bool().Draw(rt, "inline")
			size, d := filterSize(w)
			edges, chain := filterEdgeCount(s, c.typ, w)
			edges *= cost.FilterRuns("Query", c.name)
			res := sendFilter(a, s, f, w, inline)
			for _, e := range res.Errors {
				if e.code() == "INTERNAL" || res.Status >= 500 {
					rt.Fatalf("%s: INTERNAL (status %d) for a filter of size %d, depth %d: %+v", c.name, res.Status, size, d, e)
				}
			}
			if size <= cost.MaxFilterSize && d <= cost.MaxFilterDepth && edges <= cost.MaxFilterEdges && chain <= cost.MaxFilterChain {
				within++
				largest = max(largest, size)
				if len(res.Errors) > 0 {
					rt.Fatalf("%s: a filter of size %d, depth %d, %d edges: %+v", c.name, size, d, edges, res.Errors)
				}
				return
			}
			over++
			if len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != "where" {
				rt.Fatalf("%s: a filter of size %d, depth %d, %d edges: want BAD_USER_INPUT on where, got %+v", c.name, size, d, edges, res.Errors)
			}
		})
		t.Logf("%d filters within the bounds (the largest of size %d), %d over", within, largest, over)
	})
}
