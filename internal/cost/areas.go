package cost

import (
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Area pilot lists: Region.pilots and WellbeingCounty.pilots are resolved
// once per area (entgql does not load them together), each a statement
// over the pilots of the area (pilot → municipalities → area), and their
// filter runs again in each. Asking only totalCount, a list of areas is
// counted in one statement (graph.onlyTotalCount) and costs as one. On the
// 20,000-pilot data set (SQLite, machine shared), one run took 0.07–0.2 s
// without a filter, 0.1 s with one has…With, over 0.43 s with a chain of 2:
// the list of regions with pilots(first: 5) took 1.5–4.1 s, four lists of
// areas 6–10.2 s (TIMEOUT), the counties with a chain of 2 in their filter
// ran to the 10 s timeout. So an operation's area lists count their runs,
// each 1 + twice its filter's edge weight, at most MaxAreaRuns together.
const MaxAreaRuns = 60

// areaLists are the fields resolved once per area, with the most areas a
// list of them holds (the reference data: 19 regions, 21 wellbeing services
// counties, Helsinki and Åland), when that list is the parent.
var areaLists = map[string]struct {
	parent string
	areas  int
}{
	"Region.pilots":          {"Query.regions", 19},
	"WellbeingCounty.pilots": {"Query.wellbeingCounties", 23},
}

// areaRuns adds the runs of f, an area list under multiplier parents
// (listed by the connection parent), to mr.areaRuns and refuses the
// operation over MaxAreaRuns.
func (mr *measurer) areaRuns(f *ast.Field, multiplier int, parent string) {
	if f.ObjectDefinition == nil || mr.refused != nil {
		return
	}
	a, ok := areaLists[f.ObjectDefinition.Name+"."+f.Name]
	if !ok || onlyTotalCount(f.SelectionSet) {
		return
	}
	runs := multiplier
	if parent == a.parent {
		runs = min(runs, a.areas)
	}
	weight := 0
	for _, arg := range f.Arguments {
		if !isFilter(arg.Value.Definition) {
			continue
		}
		if v, err := arg.Value.Value(mr.vars); err == nil {
			weight += filterEdges(mr.schema, arg.Value.Definition, v, MaxFilterEdges).weight
		}
	}
	mr.areas = saturatingAdd(mr.areas, saturatingMul(runs, 1+2*weight))
	if mr.areas > MaxAreaRuns {
		mr.refused = areaError(f, mr.areas)
	}
}

func areaError(f *ast.Field, runs int) *gqlerror.Error {
	err := exceeded("areaPilotRuns", runs, MaxAreaRuns)
	err.Message = "the query is too large: " + f.Name + " of regions and counties is resolved once per area, each run weighing 1 + twice its filter's edge tests; this operation's come to " + strconv.Itoa(runs) + ", the limit is " + strconv.Itoa(MaxAreaRuns) + " (ask only totalCount to count every area in one statement, or use pilots(where: {regionCode: …}) or pilotStats)"
	return err
}

// onlyTotalCount tells whether a selection set asks nothing but
// totalCount (and __typename).
func onlyTotalCount(set ast.SelectionSet) bool {
	for _, sel := range set {
		f, ok := sel.(*ast.Field)
		if !ok || f.Name != "totalCount" && f.Name != "__typename" {
			return false
		}
	}
	return true
}
