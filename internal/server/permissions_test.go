package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"kokeilu/ent/membership"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"
)

var roles = []string{"anonymous", "outsider", "pending", "member", "admin", "owner", "siteAdmin"}

// people are the registered users of a permission test, by role.
type people struct {
	token map[string]string
	id    map[string]int
}

func (a *api) people() people {
	p := people{token: map[string]string{}, id: map[string]int{}}
	for _, r := range roles[1:] {
		var token, gid string
		if r == "siteAdmin" {
			token, gid = a.siteAdmin(r)
		} else {
			token, gid = a.register(r+"@example.org", r)
		}
		id, err := scalar.DecodeID(gid)
		if err != nil {
			a.t.Fatal(err)
		}
		p.token[r], p.id[r] = token, id
	}
	return p
}

func (p people) header(role string) []string {
	if role == "anonymous" {
		return nil
	}
	return bearer(p.token[role])
}

// world is a members-only workspace with an owner, an admin, a member and a
// pending applicant, a discussion with a post by the member, a notice, and
// a pilot the member created. IDs are global GraphQL IDs.
type world struct {
	Workspace, Discussion, Post, Notice, Pilot, Municipality string
	slug                                                     string
}

func (a *api) newWorld(p people, visibility workspace.Visibility) world {
	a.t.Helper()
	ctx := auth.System(context.Background())
	c := a.db.Client
	n := c.Workspace.Query().CountX(ctx)
	slug := fmt.Sprintf("world-%d", n)
	ws := c.Workspace.Create().SetName("Työtila " + slug).SetSlug(slug).SetVisibility(visibility).SaveX(ctx)
	for role, r := range map[string]membership.Role{"owner": membership.RoleOWNER, "admin": membership.RoleADMIN,
		"member": membership.RoleMEMBER, "pending": membership.RolePENDING} {
		c.Membership.Create().SetWorkspace(ws).SetUserID(p.id[role]).SetRole(r).ExecX(ctx)
	}
	d := c.Discussion.Create().SetWorkspace(ws).SetTitle("Kokeilun tulokset").SetAuthorID(p.id["member"]).SetPostCount(1).SaveX(ctx)
	post := c.Post.Create().SetDiscussion(d).SetBody("Ensimmäinen viesti").SetAuthorID(p.id["member"]).SaveX(ctx)
	notice := c.Notice.Create().SetWorkspace(ws).SetTitle("Seminaari").SaveX(ctx)
	muni := c.Municipality.Query().FirstIDX(ctx)
	pilot := c.Pilot.Create().SetTitle("Jäsenen kokeilu").SetCreatedByID(p.id["member"]).SaveX(ctx)
	if err := a.board.Sync(ctx); err != nil { // the notice's event is out before anyone subscribes
		a.t.Fatal(err)
	}
	return world{Workspace: scalar.EncodeID(ws.ID), Discussion: scalar.EncodeID(d.ID), Post: scalar.EncodeID(post.ID),
		Notice: scalar.EncodeID(notice.ID), Pilot: scalar.EncodeID(pilot.ID), Municipality: scalar.EncodeID(muni), slug: slug}
}

// outcome is "OK" or the error code of a response.
func outcome(res response) string {
	if res.Status >= 500 {
		return fmt.Sprintf("HTTP %d", res.Status)
	}
	if len(res.Errors) > 0 {
		return res.Errors[0].code()
	}
	return "OK"
}

// expect lists outcomes in the order of roles.
func expect(outcomes ...string) map[string]string {
	m := map[string]string{}
	for i, r := range roles {
		m[r] = outcomes[i]
	}
	return m
}

