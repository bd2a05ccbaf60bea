// Command stats measures pilotStats (groupings of one, two and three
// dimensions) and the map layer (19 regions' counts under a status filter)
// over HTTP, uncached, one client, on generated data sets of two sizes side
// by side, next to hand-written SQL that counts the same pilots straight
// from the rows in the same run. The kept counts (internal/analytics)
// should make the server's cost follow the buckets, not the pilots.
//
//	go run ./bench/stats -backend sqlite
//	go run ./bench/stats -backend postgres -dsn 'postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable'
//
// The data sets are generated once and kept (SQLite: files in the
// temporary directory; PostgreSQL: databases <dsn's database>_bench_stats_N,
// or kokeilu_bench_stats_N for the database postgres).
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/pilot"
	_ "kokeilu/ent/runtime"
	"kokeilu/internal/analytics"
	"kokeilu/internal/auth"
	"kokeilu/internal/database"
	"kokeilu/internal/dataset"
	"kokeilu/internal/search"
	"kokeilu/internal/seed"
	"kokeilu/internal/server"

	_ "github.com/jackc/pgx/v5/stdlib"
)

const statsQuery = `query($g: [PilotDimension!]!) { pilotStats(groupBy: $g) { total buckets { keys { code name } pilots municipalities population } } }`

// pilotsQuery asks only the pilots of each bucket (a chart of counts).
const pilotsQuery = `query($g: [PilotDimension!]!) { pilotStats(groupBy: $g) { total buckets { keys { code name } pilots } } }`

const mapQuery = `{ regions(first: 100) { nodes { code name pilots(where: {status: ACTIVE}) { totalCount } } } }`

// A case is one request and the hand-written SQL that counts its pilots.
type benchCase struct {
	name string
	body []byte
	sql  string
	// The analytics.Count call the request makes.
	where *ent.PilotWhereInput
	dims  []analytics.Dimension
	areas bool
}

func statsCase(name string, sqlText string, dims ...string) benchCase {
	body, _ := json.Marshal(map[string]any{"query": statsQuery, "variables": map[string]any{"g": dims}})
	return benchCase{name: name, body: body, sql: sqlText, dims: dimensions(dims), areas: true}
}

func pilotsCase(name string, sqlText string, dims ...string) benchCase {
	body, _ := json.Marshal(map[string]any{"query": pilotsQuery, "variables": map[string]any{"g": dims}})
	return benchCase{name: name, body: body, sql: sqlText, dims: dimensions(dims)}
}

func dimensions(names []string) []analytics.Dimension {
	out := make([]analytics.Dimension, len(names))
	for i, n := range names {
		out[i] = analytics.Dimension(n)
	}
	return out
}

// The baselines count distinct pilots per bucket from the rows (pilot
// counts only: no municipalities or population).
const (
	area = ` FROM pilots p JOIN pilot_municipalities pm ON pm.pilot_id = p.id JOIN municipalities m ON m.id = pm.municipality_id JOIN regions r ON r.id = m.region_municipalities`
)

// activeYears is hand-written SQL for THEME × ACTIVE_YEAR: every year
// from a pilot's start to its end, or to this year when it has none.
func activeYears(backend string) string {
	year := func(c string) string { return "CAST(substr(" + c + ", 1, 4) AS INTEGER)" }
	greatest := "MAX"
	if backend == "postgres" {
		year = func(c string) string { return "CAST(EXTRACT(YEAR FROM " + c + ") AS INTEGER)" }
		greatest = "GREATEST"
	}
	now := strconv.Itoa(time.Now().Year())
	return `WITH RECURSIVE y(y) AS (SELECT 1990 UNION ALL SELECT y + 1 FROM y WHERE y < 2100)
		SELECT pt.theme_id, y.y, COUNT(*) FROM pilots p JOIN pilot_themes pt ON pt.pilot_id = p.id
		JOIN y ON y.y BETWEEN ` + year("p.starts_on") + ` AND COALESCE(` + year("p.ends_on") + `, ` + greatest + `(` + now + `, ` + year("p.starts_on") + `))
		GROUP BY pt.theme_id, y.y`
}

