package analytics

import (
	"slices"
	"testing"

	"kokeilu/ent"
	"kokeilu/ent/pilot"
)

// A pilot's facts read back as written, and taking them away undoes
// adding them, bucket by bucket.
func TestFactsRoundTripAndCancel(t *testing.T) {
	f := facts{Region: {"1", "2"}, Municipality: {"10", "11", "12"}, Subregion: {"051"}, WellbeingCounty: {"7"},
		Theme: {"3"}, Status: {"ACTIVE"}, Network: {"4", "5"}, StartYear: {"2019"}}
	g := decode(f.encode())
	for _, d := range kept {
		if !slices.Equal(f[d], g[d]) {
			t.Errorf("%s: %v, read back %v", d, f[d], g[d])
		}
	}
	delta := map[string]int{}
	f.add(delta, 1)
	if delta["REGION\x001"] != 1 || delta["REGION,THEME\x002|3"] != 1 || delta["M:STATUS\x00ACTIVE|11"] != 1 {
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
	// Every kept grouping has its municipality rows.
	m := map[string]bool{}
	for _, g := range mGroupings {
		m[dimsName(g)] = true
	}
	for _, g := range groupings {
		non := slices.DeleteFunc(slices.Clone(g), geographic)
		if !m[dimsName(non)] {
			t.Errorf("%v has no municipality rows %v", g, non)
		}
	}
}