// TestPermissionMatrix runs every mutation as every kind of person against a
// fresh members-only workspace, and checks the outcome through HTTP.
func TestPermissionMatrix(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		const (
			U = "UNAUTHENTICATED"
			F = "FORBIDDEN"
			N = "NOT_FOUND"
			C = "CONFLICT"
		)
		cases := []struct {
			name  string
			query string
			vars  func(w world) map[string]any
			want  map[string]string
		}{
			{"startDiscussion", `mutation($ws: ID!) { startDiscussion(input: {workspaceId: $ws, title: "Uusi", body: "Avaus"}) { id postCount } }`,
				func(w world) map[string]any { return map[string]any{"ws": w.Workspace} },
				expect(U, F, F, "OK", "OK", "OK", "OK")},
			{"replyToDiscussion", `mutation($d: ID!, $p: ID) { replyToDiscussion(input: {discussionId: $d, body: "Vastaus", replyToId: $p}) { id replyTo { id } } }`,
				// A hidden discussion named in an input is like one that does not
				// exist: BAD_USER_INPUT on discussionId (collab.refs).
				func(w world) map[string]any { return map[string]any{"d": w.Discussion, "p": w.Post} },
				expect(U, "BAD_USER_INPUT", "BAD_USER_INPUT", "OK", "OK", "OK", "OK")},
			{"editPost (the member's)", `mutation($p: ID!) { editPost(id: $p, body: "Korjattu") { body editedAt } }`,
				func(w world) map[string]any { return map[string]any{"p": w.Post} },
				expect(U, N, N, "OK", F, F, F)},
			{"deletePost (the member's)", `mutation($p: ID!) { deletePost(id: $p) { deleted body } }`,
				func(w world) map[string]any { return map[string]any{"p": w.Post} },
				expect(U, N, N, "OK", "OK", "OK", "OK")},
			{"lockDiscussion", `mutation($d: ID!) { lockDiscussion(id: $d, locked: true) { locked } }`,
				func(w world) map[string]any { return map[string]any{"d": w.Discussion} },
				expect(U, N, N, F, "OK", "OK", "OK")},
			{"pinDiscussion", `mutation($d: ID!) { pinDiscussion(id: $d, pinned: true) { pinned } }`,
				func(w world) map[string]any { return map[string]any{"d": w.Discussion} },
				expect(U, N, N, F, "OK", "OK", "OK")},
			{"postNotice", `mutation($ws: ID!) { postNotice(input: {workspaceId: $ws, title: "Verstas", eventOn: "2027-01-15", url: "https://example.org/verstas"}) { id eventOn } }`,
				func(w world) map[string]any { return map[string]any{"ws": w.Workspace} },
				expect(U, F, F, F, "OK", "OK", "OK")},
			{"joinWorkspace", `mutation($ws: ID!) { joinWorkspace(workspaceId: $ws) { role } }`,
				func(w world) map[string]any { return map[string]any{"ws": w.Workspace} },
				expect(U, "OK", C, C, C, C, "OK")},
			{"leaveWorkspace", `mutation($ws: ID!) { leaveWorkspace(workspaceId: $ws) }`,
				func(w world) map[string]any { return map[string]any{"ws": w.Workspace} },
				expect(U, N, "OK", "OK", "OK", F, N)},
			{"setMemberRole (approve the pending)", `mutation($ws: ID!, $u: ID!) { setMemberRole(workspaceId: $ws, userId: $u, role: MEMBER) { role } }`,
				func(w world) map[string]any {
					return map[string]any{"ws": w.Workspace, "u": scalar.EncodeID(p.id["pending"])}
				},
				expect(U, N, F, N, "OK", "OK", "OK")},
			{"setMemberRole (make the member owner)", `mutation($ws: ID!, $u: ID!) { setMemberRole(workspaceId: $ws, userId: $u, role: OWNER) { role } }`,
				func(w world) map[string]any {
					return map[string]any{"ws": w.Workspace, "u": scalar.EncodeID(p.id["member"])}
				},
				expect(U, N, N, F, F, "OK", "OK")},
			{"setMemberRole (demote the owner)", `mutation($ws: ID!, $u: ID!) { setMemberRole(workspaceId: $ws, userId: $u, role: MEMBER) { role } }`,
				func(w world) map[string]any {
					return map[string]any{"ws": w.Workspace, "u": scalar.EncodeID(p.id["owner"])}
				},
				// The owner is the last one: not even they may step down.
				expect(U, N, N, F, F, F, F)},
			{"createWorkspace", `mutation { createWorkspace(input: {name: "Oma työtila", visibility: MEMBERS_ONLY}) { slug memberships { nodes { role } } } }`,
				func(world) map[string]any { return nil },
				expect(U, "OK", "OK", "OK", "OK", "OK", "OK")},
			{"createPilot", `mutation($m: ID!) { createPilot(input: {title: "Uusi kokeilu", startsOn: "2026-01-01", endsOn: "2026-12-31", municipalityIDs: [$m]}) { slug createdBy { id } } }`,
				func(w world) map[string]any { return map[string]any{"m": w.Municipality} },
				expect(U, "OK", "OK", "OK", "OK", "OK", "OK")},
			{"updatePilot (the member's)", `mutation($id: ID!) { updatePilot(id: $id, input: {summary: "Päivitetty"}) { summary } }`,
				func(w world) map[string]any { return map[string]any{"id": w.Pilot} },
				expect(U, F, F, "OK", F, F, "OK")},
			{"createNetwork", `mutation { createNetwork(input: {name: "Uusi verkosto"}) { slug pilots { totalCount } } }`,
				func(w world) map[string]any { return nil },
				expect(U, "OK", "OK", "OK", "OK", "OK", "OK")},
			// Attaching the member's pilot needs the right to change it.
			{"createNetwork with the member's pilot", `mutation($p: ID!) { createNetwork(input: {name: "Uusi verkosto", pilotIDs: [$p]}) { slug pilots { totalCount } } }`,
				func(w world) map[string]any { return map[string]any{"p": w.Pilot} },
				expect(U, F, F, "OK", F, F, "OK")},
			{"createLink", `mutation($s: ID!, $t: ID!) { createLink(input: {sourceID: $s, targetID: $t, kind: ADOPTION}) { kind source { id } target { id } } }`,
				func(w world) map[string]any { return map[string]any{"s": w.Municipality, "t": w.Pilot} },
				expect(U, "OK", "OK", "OK", "OK", "OK", "OK")},
		}
		for _, c := range cases {
			for _, role := range roles {
				w := a.newWorld(p, workspace.VisibilityMEMBERS_ONLY)
				res := a.post(c.query, c.vars(w), p.header(role)...)
				if got := outcome(res); got != c.want[role] {
					t.Errorf("%s as %s: got %s, want %s (%+v)", c.name, role, got, c.want[role], res.Errors)
				}
			}
		}
	})
}

