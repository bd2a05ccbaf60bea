package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

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

// content is the generated data set by natural keys (slugs, codes,
// e-mails), with no row id: what two backends must agree on, line by line.
func content(t *testing.T, c *ent.Client) []string {
	t.Helper()
	ctx := auth.System(context.Background())
	key := map[int]string{}
	for _, m := range c.Municipality.Query().AllX(ctx) {
		key[m.ID] = "m" + m.Code
	}
	for _, o := range c.Organization.Query().AllX(ctx) {
		key[o.ID] = "o:" + o.Slug
	}
	for _, n := range c.Network.Query().AllX(ctx) {
		key[n.ID] = "n:" + n.Slug
	}
	for _, p := range c.Pilot.Query().AllX(ctx) {
		key[p.ID] = "p:" + p.Slug
	}
	for _, w := range c.Workspace.Query().AllX(ctx) {
		key[w.ID] = "w:" + w.Slug
	}
	for _, u := range c.User.Query().AllX(ctx) {
		key[u.ID] = "u:" + u.Email
	}
	for _, th := range c.Theme.Query().AllX(ctx) {
		key[th.ID] = "t:" + th.Slug
	}
	set := func(ids ...int) string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = key[id]
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	day := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.DateOnly)
	}
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	for _, p := range c.Pilot.Query().WithLeadMunicipality().WithWorkspace().AllX(ctx) {
		lead, ws := 0, 0
		if p.Edges.LeadMunicipality != nil {
			lead = p.Edges.LeadMunicipality.ID
		}
		if p.Edges.Workspace != nil {
			ws = p.Edges.Workspace.ID
		}
		add("pilot %s %q %q %s %s %s lead=%s munis=%s themes=%s orgs=%s nets=%s ws=%s", p.Slug, p.Title, p.Summary, p.Status,
			day(p.StartsOn), day(p.EndsOn), key[lead], set(p.QueryMunicipalities().IDsX(ctx)...), set(p.QueryThemes().IDsX(ctx)...),
			set(p.QueryOrganizations().IDsX(ctx)...), set(p.QueryNetworks().IDsX(ctx)...), key[ws])
	}
	for _, n := range c.Network.Query().AllX(ctx) {
		add("network %s %q %s %q munis=%s", n.Slug, n.Name, n.Kind, n.Description, set(n.QueryMunicipalities().IDsX(ctx)...))
	}
	for _, o := range c.Organization.Query().WithMunicipality().AllX(ctx) {
		m := 0
		if o.Edges.Municipality != nil {
			m = o.Edges.Municipality.ID
		}
		add("organisation %s %q %s %s", o.Slug, o.Name, o.Kind, key[m])
	}
	for _, l := range c.Link.Query().AllX(ctx) {
		add("link %s→%s %s %g %s %s", key[l.SourceID], key[l.TargetID], l.Kind, l.Weight, l.ValidFrom.UTC().Format(time.DateOnly), day(l.ValidTo))
	}
	for _, w := range c.Workspace.Query().WithNetwork().AllX(ctx) {
		n := 0
		if w.Edges.Network != nil {
			n = w.Edges.Network.ID
		}
		add("workspace %s %q %s %q net=%s", w.Slug, w.Name, w.Visibility, w.Description, key[n])
	}
	for _, m := range c.Membership.Query().AllX(ctx) {
		add("membership %s %s %s", key[m.UserID], key[m.WorkspaceID], m.Role)
	}
	for _, d := range c.Discussion.Query().WithWorkspace().AllX(ctx) {
		add("discussion %s %q %d", d.Edges.Workspace.Slug, d.Title, d.PostCount)
	}
	for _, n := range c.Notice.Query().WithWorkspace().AllX(ctx) {
		add("notice %s %q %q %s", n.Edges.Workspace.Slug, n.Title, n.Body, day(n.EventOn))
	}
	slices.Sort(lines)
	return lines
}

// TestGenerateSameOnBothDatabases: the same seed gives the same data set on
// SQLite and PostgreSQL (a hostile review found the themes dealt out
// differently: the generator took ids from queries without an order,
// which PostgreSQL answers in its heap order, changed by updates).
func TestGenerateSameOnBothDatabases(t *testing.T) {
	if len(testdb.Backends()) < 2 {
		t.Skip("KOKEILU_TEST_POSTGRES is not set")
	}
	lite, pg := content(t, generated(t, testdb.SQLite, "3").Client), content(t, generated(t, testdb.Postgres, "3").Client)
	if len(lite) != len(pg) {
		t.Fatalf("%d lines on SQLite, %d on PostgreSQL", len(lite), len(pg))
	}
	differ := 0
	for i := range lite {
		if lite[i] != pg[i] {
			if differ < 5 {
				t.Errorf("SQLite:     %.300s\nPostgreSQL: %.300s", lite[i], pg[i])
			}
			differ++
		}
	}
	if differ > 0 {
		t.Errorf("%d of %d lines differ", differ, len(lite))
	}
}
