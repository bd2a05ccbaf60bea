package server_test

import (
	"bufio"
	"context"
	"kokeilu/internal/server"
	"net/http"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"kokeilu/internal/auth"
	"kokeilu/internal/dataset"
	"kokeilu/internal/search"
	"kokeilu/internal/testdb"
)

// BenchmarkExportPilots exports 100,000 pilots and a quarter of them from
// the same database and reports the peak heap while each runs: a streamed
// export's peak does not grow with the rows.
//
//	go test ./internal/server -run '^$' -bench ExportPilots -benchtime 1x
func BenchmarkExportPilots(b *testing.B) {
	server.SetCollector(os.Getenv) // as the binary runs
	a := newAPI(b, testdb.SQLite, false)
	ctx := search.WithoutIndexing(auth.System(context.Background()))
	if err := dataset.Generate(ctx, a.db.Client, dataset.Size{Pilots: 100_000, Networks: 50, Organizations: 50, Themes: 20}, 1); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, params string }{{"all", ""}, {"active", "status=ACTIVE"}} {
		b.Run(c.name, func(b *testing.B) {
			var rows int
			var peak atomic.Uint64
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			base := ms.HeapAlloc
			stop := make(chan struct{})
			go func() { // sample the heap while the export runs
				t := time.NewTicker(2 * time.Millisecond)
				defer t.Stop()
				for {
					select {
					case <-stop:
						return
					case <-t.C:
						var ms runtime.MemStats
						runtime.ReadMemStats(&ms)
						if ms.HeapAlloc > peak.Load() {
							peak.Store(ms.HeapAlloc)
						}
					}
				}
			}()
			for b.Loop() {
				res, err := http.Get(a.srv.URL + "/export/pilots.csv?" + c.params)
				if err != nil {
					b.Fatal(err)
				}
				sc := bufio.NewScanner(res.Body)
				rows = 0
				for sc.Scan() {
					rows++
				}
				res.Body.Close()
			}
			close(stop)
			b.ReportMetric(float64(rows-1), "rows")
			b.ReportMetric(float64(base)/(1<<20), "base-heap-MiB")
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		})
	}
}
