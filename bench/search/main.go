// Command search measures the search query under concurrent HTTP load on a
// generated data set, next to the same search as hand-written SQL run
// directly on the database in the same run: requests/s, p50 and p99.
//
//	go run . generate -dsn /tmp/kokeilu-bench.db      # once: the 20k-pilot data set
//	go run ./bench/search -dsn /tmp/kokeilu-bench.db -seconds 10 -workers 8
//
// The server is the real handler (server.NewHandler) on a loopback port,
// anonymous, so members-only contents are filtered as for any outsider.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "kokeilu/ent/runtime"
	"kokeilu/internal/auth"
	"kokeilu/internal/database"
	"kokeilu/internal/search"
	"kokeilu/internal/server"

	"entgo.io/ent/dialect"
)

// queries are what people type: words, stems, no accents, two words.
var queries = []string{"kokeilu", "aanekoski", "kotihoito", "digitaaliset palvelut", "seminaari",
	"tyopaja kiertotalous", "helsinki", "nuoriso", "energiatehok", "verkosto"}

const gql = `query($q: String!) { search(query: $q, first: 20) { totalCount nodes { __typename
  ... on Pilot { id title } ... on Network { id name } ... on Organization { id name }
  ... on Workspace { id name } ... on Discussion { id title } ... on Notice { id title } } } }`

func main() {
	server.SetCollector(os.Getenv) // as the binary runs
	dsn := flag.String("dsn", "", "a database filled by `kokeilu generate`")
	seconds := flag.Int("seconds", 10, "length of each measurement")
	workers := flag.Int("workers", 8, "concurrent clients")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the GraphQL measurement to this file")
	flag.IntVar(&each, "each", 0, "first time each query alone this many times, one client: GraphQL, Find (no HTTP), and each SQL statement (median)")
	flag.Parse()
	profile = *cpuprofile
	if err := run(*dsn, time.Duration(*seconds)*time.Second, *workers); err != nil {
		fmt.Fprintln(os.Stderr, "search bench:", err)
		os.Exit(1)
	}
}

func run(dsn string, d time.Duration, workers int) error {
	if dsn == "" {
		return fmt.Errorf("-dsn is required (fill one with `go run . generate -dsn …`)")
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))) // no request log
	ctx := context.Background()
	db, err := database.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	accounts, err := auth.NewService(db.Client, 0, nil)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: server.NewHandler(db, server.Options{Accounts: accounts})}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/query"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}

	if err := db.SQL.QueryRow(`SELECT count(*) FROM search_documents`).Scan(&documents); err != nil {
		return err
	}
	fmt.Printf("%s, %d documents, %d workers, %s each\n", db.Dialect, documents, workers, d)

	// Both sides must agree before they are timed.
	for _, q := range queries {
		total, err := viaHTTP(client, url, q)
		if err != nil {
			return err
		}
		want, err := viaSQL(ctx, db, q)
		if err != nil {
			return err
		}
		fmt.Printf("  %-24q %6d hits\n", q, total)
		if total != want {
			return fmt.Errorf("%q: GraphQL counts %d, SQL %d", q, total, want)
		}
	}
	if each > 0 {
		if err := breakdown(ctx, db, client, url); err != nil {
			return err
		}
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	httpRes := measure(d, workers, func(i int) error { _, err := viaHTTP(client, url, queries[i%len(queries)]); return err })
	pprof.StopCPUProfile()
	sqlRes := measure(d, workers, func(i int) error { _, err := viaSQL(ctx, db, queries[i%len(queries)]); return err })
	// cpu/req is this process's CPU time (user + system) per request: the
	// clients, the server and, on SQLite, the database; on PostgreSQL the
	// database's own work is in its processes, not here. On a busy
	// machine it varies less than latency, which waits for the CPU.
	// load is the machine's 1-minute load average after each
	// measurement: on a shared machine, latency says little without it.
	fmt.Printf("%-34s %10s %10s %10s %10s %8s %6s\n", "", "req/s", "p50", "p99", "cpu/req", "errors", "load")
	fmt.Printf("%-34s %10.0f %10s %10s %10s %8d %6s\n", "GraphQL search over HTTP", httpRes.rate, httpRes.p50, httpRes.p99, httpRes.cpu, httpRes.errors, httpRes.load)
	fmt.Printf("%-34s %10.0f %10s %10s %10s %8d %6s\n", "hand-written SQL (count + page)", sqlRes.rate, sqlRes.p50, sqlRes.p99, sqlRes.cpu, sqlRes.errors, sqlRes.load)
	return nil
}

