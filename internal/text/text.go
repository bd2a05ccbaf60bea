// Package text is what Kokeilu accepts as text, in one place: valid UTF-8
// without U+0000 (PostgreSQL refuses it, SQLite would store it, C-string
// consumers cut at it), without the other control characters XML 1.0
// cannot carry (the graph exports are XML) and without U+FFFD (what a lone surrogate becomes:
// see Clean), in Unicode normalisation form C (so "ä" typed as a plus a
// combining diaeresis is the same title, slug and search term as the
// precomposed one), and lengths counted in characters, not bytes.
//
// Every GraphQL String argument and variable passes through Clean (the
// String scalar, internal/scalar), and so do the export parameters.
package text

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"kokeilu/internal/fault"

	"golang.org/x/text/unicode/norm"
)

// Clean checks that s is text we store and returns it in NFC. The error
// says what is wrong without echoing the bytes.
func Clean(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("is not valid UTF-8")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "", fmt.Errorf("contains the character U+0000, which is not allowed")
	}
	// A JSON string with a lone surrogate ("\ud800") or bytes that are not
	// UTF-8 reaches us as U+FFFD, the replacement character: the JSON
	// decoder cannot tell us which, and the text cannot be stored as sent.
	// Human text has no use for U+FFFD itself, so it is refused wherever it
	// comes from rather than stored in place of what the client meant.
	if strings.ContainsRune(s, utf8.RuneError) {
		return "", fmt.Errorf("contains U+FFFD, the replacement character: a lone surrogate such as \\ud800 or bytes that are not UTF-8 were sent; send the text itself")
	}
	// XML 1.0 cannot carry the control characters U+0001–U+001F other than
	// tab, line feed and carriage return, nor U+FFFE and U+FFFF: the GraphML
	// and GEXF exports would have to alter them. Human text has no use for
	// them (a pasted escape sequence, a form feed), so they are refused at
	// input, the one rule of all text, rather than stored and then changed
	// on the way out.
	if i := strings.IndexFunc(s, notXML); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return "", fmt.Errorf("contains the control character %U, which is not allowed (tab, line feed and carriage return are)", r)
	}
	return norm.NFC.String(s), nil
}

// notXML tells a character XML 1.0 cannot carry (U+0000 is refused
// before).
func notXML(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0xFFFE || r == 0xFFFF
}

// Len is the length of s in characters (code points), as every limit of
// Kokeilu counts it; s is NFC already when it came through Clean.
func Len(s string) int { return utf8.RuneCountInString(s) }

// Max returns a validator refusing more than max characters with
// BAD_USER_INPUT naming field (its GraphQL name). ent schema fields use it
// instead of MaxLen, which counts bytes.
func Max(field string, max int) func(string) error {
	return func(s string) error {
		if n := Len(s); n > max {
			return TooLong(field, n, max)
		}
		return nil
	}
}

// TooLong is the answer to a text over its limit.
func TooLong(field string, n, max int) error {
	return fault.BadInput(field, "%s is %d characters long; at most %d are allowed", field, n, max)
}

// invisible reports a character that shows nothing: white space, control
// and format characters (U+200B zero width space, U+FEFF, bidi marks), the
// default-ignorable fillers (U+3164 Hangul filler) and the blank Braille
// pattern. Trim takes these off the ends.
func invisible(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) ||
		unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point) || r == '\u2800'
}

// Trim takes the invisible characters off both ends of s: the one
// normalisation of human text (titles, names, descriptions) before it is
// stored, after Clean. Combining marks and variation selectors stay: they
// belong to the character before them.
func Trim(s string) string { return strings.TrimFunc(s, invisible) }

// Blank tells text without a visible character: only invisible ones, or
// combining marks and variation selectors with nothing to combine with.
func Blank(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return !invisible(r) && !unicode.In(r, unicode.Mn, unicode.Me, unicode.Variation_Selector)
	}) < 0
}

// Required returns the validator of required human text (a title, a name):
// blank text is refused with BAD_USER_INPUT naming field (its GraphQL
// name). ent schema fields use it instead of NotEmpty, whose refusal is
// in ent's words and lets "\u200b" or "\t\n" through.
func Required(field string) func(string) error {
	return func(s string) error {
		if Blank(s) {
			return BlankError(field)
		}
		return nil
	}
}

// Digits returns the validator of a code made of ASCII digits, refusing
// anything else (the empty string too: no code is none, NULL) with
// BAD_USER_INPUT naming field (its GraphQL name).
func Digits(field string) func(string) error {
	return func(s string) error {
		if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' }) {
			return fault.BadInput(field, "%s is a code of digits, got %q", field, s)
		}
		return nil
	}
}

// BlankError is the answer to required text that is empty or blank.
func BlankError(field string) error {
	return fault.BadInput(field, "%s must contain visible characters: it is empty or only spaces, control or invisible characters", field)
}

// Human is the input rule of human text: trimmed (Trim), and if required
// not blank.
func Human(field, s string, required bool) (string, error) {
	s = Trim(s)
	if required && Blank(s) {
		return "", BlankError(field)
	}
	return s, nil
}