func cases(backend string) []benchCase {
	mapBody, _ := json.Marshal(map[string]any{"query": mapQuery})
	active := pilot.StatusACTIVE
	return []benchCase{
		{name: "map: 19 regions, ACTIVE", body: mapBody, sql: `SELECT r.code, COUNT(DISTINCT p.id)` + area + ` WHERE p.status = 'ACTIVE' GROUP BY r.code`,
			where: &ent.PilotWhereInput{Status: &active}, dims: []analytics.Dimension{analytics.Region}},
		statsCase("1 dim: REGION", `SELECT r.code, COUNT(DISTINCT p.id)`+area+` GROUP BY r.code`, "REGION"),
		statsCase("1 dim: THEME", `SELECT pt.theme_id, COUNT(*) FROM pilot_themes pt GROUP BY pt.theme_id`, "THEME"),
		statsCase("1 dim: NETWORK", `SELECT np.network_id, COUNT(*) FROM network_pilots np GROUP BY np.network_id`, "NETWORK"),
		statsCase("2 dims: REGION × STATUS", `SELECT r.code, p.status, COUNT(DISTINCT p.id)`+area+` GROUP BY r.code, p.status`, "REGION", "STATUS"),
		statsCase("2 dims: MUNICIPALITY × THEME", `SELECT pm.municipality_id, pt.theme_id, COUNT(*) FROM pilot_municipalities pm JOIN pilot_themes pt ON pt.pilot_id = pm.pilot_id GROUP BY pm.municipality_id, pt.theme_id`, "MUNICIPALITY", "THEME"),
		statsCase("2 dims: SUBREGION × NETWORK", `SELECT m.subregion_code, np.network_id, COUNT(DISTINCT p.id) FROM pilots p JOIN pilot_municipalities pm ON pm.pilot_id = p.id JOIN municipalities m ON m.id = pm.municipality_id JOIN network_pilots np ON np.pilot_id = p.id GROUP BY m.subregion_code, np.network_id`, "SUBREGION", "NETWORK"),
		statsCase("2 dims: MUNICIPALITY × NETWORK", `SELECT pm.municipality_id, np.network_id, COUNT(*) FROM pilot_municipalities pm JOIN network_pilots np ON np.pilot_id = pm.pilot_id GROUP BY pm.municipality_id, np.network_id`, "MUNICIPALITY", "NETWORK"),
		pilotsCase("2 dims: THEME × NETWORK (pilots)", `SELECT pt.theme_id, np.network_id, COUNT(*) FROM pilot_themes pt JOIN network_pilots np ON np.pilot_id = pt.pilot_id GROUP BY pt.theme_id, np.network_id`, "THEME", "NETWORK"),
		pilotsCase("2 dims: THEME × ACTIVE_YEAR (pilots)", activeYears(backend), "THEME", "ACTIVE_YEAR"),
		statsCase("3 dims: REGION × THEME × STATUS", `SELECT r.code, pt.theme_id, p.status, COUNT(DISTINCT p.id)`+area+` JOIN pilot_themes pt ON pt.pilot_id = p.id GROUP BY r.code, pt.theme_id, p.status`, "REGION", "THEME", "STATUS"),
	}
}

func main() {
	server.SetCollector(os.Getenv) // as the binary runs
	backend := flag.String("backend", "sqlite", "sqlite or postgres")
	dsn := flag.String("dsn", "", "postgres: a DSN of the server (its database is only used to create the bench databases)")
	sizes := flag.String("sizes", "20000,200000", "pilots in each data set")
	n := flag.Int("n", 60, "requests per measurement")
	rawN := flag.Int("raw-n", 10, "runs of each hand-written statement (they take seconds at 200,000 pilots)")
	rebuild := flag.Bool("rebuild", false, "recount the kept counts of existing data sets first (timed)")
	only := flag.String("only", "", "run only the cases whose name contains this")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the measurements (server and Count()) to this file")
	flag.Parse()
	caseFilter = *only
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "stats: -cpuprofile:", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	var ns []int
	for _, s := range strings.Split(*sizes, ",") {
		v, err := strconv.Atoi(s)
		if err != nil {
			fmt.Fprintln(os.Stderr, "stats: -sizes:", err)
			os.Exit(2)
		}
		ns = append(ns, v)
	}
	results := map[string][]string{}
	for _, size := range ns {
		target, err := databaseFor(*backend, *dsn, size)
		if err == nil {
			err = measure(*backend, target, size, *n, *rawN, *rebuild, results)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "stats:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("backend %s, one client, cache off, %d requests each (hand-written SQL: %d runs); p50/p99 in ms;\n"+
		"Count() is the same call in-process (no HTTP, no GraphQL)\n", *backend, *n, *rawN)
	fmt.Printf("%-38s", "query")
	for _, size := range ns {
		fmt.Printf(" | %-36s", fmt.Sprintf("%d pilots: server  Count()  raw SQL", size))
	}
	fmt.Println()
	for _, name := range append(caseNames(), keptRows) {
		fmt.Printf("%-38s", name)
		for _, r := range results[name] {
			fmt.Printf(" | %-36s", r)
		}
		fmt.Println()
	}
}

// caseFilter is -only.
var caseFilter string

// keptRows is the table's line of the rows in stat_buckets.
const keptRows = "kept counts: rows"

func caseNames() []string {
	var names []string
	for _, c := range cases("sqlite") {
		names = append(names, c.name)
	}
	return names
}

// databaseFor is the DSN of the data set of size pilots.
func databaseFor(backend, dsn string, size int) (string, error) {
	if backend == "sqlite" {
		return filepath.Join(os.TempDir(), fmt.Sprintf("kokeilu-bench-stats-%d.db", size)), nil
	}
	if dsn == "" {
		return "", fmt.Errorf("-dsn postgres://… is needed for postgres")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	u, err := url.Parse(dsn)
	if err != nil {
		return "", err
	}
	// Named after the DSN's database, so that benches of several
	// checkouts on one server keep their data sets apart.
	prefix := "kokeilu"
	if db := strings.TrimPrefix(u.Path, "/"); db != "" && db != "postgres" {
		prefix = db
	}
	name := fmt.Sprintf("%s_bench_stats_%d", prefix, size)
	var exists bool
	if err := admin.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
			return "", err
		}
	}
	u.Path = "/" + name
	return u.String(), nil
}