// TestMembersOnlyReads reads a members-only workspace's members,
// discussions, posts and notices as every kind of person.
func TestMembersOnlyReads(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityMEMBERS_ONLY)
		const q = `query($ws: ID!, $d: ID!, $p: ID!, $n: ID!) {
			ws: node(id: $ws) { ... on Workspace { name memberships { totalCount nodes { role } } discussions { totalCount nodes { posts { totalCount } } } notices { totalCount } } }
			d: node(id: $d) { id }
			p: node(id: $p) { id }
			n: node(id: $n) { id }
			notices(where: {hasWorkspaceWith: {id: $ws}}) { totalCount }
		}`
		vars := map[string]any{"ws": w.Workspace, "d": w.Discussion, "p": w.Post, "n": w.Notice}
		type counts struct{ members, discussions, posts, notices, nodes, rootNotices int }
		want := map[string]counts{
			"anonymous": {0, 0, 0, 0, 0, 0},
			"outsider":  {0, 0, 0, 0, 0, 0},
			"pending":   {1, 0, 0, 0, 0, 0}, // their own request only
			"member":    {3, 1, 1, 1, 3, 1}, // not the pending request
			"admin":     {4, 1, 1, 1, 3, 1},
			"owner":     {4, 1, 1, 1, 3, 1},
			"siteAdmin": {4, 1, 1, 1, 3, 1},
		}
		for _, role := range roles {
			res := a.post(q, vars, p.header(role)...)
			var data struct {
				WS *struct {
					Name        string
					Memberships struct{ TotalCount int }
					Discussions struct {
						TotalCount int
						Nodes      []struct{ Posts struct{ TotalCount int } }
					}
					Notices struct{ TotalCount int }
				} `json:"ws"`
				D, P, N *struct{ ID string }
				Notices struct{ TotalCount int }
			}
			if err := json.Unmarshal(res.Data, &data); err != nil || data.WS == nil || data.WS.Name == "" {
				t.Fatalf("%s: %v %s", role, err, res.Data)
			}
			got := counts{members: data.WS.Memberships.TotalCount, discussions: data.WS.Discussions.TotalCount,
				notices: data.WS.Notices.TotalCount, rootNotices: data.Notices.TotalCount}
			for _, d := range data.WS.Discussions.Nodes {
				got.posts += d.Posts.TotalCount
			}
			for _, n := range []*struct{ ID string }{data.D, data.P, data.N} {
				if n != nil {
					got.nodes++
				}
			}
			if got != want[role] {
				t.Errorf("%s sees %+v, want %+v", role, got, want[role])
			}
			hidden := 3 - got.nodes
			notFound := 0
			for _, e := range res.Errors {
				if e.code() == "NOT_FOUND" {
					notFound++
				} else {
					t.Errorf("%s: unexpected error %+v", role, e)
				}
			}
			if notFound != hidden {
				t.Errorf("%s: %d hidden nodes but %d NOT_FOUND errors", role, hidden, notFound)
			}
		}
	})
}

