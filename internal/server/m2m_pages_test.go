package server_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"kokeilu/ent"
	"kokeilu/ent/municipality"
	"kokeilu/ent/network"
	"kokeilu/ent/pilot"
	"kokeilu/ent/theme"
	"kokeilu/internal/auth"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"
)

// idPage is a connection's answer, its rows by id.
type idPage struct {
	TotalCount int
	Nodes      []struct{ ID string }
	Edges      []struct {
		Node   struct{ ID string }
		Cursor string
	}
	PageInfo struct {
		StartCursor, EndCursor       *string
		HasNextPage, HasPreviousPage bool
	}
}

func (c idPage) ids(t *testing.T) []int {
	var out []int
	for i, n := range c.Nodes {
		id, err := scalar.DecodeID(n.ID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
		if i < len(c.Edges) && c.Edges[i].Node.ID != n.ID {
			t.Errorf("nodes[%d]=%s edges[%d]=%s", i, n.ID, i, c.Edges[i].Node.ID)
		}
	}
	if len(c.Edges) != 0 && len(c.Edges) != len(c.Nodes) {
		t.Errorf("%d nodes %d edges", len(c.Nodes), len(c.Edges))
	}
	if len(c.Edges) > 0 {
		if c.PageInfo.StartCursor == nil || *c.PageInfo.StartCursor != c.Edges[0].Cursor ||
			c.PageInfo.EndCursor == nil || *c.PageInfo.EndCursor != c.Edges[len(c.Edges)-1].Cursor {
			t.Errorf("pageInfo cursors %v %v vs edges", c.PageInfo.StartCursor, c.PageInfo.EndCursor)
		}
	}
	if out == nil {
		out = []int{}
	}
	return out
}

func pageWindow(all []int, first, last int) []int {
	out := slices.Clone(all)
	if first >= 0 && len(out) > first {
		out = out[:first]
	}
	if last >= 0 && len(out) > last {
		out = out[len(out)-last:]
	}
	if out == nil {
		out = []int{}
	}
	return out
}

const idPageFields = `totalCount nodes { id } edges { node { id } cursor } pageInfo { startCursor endCursor hasNextPage hasPreviousPage }`

// TestManyToManyPagesAsEntLoadsThem: nested pages over many-to-many edges
// under a list (pilots' municipalities, themes and networks; municipalities'
// and networks' pilots), with first and last, hold the rows that ent's own
// query of each parent's edge gives, in order, with their totalCount, and
// nodes, edges and pageInfo agree (Kokeilu's loader, load<Edge>Joined).
func TestManyToManyPagesAsEntLoadsThem(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		ctx := auth.System(context.Background())
		c := a.db.Client
		var got struct {
			Pilots struct {
				Nodes []struct {
					ID                         string
					M1, M2, M3, M4, T1, N1, N2 idPage
				}
			}
		}
		q := fmt.Sprintf(`{ pilots(first: 100) { nodes { id
		  m1: municipalities(first: 3) { %[1]s }
		  m2: municipalities(last: 2) { %[1]s }
		  m3: municipalities(first: 100) { %[1]s }
		  m4: municipalities(first: 0) { %[1]s }
		  t1: themes(last: 2) { %[1]s }
		  n1: networks(first: 100) { %[1]s }
		  n2: networks(last: 1) { %[1]s }
		} } }`, idPageFields)
		res := a.post(q, nil)
		if len(res.Errors) > 0 {
			// orderBy ID may not exist; report
			t.Fatalf("errors: %+v", res.Errors)
		}
		a.query(&got, q, nil)
		if len(got.Pilots.Nodes) == 0 {
			t.Fatal("no pilots")
		}
		nonEmpty := 0
		for _, p := range got.Pilots.Nodes {
			pid, _ := scalar.DecodeID(p.ID)
			ms, err := c.Pilot.Query().Where(pilot.ID(pid)).QueryMunicipalities().Order(ent.Asc(municipality.FieldID)).IDs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) > 3 {
				nonEmpty++
			}
			ths, _ := c.Pilot.Query().Where(pilot.ID(pid)).QueryThemes().Order(ent.Asc(theme.FieldID)).IDs(ctx)
			nws, _ := c.Pilot.Query().Where(pilot.ID(pid)).QueryNetworks().Order(ent.Asc(network.FieldID)).IDs(ctx)
			nwsDesc := slices.Clone(nws)
			slices.Reverse(nwsDesc)
			check := func(name string, cn idPage, all []int, first, last int) {
				t.Helper()
				if g, w := cn.ids(t), pageWindow(all, first, last); !slices.Equal(g, w) {
					t.Errorf("pilot %d %s: got %v want %v", pid, name, g, w)
				}
				if cn.TotalCount != len(all) {
					t.Errorf("pilot %d %s: totalCount %d want %d", pid, name, cn.TotalCount, len(all))
				}
			}
			check("m1", p.M1, ms, 3, -1)
			check("m2", p.M2, ms, -1, 2)
			check("m3", p.M3, ms, 100, -1)
			check("m4", p.M4, ms, 0, -1)
			check("t1", p.T1, ths, -1, 2)
			check("n1", p.N1, nws, 100, -1)
			check("n2", p.N2, nws, -1, 1)
			_ = nwsDesc
			if p.M1.PageInfo.HasNextPage != (len(ms) > 3) {
				t.Errorf("pilot %d m1 hasNextPage %v", pid, p.M1.PageInfo.HasNextPage)
			}
			if p.M2.PageInfo.HasPreviousPage != (len(ms) > 2) {
				t.Errorf("pilot %d m2 hasPreviousPage %v", pid, p.M2.PageInfo.HasPreviousPage)
			}
		}
		if nonEmpty == 0 {
			t.Fatal("no pilot with >3 municipalities")
		}
		// Inverse direction: municipalities { pilots } and networks { pilots }.
		var inv struct {
			Municipalities struct {
				Nodes []struct {
					ID     string
					P1, P2 idPage
				}
			}
			Networks struct {
				Nodes []struct {
					ID     string
					P1, P2 idPage
				}
			}
		}
		q = fmt.Sprintf(`{ municipalities(first: 100) { nodes { id p1: pilots(first: 2) { %[1]s } p2: pilots(last: 3) { %[1]s } } }
		  networks(first: 100) { nodes { id p1: pilots(first: 1) { %[1]s } p2: pilots(first: 100) { %[1]s } } } }`, idPageFields)
		a.query(&inv, q, nil)
		withPilots := 0
		for _, m := range inv.Municipalities.Nodes {
			mid, _ := scalar.DecodeID(m.ID)
			ps, err := c.Municipality.Query().Where(municipality.ID(mid)).QueryPilots().Order(ent.Asc(pilot.FieldID)).IDs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(ps) > 0 {
				withPilots++
			}
			if g, w := m.P1.ids(t), pageWindow(ps, 2, -1); !slices.Equal(g, w) || m.P1.TotalCount != len(ps) {
				t.Errorf("municipality %d p1 got %v/%d want %v/%d", mid, g, m.P1.TotalCount, w, len(ps))
			}
			if g, w := m.P2.ids(t), pageWindow(ps, -1, 3); !slices.Equal(g, w) || m.P2.TotalCount != len(ps) {
				t.Errorf("municipality %d p2 got %v/%d want %v/%d", mid, g, m.P2.TotalCount, w, len(ps))
			}
		}
		for _, m := range inv.Networks.Nodes {
			mid, _ := scalar.DecodeID(m.ID)
			ps, err := c.Network.Query().Where(network.ID(mid)).QueryPilots().Order(ent.Asc(pilot.FieldID)).IDs(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := m.P1.ids(t), pageWindow(ps, 1, -1); !slices.Equal(g, w) || m.P1.TotalCount != len(ps) {
				t.Errorf("network %d p1 got %v/%d want %v/%d", mid, g, m.P1.TotalCount, w, len(ps))
			}
			if g, w := m.P2.ids(t), pageWindow(ps, 100, -1); !slices.Equal(g, w) || m.P2.TotalCount != len(ps) {
				t.Errorf("network %d p2 got %v/%d want %v/%d", mid, g, m.P2.TotalCount, w, len(ps))
			}
		}
		t.Logf("%d pilots, %d municipalities with pilots, %d networks", len(got.Pilots.Nodes), withPilots, len(inv.Networks.Nodes))
	})
}
