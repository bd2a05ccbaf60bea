package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"kokeilu/graph"
	"kokeilu/internal/cost"
	"kokeilu/internal/netgraph"
	"kokeilu/internal/server"
	"kokeilu/internal/testdb"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// step is one hop from Query: a field, or an inline fragment on a
// possible type of an interface or union.
type step struct {
	owner *ast.Definition
	field *ast.FieldDefinition // nil: a fragment on owner
}

// sizeValues are the small and large values the schema test gives a size
// argument, by name. A new sized field with an argument not here fails.
var sizeValues = map[string][2]string{
	"ids":      {`["a"]`, `["a","b","c","d","e","f","g","h","i","j"]`},
	"maxNodes": {`1`, `100000`},
	"depth":    {`0`, `3`},
	"first":    {`1`, `1000`},
	"groupBy":  {`[REGION]`, `[REGION, THEME]`},
	// Communities and components list groups partitioning the view: at
	// membersFirst 0 only the groups, else members too (the view's nodes
	// at most, however large membersFirst).
	"membersFirst": {`0`, `100000`},
}

// weightArgs are the size arguments of server.CostWeights' fields.
var weightArgs = map[string][]string{"Query.pilotStats": {"groupBy"}}

// TestCostEveryListHasASize walks the schema from Query: every field that
// returns a list or a connection must have a cost rule (internal/cost
// sizes.go), and the estimate must grow with the size asked for — first and
// last of a connection, the ids of nodes, a graph's maxNodes and depth —
// and count a bounded list's items. A new list field without a rule fails.
func TestCostEveryListHasASize(t *testing.T) {
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	paths := reach(schema)
	names := make([]string, 0, len(paths))
	for n := range paths {
		names = append(names, n)
	}
	sort.Strings(names)
	checked := 0
	for _, name := range names {
		def := schema.Types[name]
		if def.Kind != ast.Object {
			for _, f := range def.Fields {
				if f.Type.Elem != nil || strings.HasSuffix(f.Type.Name(), "Connection") {
					t.Errorf("%s.%s: a list on an interface; the cost rules are keyed by object type", name, f.Name)
				}
			}
			continue
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			key := name + "." + f.Name
			rule := cost.Rule(def, f, server.CostWeights)
			isList := f.Type.Elem != nil || rule == "connection"
			if !isList && rule != "sized" {
				continue
			}
			checked++
			path := append(append([]step{}, paths[name]...), step{owner: def, field: f})
			switch rule {
			case "":
				t.Errorf("%s returns a list but has no cost rule (internal/cost/sizes.go)", key)
			case "connection":
				for _, arg := range []string{"first", "last"} {
					grows(t, schema, key+" "+arg, path, arg, `1`, `100`)
				}
			case "sized":
				args := cost.SizeArgs(name, f.Name)
				if w := weightArgs[key]; w != nil {
					args = w
				}
				// Every argument that can ask for more must be one the
				// size follows (membersFirst was not, and 70 aliases of
				// components(membersFirst: 100000) took +600 MB).
				for _, arg := range sizeArguments(schema, f) {
					if !slices.Contains(args, arg) && !slices.Contains(cost.IgnoredArgs(name, f.Name), arg) {
						t.Errorf("%s: its estimate ignores the size argument %s (internal/cost sizes.go)", key, arg)
					}
				}
				for _, arg := range args {
					v, ok := sizeValues[arg[strings.LastIndex(arg, ".")+1:]]
					if !ok {
						t.Errorf("%s: no test values for its size argument %s (sizeValues)", key, arg)
						continue
					}
					grows(t, schema, key+" "+arg, path, arg, v[0], v[1])
				}
				if d := added(t, schema, path); d < 1 {
					t.Errorf("%s: selecting it adds %d nodes", key, d)
				}
			case "bounded":
				if d := added(t, schema, path); d < 2 {
					t.Errorf("%s: a bounded list adds %d nodes", key, d)
				}
			case "within":
				// Counted by the field holding it: that one must be sized.
				holder := -1
				for i := len(path) - 2; i >= 0 && holder < 0; i-- {
					if s := path[i]; s.field != nil && cost.Rule(s.owner, s.field, server.CostWeights) != "within" {
						holder = i
					}
				}
				if holder < 0 {
					t.Errorf("%s: nothing above it is sized", key)
					continue
				}
				h := path[holder]
				if r := cost.Rule(h.owner, h.field, server.CostWeights); r != "connection" && r != "sized" {
					t.Errorf("%s: counted within %s.%s, whose rule is %q", key, h.owner.Name, h.field.Name, r)
				}
			}
		}
	}
	if checked < 100 {
		t.Errorf("only %d list fields checked: the walk missed the schema", checked)
	}
	// The graph sizes internal/cost states are netgraph's.
	if cost.GraphDefaultNodes != netgraph.DefaultMaxNodes || cost.GraphMaxNodes != netgraph.LimitMaxNodes ||
		cost.GraphNeighborhoodNodes != netgraph.DefaultNeighborhoodNodes || cost.GraphAttributes != len((&netgraph.Node{}).Attrs())-2 {
		t.Errorf("internal/cost's graph sizes differ from netgraph's")
	}
}

