package server_test

import (
	"strconv"
	"testing"

	"kokeilu/internal/testdb"
)

// TestReviewLongInListIsNotInternal: a `…In` filter is bounded only by the
// 1 MiB body, so a list sent as a variable reaches the database as one bind
// parameter per element. 70,000 slugs are over both SQLite's (32,766) and
// PostgreSQL's (65,535) parameter limits; the answer must be a client error
// or data, never INTERNAL.
func TestReviewLongInListIsNotInternal(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		slugs := make([]string, 70000)
		for i := range slugs {
			slugs[i] = strconv.Itoa(i)
		}
		res := a.post(`query($s: [String!]) { pilots(where: {slugIn: $s}) { totalCount } }`, map[string]any{"s": slugs})
		if res.Status >= 500 {
			t.Fatalf("status %d", res.Status)
		}
		for _, e := range res.Errors {
			if e.code() == "INTERNAL" {
				t.Fatalf("a 70,000-element slugIn answered INTERNAL: %+v", e)
			}
		}
	})
}
