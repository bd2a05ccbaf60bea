package database_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"

	"kokeilu/ent"
	"kokeilu/ent/migrate/migrations"
	"kokeilu/ent/municipality"
	_ "kokeilu/ent/runtime"
	"kokeilu/internal/auth"
	"kokeilu/internal/database"
	"kokeilu/internal/seed"
	"kokeilu/internal/testdb"
)

func requirePostgres(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("KOKEILU_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("set KOKEILU_TEST_POSTGRES to a PostgreSQL DSN to run the migration tests")
	}
	return dsn
}

// TestMigrationsMatchSchema fails when ent/schema changed without a new
// migration file: it computes the next migration on a scratch database.
func TestMigrationsMatchSchema(t *testing.T) {
	dev := requirePostgres(t)
	src := "../../ent/migrate/migrations/postgres"
	dir := t.TempDir()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	written, err := database.NewMigration(context.Background(), dev, dir, "drift")
	if err != nil {
		t.Fatal(err)
	}
	if written != "" {
		data, _ := os.ReadFile(filepath.Join(dir, written))
		t.Fatalf("ent/schema has changes without a migration; run `go run ./internal/database/newmigration NAME`:\n%s", data)
	}
}

// TestInstancesMigrateTogether starts four instances on one empty database
// at the same moment, in several rounds: all start, the migrations run
// once, and the start-up fills (sort keys, kept counts, search index) never
// collide (two instances once both wrote the kept counts' layout row).
func TestInstancesMigrateTogether(t *testing.T) {
	requirePostgres(t)
	for round := range 4 {
		dsn := testdb.DSN(t, testdb.Postgres)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		dbs := make([]*database.DB, len(errs))
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				dbs[i], errs[i] = database.Open(context.Background(), dsn)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, instance %d: %v", round, i, err)
			}
			defer dbs[i].Close()
		}
		var applied, files int
		if err := dbs[0].SQL.QueryRow("SELECT count(*) FROM kokeilu_migrations.revisions").Scan(&applied); err != nil {
			t.Fatal(err)
		}
		entries, _ := filepath.Glob("../../ent/migrate/migrations/postgres/*.sql")
		files = len(entries)
		if applied != files || files == 0 {
			t.Errorf("%d revisions recorded for %d migration files", applied, files)
		}
		// A restart applies nothing again.
		again, err := database.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		again.Close()
	}
}

// TestLeadsBecomeParticipants: a database from before the lead rule, with
// a pilot whose lead is no participant, gets the lead among the
// participants from its migration: on PostgreSQL the migration file (run
// here again on such data), on SQLite the start.
func TestLeadsBecomeParticipants(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := auth.System(context.Background())
		dsn := testdb.DSN(t, b)
		db, err := database.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { db.Close() }()
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		lead := db.Client.Municipality.Query().Where(municipality.Code("091")).OnlyX(ctx)
		other := db.Client.Municipality.Query().Where(municipality.Code("853")).OnlyX(ctx)
		p := db.Client.Pilot.Create().SetTitle("Led by Helsinki").SetLeadMunicipality(lead).AddMunicipalities(other).SaveX(ctx)
		// The state before the rule, written past the hooks.
		if _, err := db.Client.ExecContext(ctx, "DELETE FROM pilot_municipalities WHERE pilot_id = "+strconv.Itoa(p.ID)+
			" AND municipality_id = "+strconv.Itoa(lead.ID)); err != nil {
			t.Fatal(err)
		}
		participants := func() []string {
			return db.Client.Pilot.QueryMunicipalities(p).Order(ent.Asc(municipality.FieldCode)).
				Select(municipality.FieldCode).StringsX(ctx)
		}
		if got := participants(); !slices.Equal(got, []string{"853"}) {
			t.Fatalf("before: %v", got)
		}
		if b == testdb.Postgres {
			file, err := fs.ReadFile(migrations.Postgres, "postgres/20261130044000_lead_takes_part.sql")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Client.ExecContext(ctx, string(file)); err != nil {
				t.Fatal(err)
			}
		} else {
			db.Close()
			if db, err = database.Open(ctx, dsn); err != nil {
				t.Fatal(err)
			}
		}
		if got := participants(); !slices.Equal(got, []string{"091", "853"}) {
			t.Errorf("after the migration: %v, want [091 853]", got)
		}
	})
}
