package server_test

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"kokeilu/graph"
	"kokeilu/internal/auth"
	"kokeilu/internal/cost"
	"kokeilu/internal/dataset"
	"kokeilu/internal/testdb"
)

// TestFilterWorstCaseTime (found by a hostile review): a 21-level chain of
// has…With was within the filter bounds and took 5.7–7 s on 20,000 pilots;
// every has…With is a subquery scanning a whole edge table, so a filter's
// work grows with their number and more with their nesting
// (cost.MaxFilterEdges weighs each by its depth). Property: the worst
// filters the bounds accept — chains of cost.MaxFilterChain edges and `or`
// lists of cost.MaxFilterEdges drawn through the schema, with empty filters at
// the end so that nothing narrows them — answer within budget on a
// generated data set, on every field with a filter. The worst is logged
// as a ratio to the same field without a filter, measured in the same run.
// KOKEILU_FILTER_PILOTS sets the data set's size (20000 for the figures in
// the README).
func TestFilterWorstCaseTime(t *testing.T) {
	pilots := 1000
	if n, err := strconv.Atoi(os.Getenv("KOKEILU_FILTER_PILOTS")); err == nil {
		pilots = n
	}
	const budget = 3 * time.Second // per request; the request timeout is 10 s
	const draws = 12               // filters per field: two chains, then an or, in turn
	s := graph.NewSchema(nil, nil, nil, nil).Schema()
	g := whereGen{s}
	rnd := rand.New(rand.NewPCG(1, 2))
	// chain is n has…With, each drawn among the edges of the type before.
	var chain func(typ string, n int) map[string]any
	chain = func(typ string, n int) map[string]any {
		if n == 0 {
			return map[string]any{}
		}
		var e []string
		for _, f := range g.edges(typ) {
			if f.Name != "and" && f.Name != "or" && f.Name != "not" {
				e = append(e, f.Name)
			}
		}
		f := s.Types[typ].Fields.ForName(e[rnd.IntN(len(e))])
		return map[string]any{f.Name: chain(f.Type.Name(), n-1)}
	}
	// or is n has…With side by side, each with an empty filter.
	or := func(typ string, n int) map[string]any {
		list := make([]any, n)
		for i := range list {
			list[i] = chain(typ, 1)
		}
		return map[string]any{"or": list}
	}
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		ctx := auth.System(context.Background())
		size := dataset.Size{Pilots: pilots, Networks: max(pilots/100, 5), Organizations: max(pilots/40, 5), Themes: 30}
		if err := dataset.Generate(ctx, a.db.Client, size, 3); err != nil {
			t.Fatal(err)
		}
		timed := func(f int, w map[string]any) time.Duration {
			start := time.Now()
			res := sendFilter(a, s, f, w, false)
			took := time.Since(start)
			if len(res.Errors) > 0 {
				t.Fatalf("%s: %v: %.300v", filterFields[f].name, w, res.Errors)
			}
			return took
		}
		for f, c := range filterFields {
			base := timed(f, map[string]any{})
			var worst time.Duration
			for i := range draws {
				w := chain(c.typ, cost.MaxFilterChain)
				if i%3 == 2 { // as wide as the field's weight allows
					w = or(c.typ, cost.MaxFilterEdges/cost.FilterRuns("Query", c.name))
				}
				took := timed(f, w)
				worst = max(worst, took)
				if took > budget {
					t.Errorf("%s, %d pilots: %v took %v (budget %v; no filter %v)", c.name, pilots, w, took, budget, base)
				}
			}
			t.Logf("%s, %d pilots: worst of %d filters (chains of %d, or of %d) %v, no filter %v (ratio %.1f)", c.name, pilots, draws, cost.MaxFilterChain, cost.MaxFilterEdges/cost.FilterRuns("Query", c.name), worst.Round(time.Millisecond), base.Round(time.Millisecond), float64(worst)/float64(base))
		}
	})
}
