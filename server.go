// Command kokeilu serves the Kokeilu GraphQL API: `go run .` starts it on an
// embedded SQLite file with the reference data and demo content loaded.
package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	_ "kokeilu/ent/runtime" // ent hooks and policies
	"kokeilu/internal/config"
	"kokeilu/internal/database"
	"kokeilu/internal/seed"
	"kokeilu/internal/server"
)

func main() {
	cfg, err := config.FromOS()
	if err != nil {
		os.Exit(2)
	}
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel})))
	if err := run(cfg); err != nil {
		slog.Error("kokeilu stopped", "err", err)
		os.Exit(1)
	}
}

func run(cfg config.Config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := database.Open(ctx, cfg.DSN)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := seed.Reference(ctx, db.Client); err != nil {
		return err
	}
	if cfg.Demo {
		loaded, err := seed.Demo(ctx, db.Client, time.Now())
		if err != nil {
			return err
		}
		slog.Info("demo content", "loaded_now", loaded)
	}

	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           server.NewHandler(db, server.Options{Origins: cfg.Origins}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	slog.Info("serving GraphQL", "addr", cfg.Addr, "graphiql", "/", "endpoint", "/query", "dialect", db.Dialect)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// Finish in-flight requests, then close the database.
	slog.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
