package server_test

import (
	"testing"

	"kokeilu/internal/testdb"
)

// TestGraphRegionFilterKeepsOnlyItsPilots: regionCode keeps "only
// municipalities of this region, organisations located there, and what they
// are tied to". No shipped experiment has a participant in Åland (region
// 21), yet the filter keeps every pilot: pilots stay tied to their
// programme networks, so the degree pruning in netgraph.Apply never drops
// them. The graph of region 21 must hold as many pilots as
// pilots(where: region 21) counts: none.
func TestGraphRegionFilterKeepsOnlyItsPilots(t *testing.T) {
	a := newAPI(t, testdb.SQLite, true)
	var got struct {
		Pilots struct{ TotalCount int }
		Graph  struct {
			Nodes []struct{ Type, Label string }
		}
	}
	a.query(&got, `{
		pilots(where: {hasMunicipalitiesWith: {hasRegionWith: {code: "21"}}}) { totalCount }
		graph: networkGraph(filter: {regionCode: "21"}) { nodes { type label } } }`, nil)
	var pilots []string
	for _, n := range got.Graph.Nodes {
		if n.Type == "PILOT" {
			pilots = append(pilots, n.Label)
		}
	}
	if len(pilots) != got.Pilots.TotalCount {
		t.Fatalf("region 21 has %d pilots, its graph %d: %q", got.Pilots.TotalCount, len(pilots), pilots)
	}
}
