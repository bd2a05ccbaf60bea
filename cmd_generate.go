package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"kokeilu/internal/auth"
	"kokeilu/internal/database"
	"kokeilu/internal/dataset"
	"kokeilu/internal/search"
	"kokeilu/internal/seed"
)

// generate is `kokeilu generate`: it fills the database of -dsn with a
// synthetic data set over the real municipalities (see internal/dataset),
// the same for the same -seed, printing progress to stderr.
func generate(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dsn := getenv("KOKEILU_DSN")
	if dsn == "" {
		dsn = "kokeilu.db"
	}
	fs.StringVar(&dsn, "dsn", dsn, "database to fill: a SQLite file path, sqlite://path or postgres://…")
	w := dataset.DefaultWorld
	fs.IntVar(&w.Pilots, "pilots", w.Pilots, "pilots")
	fs.IntVar(&w.Networks, "networks", w.Networks, "networks")
	fs.IntVar(&w.Organizations, "organizations", w.Organizations, "organisations")
	fs.IntVar(&w.Themes, "themes", w.Themes, "themes")
	fs.IntVar(&w.Links, "links", w.Links, "links between actors")
	fs.IntVar(&w.Workspaces, "workspaces", w.Workspaces, "workspaces (30% members-only)")
	fs.IntVar(&w.Discussions, "discussions", w.Discussions, "discussions")
	fs.IntVar(&w.Posts, "posts", w.Posts, "posts (at least one per discussion)")
	fs.IntVar(&w.Notices, "notices", w.Notices, "notices")
	fs.IntVar(&w.Users, "users", w.Users, "users (user1@example.org …, password "+dataset.Password+")")
	seedValue := fs.Uint64("seed", 1, "random seed: the same seed gives the same data set")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := checkDSN(dsn); err != nil {
		return err
	}
	start := time.Now()
	db, err := database.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	sys := auth.System(ctx)
	if err := seed.Reference(sys, db.Client); err != nil {
		return fmt.Errorf("reference data: %w", err)
	}
	hash, err := auth.HashPassword(dataset.Password)
	if err != nil {
		return err
	}
	last := time.Time{}
	progress := func(stage string, done, total int) {
		if now := time.Now(); done == total || now.Sub(last) > time.Second {
			last = now
			fmt.Fprintf(stderr, "%6.1fs  %-40s %7d / %d\n", time.Since(start).Seconds(), stage, done, total)
		}
	}
	// Rows are written without touching the search index, which is then
	// rebuilt once: far faster than a document per row.
	if err := dataset.GenerateWorld(search.WithoutIndexing(sys), db.Client, w, *seedValue, hash, progress); err != nil {
		return err
	}
	progress("search index", 0, 1)
	if err := db.Search.Rebuild(sys, db.Client); err != nil {
		return err
	}
	progress("search index", 1, 1)
	fmt.Fprintf(stderr, "generated in %s (%s)\n", time.Since(start).Round(time.Millisecond), db.Dialect)
	return nil
}
