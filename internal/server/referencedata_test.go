package server_test

import (
	"testing"

	"kokeilu/internal/testdb"
)

// TestReferenceDataOverHTTP: what a newcomer sees on a fresh start with the
// demo — the verified experiments, their programmes, the county kinds —
// through the real handler, with the README's dashboard and research
// examples returning the real spread.
func TestReferenceDataOverHTTP(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		var counts struct {
			Pilots         struct{ TotalCount int }
			Reference      struct{ TotalCount int }
			Municipalities struct{ TotalCount int }
			AllProgrammes  struct{ TotalCount int }
			Programmes     struct {
				TotalCount int
				Nodes      []struct {
					Slug, StartsOn, EndsOn string
					Pilots                 struct{ TotalCount int }
					Municipalities         struct{ TotalCount int }
				}
			}
			Pirkanmaa struct {
				ParticipantsComplete *bool
				SourceURL            string
				Municipalities       struct{ TotalCount int }
				Networks             struct{ Nodes []struct{ Slug string } }
			}
			Counties    struct{ TotalCount int }
			NotCounties struct {
				Nodes []struct{ Code, Kind, NameEn string }
			}
			Pirkanmaa08 struct{ NameEn, Kind string }
		}
		a.query(&counts, `{
			pilots { totalCount }
			reference: pilots(where: {reference: true}) { totalCount }
			municipalities(where: {hasPilots: true}) { totalCount }
			allProgrammes: networks(where: {kind: PROGRAMME}) { totalCount }
			programmes: networks(where: {kind: PROGRAMME, hasPilots: true}, orderBy: [{field: STARTS_ON}]) {
				totalCount nodes { slug startsOn endsOn pilots { totalCount } municipalities { totalCount } } }
			pirkanmaa: pilot(slug: "kuntakokeilu-2021-pirkanmaa") {
				participantsComplete sourceURL municipalities { totalCount } networks { nodes { slug } } }
			counties: wellbeingCounties(where: {kind: COUNTY}) { totalCount }
			notCounties: wellbeingCounties(where: {kindIn: [HELSINKI, ALAND]}, orderBy: [{field: CODE}]) { nodes { code kind nameEn } }
			pirkanmaa08: wellbeingCounty(code: "08") { nameEn kind }
		}`, nil)
		if counts.Pilots.TotalCount != 38 || counts.Reference.TotalCount != 38 || counts.Municipalities.TotalCount != 152 {
			t.Errorf("pilots %d, reference %d, municipalities taking part %d; want 38, 38, 152",
				counts.Pilots.TotalCount, counts.Reference.TotalCount, counts.Municipalities.TotalCount)
		}
		// The file's four programmes (by start) and the demo's own.
		want := []struct {
			slug, starts, ends string
			pilots, members    int
		}{
			{"kuntakokeilulaki-2015-2016-velvoitteiden-ja-ohjauksen-vahentaminen", "2015-01-05", "2016-12-31", 6, 55},
			{"perustulokokeilu-2017-2018", "2017-01-01", "2018-12-31", 1, 0},
			{"alueelliset-tyollisyyskokeilut-2017-2018-laki-505-2017", "2017-08-01", "2018-12-31", 5, 23},
			{"tyollisyyden-kuntakokeilut-2021-2024-laki-1269-2020", "2021-03-01", "2024-12-31", 26, 117},
		}
		if counts.AllProgrammes.TotalCount != 5 || counts.Programmes.TotalCount != 4 {
			t.Errorf("%d programme networks, %d with pilots; want 5 and 4", counts.AllProgrammes.TotalCount, counts.Programmes.TotalCount)
		}
		for i, w := range want {
			if i >= len(counts.Programmes.Nodes) {
				break
			}
			n := counts.Programmes.Nodes[i]
			if n.Slug != w.slug || n.StartsOn != w.starts || n.EndsOn != w.ends || n.Pilots.TotalCount != w.pilots || n.Municipalities.TotalCount != w.members {
				t.Errorf("programme %d: %+v, want %+v", i, n, w)
			}
		}
		p := counts.Pirkanmaa
		if p.ParticipantsComplete == nil || *p.ParticipantsComplete || p.Municipalities.TotalCount != 22 ||
			p.SourceURL != "https://www.finlex.fi/fi/laki/alkup/2020/20201269" ||
			len(p.Networks.Nodes) != 1 || p.Networks.Nodes[0].Slug != "tyollisyyden-kuntakokeilut-2021-2024-laki-1269-2020" {
			t.Errorf("Pirkanmaa's area: %+v", p)
		}
		if counts.Counties.TotalCount != 21 || len(counts.NotCounties.Nodes) != 2 ||
			counts.NotCounties.Nodes[0] != (struct{ Code, Kind, NameEn string }{"90", "HELSINKI", "City of Helsinki"}) ||
			counts.NotCounties.Nodes[1].Kind != "ALAND" ||
			counts.Pirkanmaa08.NameEn != "Wellbeing services county of Pirkanmaa" || counts.Pirkanmaa08.Kind != "COUNTY" {
			t.Errorf("counties %d, others %+v, 08 %+v", counts.Counties.TotalCount, counts.NotCounties.Nodes, counts.Pirkanmaa08)
		}

		// The README's dashboard: region × programme.
		type key struct{ Dimension, Code, Name string }
		var stats struct {
			PilotStats struct {
				Total   int
				Buckets []struct {
					Keys                   []key
					Pilots, Municipalities int
				}
			}
		}
		a.query(&stats, `{ pilotStats(where: {hasNetworksWith: {kind: PROGRAMME}}, groupBy: [REGION, NETWORK]) {
			total buckets { keys { dimension code name } pilots municipalities population } } }`, nil)
		found := false
		for _, bk := range stats.PilotStats.Buckets {
			if bk.Keys[0].Code == "06" && bk.Keys[1].Code == "tyollisyyden-kuntakokeilut-2021-2024-laki-1269-2020" {
				found = true
				if bk.Pilots != 2 || bk.Municipalities != 22 { // the Pirkanmaa area and the programme's own row
					t.Errorf("Pirkanmaa × 2021–2024: %+v", bk)
				}
			}
		}
		if stats.PilotStats.Total != 38 || len(stats.PilotStats.Buckets) != 32 || !found {
			t.Errorf("region × programme: total %d, %d buckets, Pirkanmaa × 2021–2024 found %v",
				stats.PilotStats.Total, len(stats.PilotStats.Buckets), found)
		}
		// County kinds: Helsinki's pilots are told apart from the counties'.
		a.query(&stats, `{ pilotStats(groupBy: [WELLBEING_COUNTY_KIND]) { total buckets { keys { dimension code name } pilots municipalities } } }`, nil)
		kinds := map[string][2]int{}
		for _, bk := range stats.PilotStats.Buckets {
			kinds[bk.Keys[0].Code] = [2]int{bk.Pilots, bk.Municipalities}
		}
		if len(kinds) != 2 || kinds["HELSINKI"] != [2]int{3, 1} || kinds["COUNTY"][1] != 151 {
			t.Errorf("by county kind: %v", kinds)
		}
		a.query(&stats, `{ pilotStats(where: {hasMunicipalitiesWith: {hasWellbeingCountyWith: {kind: HELSINKI}}}, groupBy: [NETWORK]) {
			total buckets { keys { dimension code name } pilots municipalities } } }`, nil)
		if stats.PilotStats.Total != 3 || len(stats.PilotStats.Buckets) != 2 {
			t.Errorf("Helsinki's pilots by programme: %+v", stats.PilotStats)
		}

		// The research graph: municipalities sharing an experiment area of
		// the 2017–2018 regional employment experiments fall into the five
		// areas (10, 5, 4, 3 and 1 municipalities).
		var graph struct {
			Components []struct {
				Size    int
				Members []struct{ Label string }
			}
		}
		a.query(&graph, `{ components(filter: {projection: true, edgeKinds: [SHARED_PILOTS], nodeTypes: [MUNICIPALITY], asOf: "2018-06-01"}, membersFirst: 10) {
			size members { label } } }`, nil)
		var sizes []int
		for _, c := range graph.Components {
			if c.Size > 1 {
				sizes = append(sizes, c.Size)
			}
		}
		if len(sizes) != 4 || sizes[0] != 10 || sizes[1] != 5 || sizes[2] != 4 || sizes[3] != 3 {
			t.Errorf("areas of 2017–2018 as components: %v", sizes)
		}
		// 2021–2024: the programme's own row ties every participant once, so
		// two municipalities of one area share 2 pilots, of two areas 1.
		var net struct {
			NetworkGraph struct {
				Nodes []struct{ ID, Label string }
				Edges []struct {
					Source, Target string
					Weight         float64
				}
			}
		}
		a.query(&net, `{ networkGraph(filter: {projection: true, edgeKinds: [SHARED_PILOTS], nodeTypes: [MUNICIPALITY], from: "2021-01-01", to: "2024-12-31"}) {
			nodes { id label } edges { source target weight } } }`, nil)
		label := map[string]string{}
		for _, n := range net.NetworkGraph.Nodes {
			label[n.ID] = n.Label
		}
		weight := map[[2]string]float64{}
		for _, e := range net.NetworkGraph.Edges {
			weight[[2]string{label[e.Source], label[e.Target]}] = e.Weight
			weight[[2]string{label[e.Target], label[e.Source]}] = e.Weight
		}
		if w1, w2 := weight[[2]string{"Lahti", "Hollola"}], weight[[2]string{"Lahti", "Oulu"}]; w1 != 2 || w2 != 1 {
			t.Errorf("shared pilots 2021–2024: Lahti–Hollola %v, Lahti–Oulu %v; want 2 and 1", w1, w2)
		}
	})
}
