package database_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"kokeilu/internal/auth"
	"kokeilu/internal/database"
)

// TestSQLitePathIsLiteral: a SQLite path is the file's name, whatever it
// holds. In the URI given to SQLite, "#" ended the name and "%41" was
// read as "A", so every test database under a subtest named "sqlite#01"
// was one file, /tmp/<test>sqlite, shared by every run (a fresh database
// held the users of an earlier run), and -dsn /data/a#1.db opened /data/a.
func TestSQLitePathIsLiteral(t *testing.T) {
	ctx := auth.System(context.Background())
	dir := t.TempDir()
	names := []string{"a#1/x%41.db", "a#2/x%41.db", "a/xA.db"}
	for i, name := range names {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		db, err := database.Open(ctx, path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if n := db.Client.Region.Query().CountX(ctx); n != 0 {
			t.Errorf("%s: a new database holds %d regions: it is another's file", name, n)
		}
		db.Client.Region.Create().SetCode("0" + string(rune('1'+i))).SetNameFi("Maakunta").SetNameSv("Landskap").SetNameEn("Region").ExecX(ctx)
		db.Close()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: the database is not at its path: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
		if entries, _ := os.ReadDir(filepath.Join(dir, "a")); len(entries) != 1 {
			t.Errorf("a/ holds %d files, want xA.db alone", len(entries))
		}
	}
}
