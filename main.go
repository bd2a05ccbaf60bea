// Command kokeilu serves the Kokeilu GraphQL API: `go run .` starts it on an
// embedded SQLite file with the reference data and demo content loaded.
// `kokeilu -h` lists the commands and settings.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	_ "kokeilu/ent/runtime" // ent hooks and policies
	"kokeilu/internal/config"
	"kokeilu/internal/database"
	"kokeilu/internal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// commands are kokeilu's subcommands; the first is the default.
var commands = []struct{ name, summary string }{
	{"serve", "serve GraphQL at /query and GraphiQL at / (the default)"},
	{"migrate", "create or update the database schema, then exit"},
	{"generate", "fill a database with a synthetic data set (kokeilu generate -h)"},
}

// cli runs kokeilu with args (without the program name) until ctx ends and
// returns the exit status: 0 done (or help), 1 failed, 2 bad usage.
func cli(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		usage(stdout, getenv)
		return 0
	}
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve", "migrate":
	case "generate":
		err := generate(ctx, args, getenv, stderr)
		switch {
		case errors.Is(err, flag.ErrHelp):
			return 0
		case err != nil:
			fmt.Fprintln(stderr, "kokeilu generate:", err)
			return 1
		}
		return 0
	default:
		fmt.Fprintf(stderr, "kokeilu: unknown command %q%s\nRun 'kokeilu -h' for the commands and settings.\n", cmd, suggest(cmd))
		return 2
	}
	cfg, err := config.Load(args, getenv)
	if errors.Is(err, flag.ErrHelp) {
		usage(stdout, getenv)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "kokeilu %s: %v\nRun 'kokeilu -h' for the commands and settings.\n", cmd, err)
		return 2
	}
	if err := checkDSN(cfg.DSN); err != nil {
		fmt.Fprintf(stderr, "kokeilu %s: %v\n", cmd, err)
		return 1
	}
	slog.SetDefault(slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})))
	if cmd == "migrate" {
		db, err := database.Open(ctx, cfg.DSN) // opening migrates
		if err != nil {
			slog.Error("migrate", "err", err)
			return 1
		}
		db.Close()
		slog.Info("schema up to date", "dialect", db.Dialect, "dsn", redactDSN(cfg.DSN))
		return 0
	}
	server.SetCollector(getenv)
	if err := run(ctx, cfg, nil); err != nil {
		slog.Error("kokeilu stopped", "err", err)
		return 1
	}
	return 0
}

// usage prints the commands and every setting with its environment
// variable.
func usage(w io.Writer, getenv func(string) string) {
	fmt.Fprintln(w, "Usage: kokeilu [command] [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nFlags of serve and migrate (flags win over environment variables):")
	_, err := config.Load([]string{"-h"}, getenv)
	var help *config.Help
	if errors.As(err, &help) {
		fmt.Fprint(w, help.Text)
	}
}

// suggest is ", did you mean …?" for the command closest to a mistyped
// one (at most two edits away), or "".
func suggest(typed string) string {
	best, bestDist := "", 3
	for _, c := range commands {
		if d := editDistance(typed, c.name); d < bestDist {
			best, bestDist = c.name, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// editDistance is the Levenshtein distance of a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
