package server_test

import (
	"strings"
	"sync"
	"testing"

	"kokeilu/internal/testdb"
)

// TestConcurrentWorkspacesWithOneName: workspaces created at once with one
// name each get a slug of their own, or (PostgreSQL, where both see the
// slug free) a CONFLICT that names the slug, never a vague one.
func TestConcurrentWorkspacesWithOneName(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		token, _ := a.register("same@example.fi", "Same")
		var wg sync.WaitGroup
		results := make([]response, 8)
		for i := range results {
			wg.Go(func() {
				results[i] = a.post(`mutation { createWorkspace(input: {name: "Sama nimi"}) { slug } }`, nil, bearer(token)...)
			})
		}
		wg.Wait()
		for i, res := range results {
			if len(res.Errors) > 0 && (res.Errors[0].code() != "CONFLICT" || !strings.Contains(res.Errors[0].Message, "sama-nimi")) {
				t.Errorf("request %d: %+v", i, res.Errors)
			}
		}
	})
}
