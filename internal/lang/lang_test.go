package lang

import (
	"context"
	"strings"
	"testing"
)

func TestFromAcceptLanguage(t *testing.T) {
	for header, want := range map[string]Language{
		"":                          FI,
		"sv":                        SV,
		"sv-FI,sv;q=0.9,en;q=0.8":   SV,
		"de-DE, en;q=0.7, sv;q=0.8": SV,
		"en-GB":                     EN,
		"fr, de":                    FI,
		"en;q=0, sv;q=0.1":          SV,
		"fi-FI, en;q=0.9":           FI,
		"EN-us;q=0.5, fi;q=0.4":     EN,
		"sv;q=notanumber, en;q=0.9": SV,
	} {
		if got := FromAcceptLanguage(header); got != want {
			t.Errorf("%q: got %s, want %s", header, got, want)
		}
	}
}

func TestNameFallsBackFinnishSwedishEnglish(t *testing.T) {
	ctx := context.Background()
	sv, en := SV, EN
	cases := []struct {
		ctx        context.Context
		want       *Language
		fi, sv, en string
		expected   string
	}{
		{ctx, nil, "Helsinki", "Helsingfors", "Helsinki", "Helsinki"},
		{ctx, &sv, "Helsinki", "Helsingfors", "", "Helsingfors"},
		{ctx, &en, "Helsingin kaupunki", "Helsingfors stad", "", "Helsingin kaupunki"},
		{ctx, &sv, "", "", "Only English", "Only English"},
		{WithPreferred(ctx, SV), nil, "Turku", "Åbo", "Turku", "Åbo"},
		{WithPreferred(ctx, SV), &en, "Turku", "Åbo", "", "Turku"},
	}
	for _, c := range cases {
		if got := Name(c.ctx, c.want, c.fi, c.sv, c.en); got != c.expected {
			t.Errorf("Name(%v, %q, %q, %q) = %q, want %q", c.want, c.fi, c.sv, c.en, got, c.expected)
		}
	}
	// NameAt points at the name Name answers, for every language wanted or
	// preferred and every set of missing names.
	fi := FI
	for _, l := range []*Language{nil, &fi, &sv, &en} {
		for _, preferred := range []Language{FI, SV, EN} {
			ctx := WithPreferred(ctx, preferred)
			for missing := range 8 {
				names := [3]string{"Turku", "Åbo", "Turku city"}
				for i := range names {
					if missing&(1<<i) != 0 {
						names[i] = ""
					}
				}
				at := NameAt(ctx, l, &names[0], &names[1], &names[2])
				if want := Name(ctx, l, names[0], names[1], names[2]); *at != want || at != &names[0] && at != &names[1] && at != &names[2] {
					t.Errorf("NameAt(%v, preferring %v, %q) = %q, Name %q", l, preferred, names, *at, want)
				}
			}
		}
	}
}

// TestCodeIsCurrentISO639_1 (found by a hostile review): the withdrawn
// codes "iw" and "mo" were accepted beside "he" and "ro".
func TestCodeIsCurrentISO639_1(t *testing.T) {
	for s, want := range map[string]bool{
		"fi": true, "FI": true, "sv": true, "se": true, "he": true, "ro": true, "id": true, "nb": true,
		"iw": false, "mo": false, "in": false, "ji": false, "jw": false, "zz": false, "fin": false, "": false, "f": false,
	} {
		if code, ok := Code(s); ok != want || ok && code != strings.ToLower(s) {
			t.Errorf("Code(%q) = %q, %v; want ok %v", s, code, ok, want)
		}
	}
}
