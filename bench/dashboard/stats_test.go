package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"testing"

	"kokeilu/internal/analytics"
	"kokeilu/internal/auth"
	"kokeilu/internal/server"
	"kokeilu/internal/testdb"
)

// BenchmarkPilotStats runs pilotStats grouped by MUNICIPALITY × THEME
// (thousands of buckets) through the real handler, cache off, next to the
// same analytics.Count call in process in the same run: the difference is
// what writing the answer costs (GraphQL execution and JSON). It reports
// cpu-ms/op, allocs/op, buckets/op and count-cpu-% (Count's CPU time as
// a share of the server's).
//
//	go test ./bench/dashboard -run '^$' -bench PilotStats -benchtime 40x
func BenchmarkPilotStats(b *testing.B) {
	server.SetCollector(os.Getenv) // as the binary runs
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	const query = `query($g: [PilotDimension!]!) { pilotStats(groupBy: $g) { total buckets { keys { code name } pilots municipalities population } } }`
	dims := []analytics.Dimension{analytics.Municipality, analytics.Theme}
	for _, backend := range testdb.Backends() {
		b.Run(string(backend), func(b *testing.B) {
			db := testdb.Open(b, backend)
			ctx := context.Background()
			if err := load(ctx, db); err != nil {
				b.Fatal(err)
			}
			serve := serveQuery(b, db, query, map[string]any{"g": dims})
			count := func() *analytics.Stats {
				s, err := analytics.Count(auth.System(ctx), db.Client, nil, dims, true)
				if err != nil {
					b.Fatal(err)
				}
				return s
			}
			// The server answers what Count counts, bucket for bucket.
			var answer struct {
				Data struct {
					PilotStats struct {
						Total   int `json:"total"`
						Buckets []struct {
							Keys []struct {
								Code string `json:"code"`
								Name string `json:"name"`
							} `json:"keys"`
							Pilots, Municipalities, Population int
						} `json:"buckets"`
					} `json:"pilotStats"`
				} `json:"data"`
			}
			if err := json.Unmarshal(serve(), &answer); err != nil {
				b.Fatal(err)
			}
			want := count()
			got := answer.Data.PilotStats
			if got.Total != want.Total || len(got.Buckets) != len(want.Buckets) || len(want.Buckets) < 1000 {
				b.Fatalf("server %d pilots in %d buckets, Count %d in %d", got.Total, len(got.Buckets), want.Total, len(want.Buckets))
			}
			for i, g := range got.Buckets {
				w := want.Buckets[i]
				if g.Keys[0].Code != w.Keys[0].Code || g.Keys[1].Code != w.Keys[1].Code || g.Keys[0].Name == "" ||
					g.Pilots != w.Pilots || g.Municipalities != w.Municipalities || g.Population != w.Population {
					b.Fatalf("bucket %d: server %+v, Count %+v", i, g, w)
				}
			}

			var countCPU float64
			b.Run("Count", func(b *testing.B) {
				countCPU = measure(b, nil, func() { count() })
			})
			b.Run("server", func(b *testing.B) {
				cpu := measure(b, nil, func() { serve() })
				b.ReportMetric(float64(len(want.Buckets)), "buckets/op")
				if countCPU > 0 {
					b.ReportMetric(100*countCPU/cpu, "count-cpu-%")
				}
			})
		})
	}
}
