// Command kokeilu serves the Kokeilu GraphQL API: `go run .` starts it on an
// embedded SQLite file with the reference data and demo content loaded.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	_ "kokeilu/ent/runtime" // ent hooks and policies
	"kokeilu/internal/auth"
	"kokeilu/internal/config"
	"kokeilu/internal/database"
	"kokeilu/internal/noticeboard"
	"kokeilu/internal/pubsub"
	"kokeilu/internal/seed"
	"kokeilu/internal/server"

	"entgo.io/ent/dialect"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "generate" { // `kokeilu generate`: fill a database with synthetic data
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		runGenerate(ctx, args[1:])
		return
	}
	migrateOnly := len(args) > 0 && args[0] == "migrate" // `kokeilu migrate`: apply migrations and exit
	if migrateOnly {
		args = args[1:]
	}
	cfg, err := config.Load(args, os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel})))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if migrateOnly {
		db, err := database.Open(ctx, cfg.DSN) // opening migrates
		if err != nil {
			slog.Error("migrate", "err", err)
			os.Exit(1)
		}
		db.Close()
		slog.Info("schema up to date", "dialect", db.Dialect)
		return
	}
	if err := run(ctx, cfg, nil); err != nil {
		slog.Error("kokeilu stopped", "err", err)
		os.Exit(1)
	}
}

// run serves until ctx ends, then finishes in-flight requests and returns.
// ready, if not nil, receives the listening address once requests are served.
func run(ctx context.Context, cfg config.Config, ready chan<- string) error {
	db, err := database.OpenWith(ctx, cfg.DSN, database.Settings{MaxConns: cfg.DBMaxConns})
	if err != nil {
		return err
	}
	defer db.Close()
	accounts, err := auth.NewService(db.Client, cfg.TokenTTL, cfg.Admins)
	if err != nil {
		return err
	}
	if err := accounts.SyncAdmins(ctx); err != nil {
		return fmt.Errorf("site administrators: %w", err)
	}
	if err := seed.Reference(ctx, db.Client); err != nil {
		return fmt.Errorf("load reference data: %w", err)
	}
	if _, err := seed.Experiments(ctx, db.Client, time.Now()); err != nil {
		return fmt.Errorf("load the verified experiments: %w", err)
	}
	if cfg.Demo {
		loaded, err := seed.Demo(ctx, db.Client, time.Now())
		if err != nil {
			return fmt.Errorf("load demo content: %w", err)
		}
		slog.Info("demo content", "loaded_now", loaded)
	}

	broker, err := newBroker(ctx, db)
	if err != nil {
		return fmt.Errorf("notice broker: %w", err)
	}
	board := noticeboard.New(db.Client, broker)
	defer board.Close()
	var registered map[string]string
	if cfg.Registered != "" {
		if registered, err = server.LoadRegisteredQueries(cfg.Registered); err != nil {
			return err
		}
	}
	checks := map[string]func() error{}
	if l, ok := broker.(interface{ Healthy() error }); ok {
		checks["notice listener"] = l.Healthy
	}
	handler := server.NewHandler(db, server.Options{RegisteredQueries: registered, Origins: cfg.Origins, Accounts: accounts, Board: board, RequestTimeout: cfg.RequestTimeout, Checks: checks,
		RateLimit:         server.RateLimit{PerSecond: cfg.RateLimit, Burst: int(2 * cfg.RateLimit)},
		SocketsPerAddress: cfg.SocketsPerAddr, NoIntrospection: !cfg.Introspection, ResponseCacheTTL: cfg.CacheTTL})

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	slog.Info("serving GraphQL", "addr", ln.Addr().String(), "graphiql", "/", "endpoint", "/query", "dialect", db.Dialect)
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down: closing subscriptions, finishing in-flight requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	handler.Shutdown(shutdownCtx)
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newBroker picks how notices travel: in process on SQLite; on PostgreSQL
// through LISTEN/NOTIFY, so every instance on the database gets them.
func newBroker(ctx context.Context, db *database.DB) (pubsub.Broker, error) {
	if db.Dialect != dialect.Postgres {
		return pubsub.NewMemory(), nil
	}
	newest, err := noticeboard.NewestID(ctx, db.Client)
	if err != nil {
		return nil, err
	}
	broker := pubsub.NewPostgres(ctx, db.DSN, db.SQL, newest, noticeboard.Missed(db.Client))
	readyCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return broker, broker.Ready(readyCtx)
}
