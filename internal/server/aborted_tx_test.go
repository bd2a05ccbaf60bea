package server_test

import (
	"fmt"
	"sync"
	"testing"

	"kokeilu/internal/testdb"
)

// TestFailedMutationFieldEndsTheOperation: when a field of a mutation
// fails in the database (here the loser of a race for one slug), the
// whole operation is rolled back and answered with that failure alone, on
// both databases. On PostgreSQL the failed statement aborts the
// transaction, so the fields after it failed too, and were answered
// INTERNAL ("current transaction is aborted").
func TestFailedMutationFieldEndsTheOperation(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		for round := range 8 {
			slug := fmt.Sprintf("kilpa-%d", round)
			var wg sync.WaitGroup
			answers := make([]response, 4)
			for i := range answers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					answers[i] = a.post(`mutation($s: String) { a: createWorkspace(input: {name: "Kilpa", slug: $s}) { id }
						b: createWorkspace(input: {name: "Toinen"}) { id } }`, map[string]any{"s": slug}, p.header("member")...)
				}()
			}
			wg.Wait()
			won := 0
			for _, res := range answers {
				switch {
				case len(res.Errors) == 0:
					won++
				case len(res.Errors) != 1 || res.Errors[0].code() != "CONFLICT":
					t.Errorf("round %d: a loser is answered %+v", round, res.Errors)
				}
			}
			if won != 1 {
				t.Errorf("round %d: %d of 4 won the slug", round, won)
			}
		}
	})
}