// profile is the file of -cpuprofile.
var profile string

// each is -each: how many times breakdown runs each query.
var each int

// documents is the index's size.
var documents int

func viaHTTP(c *http.Client, url, q string) (int, error) {
	body, _ := json.Marshal(map[string]any{"query": gql, "variables": map[string]any{"q": q}})
	res, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	var out struct {
		Data struct {
			Search struct{ TotalCount int }
		}
		Errors []json.RawMessage
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return 0, err
	}
	if len(out.Errors) > 0 || res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status %d: %s", res.StatusCode, out.Errors)
	}
	return out.Data.Search.TotalCount, nil
}

// viaSQL is the same search written by hand for an anonymous reader over
// the same index and with the same plan: the first 20 title hits, newest
// first, and their count; only if they are at most 1,000, all hits counted
// up to 1,001; then, if the titles do not fill the page, body hits.
func viaSQL(ctx context.Context, db *database.DB, q string) (int, error) {
	return viaSQLTimed(ctx, db, q, nil)
}

// viaSQLTimed is viaSQL that adds each statement's time to step (by its
// name) when step is not nil.
func viaSQLTimed(ctx context.Context, db *database.DB, q string, step map[string]time.Duration) (int, error) {
	timed := func(name string, t time.Time) {
		if step != nil {
			step[name] += time.Since(t)
		}
	}
	terms := search.Terms(q)
	visible := `(d.workspace_id IS NULL OR d.workspace_id IN (SELECT id FROM workspaces WHERE visibility = 'PUBLIC'))`
	var countTitle, countAll, title, rest string
	var arg string
	if db.Dialect == dialect.Postgres {
		arg = search.TSQuery(terms)

		countAll = `SELECT count(*) FROM (SELECT 1 FROM search_documents d WHERE d.tsv @@ $1::tsquery AND ` + visible + ` LIMIT 1001) x`
		title = `SELECT d.id, count(*) OVER () FROM search_titles d WHERE d.title_tsv @@ $1::tsquery AND ` + visible + ` ORDER BY d.id + 0 DESC LIMIT 20`
		rest = `SELECT d.id FROM search_documents d WHERE d.tsv @@ $1::tsquery AND NOT d.title_tsv @@ $1::tsquery AND ` + visible + ` ORDER BY d.id DESC LIMIT $2`
	} else {
		arg = search.FTSMatch(terms)
		countAll = `SELECT count(*) FROM (SELECT 1 FROM search_fts JOIN search_documents d ON d.id = search_fts.docid WHERE search_fts MATCH ?1 AND ` + visible + ` LIMIT 1001)`
		countTitle = `SELECT count(*) FROM (SELECT 1 FROM search_title_fts JOIN search_documents d ON d.id = search_title_fts.docid WHERE search_title_fts MATCH ?1 AND ` + visible + ` LIMIT 1001)`
		title = `SELECT d.id FROM search_title_fts JOIN search_documents d ON d.id = search_title_fts.docid WHERE search_title_fts MATCH ?1 AND ` + visible + ` ORDER BY search_title_fts.docid DESC LIMIT 20`
		rest = `SELECT d.id FROM search_fts JOIN search_documents d ON d.id = search_fts.docid WHERE search_fts MATCH ?1
			AND search_fts.docid NOT IN (SELECT docid FROM search_title_fts WHERE search_title_fts MATCH ?1) AND ` + visible + ` ORDER BY search_fts.docid DESC LIMIT ?2`
	}
	// Titles: the first 20 and their count, in one statement on
	// PostgreSQL (it sorts them all), two on SQLite (each stops early).
	t := time.Now()
	n, titles := 0, 0
	if countTitle != "" {
		if err := db.SQL.QueryRowContext(ctx, countTitle, arg).Scan(&titles); err != nil {
			return 0, err
		}
	}
	rows, err := db.SQL.QueryContext(ctx, title, arg)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		var id int
		dest := []any{&id}
		if countTitle == "" {
			dest = append(dest, &titles)
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return 0, err
		}
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	timed("titles", t)
	total := min(titles, 1001)
	if titles <= 1000 {
		t := time.Now()
		if err := db.SQL.QueryRowContext(ctx, countAll, arg).Scan(&total); err != nil {
			return 0, err
		}
		timed("count all", t)
	}
	if n < 20 && titles < total {
		if db.Dialect == dialect.Postgres && total <= 1000 {
			rest = strings.Replace(rest, "ORDER BY d.id DESC", "ORDER BY d.id + 0 DESC", 1) // as the server: few hits, sorted
		}
		t := time.Now()
		rows, err := db.SQL.QueryContext(ctx, rest, arg, 20-n)
		if err != nil {
			return 0, err
		}
		for rows.Next() {
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, err
		}
		timed("rest", t)
	}
	return total, nil
}

