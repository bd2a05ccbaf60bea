package server_test

import (
	"context"
	"encoding/json"
	"testing"

	"kokeilu/internal/auth"
	"kokeilu/internal/dataset"
	"kokeilu/internal/testdb"
)

// TestEmptyNestedPageAnswersAsRoot: an empty page (first: 0 or last: 0)
// of a connection under a list tells whether the list has rows as the same
// page asked at the root does, with and without its totalCount (a nested
// page with its count loaded answered hasNextPage false, found by review).
func TestEmptyNestedPageAnswersAsRoot(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		ctx := auth.System(context.Background())
		if err := dataset.Generate(ctx, a.db.Client, dataset.Size{Pilots: 12, Networks: 3, Organizations: 3, Themes: 3}, 5); err != nil {
			t.Fatal(err)
		}
		var got struct {
			Pilots struct {
				Nodes []struct {
					ID           string
					F, L, FP, LP json.RawMessage
				}
			}
		}
		a.query(&got, `{ pilots(first: 12) { nodes { id
			f: municipalities(first: 0) { totalCount pageInfo { hasNextPage hasPreviousPage } }
			l: municipalities(last: 0) { totalCount pageInfo { hasNextPage hasPreviousPage } }
			fp: municipalities(first: 0) { pageInfo { hasNextPage hasPreviousPage } }
			lp: municipalities(last: 0) { pageInfo { hasNextPage hasPreviousPage } } } } }`, nil)
		withRows := 0
		for _, p := range got.Pilots.Nodes {
			var root struct{ F, L, FP, LP json.RawMessage }
			a.query(&root, `query($id: ID!) {
				f: municipalities(first: 0, where: {hasPilotsWith: {id: $id}}) { totalCount pageInfo { hasNextPage hasPreviousPage } }
				l: municipalities(last: 0, where: {hasPilotsWith: {id: $id}}) { totalCount pageInfo { hasNextPage hasPreviousPage } }
				fp: municipalities(first: 0, where: {hasPilotsWith: {id: $id}}) { pageInfo { hasNextPage hasPreviousPage } }
				lp: municipalities(last: 0, where: {hasPilotsWith: {id: $id}}) { pageInfo { hasNextPage hasPreviousPage } } }`,
				map[string]any{"id": p.ID})
			for _, c := range []struct {
				name        string
				nested, top json.RawMessage
			}{{"first: 0", p.F, root.F}, {"last: 0", p.L, root.L}, {"first: 0 without totalCount", p.FP, root.FP}, {"last: 0 without totalCount", p.LP, root.LP}} {
				if string(c.nested) != string(c.top) {
					t.Errorf("pilot %s, %s: under the list %s, at the root %s", p.ID, c.name, c.nested, c.top)
				}
			}
			if string(root.FP) == `{"pageInfo":{"hasNextPage":true,"hasPreviousPage":false}}` {
				withRows++
			}
		}
		if withRows == 0 {
			t.Fatalf("no pilot with participants among %d: the check cannot fail", len(got.Pilots.Nodes))
		}
	})
}
