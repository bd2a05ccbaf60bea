// Command dashboard measures the dashboard queries over HTTP on the 20,000
// pilot data set, next to the same answers computed by hand-written SQL
// straight on the database in the same run: requests/s and p50/p99 per
// query under a closed loop of concurrent clients, and the server's SQL
// statements per request. The load generator, the server and the database
// share the machine.
//
//	go run ./bench/dashboard -backend sqlite
//	go run ./bench/dashboard -backend postgres -dsn postgres://postgres@127.0.0.1:5432/bench?sslmode=disable
//
// With -binary it measures a built server's own process instead: CPU time
// per dashboard request under each GOGC of -gogc, next to the
// hand-written SQL's (measureProcess):
//
//	go build -o /tmp/kokeilu . && go run ./bench/dashboard -binary /tmp/kokeilu -first 50
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"kokeilu/ent/pilot"
	_ "kokeilu/ent/runtime"
	"kokeilu/internal/auth"
	"kokeilu/internal/database"
	"kokeilu/internal/dataset"
	"kokeilu/internal/seed"
	"kokeilu/internal/server"
)

// dashboardQuery is the dashboard query of the foundation issue
// (internal/server/dashboard_test.go).
const dashboardQuery = `query Dashboard($n: Int!) {
  pilots(first: $n, orderBy: [{field: STARTS_ON, direction: DESC}]) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id title status startsOn endsOn
      leadMunicipality { code name region { code name } }
      municipalities(first: 10) { totalCount nodes { code name } }
      networks { totalCount nodes { name kind } }
    }
  }
}`

const statsQuery = `query Stats { pilotStats(groupBy: [REGION, STATUS]) { total buckets { keys { code name } pilots municipalities population } } }`

const mapQuery = `query Map { regions(first: 100) { nodes { code name pilots(where: {status: ACTIVE}) { totalCount } } } }`

func main() {
	server.SetCollector(os.Getenv) // as the binary runs
	backend := flag.String("backend", "sqlite", "sqlite or postgres")
	dsn := flag.String("dsn", "", "database (default: a SQLite file in the temporary directory); reused when it holds the data set")
	workers := flag.Int("c", 16, "concurrent clients")
	seconds := flag.Float64("seconds", 5, "length of each measurement")
	first := flag.Int("first", 20, "page size of the dashboard query")
	binary := flag.String("binary", "", "a kokeilu binary: measure its process's CPU time per dashboard request instead (SQLite)")
	gogc := flag.String("gogc", ",100", "with -binary: the GOGC settings to run it with, comma-separated (empty: its default)")
	requests := flag.Int("n", 2000, "with -binary: sequential requests per setting")
	flag.IntVar(&size.Pilots, "pilots", size.Pilots, "pilots of the generated data set")
	flag.Parse()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if *dsn == "" {
		if *backend != "sqlite" {
			fmt.Fprintln(os.Stderr, "dashboard: -dsn postgres://… is needed for postgres")
			os.Exit(2)
		}
		*dsn = filepath.Join(os.TempDir(), "kokeilu-bench-dashboard.db")
		if size.Pilots != dataset.Default.Pilots {
			*dsn = filepath.Join(os.TempDir(), fmt.Sprintf("kokeilu-bench-dashboard-%d.db", size.Pilots))
		}
	}
	if *binary != "" {
		if err := runProcess(*binary, *dsn, *first, *requests, strings.Split(*gogc, ",")); err != nil {
			fmt.Fprintln(os.Stderr, "dashboard:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(*dsn, *workers, time.Duration(*seconds*float64(time.Second)), *first); err != nil {
		fmt.Fprintln(os.Stderr, "dashboard:", err)
		os.Exit(1)
	}
}

// runProcess loads the data set into dsn and measures the binary on it
// (measureProcess).
func runProcess(binary, dsn string, first, n int, gogcs []string) error {
	ctx := context.Background()
	db, err := database.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := load(ctx, db); err != nil {
		return err
	}
	return measureProcess(ctx, binary, dsn, newRawQueries(db.SQL, db.Dialect), first, n, gogcs)
}

func run(dsn string, workers int, d time.Duration, first int) error {
	ctx := context.Background()
	var statements atomic.Int64
	db, err := database.Open(ctx, dsn, database.CountStatements(&statements))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := load(ctx, db); err != nil {
		return err
	}
	accounts, err := auth.NewService(db.Client, 0, nil)
	if err != nil {
		return err
	}
	// The same server twice, without and with the response cache; no rate
	// limit on either.
	url, stop, err := serve(server.NewHandler(db, server.Options{Accounts: accounts}))
	if err != nil {
		return err
	}
	defer stop()
	cachedURL, stopCached, err := serve(server.NewHandler(db, server.Options{Accounts: accounts, ResponseCacheTTL: time.Minute}))
	if err != nil {
		return err
	}
	defer stopCached()

	raw := newRawQueries(db.SQL, db.Dialect)
	cases := []struct {
		name  string
		query string
		vars  map[string]any
		raw   func(context.Context) ([]byte, error)
	}{
		{fmt.Sprintf("dashboard (first %d)", first), dashboardQuery, map[string]any{"n": first}, func(ctx context.Context) ([]byte, error) { return raw.dashboard(ctx, first) }},
		{"pilotStats region × status", statsQuery, nil, raw.stats},
		{"map: 19 regions' ACTIVE counts", mapQuery, nil, raw.regionCounts},
	}
	fmt.Printf("backend %s, %d pilots, %d concurrent clients, %v per measurement, GOMAXPROCS %d\n",
		db.Dialect, size.Pilots, workers, d, runtimeProcs())
	fmt.Printf("%-32s | %9s %8s %8s | %9s %8s %8s | %9s %8s %8s | %6s %6s | %s\n", "query", "server/s", "p50", "p99",
		"cached/s", "p50", "p99", "raw SQL/s", "p50", "p99", "ratio", "cached", "statements/request")
	for _, c := range cases {
		body, _ := json.Marshal(map[string]any{"query": c.query, "variables": c.vars})
		if err := check(url, body); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		before := statements.Load()
		if err := check(url, body); err != nil {
			return err
		}
		perRequest := statements.Load() - before
		srvRate, srvLat, err := closedLoop(workers, d, func() error { return post(url, body) })
		if err != nil {
			return fmt.Errorf("%s over HTTP: %w", c.name, err)
		}
		if err := check(cachedURL, body); err != nil { // fills the cache
			return err
		}
		cachedRate, cachedLat, err := closedLoop(workers, d, func() error { return post(cachedURL, body) })
		if err != nil {
			return fmt.Errorf("%s over HTTP, cached: %w", c.name, err)
		}
		rawRate, rawLat, err := closedLoop(workers, d, func() error { _, err := c.raw(ctx); return err })
		if err != nil {
			return fmt.Errorf("%s in SQL: %w", c.name, err)
		}
		fmt.Printf("%-32s | %9.0f %8s %8s | %9.0f %8s %8s | %9.0f %8s %8s | %5.0f%% %5.0f%% | %d\n", c.name,
			srvRate, ms(pct(srvLat, .5)), ms(pct(srvLat, .99)), cachedRate, ms(pct(cachedLat, .5)), ms(pct(cachedLat, .99)),
			rawRate, ms(pct(rawLat, .5)), ms(pct(rawLat, .99)), 100*srvRate/rawRate, 100*cachedRate/rawRate, perRequest)
	}
	return nil
}

// serve runs h on a loopback port and returns its /query URL.
func serve(h http.Handler) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	return "http://" + l.Addr().String() + "/query", func() { srv.Close() }, nil
}

// size is the generated data set: 20,000 pilots unless -pilots says.
var size = dataset.Default

// load adds the reference data and the generated data set (size) unless
// the database already holds them.
func load(ctx context.Context, db *database.DB) error {
	ctx = auth.System(ctx)
	if err := seed.Reference(ctx, db.Client); err != nil {
		return err
	}
	// The server adds the verified experiments (reference pilots) when it
	// starts (-binary runs it on this database): they are not counted.
	n, err := db.Client.Pilot.Query().Where(pilot.Reference(false)).Count(ctx)
	if err != nil || n == size.Pilots {
		return err
	}
	if n != 0 {
		return fmt.Errorf("the database holds %d pilots besides the verified experiments; give an empty one", n)
	}
	start := time.Now()
	if err := dataset.Generate(ctx, db.Client, size, 1); err != nil {
		return err
	}
	fmt.Printf("generated %d pilots in %v\n", size.Pilots, time.Since(start).Round(time.Second))
	return nil
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1024}}

