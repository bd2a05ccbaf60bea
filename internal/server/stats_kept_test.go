package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/municipality"
	"kokeilu/ent/pilot"
	"kokeilu/internal/analytics"
	"kokeilu/internal/auth"
	"kokeilu/internal/dataset"
	"kokeilu/internal/fault"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"
)

// keptCounts is every non-zero kept count (pilots, municipalities and
// population), by grouping and key.
func keptCounts(t *testing.T, c *ent.Client) map[string]string {
	t.Helper()
	rows, err := c.StatBucket.Query().All(auth.System(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		if r.Pilots != 0 || r.Municipalities != 0 || r.Population != 0 {
			out[r.Dims+" "+r.Key] = fmt.Sprintf("%d/%d/%d", r.Pilots, r.Municipalities, r.Population)
		}
	}
	return out
}

// checkKept compares the kept counts with a recount from the rows
// (analytics.Rebuild), and pilotStats read from them with the exact
// statement over the rows (a where that the buckets cannot serve, matching
// every pilot), for groupings of one, two and three dimensions.
func checkKept(t *testing.T, a *api) {
	t.Helper()
	kept := keptCounts(t, a.db.Client)
	if err := analytics.Rebuild(context.Background(), a.db.Client); err != nil {
		t.Fatal(err)
	}
	recount := keptCounts(t, a.db.Client)
	if !maps.Equal(kept, recount) {
		n := 0
		for k, v := range recount {
			if kept[k] != v && n < 10 {
				t.Errorf("%s: kept %s, recounted %s (pilots/municipalities/population)", k, kept[k], v)
				n++
			}
		}
		for k, v := range kept {
			if _, ok := recount[k]; !ok && n < 20 {
				t.Errorf("%s: kept %s, recounted 0", k, v)
				n++
			}
		}
		t.Fatalf("kept counts differ from the recount (%d vs %d rows)", len(kept), len(recount))
	}
	everyPilot := map[string]any{"or": []any{
		map[string]any{"status": "PLANNED"}, map[string]any{"status": "ACTIVE"},
		map[string]any{"status": "COMPLETED"}, map[string]any{"status": "CANCELLED"}}}
	for _, g := range [][]string{{"REGION"}, {"MUNICIPALITY"}, {"WELLBEING_COUNTY_KIND"}, {"NETWORK"}, {"THEME", "STATUS"},
		{"WELLBEING_COUNTY", "NETWORK"}, {"MUNICIPALITY", "THEME"}, {"MUNICIPALITY", "NETWORK"}, {"MUNICIPALITY", "REGION"},
		{"REGION", "WELLBEING_COUNTY"}, {"WELLBEING_COUNTY", "WELLBEING_COUNTY_KIND"}, {"THEME", "NETWORK"}, {"START_YEAR", "STATUS"},
		{"ACTIVE_YEAR"}, {"THEME", "ACTIVE_YEAR"}, {"MUNICIPALITY", "ACTIVE_YEAR"}, {"ACTIVE_YEAR", "REGION"}, {"STATUS", "ACTIVE_YEAR"},
		{"REGION", "THEME", "STATUS"}, {"MUNICIPALITY", "THEME", "STATUS"}, {"SUBREGION", "START_YEAR", "STATUS"}, {"THEME", "NETWORK", "STATUS"}} {
		fast, exact := a.pilotStats(nil, g...), a.pilotStats(everyPilot, g...)
		if fmt.Sprint(fast) != fmt.Sprint(exact) {
			t.Errorf("%v: from buckets %+v\nexact %+v", g, fast, exact)
		}
		// Asking only the pilots reads no municipality rows.
		if only := a.pilotCounts(nil, g...); fmt.Sprint(only) != fmt.Sprint(pilotsOnly(exact)) {
			t.Errorf("%v, pilots only: from buckets %+v\nexact %+v", g, only, exact)
		}
		active := a.pilotStats(map[string]any{"statusIn": []string{"ACTIVE", "PLANNED"}}, g...)
		activeExact := a.pilotStats(map[string]any{"or": []any{map[string]any{"status": "ACTIVE"}, map[string]any{"status": "PLANNED"}}}, g...)
		if fmt.Sprint(active) != fmt.Sprint(activeExact) {
			t.Errorf("%v, ACTIVE or PLANNED: from buckets %+v\nexact %+v", g, active, activeExact)
		}
		if only := a.pilotCounts(map[string]any{"status": "ACTIVE"}, g...); fmt.Sprint(only) !=
			fmt.Sprint(pilotsOnly(a.pilotStats(map[string]any{"or": []any{map[string]any{"status": "ACTIVE"}}}, g...))) {
			t.Errorf("%v, ACTIVE, pilots only: from buckets %+v", g, only)
		}
	}
	// The root pilots' totalCount reads the STATUS rows (analytics.Total)
	// without a filter or with a status filter; an or counts the rows.
	for _, w := range []map[string]any{nil, {"statusIn": []string{"ACTIVE", "PLANNED"}}, {"status": "CANCELLED"}, {"statusIn": []string{}}} {
		exact := map[string]any{"or": []any{everyPilot}}
		if w != nil {
			exact = map[string]any{"or": []any{w}}
		}
		if kept, counted := a.pilotTotal(w), a.pilotTotal(exact); kept != counted {
			t.Errorf("pilots(where: %v) totalCount %d, counted %d", w, kept, counted)
		}
	}
}

// pilotTotal is the root pilots' totalCount under where.
func (a *api) pilotTotal(where map[string]any) int {
	a.t.Helper()
	var got struct{ Pilots struct{ TotalCount int } }
	a.query(&got, `query($w: PilotWhereInput) { pilots(first: 1, where: $w) { totalCount } }`, map[string]any{"w": where})
	return got.Pilots.TotalCount
}

// pilotCounts is pilotStats asking only the buckets' pilots.
func (a *api) pilotCounts(where map[string]any, dims ...string) pilotStats {
	a.t.Helper()
	var got struct{ PilotStats pilotStats }
	a.query(&got, `query($w: PilotWhereInput, $g: [PilotDimension!]!) {
	  pilotStats(where: $w, groupBy: $g) { total buckets { keys { dimension code name } pilots } } }`,
		map[string]any{"w": where, "g": dims})
	return got.PilotStats
}

// pilotsOnly is s without the buckets' municipalities and population.
func pilotsOnly(s pilotStats) pilotStats {
	out := pilotStats{Total: s.Total}
	for _, b := range s.Buckets {
		out.Buckets = append(out.Buckets, statsBucket{Keys: b.Keys, Pilots: b.Pilots})
	}
	return out
}

// writeWorld is what random writers pick from.
type writeWorld struct {
	munis, themes, networks, pilots []int
}

func newWriteWorld(t *testing.T, c *ent.Client) *writeWorld {
	ctx := auth.System(context.Background())
	w := &writeWorld{}
	var err error
	if w.munis, err = c.Municipality.Query().IDs(ctx); err != nil {
		t.Fatal(err)
	}
	if w.themes, err = c.Theme.Query().IDs(ctx); err != nil {
		t.Fatal(err)
	}
	if w.networks, err = c.Network.Query().IDs(ctx); err != nil {
		t.Fatal(err)
	}
	if w.pilots, err = c.Pilot.Query().IDs(ctx); err != nil {
		t.Fatal(err)
	}
	return w
}

func pickIDs(rnd *rand.Rand, ids []int, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = scalar.EncodeID(ids[rnd.IntN(len(ids))])
	}
	return out
}

