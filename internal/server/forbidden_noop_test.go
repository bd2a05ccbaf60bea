package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"kokeilu/ent/workspace"
	"kokeilu/internal/revision"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"
)

// TestForbiddenNoOpMutations: a caller without rights is refused even when
// the call would change nothing (the policy runs before any no-op
// shortcut), and the refused call writes nothing: the data revision, on
// which every response and graph cache depends, stays where it was. Every
// mutation of the schema (found by introspection) is either tried here or
// named as one that only creates, so a new mutation needs a decision.
func TestForbiddenNoOpMutations(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		for _, vis := range []workspace.Visibility{workspace.VisibilityPUBLIC, workspace.VisibilityMEMBERS_ONLY} {
			t.Run(string(vis), func(t *testing.T) { forbiddenNoOps(t, a, p, vis) })
		}
	})
}

func forbiddenNoOps(t *testing.T, a *api, p people, vis workspace.Visibility) {
	w := a.newWorld(p, vis)
	owner := p.header("owner")
	make := func(path []string, query string, vars map[string]any) string {
		t.Helper()
		var data map[string]any
		a.query(&data, query, vars, owner...)
		var v any = data
		for _, k := range path {
			v = v.(map[string]any)[k]
		}
		return v.(string)
	}
	ws := map[string]any{"ws": w.Workspace}
	mat := make([]string{"addMaterial", "id"}, `mutation($ws: ID!) { addMaterial(input: {workspaceId: $ws, title: "m"}) { id } }`, ws)
	wk := make([]string{"createWorkshop", "id"}, `mutation($ws: ID!) { createWorkshop(input: {workspaceId: $ws, title: "W", startsAt: "2030-01-01T10:00:00Z", capacity: 2}) { id } }`, ws)
	om := make([]string{"createOperatingModel", "id"}, `mutation { createOperatingModel(input: {name: "Malli"}) { id } }`, nil)
	survey := make([]string{"createSurvey", "id"}, `mutation($ws: ID!) { createSurvey(input: {workspaceId: $ws, title: "K", questions: [{text: "Miten meni?", kind: FREE_TEXT}]}) { id } }`, ws)
	make([]string{"closeSurvey", "id"}, `mutation($s: ID!) { closeSurvey(id: $s) { id } }`, map[string]any{"s": survey})
	gone := make([]string{"replyToDiscussion", "id"}, `mutation($d: ID!) { replyToDiscussion(input: {discussionId: $d, body: "x"}) { id } }`, map[string]any{"d": w.Discussion})
	make([]string{"deletePost", "id"}, `mutation($p: ID!) { deletePost(id: $p) { id } }`, map[string]any{"p": gone})
	linked := make([]string{"createPilot", "id"}, `mutation { createPilot(input: {title: "Omistajan kokeilu"}) { id } }`, nil)
	make([]string{"addWorkspaceProject", "id"}, `mutation($ws: ID!, $p: ID!) { addWorkspaceProject(workspaceId: $ws, pilotId: $p) { id } }`,
		map[string]any{"ws": w.Workspace, "p": linked})

	// Each case changes nothing; who lists the callers without the right.
	outsider, plain := []string{"outsider"}, []string{"outsider", "member", "pending"}
	cases := map[string]struct {
		query string
		vars  map[string]any
		who   []string
	}{
		"setParentWorkspace":   {`mutation($ws: ID!) { setParentWorkspace(workspaceId: $ws, parentId: null) { updatedAt } }`, ws, plain},
		"updatePilot":          {`mutation($id: ID!) { updatePilot(id: $id, input: {}) { updatedAt } }`, map[string]any{"id": w.Pilot}, []string{"outsider", "pending", "admin"}},
		"updateOperatingModel": {`mutation($id: ID!) { updateOperatingModel(id: $id, input: {}) { id } }`, map[string]any{"id": om}, plain},
		"updateMaterial":       {`mutation($id: ID!) { updateMaterial(id: $id, input: {}) { updatedAt } }`, map[string]any{"id": mat}, plain},
		"removeMaterial":       {`mutation($id: ID!) { removeMaterial(id: $id) }`, map[string]any{"id": mat}, plain},
		"updateWorkshop":       {`mutation($id: ID!) { updateWorkshop(id: $id, input: {}) { updatedAt } }`, map[string]any{"id": wk}, plain},
		"closeSurvey":          {`mutation($id: ID!) { closeSurvey(id: $id) { id } }`, map[string]any{"id": survey}, plain},
		"setMemberRole": {`mutation($ws: ID!, $u: ID!) { setMemberRole(workspaceId: $ws, userId: $u, role: OWNER) { role } }`,
			map[string]any{"ws": w.Workspace, "u": scalar.EncodeID(p.id["owner"])}, []string{"outsider", "member", "pending", "admin"}},
		"addWorkspaceProject": {`mutation($ws: ID!, $p: ID!) { addWorkspaceProject(workspaceId: $ws, pilotId: $p) { id } }`,
			map[string]any{"ws": w.Workspace, "p": linked}, plain},
		"removeWorkspaceProject": {`mutation($ws: ID!, $p: ID!) { removeWorkspaceProject(workspaceId: $ws, pilotId: $p) { id } }`,
			map[string]any{"ws": w.Workspace, "p": w.Pilot}, plain},
		"lockDiscussion": {`mutation($d: ID!) { lockDiscussion(id: $d, locked: false) { id } }`, map[string]any{"d": w.Discussion}, plain},
		"pinDiscussion":  {`mutation($d: ID!) { pinDiscussion(id: $d, pinned: false) { id } }`, map[string]any{"d": w.Discussion}, plain},
		"editPost":       {`mutation($p: ID!) { editPost(id: $p, body: "Ensimmäinen viesti") { id } }`, map[string]any{"p": w.Post}, []string{"outsider", "pending", "admin", "owner"}},
		"deletePost":     {`mutation($p: ID!) { deletePost(id: $p) { id } }`, map[string]any{"p": gone}, plain},
		// Not signed up, not a member: nothing to cancel or leave.
		"cancelWorkshopRegistration": {`mutation($w: ID!) { cancelWorkshopRegistration(workshopId: $w) { id } }`, map[string]any{"w": wk}, outsider},
		"leaveWorkspace":             {`mutation($ws: ID!) { leaveWorkspace(workspaceId: $ws) }`, ws, outsider},
	}
	// Mutations that always create something (or sign in); who may create
	// what is TestPermissionMatrix's.
	creates := map[string]bool{"register": true, "login": true, "createWorkspace": true, "joinWorkspace": true,
		"startDiscussion": true, "replyToDiscussion": true, "postNotice": true, "createPilot": true, "createNetwork": true,
		"createLink": true, "addMaterial": true, "createSurvey": true, "answerSurvey": true, "createWorkshop": true,
		"signUpForWorkshop": true, "createOperatingModel": true, "recordAdoption": true, "logout": true}
	for _, name := range a.typeFields("Mutation") {
		if _, ok := cases[name]; !ok && !creates[name] {
			t.Errorf("mutation %s: neither tried as a no-op without rights nor listed as one that creates; add it", name)
		}
	}

	// Those with the right get their answer, and still nothing is written.
	// Updates that set nothing, or only what is there already, too.
	for _, name := range []string{"setParentWorkspace", "addWorkspaceProject", "removeWorkspaceProject", "closeSurvey",
		"updatePilot", "updateOperatingModel", "updateMaterial", "updateWorkshop", "lockDiscussion", "pinDiscussion",
		"editPost", "setMemberRole"} {
		who := "owner"
		if name == "updatePilot" || name == "editPost" {
			who = "member" // its creator, its author
		}
		cases[name+" (by its owner)"] = struct {
			query string
			vars  map[string]any
			who   []string
		}{cases[name].query, cases[name].vars, []string{who}}
	}

	ctx := context.Background()
	for name, c := range cases {
		for _, who := range c.who {
			before, err := revision.Current(ctx, a.db.Client)
			if err != nil {
				t.Fatal(err)
			}
			res := a.post(c.query, c.vars, p.header(who)...)
			got := outcome(res)
			want := "FORBIDDEN"
			if strings.HasSuffix(name, "(by its owner)") {
				want = "OK"
			}
			if got == "NOT_FOUND" && (vis == workspace.VisibilityMEMBERS_ONLY || name == "cancelWorkshopRegistration" || name == "leaveWorkspace") {
				want = got // the row is hidden from them, or there is nothing of theirs
			}
			if got != want {
				t.Errorf("%s by %s: %s (%s), want %s", name, who, got, fmt.Sprint(res.Errors), want)
			}
			after, err := revision.Current(ctx, a.db.Client)
			if err != nil {
				t.Fatal(err)
			}
			if after != before {
				t.Errorf("%s by %s: the data revision moved from %d to %d on a no-op", name, who, before, after)
			}
		}
	}
}

