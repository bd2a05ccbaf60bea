package server_test

import (
	"context"
	"testing"
	"time"

	"kokeilu/ent/workshopregistration"
	"kokeilu/internal/questionnaire"

	"kokeilu/internal/auth"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"
)

// TestNodeRoundTripsEveryType fetches one row of every entity type through
// node(id:) and nodes(ids:) and gets the same type and ID back.
func TestNodeRoundTripsEveryType(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		ctx := auth.System(context.Background())
		c := a.db.Client
		// The demo has no accounts yet: add one of each account-bound type.
		ws := c.Workspace.Query().FirstX(ctx)
		u := c.User.Create().SetDisplayName("Tester").SetEmail("tester@example.org").SetPasswordHash("x").SaveX(ctx)
		c.Membership.Create().SetUser(u).SetWorkspace(ws).SaveX(ctx)
		d := c.Discussion.Create().SetTitle("Hello").SetWorkspace(ws).SetAuthor(u).SaveX(ctx)
		c.Post.Create().SetBody("First").SetDiscussion(d).SetAuthor(u).SaveX(ctx)
		c.Material.Create().SetTitle("Guide").SetWorkspace(ws).SetAuthor(u).SaveX(ctx)
		s := c.Survey.Query().FirstX(ctx)
		c.SurveyResponse.Create().SetSurvey(s).SetUser(u).SetAnswers([]questionnaire.Answer{}).ExecX(ctx)
		w := c.Workshop.Create().SetTitle("Verstas").SetWorkspace(ws).SetStartsAt(time.Now()).SetCapacity(5).SaveX(ctx)
		c.WorkshopRegistration.Create().SetWorkshop(w).SetUser(u).SetStatus(workshopregistration.StatusPARTICIPANT).ExecX(ctx)
		// Responses and registrations are for their owners and admins: read
		// as a site administrator.
		token, _ := a.siteAdmin("Site admin")
		admin := bearer(token)

		want := map[string]int{
			"Region":               c.Region.Query().FirstIDX(ctx),
			"WellbeingCounty":      c.WellbeingCounty.Query().FirstIDX(ctx),
			"Municipality":         c.Municipality.Query().FirstIDX(ctx),
			"Organization":         c.Organization.Query().FirstIDX(ctx),
			"Theme":                c.Theme.Query().FirstIDX(ctx),
			"Pilot":                c.Pilot.Query().FirstIDX(ctx),
			"Network":              c.Network.Query().FirstIDX(ctx),
			"Link":                 c.Link.Query().FirstIDX(ctx),
			"Workspace":            ws.ID,
			"Notice":               c.Notice.Query().FirstIDX(ctx),
			"User":                 u.ID,
			"Membership":           c.Membership.Query().FirstIDX(ctx),
			"Discussion":           d.ID,
			"Post":                 c.Post.Query().FirstIDX(ctx),
			"Material":             c.Material.Query().FirstIDX(ctx),
			"Survey":               s.ID,
			"SurveyResponse":       c.SurveyResponse.Query().FirstIDX(ctx),
			"Workshop":             w.ID,
			"WorkshopRegistration": c.WorkshopRegistration.Query().FirstIDX(ctx),
			"OperatingModel":       c.OperatingModel.Query().FirstIDX(ctx),
			"Adoption":             c.Adoption.Query().FirstIDX(ctx),
		}
		var schema struct {
			Type struct {
				PossibleTypes []struct{ Name string } `json:"possibleTypes"`
			} `json:"__type"`
		}
		a.query(&schema, `{ __type(name: "Node") { possibleTypes { name } } }`, nil)
		for _, pt := range schema.Type.PossibleTypes {
			if _, ok := want[pt.Name]; !ok {
				t.Errorf("type %s implements Node but is not tested", pt.Name)
			}
		}
		if len(schema.Type.PossibleTypes) != len(want) {
			t.Errorf("schema has %d Node types, test covers %d", len(schema.Type.PossibleTypes), len(want))
		}
		var ids []any
		for typ, id := range want {
			gid := scalar.EncodeID(id)
			ids = append(ids, gid)
			var got struct {
				Node struct {
					Typename string `json:"__typename"`
					ID       string `json:"id"`
				} `json:"node"`
			}
			a.query(&got, `query($id: ID!) { node(id: $id) { __typename id } }`, map[string]any{"id": gid}, admin...)
			if got.Node.Typename != typ || got.Node.ID != gid {
				t.Errorf("node(%s) = %+v, want %s", gid, got.Node, typ)
			}
		}
		var many struct {
			Nodes []struct {
				ID string `json:"id"`
			} `json:"nodes"`
		}
		a.query(&many, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids}, admin...)
		for i, n := range many.Nodes {
			if n.ID != ids[i] {
				t.Errorf("nodes[%d] = %s, want %s", i, n.ID, ids[i])
			}
		}
		if len(many.Nodes) != len(ids) {
			t.Errorf("nodes returned %d of %d", len(many.Nodes), len(ids))
		}
	})
}
