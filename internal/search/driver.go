package search

import (
	"database/sql"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/mattn/go-sqlite3"
)

// SQLiteDriver is the database/sql driver name of SQLite with a Unicode
// lower() and the file read through a memory map (up to 1 GiB, virtual
// address space, not memory); internal/database opens SQLite with it.
const SQLiteDriver = "sqlite3_kokeilu"

func init() {
	sql.Register(SQLiteDriver, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			// Reads from the map skip a system call and a copy per page
			// that is not in the connection's own 2 MB cache: a
			// dashboard request cost 6.5 cpu-ms without, 6.0 with
			// (BenchmarkDashboard, bench/dashboard).
			if _, err := c.Exec("PRAGMA mmap_size=1073741824", nil); err != nil {
				return err
			}
			// SQLite's own lower() folds ASCII alone, so ent's …Fold
			// filters (lower(column) LIKE lower-cased pattern) missed Ä,
			// Ö and Å; this one folds as Go does, after NFC, as
			// PostgreSQL's ILIKE matches.
			return c.RegisterFunc("lower", unicodeLower, true)
		},
	})
}

// unicodeLower is SQL lower() of text; NULL, numbers and blobs pass as
// they are.
func unicodeLower(v any) any {
	if s, ok := v.(string); ok {
		return strings.ToLower(norm.NFC.String(s))
	}
	return v
}
