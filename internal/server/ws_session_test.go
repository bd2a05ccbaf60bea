package server_test

import (
	"context"
	"testing"
	"time"

	"kokeilu/ent/material"
	"kokeilu/ent/membership"
	"kokeilu/ent/session"
	"kokeilu/ent/user"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"
)

// TestSocketSessionEnds: a signed-out token kept working on an open
// socket: it received members-only notices, answered queries and ran
// mutations as that user. Now a socket's session is re-checked before each
// operation and event: logout, expiry and account removal close it with
// 4403 and nothing more is sent or run.
func TestSocketSessionEnds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityMEMBERS_ONLY)
		ctx := auth.System(context.Background())
		wsID, _ := scalar.DecodeID(w.Workspace)
		member := func(email string) (token string, id int) {
			token, gid := a.register(email, "Jäsen")
			id, _ = scalar.DecodeID(gid)
			a.db.Client.Membership.Create().SetWorkspaceID(wsID).SetUserID(id).SetRole(membership.RoleMEMBER).ExecX(ctx)
			return token, id
		}
		for _, protocol := range protocols {
			// Logout: the subscriber gets no members-only notice, and an idle
			// socket of the same token runs no mutation.
			token, _ := member(protocol + "-logout@example.org")
			sub, err := a.dialWS(protocol, token, nil)
			if err != nil {
				t.Fatal(err)
			}
			subscriber := sub.pump()
			sub.subscribe("n", subscription, map[string]any{"ws": w.Workspace})
			idle, err := a.dialWS(protocol, token, nil)
			if err != nil {
				t.Fatal(err)
			}
			waitSubscribers(t, a, 1)
			var out struct{ Logout bool }
			a.query(&out, `mutation { logout }`, nil, bearer(token)...)
			a.query(&struct{}{}, postNotice, map[string]any{"ws": w.Workspace, "title": "Salainen " + protocol}, p.header("owner")...)
			if got := subscriber.await("n", 3*time.Second, 0); len(got.messages) > 0 || got.closed != 4403 {
				t.Errorf("%s after logout the subscriber got %s %s, closed %d; want nothing and 4403", protocol, got.types(), got.data(), got.closed)
			}
			title := "Kirjattu ulos " + protocol
			idle.subscribe("m", `mutation($ws: ID!, $title: String!) { addMaterial(input: {workspaceId: $ws, title: $title}) { id } }`,
				map[string]any{"ws": w.Workspace, "title": title})
			if code := idle.closeStatus(3 * time.Second); code != 4403 {
				t.Errorf("%s: a mutation after logout: closed %d, want 4403", protocol, code)
			}
			if n := a.db.Client.Material.Query().Where(material.Title(title)).CountX(ctx); n != 0 {
				t.Errorf("%s: addMaterial ran after logout", protocol)
			}
			waitSubscribers(t, a, 0)

			// Expiry.
			a.accounts.SetTTL(time.Second)
			token, _ = member(protocol + "-expiry@example.org")
			a.accounts.SetTTL(auth.DefaultTTL)
			c, err := a.dialWS(protocol, token, nil)
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(1100 * time.Millisecond)
			c.subscribe("q", `{ viewer { id } }`, nil)
			if code := c.closeStatus(3 * time.Second); code != 4403 {
				t.Errorf("%s: a query after expiry: closed %d, want 4403", protocol, code)
			}

			// Account removal.
			token, id := member(protocol + "-removed@example.org")
			c, err = a.dialWS(protocol, token, nil)
			if err != nil {
				t.Fatal(err)
			}
			a.db.Client.Session.Delete().Where(session.HasUserWith(user.ID(id))).ExecX(ctx)
			a.db.Client.Membership.Delete().Where(membership.HasUserWith(user.ID(id))).ExecX(ctx)
			a.db.Client.User.DeleteOneID(id).ExecX(ctx)
			c.subscribe("q", `{ viewer { id } }`, nil)
			if code := c.closeStatus(3 * time.Second); code != 4403 {
				t.Errorf("%s: a query after account removal: closed %d, want 4403", protocol, code)
			}
		}
	})
}