// sizeArguments are f's arguments that can ask for more items: its Int
// and list arguments and the Int fields of its input arguments
// ("filter.maxNodes"), filters (where inputs, bounded in filters.go) aside.
func sizeArguments(schema *ast.Schema, f *ast.FieldDefinition) []string {
	var out []string
	for _, a := range f.Arguments {
		d := schema.Types[a.Type.Name()]
		switch {
		case a.Type.Elem != nil || a.Type.Name() == "Int":
			out = append(out, a.Name)
		case d.Kind == ast.InputObject && d.Fields.ForName("and") != nil:
		case d.Kind == ast.InputObject:
			for _, in := range d.Fields {
				if in.Type.Elem == nil && in.Type.Name() == "Int" {
					out = append(out, a.Name+"."+in.Name)
				}
			}
		}
	}
	return out
}

// reach is the shortest path from Query to every object, interface and
// union type.
func reach(schema *ast.Schema) map[string][]step {
	paths := map[string][]step{schema.Query.Name: nil}
	queue := []*ast.Definition{schema.Query}
	visit := func(d *ast.Definition, path []step) {
		if d == nil || (d.Kind != ast.Object && d.Kind != ast.Interface && d.Kind != ast.Union) {
			return
		}
		if _, ok := paths[d.Name]; !ok {
			paths[d.Name] = path
			queue = append(queue, d)
		}
	}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		base := paths[d.Name]
		if d.Kind != ast.Object {
			for _, p := range schema.GetPossibleTypes(d) {
				visit(p, append(append([]step{}, base...), step{owner: p}))
			}
		}
		for _, f := range d.Fields {
			if !strings.HasPrefix(f.Name, "__") {
				visit(schema.Types[f.Type.Name()], append(append([]step{}, base...), step{owner: d, field: f}))
			}
		}
	}
	return paths
}

// grows checks that the estimate of path with arg (on its last field; a
// dotted name is an input field) set small is below that with it large.
func grows(t *testing.T, schema *ast.Schema, name string, path []step, arg, small, large string) {
	t.Helper()
	s := estimate(t, schema, render(schema, path, arg, small))
	l := estimate(t, schema, render(schema, path, arg, large))
	if s >= l {
		t.Errorf("%s: the estimate does not grow: %d at %s, %d at %s", name, s, small, l, large)
	}
}

// added is what selecting the last field of path adds to the estimate.
func added(t *testing.T, schema *ast.Schema, path []step) int {
	t.Helper()
	without := path[:len(path)-1]
	return estimate(t, schema, render(schema, path, "", "")) - estimate(t, schema, render(schema, without, "", ""))
}

func estimate(t *testing.T, schema *ast.Schema, query string) int {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(schema, query)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", query, errs)
	}
	return cost.MeasureWith(server.CostWeights, doc, doc.Operations[0].SelectionSet, nil).Nodes
}

