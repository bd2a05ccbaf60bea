package analytics

import (
	"maps"
	"slices"
	"testing"

	"kokeilu/ent"
	"kokeilu/ent/pilot"

	"pgregory.net/rapid"
)

// A pilot's facts read back as written, and taking them away undoes
// adding them, bucket by bucket.
func TestFactsRoundTripAndCancel(t *testing.T) {
	f := facts{Region: {"1", "2"}, Municipality: {"10", "11", "12"}, Subregion: {"051"}, WellbeingCounty: {"7"}, CountyKind: {"COUNTY"},
		Theme: {"3"}, Status: {"ACTIVE"}, Network: {"4", "5"}, StartYear: {"2019"}}
	g := decode(f.encode())
	for _, d := range kept {
		if !slices.Equal(f[d], g[d]) {
			t.Errorf("%s: %v, read back %v", d, f[d], g[d])
		}
	}
	delta := map[string]int{}
	f.add(delta, 1)
	if delta["REGION\x001"] != 1 || delta["REGION,THEME\x002|3"] != 1 || delta["MUNICIPALITY,STATUS\x0011|ACTIVE"] != 1 ||
		delta["REGION,THEME,STATUS\x001|3|ACTIVE"] != 1 {
		t.Errorf("missing buckets in %d", len(delta))
	}
	g.add(delta, -1)
	for k, n := range delta {
		if n != 0 {
			t.Errorf("%q: %d after taking the pilot away", k, n)
		}
	}
}

// Only empty, status and statusIn filters are read from buckets.
func TestStatusOnly(t *testing.T) {
	active, planned := pilot.StatusACTIVE, pilot.StatusPLANNED
	for _, c := range []struct {
		w        *ent.PilotWhereInput
		statuses []string
		filtered bool
		ok       bool
	}{
		{nil, nil, false, true},
		{&ent.PilotWhereInput{}, nil, false, true},
		{&ent.PilotWhereInput{Status: &active}, []string{"ACTIVE"}, true, true},
		{&ent.PilotWhereInput{StatusIn: []pilot.Status{active, planned}}, []string{"ACTIVE", "PLANNED"}, true, true},
		{&ent.PilotWhereInput{Status: &active, StatusIn: []pilot.Status{planned}}, []string{}, true, true},
		{&ent.PilotWhereInput{StatusIn: []pilot.Status{}}, []string{}, true, true},
		{&ent.PilotWhereInput{Not: &ent.PilotWhereInput{Status: &active}}, nil, false, false},
		{&ent.PilotWhereInput{Status: &active, TitleContains: new(string)}, nil, false, false},
	} {
		s, f, ok := statusOnly(c.w)
		if ok != c.ok || f != c.filtered || (ok && !slices.Equal(s, c.statuses) && len(s)+len(c.statuses) > 0) {
			t.Errorf("%+v: %v %v %v, want %v %v %v", c.w, s, f, ok, c.statuses, c.filtered, c.ok)
		}
	}
}

