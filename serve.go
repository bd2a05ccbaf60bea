package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"kokeilu/internal/auth"
	"kokeilu/internal/config"
	"kokeilu/internal/cost"
	"kokeilu/internal/database"
	"kokeilu/internal/noticeboard"
	"kokeilu/internal/pubsub"
	"kokeilu/internal/seed"
	"kokeilu/internal/server"

	"entgo.io/ent/dialect"
)

// run serves until ctx ends, then finishes in-flight requests and returns.
// ready, if not nil, receives the listening address once requests are served.
func run(ctx context.Context, cfg config.Config, ready chan<- string) error {
	// The port first: a port in use is reported before minutes of
	// migrating and loading, and clients wait in the backlog meanwhile.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	slog.Info("listening; preparing the database", "addr", ln.Addr().String(), "dsn", redactDSN(cfg.DSN))
	db, err := database.OpenWith(ctx, cfg.DSN, database.Settings{MaxConns: cfg.DBMaxConns})
	if err != nil {
		return err
	}
	defer db.Close()
	accounts, err := auth.NewService(db.Client, cfg.TokenTTL, cfg.Admins)
	if err != nil {
		return err
	}
	if err := db.AtStartUp(ctx, func(ctx context.Context) error {
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
		return nil
	}); err != nil {
		return err
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

	var inFlight atomic.Int64 // requests being answered, for the shutdown log
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inFlight.Add(1)
			defer inFlight.Add(-1)
			handler.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	slog.Info("serving GraphQL", "addr", ln.Addr().String(), "graphiql", "/", "endpoint", "/query",
		"dialect", db.Dialect, "dsn", redactDSN(cfg.DSN), "origins", cfg.Origins,
		"request_timeout", cfg.RequestTimeout.String(), "rate_limit_per_s", cfg.RateLimit,
		"sockets_per_address", cfg.SocketsPerAddr, "db_max_conns", cfg.DBMaxConns,
		"response_cache_ttl", cfg.CacheTTL.String(), "introspection", cfg.Introspection,
		"registered_queries", len(registered), "shutdown_grace", cfg.ShutdownGrace.String(),
		"max_body_bytes", server.MaxBody, "cost_limits", fmt.Sprintf("%+v", cost.Default))
	if ready != nil {
		ready <- ln.Addr().String()
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	grace := cfg.ShutdownGrace
	if grace <= 0 {
		grace = 15 * time.Second
	}
	slog.Info("shutting down: closing subscriptions, finishing in-flight requests", "grace", grace.String(), "requests", inFlight.Load())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	handler.Shutdown(shutdownCtx)
	err = srv.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		// The grace period is over: what still runs (a long export) is
		// cut, and its client sees the response end early.
		slog.Warn("shutdown grace period over: cutting the requests still running",
			"grace", grace.String(), "requests", inFlight.Load())
		err = srv.Close()
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	slog.Info("stopped")
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