// TestOutsiderCannotTellHiddenRowsExist compares what an outsider gets
// before and after a members-only workspace is filled: totals, where
// filters on edges and node(id:) must not change.
func TestOutsiderCannotTellHiddenRowsExist(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		ctx := auth.System(context.Background())
		c := a.db.Client
		ws := c.Workspace.Create().SetName("Salainen").SetSlug("salainen").SetVisibility(workspace.VisibilityMEMBERS_ONLY).SaveX(ctx)
		c.Membership.Create().SetWorkspace(ws).SetUserID(p.id["owner"]).SetRole(membership.RoleOWNER).ExecX(ctx)
		// A row that existed and was deleted: its ID names nothing.
		gone := c.Notice.Create().SetWorkspace(ws).SetTitle("Poistettu").SaveX(ctx)
		c.Notice.DeleteOne(gone).ExecX(ctx)

		probes := []string{
			`{ notices { totalCount } }`,
			`{ notices(where: {hasWorkspaceWith: {slug: "salainen"}}) { totalCount nodes { id } } }`,
			`{ notices(where: {titleContains: "Salainen"}) { totalCount } }`,
			`{ workspaces(where: {slug: "salainen"}) { totalCount nodes { name memberships { totalCount } discussions { totalCount } notices { totalCount } materials { totalCount } } } }`,
			`{ workspace(slug: "salainen") { memberships(first: 100) { nodes { role } } discussions { nodes { title } } } }`,
			`{ pilots(where: {hasWorkspaceWith: {slug: "salainen"}}) { totalCount } }`,
		}
		ask := func() []string {
			var out []string
			for _, q := range probes {
				res := a.post(q, nil, p.header("outsider")...)
				out = append(out, fmt.Sprintf("%s %+v", res.Data, res.Errors))
			}
			return out
		}
		before := ask()
		nodeOf := func(id int) string {
			res := a.post(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": scalar.EncodeID(id)}, p.header("outsider")...)
			msg := ""
			if len(res.Errors) > 0 {
				msg = strings.ReplaceAll(res.Errors[0].Message, scalar.EncodeID(id), "<id>") + " " + res.Errors[0].code()
			}
			return fmt.Sprintf("%s %s", res.Data, msg)
		}
		goneNode := nodeOf(gone.ID)

		// Fill the workspace.
		c.Membership.Create().SetWorkspace(ws).SetUserID(p.id["member"]).SetRole(membership.RoleMEMBER).ExecX(ctx)
		d := c.Discussion.Create().SetWorkspace(ws).SetTitle("Salainen keskustelu").SaveX(ctx)
		c.Post.Create().SetDiscussion(d).SetBody("Salainen viesti").ExecX(ctx)
		n := c.Notice.Create().SetWorkspace(ws).SetTitle("Salainen ilmoitus").SaveX(ctx)
		c.Material.Create().SetWorkspace(ws).SetTitle("Salainen aineisto").ExecX(ctx)

		after := ask()
		for i := range probes {
			if before[i] != after[i] {
				t.Errorf("%s\n  before: %s\n  after:  %s", probes[i], before[i], after[i])
			}
		}
		for _, id := range []int{n.ID, d.ID} {
			if got := nodeOf(id); got != goneNode {
				t.Errorf("node(id:) of a hidden row: %s; of a deleted row: %s", got, goneNode)
			}
		}
		// And a member does see the content, so the probes can see it at all.
		res := a.post(probes[1], nil, p.header("owner")...)
		if !strings.Contains(string(res.Data), `"totalCount":1`) {
			t.Errorf("owner sees %s", res.Data)
		}
	})
}

