package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"testing"

	"kokeilu/ent"
	"kokeilu/ent/membership"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/database"
	"kokeilu/internal/search"
	"kokeilu/internal/testdb"
)

var smallWorld = []string{"--pilots", "200", "--networks", "20", "--organizations", "10", "--themes", "5",
	"--links", "500", "--workspaces", "20", "--discussions", "100", "--posts", "600", "--notices", "50", "--users", "100"}

// generated runs `kokeilu generate` with the small world into a new
// database and returns it, opened.
func generated(t *testing.T, b testdb.Backend, seed string) *database.DB {
	t.Helper()
	dsn := testdb.DSN(t, b)
	args := append([]string{"-dsn", dsn, "-seed", seed}, smallWorld...)
	if err := generate(context.Background(), args, func(string) string { return "" }, io.Discard); err != nil {
		t.Fatalf("generate: %v", err)
	}
	db, err := database.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// digest is a fingerprint of the generated content, ids included.
func digest(t *testing.T, c *ent.Client) string {
	t.Helper()
	ctx := auth.System(context.Background())
	h := sha256.New()
	for _, p := range c.Pilot.Query().Order(ent.Asc("id")).WithMunicipalities().AllX(ctx) {
		fmt.Fprintln(h, p.ID, p.Title, p.Summary, p.Status, p.StartsOn, len(p.Edges.Municipalities))
	}
	for _, l := range c.Link.Query().Order(ent.Asc("id")).AllX(ctx) {
		fmt.Fprintln(h, l.ID, l.SourceID, l.TargetID, l.Kind, l.Weight, l.ValidFrom)
	}
	for _, u := range c.User.Query().Order(ent.Asc("id")).AllX(ctx) {
		fmt.Fprintln(h, u.ID, u.DisplayName, u.Email)
	}
	for _, m := range c.Membership.Query().Order(ent.Asc("id")).AllX(ctx) {
		fmt.Fprintln(h, m.UserID, m.WorkspaceID, m.Role)
	}
	for _, d := range c.Discussion.Query().Order(ent.Asc("id")).AllX(ctx) {
		fmt.Fprintln(h, d.ID, d.Title, d.PostCount)
	}
	for _, p := range c.Post.Query().Order(ent.Asc("id")).AllX(ctx) {
		fmt.Fprintln(h, p.ID, p.Body, p.CreatedAt.Unix())
	}
	for _, n := range c.Notice.Query().Order(ent.Asc("id")).AllX(ctx) {
		fmt.Fprintln(h, n.ID, n.Title, n.Body, n.EventOn)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestGenerate: the command writes the asked-for counts, consistent
// counters and a search index, and the same seed gives the same data set.
func TestGenerate(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		db := generated(t, b, "3")
		ctx := auth.System(context.Background())
		c := db.Client
		for name, got := range map[string][2]int{
			"pilots":      {c.Pilot.Query().CountX(ctx), 200},
			"networks":    {c.Network.Query().CountX(ctx), 20},
			"links":       {c.Link.Query().CountX(ctx), 500},
			"workspaces":  {c.Workspace.Query().CountX(ctx), 20},
			"discussions": {c.Discussion.Query().CountX(ctx), 100},
			"posts":       {c.Post.Query().CountX(ctx), 600},
			"notices":     {c.Notice.Query().CountX(ctx), 50},
			"users":       {c.User.Query().CountX(ctx), 100},
		} {
			if got[0] != got[1] {
				t.Errorf("%s: %d, want %d", name, got[0], got[1])
			}
		}
		var postCounts []struct{ Sum int }
		c.Discussion.Query().Aggregate(ent.Sum("post_count")).ScanX(ctx, &postCounts)
		if len(postCounts) != 1 || postCounts[0].Sum != 600 {
			t.Errorf("discussions' post_count adds up to %v, want 600", postCounts)
		}
		if n := c.Workspace.Query().Where(workspace.VisibilityEQ(workspace.VisibilityMEMBERS_ONLY)).CountX(ctx); n == 0 || n == 20 {
			t.Errorf("%d of 20 workspaces members-only", n)
		}
		owned := c.Workspace.Query().Where(workspace.HasMembershipsWith(membership.RoleEQ(membership.RoleOWNER))).CountX(ctx)
		if owned != 20 {
			t.Errorf("%d of 20 workspaces have an owner", owned)
		}
		var docs int
		if err := db.SQL.QueryRow(`SELECT count(*) FROM search_documents WHERE kind NOT IN ('MUNICIPALITY', 'REGION', 'WELLBEING_COUNTY', 'THEME')`).Scan(&docs); err != nil || docs != 200+20+10+20+100+50 {
			t.Errorf("%d search documents (%v), want one per pilot, network, organisation, workspace, discussion and notice", docs, err)
		}
		hits, total, err := db.Search.Search(ctx, c, search.Query{Terms: search.Terms("kokeilu"), Window: func(int) (int, int) { return 0, 5 }})
		if err != nil || total == 0 || len(hits) == 0 {
			t.Errorf("search in the generated set: %d hits, %v", total, err)
		}

		again := generated(t, b, "3")
		if d1, d2 := digest(t, c), digest(t, again.Client); d1 != d2 {
			t.Errorf("seed 3 twice gave different data sets: %s, %s", d1, d2)
		}
		if other := generated(t, b, "4"); digest(t, other.Client) == digest(t, c) {
			t.Error("seeds 3 and 4 gave the same data set")
		}
	})
}
