package server_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"kokeilu/internal/scalar"

	"pgregory.net/rapid"
)

// The differential test runs the same generated cases (the generators of
// model_connections_test.go) on SQLite and PostgreSQL and compares the two
// answers with each other directly, page by page of a walk by cursors in
// either direction (each backend following its own cursors): the rows (as
// indices into the data set: the backends' IDs differ), their order,
// totalCount and pageInfo.

// diffPage is one page with IDs mapped to data set indices.
type diffPage struct {
	Rows                         []int
	Total                        int
	Next, Prev, HasStart, HasEnd bool
}

func toDiffPage(c conn, index map[string]int) diffPage {
	p := diffPage{Rows: []int{}, Total: c.TotalCount, Next: c.PageInfo.HasNextPage, Prev: c.PageInfo.HasPreviousPage,
		HasStart: c.PageInfo.StartCursor != nil, HasEnd: c.PageInfo.EndCursor != nil}
	for _, id := range c.ids() {
		i, ok := index[id]
		if !ok {
			i = -1 // a row not in the data set: differs from any index
		}
		p.Rows = append(p.Rows, i)
	}
	return p
}

// diffWalk pages by size through the connection that pick finds in each
// backend's answer, all backends in lockstep, and requires every step's
// whole answer (as pick maps it) to be the same on all.
func diffWalk(t *rapid.T, bs []*backend, size int, backwards bool, query string,
	pick func(bi int, data json.RawMessage) (answer any, followed conn),
) {
	cursors := make([]*string, len(bs))
	query = maybeBare(t, query)
	for step := 0; step < 20; step++ {
		var first, last *int
		if backwards {
			last = &size
		} else {
			first = &size
		}
		var answers []any
		var followed []conn
		for bi, b := range bs {
			vars := map[string]any{"first": first, "last": last, "after": nil, "before": nil}
			if backwards {
				vars["before"] = cursors[bi]
			} else {
				vars["after"] = cursors[bi]
			}
			res := b.a.post(query, vars)
			if len(res.Errors) > 0 {
				t.Fatalf("%s: %+v\n%s", b.name, res.Errors, query)
			}
			a, c := pick(bi, res.Data)
			answers = append(answers, a)
			followed = append(followed, c)
		}
		for bi := 1; bi < len(bs); bi++ {
			if !reflect.DeepEqual(answers[0], answers[bi]) {
				t.Fatalf("step %d (backwards %v): %s and %s differ:\n%s: %+v\n%s: %+v\n%s",
					step, backwards, bs[0].name, bs[bi].name, bs[0].name, answers[0], bs[bi].name, answers[bi], query)
			}
		}
		more := followed[0].PageInfo.HasNextPage
		if backwards {
			more = followed[0].PageInfo.HasPreviousPage
		}
		if !more {
			return
		}
		for bi, c := range followed {
			cursors[bi] = c.PageInfo.EndCursor
			if backwards {
				cursors[bi] = c.PageInfo.StartCursor
			}
		}
	}
	t.Fatalf("the walk did not end in 20 pages:\n%s", query)
}

const pagingVars = `query($first: Int, $last: Int, $after: Cursor, $before: Cursor)`

// TestDifferentialConnections compares SQLite and PostgreSQL on generated
// root and nested connections of pilots and municipalities.
func TestDifferentialConnections(t *testing.T) {
	bs := openBackends(t)
	if len(bs) < 2 {
		t.Skip("KOKEILU_TEST_POSTGRES is not set: one backend, nothing to compare")
	}
	rapidChecks(t)
	muniIDs, codes := municipalityIDs(t, bs)
	for i := 1; i < len(bs); i++ {
		if !slices.Equal(codes, func() []string { _, c := municipalityIDs(t, bs[i:i+1]); return c }()) {
			t.Fatal("the backends' first municipalities differ")
		}
	}
	rapid.Check(t, func(rt *rapid.T) {
		ds := genDataset(rt, muniIDs[0], codes)
		loadAll(rt, bs, muniIDs, ds)
		// index maps each backend's IDs to data set indices: pilots p<i>,
		// municipalities m<j>.
		index := make([]map[string]int, len(bs))
		for bi, b := range bs {
			index[bi] = map[string]int{}
			for i, id := range b.ids {
				index[bi][scalar.EncodeID(id)] = i
			}
			for j := range ds.munis {
				index[bi][scalar.EncodeID(muniIDs[bi][j])] = 1000 + j
			}
		}
		size := rapid.IntRange(1, 4).Draw(rt, "size")
		backwards := rapid.Bool().Draw(rt, "backwards")
		q, _ := json.Marshal(codes[:len(ds.munis)])
		kind := rapid.SampledFrom([]string{"pilots", "municipalities", "pilots → municipalities", "municipalities → pilots"}).Draw(rt, "kind")
		count("differential " + kind)
		pilotArgs := func() string {
			return fmt.Sprintf("where: %s, orderBy: %s", genWhere(rt, 0, ds).gql, orderGQL(genOrder(rt, pilotOrders)))
		}
		muniArgs := func() string {
			return fmt.Sprintf("where: {codeIn: %s}, orderBy: %s", q, orderGQL(genOrder(rt, municipalityOrders)))
		}
		switch kind {
		case "pilots", "municipalities":
			args := pilotArgs
			if kind == "municipalities" {
				args = muniArgs
			}
			query := fmt.Sprintf(`%s { c: %s(first: $first, last: $last, after: $after, before: $before, %s) { %s } }`,
				pagingVars, kind, args(), connSelection)
			diffWalk(rt, bs, size, backwards, query, func(bi int, data json.RawMessage) (any, conn) {
				var d struct{ C conn }
				_ = json.Unmarshal(data, &d)
				return toDiffPage(d.C, index[bi]), d.C
			})
		default:
			outer, inner, args := "pilots(first: 100)", "municipalities", muniArgs
			if kind == "municipalities → pilots" {
				outer = fmt.Sprintf("municipalities(first: 100, where: {codeIn: %s})", q)
				inner = rapid.SampledFrom([]string{"pilots", "ledPilots"}).Draw(rt, "edge")
				args = pilotArgs
			}
			query := fmt.Sprintf(`%s { parents: %s { nodes { id c: %s(first: $first, last: $last, after: $after, before: $before, %s) { %s } } } }`,
				pagingVars, outer, inner, args(), connSelection)
			// The walk follows one parent's cursors; every parent's page is
			// compared at each step.
			var parent int
			drawn := false
			diffWalk(rt, bs, size, backwards, query, func(bi int, data json.RawMessage) (any, conn) {
				var d struct {
					Parents struct {
						Nodes []struct {
							ID string
							C  conn
						}
					}
				}
				_ = json.Unmarshal(data, &d)
				if !drawn && len(d.Parents.Nodes) > 0 {
					parent = index[bi][d.Parents.Nodes[rapid.IntRange(0, len(d.Parents.Nodes)-1).Draw(rt, "parent")].ID]
					drawn = true
				}
				pages := map[int]diffPage{}
				var followed conn
				for _, n := range d.Parents.Nodes {
					i, ok := index[bi][n.ID]
					if !ok {
						continue // a parent outside the data set (a municipality not loaded)
					}
					pages[i] = toDiffPage(n.C, index[bi])
					if i == parent {
						followed = n.C
					}
				}
				return pages, followed
			})
		}
	})
	for name, n := range modelCases {
		t.Logf("%s: %d generated cases", name, n.Load())
	}
}
