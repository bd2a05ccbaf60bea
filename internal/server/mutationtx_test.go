package server_test

import (
	"context"
	stdsql "database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/workspace"
	"kokeilu/graph"
	"kokeilu/internal/database"
	"kokeilu/internal/pubsub"
	"kokeilu/internal/seed"
	"kokeilu/internal/testdb"

	"entgo.io/ent/dialect"
	"github.com/vektah/gqlparser/v2/ast"
	"pgregory.net/rapid"
)

// newAPIWith is newAPI over a database opened with pool settings (the
// -db-max-conns flag maps to Settings.MaxConns).
func newAPIWith(t *testing.T, b testdb.Backend, settings database.Settings, opts ...database.Option) *api {
	t.Helper()
	a := &api{t: t}
	db, err := database.OpenWith(context.Background(), testdb.DSN(t, b), settings, append(opts, database.CountStatements(&a.statements))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a.db = db
	if err := seed.Reference(context.Background(), db.Client); err != nil {
		t.Fatalf("reference data: %v", err)
	}
	a.serve(pubsub.NewMemory())
	return a
}

// TestMutationTxWorkshopSignUps signs 30 members up at once for 10 places
// and asks each sign-up's answer for its waiting position, a field computed
// by its own query: that query must run in the mutation's transaction (a
// second pool connection deadlocks against the workshop's row lock once the
// pool is taken by waiting sign-ups, and reads the state before the
// transaction's own write). Exactly 10 take part and 20 wait at positions
// 1..20, with no error, on both databases, also with a pool of 5.
func TestMutationTxWorkshopSignUps(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		for _, conns := range []int{0, 5} {
			t.Run(fmt.Sprintf("maxConns=%d", conns), func(t *testing.T) {
				a := newAPIWith(t, b, database.Settings{MaxConns: conns})
				p := a.people()
				w := a.newWorld(p, workspace.VisibilityPUBLIC)
				var created struct{ CreateWorkshop struct{ ID string } }
				a.query(&created, `mutation($ws: ID!) { createWorkshop(input: {workspaceId: $ws, title: "Verstas", startsAt: "2030-03-01T09:00:00Z", capacity: 10}) { id } }`,
					map[string]any{"ws": w.Workspace}, p.header("admin")...)
				tokens := make([]string, 30)
				for i := range tokens {
					tokens[i], _ = a.register(fmt.Sprintf("tx%d@example.org", i), fmt.Sprintf("Osallistuja %d", i))
					a.query(&struct{}{}, `mutation($ws: ID!) { joinWorkspace(workspaceId: $ws) { role } }`, map[string]any{"ws": w.Workspace}, bearer(tokens[i])...)
				}
				type answer struct {
					Status          string
					WaitingPosition *int
					Workshop        struct{ ParticipantCount, WaitingCount int }
				}
				answers := make([]answer, len(tokens))
				failures := make([]string, len(tokens))
				var wg sync.WaitGroup
				for i, token := range tokens {
					wg.Add(1)
					go func() {
						defer wg.Done()
						res := a.post(`mutation($id: ID!) { signUpForWorkshop(workshopId: $id) {
							status waitingPosition workshop { participantCount waitingCount } } }`,
							map[string]any{"id": created.CreateWorkshop.ID}, bearer(token)...)
						var data struct{ SignUpForWorkshop answer }
						if len(res.Errors) > 0 || json.Unmarshal(res.Data, &data) != nil {
							failures[i] = fmt.Sprintf("%d %v", res.Status, res.Errors)
							return
						}
						answers[i] = data.SignUpForWorkshop
					}()
				}
				wg.Wait()
				var participants int
				var positions []int
				for i, ans := range answers {
					if failures[i] != "" {
						t.Errorf("sign-up %d failed: %s", i, failures[i])
						continue
					}
					switch {
					case ans.Status == "PARTICIPANT" && ans.WaitingPosition == nil:
						participants++
					case ans.Status == "WAITING" && ans.WaitingPosition != nil:
						positions = append(positions, *ans.WaitingPosition)
						// The answer reads the transaction's own write: the
						// counts include this sign-up.
						if ans.Workshop.WaitingCount != *ans.WaitingPosition || ans.Workshop.ParticipantCount != 10 {
							t.Errorf("waiting at %d sees %+v", *ans.WaitingPosition, ans.Workshop)
						}
					default:
						t.Errorf("sign-up %d answered %+v", i, ans)
					}
				}
				sort.Ints(positions)
				for i, pos := range positions {
					if pos != i+1 {
						t.Fatalf("waiting positions %v, want 1..20 once each", positions)
					}
				}
				if participants != 10 || len(positions) != 20 {
					t.Errorf("%d participants and %d waiting, want 10 and 20", participants, len(positions))
				}
			})
		}
	})
}

