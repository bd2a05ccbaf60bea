package text_test

import (
	"strings"

	"pgregory.net/rapid"
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

// TestWebAddressNormalForm: one normal form (lower-case scheme and host,
// Unicode host after IDNA, characters kept, escapes normalised), hosts
// validated, the length counted on what was sent.
func TestWebAddressNormalForm(t *testing.T) {
	for in, want := range map[string]string{
		"HTTPS://Example.FI/A":               "https://example.fi/A",
		"hTtP://x.fi":                        "http://x.fi",
		"http://ääkkönen.fi/ö":               "http://ääkkönen.fi/ö",
		"http://ÄÄKKÖNEN.fi/%c3%b6?q=%C3%A4": "http://ääkkönen.fi/ö?q=ä",
		"http://xn--kknen-graa.fi/%41%2f":    "http://kääknen.fi/A%2F",
		"http://1.2.3.4:080/x":               "http://1.2.3.4:80/x",
		"http://[::FFFF:1.2.3.4]/":           "http://[::ffff:1.2.3.4]/",
		"http://localhost/a?b[]=1#c":         "http://localhost/a?b[]=1#c",
		" https://example.org:8443/x ":       "https://example.org:8443/x",
	} {
		got, err := text.WebAddress("url", in)
		if err != nil || got != want {
			t.Errorf("WebAddress(%q) = %q, %v; want %q", in, got, err, want)
		}
		if err := text.WebAddressRule("url")(want); err != nil {
			t.Errorf("normal form %q refused by the rule: %v", want, err)
		}
	}
	if err := text.WebAddressRule("url")("HTTPS://Example.FI/A"); err == nil {
		t.Error("the stored rule accepted an address not in normal form")
	}
	for _, bad := range []string{
		`http://x"onmouseover="alert(1)".fi/`, "http://exam<ple.fi/", "http://-/", "http://./", "http://1.2.3.4.5/",
		"http://0x7f.1/", "http://1.2.3/", "http://a..fi/", "http://a.fi./", "http://-a.fi/", "http://a-.fi/",
		"http://[fe80::1%25en0]/", "http://[1.2.3.4]/", "http://%C3%A4.fi/", "http://a_b.fi/",
		"http://x.fi/a b", `http://x.fi/"`, "http://x.fi/<", "http://x.fi/%", "http://x.fi/%zz", "http://x.fi/a#b#c",
		"http://x.fi/\u200b", "http://x.fi/a\u00a0b",
	} {
		if got, err := text.WebAddress("url", bad); err == nil {
			t.Errorf("WebAddress(%q) accepted as %q", bad, got)
		}
	}
	long := "http://x.fi/" + strings.Repeat("ä", 1000)
	if got, err := text.WebAddress("url", long); err != nil || got != long {
		t.Errorf("1,012 characters: %v", err)
	}
	if _, err := text.WebAddress("url", "http://x.fi/"+strings.Repeat("ä", text.MaxAddress-11)); err == nil {
		t.Error("2,049 characters accepted")
	}
}

// TestWebAddressIdempotent: the normal form of a normal form is itself, and
// never longer than what was sent (but for IDNA's expanding host maps).
func TestWebAddressIdempotent(t *testing.T) {
	part := rapid.SampledFrom([]string{"a", "Z", "ä", "Ö", "%c3%a4", "%41", "%2f", "%25", "/", "?", "#", "=", "&", "~", ".", "-", "[", "]", "e\u0301", "%CC%81", "😀", "%F0%9F%98%80", ":", "@"})
	host := rapid.SampledFrom([]string{"x.fi", "Ääkkönen.FI", "xn--4ca.fi", "1.2.3.4", "[::1]", "localhost", "a-b.c"})
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.SampledFrom([]string{"http://", "HTTPS://"}).Draw(t, "scheme") + host.Draw(t, "host") + "/" +
			strings.Join(rapid.SliceOf(part).Draw(t, "tail"), "")
		n, err := text.WebAddress("url", s)
		if err != nil {
			return
		}
		if n2, err := text.WebAddress("url", n); err != nil || n2 != n {
			t.Fatalf("%q → %q → %q, %v", s, n, n2, err)
		}
		if err := text.WebAddressRule("url")(n); err != nil {
			t.Fatalf("%q → %q refused by the rule: %v", s, n, err)
		}
		if text.Len(n) > text.Len(s) {
			t.Fatalf("%q (%d) → %q (%d) grew", s, text.Len(s), n, text.Len(n))
		}
	})
}

// TestCleanRefusesControls: the control characters XML cannot carry are
// refused in all text; tab, line feed and carriage return pass.
func TestCleanRefusesControls(t *testing.T) {
	for _, bad := range []string{"Ctl\u0001X", "a\u001bb", "\u000c", "a\ufffeb", "\uffff"} {
		if _, err := text.Clean(bad); err == nil {
			t.Errorf("Clean(%+q) accepted", bad)
		}
	}
	for _, ok := range []string{"a\tb\nc\r\nd", "a\u007fb", "a\u0085b"} {
		if _, err := text.Clean(ok); err != nil {
			t.Errorf("Clean(%+q): %v", ok, err)
		}
	}
}
