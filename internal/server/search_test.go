package server_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/database"
	"kokeilu/internal/pubsub"
	"kokeilu/internal/search"
	"kokeilu/internal/seed"
	"kokeilu/internal/testdb"
)

const searchQuery = `query($q: String!, $types: [SearchType!], $first: Int, $after: Cursor) {
  search(query: $q, types: $types, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor }
    edges { cursor }
    nodes {
      __typename
      ... on Pilot { id title }
      ... on Network { id name }
      ... on Organization { id name }
      ... on Workspace { id name }
      ... on Discussion { id title }
      ... on Notice { id title }
    }
  }
}`

type searchHit struct {
	Typename string `json:"__typename"`
	ID       string `json:"id"`
	Title    string `json:"title"`
	Name     string `json:"name"`
}

func (h searchHit) label() string { return h.Title + h.Name }

type searchResult struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage, HasPreviousPage bool
		EndCursor                    *string
	}
	Edges []struct{ Cursor string }
	Nodes []searchHit
}

// search runs the search query through HTTP; header pairs go to the request.
func (a *api) search(q string, vars map[string]any, header ...string) searchResult {
	a.t.Helper()
	if vars == nil {
		vars = map[string]any{}
	}
	vars["q"] = q
	var got struct{ Search searchResult }
	a.query(&got, searchQuery, vars, header...)
	if len(got.Search.Edges) != len(got.Search.Nodes) {
		a.t.Fatalf("%d edges for %d nodes", len(got.Search.Edges), len(got.Search.Nodes))
	}
	return got.Search
}

// pilots are search variables for pilots only: the municipality Äänekoski
// is a hit too.
func pilots() map[string]any { return map[string]any{"types": []string{"PILOT"}} }

func labels(r searchResult) []string {
	out := make([]string, len(r.Nodes))
	for i, n := range r.Nodes {
		out[i] = n.label()
	}
	return out
}

// TestSearch: accents and case do not matter, words match as prefixes, all
// words must match, titles rank above bodies, types filter, paging works
// and writes (ent and GraphQL mutations) keep the index current.
func TestSearch(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		ctx := auth.System(context.Background())
		c := a.db.Client
		c.Pilot.Create().SetTitle("Liikkumisen palvelut").
			SetDescription("Kutsuliikenne, jota Äänekoski ja sen lähikunnat kokeilevat.").ExecX(ctx)
		title := c.Pilot.Create().SetTitle("Äänekoski kokeilee").SetSummary("Kunnan omat kokeilut.").SaveX(ctx)
		c.Network.Create().SetName("KOKEILU-verkosto").SetDescription("Kuntien verkosto.").ExecX(ctx)
		c.Organization.Create().SetName("Åbo Akademi").SetSlug("abo-akademi").SetDescription("Universitet i Åbo.").ExecX(ctx)
		c.Pilot.Create().SetTitle("Perustulo").SetSummary("Ei mitään yhteistä.").ExecX(ctx)

		// "aanekoski" meets "Äänekoski" in a title and in a body:
		// both found, the title hit first.
		got := a.search("aanekoski", pilots())
		if want := []string{"Äänekoski kokeilee", "Liikkumisen palvelut"}; !slices.Equal(labels(got), want) || got.TotalCount != 2 {
			t.Errorf("aanekoski: %v (total %d), want %v", labels(got), got.TotalCount, want)
		}
		// Case and prefix: "kokeil" finds "kokeilut", "kokeilevat" and "KOKEILU-verkosto".
		got = a.search("Kokeil", nil)
		if l := labels(got); len(l) != 3 || !slices.Contains(l, "Äänekoski kokeilee") || !slices.Contains(l, "KOKEILU-verkosto") {
			t.Errorf("Kokeil: %v", l)
		}
		// Swedish å, typed without the ring; all words must match.
		if l := labels(a.search("abo akad", nil)); !slices.Equal(l, []string{"Åbo Akademi"}) {
			t.Errorf("abo akad: %v", l)
		}
		// Accents typed are kept in a prefix: "Åbo" and "Åb" do not find
		// "about" (both fold to "abo…"); typed without them, a prefix
		// finds both.
		c.Pilot.Create().SetTitle("About the pilot").ExecX(ctx)
		for q, want := range map[string][]string{
			"Åbo": {"Åbo Akademi"}, "åb": {"Åbo Akademi"}, "ÅBO akademi": {"Åbo Akademi"},
			"abo": {"About the pilot", "Åbo Akademi"}, "abou": {"About the pilot"},
		} {
			l := labels(a.search(q, map[string]any{"types": []string{"PILOT", "ORGANIZATION"}}))
			slices.Sort(l)
			if !slices.Equal(l, want) {
				t.Errorf("%s: %q, want %q", q, l, want)
			}
		}
		if l := labels(a.search("ÄÄNEKOSKI perustulo", nil)); len(l) != 0 {
			t.Errorf("words that no row has together: %v", l)
		}
		// types filters kinds.
		got = a.search("kokeil", map[string]any{"types": []string{"NETWORK"}})
		if l := labels(got); !slices.Equal(l, []string{"KOKEILU-verkosto"}) || got.Nodes[0].Typename != "Network" {
			t.Errorf("types NETWORK: %+v", got.Nodes)
		}

		// Paging: one hit per page, the second page continues after the first.
		p1 := a.search("aanekoski", map[string]any{"first": 1, "types": []string{"PILOT"}})
		if len(p1.Nodes) != 1 || !p1.PageInfo.HasNextPage || p1.PageInfo.HasPreviousPage || p1.TotalCount != 2 {
			t.Fatalf("page 1: %+v", p1)
		}
		p2 := a.search("aanekoski", map[string]any{"first": 1, "after": *p1.PageInfo.EndCursor, "types": []string{"PILOT"}})
		if l := labels(p2); !slices.Equal(l, []string{"Liikkumisen palvelut"}) || p2.PageInfo.HasNextPage || !p2.PageInfo.HasPreviousPage {
			t.Errorf("page 2: %+v", p2)
		}
		a.fail("BAD_USER_INPUT", `{ search(query: "kunta", first: 101) { totalCount } }`, nil)
		a.fail("BAD_USER_INPUT", `{ search(query: "  !? ") { totalCount } }`, nil)

		// Writes through ent: a renamed pilot is found by its new title only.
		c.Pilot.UpdateOne(title).SetTitle("Saarijärvi kokeilee").ExecX(ctx)
		if l := labels(a.search("saarijarvi", pilots())); !slices.Equal(l, []string{"Saarijärvi kokeilee"}) {
			t.Errorf("after rename: %v", l)
		}
		if l := labels(a.search("aanekoski", pilots())); !slices.Equal(l, []string{"Liikkumisen palvelut"}) {
			t.Errorf("old title still found: %v", l)
		}
		// Writes through GraphQL mutations (in their transaction).
		token, _ := a.register("tekija@example.org", "Tekijä")
		var created struct{ CreatePilot struct{ ID string } }
		a.query(&created, `mutation { createPilot(input: {title: "Öljylämmityksen korvaaminen"}) { id } }`, nil, bearer(token)...)
		got = a.search("oljylammit", nil)
		if len(got.Nodes) != 1 || got.Nodes[0].ID != created.CreatePilot.ID {
			t.Errorf("created pilot not found: %+v", got.Nodes)
		}
		// A failed mutation leaves no document: the index is in its transaction.
		res := a.post(`mutation { createPilot(input: {title: "Hylätty kokeilu", startsOn: "2026-05-01", endsOn: "2026-04-01"}) { id } }`, nil, bearer(token)...)
		if len(res.Errors) == 0 {
			t.Fatal("the invalid pilot was accepted")
		}
		if got := a.search("hylatty", nil); got.TotalCount != 0 {
			t.Errorf("rolled-back pilot found: %+v", got)
		}
	})
}

