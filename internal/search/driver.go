package search

import (
	"database/sql"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/mattn/go-sqlite3"
)

// SQLiteDriver is the database/sql driver name of SQLite with a Unicode
// lower(); internal/database opens SQLite with it.
const SQLiteDriver = "sqlite3_kokeilu"

func init() {
	sql.Register(SQLiteDriver, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
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
