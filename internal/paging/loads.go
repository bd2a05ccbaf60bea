package paging

import "context"

// Loads are the eager loads of a statement's edges, which ent runs one
// after another once the statement's rows are read. Loads of different
// edges do not depend on each other: each reads its own rows and writes
// its own field of the nodes. Where the database can run statements at
// once (PostgreSQL outside a transaction), Run starts one goroutine per
// edge, so a page with three edges waits for one round trip instead of
// three. Loads of one edge (aliases of a connection) write one field
// (the named edges' map) and stay in turn.
type Loads struct {
	edges []int
	loads []func() error
}

// Add keeps load, a load of edge (the edge's index in its type), to run in Run.
func (l *Loads) Add(edge int, load func() error) {
	l.edges = append(l.edges, edge)
	l.loads = append(l.loads, load)
}

// Run runs the loads: in the order added when !concurrent or when the
// process has too few goroutines to spare (takeSpare), stopping at the
// first error; otherwise the loads of each edge in turn, each edge in its
// own goroutine but the first (the caller's), and it waits for all.
// It returns the error of the first edge (in order added) that failed,
// so an answer does not depend on which statement ended first. A panic
// in a load is raised again in the caller, as if the load had run there,
// even when an earlier edge failed (the first panic, in order added), so
// that the fault is logged.
func (l *Loads) Run(concurrent bool) error {
	groups := l.groups(concurrent)
	if len(groups) < 2 || !takeSpare(len(groups)-1) {
		for _, load := range l.loads {
			if err := load(); err != nil {
				return err
			}
		}
		return nil
	}
	defer giveSpare(len(groups) - 1)
	type outcome struct {
		err      error
		panicked bool
		panic    any
	}
	outcomes := make([]outcome, len(groups))
	run := func(g int) {
		defer func() {
			if r := recover(); r != nil {
				outcomes[g] = outcome{panicked: true, panic: r}
			}
		}()
		for _, load := range groups[g] {
			if err := load(); err != nil {
				outcomes[g].err = err
				return
			}
		}
	}
	done := make(chan int, len(groups))
	for g := 1; g < len(groups); g++ {
		go func() {
			defer func() { done <- g }()
			run(g)
		}()
	}
	run(0)
	for range len(groups) - 1 {
		<-done
	}
	for _, o := range outcomes {
		if o.panicked { // before any error: a panic is a fault to be logged
			panic(o.panic)
		}
	}
	for _, o := range outcomes {
		if o.err != nil {
			return o.err
		}
	}
	return nil
}

// Eager is an eager load of edge Edge that a query took out of ent's
// loop to run in Loads: Load loads it for the nodes the query read.
type Eager[T any] struct {
	Edge int
	Load func(context.Context, []T) error
}

// groups are the loads of each edge, edges in the order of their first
// load; none when !concurrent or with one load, which run in turn anyway.
func (l *Loads) groups(concurrent bool) [][]func() error {
	if !concurrent || len(l.loads) < 2 {
		return nil
	}
	var groups [][]func() error
	index := map[int]int{}
	for i, e := range l.edges {
		g, ok := index[e]
		if !ok {
			g = len(groups)
			index[e] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], l.loads[i])
	}
	return groups
}