// poolGuard records every statement that goes to the pool while its
// context carries a mutation's transaction: a second connection taken by a
// mutation, whatever the pool size or the timing.
type poolGuard struct {
	dialect.Driver
	mu     sync.Mutex
	misses []string
}

func (g *poolGuard) check(ctx context.Context, query string) {
	if ent.TxFromContext(ctx) != nil {
		g.mu.Lock()
		g.misses = append(g.misses, query)
		g.mu.Unlock()
	}
}

func (g *poolGuard) Exec(ctx context.Context, query string, args, v any) error {
	g.check(ctx, query)
	return g.Driver.Exec(ctx, query, args, v)
}

func (g *poolGuard) Query(ctx context.Context, query string, args, v any) error {
	g.check(ctx, query)
	return g.Driver.Query(ctx, query, args, v)
}

func (g *poolGuard) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	g.check(ctx, query)
	return g.Driver.(interface {
		ExecContext(context.Context, string, ...any) (stdsql.Result, error)
	}).ExecContext(ctx, query, args...)
}

func (g *poolGuard) QueryContext(ctx context.Context, query string, args ...any) (*stdsql.Rows, error) {
	g.check(ctx, query)
	return g.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*stdsql.Rows, error)
	}).QueryContext(ctx, query, args...)
}

// guardedAPI is a server on backend b whose pool has one connection and is
// watched by a poolGuard.
func guardedAPI(t *testing.T, b testdb.Backend) (*api, *poolGuard) {
	guard := &poolGuard{}
	return newAPIWith(t, b, database.Settings{MaxConns: 1}, func(d dialect.Driver) dialect.Driver { guard.Driver = d; return guard }), guard
}

// take returns the statements recorded so far and forgets them.
func (g *poolGuard) take() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	misses := g.misses
	g.misses = nil
	return misses
}

// TestMutationTxPropertyOneConnection draws mutations of the whole schema
// (opGen: real and edge-case arguments, selections reaching nested
// connections and computed fields) as a member and a site administrator.
// Property: no statement of a mutation, its answer's fields included, goes
// to the pool beside its transaction (poolGuard), and with PostgreSQL's
// pool at one connection no mutation times out or fails INTERNAL — a
// second connection would wait for the transaction's own.
func TestMutationTxPropertyOneConnection(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a, guard := guardedAPI(t, b)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		var made struct {
			CreateWorkshop struct{ ID string }
			CreateSurvey   struct{ ID string }
		}
		a.query(&made, `mutation($ws: ID!) {
			createWorkshop(input: {workspaceId: $ws, title: "Verstas", startsAt: "2030-03-01T09:00:00Z", capacity: 1}) { id }
			createSurvey(input: {workspaceId: $ws, title: "Kysely", questions: [{kind: SCALE, text: "Arvio"}]}) { id } }`,
			map[string]any{"ws": w.Workspace}, p.header("admin")...)
		ids := []string{w.Workspace, w.Discussion, w.Post, w.Notice, w.Pilot, w.Municipality, made.CreateWorkshop.ID, made.CreateSurvey.ID}
		g := &opGen{s: graph.NewSchema(nil, nil, nil, nil).Schema(), ids: len(ids), mutations: true}
		tokens := []string{p.token["member"], p.token["siteAdmin"]}
		answered := map[string]int{} // mutation → answers with data
		var ops int
		deadline := time.Now().Add(fuzzDuration() / 2)
		for time.Now().Before(deadline) && !t.Failed() {
			rapid.Check(t, func(rt *rapid.T) {
				query := g.operation(rt)
				for j, id := range ids {
					query = strings.ReplaceAll(query, fmt.Sprintf("@ID%d@", j), id)
				}
				token := rapid.SampledFrom(tokens).Draw(rt, "token")
				res := a.post(query, nil, bearer(token)...)
				ops++
				for _, e := range res.Errors {
					if c := e.code(); c == "INTERNAL" || c == "TIMEOUT" || c == "" {
						rt.Fatalf("%s: %+v\n%s", c, e, query)
					}
				}
				if misses := guard.take(); len(misses) > 0 {
					rt.Fatalf("%d statements went to the pool beside the transaction, first %q\n%s", len(misses), misses[0], query)
				}
				var data map[string]json.RawMessage
				if json.Unmarshal(res.Data, &data) == nil {
					for name, v := range data {
						if string(v) != "null" {
							answered[name]++
						}
					}
				}
			})
		}
		t.Logf("%d mutations; answered with data: %v", ops, answered)
	})
}

