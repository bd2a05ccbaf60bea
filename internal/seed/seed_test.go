package seed_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/municipality"
	"kokeilu/ent/network"
	"kokeilu/ent/organization"
	"kokeilu/ent/pilot"
	_ "kokeilu/ent/runtime"
	"kokeilu/ent/wellbeingcounty"
	"kokeilu/ent/workspace"
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
		// Kinds and English names reach a database that had none.
		c.WellbeingCounty.Update().SetKind(wellbeingcounty.KindCOUNTY).ClearNameEn().ExecX(ctx)
		if err := seed.Reference(ctx, c); err != nil {
			t.Fatal(err)
		}
		kinds := map[wellbeingcounty.Kind][]string{}
		for _, wc := range c.WellbeingCounty.Query().Order(ent.Asc(wellbeingcounty.FieldCode)).AllX(ctx) {
			kinds[wc.Kind] = append(kinds[wc.Kind], wc.Code)
			if wc.NameEn == "" {
				t.Errorf("county %s has no English name", wc.Code)
			}
		}
		if len(kinds[wellbeingcounty.KindCOUNTY]) != 21 || !slices.Equal(kinds[wellbeingcounty.KindHELSINKI], []string{"90"}) ||
			!slices.Equal(kinds[wellbeingcounty.KindALAND], []string{"91"}) {
			t.Errorf("kinds %v", kinds)
		}
		if wc := c.WellbeingCounty.Query().Where(wellbeingcounty.Code("08")).OnlyX(ctx); wc.NameEn != "Wellbeing services county of Pirkanmaa" {
			t.Errorf("08 in English: %q", wc.NameEn)
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
		c.Notice.Delete().ExecX(ctx) // what users change stays changed
		loaded, err = seed.Demo(ctx, c, now)
		if err != nil || loaded {
			t.Fatalf("second load: %v %v", loaded, err)
		}
		if n := c.Pilot.Query().CountX(ctx); n != pilots || n != 38 {
			t.Errorf("pilots: %d then %d, want 38", pilots, n)
		}
		if n := c.Notice.Query().CountX(ctx); n != 0 {
			t.Errorf("the second load wrote %d notices again", n)
		}
		ws := c.Workspace.Query().Where(workspace.Slug(seed.ProgrammeSlug)).OnlyX(ctx)
		if p := ws.QueryProjects().OnlyX(ctx); p.Slug != "kuntakokeilu-2015-hyvinvointi" {
			t.Errorf("workspace project %s", p.Slug)
		}
		hyvinvointi := c.Pilot.Query().Where(pilot.Slug("kuntakokeilu-2015-hyvinvointi")).OnlyX(ctx)
		if n := hyvinvointi.QueryMunicipalities().CountX(ctx); n != 33 {
			t.Errorf("kuntakokeilu-2015-hyvinvointi has %d municipalities, want 33", n)
		}
		if hyvinvointi.Status != pilot.StatusCOMPLETED || hyvinvointi.StartsOn.Format("2006-01-02") != "2015-01-05" {
			t.Errorf("status %s, starts %v", hyvinvointi.Status, hyvinvointi.StartsOn)
		}
		helsinki := c.Pilot.Query().Where(pilot.Slug("kuntakokeilu-2021-helsinki")).OnlyX(ctx)
		if lead := helsinki.QueryLeadMunicipality().OnlyX(ctx); lead.Code != "091" {
			t.Errorf("lead municipality %s", lead.Code)
		}
		notices := c.Workspace.Query().Where(workspace.Slug(seed.ProgrammeSlug)).QueryNetwork().QueryOrganizations().AllX(ctx)
		if len(notices) != 1 || notices[0].Slug != "kuntaliitto" {
			t.Errorf("programme organisations: %+v", notices)
		}
	})
}

// row is a row of pilots.csv as the test reads it, independently of seed.
type row struct {
	id, name, programme, start, end, lead, complete, source string
	codes, themes                                           []string
}

