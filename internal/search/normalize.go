package search

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize folds text the same way for indexing and for queries: lower
// case, accents removed (ä→a, ö→o, å→a, é→e), and everything but letters
// and digits turned into spaces. Finnish and Swedish users often type
// without ä, ö and å ("aanekoski"), so both spellings must meet; doing it
// in Go gives SQLite and PostgreSQL the same tokens without the unaccent
// extension.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true // collapse runs of separators
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r): // the combining accent of a decomposed letter
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if f, ok := folded[r]; ok {
				b.WriteString(f)
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}

// folded are letters that Unicode does not decompose into a base letter
// and an accent.
var folded = map[rune]string{
	'ø': "o", 'Ø': "o", 'æ': "ae", 'Æ': "ae", 'ß': "ss", 'đ': "d", 'Đ': "d", 'ł': "l", 'Ł': "l",
}

// maxTerms bounds the words of one query: each is a prefix lookup.
const maxTerms = 8

// Terms are the normalised words of a query, each at most 64 bytes, at
// most maxTerms of them; empty when the query has no letters or digits.
func Terms(query string) []string {
	words := strings.Fields(Normalize(query))
	if len(words) > maxTerms {
		words = words[:maxTerms]
	}
	for i, w := range words {
		if len(w) > 64 {
			words[i] = w[:64]
		}
	}
	return words
}