// TestSearchPrivacy: discussions and notices of a members-only workspace are
// found by its members and site administrators only, and totalCount counts
// only what the viewer may read.
func TestSearchPrivacy(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		private := a.newWorld(p, workspace.VisibilityMEMBERS_ONLY)
		public := a.newWorld(p, workspace.VisibilityPUBLIC)
		for _, role := range roles {
			got := a.search("kokeilun tulokset", nil, p.header(role)...)
			var ids []string
			for _, n := range got.Nodes {
				ids = append(ids, n.ID)
			}
			want := []string{public.Discussion}
			if role == "member" || role == "admin" || role == "owner" || role == "siteAdmin" {
				want = []string{private.Discussion, public.Discussion}
			}
			slices.Sort(ids)
			slices.Sort(want)
			if !slices.Equal(ids, want) || got.TotalCount != len(want) {
				t.Errorf("%s: discussions %v (total %d), want %v", role, ids, got.TotalCount, want)
			}
			notices := a.search("seminaari", map[string]any{"types": []string{"NOTICE"}}, p.header(role)...)
			if notices.TotalCount != len(want) || len(notices.Nodes) != len(want) {
				t.Errorf("%s: %d notices (total %d), want %d", role, len(notices.Nodes), notices.TotalCount, len(want))
			}
		}
		// A discussion's body is its opening post ("Ensimmäinen viesti");
		// replies leave it as it is.
		if got := a.search("ensimmainen viesti", map[string]any{"types": []string{"DISCUSSION"}}, p.header("member")...); got.TotalCount != 2 {
			t.Errorf("opening posts: %+v", got)
		}
		a.query(&struct{}{}, `mutation($d: ID!) { replyToDiscussion(input: {discussionId: $d, body: "Toinen viesti"}) { id } }`,
			map[string]any{"d": public.Discussion}, p.header("member")...)
		if got := a.search("toinen", nil, p.header("member")...); got.TotalCount != 0 {
			t.Errorf("a reply became part of the discussion's document: %+v", got)
		}
		// Both workspaces themselves are public knowledge.
		if got := a.search("tyotila world", map[string]any{"types": []string{"WORKSPACE"}}); got.TotalCount != 2 {
			t.Errorf("workspaces: %+v", got)
		}
	})
}

