package server_test

import (
	"strings"
	"testing"

	"kokeilu/ent/workspace"
	"kokeilu/internal/testdb"
)

// TestMutationsRejectBadInput names the offending field of each bad input.
func TestMutationsRejectBadInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		other := a.newWorld(p, workspace.VisibilityPUBLIC)
		long := strings.Repeat("x", 20001)
		for _, c := range []struct {
			name, query string
			vars        map[string]any
			field       string
		}{
			{"empty title", `mutation($ws: ID!) { startDiscussion(input: {workspaceId: $ws, title: "  ", body: "b"}) { id } }`, map[string]any{"ws": w.Workspace}, "title"},
			{"long body", `mutation($ws: ID!, $b: String!) { startDiscussion(input: {workspaceId: $ws, title: "t", body: $b}) { id } }`, map[string]any{"ws": w.Workspace, "b": long}, "body"},
			{"empty reply", `mutation($d: ID!) { replyToDiscussion(input: {discussionId: $d, body: ""}) { id } }`, map[string]any{"d": w.Discussion}, "body"},
			{"reply to another discussion's post", `mutation($d: ID!, $p: ID!) { replyToDiscussion(input: {discussionId: $d, body: "b", replyToId: $p}) { id } }`, map[string]any{"d": w.Discussion, "p": other.Post}, "replyToId"},
			{"notice url", `mutation($ws: ID!) { postNotice(input: {workspaceId: $ws, title: "t", url: "javascript:alert(1)"}) { id } }`, map[string]any{"ws": w.Workspace}, "url"},
			{"notice expires before published", `mutation($ws: ID!) { postNotice(input: {workspaceId: $ws, title: "t", expiresAt: "2001-01-01T00:00:00Z"}) { id } }`, map[string]any{"ws": w.Workspace}, "expiresAt"},
			{"pilot ends before it starts", `mutation { createPilot(input: {title: "t", startsOn: "2026-05-01", endsOn: "2026-04-30"}) { id } }`, nil, "endsOn"},
			{"empty pilot title", `mutation { createPilot(input: {title: ""}) { id } }`, nil, "title"},
			{"pilot with a workspace as municipality", `mutation($ws: ID!) { createPilot(input: {title: "t", municipalityIDs: [$ws]}) { id } }`, map[string]any{"ws": w.Workspace}, "municipalityIDs"},
			{"link to itself", `mutation($m: ID!) { createLink(input: {sourceID: $m, targetID: $m}) { id } }`, map[string]any{"m": w.Municipality}, "targetID"},
			{"link from a workspace", `mutation($ws: ID!, $m: ID!) { createLink(input: {sourceID: $ws, targetID: $m}) { id } }`, map[string]any{"ws": w.Workspace, "m": w.Municipality}, "sourceID"},
			{"link with negative weight", `mutation($p: ID!, $m: ID!) { createLink(input: {sourceID: $p, targetID: $m, weight: -1}) { id } }`, map[string]any{"p": w.Pilot, "m": w.Municipality}, "weight"},
			{"link valid to before valid from", `mutation($p: ID!, $m: ID!) { createLink(input: {sourceID: $p, targetID: $m, validFrom: "2020-01-01", validTo: "2019-01-01"}) { id } }`, map[string]any{"p": w.Pilot, "m": w.Municipality}, "validTo"},
			{"empty workspace name", `mutation { createWorkspace(input: {name: ""}) { id } }`, nil, "name"},
			{"bad workspace slug", `mutation { createWorkspace(input: {name: "n", slug: "Not A Slug"}) { id } }`, nil, "slug"},
		} {
			res := a.post(c.query, c.vars, p.header("owner")...)
			if len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != c.field {
				t.Errorf("%s: want BAD_USER_INPUT on %s, got %+v", c.name, c.field, res.Errors)
			}
		}
		// The stored dates count when only one side changes.
		var created struct{ CreatePilot struct{ ID string } }
		a.query(&created, `mutation { createPilot(input: {title: "Dated", startsOn: "2026-05-01", endsOn: "2026-06-01"}) { id } }`, nil, p.header("member")...)
		res := a.post(`mutation($id: ID!) { updatePilot(id: $id, input: {endsOn: "2026-04-01"}) { id } }`, map[string]any{"id": created.CreatePilot.ID}, p.header("member")...)
		if len(res.Errors) == 0 || res.Errors[0].Extensions["field"] != "endsOn" {
			t.Errorf("end before the stored start: %+v", res.Errors)
		}
	})
}

// TestMutationIsOneTransaction runs two mutations in one request, the second
// failing: neither is stored.
func TestMutationIsOneTransaction(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		res := a.post(`mutation {
			ok: createPilot(input: {title: "Kept?"}) { id }
			bad: createPilot(input: {title: "Broken", startsOn: "2026-02-01", endsOn: "2026-01-01"}) { id }
		}`, nil, p.header("member")...)
		if len(res.Errors) == 0 {
			t.Fatal("the second mutation did not fail")
		}
		var got struct{ Pilots struct{ TotalCount int } }
		a.query(&got, `{ pilots { totalCount } }`, nil)
		if got.Pilots.TotalCount != 0 {
			t.Errorf("%d pilots stored after a failed mutation request", got.Pilots.TotalCount)
		}
		// startDiscussion writes a discussion and its first post; a locked
		// reply writes nothing either.
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		a.query(&struct{}{}, `mutation($d: ID!) { lockDiscussion(id: $d, locked: true) { locked } }`, map[string]any{"d": w.Discussion}, p.header("owner")...)
		if e := a.post(`mutation($d: ID!) { replyToDiscussion(input: {discussionId: $d, body: "late"}) { id } }`, map[string]any{"d": w.Discussion}, p.header("member")...); outcome(e) != "FORBIDDEN" {
			t.Errorf("reply to a locked discussion: %s", outcome(e))
		}
		var d struct {
			Node struct {
				PostCount int
				Posts     struct{ TotalCount int }
			}
		}
		a.query(&d, `query($d: ID!) { node(id: $d) { ... on Discussion { postCount posts { totalCount } } } }`, map[string]any{"d": w.Discussion})
		if d.Node.PostCount != 1 || d.Node.Posts.TotalCount != 1 {
			t.Errorf("after a refused reply: postCount %d, posts %d", d.Node.PostCount, d.Node.Posts.TotalCount)
		}
	})
}