// render writes path as a query: each field with its required arguments,
// the last with arg set to value.
func render(schema *ast.Schema, path []step, arg, value string) string {
	inner := "__typename"
	for i := len(path) - 1; i >= 0; i-- {
		s := path[i]
		if s.field == nil {
			inner = "... on " + s.owner.Name + " { " + inner + " }"
			continue
		}
		a := ""
		if i == len(path)-1 {
			a = arg
		}
		text := s.field.Name + arguments(schema, s.field, a, value)
		if t := schema.Types[s.field.Type.Name()]; t.Kind == ast.Scalar || t.Kind == ast.Enum {
			inner = text
		} else {
			inner = text + " { " + inner + " }"
		}
	}
	return "{ " + inner + " }"
}

// arguments are f's required arguments with placeholder values, and arg
// (top-level, or "input.field") set to value.
func arguments(schema *ast.Schema, f *ast.FieldDefinition, arg, value string) string {
	top, sub, _ := strings.Cut(arg, ".")
	var out []string
	for _, a := range f.Arguments {
		switch {
		case a.Name == top && sub == "":
			out = append(out, a.Name+": "+value)
		case a.Name == top:
			out = append(out, a.Name+": {"+sub+": "+value+"}")
		case a.Type.NonNull && a.DefaultValue == nil:
			out = append(out, a.Name+": "+placeholder(schema, a.Type))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "(" + strings.Join(out, ", ") + ")"
}

func placeholder(schema *ast.Schema, t *ast.Type) string {
	if t.Elem != nil {
		return "[" + placeholder(schema, t.Elem) + "]"
	}
	d := schema.Types[t.NamedType]
	switch {
	case d.Kind == ast.Enum:
		return d.EnumValues[0].Name
	case d.Kind == ast.InputObject:
		var fs []string
		for _, f := range d.Fields {
			if f.Type.NonNull && f.DefaultValue == nil {
				fs = append(fs, f.Name+": "+placeholder(schema, f.Type))
			}
		}
		return "{" + strings.Join(fs, ", ") + "}"
	case d.Name == "Int" || d.Name == "Float":
		return "1"
	case d.Name == "Boolean":
		return "false"
	}
	return fmt.Sprintf("%q", "2024-01-01") // ID, String, Date, Time: any string validates
}

// TestCostCountsIdsAndGraphs, through HTTP on both databases: nodes(ids:)
// is costed by its ids, inline or from variables (8 aliases of 100 ids
// returned ~905,000 objects at an estimate of 80,800), and graph fields by
// their maxNodes (100 aliased neighborhoods cost 0 and took +1 GB); the
// refusals come before any SQL.
func TestCostCountsIdsAndGraphs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		var ms struct {
			Municipalities struct{ Nodes []struct{ ID string } }
		}
		a.query(&ms, `{ municipalities(first: 100) { nodes { id } } }`, nil)
		ids := make([]any, len(ms.Municipalities.Nodes))
		quoted := make([]string, len(ids))
		for i, m := range ms.Municipalities.Nodes {
			ids[i], quoted[i] = m.ID, fmt.Sprintf("%q", m.ID)
		}
		if len(ids) != 100 {
			t.Fatalf("%d municipalities", len(ids))
		}
		const sel = `{ ... on Municipality { pilots(first: 100) { nodes { title municipalities(first: 100) { nodes { code } } } } } }`
		const perID = 1 + 100 + 100*100
		// Accepted: the estimate is the ids times what each brings.
		for _, n := range []int{1, 3} {
			var got struct {
				Extensions struct{ Cost struct{ Nodes int } }
			}
			raw := a.rawPostVars(`query($i: [ID!]!) { nodes(ids: $i) `+sel+` }`, map[string]any{"i": ids[:n]})
			if err := json.Unmarshal(raw, &got); err != nil || got.Extensions.Cost.Nodes != n*perID {
				t.Errorf("%d ids: cost %d, want %d (%.200s)", n, got.Extensions.Cost.Nodes, n*perID, raw)
			}
		}
		// The graph of this revision is loaded by the first graph field;
		// after it a graph refusal reads the revision only.
		var got struct {
			Data       struct{ Neighborhood struct{ TotalNodes int } }
			Extensions struct{ Cost struct{ Nodes int } }
		}
		raw := a.rawPost(`{ neighborhood(id: ` + quoted[0] + `, depth: 1, filter: {maxNodes: 50}) { totalNodes nodes { id } } }`)
		view, err := netgraph.For(a.db.Client).Nodes(context.Background())
		if err != nil || view < 100 {
			t.Fatalf("the whole graph has %d nodes: %v", view, err)
		}
		// A graph field within the limit runs and reports its size.
		if err := json.Unmarshal(raw, &got); err != nil || got.Extensions.Cost.Nodes != view+50 || got.Data.Neighborhood.TotalNodes < 1 {
			t.Errorf("neighborhood: %.300s", raw)
		}
		refusedAfter := func(statements int64, name, query string, vars map[string]any, want int) {
			t.Helper()
			before := a.statements.Load()
			res := a.post(query, vars)
			if len(res.Errors) == 0 || res.Errors[0].code() != "COST_LIMIT_EXCEEDED" || res.Errors[0].Extensions["measure"] != "nodes" ||
				res.Errors[0].Extensions["cost"] != float64(want) || res.Data != nil {
				t.Errorf("%s: want COST_LIMIT_EXCEEDED at %d nodes, got %+v %.100s", name, want, res.Errors, res.Data)
			}
			if ran := a.statements.Load() - before; ran > statements {
				t.Errorf("%s: %d SQL statements ran before the refusal", name, ran)
			}
		}
		refused := func(name, query string, vars map[string]any, want int) {
			t.Helper()
			refusedAfter(0, name, query, vars, want)
		}
		refusedGraph := func(name, query string, want int) { t.Helper(); refusedAfter(1, name, query, nil, want) }
		refused("100 ids from variables", `query($i: [ID!]!) { nodes(ids: $i) `+sel+` }`, map[string]any{"i": ids}, 100*perID)
		refused("100 ids inline", `{ nodes(ids: [`+strings.Join(quoted, ",")+`]) `+sel+` }`, nil, 100*perID)
		var eight strings.Builder
		for k := range 8 {
			fmt.Fprintf(&eight, "a%d: nodes(ids: $i) %s ", k, sel)
		}
		refused("8 aliases of 100 ids", `query($i: [ID!]!) { `+eight.String()+` }`, map[string]any{"i": ids}, 8*100*perID)

		neighborhoods := func(filter func(k int) string) string {
			var nb strings.Builder
			for k := range 100 {
				fmt.Fprintf(&nb, `a%d: neighborhood(id: %s, depth: 3, filter: {%s}) { totalNodes nodes { id } } `, k, quoted[0], filter(k))
			}
			return "{ " + nb.String() + " }"
		}
		// Each other filter builds a view of the whole graph, counted as
		// the whole graph's nodes (view).
		refusedGraph("100 neighborhoods of 100,000 nodes", neighborhoods(func(k int) string { return fmt.Sprintf(`maxNodes: 100000, asOf: "20%02d-01-01"`, k) }), 100*(view+100_000))
		refusedGraph("six whole graphs", `{ `+strings.Repeat(`networkGraph(filter: {maxNodes: 100000}) { nodes { attributes { key } } } `, 6)+`}`, view+6*100_000)
		// 100 neighborhoods of one period share their view.
		var shared struct {
			Extensions struct{ Cost struct{ Nodes int } }
		}
		raw = a.rawPost(neighborhoods(func(int) string { return `asOf: "2024-01-01"` }))
		if err := json.Unmarshal(raw, &shared); err != nil || shared.Extensions.Cost.Nodes != view+100*1_000 {
			t.Errorf("100 neighborhoods of one period: %.300s", raw)
		}
	})
}

// rawPostVars returns a response body as it came.
func (a *api) rawPostVars(query string, vars map[string]any) []byte {
	a.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	res, err := http.Post(a.srv.URL+"/query", "application/json", bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(res.Body)
	return buf.Bytes()
}
