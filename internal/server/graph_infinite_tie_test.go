package server_test

import (
	"testing"

	"kokeilu/internal/testdb"
)

// TestStoredInfiniteTieIsNotInternal: two links of weight 1e308 between the
// same two municipalities (any signed-in user may create them) sum to a
// tie of +Inf. EIGENVECTOR centrality then yields non-finite scores, which
// the JSON writer refuses (INTERNAL per score), and communities panics
// inside gonum's Louvain (index out of range [-1], INTERNAL). Both must
// answer without INTERNAL (PAGERANK, which never returns at all, is
// TestPageRankWithStoredInfiniteTieAnswers).
func TestStoredInfiniteTieIsNotInternal(t *testing.T) {
	a := newAPI(t, testdb.SQLite, true)
	token, _ := a.register("inf@example.fi", "Inf")
	var ids struct{ A, B struct{ ID string } }
	a.query(&ids, `{ a: municipality(code: "091") { id } b: municipality(code: "049") { id } }`, nil)
	for range 2 {
		var out struct{ CreateLink struct{ Weight float64 } }
		a.query(&out, `mutation($s: ID!, $t: ID!) { createLink(input: {sourceID: $s, targetID: $t, weight: 1000}) { weight } }`,
			map[string]any{"s": ids.A.ID, "t": ids.B.ID}, bearer(token)...)
	}
	// Weights are 0.001–1,000 at input now (TestLinkWeightsAreBounded);
	// links stored before that bound may still hold 1e308.
	if _, err := a.db.SQL.Exec(`UPDATE links SET weight = 1e308`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`{ centrality(metric: EIGENVECTOR, first: 2) { scores { score } } }`,
		`{ communities(filter: {projection: true}) { modularity } }`,
	} {
		res := a.post(q, nil)
		for _, e := range res.Errors {
			if e.code() == "INTERNAL" {
				t.Errorf("%s answered INTERNAL at %v", q, e.Path)
				break
			}
		}
	}
}
