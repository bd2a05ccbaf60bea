package analytics_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"kokeilu/ent"
	"kokeilu/ent/pilot"
	"kokeilu/internal/analytics"
	"kokeilu/internal/auth"
	"kokeilu/internal/dataset"
	"kokeilu/internal/search"
	"kokeilu/internal/seed"
	"kokeilu/internal/testdb"
)

// TestHookWritesOnlyWhatMoved: a write that moves a pilot in no kept
// dimension writes no kept count and no facts; a new status writes at
// most two upserts of stat_buckets with bound values (the municipality
// rows, reading their counts back, then the others, reading nothing
// back), with only rows of families that have STATUS, as many left (−1)
// as entered (+1); and the counts kept write by write are those a rebuild
// makes.
func TestHookWritesOnlyWhatMoved(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		rec := &recorder{}
		db := testdb.Open(t, b, rec.option())
		ctx := search.WithoutIndexing(auth.System(context.Background()))
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		if err := dataset.Generate(ctx, db.Client, dataset.Size{Pilots: 40, Networks: 5, Organizations: 5, Themes: 6}, 3); err != nil {
			t.Fatal(err)
		}
		if err := analytics.Rebuild(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		p := db.Client.Pilot.Query().WithMunicipalities().Where(pilot.HasMunicipalities()).FirstX(ctx)
		write := func(fn func(c *ent.Client) error) (writes []stmt) {
			t.Helper()
			tx, err := db.Client.Tx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			rec.take()
			if err := fn(tx.Client()); err != nil {
				_ = tx.Rollback()
				t.Fatal(err)
			}
			for _, s := range rec.take() {
				verb := strings.ToUpper(strings.Fields(s.q)[0])
				if (verb == "INSERT" || verb == "UPDATE" || verb == "DELETE") && strings.Contains(s.q, "stat_") {
					writes = append(writes, s)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			return writes
		}

		if w := write(func(c *ent.Client) error { return c.Pilot.UpdateOne(p).SetTitle("Uusi nimi").Exec(ctx) }); len(w) > 0 {
			t.Errorf("a new title wrote %q", w)
		}
		// Reaches the sync (a participant edge), but nothing counted moves.
		if w := write(func(c *ent.Client) error {
			return c.Pilot.UpdateOne(p).SetStatus(p.Status).AddMunicipalityIDs(p.Edges.Municipalities[0].ID).Exec(ctx)
		}); len(w) > 0 {
			t.Errorf("the same status and participant wrote %q", w)
		}

		status := pilot.StatusACTIVE
		if p.Status == status {
			status = pilot.StatusCOMPLETED
		}
		w := write(func(c *ent.Client) error { return c.Pilot.UpdateOne(p).SetStatus(status).Exec(ctx) })
		var buckets []stmt
		for _, s := range w {
			if strings.Contains(s.q, "stat_buckets") {
				buckets = append(buckets, s)
			}
		}
		if len(buckets) == 0 || len(buckets) > 2 {
			t.Fatalf("a new status: %d statements on stat_buckets, want 1 or 2: %q", len(buckets), buckets)
		}
		left, entered := 0, 0
		for _, s := range buckets {
			if strings.Contains(s.q, "'") {
				t.Errorf("values written into the statement, not bound: %.200s", s.q)
			}
			// (dims, key, pilots), reading the municipality rows' counts
			// back; or (dims, key, pilots, municipalities, population).
			width := 5
			if strings.Contains(strings.ToUpper(s.q), "RETURNING") {
				width = 3
			}
			if len(s.args) == 0 || len(s.args)%width != 0 {
				t.Fatalf("%d values for rows of %d: %.200s", len(s.args), width, s.q)
			}
			for i := 0; i < len(s.args); i += width {
				dims, key := s.args[i].(string), s.args[i+1].(string)
				if width == 3 && !strings.HasPrefix(dims, "MUNICIPALITY") {
					t.Errorf("%s %s read back", dims, key)
				}
				if !strings.Contains(dims, "STATUS") {
					t.Errorf("a new status wrote %s %s", dims, key)
				}
				switch n := fmt.Sprint(s.args[i+2]); n {
				case "-1":
					left++
				case "1":
					entered++
				default:
					t.Errorf("%s %s: %s pilots", dims, key, n)
				}
			}
		}
		if left == 0 || left != entered {
			t.Errorf("a new status left %d rows and entered %d", left, entered)
		}

		// A few more moves, then: kept counts = rebuilt counts.
		write(func(c *ent.Client) error {
			return c.Pilot.UpdateOne(p).RemoveMunicipalityIDs(p.Edges.Municipalities[0].ID).Exec(ctx)
		})
		other := db.Client.Pilot.Query().Where(pilot.IDNEQ(p.ID)).FirstIDX(ctx)
		write(func(c *ent.Client) error { return c.Pilot.DeleteOneID(other).Exec(ctx) })
		kept := counts(t, ctx, db.Client)
		if err := analytics.Rebuild(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		if rebuilt := counts(t, ctx, db.Client); !maps.Equal(kept, rebuilt) {
			t.Errorf("kept %d buckets, rebuilt %d, or counts differ", len(kept), len(rebuilt))
		}
	})
}

// counts is every nonzero kept count but the layout row.
func counts(t *testing.T, ctx context.Context, c *ent.Client) map[string]int {
	t.Helper()
	rows, err := c.QueryContext(ctx, "SELECT dims, key, pilots FROM stat_buckets WHERE pilots <> 0")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var dims, key string
		var n int
		if err := rows.Scan(&dims, &key, &n); err != nil {
			t.Fatal(err)
		}
		out[dims+" "+key] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
