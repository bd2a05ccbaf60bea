package netgraph

import (
	"context"
	"math/rand/v2"

	"gonum.org/v1/gonum/graph"
)

// Stopping a computation at the request's deadline. gonum's algorithms take
// no context, so they are handed a graph (and Louvain a random source) that
// look at ctx every stopEvery calls and, once it has ended, panic with
// stopped; run recovers it as ctx's error (TIMEOUT). Every pass of
// Louvain's local moving shuffles its nodes (one draw each) and the first
// level reads every node's neighbours, Brandes' betweenness walks the
// neighbours from every node, and the power iterations check between
// rounds: so a computation ends within one pass of the deadline, where
// before communities ran on for 16–32 s after a 10 s timeout.
const stopEvery = 256

type stopped struct{ err error }

// stopper checks ctx now and then.
type stopper struct {
	ctx context.Context
	n   int
}

// check panics with stopped when ctx has ended (looked at every
// stopEvery calls).
func (s *stopper) check() {
	if s.n++; s.n%stopEvery == 0 {
		s.now()
	}
}

// now panics with stopped when ctx has ended.
func (s *stopper) now() {
	if err := s.ctx.Err(); err != nil {
		panic(stopped{err})
	}
}

// run calls f, turning a stop into ctx's error; other panics go on.
func run[T any](ctx context.Context, f func(*stopper) (T, error)) (out T, err error) {
	s := &stopper{ctx: ctx}
	defer func() {
		if r := recover(); r != nil {
			st, ok := r.(stopped)
			if !ok {
				panic(r)
			}
			var zero T
			out, err = zero, st.err
		}
	}()
	s.now()
	return f(s)
}

// stoppingGraph is a gonumGraph that checks ctx whenever an algorithm
// reads a node's neighbours.
type stoppingGraph struct {
	*gonumGraph
	stop *stopper
}

func (g stoppingGraph) From(id int64) graph.Nodes {
	g.stop.check()
	return g.gonumGraph.From(id)
}

func (g stoppingGraph) To(id int64) graph.Nodes { return g.From(id) }

// stoppingSource is a random source that checks ctx on every draw.
type stoppingSource struct {
	rand.Source
	stop *stopper
}

func (s stoppingSource) Uint64() uint64 {
	s.stop.check()
	return s.Source.Uint64()
}
