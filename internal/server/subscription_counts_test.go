package server_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"
)

// TestSubscriptionEventsCountAtTheirTime: every event of a subscription
// is answered with the data of its own time. A count asked for in the
// event's selection (a region's pilots) follows the pilots created
// between two events; it stayed at the first event's count while the
// count memo lasted the whole subscription.
func TestSubscriptionEventsCountAtTheirTime(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		ctx := auth.System(context.Background())
		c := a.db.Client
		wsID, _ := scalar.DecodeID(w.Workspace)
		muni := c.Municipality.Query().FirstX(ctx)
		lead := c.Pilot.Create().SetTitle("Työtilan kokeilu").SetCreatedByID(p.id["member"]).SetLeadMunicipality(muni).SaveX(ctx)
		c.Workspace.UpdateOneID(wsID).SetPilot(lead).ExecX(ctx)

		live := a.subscribeSSE(`subscription($ws: ID) { noticePosted(workspaceId: $ws) { title
			workspace { pilot { leadMunicipality { pilots { totalCount } region { pilots { totalCount } } } } } } }`, map[string]any{"ws": w.Workspace})
		defer live.res.Body.Close()
		waitSubscribers(t, a, 1)
		event := func(title string) (municipality, region int) {
			t.Helper()
			a.query(&struct{}{}, `mutation($ws: ID!, $title: String!) { postNotice(input: {workspaceId: $ws, title: $title}) { id } }`,
				map[string]any{"ws": w.Workspace, "title": title}, p.header("admin")...)
			data, ok := live.next(5 * time.Second)
			var got struct {
				NoticePosted struct {
					Workspace struct {
						Pilot struct {
							LeadMunicipality struct {
								Pilots struct{ TotalCount int }
								Region struct {
									Pilots struct{ TotalCount int }
								}
							}
						}
					}
				}
			}
			if !ok || json.Unmarshal(data, &got) != nil {
				t.Fatalf("event %s: %s %v", title, data, ok)
			}
			m := got.NoticePosted.Workspace.Pilot.LeadMunicipality
			return m.Pilots.TotalCount, m.Region.Pilots.TotalCount
		}
		m1, r1 := event("ensimmäinen")
		for i := range 3 {
			c.Pilot.Create().SetTitle("Uusi kokeilu " + string(rune('A'+i))).SetCreatedByID(p.id["member"]).AddMunicipalities(muni).ExecX(ctx)
		}
		m2, r2 := event("toinen")
		if m1 < 1 || m2 != m1+3 || r2 != r1+3 {
			t.Errorf("the municipality's pilots went %d → %d and its region's %d → %d across 3 new pilots", m1, m2, r1, r2)
		}
	})
}