func readPilots(t *testing.T, path string) ([]row, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var rows []row
	for _, r := range recs[1:] {
		codes := strings.Fields(r[col["participating_municipality_codes"]])
		slices.Sort(codes)
		var themes []string
		for _, th := range strings.Split(r[col["theme"]], ";") {
			if th = strings.TrimSpace(th); th != "" {
				themes = append(themes, slug.Make(th))
			}
		}
		slices.Sort(themes)
		rows = append(rows, row{id: r[col["pilot_id"]], name: r[col["name"]], programme: r[col["programme"]],
			start: r[col["start_date"]], end: r[col["end_date"]], lead: r[col["lead_municipality_code"]],
			complete: r[col["participants_complete"]], source: r[col["source_url"]], codes: codes, themes: themes})
	}
	return rows, data
}

func dateOf(d *time.Time) string {
	if d == nil {
		return ""
	}
	return d.Format("2006-01-02")
}

// checkPilots compares every pilot of the file with the database.
func checkPilots(t *testing.T, ctx context.Context, c *ent.Client, rows []row) {
	t.Helper()
	for _, r := range rows {
		p, err := c.Pilot.Query().Where(pilot.Slug(r.id)).
			WithMunicipalities().WithThemes().WithNetworks().WithLeadMunicipality().Only(ctx)
		if err != nil {
			t.Errorf("pilot %s: %v", r.id, err)
			continue
		}
		var codes, themes []string
		for _, m := range p.Edges.Municipalities {
			codes = append(codes, m.Code)
		}
		for _, th := range p.Edges.Themes {
			themes = append(themes, th.Slug)
		}
		slices.Sort(codes)
		slices.Sort(themes)
		if !slices.Equal(codes, r.codes) {
			t.Errorf("%s: municipalities %v, file %v", r.id, codes, r.codes)
		}
		if !slices.Equal(themes, r.themes) {
			t.Errorf("%s: themes %v, file %v", r.id, themes, r.themes)
		}
		lead := ""
		if p.Edges.LeadMunicipality != nil {
			lead = p.Edges.LeadMunicipality.Code
		}
		complete := "n/a"
		if p.ParticipantsComplete != nil {
			complete = strconv.FormatBool(*p.ParticipantsComplete)
		}
		if !p.Reference || p.Title != r.name || p.SourceURL != r.source || lead != r.lead || complete != r.complete ||
			dateOf(p.StartsOn) != r.start || dateOf(p.EndsOn) != r.end {
			t.Errorf("%s: reference %v, %q, source %q, lead %q, complete %s, %s–%s; file %+v",
				r.id, p.Reference, p.Title, p.SourceURL, lead, complete, dateOf(p.StartsOn), dateOf(p.EndsOn), r)
		}
		if len(p.Edges.Networks) != 1 || p.Edges.Networks[0].Name != r.programme || p.Edges.Networks[0].Kind != network.KindPROGRAMME {
			t.Errorf("%s: networks %+v, want programme %q", r.id, p.Edges.Networks, r.programme)
		}
	}
}

