package server_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"kokeilu/graph"
	"kokeilu/internal/cost"
	"kokeilu/internal/netgraph"
	"kokeilu/internal/server"

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
}

// weightArgs are the size arguments of server.CostWeights' fields.
var weightArgs = map[string][]string{"Query.pilotStats": {"groupBy"}}

// TestEveryListHasASize walks the schema from Query: every field that
// returns a list or a connection must have a cost rule (internal/cost
// sizes.go), and the estimate must grow with the size asked for — first and
// last of a connection, the ids of nodes, a graph's maxNodes and depth —
// and count a bounded list's items. A new list field without a rule fails.
func TestEveryListHasASize(t *testing.T) {
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
