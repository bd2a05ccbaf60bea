package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"sync/atomic"
	"testing"
	"time"

	"kokeilu/internal/auth"
	"kokeilu/internal/database"
	"kokeilu/internal/server"
	"kokeilu/internal/testdb"
)

// BenchmarkDashboard runs the dashboard query (first 50) through the real
// handler, in process and with the response cache off, on every available
// backend, next to the hand-written SQL for the same answer in the same
// run. Besides ns/op, B/op and allocs/op it reports:
//
//   - cpu-ms/op: the process's user+system CPU time (getrusage) per
//     request, database work in the process (SQLite) included;
//
//   - statements/op: SQL statements per request;
//
//   - raw-%: the server's throughput as a share of the hand-written SQL's
//     (ns/op of raw over ns/op of server, one request at a time);
//
//   - raw-cpu-%: the same by CPU time, what bounds throughput once the
//     cores are busy (the hand-written SQL runs 5 statements).
//
//     go test ./bench/dashboard -run '^$' -bench Dashboard -benchtime 400x
//     KOKEILU_TEST_POSTGRES=postgres://… go test ./bench/dashboard -run '^$' -bench Dashboard -benchtime 400x
//
// DASHBOARD_PROFILE=/tmp/dash profiles the server's requests (profileServer).
// DASHBOARD_RTT=1ms waits that long before each statement, the server's
// and the hand-written SQL's, as a database on another host would answer
// (time.Sleep: on a virtual machine the wait may be longer than asked).
func BenchmarkDashboard(b *testing.B) {
	server.SetCollector(os.Getenv) // as the binary runs
	// No access log per request.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	const first = 50
	for _, backend := range testdb.Backends() {
		b.Run(string(backend), func(b *testing.B) {
			var statements atomic.Int64
			rtt, _ := time.ParseDuration(os.Getenv("DASHBOARD_RTT"))
			opts := []database.Option{database.CountStatements(&statements)}
			if rtt > 0 {
				opts = append(opts, database.AroundQueries(func(run func() error) error { time.Sleep(rtt); return run() }))
			}
			db := testdb.Open(b, backend, opts...)
			ctx := context.Background()
			if err := load(ctx, db); err != nil {
				b.Fatal(err)
			}
			serve := serveQuery(b, db, dashboardQuery, map[string]any{"n": first})
			raw := newRawQueries(db.SQL, db.Dialect)
			checkSame(b, serve(), raw, first)
			raw.rtt = rtt

			var rawNs, rawCPU float64
			b.Run("raw-sql", func(b *testing.B) {
				rawCPU = measure(b, nil, func() {
					if _, err := raw.dashboard(ctx, first); err != nil {
						b.Fatal(err)
					}
				})
				rawNs = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			})
			b.Run("server", func(b *testing.B) {
				stop := profileServer(b, string(backend))
				cpu := measure(b, &statements, func() { serve() })
				stop()
				if rawNs > 0 {
					b.ReportMetric(100*rawNs/(float64(b.Elapsed().Nanoseconds())/float64(b.N)), "raw-%")
					b.ReportMetric(100*rawCPU/cpu, "raw-cpu-%")
				}
			})
		})
	}
}

// measure runs do b.N times and reports allocations, CPU time and, when
// statements counts them, statements per run; it returns the CPU ms per run.
func measure(b *testing.B, statements *atomic.Int64, do func()) float64 {
	do() // warm caches and pools
	b.ReportAllocs()
	var before int64
	if statements != nil {
		before = statements.Load()
	}
	cpu := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		do()
	}
	b.StopTimer()
	ms := float64((cpuTime() - cpu).Microseconds()) / 1000 / float64(b.N)
	b.ReportMetric(ms, "cpu-ms/op")
	if statements != nil {
		b.ReportMetric(float64(statements.Load()-before)/float64(b.N), "statements/op")
	}
	return ms
}

