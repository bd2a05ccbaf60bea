package netgraph_test

import (
	"context"
	"os"
	"testing"
	"time"

	_ "kokeilu/ent/runtime"
	"kokeilu/internal/database"
	"kokeilu/internal/netgraph"
)

// TestCommunitiesWork measures Louvain (communities) on the views of an
// existing database (KOKEILU_GRAPH_DSN, e.g. a copy of a generated data
// set), logging each view's nodes, ties (distinct pairs) and time, so that
// DefaultBudget.CommunitiesWork can be checked against them:
//
//	KOKEILU_GRAPH_DSN=/tmp/big.db go test ./internal/netgraph -run CommunitiesWork -v
func TestCommunitiesWork(t *testing.T) {
	dsn := os.Getenv("KOKEILU_GRAPH_DSN")
	if dsn == "" {
		t.Skip("KOKEILU_GRAPH_DSN is not set")
	}
	ctx := context.Background()
	db, err := database.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := netgraph.NewService(db.Client)
	s.Budget.CommunitiesWork = 0 // measure them all
	day := func(s string) *time.Time { d, _ := time.Parse("2006-01-02", s); return &d }
	for _, f := range []netgraph.Filter{
		{Projection: true},
		{Region: "01"},
		{AsOf: day("2018-06-01")},
		{From: day("2015-01-01"), To: day("2019-12-31")},
		{NodeTypes: []netgraph.NodeType{"MUNICIPALITY", "PILOT"}},
		{From: day("1900-03-01")},
	} {
		v, err := s.View(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		c, err := s.Communities(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		n, m := v.Size()
		t.Logf("%+v: %d nodes, %d ties, work %d: %v (%d communities)", f, n, m, netgraph.CommunitiesWork(n, m), time.Since(start).Round(time.Millisecond), len(c.Groups))
	}
}
