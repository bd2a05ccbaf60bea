package server_test

import (
	"fmt"
	"sync"
	"testing"

	"kokeilu/ent/workspace"
	"kokeilu/internal/testdb"
)

// TestOwnersDemotingEachOther races the rule "a workspace keeps an owner":
// in 15 workspaces two owners demote each other at the same moment. At most
// one of each pair may succeed; every workspace keeps an owner, on both
// databases.
func TestOwnersDemotingEachOther(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		const n = 15
		type pair struct{ ws, slug, tokA, idA, tokB, idB string }
		pairs := make([]pair, n)
		for i := range pairs {
			p := &pairs[i]
			p.tokA, p.idA = a.register(fmt.Sprintf("a%d@example.org", i), "A")
			p.tokB, p.idB = a.register(fmt.Sprintf("b%d@example.org", i), "B")
			var ws struct{ CreateWorkspace struct{ ID, Slug string } }
			a.query(&ws, `mutation($n: String!) { createWorkspace(input: {name: $n}) { id slug } }`, map[string]any{"n": fmt.Sprintf("Kilpa %d", i)}, bearer(p.tokA)...)
			p.ws, p.slug = ws.CreateWorkspace.ID, ws.CreateWorkspace.Slug
			var joined struct{ JoinWorkspace struct{ Role string } }
			a.query(&joined, `mutation($ws: ID!) { joinWorkspace(workspaceId: $ws) { role } }`, map[string]any{"ws": p.ws}, bearer(p.tokB)...)
			var set struct{ SetMemberRole struct{ Role string } }
			a.query(&set, `mutation($ws: ID!, $u: ID!) { setMemberRole(workspaceId: $ws, userId: $u, role: OWNER) { role } }`, map[string]any{"ws": p.ws, "u": p.idB}, bearer(p.tokA)...)
			if set.SetMemberRole.Role != "OWNER" {
				t.Fatalf("second owner: %+v", set)
			}
		}
		const demote = `mutation($ws: ID!, $u: ID!) { setMemberRole(workspaceId: $ws, userId: $u, role: ADMIN) { role } }`
		results := make([][2]response, n)
		var wg sync.WaitGroup
		for i, p := range pairs {
			wg.Add(2)
			go func() {
				defer wg.Done()
				results[i][0] = a.post(demote, map[string]any{"ws": p.ws, "u": p.idB}, bearer(p.tokA)...)
			}()
			go func() {
				defer wg.Done()
				results[i][1] = a.post(demote, map[string]any{"ws": p.ws, "u": p.idA}, bearer(p.tokB)...)
			}()
		}
		wg.Wait()
		ownerless := 0
		for i, p := range pairs {
			ok := 0
			for _, r := range results[i] {
				switch {
				case r.Status >= 500:
					t.Errorf("status %d", r.Status)
				case len(r.Errors) == 0:
					ok++
				case r.Errors[0].code() != "FORBIDDEN":
					t.Errorf("workspace %d: %+v", i, r.Errors)
				}
			}
			var got struct {
				Workspace struct {
					Memberships struct{ TotalCount int }
				}
			}
			a.query(&got, `query($s: String!) { workspace(slug: $s) { memberships(where: {role: OWNER}) { totalCount } } }`, map[string]any{"s": p.slug}, bearer(p.tokA)...)
			if got.Workspace.Memberships.TotalCount == 0 {
				ownerless++
			}
			if ok != 1 {
				t.Errorf("workspace %d: %d demotions succeeded, want exactly 1", i, ok)
			}
		}
		if ownerless > 0 {
			t.Errorf("%d of %d workspaces lost every owner", ownerless, n)
		}
	})
}

// TestConcurrentSurveyAnswers races "one response per user": one member
// answers a survey 12 times at once; every answer succeeds (the last one
// wins) and one response is stored, on both databases.
func TestConcurrentSurveyAnswers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		var created struct{ CreateSurvey struct{ ID string } }
		a.query(&created, `mutation($ws: ID!) { createSurvey(input: {workspaceId: $ws, title: "Kilpa", questions: [{kind: SCALE, text: "Arvio"}]}) { id } }`,
			map[string]any{"ws": w.Workspace}, p.header("owner")...)
		results := make([]response, 12)
		var wg sync.WaitGroup
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = a.post(answerSurvey, map[string]any{"id": created.CreateSurvey.ID, "a": []map[string]any{{"questionKey": "q1", "scale": i%5 + 1}}}, p.header("member")...)
			}()
		}
		wg.Wait()
		for i, r := range results {
			if r.Status >= 500 || len(r.Errors) > 0 {
				t.Errorf("answer %d: status %d %+v", i, r.Status, r.Errors)
			}
		}
		var got struct {
			Node struct{ Results struct{ Responses int } }
		}
		a.query(&got, `query($id: ID!) { node(id: $id) { ... on Survey { results { responses } } } }`, map[string]any{"id": created.CreateSurvey.ID}, p.header("owner")...)
		if got.Node.Results.Responses != 1 {
			t.Errorf("%d responses stored for one member, want 1", got.Node.Results.Responses)
		}
	})
}