// profileServer profiles the server's requests alone, not the loading of
// the data set, when $DASHBOARD_PROFILE is set: CPU to
// $DASHBOARD_PROFILE.<backend>.cpu, and heap profiles before and after to
// ….heap0 and ….heap1 (compare with go tool pprof -diff_base heap0 heap1).
// The returned func stops it.
func profileServer(b *testing.B, backend string) func() {
	path := os.Getenv("DASHBOARD_PROFILE")
	if path == "" {
		return func() {}
	}
	path += "." + backend
	writeHeap := func(name string) {
		f, err := os.Create(path + name)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			b.Fatal(err)
		}
	}
	writeHeap(".heap0")
	f, err := os.Create(path + ".cpu")
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		writeHeap(".heap1")
	}
}

// checkSame makes sure the server and the hand-written SQL give the same
// page: the baseline must do the same work.
func checkSame(b *testing.B, served []byte, raw rawQueries, first int) {
	b.Helper()
	type page struct {
		Data struct {
			Pilots struct {
				TotalCount int `json:"totalCount"`
				Nodes      []struct {
					ID             json.RawMessage `json:"id"`
					Title          string          `json:"title"`
					Municipalities struct {
						TotalCount int `json:"totalCount"`
						Nodes      []json.RawMessage
					} `json:"municipalities"`
					Networks struct {
						TotalCount int `json:"totalCount"`
					} `json:"networks"`
				} `json:"nodes"`
			} `json:"pilots"`
		} `json:"data"`
	}
	rawBody, err := raw.dashboard(context.Background(), first)
	if err != nil {
		b.Fatal(err)
	}
	var s, r page
	if err := json.Unmarshal(served, &s); err != nil {
		b.Fatal(err)
	}
	if err := json.Unmarshal(rawBody, &r); err != nil {
		b.Fatal(err)
	}
	if len(s.Data.Pilots.Nodes) != first || len(r.Data.Pilots.Nodes) != first || s.Data.Pilots.TotalCount != r.Data.Pilots.TotalCount {
		b.Fatalf("server %d of %d pilots, SQL %d of %d", len(s.Data.Pilots.Nodes), s.Data.Pilots.TotalCount, len(r.Data.Pilots.Nodes), r.Data.Pilots.TotalCount)
	}
	for i, sp := range s.Data.Pilots.Nodes {
		rp := r.Data.Pilots.Nodes[i]
		if sp.Title != rp.Title || sp.Municipalities.TotalCount != rp.Municipalities.TotalCount ||
			len(sp.Municipalities.Nodes) != len(rp.Municipalities.Nodes) || sp.Networks.TotalCount != rp.Networks.TotalCount {
			b.Fatalf("pilot %d differs: server %q (%d/%d municipalities, %d networks), SQL %q (%d/%d, %d)", i,
				sp.Title, len(sp.Municipalities.Nodes), sp.Municipalities.TotalCount, sp.Networks.TotalCount,
				rp.Title, len(rp.Municipalities.Nodes), rp.Municipalities.TotalCount, rp.Networks.TotalCount)
		}
	}
}

// serveQuery is the real handler (response cache off) answering one query: it
// returns the answer's bytes, valid until the next call, and fails b on an
// HTTP error or any GraphQL error. The answer is written into one buffer
// kept across calls, as a server writes into its connection's: the growing
// buffer of a new httptest.ResponseRecorder per request would be counted as
// the server's allocations.
func serveQuery(b *testing.B, db *database.DB, query string, variables map[string]any) func() []byte {
	accounts, err := auth.NewService(db.Client, 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	h := server.NewHandler(db, server.Options{Accounts: accounts})
	body, _ := json.Marshal(map[string]any{"query": query, "variables": variables})
	w := &reply{header: http.Header{}}
	return func() []byte {
		req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		clear(w.header)
		w.code = 0
		w.body.Reset()
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK || bytes.HasPrefix(w.body.Bytes(), []byte(`{"errors"`)) {
			b.Fatalf("HTTP %d: %.300s", w.code, w.body.Bytes())
		}
		return w.body.Bytes()
	}
}

// reply is an http.ResponseWriter whose buffer serveQuery keeps.
type reply struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *reply) Header() http.Header { return r.header }

func (r *reply) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *reply) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}