func TestExperimentsOnAFreshDatabase(t *testing.T) {
	rows, _ := readPilots(t, "data/pilots.csv")
	if len(rows) != 38 {
		t.Fatalf("data/pilots.csv has %d rows", len(rows))
	}
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := auth.System(context.Background())
		c := testdb.Open(t, b).Client
		if err := seed.Reference(ctx, c); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
		ch, err := seed.Experiments(ctx, c, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(ch.Created) != 38 || len(ch.Updated) != 0 {
			t.Errorf("changes %+v", ch)
		}
		if n := c.Pilot.Query().Where(pilot.Reference(true)).CountX(ctx); n != 38 {
			t.Errorf("%d reference pilots", n)
		}
		checkPilots(t, ctx, c, rows)

		// One network per programme, with the programme's dates and participants.
		programmes := map[string][3]string{
			"kuntakokeilulaki-2015-2016-velvoitteiden-ja-ohjauksen-vahentaminen": {"2015-01-05", "2016-12-31", "55"},
			"alueelliset-tyollisyyskokeilut-2017-2018-laki-505-2017":             {"2017-08-01", "2018-12-31", "23"},
			"tyollisyyden-kuntakokeilut-2021-2024-laki-1269-2020":                {"2021-03-01", "2024-12-31", "117"},
			"perustulokokeilu-2017-2018":                                         {"2017-01-01", "2018-12-31", "0"},
		}
		nets := c.Network.Query().Where(network.KindEQ(network.KindPROGRAMME)).AllX(ctx)
		if len(nets) != len(programmes) {
			t.Errorf("%d programme networks, want %d", len(nets), len(programmes))
		}
		for _, n := range nets {
			want, ok := programmes[n.Slug]
			members := n.QueryMunicipalities().CountX(ctx)
			if !ok || dateOf(n.StartsOn) != want[0] || dateOf(n.EndsOn) != want[1] || strconv.Itoa(members) != want[2] {
				t.Errorf("network %s: %s–%s, %d members; want %v", n.Slug, dateOf(n.StartsOn), dateOf(n.EndsOn), members, want)
			}
		}
		pirkanmaa := c.Pilot.Query().Where(pilot.Slug("kuntakokeilu-2021-pirkanmaa")).OnlyX(ctx)
		if pirkanmaa.ParticipantsComplete == nil || *pirkanmaa.ParticipantsComplete {
			t.Errorf("Pirkanmaa's participants complete: %v", pirkanmaa.ParticipantsComplete)
		}
		if n := c.Organization.Query().Where(organization.Slug("kela")).QueryPilots().CountX(ctx); n != 2 {
			t.Errorf("Kela in %d pilots", n)
		}

		// A restart writes nothing.
		before := c.Pilot.Query().Where(pilot.Slug("kuntakokeilu-2021-turku")).OnlyX(ctx)
		ch, err = seed.Experiments(ctx, c, now)
		if err != nil || len(ch.Created)+len(ch.Updated) != 0 || ch.Unchanged != 38 {
			t.Errorf("second load: %+v, %v", ch, err)
		}
		after := c.Pilot.Query().Where(pilot.Slug("kuntakokeilu-2021-turku")).OnlyX(ctx)
		if !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Errorf("an unchanged pilot was written: updated %v, then %v", before.UpdatedAt, after.UpdatedAt)
		}
		if n := c.Pilot.Query().CountX(ctx); n != 38 {
			t.Errorf("%d pilots after a restart", n)
		}
		if n := c.Network.Query().CountX(ctx); n != len(programmes) {
			t.Errorf("%d networks after a restart", n)
		}
	})
}

// TestExperimentsUpgradeTheOld15: a database of the previous version, with
// its 15 demo pilots (no creator, not marked reference), gets the other 23;
// the 15 keep their ids and take the file's corrections.
func TestExperimentsUpgradeTheOld15(t *testing.T) {
	rows, _ := readPilots(t, "data/pilots.csv")
	_, old := readPilots(t, "testdata/pilots-15.csv")
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := auth.System(context.Background())
		c := testdb.Open(t, b).Client
		if err := seed.Reference(ctx, c); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
		if _, err := seed.ExperimentsFrom(ctx, c, old, now); err != nil {
			t.Fatal(err)
		}
		c.Pilot.Update().SetReference(false).ExecX(ctx) // as the old demo wrote them
		ids := map[string]int{}
		for _, p := range c.Pilot.Query().AllX(ctx) {
			ids[p.Slug] = p.ID
		}
		if len(ids) != 15 {
			t.Fatalf("%d old pilots", len(ids))
		}
		lappi := c.Pilot.Query().Where(pilot.Slug("tyollisyyskokeilu-2017-lappi")).OnlyX(ctx)
		if lappi.StartsOn != nil {
			t.Fatalf("old file gave a start date %v", lappi.StartsOn)
		}

		ch, err := seed.Experiments(ctx, c, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(ch.Created) != 23 || len(ch.Updated) != 15 || len(ch.Missing) != 0 {
			t.Errorf("changes %+v", ch)
		}
		if n := c.Pilot.Query().CountX(ctx); n != 38 {
			t.Errorf("%d pilots", n)
		}
		for s, id := range ids {
			if p := c.Pilot.Query().Where(pilot.Slug(s)).OnlyX(ctx); p.ID != id {
				t.Errorf("%s: id %d, was %d", s, p.ID, id)
			}
		}
		checkPilots(t, ctx, c, rows)
		if n := c.Network.Query().CountX(ctx); n != 4 {
			t.Errorf("%d networks", n)
		}
		if n := c.Theme.Query().CountX(ctx); n != 12 {
			t.Errorf("%d themes", n)
		}
	})
}

