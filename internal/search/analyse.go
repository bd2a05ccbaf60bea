package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/snowballstem"
	"github.com/blevesearch/snowballstem/finnish"
	"github.com/blevesearch/snowballstem/swedish"
	"golang.org/x/text/unicode/norm"
)

// AnalyserVersion names how text becomes index terms. Change it whenever
// Analyse (or the index layout) changes: Install then rebuilds the index of
// an existing database at start.
const AnalyserVersion = 5

// Word is one word of a text as the index knows it, three forms folded by
// Fold: as written (for prefix matches while typing) and its Snowball
// Finnish and Swedish stems (so "kunnissa" meets "kunta" and "kommunen"
// meets "kommuner"). Documents carry no language, so every word gets both
// stems; a query word matches a document word when either stem agrees.
//
// Only å, ä and ö are letters of their own (the Finnish and Swedish
// alphabets'); any other accent is dropped before anything else, in the
// text and in the query alike, so a stray accent changes nothing: "kuntá"
// is "kunta", "café" is "cafe" (and "Ørsted" "orsted"), stems and prefixes
// included.
//
// Accented is the word lower-cased with its å, ä and ö ("åbo"), or empty
// when it has none (it would equal Surface). Folding those is for whole
// words only: a prefix typed with them matches words that start with those
// very letters (Prefix), so "Åbo" does not find "about" although both fold
// to "abo…"; a prefix typed without them matches words with or without
// them ("abo" finds "Åbo" and "about", "aanek" finds "Äänekoski").
type Word struct {
	Surface, Fi, Sv string
	Accented        string
}

// PrefixForm is the form of w that a prefix match compares: as typed, with
// its accents when it has any.
func (w Word) PrefixForm() string {
	if w.Accented != "" {
		return w.Accented
	}
	return w.Surface
}

// maxWord bounds a word, in bytes: longer runs of letters are not words.
const maxWord = 64

// Analyse splits text into words (runs of letters and digits) and returns
// each with its forms. The stemmers see the word lower-cased with its å,
// ä and ö (the Finnish stemmer needs ä and ö) and without other accents;
// those three are folded afterwards, so "Äänekoski" and "aanekoski" meet.
func Analyse(text string) []Word {
	var words []Word
	for _, w := range strings.FieldsFunc(strings.ToLower(norm.NFC.String(text)), notWordRune) {
		if len(w) > maxWord {
			w = clip(w, maxWord)
		}
		w = plain(w)
		if f := Fold(w); f != "" {
			word := Word{Surface: f, Fi: Fold(stem(w, finnish.Stem)), Sv: Fold(stem(w, swedish.Stem))}
			if w != f {
				word.Accented = w
			}
			words = append(words, word)
		}
	}
	return words
}

func notWordRune(r rune) bool {
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.Is(unicode.Mn, r)
}

// plain is a lower-case word (NFC) with its accents folded except those of
// å, ä and ö, and without combining accents left on their own (no
// precomposed letter): index terms are letters and digits only.
func plain(w string) string {
	ascii := true
	for i := 0; i < len(w); i++ {
		ascii = ascii && w[i] < utf8.RuneSelf
	}
	if ascii {
		return w
	}
	var b strings.Builder
	b.Grow(len(w))
	for _, r := range w {
		if r < utf8.RuneSelf || r == 'å' || r == 'ä' || r == 'ö' {
			b.WriteRune(r)
		} else {
			b.WriteString(Fold(string(r)))
		}
	}
	return b.String()
}

func stem(w string, fn func(*snowballstem.Env) bool) string {
	env := snowballstem.NewEnv(w)
	fn(env)
	if s := env.Current(); s != "" {
		return s
	}
	return w
}

// Fold is a lower-case word without accents (ä→a, ö→o, å→a, é→e, ø→o):
// Finnish and Swedish users often type without them.
func Fold(w string) string {
	var b strings.Builder
	b.Grow(len(w))
	for _, r := range norm.NFD.String(w) {
		switch {
		case unicode.Is(unicode.Mn, r): // the combining accent of a decomposed letter
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if f, ok := folded[r]; ok {
				b.WriteString(f)
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
		}
	}
	return b.String()
}

// folded are letters that Unicode does not decompose into a base letter
// and an accent.
var folded = map[rune]string{
	'ø': "o", 'Ø': "o", 'æ': "ae", 'Æ': "ae", 'ß': "ss", 'đ': "d", 'Đ': "d", 'ł': "l", 'Ł': "l",
}

// Term is one condition of a query: a word, or a quoted phrase whose words
// must follow each other in that order. Every term must match.
type Term struct {
	Words []Word
	// Prefix: the last word of the query as typed, unquoted; it also
	// matches words that start with it ("kokeil" finds "kokeilevat").
	Prefix bool
}

// maxTerms bounds the words of one query, phrases' words included.
const maxTerms = 8

// Terms parses a query: words, and phrases in double quotes (an unclosed
// quote runs to the end). Everything but letters and digits separates
// words, so no character is an operator of the database's own query
// language. At most maxTerms words count; the result is empty when the
// query has no letters or digits.
func Terms(query string) []Term {
	var terms []Term
	n := 0
	parts := strings.Split(query, `"`)
	for i, part := range parts {
		words := Analyse(part)
		words = words[:min(len(words), maxTerms-n)]
		n += len(words)
		if len(words) == 0 {
			continue
		}
		if i%2 == 1 { // inside quotes
			terms = append(terms, Term{Words: words})
			continue
		}
		for _, w := range words {
			terms = append(terms, Term{Words: []Word{w}})
		}
		// The query's last word, unquoted, is still being typed.
		terms[len(terms)-1].Prefix = i == len(parts)-1
	}
	return terms
}
