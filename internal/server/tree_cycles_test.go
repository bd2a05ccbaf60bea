package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"kokeilu/internal/testdb"
)

// TestConcurrentReparentingMakesNoCycle: "no cycles" is checked by
// reading the ancestors before the write, in the mutation's transaction.
// Three requests run at once — A under B, B under C, C under A — each see
// no cycle in the data as it was, and on PostgreSQL (READ COMMITTED, no
// lock on the rows read) all three commit: A → B → C → A. The same holds
// for operating models' partOfID. At most two of the three may succeed.
func TestConcurrentReparentingMakesNoCycle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		token, _ := a.register("cycles@example.fi", "Cycles")
		kinds := []struct{ create, reparent, field string }{
			{`mutation($n: String!) { createWorkspace(input: {name: $n}) { id } }`,
				`mutation($w: ID!, $p: ID) { setParentWorkspace(workspaceId: $w, parentId: $p) { id } }`, "createWorkspace"},
			{`mutation($n: String!) { createOperatingModel(input: {name: $n}) { id } }`,
				`mutation($w: ID!, $p: ID!) { updateOperatingModel(id: $w, input: {partOfID: $p}) { id } }`, "createOperatingModel"},
		}
		for _, k := range kinds {
			for trial := range 10 {
				ids := make([]string, 3)
				for i := range ids {
					var out map[string]struct{ ID string }
					a.query(&out, k.create, map[string]any{"n": fmt.Sprintf("cycle %d %d", trial, i)}, bearer(token)...)
					ids[i] = out[k.field].ID
				}
				var wg sync.WaitGroup
				ok := make([]bool, 3)
				for i := range 3 {
					wg.Go(func() {
						body, _ := json.Marshal(map[string]any{"query": k.reparent,
							"variables": map[string]any{"w": ids[i], "p": ids[(i+1)%3]}})
						req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/query", bytes.NewReader(body))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("Authorization", "Bearer "+token)
						res, err := http.DefaultClient.Do(req)
						if err != nil {
							return
						}
						defer res.Body.Close()
						var r response
						ok[i] = json.NewDecoder(res.Body).Decode(&r) == nil && len(r.Errors) == 0
					})
				}
				wg.Wait()
				if ok[0] && ok[1] && ok[2] {
					t.Fatalf("%s, trial %d: all three reparentings succeeded, leaving the cycle %v", k.field, trial, ids)
				}
			}
		}
	})
}

// TestOneWriteMakesNoCycleThroughBothEnds: a write that sets both a node's
// parent and its children (createNetwork with parentID and childIDs,
// createOperatingModel with partOfID and partIDs, updateOperatingModel
// with partOfID and addPartIDs) must not close a loop through the node:
// each end alone looked fine to the check made before the write.
func TestOneWriteMakesNoCycleThroughBothEnds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		token, _ := a.register("loops@example.fi", "Loops")
		id := func(query string) string {
			var out map[string]struct{ ID string }
			a.query(&out, query, nil, bearer(token)...)
			for _, v := range out {
				return v.ID
			}
			return ""
		}
		network := id(`mutation { createNetwork(input: {name: "Top"}) { id } }`)
		model := id(`mutation { createOperatingModel(input: {name: "Top"}) { id } }`)
		other := id(`mutation { createOperatingModel(input: {name: "Other"}) { id } }`)
		for name, c := range map[string]struct {
			query string
			vars  map[string]any
		}{
			"createNetwork": {`mutation($p: ID!) { createNetwork(input: {name: "Loop", parentID: $p, childIDs: [$p]}) { id } }`, map[string]any{"p": network}},
			"createOperatingModel": {`mutation($p: ID!) { createOperatingModel(input: {name: "Loop", partOfID: $p, partIDs: [$p]}) { id } }`,
				map[string]any{"p": model}},
			"updateOperatingModel": {`mutation($id: ID!, $p: ID!) { updateOperatingModel(id: $id, input: {partOfID: $p, addPartIDs: [$p]}) { id } }`,
				map[string]any{"id": other, "p": model}},
		} {
			res := a.post(c.query, c.vars, bearer(token)...)
			if len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" {
				t.Errorf("%s: want BAD_USER_INPUT, got %+v", name, res.Errors)
			}
		}
		var parents struct {
			Node struct{ PartOf *struct{ ID string } }
		}
		a.query(&parents, `query($id: ID!) { node(id: $id) { ... on OperatingModel { partOf { id } } } }`, map[string]any{"id": model})
		if parents.Node.PartOf != nil {
			t.Errorf("a refused write left model %s part of %s", model, parents.Node.PartOf.ID)
		}
	})
}