// TestExperimentsFollowTheFile: a changed row updates its pilot in place;
// a row the file no longer has is reported and left alone.
func TestExperimentsFollowTheFile(t *testing.T) {
	_, data := readPilots(t, "data/pilots.csv")
	changed := strings.Replace(string(data), "Työllisyyden kuntakokeilu – Porvoo,", "Porvoon työllisyyden kuntakokeilu,", 1)
	changed = strings.Replace(changed, ",078 710,", ",078,", 1)
	lines := strings.Split(changed, "\n")
	lines = slices.DeleteFunc(lines, func(l string) bool { return strings.HasPrefix(l, "perustulo-2017,") })
	changed = strings.Join(lines, "\n")
	if changed == string(data) || len(lines) != 39 { // header, 37 rows, final newline
		t.Fatalf("the test's edits did not apply (%d lines)", len(lines))
	}
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := auth.System(context.Background())
		c := testdb.Open(t, b).Client
		if err := seed.Reference(ctx, c); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
		if _, err := seed.Experiments(ctx, c, now); err != nil {
			t.Fatal(err)
		}
		porvoo := c.Pilot.Query().Where(pilot.Slug("kuntakokeilu-2021-porvoo")).OnlyX(ctx)

		ch, err := seed.ExperimentsFrom(ctx, c, []byte(changed), now)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ch.Updated, []string{"kuntakokeilu-2021-hanko-raasepori", "kuntakokeilu-2021-porvoo"}) &&
			!slices.Equal(ch.Updated, []string{"kuntakokeilu-2021-porvoo", "kuntakokeilu-2021-hanko-raasepori"}) {
			t.Errorf("updated %v", ch.Updated)
		}
		if !slices.Equal(ch.Missing, []string{"perustulo-2017"}) || len(ch.Created) != 0 || ch.Unchanged != 35 {
			t.Errorf("changes %+v", ch)
		}
		again := c.Pilot.Query().Where(pilot.Slug("kuntakokeilu-2021-porvoo")).OnlyX(ctx)
		if again.ID != porvoo.ID || again.Title != "Porvoon työllisyyden kuntakokeilu" {
			t.Errorf("Porvoo: id %d (was %d), %q", again.ID, porvoo.ID, again.Title)
		}
		codes := c.Pilot.Query().Where(pilot.Slug("kuntakokeilu-2021-hanko-raasepori")).QueryMunicipalities().
			Select(municipality.FieldCode).StringsX(ctx)
		if !slices.Equal(codes, []string{"078"}) {
			t.Errorf("Hanko-Raasepori's municipalities %v", codes)
		}
		if !c.Pilot.Query().Where(pilot.Slug("perustulo-2017"), pilot.Reference(true)).ExistX(ctx) {
			t.Error("the pilot the file no longer has was removed")
		}
		if n := c.Pilot.Query().CountX(ctx); n != 38 {
			t.Errorf("%d pilots", n)
		}
	})
}

