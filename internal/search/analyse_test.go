package search

import (
	"slices"
	"strings"
	"testing"
)

// TestAnalyse: the forms of words that a Finnish or Swedish reader takes
// for one word share a stem, with or without ä, ö and å.
func TestAnalyse(t *testing.T) {
	fi := func(w string) string { return Analyse(w)[0].Fi }
	sv := func(w string) string { return Analyse(w)[0].Sv }
	for _, group := range [][]string{
		{"kunta", "kunnat", "kunnissa"},
		{"kokeilu", "kokeilun", "kokeiluja", "kokeilussa", "kokeilua"},
		{"Lappi", "Lapin"},
		{"Kela", "Kelan"},
		{"Kuntaliitto", "Kuntaliiton"},
		{"Äänekoski", "aanekoski", "Äänekoskella"},
	} {
		for _, w := range group[1:] {
			if fi(w) != fi(group[0]) {
				t.Errorf("Finnish stem of %q is %q, of %q %q", w, fi(w), group[0], fi(group[0]))
			}
		}
	}
	for _, group := range [][]string{
		{"kommun", "kommunen", "kommuner", "kommunerna"},
		{"försök", "försöken", "forsoken", "försöks"},
		{"tjänst", "tjänster", "tjänsterna"},
	} {
		for _, w := range group[1:] {
			if sv(w) != sv(group[0]) {
				t.Errorf("Swedish stem of %q is %q, of %q %q", w, sv(w), group[0], sv(group[0]))
			}
		}
	}
	got := Analyse("  Ørsted  café: Straße 2015! ")
	if want := []Word{{"orsted", "orsted", "orsted", ""}, {"cafe", "cafe", "caf", ""}, {"strasse", "stras", "strass", ""}, {"2015", "2015", "2015", ""}}; !slices.Equal(got, want) {
		t.Errorf("Analyse: %q, want %q", got, want)
	}
}

// TestAnalyseStrayAccents: an accent that is not å, ä or ö is no letter of
// Finnish or Swedish, so a word with one is the word without it, stems and
// prefix form included ("kuntá" stems as "kunta"); å, ä and ö stay letters
// of their own for prefixes ("Åbo" is not "abo…" while typing).
func TestAnalyseStrayAccents(t *testing.T) {
	for stray, plain := range map[string]string{
		"kuntá": "kunta", "Kunnissà": "kunnissa", "kokeilún": "kokeilun", "Lâpin": "Lapin",
		"kommunén": "kommunen", "försökên": "försöken", "tjänstér": "tjänster", "Åbó": "Åbo",
		"ka\u0301unis": "kaunis", // a combining accent, composed by NFC
		"x\u0301y":     "xy",     // one that no letter takes: dropped
	} {
		got, want := Analyse(stray), Analyse(plain)
		if !slices.Equal(got, want) {
			t.Errorf("Analyse(%q) = %q, Analyse(%q) = %q", stray, got, plain, want)
		}
	}
	for word, accented := range map[string]string{"Åbo": "åbo", "försök": "försök", "Äänekoski": "äänekoski", "kuntá": "", "café": ""} {
		if got := Analyse(word)[0]; got.Accented != accented {
			t.Errorf("Analyse(%q).Accented = %q, want %q", word, got.Accented, accented)
		}
	}
}

func TestTerms(t *testing.T) {
	surface := func(terms []Term) (out []string) {
		for _, t := range terms {
			var ws []string
			for _, w := range t.Words {
				ws = append(ws, w.Surface)
			}
			if t.Prefix {
				ws = append(ws, "*")
			}
			out = append(out, strings.Join(ws, " "))
		}
		return out
	}
	for query, want := range map[string][]string{
		`kokeil*" OR aanekoski NEAR -x`:     {"kokeil", "or aanekoski near x"},
		`aanekoski kokeil`:                  {"aanekoski", "kokeil *"},
		`"työllisyyden kuntakokeilu" Kelan`: {"tyollisyyden kuntakokeilu", "kelan *"},
		`Kelan "työllisyyden kuntakokeilu"`: {"kelan", "tyollisyyden kuntakokeilu"},
		`"avoin lainaus`:                    {"avoin lainaus"},
		`kunta "" ?`:                        {"kunta"},
		`  !? "" `:                          nil,
	} {
		if got := surface(Terms(query)); !slices.Equal(got, want) {
			t.Errorf("Terms(%q) = %q, want %q", query, got, want)
		}
	}
	if n := len(Terms(`a b c "d e f g" h i j`)); n != 5 { // a b c, the phrase, h: 8 words
		t.Errorf("%d terms, want 5 (at most %d words)", n, maxTerms)
	}
}
