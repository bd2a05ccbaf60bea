package cost

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"kokeilu/internal/input"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Filter bounds, checked on every filter argument of every field (the
// `where` of root and nested connections and of pilotStats; variables
// resolved) before anything runs. A filter is an argument of an input type
// that holds itself: the where inputs, through and, or, not and has…With.
//
// A filter becomes one SQL expression. SQLite refuses an expression tree
// deeper than 1,000 (SQLITE_MAX_EXPR_DEPTH), and `a OR b OR …` is as deep
// as it is long: 1,000 `or` alternatives or 1,100 nested `not` were
// INTERNAL. A has…With filter is a subquery, and SQLite counts the depth of
// a subquery's expression again for every query around it: under one
// has…With at most ~500 alternatives pass, under four ~195, under sixteen
// ~47 (measured). So a filter's size counts each input object and each
// field set in it once, and once more for every has…With around it; its
// depth is how deep its input objects nest. Within 500 and 32 the
// expression stays under half of SQLite's limit, and far under
// PostgreSQL's (max_stack_depth); TestFilterBoundsEdge runs the edges on
// both. Real filters (the app's screens, the exports) count a few dozen.
//
// The bounds are per filter, but aliases repeat a field: 100 aliases of the
// largest has…With chain passed every bound and ran past the request
// timeout (10 s on 20,000 pilots), holding a core each. So the filters of
// one operation together count at most MaxFilterSizeTotal, two largest
// filters' worth.
//
// Size bounds the SQL's shape, not its work. Every has…With (and has…
// without With) is a subquery over an edge's table: entgql writes
// `id IN (SELECT …)`, which both run once, uncorrelated, as a scan
// (SQLite's plan: LIST SUBQUERY; PostgreSQL's: hashed SubPlan), whatever it
// is nested in. A filter's work grows with its number of edge subqueries
// times the size of the tables: within size 500 a chain of 21 has…With
// took 2.6 s on 20,000 pilots (SQLite) and `or` of 124 has…With 7.4 s,
// against 48 ms for one.
// A scan per subquery is already the least a semi-join can do, so the
// subqueries are bounded, all filters of one operation together:
// MaxFilterEdges, each weighing one more for every has…With around it.
//
// A chain costs far more than its length: on 20,000 pilots (SQLite,
// machine shared, 5 draws each), sibling has…With in one filter object
// took at most 0.7 s for 8, `or` lists 3.6 s for 4 and for 10, while
// chains of 3, 4 and 5 each ran to the 10 s timeout on region { pilots },
// on SQLite and PostgreSQL alike. Every chain of 2 (all 28 edge pairs on
// each of the 7 fields with a filter, TestFilterWorstCaseTime's fields)
// took at most 1.8 s on SQLite (region { pilots { totalCount } },
// hasMunicipalitiesWith { hasPilotsWith }) and 0.6 s on PostgreSQL. So a
// has…With nests at most MaxFilterChain deep (a has… test inside two
// has…With is refused), whatever the weight. Within both bounds an
// operation holds at most three chains of 2 (weight 3 each): in one `or`
// at most 1.4 s, one has…With around 4 at most 1.3 s, but 3 aliases of
// the worst chain of 2 run one query each: 4.6 s on SQLite (pilotStats),
// 1.3 s on PostgreSQL. Up to 10 siblings still pass: a filter panel of 8
// has… conditions, or 8 aliases with one has…With each.
//
// Every where-input field that tests through edges counts, not only the
// has… ones (FilterEdge reads them from the schema): the area codes were
// weighed 0, so {hasMunicipalitiesWith: {hasPilotsWith: {regionCode}}}
// passed as a chain of 2 (3.9 s in the county list at 5,000 pilots) and 20
// aliases of a list of workspaces' notices by region ran to the timeout.
// An area code counts its hops in a chain and weighs as measured (a
// pilot's regionCode as its has…With spelling, 3). With them a dashboard
// of pilotStats and pilots under one filter of a theme and a region weighs
// 12 (0.17 s at 20,000 pilots), so MaxFilterEdges is 12: at 20,000 pilots
// on SQLite the heaviest shapes it admits took at most 3.3 s (four aliases
// of regions(first: 2) { pilots } with a chain of 2), two pilotStats with a
// chain of 2 0.8 s, an or of 12 has…With 1.0 s; TestFilterWorstCaseTime
// (KOKEILU_FILTER_PILOTS=20000, or lists of 12, 6 on pilotStats): worst
// 0.45 s on SQLite (region { pilots }), 2.0 s on PostgreSQL (region {
// pilots { totalCount } }), under its 3 s budget.
// TestFilterWorstCaseTime, KOKEILU_FILTER_PILOTS=20000 (chains of 2, `or`
// of 10): worst 1.9 s on SQLite (region { pilots }); on PostgreSQL 2.3 s
// for chains, but `or` of 10 empty has…With on pilotStats took 3.9 s, over
// the test's 3 s budget: flat, a shape this bound does not touch.
const (
	MaxFilterSize      = 500 // objects and fields of one filter, weighted by the has…With around them
	MaxFilterDepth     = 32  // nesting of input objects in one filter
	MaxFilterSizeTotal = 2 * MaxFilterSize
	MaxFilterEdges     = 12 // edge tests (FilterEdge) of all filters of one operation, each its weight + the has…With around it
	MaxFilterChain     = 2  // edges walked through in one path of has…With and edge tests, at most
)

// filterRuns are the fields that run their filter more than once, and how
// often: pilotStats counts the filtered pilots, then groups them (two
// statements). Its edge tests weigh that many times: at 20,000 pilots an
// `or` of 10 has…With took 3.9 s there on PostgreSQL and 3 aliases of a
// chain of 2 4.6 s on SQLite, where a connection's took at most 2.3 s.
var filterRuns = map[string]int{"Query.pilotStats": 2}

// FilterRuns is how many times the field object.field runs its filter (1
// for all but filterRuns').
func FilterRuns(object, field string) int { return max(filterRuns[object+"."+field], 1) }

// checkFilters refuses a field whose filter argument is over MaxFilterSize
// or MaxFilterDepth, or that brings the operation's filters (counted in
// *total) over MaxFilterSizeTotal, or their edge tests (counted in *edges)
// over MaxFilterEdges, or whose edge tests chain more than MaxFilterChain
// deep, as BAD_USER_INPUT naming the argument. schema (nil: edge tests are
// not known) holds the where inputs; nested tells whether the field stands
// below a list (it runs once per parent or page).
func checkFilters(schema *ast.Schema, f *ast.Field, vars map[string]any, nested bool, total, edges *int) *gqlerror.Error {
	for _, arg := range f.Arguments {
		if !isFilter(arg.Value.Definition) {
			continue
		}
		v, err := arg.Value.Value(vars)
		if err != nil {
			continue // validation has refused it already
		}
		var size int
		depth := filterShape(v, 0, 0, &size)
		switch {
		case depth > MaxFilterDepth:
			return listError(f, arg.Name, fmt.Sprintf("%s nests filters more than %d levels deep (and, or, not and has…With nest one level each); at most %d are allowed", arg.Name, MaxFilterDepth, MaxFilterDepth))
		case size > MaxFilterSize:
			return listError(f, arg.Name, fmt.Sprintf("%s counts %d conditions (filters and the fields set in them, again for every has…With around them); at most %d are allowed", arg.Name, size, MaxFilterSize))
		}
		w := filterEdges(schema, arg.Value.Definition, v, MaxFilterEdges)
		switch {
		case w.chain > MaxFilterChain:
			return listError(f, arg.Name, fmt.Sprintf("%s walks %d edges deep at %s (each has…With walks one, an area code such as regionCode as many as its path: a pilot's region is 2, pilot → municipalities → region; each is a subquery over a whole edge table, and nested ones cost far more than side by side); at most %d are allowed: a has…With may hold has… tests, but not a has…With or an area code", arg.Name, w.chain, w.where, MaxFilterChain))
		case w.long != "" && nested:
			return listError(f, arg.Name, fmt.Sprintf("%s.%s walks more than %d edges (an area code of notices: notice → workspace → pilot or network → municipalities → region); it is allowed only in the filter of a root field, not of a connection inside a list, where it runs once per parent", arg.Name, w.long, MaxFilterChain))
		}
		weight := w.weight
		if f.ObjectDefinition != nil {
			weight *= FilterRuns(f.ObjectDefinition.Name, f.Name)
		}
		if *edges += weight; *edges > MaxFilterEdges {
			return listError(f, arg.Name, fmt.Sprintf("%s brings the edge tests of this operation's filters to a weight over %d (each has…With and has… is a subquery over a whole edge table, weighing 1, 2 under a has…With; an area code weighs as its path, regionCode on pilots 3; twice that in pilotStats, which runs its filter twice); at most %d are allowed in one operation", arg.Name, MaxFilterEdges, MaxFilterEdges))
		}
		if *total += size; *total > MaxFilterSizeTotal {
			return listError(f, arg.Name, fmt.Sprintf("the filters of this operation count %d conditions together; at most %d are allowed in one operation", *total, MaxFilterSizeTotal))
		}
	}
	return nil
}

// isFilter tells whether def is an input type that holds itself.
func isFilter(def *ast.Definition) bool {
	if def == nil || def.Kind != ast.InputObject {
		return false
	}
	for _, f := range def.Fields {
		if f.Type.Name() == def.Name {
			return true
		}
	}
	return false
}

// filterShape adds the size of v (filterSize) to size, v being inside
// edges has…With filters, and returns how deep its input objects nest below
// depth; it goes no deeper than one level past MaxFilterDepth. The whole
// input is in memory already (its request body is bounded), so the walk is
// as cheap as reading it.
func filterShape(v any, depth, edges int, size *int) int {
	deepest := depth
	switch v := v.(type) {
	default:
		list, _ := input.Slice(v) // a lone map is the case below
		for _, e := range list {
			deepest = max(deepest, filterShape(e, depth, edges, size))
		}
	case map[string]any:
		depth++
		deepest = depth
		*size += (1 + len(v)) * (1 + edges)
		if depth > MaxFilterDepth {
			break
		}
		for k, e := range v {
			inner := edges
			if k != "and" && k != "or" && k != "not" {
				inner++ // an input object elsewhere is a has…With filter: a subquery
			}
			deepest = max(deepest, filterShape(e, depth, inner, size))
		}
	}
	return deepest
}

// Edge is how a field of a filter tests through edges (SQL subqueries):
// Hops along its longest path (0: it tests the row's own columns) and its
// Weight at the top of a filter.
type Edge struct{ Hops, Weight int }

// combinators are the where inputs' boolean fields (entgql's): they hold
// filters of the same type and test nothing themselves.
var combinators = map[string]bool{"and": true, "or": true, "not": true}

// FilterEdge is how field f of the where input def tests through edges,
// read from the schema, the one place that says it:
//   - a field whose type is another input object is a has…With: a
//     subquery over the edge (1 hop, weight 1), holding a filter of the
//     rows at the edge's end;
//   - a Boolean field beside such a field named as it without "With" is
//     that edge's has… test (1 hop, weight 1);
//   - a field with @edgeTest(hops, weight) says it (the area codes:
//     regionCode on pilots is pilot → municipalities → region, 2 hops;
//     its weight is measured, TestFilterEdgesMatchSQL in graph checks the
//     hops against the SQL of every where-input field);
//   - and, or and not test nothing of their own.
func FilterEdge(def *ast.Definition, f *ast.FieldDefinition) Edge {
	if def == nil || f == nil || combinators[f.Name] {
		return Edge{}
	}
	if d := f.Directives.ForName("edgeTest"); d != nil {
		args := d.ArgumentMap(nil)
		hops, _ := graphql.UnmarshalInt(args["hops"])
		weight, _ := graphql.UnmarshalInt(args["weight"])
		return Edge{Hops: hops, Weight: weight}
	}
	if isWhereWith(def, f) {
		return Edge{Hops: 1, Weight: 1}
	}
	if f.Type.Name() == "Boolean" && f.Type.Elem == nil {
		if w := def.Fields.ForName(f.Name + "With"); w != nil && isWhereWith(def, w) {
			return Edge{Hops: 1, Weight: 1}
		}
	}
	return Edge{}
}

// isWhereWith tells whether f (of def) holds filters of an edge's rows: its
// type is a filter (an input that holds itself), and f is no combinator.
func isWhereWith(def *ast.Definition, f *ast.FieldDefinition) bool {
	return !combinators[f.Name] && strings.HasSuffix(f.Type.Name(), "WhereInput")
}

// edgeWeight is filterEdges' answer.
type edgeWeight struct {
	weight, chain int
	where         string // the field where the chain is longest
	long          string // a field whose own path is over MaxFilterChain
}

// filterEdges weighs the edge tests of v, a filter of type def (FilterEdge):
// each its Weight + the has…With around it (a list of filters under one
// has…With is one subquery), and tells how deep they chain (the has…With
// around a test and its own hops). It stops counting past limit.
func filterEdges(schema *ast.Schema, def *ast.Definition, v any, limit int) edgeWeight {
	var w edgeWeight
	var walk func(def *ast.Definition, v any, depth int)
	walk = func(def *ast.Definition, v any, depth int) {
		switch v := v.(type) {
		default:
			list, _ := input.Slice(v)
			for _, e := range list {
				walk(def, e, depth)
			}
		case map[string]any:
			if def == nil {
				return
			}
			// In name order, so that the field an error names is the
			// same every time (a map's order is random).
			for _, k := range slices.Sorted(maps.Keys(v)) {
				e := v[k]
				if w.weight > limit || e == nil {
					continue
				}
				f := def.Fields.ForName(k)
				if f == nil {
					continue // validation has refused it already
				}
				edge := FilterEdge(def, f)
				var inner *ast.Definition
				if schema != nil {
					inner = schema.Types[f.Type.Name()]
				}
				if edge.Hops == 0 {
					walk(inner, e, depth) // and, or, not
					continue
				}
				w.weight += edge.Weight + depth
				if edge.Hops > MaxFilterChain && depth == 0 {
					// Its path is longer than a chain may be, but fixed
					// and measured (its weight): it stands at the top of
					// a root field's filter only.
					w.long = k
				} else if c := depth + edge.Hops; c > w.chain {
					w.chain, w.where = c, k
				}
				if inner != nil && inner.Kind == ast.InputObject {
					walk(inner, e, depth+1) // a has…With's filter
				}
			}
		}
	}
	walk(def, v, 0)
	return w
}
