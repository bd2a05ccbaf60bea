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
	for _, bad := range []string{"a\x00b", "a\xffb", "\xc3"} {
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
