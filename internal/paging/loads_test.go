package paging

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestLoadsRun checks Run against a model on generated loads: each load
// of an edge succeeds, fails or panics. In turn, the loads run in the
// order added up to the first failure, which Run gives. At once, each
// edge's loads run in their order up to that edge's first failure, never
// two of one edge together, and Run gives the failure of the first edge
// (in order added) that failed, so an answer does not depend on timing;
// a panic goes before any error.
func TestLoadsRun(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		concurrent := rapid.Bool().Draw(t, "concurrent")
		n := rapid.IntRange(0, 12).Draw(t, "loads")
		edges := make([]int, n)
		outcomes := make([]int, n) // 0 ok, 1 error, 2 panic
		var l Loads
		var mu sync.Mutex
		var ran []int
		busy := map[int]bool{}
		var overlap []int // edges with two loads at once
		for i := range n {
			edges[i] = rapid.IntRange(0, 3).Draw(t, fmt.Sprint("edge", i))
			outcomes[i] = rapid.IntRange(0, 2).Draw(t, fmt.Sprint("outcome", i))
			pause := time.Duration(rapid.IntRange(0, 200).Draw(t, fmt.Sprint("µs", i))) * time.Microsecond
			l.Add(edges[i], func() error {
				mu.Lock()
				if busy[edges[i]] {
					mu.Unlock()
					overlap = append(overlap, edges[i])
					return nil
				}
				busy[edges[i]] = true
				ran = append(ran, i)
				mu.Unlock()
				time.Sleep(pause)
				mu.Lock()
				busy[edges[i]] = false
				mu.Unlock()
				switch outcomes[i] {
				case 1:
					return fmt.Errorf("load %d", i)
				case 2:
					panic(fmt.Sprintf("load %d", i))
				}
				return nil
			})
		}

		// The model: which loads run, and which failure Run gives.
		var want []int
		failed := -1
		if !concurrent || n < 2 {
			for i := range n {
				want = append(want, i)
				if outcomes[i] != 0 {
					failed = i
					break
				}
			}
		} else {
			var order []int // edges in order of first appearance
			stopped := map[int]int{}
			for i := range n {
				if !slices.Contains(order, edges[i]) {
					order = append(order, edges[i])
				}
				if _, ok := stopped[edges[i]]; ok {
					continue
				}
				want = append(want, i)
				if outcomes[i] != 0 {
					stopped[edges[i]] = i
				}
			}
			for _, e := range order { // a panic first, then an error
				if i, ok := stopped[e]; ok && outcomes[i] == 2 {
					failed = i
					break
				}
			}
			for _, e := range order {
				if i, ok := stopped[e]; ok && failed < 0 {
					failed = i
				}
			}
		}

		var err error
		var panicked any
		func() {
			defer func() { panicked = recover() }()
			err = l.Run(concurrent)
		}()
		if len(overlap) > 0 {
			t.Fatalf("two loads of one edge at once: edges %v", overlap)
		}
		slices.Sort(ran)
		if !slices.Equal(ran, want) {
			t.Fatalf("ran loads %v, want %v", ran, want)
		}
		switch {
		case failed < 0:
			if err != nil || panicked != nil {
				t.Fatalf("no load failed, Run gave %v, panic %v", err, panicked)
			}
		case outcomes[failed] == 1:
			if err == nil || err.Error() != fmt.Sprintf("load %d", failed) || panicked != nil {
				t.Fatalf("Run gave %v, panic %v; want the error of load %d", err, panicked, failed)
			}
		default:
			if panicked != fmt.Sprintf("load %d", failed) {
				t.Fatalf("Run gave %v, panic %v; want the panic of load %d", err, panicked, failed)
			}
		}
	})
}

// TestLoadsRunEdgesTogether: at once, two edges whose loads wait for each
// other both finish; in turn the first would wait for ever (cut short).
func TestLoadsRunEdgesTogether(t *testing.T) {
	for _, concurrent := range []bool{true, false} {
		a, b := make(chan struct{}), make(chan struct{})
		var l Loads
		l.Add(0, meet(a, b, 200*time.Millisecond))
		l.Add(1, meet(b, a, 200*time.Millisecond))
		err := l.Run(concurrent)
		if concurrent && err != nil {
			t.Errorf("at once: %v", err)
		}
		if !concurrent && err == nil {
			t.Error("in turn, the loads met")
		}
	}
}

// TestBusyProcessRunsInTurn: with no goroutine to spare, loads run in
// turn and a count runs before Alongside returns; the spares come back.
func TestBusyProcessRunsInTurn(t *testing.T) {
	if !takeSpare(cap(spare)) {
		t.Fatal("spares taken before the test")
	}
	a, b := make(chan struct{}), make(chan struct{})
	var l Loads
	l.Add(0, meet(a, b, 100*time.Millisecond))
	l.Add(1, meet(b, a, 100*time.Millisecond))
	if err := l.Run(true); err == nil {
		t.Error("the loads met with no goroutine to spare")
	}
	ran := false
	wait := Alongside(true, func() (int, error) { ran = true; return 1, nil })
	if !ran {
		t.Error("Alongside counted beside with no goroutine to spare")
	}
	_, _ = wait()
	giveSpare(cap(spare))
	if len(spare) != 0 {
		t.Errorf("%d spares still taken", len(spare))
	}
	c, d := make(chan struct{}), make(chan struct{})
	var m Loads
	m.Add(0, meet(c, d, time.Second))
	m.Add(1, meet(d, c, time.Second))
	if err := m.Run(true); err != nil || len(spare) != 0 {
		t.Errorf("with spares back: %v, %d still taken", err, len(spare))
	}
}

// meet is a load that says it runs (closes mine) and waits up to wait
// for the other load to say so: two such loads both succeed only if
// they run at once.
func meet(mine, other chan struct{}, wait time.Duration) func() error {
	return func() error {
		close(mine)
		select {
		case <-other:
			return nil
		case <-time.After(wait):
			return errors.New("alone")
		}
	}
}
