// Package testdb gives tests a fresh database of each backend: SQLite in
// memory always, and PostgreSQL when KOKEILU_TEST_POSTGRES holds a DSN (each
// test gets its own database there, dropped afterwards, so runs never collide).
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"kokeilu/internal/database"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// Backend names a database kind that tests run on.
type Backend string

const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// Backends lists the backends available to this test run.
func Backends() []Backend {
	if os.Getenv("KOKEILU_TEST_POSTGRES") != "" {
		return []Backend{SQLite, Postgres}
	}
	return []Backend{SQLite}
}

// Each runs fn as a subtest on SQLite and on PostgreSQL; the latter is
// skipped, saying why, when KOKEILU_TEST_POSTGRES is not set.
func Each(t *testing.T, fn func(t *testing.T, b Backend)) {
	for _, b := range []Backend{SQLite, Postgres} {
		t.Run(string(b), func(t *testing.T) {
			if b == Postgres && os.Getenv("KOKEILU_TEST_POSTGRES") == "" {
				t.Skip("KOKEILU_TEST_POSTGRES is not set: no PostgreSQL run")
			}
			fn(t, b)
		})
	}
}

// DSN returns the DSN of a new, empty database of backend b that lives as
// long as the test.
func DSN(t testing.TB, b Backend) string {
	t.Helper()
	name := "kokeilu_test_" + randomHex(6)
	if b == SQLite {
		// A file, as in production: WAL and the busy timeout apply (an
		// in-memory shared cache would fail concurrent writers at once).
		return filepath.Join(t.TempDir(), name+".db")
	}
	base := os.Getenv("KOKEILU_TEST_POSTGRES")
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("KOKEILU_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Open opens a new database of backend b with its schema created.
func Open(t testing.TB, b Backend, opts ...database.Option) *database.DB {
	t.Helper()
	db, err := database.Open(context.Background(), DSN(t, b), opts...)
	if err != nil {
		t.Fatalf("open %s: %v", b, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToLower(hex.EncodeToString(b))
}
