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

// TestParseSQLite: where a DSN points is where SQLite opens, for the
// forms a hostile review tried; the start-up check goes by the same.
func TestParseSQLite(t *testing.T) {
	for dsn, want := range map[string]string{
		"/d/a#1.db":                        "/d/a#1.db",
		"/d/x%41.db?_busy_timeout=10":      "/d/x%41.db",
		"//d/dbl.db":                       "//d/dbl.db",
		"sqlite:////d/four.db":             "//d/four.db",
		"SQLITE:///d/up.db":                "/d/up.db",
		"sqlite://rel/s.db":                "rel/s.db",
		"rel/r.db":                         "rel/r.db",
		"/d/sp ace/ä.db":                   "/d/sp ace/ä.db",
		"file:/d/sp%20ace/f.db":            "/d/sp ace/f.db",
		"file:/d/p%41/y.db":                "/d/pA/y.db",
		"file:/d/h#1/z.db":                 "/d/h",
		"file:///d/u.db?cache=shared":      "/d/u.db",
		"file://localhost/d/lh.db":         "/d/lh.db",
		"file:rel/c.db?cache=shared":       "rel/c.db",
		"sqlite://file:rel/sf.db":          "rel/sf.db",
		"file::memory:?cache=shared":       ":memory:",
		"/d/m.db?mode=memory&cache=shared": "/d/m.db",
		":memory:":                         "error",
		"/d/m.db?mode=memory":              "error",
		"":                                 "error",
		"sqlite://":                        "error",
		"/d/we?ird.db":                     "error",
		"file://db.example/k.db":           "error",
	} {
		f, err := database.ParseSQLite(dsn)
		got := f.Path
		if err != nil {
			got = "error"
		}
		if got != want {
			t.Errorf("%q: %q (%v), want %q", dsn, got, err, want)
		}
	}
}

// TestSQLiteURIOpensThePath: paths SQLite read as a host (//d/x.db, and
// sqlite:////d/x.db) open their file.
func TestSQLiteURIOpensThePath(t *testing.T) {
	dir := t.TempDir()
	for _, dsn := range []string{"/" + filepath.Join(dir, "dbl.db"), "sqlite:///" + filepath.Join(dir, "four.db")} {
		db, err := database.Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("%s: %v", dsn, err)
		}
		db.Close()
	}
	for _, name := range []string{"dbl.db", "four.db"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
}
