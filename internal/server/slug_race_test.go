package server_test

import (
	"encoding/json"
	"sync"
	"testing"

	"kokeilu/internal/testdb"
)

// TestSlugConcurrentSameName: eight createPilot (and eight createWorkspace)
// with the same name at once all succeed with eight different slugs, on
// both databases (PostgreSQL created one and answered the other seven
// CONFLICT: each had checked the slug free before another's insert).
func TestSlugConcurrentSameName(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		token, _ := a.register("racer@example.org", "Racer")
		for _, c := range []struct{ field, query string }{
			{"createPilot", `mutation { createPilot(input: {title: "Sama nimi"}) { slug } }`},
			{"createWorkspace", `mutation { createWorkspace(input: {name: "Sama nimi"}) { slug } }`},
		} {
			const n = 8
			slugs := make([]string, n)
			codes := make([]string, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res := a.post(c.query, nil, bearer(token)...)
					if codes[i] = outcome(res); codes[i] != "OK" {
						codes[i] += ": " + res.Errors[0].Message
						return
					}
					var data map[string]struct{ Slug string }
					_ = json.Unmarshal(res.Data, &data)
					slugs[i] = data[c.field].Slug
				}()
			}
			wg.Wait()
			seen := map[string]bool{}
			for i := range n {
				if codes[i] != "OK" {
					t.Errorf("%s %d: %s", c.field, i, codes[i])
					continue
				}
				if seen[slugs[i]] {
					t.Errorf("%s: slug %q given twice", c.field, slugs[i])
				}
				seen[slugs[i]] = true
			}
			for _, s := range []string{"sama-nimi", "sama-nimi-2", "sama-nimi-8"} {
				if !seen[s] && len(seen) == n {
					t.Errorf("%s: slugs %v, want sama-nimi … sama-nimi-8", c.field, seen)
					break
				}
			}
		}
	})
}
