package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"kokeilu/internal/testdb"
)

// TestReviewActiveYearCostBoundsTheAnswer: pilotStats's cost is "the buckets
// it can return", checked before it runs. The estimate takes ACTIVE_YEAR as
// 40 years, but dates are accepted from 0001 to 9999, and ACTIVE_YEAR
// counts every year from start to end: one pilot of 0001-01-01–9999-12-31,
// which any signed-in user may create, gives every dashboard 9,999 year
// buckets (and with all 308 municipalities, ACTIVE_YEAR × MUNICIPALITY is
// 3 million buckets estimated at 12,320, which runs into the timeout). The
// answer must never hold more buckets than the cost the server reported.
func TestReviewActiveYearCostBoundsTheAnswer(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	token, _ := a.register("years@example.fi", "Years")
	a.query(&struct{}{}, `mutation { createPilot(input: {title: "Long", startsOn: "0001-01-01", endsOn: "9999-12-31"}) { id } }`, nil, bearer(token)...)
	body, _ := json.Marshal(map[string]any{"query": `{ pilotStats(groupBy: [ACTIVE_YEAR]) { buckets { pilots } } }`})
	res, err := http.Post(a.srv.URL+"/query", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data struct {
			PilotStats struct{ Buckets []struct{ Pilots int } }
		}
		Errors     []gqlError
		Extensions struct{ Cost struct{ Nodes int } }
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if len(out.Errors) > 0 {
		return // refused: fine
	}
	if got, est := len(out.Data.PilotStats.Buckets), out.Extensions.Cost.Nodes; got > est {
		t.Fatalf("pilotStats(groupBy: [ACTIVE_YEAR]) returned %d buckets; its cost was estimated at %d", got, est)
	}
}