var pilotStatuses = []string{"PLANNED", "ACTIVE", "COMPLETED", "CANCELLED"}

// randomMutation is one write through the API: a new pilot, or a change of
// an existing one's status, start, participants, themes or networks.
func (w *writeWorld) randomMutation(rnd *rand.Rand) (string, map[string]any) {
	id := scalar.EncodeID(w.pilots[rnd.IntN(len(w.pilots))])
	one := func(field, typ string, v any) (string, map[string]any) {
		return `mutation($id: ID!, $v: ` + typ + `) { updatePilot(id: $id, input: {` + field + `: $v}) { id } }`,
			map[string]any{"id": id, "v": v}
	}
	switch rnd.IntN(9) {
	case 0:
		m := pickIDs(rnd, w.munis, 1+rnd.IntN(4))
		start := rnd.IntN(10)
		if rnd.IntN(4) == 0 { // open-ended and in the future: active in its start year only
			start = 30 + rnd.IntN(8)
		}
		return `mutation($in: CreatePilotInput!) { createPilot(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"title": fmt.Sprintf("Kirjoittaja %d", rnd.Uint64()), "status": pilotStatuses[rnd.IntN(4)], "startsOn": fmt.Sprintf("20%02d-03-01", start),
			"leadMunicipalityID": m[0], "municipalityIDs": m, "themeIDs": pickIDs(rnd, w.themes, rnd.IntN(3)),
			"networkIDs": pickIDs(rnd, w.networks, rnd.IntN(2))}}
	case 1:
		return one("status", "PilotStatus", pilotStatuses[rnd.IntN(4)])
	case 2:
		return one("startsOn", "Date", fmt.Sprintf("20%02d-06-01", rnd.IntN(10)))
	case 3:
		return one("addMunicipalityIDs", "[ID!]", pickIDs(rnd, w.munis, 1+rnd.IntN(3)))
	case 4:
		return one("removeMunicipalityIDs", "[ID!]", pickIDs(rnd, w.munis, 1+rnd.IntN(30)))
	case 5:
		return one("addThemeIDs", "[ID!]", pickIDs(rnd, w.themes, 1))
	case 6:
		return one("removeThemeIDs", "[ID!]", pickIDs(rnd, w.themes, 2))
	case 7: // after every start, generated or written here
		return one("endsOn", "Date", fmt.Sprintf("20%02d-09-01", 30+rnd.IntN(5)))
	default:
		return one("addNetworkIDs", "[ID!]", pickIDs(rnd, w.networks, 1))
	}
}

// TestPilotStatsKeptUnderConcurrentWrites: writers create and change
// pilots through the API (status, start, participants, themes, networks)
// while readers ask pilotStats and the map layer; every read answers
// without error and agrees with itself, and once the writers stop every
// kept count equals the recount and pilotStats equals the exact statement.
func TestPilotStatsKeptUnderConcurrentWrites(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newStatsAPI(t, b)
		token, _ := a.siteAdmin("Writer")
		w := newWriteWorld(t, a.db.Client)
		var writes, refused atomic.Int64
		stop := make(chan struct{})
		var readers, writers sync.WaitGroup
		for r := range 2 {
			readers.Add(1)
			go func() {
				defer readers.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					g := [][]string{{"STATUS"}, {"REGION", "STATUS"}, {"THEME", "MUNICIPALITY"}}[(i+r)%3]
					res := a.post(`query($g: [PilotDimension!]!) { pilotStats(groupBy: $g) { total buckets { keys { code } pilots } }
					  regions(first: 100) { nodes { pilots(where: {status: ACTIVE}) { totalCount } } } }`, map[string]any{"g": g})
					if len(res.Errors) > 0 {
						t.Errorf("read %v: %+v", g, res.Errors)
						return
					}
					if g[0] != "STATUS" {
						continue
					}
					// One read sees one state: the statuses add up to the total.
					var s struct{ PilotStats pilotStats }
					if err := json.Unmarshal(res.Data, &s); err != nil {
						t.Error(err)
						return
					}
					sum := 0
					for _, b := range s.PilotStats.Buckets {
						sum += b.Pilots
					}
					if sum != s.PilotStats.Total {
						t.Errorf("statuses add up to %d, total %d", sum, s.PilotStats.Total)
					}
				}
			}()
		}
		for n := range 3 {
			writers.Add(1)
			go func() {
				defer writers.Done()
				rnd := rand.New(rand.NewPCG(uint64(n), 17))
				for range 40 {
					q, vars := w.randomMutation(rnd)
					res := a.post(q, vars, bearer(token)...)
					writes.Add(1)
					for _, e := range res.Errors {
						// A removed lead is refused; anything else is a failure.
						if e.code() != "BAD_USER_INPUT" {
							t.Errorf("write %s: %+v", q, e)
						}
						refused.Add(1)
					}
				}
			}()
		}
		writers.Wait()
		close(stop)
		readers.Wait()
		t.Logf("%d writes (%d refused)", writes.Load(), refused.Load())
		checkKept(t, a)
	})
}

// TestPilotStatsKeptProperty: random sequences of writes through ent —
// either end of the pilot's edges, a municipality's population or region,
// deletions, transactions committed and rolled back, writes outside
// transactions — leave the kept counts (pilots, municipalities and
// population) equal to a recount from the rows.
func TestPilotStatsKeptProperty(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		ctx := auth.System(context.Background())
		if err := dataset.Generate(ctx, a.db.Client, dataset.Size{Pilots: 60, Networks: 4, Organizations: 4, Themes: 4}, 3); err != nil {
			t.Fatal(err)
		}
		w := newWriteWorld(t, a.db.Client)
		for seed := range uint64(6) {
			rnd := rand.New(rand.NewPCG(seed, 5))
			for range 25 {
				c, commit := a.db.Client, func() error { return nil }
				rollback := false
				if rnd.IntN(2) == 0 {
					tx, err := a.db.Client.Tx(ctx)
					if err != nil {
						t.Fatal(err)
					}
					c, commit, rollback = tx.Client(), tx.Commit, rnd.IntN(3) == 0
					if rollback {
						commit = tx.Rollback
					}
				}
				if err := randomEntWrite(ctx, c, w, rnd); err != nil {
					t.Fatalf("seed %d: %v", seed, err)
				}
				if err := commit(); err != nil {
					t.Fatal(err)
				}
			}
			if ids, err := a.db.Client.Pilot.Query().IDs(ctx); err == nil {
				w.pilots = ids
			}
			checkKept(t, a)
		}
	})
}

// randomEntWrite is one write of the kinds that move pilots between
// buckets, from the pilot's end or the other end of its edges.
func randomEntWrite(ctx context.Context, c *ent.Client, w *writeWorld, rnd *rand.Rand) error {
	one := func(ids []int) int { return ids[rnd.IntN(len(ids))] }
	p := one(w.pilots)
	exists, err := c.Pilot.Query().Where(pilot.ID(p)).Exist(ctx)
	if err != nil || !exists {
		return err
	}
	switch rnd.IntN(14) {
	case 0:
		m := one(w.munis)
		_, err := c.Pilot.Create().SetTitle("Uusi").SetStatus(pilot.Status(pilotStatuses[rnd.IntN(4)])).
			SetLeadMunicipalityID(m).AddMunicipalityIDs(m, one(w.munis)).AddThemeIDs(one(w.themes)).Save(ctx)
		return err
	case 1:
		return c.Pilot.UpdateOneID(p).SetStatus(pilot.Status(pilotStatuses[rnd.IntN(4)])).Exec(ctx)
	case 2:
		return c.Pilot.UpdateOneID(p).ClearStartsOn().ClearEndsOn().Exec(ctx)
	case 3:
		return c.Pilot.UpdateOneID(p).AddMunicipalityIDs(one(w.munis)).Exec(ctx)
	case 4:
		return c.Pilot.UpdateOneID(p).ClearLeadMunicipality().ClearMunicipalities().Exec(ctx)
	case 5:
		return c.Network.UpdateOneID(one(w.networks)).AddPilotIDs(p).Exec(ctx)
	case 6:
		return c.Theme.UpdateOneID(one(w.themes)).RemovePilotIDs(p).Exec(ctx)
	case 7:
		return c.Pilot.DeleteOneID(p).Exec(ctx)
	case 8: // the new lead joins the participants
		return c.Pilot.UpdateOneID(p).SetLeadMunicipalityID(one(w.munis)).Exec(ctx)
	case 9: // moves no pilot
		return c.Pilot.UpdateOneID(p).SetSummary("Muutettu").Exec(ctx)
	case 10: // moves the municipality's population in its buckets
		return c.Municipality.UpdateOneID(one(w.munis)).SetPopulation(rnd.IntN(100_000)).Exec(ctx)
	case 11: // moves the municipality, its pilots and its population to another region
		regions, err := c.Region.Query().IDs(ctx)
		if err != nil {
			return err
		}
		return c.Municipality.UpdateOneID(one(w.munis)).SetRegionID(one(regions)).Exec(ctx)
	case 12: // the end alone moves the pilot's ACTIVE_YEAR buckets
		return c.Pilot.UpdateOneID(p).SetEndsOn(time.Date(2030+rnd.IntN(5), 6, 1, 0, 0, 0, 0, time.UTC)).Exec(ctx)
	default:
		_, err := c.Pilot.Update().Where(pilot.StatusEQ(pilot.Status(pilotStatuses[rnd.IntN(4)]))).
			SetStatus(pilot.StatusACTIVE).Save(ctx)
		return err
	}
}

// TestSubregionCodesAreDigits: the kept counts join a municipality's
// values (ids, years, statuses, county kinds and its subregion code) with
// separators (",", ";", "=", "|", ":"), and they leave an empty code out
// where the exact statement groups by it; so the one value that is free
// text in the schema, the subregion code, must be digits: a code that is
// empty or holds a separator is refused with BAD_USER_INPUT, and the kept
// counts stay those a recount gives.
func TestSubregionCodesAreDigits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		ctx := auth.System(context.Background())
		if err := dataset.Generate(ctx, a.db.Client, dataset.Size{Pilots: 40, Networks: 3, Organizations: 3, Themes: 3}, 7); err != nil {
			t.Fatal(err)
		}
		id, err := a.db.Client.Municipality.Query().Where(municipality.HasPilots()).FirstID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, code := range []string{"", "1,2:3", "4:5,", "6|7", "8;9", "0=1", "x", "１２３"} {
			err := a.db.Client.Municipality.UpdateOneID(id).SetSubregionCode(code).Exec(ctx)
			if f, ok := fault.As(err); !ok || f.Code != fault.BadUserInput || f.Field != "subregionCode" {
				t.Errorf("subregion code %q: %v, want BAD_USER_INPUT on subregionCode", code, err)
			}
		}
		if err := a.db.Client.Municipality.UpdateOneID(id).SetSubregionCode("999").Exec(ctx); err != nil {
			t.Fatalf("subregion code of digits: %v", err)
		}
		checkKept(t, a)
	})
}