// Every grouping of one or two kept dimensions (but two areas other than
// MUNICIPALITY) has its pilots kept, and
// its municipalities too unless both dimensions are no areas; so do one
// dimension and area × THEME under a status filter; area × THEME × STATUS
// is kept whole. The
// families stay few.
func TestKeptGroupings(t *testing.T) {
	served := func(dims []Dimension, filtered, withAreas bool) bool {
		all := slices.Clone(dims)
		if filtered && !slices.Contains(all, Status) {
			all = append(all, Status)
		}
		slices.SortFunc(all, func(a, b Dimension) int { return slices.Index(kept, a) - slices.Index(kept, b) })
		_, _, ok := familiesOf(all, withAreas)
		return ok
	}
	for i, a := range kept {
		for _, b := range append([]Dimension{""}, kept[i+1:]...) {
			dims := []Dimension{a}
			if b != "" {
				dims = append(dims, b)
			}
			if geographic(a) && geographic(b) && a != Municipality && b != Municipality {
				continue // two areas: the exact statement
			}
			if !served(dims, false, false) {
				t.Errorf("%v: pilots not kept", dims)
			}
			areas := b == "" || geographic(a) || geographic(b)
			if areas && !served(dims, false, true) {
				t.Errorf("%v: municipalities not kept", dims)
			}
			// Under a status filter, the municipalities of non-area
			// buckets are not kept (but for THEME).
			if (b == "" || geographic(a) && b == Theme || b == Status) && !served(dims, true, geographic(a) || a == Theme) {
				t.Errorf("%v under a status filter: not kept", dims)
			}
		}
		if geographic(a) && !served([]Dimension{a, Theme, Status}, true, true) {
			t.Errorf("%v × THEME × STATUS: not kept", a)
		}
	}
	if len(families) > 60 {
		t.Errorf("%d families", len(families))
	}
	// Unfiltered, the municipalities of a family without MUNICIPALITY are
	// read off its own rows: they are kept there exactly when its
	// municipality rows are.
	for _, f := range families {
		if slices.Contains(f, Municipality) {
			continue
		}
		if _, _, ok := familiesOf(f, true); ok != keepsAreas[family(f)] {
			t.Errorf("%v: municipality rows kept %v, municipalities on its rows %v", f, ok, keepsAreas[family(f)])
		}
	}
}

// A municipality row entering its buckets adds the municipality and its
// population to the bucket of the other values, and to its area's bucket
// with them.
func TestDerived(t *testing.T) {
	got := map[string]bool{}
	for _, d := range derived["MUNICIPALITY,THEME,STATUS"] {
		got[d.family+"/"+string(d.area)] = true
	}
	for _, want := range []string{"THEME,STATUS/", "REGION,THEME,STATUS/REGION", "WELLBEING_COUNTY_KIND,THEME,STATUS/WELLBEING_COUNTY_KIND"} {
		if !got[want] {
			t.Errorf("MUNICIPALITY,THEME,STATUS does not derive %s: %v", want, got)
		}
	}
	if len(derived["MUNICIPALITY"]) != 4 {
		t.Errorf("MUNICIPALITY derives %v, want the four other areas", derived["MUNICIPALITY"])
	}
}

// A pilot that moves from facts f to g changes exactly the rows of the
// combinations it leaves (−1) and enters (+1); the combinations it has
// before and after are not written (applyDelta skips zeros), and a move
// to the same facts writes nothing.
func TestDeltaIsTheDifference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		gen := func(label string) facts {
			f := facts{}
			for _, d := range kept {
				vs := rapid.SliceOfDistinct(rapid.SampledFrom([]string{"1", "2", "3"}), rapid.ID[string]).Draw(t, label+string(d))
				if d == Status && len(vs) > 1 {
					vs = vs[:1] // one status a pilot
				}
				if len(vs) > 0 {
					slices.Sort(vs)
					f[d] = vs
				}
			}
			return f
		}
		f, g := gen("f"), gen("g")
		before, after := map[string]int{}, map[string]int{}
		f.add(before, 1)
		g.add(after, 1)
		for k, n := range before {
			if n != 1 {
				t.Fatalf("%q counted %d times", k, n)
			}
		}
		delta := map[string]int{}
		decode(f.encode()).add(delta, -1)
		g.add(delta, 1)
		union := maps.Clone(before)
		maps.Copy(union, after)
		for k := range union {
			if delta[k] != after[k]-before[k] {
				t.Fatalf("%q: %d, want %d", k, delta[k], after[k]-before[k])
			}
		}
		for k := range delta {
			if _, ok := union[k]; !ok {
				t.Fatalf("%q written but neither left nor entered", k)
			}
		}
		if f.encode() == g.encode() {
			for k, n := range delta {
				if n != 0 {
					t.Fatalf("same facts, %q: %d", k, n)
				}
			}
		}
	})
}
