package database

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// SQLState is the SQLSTATE of a PostgreSQL error in err's chain, or "".
func SQLState(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code
	}
	return ""
}

// RolledBack tells whether PostgreSQL rolled err's transaction back to
// break a deadlock between writers (40P01) or because a serializable
// transaction met a concurrent one (40001): the same work may succeed if
// it is run again.
func RolledBack(err error) bool {
	s := SQLState(err)
	return s == "40P01" || s == "40001"
}
