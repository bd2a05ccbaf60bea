package server_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"kokeilu/internal/auth"
	"kokeilu/internal/dataset"
	"kokeilu/internal/testdb"
)

var statsDimensions = []string{"REGION", "WELLBEING_COUNTY", "SUBREGION", "MUNICIPALITY", "THEME", "STATUS", "NETWORK", "START_YEAR", "ACTIVE_YEAR", "WELLBEING_COUNTY_KIND"}

// TestPilotStatsEveryGroupingBothPaths: every grouping of one to three dimensions
// (in a random order) answers from the kept counts as the exact statement
// does, byte for byte, asking names in two languages, municipalities only,
// or pilots only; on an empty database too.
func TestPilotStatsEveryGroupingBothPaths(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		everyPilot := map[string]any{"or": []any{
			map[string]any{"status": "PLANNED"}, map[string]any{"status": "ACTIVE"},
			map[string]any{"status": "COMPLETED"}, map[string]any{"status": "CANCELLED"}}}
		sels := []string{
			`total buckets { keys { dimension code name sv: name(lang: SV) en: name(lang: EN) } pilots municipalities population }`,
			`buckets { municipalities keys { code } }`,
			`buckets { pilots k: keys { name } }`,
			`total buckets { population }`,
		}
		run := func(label string) {
			rnd := rand.New(rand.NewPCG(1, 2))
			var groups [][]string
			for i := range statsDimensions {
				groups = append(groups, []string{statsDimensions[i]})
				for j := i + 1; j < len(statsDimensions); j++ {
					groups = append(groups, []string{statsDimensions[i], statsDimensions[j]})
					for k := j + 1; k < len(statsDimensions); k++ {
						groups = append(groups, []string{statsDimensions[i], statsDimensions[j], statsDimensions[k]})
					}
				}
			}
			fails := 0
			for gi, g := range groups {
				rnd.Shuffle(len(g), func(i, j int) { g[i], g[j] = g[j], g[i] })
				sel := sels[gi%len(sels)]
				q := `query($w: PilotWhereInput, $g: [PilotDimension!]!) { pilotStats(where: $w, groupBy: $g) { ` + sel + ` } }`
				fast := a.post(q, map[string]any{"w": nil, "g": g})
				exact := a.post(q, map[string]any{"w": everyPilot, "g": g})
				if len(fast.Errors) > 0 && len(exact.Errors) > 0 && fast.Errors[0].code() == "COST_LIMIT_EXCEEDED" && exact.Errors[0].code() == "COST_LIMIT_EXCEEDED" {
					continue
				}
				if len(fast.Errors) > 0 || len(exact.Errors) > 0 {
					t.Errorf("%s %v: errors %+v %+v", label, g, fast.Errors, exact.Errors)
					fails++
				} else if !bytes.Equal(fast.Data, exact.Data) {
					n := min(len(fast.Data), len(exact.Data))
					d := 0
					for d < n && fast.Data[d] == exact.Data[d] {
						d++
					}
					t.Errorf("%s %v %s: differ at %d:\nfast  %.300s\nexact %.300s", label, g, sel, d, fast.Data[max(0, d-100):], exact.Data[max(0, d-100):])
					fails++
				}
				if bytes.ContainsAny(fast.Data, "<>&") || bytes.Contains(fast.Data, []byte("\u2028")) {
					t.Errorf("%s %v: unescaped markup in answer", label, g)
				}
				if fails > 8 {
					t.Fatal("too many")
				}
			}
		}
		run("empty")
		ctx := auth.System(context.Background())
		if err := dataset.Generate(ctx, a.db.Client, dataset.Size{Pilots: 80, Networks: 5, Organizations: 4, Themes: 5}, 7); err != nil {
			t.Fatal(err)
		}
		// names holding markup and line separators
		nets, err := a.db.Client.Network.Query().All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range nets {
			name := fmt.Sprintf("Verkko <b>%d</b> & \u2028x\u2029 %s", i, strings.Repeat("ä", i))
			if err := a.db.Client.Network.UpdateOne(n).SetName(name).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		run("generated")
		// markup decoded back whole
		var got struct {
			PilotStats struct {
				Buckets []struct {
					Keys []struct{ Name string }
				}
			}
		}
		a.query(&got, `{ pilotStats(groupBy: [NETWORK]) { buckets { keys { name } } } }`, nil)
		seen := 0
		for _, bk := range got.PilotStats.Buckets {
			if strings.Contains(bk.Keys[0].Name, "<b>") && strings.Contains(bk.Keys[0].Name, "\u2028x\u2029") {
				seen++
			}
		}
		if seen == 0 {
			t.Errorf("network names not read back: %+v", got)
		}
	})
}
