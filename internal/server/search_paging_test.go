package server_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"kokeilu/internal/auth"
	"kokeilu/internal/testdb"
)

// TestSearchPagesEveryWay: pages of every size, forwards (first, after)
// and backwards (last, before), put together give the one list of all
// hits, titles first, across the border between title and body hits and
// from a title-only search, on both databases.
func TestSearchPagesEveryWay(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		ctx := auth.System(context.Background())
		for i := range 4 {
			a.db.Client.Pilot.Create().SetTitle(fmt.Sprintf("Kuntakokeilu %d", i)).ExecX(ctx)
			a.db.Client.Pilot.Create().SetTitle(fmt.Sprintf("Perustulo %d", i)).SetDescription("Kuntakokeilu mukana.").ExecX(ctx)
		}
		a.db.Client.Pilot.Create().SetTitle("Kuntakokeilu 4").ExecX(ctx)
		page := func(q string, vars map[string]any) searchResult {
			vars["types"] = []string{"PILOT"}
			return a.search(q, vars)
		}
		for q, titles := range map[string]int{"kuntakokeilu": 5, `"kuntakokeilu" kuntakokeil`: 5} {
			all := page(q, map[string]any{"first": 100})
			want := labels(all)
			if all.TotalCount != 9 || len(want) != 9 {
				t.Fatalf("%s: %d hits %q", q, all.TotalCount, want)
			}
			for i, l := range want {
				if inTitle := l[:4] == "Kunt"; inTitle != (i < titles) {
					t.Fatalf("%s: titles not first: %q", q, want)
				}
			}
			for size := 1; size <= 4; size++ {
				var forward []string
				vars := map[string]any{"first": size}
				for {
					p := page(q, vars)
					forward = append(forward, labels(p)...)
					if p.TotalCount != 9 || !p.PageInfo.HasNextPage {
						break
					}
					vars = map[string]any{"first": size, "after": *p.PageInfo.EndCursor}
				}
				var backward []string
				var start *string
				for {
					vars := map[string]any{"last": size}
					if start != nil {
						vars["before"] = *start
					}
					var got struct {
						Search struct {
							TotalCount int
							PageInfo   struct {
								HasPreviousPage bool
								StartCursor     *string
							}
							Nodes []searchHit
						}
					}
					vars["q"] = q
					a.query(&got, `query($q: String!, $types: [SearchType!], $last: Int, $before: Cursor) {
						search(query: $q, types: $types, last: $last, before: $before) {
						totalCount pageInfo { hasPreviousPage startCursor } nodes { ... on Pilot { title } } } }`, vars)
					var l []string
					for _, n := range got.Search.Nodes {
						l = append(l, n.label())
					}
					backward = append(l, backward...)
					if got.Search.TotalCount != 9 || !got.Search.PageInfo.HasPreviousPage {
						break
					}
					start = got.Search.PageInfo.StartCursor
				}
				if !slices.Equal(forward, want) || !slices.Equal(backward, want) {
					t.Errorf("%s, pages of %d: forward %q, backward %q, want %q", q, size, forward, backward, want)
				}
			}
		}
		// Title hits only: the count needs no body statement.
		if got := page("kuntakokeilu 4", map[string]any{"last": 1}); got.TotalCount != 1 || !slices.Equal(labels(got), []string{"Kuntakokeilu 4"}) {
			t.Errorf("kuntakokeilu 4: %d %q", got.TotalCount, labels(got))
		}
	})
}
