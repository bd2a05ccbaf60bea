package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"kokeilu/internal/auth"
	"kokeilu/internal/seed"
	"kokeilu/internal/server"
	"kokeilu/internal/testdb"
)

// TestPageRankWithStoredInfiniteTieAnswers: links stored before weights were
// bounded may hold 1e308; parallel links are summed into one tie, which was
// +Inf, and gonum's PageRank then never converged, spinning inside the
// resolver while it held the view's lock, past the request timeout. Stored
// weights are now read into 0.001–1,000 (netgraph.tieWeight) and PageRank is
// a bounded power iteration: the request must be answered.
func TestPageRankWithStoredInfiniteTieAnswers(t *testing.T) {
	db := testdb.Open(t, testdb.SQLite)
	ctx := context.Background()
	if err := seed.Reference(ctx, db.Client); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Demo(ctx, db.Client, time.Now()); err != nil {
		t.Fatal(err)
	}
	accounts, err := auth.NewService(db.Client, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := &api{t: t, db: db, accounts: accounts, srv: httptest.NewServer(server.NewHandler(db, server.Options{Accounts: accounts, RequestTimeout: 5 * time.Second}))}
	t.Cleanup(a.srv.Close)
	token, _ := a.register("weights@example.fi", "Weights")
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
	reqCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"query": `{ centrality(metric: PAGERANK, first: 1) { nodeCount } }`})
	req, _ := http.NewRequestWithContext(reqCtx, http.MethodPost, a.srv.URL+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("centrality(PAGERANK) unanswered after 30 s (the request timeout is 5 s): %v", err)
	}
	res.Body.Close()
}
