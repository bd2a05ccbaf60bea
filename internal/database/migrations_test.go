package database_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"kokeilu/internal/database"
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

// TestInstancesMigrateTogether starts two instances on one empty database
// at the same moment: both start, and the migrations run once.
func TestInstancesMigrateTogether(t *testing.T) {
	requirePostgres(t)
	dsn := testdb.DSN(t, testdb.Postgres)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	dbs := make([]*database.DB, 2)
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
			t.Fatalf("instance %d: %v", i, err)
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
