package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"kokeilu/internal/config"
	"kokeilu/internal/testdb"
)

const countsQuery = `{ regions { totalCount } wellbeingCounties { totalCount } municipalities { totalCount }
	pilots { totalCount } networks { totalCount } organizations { totalCount } themes { totalCount }
	workspaces { totalCount } notices { totalCount } links { totalCount } }`

// start runs the server as `go run .` does and returns its address and a
// function that stops it and waits for a clean return.
func start(t *testing.T, cfg config.Config) (string, func()) {
	t.Helper()
	addr, stop := startOrFail(t, cfg)
	if stop == nil {
		t.FailNow()
	}
	return addr, stop
}

func counts(t *testing.T, addr string) map[string]int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": countsQuery})
	res, err := http.Post("http://"+addr+"/query", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data   map[string]struct{ TotalCount int }
		Errors []any
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("counts: %v %v", err, out.Errors)
	}
	m := map[string]int{}
	for k, v := range out.Data {
		m[k] = v.TotalCount
	}
	return m
}

// TestRestartKeepsCounts starts the server on a SQLite file twice: the
// second start loads the reference data again and skips the demo, so every
// count stays as it was.
func TestRestartKeepsCounts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) { restartKeepsCounts(t, testdb.DSN(t, b)) })
}

func restartKeepsCounts(t *testing.T, dsn string) {
	cfg := config.Config{Addr: "127.0.0.1:0", DSN: dsn, Demo: true}
	addr, stop := start(t, cfg)
	first := counts(t, addr)
	for _, probe := range []string{"/", "/healthz", "/readyz"} {
		res, err := http.Get("http://" + addr + probe)
		if err != nil {
			t.Errorf("GET %s: %v", probe, err)
			continue
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", probe, res.Status)
		}
	}
	stop()

	addr, stop = start(t, cfg)
	second := counts(t, addr)
	stop()

	want := map[string]int{"regions": 19, "wellbeingCounties": 23, "municipalities": 308, "pilots": 38, "networks": 5, "workspaces": 1, "notices": 2}
	for k, n := range want {
		if first[k] != n {
			t.Errorf("first start: %s = %d, want %d", k, first[k], n)
		}
	}
	for k, n := range first {
		if second[k] != n {
			t.Errorf("after restart: %s = %d, was %d", k, second[k], n)
		}
	}
	if len(first) != 10 {
		t.Errorf("counted %d lists", len(first))
	}
}

// TestDemoOff starts without demo content: reference data only, which
// includes the 38 verified experiments and their 4 programme networks.
func TestDemoOff(t *testing.T) {
	cfg := config.Config{Addr: "127.0.0.1:0", DSN: filepath.Join(t.TempDir(), "kokeilu.db"), Demo: false}
	addr, stop := start(t, cfg)
	defer stop()
	c := counts(t, addr)
	if c["municipalities"] != 308 || c["pilots"] != 38 || c["networks"] != 4 || c["workspaces"] != 0 || c["notices"] != 0 {
		t.Errorf("demo off: %v", c)
	}
}

// TestInstancesStartTogether starts three servers at the same moment on
// one empty PostgreSQL database, as a deployment scaled to three replicas
// does, in several rounds: all start (the demo's check-then-write used to
// deadlock two of them) and the database holds one demo workspace.
func TestInstancesStartTogether(t *testing.T) {
	if os.Getenv("KOKEILU_TEST_POSTGRES") == "" {
		t.Skip("KOKEILU_TEST_POSTGRES is not set: no PostgreSQL run")
	}
	for round := range 3 {
		cfg := config.Config{Addr: "127.0.0.1:0", DSN: testdb.DSN(t, testdb.Postgres), Demo: true}
		addrs := make([]string, 3)
		stops := make([]func(), 3)
		var wg sync.WaitGroup
		for i := range addrs {
			wg.Add(1)
			go func() { defer wg.Done(); addrs[i], stops[i] = startOrFail(t, cfg) }()
		}
		wg.Wait()
		for i, addr := range addrs {
			if stops[i] == nil {
				t.Fatalf("round %d: instance %d did not start", round, i)
			}
			if c := counts(t, addr); c["workspaces"] != 1 || c["pilots"] != 38 {
				t.Errorf("round %d, instance %d: %v", round, i, c)
			}
		}
		for _, stop := range stops {
			stop()
		}
	}
}

// startOrFail is start for a goroutine: a server that did not start is
// reported with t.Errorf and gives a nil stop.
func startOrFail(t *testing.T, cfg config.Config) (string, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, cfg, ready) }()
	select {
	case addr := <-ready:
		return addr, func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run returned %v", err)
			}
		}
	case err := <-done:
		cancel()
		t.Errorf("server did not start: %v", err)
		return "", nil
	}
}
