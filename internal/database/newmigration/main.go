// Command newmigration writes the PostgreSQL migration that brings the
// committed migrations up to the ent schema:
//
//	go run ./internal/database/newmigration add_something
//
// It replays ent/migrate/migrations/postgres on a scratch database created
// on KOKEILU_DEV_POSTGRES (default: the local server) and writes the
// difference as a new file, updating atlas.sum. No file means no change.
package main

import (
	"context"
	"fmt"
	"os"

	"kokeilu/internal/database"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: newmigration NAME")
		os.Exit(2)
	}
	dev := os.Getenv("KOKEILU_DEV_POSTGRES")
	if dev == "" {
		dev = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	written, err := database.NewMigration(context.Background(), dev, "ent/migrate/migrations/postgres", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "newmigration:", err)
		os.Exit(1)
	}
	if written == "" {
		fmt.Println("the migrations match the schema: nothing to write")
		return
	}
	fmt.Println("wrote", written)
}