// TestUnchangedUpdatesWriteNothing: an edit saved with the values it has
// (a form submitted unchanged) writes nothing: updatedAt and the data
// revision stay. A real change moves both.
func TestUnchangedUpdatesWriteNothing(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		creator := p.header("member")
		ctx := context.Background()
		update := func(input map[string]any) (string, int64) {
			t.Helper()
			before, _ := revision.Current(ctx, a.db.Client)
			var data struct{ UpdatePilot struct{ UpdatedAt string } }
			a.query(&data, `mutation($id: ID!, $in: UpdatePilotInput!) { updatePilot(id: $id, input: $in) { updatedAt } }`,
				map[string]any{"id": w.Pilot, "in": input}, creator...)
			after, _ := revision.Current(ctx, a.db.Client)
			return data.UpdatePilot.UpdatedAt, after - before
		}
		at, _ := update(map[string]any{})
		for _, in := range []map[string]any{{}, {"title": "Jäsenen kokeilu"}, {"title": "Jäsenen kokeilu", "status": "PLANNED"}} {
			if got, moved := update(in); got != at || moved != 0 {
				t.Errorf("unchanged update %v: updatedAt %s → %s, revision +%d; want nothing written", in, at, got, moved)
			}
		}
		time.Sleep(10 * time.Millisecond)
		if got, moved := update(map[string]any{"title": "Uusi nimi"}); got == at || moved == 0 {
			t.Errorf("a changed title: updatedAt %s → %s, revision +%d; want both moved", at, got, moved)
		}
	})
}

