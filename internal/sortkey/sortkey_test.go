package sortkey_test

import (
	"bytes"
	"slices"
	"testing"

	"kokeilu/internal/sortkey"

	"golang.org/x/text/unicode/norm"
)

// sorted orders texts by their keys in column's collation.
func sorted(column string, texts ...string) []string {
	out := slices.Clone(texts)
	slices.SortStableFunc(out, func(a, b string) int {
		return bytes.Compare(sortkey.Of(column, a), sortkey.Of(column, b))
	})
	return out
}

// TestNordicOrder: Å, Ä, Ö come after Z, in that order, in Finnish and in
// Swedish (by code point Ä < Å, and all three before nothing else).
func TestNordicOrder(t *testing.T) {
	in := []string{"Öljy", "Äänekoski", "Zeta", "Åbo", "aalto", "Aalto", "Borgå", "", "Ähtäri"}
	// Ähtäri before Äänekoski: h before ä, which follows z.
	want := []string{"", "aalto", "Aalto", "Borgå", "Zeta", "Åbo", "Ähtäri", "Äänekoski", "Öljy"}
	for _, column := range []string{"title", "name_fi", "name_sv"} {
		if got := sorted(column, in...); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", column, got, want)
		}
	}
	// English has no such letters: Å and Ä sort with A.
	if got := sorted("name_en", "Zeta", "Åbo", "Ab"); !slices.Equal(got, []string{"Ab", "Åbo", "Zeta"}) {
		t.Errorf("name_en: %q", got)
	}
}

// TestForms: NFC and NFD forms of a text have one key; the key is never
// nil, so "" is stored as empty bytes, not NULL.
func TestForms(t *testing.T) {
	for _, s := range []string{"Äänekoski", "Åbo", "Öljy", ""} {
		nfc, nfd := sortkey.Of("name_sv", norm.NFC.String(s)), sortkey.Of("name_sv", norm.NFD.String(s))
		if !bytes.Equal(nfc, nfd) {
			t.Errorf("%q: NFC key %x, NFD key %x", s, nfc, nfd)
		}
		if nfc == nil {
			t.Errorf("%q: nil key", s)
		}
		if v, _ := nfc.Value(); v == nil {
			t.Errorf("%q: stored as NULL", s)
		}
	}
}