// TestConcurrentRepliesAllCount sends 50 replies at once: the discussion
// counts them all (plus its opening post).
func TestConcurrentRepliesAllCount(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		var wg sync.WaitGroup
		outcomes := make([]string, 50)
		for i := range outcomes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res := a.post(`mutation($d: ID!, $b: String!) { replyToDiscussion(input: {discussionId: $d, body: $b}) { id } }`,
					map[string]any{"d": w.Discussion, "b": fmt.Sprintf("Vastaus %d", i)}, p.header("member")...)
				outcomes[i] = outcome(res)
			}()
		}
		wg.Wait()
		for i, o := range outcomes {
			if o != "OK" {
				t.Errorf("reply %d: %s", i, o)
			}
		}
		var got struct {
			Node struct {
				PostCount  int
				LastPostAt *string
				Posts      struct{ TotalCount int }
			}
		}
		a.query(&got, `query($d: ID!) { node(id: $d) { ... on Discussion { postCount lastPostAt posts { totalCount } } } }`, map[string]any{"d": w.Discussion})
		if got.Node.PostCount != 51 || got.Node.Posts.TotalCount != 51 || got.Node.LastPostAt == nil {
			t.Errorf("after 50 replies to a 1-post discussion: postCount %d, posts %d, lastPostAt %v",
				got.Node.PostCount, got.Node.Posts.TotalCount, got.Node.LastPostAt)
		}
	})
}

// TestOwnerRoleMessages: an admin who tries to make a member OWNER, or to
// change an owner's role, is told that only owners may and what to do;
// never that "admins and owners" may (the admin is one).
func TestOwnerRoleMessages(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityMEMBERS_ONLY)
		const set = `mutation($ws: ID!, $u: ID!, $r: MembershipRole!) { setMemberRole(workspaceId: $ws, userId: $u, role: $r) { role } }`
		for _, c := range []struct {
			user, role string
			want       []string
		}{
			{"member", "OWNER", []string{"only the workspace's owners may make a member OWNER", "setMemberRole"}},
			{"admin", "OWNER", []string{"only the workspace's owners may make a member OWNER"}},
			{"owner", "ADMIN", []string{"only the workspace's owners may change an owner's role"}},
		} {
			res := a.post(set, map[string]any{"ws": w.Workspace, "u": scalar.EncodeID(p.id[c.user]), "r": c.role}, p.header("admin")...)
			if len(res.Errors) != 1 || res.Errors[0].code() != "FORBIDDEN" {
				t.Fatalf("admin sets %s's role to %s: %+v", c.user, c.role, res.Errors)
			}
			msg := res.Errors[0].Message
			for _, s := range c.want {
				if !strings.Contains(msg, s) {
					t.Errorf("admin sets %s's role to %s: %q lacks %q", c.user, c.role, msg, s)
				}
			}
			if strings.Contains(msg, "admins and owners") {
				t.Errorf("admin sets %s's role to %s: %q says admins may", c.user, c.role, msg)
			}
		}
		// What admins may do still works.
		var ok struct{ SetMemberRole struct{ Role string } }
		a.query(&ok, set, map[string]any{"ws": w.Workspace, "u": scalar.EncodeID(p.id["member"]), "r": "ADMIN"}, p.header("admin")...)
	})
}