func measure(backend, dsn string, size, n, rawN int, rebuild bool, results map[string][]string) error {
	ctx := auth.System(context.Background())
	opened := time.Now()
	db, err := database.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	// Opening backfills the kept counts of pilots that have none (all of
	// them on a data set from before the counts, or of an older layout).
	fmt.Fprintf(os.Stderr, "%d pilots: opened in %v\n", size, time.Since(opened).Round(time.Millisecond))
	if err := seed.Reference(ctx, db.Client); err != nil {
		return err
	}
	have, err := db.Client.Pilot.Query().Count(ctx)
	if err != nil {
		return err
	}
	if have != size {
		if have != 0 {
			return fmt.Errorf("%s holds %d pilots, not %d", dsn, have, size)
		}
		start := time.Now()
		s := dataset.Size{Pilots: size, Networks: 200, Organizations: 500, Themes: 30}
		if err := dataset.Generate(search.WithoutIndexing(ctx), db.Client, s, 1); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "generated %d pilots in %v\n", size, time.Since(start).Round(time.Second))
	} else if rebuild {
		start := time.Now()
		if err := analytics.Rebuild(ctx, db.Client); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "rebuilt the kept counts of %d pilots in %v\n", size, time.Since(start).Round(time.Second))
	}
	kept, err := db.Client.StatBucket.Query().Count(ctx)
	if err != nil {
		return err
	}
	results[keptRows] = append(results[keptRows], fmt.Sprint(kept))
	accounts, err := auth.NewService(db.Client, 0, nil)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: server.NewHandler(db, server.Options{Accounts: accounts})}
	go srv.Serve(l)
	defer srv.Close()
	u := "http://" + l.Addr().String() + "/query"
	for _, c := range cases(backend) {
		if !strings.Contains(c.name, caseFilter) {
			continue
		}
		if err := post(u, c.body); err != nil { // warm up, and check
			return fmt.Errorf("%s: %w", c.name, err)
		}
		srvLat, err := sequential(n, func() error { return post(u, c.body) })
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		// The same call in-process, without HTTP or GraphQL: what the
		// kept counts cost, apart from writing the answer.
		countLat, err := sequential(n, func() error {
			_, err := analytics.Count(ctx, db.Client, c.where, c.dims, c.areas)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s, Count: %w", c.name, err)
		}
		rawLat, err := sequential(rawN, func() error { return rawQuery(ctx, db.SQL, c.sql) })
		if err != nil {
			return fmt.Errorf("%s in SQL: %w", c.name, err)
		}
		fmt.Fprintf(os.Stderr, "%d pilots, %s: server %s/%s ms, Count %s/%s ms, raw SQL %s/%s ms\n", size, c.name,
			ms(pct(srvLat, .5)), ms(pct(srvLat, .99)), ms(pct(countLat, .5)), ms(pct(countLat, .99)), ms(pct(rawLat, .5)), ms(pct(rawLat, .99)))
		results[c.name] = append(results[c.name], fmt.Sprintf("%s/%s  %s/%s  %s/%s", ms(pct(srvLat, .5)), ms(pct(srvLat, .99)),
			ms(pct(countLat, .5)), ms(pct(countLat, .99)), ms(pct(rawLat, .5)), ms(pct(rawLat, .99))))
	}
	return nil
}

func rawQuery(ctx context.Context, db *sql.DB, q string) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}

func sequential(n int, fn func() error) ([]time.Duration, error) {
	lat := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		if err := fn(); err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	return lat, nil
}

func pct(sorted []time.Duration, p float64) time.Duration {
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
}

func post(u string, body []byte) error {
	res, err := http.Post(u, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK || bytes.Contains(data, []byte(`"errors"`)) {
		return fmt.Errorf("status %d: %.300s", res.StatusCode, data)
	}
	return nil
}
