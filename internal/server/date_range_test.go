package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"kokeilu/internal/auth"
	"kokeilu/internal/testdb"
)

// TestDatesOutsideTheYearRangeAreRefused: dates and times are accepted in
// the years 1900–2100 only; one pilot of 0001–9999 would otherwise give
// every dashboard 9,999 ACTIVE_YEAR buckets against a cost estimate of 40.
func TestDatesOutsideTheYearRangeAreRefused(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	token, _ := a.register("years@example.fi", "Years")
	for _, input := range []string{`{title: "Early", startsOn: "0001-01-01"}`, `{title: "Late", startsOn: "2020-01-01", endsOn: "9999-12-31"}`} {
		res := a.post(`mutation { createPilot(input: `+input+`) { id } }`, nil, bearer(token)...)
		if len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" {
			t.Fatalf("%s: want BAD_USER_INPUT, got %+v", input, res.Errors)
		}
		if field, _ := res.Errors[0].Extensions["field"].(string); field != "startsOn" && field != "endsOn" {
			t.Errorf("%s: extensions.field %q, message %q", input, field, res.Errors[0].Message)
		}
	}
	a.fail("BAD_USER_INPUT", `{ pilots(where: {createdAtGT: "0001-01-01T00:00:00Z"}) { totalCount } }`, nil)
	var ok struct{ CreatePilot struct{ ID string } }
	a.query(&ok, `mutation { createPilot(input: {title: "Edges", startsOn: "1900-01-01", endsOn: "2100-12-31"}) { id } }`, nil, bearer(token)...)
}

// TestActiveYearBucketsStayWithinTheCost: pilotStats's cost (checked
// before it runs) counts 201 year buckets; a pilot stored before dates
// were bounded, spanning 0001–9999, must not make ACTIVE_YEAR return more.
func TestActiveYearBucketsStayWithinTheCost(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		ctx := auth.System(context.Background())
		a.db.Client.Pilot.Create().SetTitle("Legacy").SetCreatedByID(a.userID("years@example.fi")).
			SetStartsOn(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)).SetEndsOn(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)).ExecX(ctx)
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
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
			t.Fatalf("%v %+v", err, out.Errors)
		}
		cost := out.Extensions.Cost.Nodes
		if got := len(out.Data.PilotStats.Buckets); got == 0 || got > cost {
			t.Fatalf("pilotStats(groupBy: [ACTIVE_YEAR]) returned %d buckets; its cost was estimated at %d", got, cost)
		}
	})
}
