// Package lang picks the language of names: the one a field asks for, else
// the request's Accept-Language, else Finnish; a missing name falls back
// Finnish → Swedish → English.
package lang

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/text/language"
)

// Language is the GraphQL enum Language.
type Language string

const (
	FI Language = "FI"
	SV Language = "SV"
	EN Language = "EN"
)

// MarshalGQL implements graphql.Marshaler.
func (l Language) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(l))) }

// UnmarshalGQL implements graphql.Unmarshaler.
func (l *Language) UnmarshalGQL(v any) error {
	s, _ := v.(string)
	switch Language(s) {
	case FI, SV, EN:
		*l = Language(s)
		return nil
	}
	return fmt.Errorf("%v is not a Language (FI, SV, EN)", v)
}

type ctxKey struct{}

// WithPreferred stores the request's preferred language.
func WithPreferred(ctx context.Context, l Language) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// Preferred is the request's preferred language, Finnish by default.
func Preferred(ctx context.Context) Language {
	if l, ok := ctx.Value(ctxKey{}).(Language); ok {
		return l
	}
	return FI
}

// FromAcceptLanguage picks the first of fi, sv, en in an Accept-Language
// header, honouring q-values ("sv-FI;q=0.9, en;q=0.8"); Finnish when none.
func FromAcceptLanguage(header string) Language {
	best, bestQ := FI, -1.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		primary, _, _ := strings.Cut(strings.ToLower(tag), "-")
		var l Language
		switch primary {
		case "fi":
			l = FI
		case "sv":
			l = SV
		case "en":
			l = EN
		default:
			continue
		}
		if q > bestQ && q > 0 {
			best, bestQ = l, q
		}
	}
	return best
}

// Name returns the name in the wanted language (or the request's preferred
// one when want is nil), falling back Finnish → Swedish → English.
func Name(ctx context.Context, want *Language, fi, sv, en string) string {
	return [...]string{fi, sv, en}[pick(ctx, want, fi, sv, en)]
}

// NameAt is Name as a pointer to the name it picks, for a caller that
// writes it without a copy of its own (graph.readMethod: a copy escapes,
// an allocation per object).
func NameAt(ctx context.Context, want *Language, fi, sv, en *string) *string {
	return [...]*string{fi, sv, en}[pick(ctx, want, *fi, *sv, *en)]
}

// pick is the place of Name's answer among fi, sv and en (fi when all are
// empty).
func pick(ctx context.Context, want *Language, fi, sv, en string) int {
	l := Preferred(ctx)
	if want != nil {
		l = *want
	}
	switch {
	case l == SV && sv != "":
		return 1
	case l == EN && en != "":
		return 2
	case fi != "":
		return 0
	case sv != "":
		return 1
	case en != "":
		return 2
	}
	return 0
}

// Reads is the languages of the names Name reads for want (nil: the
// request's preferred language) when the Finnish name is not empty, as
// reference data's never is (ent/schema's NamesMixin requires it): the
// wanted language, then Finnish, which a missing name falls back to.
func Reads(ctx context.Context, want *Language) []Language {
	l := Preferred(ctx)
	if want != nil {
		l = *want
	}
	switch l {
	case SV:
		return []Language{SV, FI}
	case EN:
		return []Language{EN, FI}
	}
	return []Language{FI}
}

// Code checks a language code of content (a material's language): a
// current two-letter ISO 639-1 code, in any case; it answers the code in
// lower case. golang.org/x/text's registry knows which codes exist ("zz"
// does not) and which were withdrawn for others ("iw" for "he", "mo" for
// "ro", "in", "ji", "jw"): those are refused, so one language has one code.
func Code(s string) (string, bool) {
	if len(s) != 2 {
		return "", false
	}
	tag, err := language.DeprecatedBase.Parse(s)
	if err != nil {
		return "", false
	}
	code := strings.ToLower(s)
	b, _ := tag.Base()
	return code, b.String() == code
}
