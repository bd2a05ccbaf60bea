package search

import (
	"context"
	"strings"
	"unicode/utf8"
)

// Snippet is where a hit matched: its title when a query word is there,
// else up to snippetRunes characters of its body around the first match.
// Highlights are the matched words as [start, length] in characters
// (Unicode code points) of Text.
type Snippet struct {
	Text       string
	Highlights [][2]int
}

// snippetRunes is about two lines of a result list.
const snippetRunes = 160

// matcher tells whether a word of a text matches a word of the query, as
// the index does (Word, FTSMatch).
type matcher struct {
	stems    map[string]bool
	prefixes []string
	// heads are the first two bytes of every stem and prefix: a stem is
	// the start of its word, so a word with another head cannot match and
	// is not stemmed (stemming every word of 20 bodies costs).
	heads map[string]bool
}

func newMatcher(terms []Term) matcher {
	m := matcher{stems: map[string]bool{}, heads: map[string]bool{}}
	for _, t := range terms {
		for _, w := range t.Words {
			m.stems[w.Fi], m.stems[w.Sv] = true, true
			m.heads[head(w.Fi)], m.heads[head(w.Sv)] = true, true
		}
		if t.Prefix {
			m.prefixes = append(m.prefixes, t.Words[0].PrefixForm())
			m.heads[head(t.Words[0].Surface)] = true
		}
	}
	return m
}

func head(folded string) string { return folded[:min(2, len(folded))] }

// mayMatch is false for a word that cannot match: its head is no stem's.
func (m matcher) mayMatch(word string) bool {
	f := Fold(word)
	return f != "" && (m.heads[head(f)] || m.heads[f[:1]])
}

func (m matcher) matches(w Word) bool {
	if m.stems[w.Fi] || m.stems[w.Sv] {
		return true
	}
	for _, p := range m.prefixes {
		// As the index: an accented prefix meets the accented form only.
		if strings.HasPrefix(w.Surface, p) || (w.Accented != "" && strings.HasPrefix(w.Accented, p)) {
			return true
		}
	}
	return false
}

// span is a word of a text: its byte range.
type span struct{ start, end int }

// words are the spans of the words of s, as Analyse splits them.
func words(s string) []span {
	var out []span
	start := -1
	for i, r := range s {
		if notWordRune(r) {
			if start >= 0 {
				out = append(out, span{start, i})
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		out = append(out, span{start, len(s)})
	}
	return out
}

// snippet is the Snippet of a document's title and body for m, or false
// when no word of either matches (a phrase's words always match singly).
func (m matcher) snippet(title, body string) (Snippet, bool) {
	for i, text := range []string{title, body} {
		var hits []span
		for _, sp := range words(text) {
			if !m.mayMatch(text[sp.start:sp.end]) {
				continue
			}
			if w := Analyse(text[sp.start:sp.end]); len(w) == 1 && m.matches(w[0]) {
				hits = append(hits, sp)
			}
		}
		if len(hits) == 0 {
			continue
		}
		// Start a few words before the first match, cut at snippetRunes.
		from, to := 0, len(text)
		if i == 1 {
			from = max(0, hits[0].start-40)
			for from > 0 && !utf8.RuneStart(text[from]) {
				from--
			}
			if i := strings.IndexByte(text[from:hits[0].start], ' '); from > 0 && i >= 0 {
				from += i + 1
			}
		}
		if utf8.RuneCountInString(text[from:]) > snippetRunes {
			to = from
			for n := 0; n < snippetRunes; n++ {
				_, size := utf8.DecodeRuneInString(text[to:])
				to += size
			}
		}
		s := Snippet{}
		prefix := ""
		if from > 0 {
			prefix = "…"
		}
		s.Text = prefix + text[from:to]
		if to < len(text) {
			s.Text += "…"
		}
		offset := utf8.RuneCountInString(prefix)
		for _, h := range hits {
			if h.start < from || h.end > to {
				continue
			}
			s.Highlights = append(s.Highlights, [2]int{offset + utf8.RuneCountInString(text[from:h.start]), utf8.RuneCountInString(text[h.start:h.end])})
		}
		return s, true
	}
	return Snippet{}, false
}

// snippets are the Snippets of hits (by id), read from the same source
// rows as the index.
func (ix *Index) snippets(ctx context.Context, c execQuerier, terms []Term, hits []Hit) (map[int]Snippet, error) {
	byKind := map[Kind][]int{}
	for _, h := range hits {
		byKind[h.Kind] = append(byKind[h.Kind], h.ID)
	}
	m := newMatcher(terms)
	out := make(map[int]Snippet, len(hits))
	for kind, ids := range byKind {
		s := sourceOf(kind)
		docs, err := ix.read(ctx, c, s, " WHERE "+idColumn(s)+" IN ("+intList(ids)+")")
		if err != nil {
			return nil, err
		}
		for _, d := range docs {
			if sn, ok := m.snippet(strings.TrimSpace(d.title), strings.TrimSpace(d.body)); ok {
				out[d.id] = sn
			}
		}
	}
	return out, nil
}
