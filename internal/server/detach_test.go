package server_test

import (
	"testing"

	"kokeilu/internal/testdb"
)

// TestDetachEitherSide: attaching a sub-workspace needs the admins of both
// workspaces; either side may end the link — the parent's admins (they let
// it go) or the sub-workspace's (it leaves) — and nobody else.
func TestDetachEitherSide(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		adminToken, _ := a.siteAdmin("Ylläpitäjä")
		parentOwner, _ := a.register("emo@example.org", "Emo")
		childOwner, _ := a.register("lapsi@example.org", "Lapsi")
		outsider, _ := a.register("ulko@example.org", "Ulko")
		create := func(token, name string) string {
			var ws struct{ CreateWorkspace struct{ ID string } }
			a.query(&ws, `mutation($n: String!) { createWorkspace(input: {name: $n}) { id } }`, map[string]any{"n": name}, bearer(token)...)
			return ws.CreateWorkspace.ID
		}
		parent, child := create(parentOwner, "Emotyötila"), create(childOwner, "Lapsityötila")
		const place = `mutation($ws: ID!, $parent: ID) { setParentWorkspace(workspaceId: $ws, parentId: $parent) { parent { id } } }`
		attach := func() {
			t.Helper()
			a.query(&struct{}{}, place, map[string]any{"ws": child, "parent": parent}, bearer(adminToken)...)
		}
		for who, token := range map[string]string{"the parent's owner": parentOwner, "the child's owner": childOwner} {
			if got := outcome(a.post(place, map[string]any{"ws": child, "parent": parent}, bearer(token)...)); got != "FORBIDDEN" {
				t.Errorf("%s attaches alone: %s", who, got)
			}
		}
		attach()
		if got := outcome(a.post(place, map[string]any{"ws": child, "parent": nil}, bearer(outsider)...)); got != "FORBIDDEN" {
			t.Errorf("an outsider detaches: %s", got)
		}
		for who, token := range map[string]string{"the parent's owner": parentOwner, "the child's owner": childOwner} {
			if got := outcome(a.post(place, map[string]any{"ws": child, "parent": nil}, bearer(token)...)); got != "OK" {
				t.Errorf("%s detaches: %s", who, got)
			}
			attach()
		}
	})
}
