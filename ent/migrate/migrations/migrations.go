// Package migrations ships the versioned PostgreSQL migrations (Atlas
// format) inside the binary. Files are written by
// `go run ./internal/database/newmigration NAME` and applied at start.
package migrations

import "embed"

// Postgres holds postgres/*.sql and postgres/atlas.sum.
//
//go:embed postgres
var Postgres embed.FS
