package netgraph

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"kokeilu/internal/fault"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// randomGraph has n nodes and m random edges (fixed seed).
func randomGraph(n, m int) *Graph {
	r := rand.New(rand.NewPCG(3, 4))
	e := make([][2]int, m)
	for i := range e {
		a, b := 1+r.IntN(n), 1+r.IntN(n)
		if a == b {
			b = 1 + (b % n)
		}
		e[i] = [2]int{a, b}
	}
	return build(n, e)
}

// TestHeavyMetricsStopAtDeadline (found by a hostile review): communities
// ran on for 16–32 s after the request's 10 s timeout (gonum takes no
// context) and held the one heavy slot meanwhile, so another client's cheap
// centrality timed out too. Property: every whole-graph computation ends
// soon after its context does, with the context's error, and the view
// keeps no half result; a request waiting for the heavy slot leaves at its
// own deadline.
func TestHeavyMetricsStopAtDeadline(t *testing.T) {
	g := randomGraph(20_000, 200_000)
	budget := Budget{BetweennessWork: 1 << 62, Nodes: 1 << 30}
	const deadline = 5 * time.Millisecond
	for _, m := range []Metric{"COMMUNITIES", Betweenness, PageRank, Eigenvector} {
		v := NewView(g)
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		start := time.Now()
		var err error
		if m == "COMMUNITIES" {
			_, err = v.Communities(ctx, budget)
		} else {
			_, err = v.Centrality(ctx, m, budget)
		}
		took := time.Since(start)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: err = %v after %v, want the deadline's", m, err, took)
		}
		if took > deadline+time.Second {
			t.Errorf("%s: returned %v after a %v deadline", m, took, deadline)
		}
		if v.comm != nil || v.scores[m] != nil {
			t.Errorf("%s: a stopped computation left a result in the view", m)
		}
	}

	// The heavy slot is taken (a computation runs): a waiting request
	// leaves at its deadline.
	s := &Service{Budget: budget, heavy: make(chan struct{}, 1)}
	s.heavy <- struct{}{}
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	_, err := s.Communities(ctx, NewView(bridgeGraph()))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > deadline+time.Second {
		t.Errorf("waiting for the heavy slot: %v after %v", err, time.Since(start))
	}
}

// TestCommunitiesPricedBySize (found by a hostile review): communities of
// the whole 5,000-pilot graph (7,808 nodes, 172,440 ties) ran 16–47 s with
// no work limit, where betweenness is refused up front. Property: a view
// over DefaultBudget.CommunitiesWork is refused at once with
// COST_LIMIT_EXCEEDED (measure "communities"), one within it is computed.
func TestCommunitiesPricedBySize(t *testing.T) {
	big := NewView(randomGraph(20_000, 200_000))
	n, m := big.Size()
	start := time.Now()
	_, err := big.Communities(context.Background(), DefaultBudget)
	var gqlErr *gqlerror.Error
	if !errors.As(err, &gqlErr) || gqlErr.Extensions["code"] != fault.CostLimitExceeded || gqlErr.Extensions["measure"] != "communities" {
		t.Fatalf("%d nodes, %d ties: err = %v, want COST_LIMIT_EXCEEDED on communities", n, m, err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("refused after %v, want at once", took)
	}
	small := NewView(randomGraph(2_000, 5_000))
	if c, err := small.Communities(context.Background(), DefaultBudget); err != nil || len(c.Groups) == 0 {
		t.Errorf("a small view: %v, %v", c, err)
	}
}
