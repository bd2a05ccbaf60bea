package netgraph

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
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
	const deadline = 100 * time.Millisecond
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
