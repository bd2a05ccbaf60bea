package search

import (
	"slices"
	"testing"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"Äänekoski":                   "aanekoski",
		"ÅBO Akademi":                 "abo akademi",
		"Kokeilu-verkosto: 2015!":     "kokeilu verkosto 2015",
		"  Ørsted  café  Straße ":     "orsted cafe strasse",
		"Öljylämmityksen korvaaminen": "oljylammityksen korvaaminen",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Terms(`"kokeil*" OR aanekoski NEAR -x`); !slices.Equal(got, []string{"kokeil", "or", "aanekoski", "near", "x"}) {
		t.Errorf("query operators are not words of the query: %q", got)
	}
	if got := Terms("a b c d e f g h i j"); len(got) != maxTerms {
		t.Errorf("%d terms, want at most %d", len(got), maxTerms)
	}
}
