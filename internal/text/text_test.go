package text_test

import (
	"testing"

	"kokeilu/internal/text"
)

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"Pyha\u0308ja\u0308rvi": "Pyhäjärvi", // NFD → NFC
		"Åbo":                   "Åbo",
		"":                      "",
	} {
		if got, err := text.Clean(in); err != nil || got != want {
			t.Errorf("Clean(%+q) = %+q, %v; want %+q", in, got, err, want)
		}
	}
	for _, bad := range []string{"a\x00b", "a\xffb", "\xc3", "a\ufffdb", "\ufffd"} {
		if _, err := text.Clean(bad); err == nil {
			t.Errorf("Clean(%+q) accepted", bad)
		}
	}
	if n := text.Len("ää"); n != 2 {
		t.Errorf("Len(ää) = %d", n)
	}
	if err := text.Max("title", 2)("äää"); err == nil {
		t.Error("3 characters over a limit of 2 accepted")
	}
}

// TestBlankAndTrim: text of only spaces, controls, format or filler
// characters is blank, and Trim takes those off the ends but keeps
// combining marks and variation selectors with their character.
func TestBlankAndTrim(t *testing.T) {
	for _, s := range []string{"", " ", "\t\n", "\u200b", "\ufeff", "\u3164", "\u00a0\u2060", "\u2800", "\u0301", "\u200e\u200f"} {
		if !text.Blank(s) {
			t.Errorf("Blank(%+q) = false", s)
		}
		if err := text.Required("title")(s); err == nil {
			t.Errorf("Required accepted %+q", s)
		}
	}
	for in, want := range map[string]string{
		" Kokeilu\u200b ": "Kokeilu", "\ufeffÅbo\t\n": "Åbo", "q\u0303": "q\u0303", "❤\ufe0f ": "❤\ufe0f", "a b": "a b",
	} {
		if text.Blank(in) {
			t.Errorf("Blank(%+q) = true", in)
		}
		if got := text.Trim(in); got != want {
			t.Errorf("Trim(%+q) = %+q, want %+q", in, got, want)
		}
	}
}
