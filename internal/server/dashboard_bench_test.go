package server_test

import (
	"context"
	"fmt"
	"kokeilu/internal/server"
	"os"
	"testing"

	"kokeilu/internal/auth"
	"kokeilu/internal/dataset"
	"kokeilu/internal/testdb"
)

// BenchmarkDashboard runs the dashboard query over 20,000 generated pilots
// on every available backend. "ids-only" is the baseline in the same run: a
// page of bare pilot IDs, the least a dashboard can ask for.
//
//	go test ./internal/server -run '^$' -bench Dashboard -benchmem
func BenchmarkDashboard(b *testing.B) {
	server.SetCollector(os.Getenv) // as the binary runs
	for _, backend := range testdb.Backends() {
		b.Run(string(backend), func(b *testing.B) {
			a := newAPI(b, backend, false)
			if err := dataset.Generate(auth.System(context.Background()), a.db.Client, dataset.Default, 1); err != nil {
				b.Fatal(err)
			}
			run := func(name, query string, n int) {
				b.Run(fmt.Sprintf("%s/first=%d", name, n), func(b *testing.B) {
					vars := map[string]any{"n": n}
					var got dashboard
					a.query(&got, query, vars) // warm the query cache
					if len(got.Pilots.Nodes) != n || got.Pilots.TotalCount != dataset.Default.Pilots {
						b.Fatalf("%d pilots of %d", len(got.Pilots.Nodes), got.Pilots.TotalCount)
					}
					before := a.statements.Load()
					b.ReportAllocs()
					b.ResetTimer()
					for b.Loop() {
						a.query(&got, query, vars)
					}
					b.ReportMetric(float64(a.statements.Load()-before)/float64(b.N), "statements/op")
				})
			}
			run("ids-only", `query($n: Int!) { pilots(first: $n) { totalCount nodes { id } } }`, 50)
			for _, n := range []int{10, 50, 100} {
				run("dashboard", dashboardQuery, n)
			}
		})
	}
}
