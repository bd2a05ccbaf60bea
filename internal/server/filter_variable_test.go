package server_test

import (
	"testing"
	"time"

	"kokeilu/internal/testdb"
)

// TestDeepFilterVariableRefusedCheaply (found by a hostile review): a where
// variable nesting has…With filters 2,000 deep, each given as one object
// for its list, answered INTERNAL after 10 s (SQLite "Recursion limit"), and
// 8,000 deep grew the server to 8 GB. gqlparser coerces such an object into
// a typed slice ([]map[string]any), which the filter and list walks did not
// read as a list (now internal/input.List); the filter bound runs first, so
// the refusal stops at MaxFilterDepth. Want BAD_USER_INPUT on where, quickly.
func TestDeepFilterVariableRefusedCheaply(t *testing.T) {
	const depth = 2000
	w := map[string]any{}
	edges := []string{"hasPilotsWith", "hasMunicipalitiesWith"}
	for i := range depth {
		w = map[string]any{edges[i%2]: w}
	}
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		start := time.Now()
		res := a.post(`query($w: PilotWhereInput) { pilots(where: $w) { totalCount } }`, map[string]any{"w": w})
		took := time.Since(start)
		if len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" {
			t.Errorf("depth %d: want BAD_USER_INPUT, got %.300v (after %v)", depth, res.Errors, took)
		}
		if took > 2*time.Second {
			t.Errorf("depth %d: refusing took %v; want well under a second", depth, took)
		}
	})
}
