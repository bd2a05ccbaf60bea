package cost

import (
	"fmt"
	"strings"

	"kokeilu/internal/input"

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
// TestFilterWorstCaseTime, KOKEILU_FILTER_PILOTS=20000 (chains of 2, `or`
// of 10): worst 1.9 s on SQLite (region { pilots }); on PostgreSQL 2.3 s
// for chains, but `or` of 10 empty has…With on pilotStats took 3.9 s, over
// the test's 3 s budget: flat, a shape this bound does not touch.
const (
	MaxFilterSize      = 500 // objects and fields of one filter, weighted by the has…With around them
	MaxFilterDepth     = 32  // nesting of input objects in one filter
	MaxFilterSizeTotal = 2 * MaxFilterSize
	MaxFilterEdges     = 10 // has…With and has… subqueries of all filters of one operation, each 1 + the has…With around it
	MaxFilterChain     = 2  // has…With (and has…) subqueries nested in one another, at most
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
// *total) over MaxFilterSizeTotal, or their edge subqueries (counted in
// *edges) over MaxFilterEdges, or whose has… tests nest more than
// MaxFilterChain deep, as BAD_USER_INPUT naming the argument.
func checkFilters(f *ast.Field, vars map[string]any, total, edges *int) *gqlerror.Error {
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
		weight, chain := filterEdges(v, MaxFilterEdges)
		if chain > MaxFilterChain {
			return listError(f, arg.Name, fmt.Sprintf("%s nests has…With filters %d deep (a has… or has…With inside a has…With counts 2, inside two 3; each is a subquery over a whole edge table, and nested ones cost far more than side by side); at most %d are allowed: a has…With may hold has… tests, but not a has…With holding more", arg.Name, chain, MaxFilterChain))
		}
		if f.ObjectDefinition != nil {
			weight *= FilterRuns(f.ObjectDefinition.Name, f.Name)
		}
		if *edges += weight; *edges > MaxFilterEdges {
			return listError(f, arg.Name, fmt.Sprintf("%s brings the edge tests of this operation's filters to a weight over %d (each has…With and has… is a subquery over a whole edge table, weighing 1, 2 under a has…With, twice that in pilotStats, which runs its filter twice); at most %d are allowed in one operation: side by side up to %d", arg.Name, MaxFilterEdges, MaxFilterEdges, MaxFilterEdges))
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
		for _, e := range input.List(v) {
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

// filterEdges weighs the edge subqueries of v, a filter: every has…With
// (a list of filters is one subquery) and every has… edge test, wherever
// they stand (every field of a where input named has… is an edge's), each
// 1 + the has…With around it, and tells how deep they nest (1 for a has…
// at the top, 2 for one inside a has…With). It stops counting past limit.
func filterEdges(v any, limit int) (weight, chain int) {
	n := 0
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		switch v := v.(type) {
		default:
			for _, e := range input.List(v) {
				walk(e, depth)
			}
		case map[string]any:
			for k, e := range v {
				if n > limit {
					return
				}
				inner := depth
				if strings.HasPrefix(k, "has") && e != nil {
					n += 1 + depth
					inner++
					chain = max(chain, inner)
				}
				walk(e, inner)
			}
		}
	}
	walk(v, 0)
	return n, chain
}
