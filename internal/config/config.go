// Package config reads Kokeilu's settings from flags and environment
// variables (flags win). Names are part of the operator's interface: the
// README's configuration table lists them.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// Config is the server's configuration.
type Config struct {
	Addr     string        // -addr / KOKEILU_ADDR
	DSN      string        // -dsn / KOKEILU_DSN
	Demo     bool          // -demo / KOKEILU_DEMO
	Origins  []string      // -origins / KOKEILU_ORIGINS, comma-separated
	LogLevel slog.Level    // -log-level / KOKEILU_LOG_LEVEL
	TokenTTL time.Duration // -token-ttl / KOKEILU_TOKEN_TTL
	Admins   []string      // -admins / KOKEILU_ADMINS: site administrators' emails

	DBMaxConns     int           // -db-max-conns / KOKEILU_DB_MAX_CONNS
	RequestTimeout time.Duration // -request-timeout / KOKEILU_REQUEST_TIMEOUT
	RateLimit      float64       // -rate-limit / KOKEILU_RATE_LIMIT: requests a second per client, 0 = off
	SocketsPerAddr int           // -sockets-per-address / KOKEILU_SOCKETS_PER_ADDRESS, 0 = no cap
	Introspection  bool          // -introspection / KOKEILU_INTROSPECTION
	Registered     string        // -registered-queries / KOKEILU_REGISTERED_QUERIES: a JSON file; only those run
	CacheTTL       time.Duration // -response-cache-ttl / KOKEILU_RESPONSE_CACHE_TTL: anonymous query cache, 0 = off
	ShutdownGrace  time.Duration // -shutdown-grace / KOKEILU_SHUTDOWN_GRACE: how long in-flight requests may finish on SIGTERM (0: 15 s)
}

// Help is the error Load returns for -h or -help: Text lists every flag
// with its default and its environment variable. errors.Is(err,
// flag.ErrHelp) holds for it.
type Help struct{ Text string }

func (h *Help) Error() string        { return h.Text }
func (h *Help) Is(target error) bool { return target == flag.ErrHelp }

// EnvName is the environment variable of a flag: KOKEILU_ and the flag's
// name in upper case, dashes as underscores (-db-max-conns:
// KOKEILU_DB_MAX_CONNS).
func EnvName(flagName string) string {
	return "KOKEILU_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Load parses args (without the program name) over the environment.
func Load(args []string, getenv func(string) string) (Config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	demoDefault, err := strconv.ParseBool(env("KOKEILU_DEMO", "true"))
	if err != nil {
		return Config{}, fmt.Errorf("KOKEILU_DEMO: %w", err)
	}
	var cfg Config
	var origins, level, admins string
	fs := flag.NewFlagSet("kokeilu", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the caller reports errors and help
	fs.StringVar(&cfg.Addr, "addr", env("KOKEILU_ADDR", ":8080"), "listen address")
	fs.StringVar(&cfg.DSN, "dsn", env("KOKEILU_DSN", "kokeilu.db"), "database: a SQLite file path, sqlite://path or postgres://…")
	fs.BoolVar(&cfg.Demo, "demo", demoDefault, "load the demo content on first start")
	fs.StringVar(&origins, "origins", env("KOKEILU_ORIGINS", ""), "allowed browser origins, comma-separated")
	fs.StringVar(&level, "log-level", env("KOKEILU_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	ttl, err := time.ParseDuration(env("KOKEILU_TOKEN_TTL", "720h"))
	if err != nil {
		return Config{}, fmt.Errorf("KOKEILU_TOKEN_TTL: %w", err)
	}
	fs.DurationVar(&cfg.TokenTTL, "token-ttl", ttl, "how long a sign-in lasts")
	fs.StringVar(&admins, "admins", env("KOKEILU_ADMINS", ""), "emails of site administrators, comma-separated")
	maxConns, err := strconv.Atoi(env("KOKEILU_DB_MAX_CONNS", "20"))
	if err != nil {
		return Config{}, fmt.Errorf("KOKEILU_DB_MAX_CONNS: %w", err)
	}
	fs.IntVar(&cfg.DBMaxConns, "db-max-conns", maxConns, "most open database connections (PostgreSQL)")
	timeout, err := time.ParseDuration(env("KOKEILU_REQUEST_TIMEOUT", "10s"))
	if err != nil {
		return Config{}, fmt.Errorf("KOKEILU_REQUEST_TIMEOUT: %w", err)
	}
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", timeout, "longest a query or mutation may take")
	cacheTTL, err := time.ParseDuration(env("KOKEILU_RESPONSE_CACHE_TTL", "30s"))
	if err != nil {
		return Config{}, fmt.Errorf("KOKEILU_RESPONSE_CACHE_TTL: %w", err)
	}
	grace, err := time.ParseDuration(env("KOKEILU_SHUTDOWN_GRACE", "15s"))
	if err != nil {
		return Config{}, fmt.Errorf("KOKEILU_SHUTDOWN_GRACE: %w", err)
	}
	fs.DurationVar(&cfg.ShutdownGrace, "shutdown-grace", grace, "how long in-flight requests (exports) may run on after SIGTERM before they are cut")
	fs.DurationVar(&cfg.CacheTTL, "response-cache-ttl", cacheTTL, "longest an anonymous query's answer is reused while no data changes; 0 turns the cache off")
	perSecond, err := strconv.ParseFloat(env("KOKEILU_RATE_LIMIT", "50"), 64)
	if err != nil {
		return Config{}, fmt.Errorf("KOKEILU_RATE_LIMIT: %w", err)
	}
	sockets, err := strconv.Atoi(env("KOKEILU_SOCKETS_PER_ADDRESS", "500"))
	if err != nil {
		return Config{}, fmt.Errorf("KOKEILU_SOCKETS_PER_ADDRESS: %w", err)
	}
	fs.IntVar(&cfg.SocketsPerAddr, "sockets-per-address", sockets, "most open WebSockets per client address; 0 is no cap")
	introspection, err := strconv.ParseBool(env("KOKEILU_INTROSPECTION", "true"))
	if err != nil {
		return Config{}, fmt.Errorf("KOKEILU_INTROSPECTION: %w", err)
	}
	fs.StringVar(&cfg.Registered, "registered-queries", env("KOKEILU_REGISTERED_QUERIES", ""), "JSON file of the only queries to run (array or object of query texts)")
	fs.BoolVar(&cfg.Introspection, "introspection", introspection, "answer introspection queries (GraphiQL needs them)")
	fs.Float64Var(&cfg.RateLimit, "rate-limit", perSecond, "requests a second per client address or account (bursts of twice that); 0 turns it off")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		var b strings.Builder
		fs.VisitAll(func(f *flag.Flag) {
			name, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(&b, "  -%s %s\n    \t%s (default %q; environment %s)\n", f.Name, name, usage, f.DefValue, EnvName(f.Name))
		})
		return Config{}, &Help{Text: b.String()}
	} else if err != nil {
		return Config{}, err
	}
	cfg.Origins = list(origins)
	cfg.Admins = list(admins)
	if cfg.TokenTTL <= 0 {
		return Config{}, fmt.Errorf("token TTL must be positive")
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return Config{}, fmt.Errorf("log level: %w", err)
	}
	return cfg, nil
}

// list splits a comma-separated setting.
func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