// fullSelection selects every field of a type that needs no argument, down
// to depth levels of objects (connections with first: 2, their nodes rather
// than edges; interfaces and unions by __typename), and counts the fields.
func fullSelection(s *ast.Schema, typeName string, depth int, fields *int) string {
	def := s.Types[typeName]
	if def == nil || def.Kind == ast.Scalar || def.Kind == ast.Enum {
		return ""
	}
	if def.Kind == ast.Interface || def.Kind == ast.Union || depth == 0 {
		*fields++
		return "{ __typename }"
	}
	parts := []string{"__typename"}
	for _, f := range def.Fields {
		if strings.HasPrefix(f.Name, "__") || f.Name == "edges" {
			continue
		}
		var args []string
		needs := false
		for _, a := range f.Arguments {
			switch {
			case a.Name == "first":
				args = append(args, "first: 2")
			case a.Type.NonNull && a.DefaultValue == nil:
				needs = true
			}
		}
		if needs {
			continue
		}
		field := f.Name
		if len(args) > 0 {
			field += "(" + strings.Join(args, ", ") + ")"
		}
		*fields++
		parts = append(parts, field+" "+fullSelection(s, f.Type.Name(), depth-1, fields))
	}
	return "{ " + strings.Join(parts, " ") + " }"
}

// TestMutationTxEveryPayloadField runs one valid call of most mutations,
// each selecting every field of its answer it can (fullSelection, as deep
// as the cost limit allows): every field resolver reachable from a
// mutation's answer — nested connections, counts, computed fields — runs
// inside the mutation. Property: none of their statements goes to the pool
// beside the transaction (poolGuard), and with PostgreSQL's pool at one
// connection every call answers, without error.
func TestMutationTxEveryPayloadField(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a, guard := guardedAPI(t, b)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		joiner, _ := a.register("sweep@example.org", "Sweep")
		schema := graph.NewSchema(nil, nil, nil, nil).Schema()
		ids := map[string]string{"ws": w.Workspace, "discussion": w.Discussion, "post": w.Post}
		calls := []struct {
			name, args, as string
			keep           string // where the answer's id is kept for later calls
		}{
			{"createWorkspace", `input: {name: "Sweep"}`, "admin", "newWs"},
			{"joinWorkspace", `workspaceId: "@ws@"`, "joiner", ""},
			{"startDiscussion", `input: {workspaceId: "@ws@", title: "Aihe", body: "Teksti"}`, "admin", ""},
			{"replyToDiscussion", `input: {discussionId: "@discussion@", body: "Vastaus"}`, "admin", "reply"},
			{"editPost", `id: "@reply@", body: "Muokattu"`, "admin", ""},
			{"lockDiscussion", `id: "@discussion@", locked: false`, "admin", ""},
			{"pinDiscussion", `id: "@discussion@", pinned: true`, "admin", ""},
			{"postNotice", `input: {workspaceId: "@ws@", title: "Tiedote"}`, "admin", ""},
			{"addMaterial", `input: {workspaceId: "@ws@", title: "Aineisto", url: "https://example.fi"}`, "admin", ""},
			{"createSurvey", `input: {workspaceId: "@ws@", title: "Kysely", questions: [{kind: SCALE, text: "Arvio"}]}`, "admin", "survey"},
			{"closeSurvey", `id: "@survey@"`, "admin", ""},
			{"createWorkshop", `input: {workspaceId: "@ws@", title: "Verstas", startsAt: "2030-03-01T09:00:00Z", capacity: 1}`, "admin", "workshop"},
			{"updateWorkshop", `id: "@workshop@", input: {capacity: 2}`, "admin", ""},
			{"signUpForWorkshop", `workshopId: "@workshop@"`, "joiner", ""},
			{"cancelWorkshopRegistration", `workshopId: "@workshop@"`, "joiner", ""},
			{"setParentWorkspace", `workspaceId: "@newWs@", parentId: "@ws@"`, "siteAdmin", ""},
			{"createPilot", `input: {title: "Kokeilu"}`, "member", ""},
		}
		for _, c := range calls {
			def := schema.Mutation.Fields.ForName(c.name)
			if def == nil {
				t.Fatalf("no mutation %s", c.name)
			}
			var sel string
			for depth := 4; depth > 0; depth-- {
				n := 0
				if sel = fullSelection(schema, def.Type.Name(), depth, &n); n <= 450 {
					break
				}
			}
			args := c.args
			for k, v := range ids {
				args = strings.ReplaceAll(args, "@"+k+"@", v)
			}
			token := joiner
			if c.as != "joiner" {
				token = p.token[c.as]
			}
			res := a.post("mutation { "+c.name+"("+args+") "+sel+" }", nil, bearer(token)...)
			var data map[string]struct{ ID string }
			if len(res.Errors) > 0 {
				t.Errorf("%s: %v", c.name, res.Errors)
			} else if err := json.Unmarshal(res.Data, &data); err != nil || data[c.name].ID == "" {
				t.Errorf("%s answered %.300s (%v)", c.name, res.Data, err)
			} else if c.keep != "" {
				ids[c.keep] = data[c.name].ID
			}
			if misses := guard.take(); len(misses) > 0 {
				t.Errorf("%s: %d statements went to the pool beside the transaction, first %q", c.name, len(misses), misses[0])
			}
		}
	})
}
