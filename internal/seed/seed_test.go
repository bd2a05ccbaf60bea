package seed_test

import (
	"context"
	"testing"
	"time"

	"kokeilu/ent/municipality"
	"kokeilu/ent/pilot"
	_ "kokeilu/ent/runtime"
	"kokeilu/internal/auth"
	"kokeilu/internal/seed"
	"kokeilu/internal/slug"
	"kokeilu/internal/testdb"
)

func TestReferenceUpsertIsIdempotentAndUpdatesNames(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := auth.System(context.Background())
		c := testdb.Open(t, b).Client
		if err := seed.Reference(ctx, c); err != nil {
			t.Fatal(err)
		}
		helsinki := c.Municipality.Query().Where(municipality.Code("091")).OnlyX(ctx)
		// A name that differs from the CSV, as if the CSV had changed since.
		c.Municipality.UpdateOne(helsinki).SetNameFi("Old name").SetPopulation(1).ExecX(ctx)

		if err := seed.Reference(ctx, c); err != nil {
			t.Fatal(err)
		}
		if n := c.Municipality.Query().CountX(ctx); n != 308 {
			t.Errorf("%d municipalities after a second load", n)
		}
		if n := c.Region.Query().CountX(ctx); n != 19 {
			t.Errorf("%d regions", n)
		}
		if n := c.WellbeingCounty.Query().CountX(ctx); n != 23 {
			t.Errorf("%d wellbeing counties", n)
		}
		again := c.Municipality.Query().Where(municipality.Code("091")).WithRegion().WithWellbeingCounty().OnlyX(ctx)
		if again.ID != helsinki.ID || again.NameFi != "Helsinki" || again.Population != 664028 {
			t.Errorf("Helsinki after reload: id %d (was %d), %q, population %d", again.ID, helsinki.ID, again.NameFi, again.Population)
		}
		if again.Edges.Region.Code != "01" || again.Edges.WellbeingCounty.Code != "90" {
			t.Errorf("Helsinki in region %s, county %s", again.Edges.Region.Code, again.Edges.WellbeingCounty.Code)
		}
		// Codes stay text: "005" is not 5.
		if !c.Municipality.Query().Where(municipality.Code("005")).ExistX(ctx) {
			t.Error("municipality 005 (Alajärvi) missing")
		}
		// Tuusula has no administrative centre in the source: centroid used.
		tuusula := c.Municipality.Query().Where(municipality.Code("858")).OnlyX(ctx)
		if tuusula.Latitude == nil || *tuusula.Latitude < 60 || *tuusula.Latitude > 61 {
			t.Errorf("Tuusula latitude %v", tuusula.Latitude)
		}
	})
}

func TestDemoLoadsOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := auth.System(context.Background())
		c := testdb.Open(t, b).Client
		if err := seed.Reference(ctx, c); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
		loaded, err := seed.Demo(ctx, c, now)
		if err != nil || !loaded {
			t.Fatalf("first load: %v %v", loaded, err)
		}
		pilots := c.Pilot.Query().CountX(ctx)
		loaded, err = seed.Demo(ctx, c, now)
		if err != nil || loaded {
			t.Fatalf("second load: %v %v", loaded, err)
		}
		if n := c.Pilot.Query().CountX(ctx); n != pilots || n != 15 {
			t.Errorf("pilots: %d then %d, want 15", pilots, n)
		}
		hyvinvointi := c.Pilot.Query().Where(pilot.Slug("kuntakokeilu-2015-hyvinvointi")).OnlyX(ctx)
		if n := hyvinvointi.QueryMunicipalities().CountX(ctx); n != 33 {
			t.Errorf("kuntakokeilu-2015-hyvinvointi has %d municipalities, want 33", n)
		}
		if hyvinvointi.Status != pilot.StatusCOMPLETED || hyvinvointi.StartsOn.Format("2006-01-02") != "2015-01-05" {
			t.Errorf("status %s, starts %v", hyvinvointi.Status, hyvinvointi.StartsOn)
		}
		if n := hyvinvointi.QueryNetworks().CountX(ctx); n != 1 {
			t.Errorf("programme networks: %d", n)
		}
		helsinki := c.Pilot.Query().Where(pilot.Slug("kuntakokeilu-2021-helsinki")).OnlyX(ctx)
		if lead := helsinki.QueryLeadMunicipality().OnlyX(ctx); lead.Code != "091" {
			t.Errorf("lead municipality %s", lead.Code)
		}
		notices := c.Notice.Query().AllX(ctx)
		if len(notices) != 2 || notices[0].EventOn == nil || notices[0].EventOn.Format("2006-01-02") != "2015-12-02" {
			t.Errorf("notices: %+v", notices)
		}
	})
}

func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{
		"Työllisyyden kuntakokeilut 2021–2024 (laki 1269/2020)": "tyollisyyden-kuntakokeilut-2021-2024-laki-1269-2020",
		"social and health services":                            "social-and-health-services",
		"  Åland ":                                              "aland",
	} {
		if got := slug.Make(in); got != want {
			t.Errorf("slug.Make(%q) = %q, want %q", in, got, want)
		}
	}
}
