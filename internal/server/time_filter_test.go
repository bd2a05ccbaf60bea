package server_test

import (
	"context"
	"testing"
	"time"

	"kokeilu/ent/workshop"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"
)

// TestTimeFiltersCompareInstants: a time filter matches by the instant,
// whatever offset or digits below a microsecond it is written with, on
// both databases. SQLite compared the text of the times, so 12:00+02:00
// missed a workshop stored at 10:00 UTC, and so did the server's local
// time in predicates such as "open surveys" under a TZ other than UTC.
func TestTimeFiltersCompareInstants(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		ctx := auth.System(context.Background())
		wsID, _ := scalar.DecodeID(w.Workspace)
		starts := time.Date(2027, 3, 1, 10, 0, 0, 123456000, time.UTC)
		a.db.Client.Workshop.Create().SetWorkspaceID(wsID).SetTitle("Työpaja").SetStartsAt(starts).SetCapacity(10).ExecX(ctx)
		for _, c := range []struct {
			where map[string]any
			want  int
		}{
			{map[string]any{"startsAt": "2027-03-01T12:00:00.123456+02:00"}, 1},
			{map[string]any{"startsAt": "2027-03-01T10:00:00.1234569Z"}, 1},
			{map[string]any{"startsAtGTE": "2027-03-01T11:00:00+02:00"}, 1},
			{map[string]any{"startsAtGTE": "2027-03-01T20:00:00+14:00"}, 1},
			{map[string]any{"startsAtLT": "2027-03-01T05:00:00.2-05:00"}, 1},
			{map[string]any{"startsAtIn": []string{"2027-03-01T11:00:00.123456+01:00"}}, 1},
			{map[string]any{"startsAtGT": "2027-03-01T12:00:00.123456+02:00"}, 0},
			{map[string]any{"startsAtLT": "2027-03-01T04:00:00-06:00"}, 0},
		} {
			var got struct {
				Node struct{ Workshops struct{ TotalCount int } }
			}
			a.query(&got, `query($id: ID!, $w: WorkshopWhereInput) { node(id: $id) { ... on Workspace { workshops(where: $w) { totalCount } } } }`,
				map[string]any{"id": w.Workspace, "w": c.where})
			if got.Node.Workshops.TotalCount != c.want {
				t.Errorf("workshops(where: %v): %d, want %d", c.where, got.Node.Workshops.TotalCount, c.want)
			}
		}
		// The years 1900–2100 are counted in UTC, as the time is stored.
		for _, v := range []string{"1900-01-01T01:00:00+02:00", "2100-12-31T20:00:00-05:00"} {
			res := a.post(`query($id: ID!, $w: WorkshopWhereInput) { node(id: $id) { ... on Workspace { workshops(where: $w) { totalCount } } } }`,
				map[string]any{"id": w.Workspace, "w": map[string]any{"startsAtGTE": v}})
			if got := outcome(res); got != "BAD_USER_INPUT" {
				t.Errorf("startsAtGTE %s: %s", v, got)
			}
		}
		// The server's own clock in a zone other than UTC.
		local := time.FixedZone("Helsinki", 2*3600)
		n, err := a.db.Client.Workshop.Query().Where(workshop.StartsAtGT(starts.Add(-time.Minute).In(local))).Count(ctx)
		if err != nil || n != 1 {
			t.Errorf("a predicate with a local time: %d, %v", n, err)
		}
	})
}