func post(url string, body []byte) error {
	res, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK || bytes.HasPrefix(data, []byte(`{"errors"`)) {
		return fmt.Errorf("HTTP %d: %.200s", res.StatusCode, data)
	}
	return nil
}

// check makes sure a query answers without errors.
func check(url string, body []byte) error {
	res, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	var out struct {
		Errors []json.RawMessage `json:"errors"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return err
	}
	if len(out.Errors) > 0 {
		return fmt.Errorf("errors: %s", out.Errors)
	}
	return nil
}

// closedLoop runs do from workers goroutines for d and returns requests/s
// and the latencies.
func closedLoop(workers int, d time.Duration, do func() error) (float64, []time.Duration, error) {
	var (
		mu   sync.Mutex
		lat  []time.Duration
		errs atomic.Int64
		last atomic.Value
		wg   sync.WaitGroup
	)
	// A short warm-up fills pools and caches.
	warm := time.Now().Add(d / 10)
	for time.Now().Before(warm) {
		_ = do()
	}
	start := time.Now()
	end := start.Add(d)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(end) {
				t := time.Now()
				if err := do(); err != nil {
					errs.Add(1)
					last.Store(err)
					continue
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if n := errs.Load(); n > 0 {
		return 0, nil, fmt.Errorf("%d failed, e.g. %v", n, last.Load())
	}
	slices.Sort(lat)
	return float64(len(lat)) / time.Since(start).Seconds(), lat, nil
}

func pct(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	return lat[int(float64(len(lat)-1)*p)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

var errEmpty = errors.New("no rows")

// rawQueries answer the same questions with hand-written SQL on the pool,
// encoded as JSON like the server's answers.
type rawQueries struct {
	db      *sql.DB
	dialect string
	stmts   *sync.Map     // text → *sql.Stmt (newRawQueries)
	rtt     time.Duration // waited before each statement of dashboard (BenchmarkDashboard)
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
