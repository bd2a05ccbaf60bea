// Package text is what Kokeilu accepts as text, in one place: valid UTF-8
// without U+0000 (PostgreSQL refuses it, SQLite would store it, C-string
// consumers cut at it), in Unicode normalisation form C (so "ä" typed as a
// plus a combining diaeresis is the same title, slug and search term as the
// precomposed one), and lengths counted in characters, not bytes.
//
// Every GraphQL String argument and variable passes through Clean (the
// String scalar, internal/scalar), and so do the export parameters.
package text

import (
	"fmt"
	"strings"
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
	return norm.NFC.String(s), nil
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