// TestSearchIndexesExistingRows: rows written without the index (an older
// database, a bulk load) are indexed when the server starts; the demo
// content is found.
func TestSearchIndexesExistingRows(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		dsn := testdb.DSN(t, b)
		db, err := database.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		ctx := search.WithoutIndexing(auth.System(context.Background()))
		if err := seed.Reference(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		if _, err := seed.Demo(ctx, db.Client, time.Now()); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.SQL.QueryRow(`SELECT count(*) FROM search_documents`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("documents written while indexing was off: %d, %v", n, err)
		}
		db.Close()

		a := &api{t: t}
		if a.db, err = database.Open(context.Background(), dsn); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.db.Close() })
		a.serve(pubsub.NewMemory())
		got := a.search("kokeilevat kunnat", nil)
		var kinds []string
		for _, n := range got.Nodes {
			kinds = append(kinds, n.Typename)
		}
		for _, want := range []string{"Workspace", "Network", "Notice"} {
			if !slices.Contains(kinds, want) {
				t.Errorf("demo %s not found: %v", want, labels(got))
			}
		}
		if l := labels(a.search("verkostot kokeilukulttuurin", nil)); !slices.Contains(l, "Verkostot kokeilukulttuurin vahvistajina") {
			t.Errorf("demo notice: %v", l)
		}
	})
}

// TestSearchUsesIndex: the search statement reads the full-text index, not
// the table: FTS4 on SQLite, the GIN index on PostgreSQL (with sequential
// scans discouraged, as they would win on a table this small).
func TestSearchUsesIndex(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		var plan []string
		conn, err := a.db.SQL.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		query := `EXPLAIN QUERY PLAN SELECT d.id FROM search_fts JOIN search_documents d ON d.id = search_fts.docid WHERE search_fts MATCH 'kokeil*'`
		want := "VIRTUAL TABLE INDEX"
		if b == testdb.Postgres {
			if _, err := conn.ExecContext(context.Background(), `SET enable_seqscan = off`); err != nil {
				t.Fatal(err)
			}
			query = `EXPLAIN SELECT id FROM search_documents d WHERE d.tsv @@ to_tsquery('simple', 'kokeil:*')`
			want = "search_documents_tsv"
		}
		rows, err := conn.QueryContext(context.Background(), query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				if s, ok := v.(string); ok {
					plan = append(plan, s)
				}
			}
		}
		if !strings.Contains(strings.Join(plan, "\n"), want) {
			t.Errorf("plan does not use the index (%s):\n%s", want, strings.Join(plan, "\n"))
		}
	})
}

// TestSearchRebuildsOnAnalyserChange: an index written by another analyser
// version is built again when the server starts, and one of the current
// version is left as it is.
func TestSearchRebuildsOnAnalyserChange(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		dsn := testdb.DSN(t, b)
		open := func() *database.DB {
			db, err := database.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			return db
		}
		db := open()
		ctx := auth.System(context.Background())
		db.Client.Pilot.Create().SetTitle("Kunnissa kokeillaan").ExecX(ctx)
		p := db.Client.Pilot.Create().SetTitle("Kunnat kokeilevat").SaveX(ctx)
		db.Client.Pilot.Create().SetTitle("Lapin kunnat").ExecX(ctx)
		// Lose one document, as an older analyser would not have found it.
		lose := func(db *database.DB, version int) {
			for _, q := range []string{`DELETE FROM search_documents WHERE id = ` + fmt.Sprint(p.ID), `UPDATE search_analyser SET version = ` + fmt.Sprint(version)} {
				if _, err := db.SQL.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			also := `DELETE FROM search_fts WHERE docid = `
			if b == testdb.Postgres {
				also = `DELETE FROM search_titles WHERE id = `
			}
			if _, err := db.SQL.Exec(also + fmt.Sprint(p.ID)); err != nil {
				t.Fatal(err)
			}
		}
		count := func(db *database.DB) int {
			hits, total, err := db.Search.Search(ctx, db.Client, search.Query{Terms: search.Terms(`"kunnissa"`), Window: func(n int) (int, int) { return 0, n }})
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) != total {
				t.Fatalf("%d hits, total %d", len(hits), total)
			}
			return total
		}
		lose(db, search.AnalyserVersion)
		db.Close()
		db = open()
		if n := count(db); n != 2 {
			t.Errorf("index of the current version changed at start: %d hits, want 2 (one lost)", n)
		}
		lose(db, search.AnalyserVersion-1)
		db.Close()
		db = open()
		defer db.Close()
		if n := count(db); n != 3 {
			t.Errorf("index of an older analyser: %d hits after start, want 3", n)
		}
	})
}
