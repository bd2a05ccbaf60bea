package database

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"

	"kokeilu/ent"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
)

// NewMigration writes the migration file (named name) that brings the
// directory dirPath up to the ent schema, computed on a scratch database
// created on the PostgreSQL server of devDSN and dropped afterwards. It
// returns the new file's name, or "" when nothing differs.
func NewMigration(ctx context.Context, devDSN, dirPath, name string) (string, error) {
	IndexForeignKeys()
	admin, err := sql.Open("pgx", devDSN)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	scratch := "kokeilu_dev_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+scratch); err != nil {
		return "", fmt.Errorf("create scratch database: %w", err)
	}
	defer admin.ExecContext(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+scratch+" WITH (FORCE)")
	u, err := url.Parse(devDSN)
	if err != nil {
		return "", err
	}
	u.Path = "/" + scratch
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		return "", err
	}
	defer db.Close()
	client := ent.NewClient(ent.Driver(entsql.OpenDB(dialect.Postgres, db)))

	dir, err := atlasmigrate.NewLocalDir(dirPath)
	if err != nil {
		return "", err
	}
	before, err := dir.Files()
	if err != nil {
		return "", err
	}
	err = client.Schema.NamedDiff(ctx, name,
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(dialect.Postgres),
		schema.WithFormatter(atlasmigrate.DefaultFormatter),
	)
	if err != nil {
		return "", err
	}
	after, err := dir.Files()
	if err != nil {
		return "", err
	}
	for _, f := range after {
		if !slices.ContainsFunc(before, func(b atlasmigrate.File) bool { return b.Name() == f.Name() }) {
			return f.Name(), nil
		}
	}
	return "", nil
}
