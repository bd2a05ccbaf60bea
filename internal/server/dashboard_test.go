package server_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"kokeilu/internal/auth"
	"kokeilu/internal/database"
	"kokeilu/internal/dataset"
	"kokeilu/internal/testdb"
)

// dashboardQuery is what a dashboard builder asks for: a page of pilots,
// each with its lead municipality and that one's region, the first 10
// participating municipalities with their total, and the pilot's networks.
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

type dashboard struct {
	Pilots struct {
		TotalCount int `json:"totalCount"`
		Nodes      []struct {
			ID               string `json:"id"`
			LeadMunicipality *struct {
				Code   string
				Region struct{ Code string }
			} `json:"leadMunicipality"`
			Municipalities struct {
				TotalCount int
				Nodes      []struct{ Code string }
			} `json:"municipalities"`
			Networks struct {
				TotalCount int
				Nodes      []struct{ Name string }
			} `json:"networks"`
		} `json:"nodes"`
	} `json:"pilots"`
}

// TestDashboardRunsFixedStatements proves there is no N+1: the dashboard
// query runs the same number of SQL statements for 5 pilots as for 100.
func TestDashboardRunsFixedStatements(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		size := dataset.Size{Pilots: 300, Networks: 20, Organizations: 20, Themes: 5}
		if err := dataset.Generate(auth.System(context.Background()), a.db.Client, size, 1); err != nil {
			t.Fatal(err)
		}
		counts := map[int]int64{}
		for _, n := range []int{5, 50, 100} {
			var got dashboard
			before := a.statements.Load()
			a.query(&got, dashboardQuery, map[string]any{"n": n})
			counts[n] = a.statements.Load() - before

			if len(got.Pilots.Nodes) != n || got.Pilots.TotalCount != size.Pilots {
				t.Fatalf("n=%d: %d pilots of %d", n, len(got.Pilots.Nodes), got.Pilots.TotalCount)
			}
			var withMany, withNetworks int
			for _, p := range got.Pilots.Nodes {
				if p.LeadMunicipality == nil || p.LeadMunicipality.Region.Code == "" {
					t.Fatalf("pilot %s lacks its lead municipality's region", p.ID)
				}
				m := p.Municipalities
				if len(m.Nodes) != min(10, m.TotalCount) {
					t.Fatalf("pilot %s: %d municipalities of %d", p.ID, len(m.Nodes), m.TotalCount)
				}
				if m.TotalCount > 10 {
					withMany++
				}
				if len(p.Networks.Nodes) != p.Networks.TotalCount {
					t.Fatalf("pilot %s: %d networks of %d", p.ID, len(p.Networks.Nodes), p.Networks.TotalCount)
				}
				if p.Networks.TotalCount > 0 {
					withNetworks++
				}
			}
			if n >= 50 && (withMany == 0 || withNetworks == 0) {
				t.Fatalf("n=%d: data exercises too little (%d pilots over 10 municipalities, %d with networks)", n, withMany, withNetworks)
			}
		}
		t.Logf("SQL statements per dashboard request: %v", counts)
		if counts[5] != counts[50] || counts[50] != counts[100] {
			t.Errorf("statements grow with page size: %v", counts)
		}
		if counts[100] > 8 {
			t.Errorf("dashboard runs %d statements, want at most 8", counts[100])
		}
	})
}

// TestIndependentLoadsRunAtOnce proves that on PostgreSQL a request does
// not wait for the sum of its statements: the dashboard's total runs
// beside its page, and the page's three edges (lead municipality,
// municipalities, networks) load at once. Every statement is held for
// 20 ms before it runs, so statements that overlap are seen together. On
// SQLite, which runs in the process on the same cores, they stay in turn.
func TestIndependentLoadsRunAtOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		var on atomic.Bool
		var now, most atomic.Int64
		hold := database.AroundQueries(func(run func() error) error {
			if on.Load() {
				n := now.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(20 * time.Millisecond)
				now.Add(-1)
			}
			return run()
		})
		a := newAPIWith(t, b, database.Settings{}, hold)
		size := dataset.Size{Pilots: 60, Networks: 10, Organizations: 10, Themes: 5}
		if err := dataset.Generate(auth.System(context.Background()), a.db.Client, size, 1); err != nil {
			t.Fatal(err)
		}
		on.Store(true)
		var got dashboard
		a.query(&got, dashboardQuery, map[string]any{"n": 20})
		on.Store(false)
		if len(got.Pilots.Nodes) != 20 || got.Pilots.TotalCount != size.Pilots {
			t.Fatalf("%d pilots of %d", len(got.Pilots.Nodes), got.Pilots.TotalCount)
		}
		t.Logf("%s: at most %d statements at once", b, most.Load())
		switch {
		case b == testdb.Postgres && most.Load() < 3:
			t.Errorf("at most %d statements ran at once; the page's three edges should load together", most.Load())
		case b == testdb.SQLite && most.Load() != 1:
			t.Errorf("%d statements ran at once on SQLite", most.Load())
		}
	})
}