// TestExperimentsLeadTakesPart: a row whose lead municipality is missing
// from its participants still gives a pilot the lead takes part in, and
// moving the lead elsewhere later takes the old one out of the
// participants without the lead rule refusing the update.
func TestExperimentsLeadTakesPart(t *testing.T) {
	_, data := readPilots(t, "data/pilots.csv")
	const row = ",2021-03-01,2024-12-31,638,638,true,"
	outside := strings.Replace(string(data), row, ",2021-03-01,2024-12-31,638,078,true,", 1)
	moved := strings.Replace(string(data), row, ",2021-03-01,2024-12-31,078,078,true,", 1)
	if outside == string(data) || moved == string(data) {
		t.Fatal("the test's edits did not apply")
	}
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := auth.System(context.Background())
		c := testdb.Open(t, b).Client
		if err := seed.Reference(ctx, c); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
		porvoo := func() (lead string, codes []string) {
			p := c.Pilot.Query().Where(pilot.Slug("kuntakokeilu-2021-porvoo")).WithLeadMunicipality().OnlyX(ctx)
			codes = p.QueryMunicipalities().Order(ent.Asc(municipality.FieldCode)).Select(municipality.FieldCode).StringsX(ctx)
			return p.Edges.LeadMunicipality.Code, codes
		}
		for _, step := range []struct {
			data  string
			lead  string
			codes []string
		}{
			{outside, "638", []string{"078", "638"}},
			{string(data), "638", []string{"638"}},
			{moved, "078", []string{"078"}},
			{outside, "638", []string{"078", "638"}},
			{outside, "638", []string{"078", "638"}}, // a restart
		} {
			if _, err := seed.ExperimentsFrom(ctx, c, []byte(step.data), now); err != nil {
				t.Fatal(err)
			}
			if lead, codes := porvoo(); lead != step.lead || !slices.Equal(codes, step.codes) {
				t.Errorf("lead %s, participants %v; want %s, %v", lead, codes, step.lead, step.codes)
			}
		}
		if _, err := seed.Demo(ctx, c, now); err != nil {
			t.Fatal(err)
		}
		for _, p := range c.Pilot.Query().Where(pilot.HasLeadMunicipality()).WithLeadMunicipality().AllX(ctx) {
			if !p.QueryMunicipalities().Where(municipality.ID(p.Edges.LeadMunicipality.ID)).ExistX(ctx) {
				t.Errorf("pilot %s: its lead %s is no participant", p.Slug, p.Edges.LeadMunicipality.Code)
			}
		}
	})
}

// TestExperimentsLeaveUsersPilotsAlone: a user's pilot that happens to have
// a slug of the file is not taken over.
func TestExperimentsLeaveUsersPilotsAlone(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := auth.System(context.Background())
		c := testdb.Open(t, b).Client
		if err := seed.Reference(ctx, c); err != nil {
			t.Fatal(err)
		}
		u := c.User.Create().SetEmail("liisa@example.fi").SetDisplayName("Liisa").SetPasswordHash("x").SaveX(ctx)
		c.Pilot.Create().SetSlug("kuntakokeilu-2021-espoo").SetTitle("Liisan kokeilu").SetCreatedBy(u).ExecX(ctx)
		ch, err := seed.Experiments(ctx, c, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ch.Skipped, []string{"kuntakokeilu-2021-espoo"}) || len(ch.Created) != 37 {
			t.Errorf("changes %+v", ch)
		}
		p := c.Pilot.Query().Where(pilot.Slug("kuntakokeilu-2021-espoo")).OnlyX(ctx)
		if p.Title != "Liisan kokeilu" || p.Reference {
			t.Errorf("the user's pilot became %q (reference %v)", p.Title, p.Reference)
		}
	})
}

// TestExperimentsOnInstancesStartingTogether: concurrent loads on one
// database (instances starting at once) all succeed and write each row once.
func TestExperimentsOnInstancesStartingTogether(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := auth.System(context.Background())
		c := testdb.Open(t, b).Client
		if err := seed.Reference(ctx, c); err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				_, err := seed.Experiments(ctx, c, time.Now())
				errs <- err
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		if n := c.Pilot.Query().CountX(ctx); n != 38 {
			t.Errorf("%d pilots", n)
		}
		if n := c.Network.Query().CountX(ctx); n != 4 {
			t.Errorf("%d networks", n)
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