// TestUpdatesKeepDatesInOrder: an update that moves only one side of a
// range past the stored other side is refused as the same range on create
// is, for every update mutation with a range: the stored start of a
// required field (a workshop's startsAt) was not read, so an end before it
// was stored.
func TestUpdatesKeepDatesInOrder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		var made struct{ CreateWorkshop struct{ ID string } }
		a.query(&made, `mutation($ws: ID!) { createWorkshop(input: {workspaceId: $ws, title: "W", startsAt: "2030-01-01T10:00:00Z", capacity: 2}) { id } }`,
			map[string]any{"ws": w.Workspace}, p.header("owner")...)
		a.query(&struct{}{}, `mutation($id: ID!) { updatePilot(id: $id, input: {startsOn: "2030-01-01"}) { id } }`,
			map[string]any{"id": w.Pilot}, p.header("member")...)
		cases := []struct {
			name, query, field, who string
			id                      string
		}{
			{"workshop end", `mutation($id: ID!) { updateWorkshop(id: $id, input: {endsAt: "2029-01-01T00:00:00Z"}) { id } }`, "endsAt", "owner", made.CreateWorkshop.ID},
			{"pilot end", `mutation($id: ID!) { updatePilot(id: $id, input: {endsOn: "2029-01-01"}) { id } }`, "endsOn", "member", w.Pilot},
		}
		for _, c := range cases {
			res := a.post(c.query, map[string]any{"id": c.id}, p.header(c.who)...)
			if len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != c.field {
				t.Errorf("%s before the stored start: %s %+v, want BAD_USER_INPUT on %s", c.name, res.Data, res.Errors, c.field)
			}
		}
	})
}