// breakdown times each query alone, one at a time, each times: the whole
// GraphQL request, Index.Find without HTTP (search, hydration), and the
// hand-written SQL statement by statement; the median of each, in ms.
func breakdown(ctx context.Context, db *database.DB, client *http.Client, url string) error {
	steps := []string{"titles", "count all", "rest"}
	fmt.Printf("%-24s %8s %8s %8s", "median ms, 1 client", "GraphQL", "Find", "SQL")
	for _, s := range steps {
		fmt.Printf(" %12s", s)
	}
	fmt.Println()
	first := 20
	for _, q := range queries {
		var gq, find, raw []time.Duration
		parts := map[string][]time.Duration{}
		for range each {
			t := time.Now()
			if _, err := viaHTTP(client, url, q); err != nil {
				return err
			}
			gq = append(gq, time.Since(t))
			t = time.Now()
			if _, err := db.Search.Find(ctx, db.Client, q, nil, false, nil, &first, nil, nil); err != nil {
				return err
			}
			find = append(find, time.Since(t))
			step := map[string]time.Duration{}
			t = time.Now()
			if _, err := viaSQLTimed(ctx, db, q, step); err != nil {
				return err
			}
			raw = append(raw, time.Since(t))
			for _, s := range steps {
				parts[s] = append(parts[s], step[s])
			}
		}
		fmt.Printf("%-24q %8.2f %8.2f %8.2f", q, median(gq), median(find), median(raw))
		for _, s := range steps {
			fmt.Printf(" %12.2f", median(parts[s]))
		}
		fmt.Println()
	}
	return nil
}

// median of ds in milliseconds.
func median(ds []time.Duration) float64 {
	slices.Sort(ds)
	return float64(ds[len(ds)/2]) / float64(time.Millisecond)
}

type result struct {
	rate          float64
	p50, p99, cpu time.Duration
	errors        int64
	load          string // loadAverage at the end
}

// loadAverage is the 1-minute load average (Linux), or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	first, _, _ := strings.Cut(string(b), " ")
	return first
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs fn from workers goroutines for d (closed loop).
func measure(d time.Duration, workers int, fn func(i int) error) result {
	var (
		mu    sync.Mutex
		lat   []time.Duration
		errs  atomic.Int64
		next  atomic.Int64
		wg    sync.WaitGroup
		start = time.Now()
		cpu0  = cpuTime()
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Since(start) < d {
				t := time.Now()
				if err := fn(int(next.Add(1))); err != nil {
					errs.Add(1)
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
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))].Round(10 * time.Microsecond)
	}
	perReq := time.Duration(0)
	if len(lat) > 0 {
		perReq = (cpu / time.Duration(len(lat))).Round(10 * time.Microsecond)
	}
	return result{rate: float64(len(lat)) / elapsed.Seconds(), p50: pct(0.50), p99: pct(0.99), cpu: perReq, errors: errs.Load(), load: loadAverage()}
}
