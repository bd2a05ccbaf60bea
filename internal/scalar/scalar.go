// Package scalar marshals Kokeilu's GraphQL scalars: String (every text
// argument, variable and input field comes through here: see internal/text),
// opaque global IDs, calendar dates and times. A value in the wrong shape is
// BAD_USER_INPUT naming the argument or input field it came in.
package scalar

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"kokeilu/internal/fault"
	"kokeilu/internal/text"

	"github.com/99designs/gqlgen/graphql"
)

// ErrInvalid marks a value that a client sent in the wrong shape; the error
// presenter reports it as BAD_USER_INPUT.
var ErrInvalid = errors.New("invalid value")

// idPrefix versions the ID format so it can change without breaking clients.
const idPrefix = "k1:"

// EncodeID turns an ent global ID into an opaque GraphQL ID. ent's global ID
// ranges make the number unique across all types, so it is all we need.
func EncodeID(id int) string {
	return string(AppendID(nil, id))
}

// AppendID appends EncodeID(id) to dst (base64url: no byte of it needs
// escaping in JSON); with room in dst it allocates nothing.
func AppendID(dst []byte, id int) []byte {
	var raw [len(idPrefix) + 20]byte
	return base64.RawURLEncoding.AppendEncode(dst, strconv.AppendInt(append(raw[:0], idPrefix...), int64(id), 10))
}

// DecodeID is the inverse of EncodeID, and only of it: an ID is accepted
// only in the one form EncodeID gives, so that every ID input (node, nodes,
// mutations, where idIn) names an object by one string. Other spellings of
// the same number (padding, the standard base64 alphabet, line breaks,
// leading zeros, "+1", spaces) are refused, not read as that object.
func DecodeID(s string) (int, error) {
	bad := fmt.Errorf("%w: %q is not a Kokeilu ID", ErrInvalid, s)
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !strings.HasPrefix(string(raw), idPrefix) {
		return 0, bad
	}
	id, err := strconv.Atoi(strings.TrimPrefix(string(raw), idPrefix))
	if err != nil || id <= 0 || EncodeID(id) != s {
		return 0, bad
	}
	return id, nil
}

// MarshalID writes an ent ID as an opaque GraphQL ID.
func MarshalID(id int) graphql.ContextMarshaler {
	return asContext(graphql.MarshalString(EncodeID(id)))
}

// UnmarshalID reads an opaque GraphQL ID.
func UnmarshalID(ctx context.Context, v any) (int, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fault.BadInput(field(ctx), "an ID must be a string")
	}
	id, err := DecodeID(s)
	if err != nil {
		return 0, bad(ctx, err)
	}
	return id, nil
}

// DateLayout is the ISO 8601 calendar date.
const DateLayout = "2006-01-02"

// MarshalDate writes a date as "2015-12-02".
func MarshalDate(t time.Time) graphql.ContextMarshaler {
	return asContext(graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.Format(DateLayout)))
	}))
}

// The years a Date or Time may fall in (the README, the scalars' schema
// descriptions): wider would let one pilot of 0001–9999 give every year
// dimension of pilotStats thousands of buckets.
const (
	MinYear = 1900
	MaxYear = 2100
)

// inRange refuses t outside MinYear–MaxYear.
func inRange(field string, t time.Time, s string) (time.Time, error) {
	if y := t.Year(); y < MinYear || y > MaxYear {
		return time.Time{}, fault.BadInput(field, "%s is outside the years %d–%d", quote(s), MinYear, MaxYear)
	}
	return t, nil
}

// UnmarshalDate reads "2015-12-02" as midnight UTC of that day; the year
// is MinYear–MaxYear.
func UnmarshalDate(ctx context.Context, v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fault.BadInput(field(ctx), `a Date is a string like "2015-12-02"`)
	}
	return ParseDate(field(ctx), s)
}

// ParseDate is the rule of the Date scalar for a date that does not come
// through GraphQL (an export parameter, named field): "2015-12-02", years
// MinYear–MaxYear, else BAD_USER_INPUT on field.
func ParseDate(field, s string) (time.Time, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, fault.BadInput(field, `%s is not a date like "2015-12-02"`, quote(s))
	}
	return inRange(field, t, s)
}

// MarshalTime writes a time as RFC 3339 (gqlgen's Time), in UTC: times
// are stored in UTC (database.StoredTime), and a driver that hands them
// back in the process's local zone writes them the same.
func MarshalTime(t time.Time) graphql.ContextMarshaler {
	return asContext(graphql.MarshalTime(t.UTC()))
}

// UnmarshalTime reads an RFC 3339 time (year MinYear–MaxYear in UTC); gqlgen's own returns an error
// without a code, which would be INTERNAL.
func UnmarshalTime(ctx context.Context, v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fault.BadInput(field(ctx), `a Time is a string like "2026-11-30T12:00:00Z"`)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fault.BadInput(field(ctx), `%s is not a time like "2026-11-30T12:00:00Z"`, quote(s))
	}
	// In UTC, as it is stored and written back: 1900-01-01T01:00+02:00 is
	// 1899-12-31T23:00Z, outside the years.
	return inRange(field(ctx), t.UTC(), s)
}

// MarshalString writes a string as gqlgen does.
func MarshalString(s string) graphql.ContextMarshaler {
	return asContext(graphql.MarshalString(s))
}

// UnmarshalString is the one door of GraphQL text input (arguments,
// variables, input fields, filters): invalid UTF-8 and U+0000 are
// BAD_USER_INPUT, and what passes is NFC-normalised (internal/text).
func UnmarshalString(ctx context.Context, v any) (string, error) {
	s, ok := v.(string)
	if !ok { // gqlgen's would take 5 for "5" inside input objects
		f := field(ctx)
		return "", fault.BadInput(f, "%s takes a string", f)
	}
	clean, err := text.Clean(s)
	if err != nil {
		f := field(ctx)
		return "", fault.BadInput(f, "%s %s", f, err)
	}
	return clean, nil
}

// asContext adapts a plain marshaller: gqlgen passes the context to
// unmarshallers only when the marshaller takes one too. gqlgen's
// marshallers are WriterFuncs, taken over as they are: a response writes
// thousands of strings, and wrapping each in a closure allocated each time.
func asContext(m graphql.Marshaler) graphql.ContextMarshaler {
	if f, ok := m.(graphql.WriterFunc); ok {
		return contextWriter(f)
	}
	return graphql.ContextWriterFunc(func(_ context.Context, w io.Writer) error {
		m.MarshalGQL(w)
		return nil
	})
}

// contextWriter is a WriterFunc as a ContextMarshaler.
type contextWriter func(io.Writer)

func (f contextWriter) MarshalGQLContext(_ context.Context, w io.Writer) error {
	f(w)
	return nil
}

// field names the argument or input field being read: the innermost name
// on gqlgen's input path (list indexes skipped), as extensions.field.
func field(ctx context.Context) string {
	for p := graphql.GetPathContext(ctx); p != nil; p = p.Parent {
		if p.Field != nil {
			return *p.Field
		}
	}
	return ""
}

// bad turns a decoding error into BAD_USER_INPUT on the field being read.
func bad(ctx context.Context, err error) error {
	return fault.BadInput(field(ctx), "%s", strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
}

// quote shows a bad value in a message, shortened, and safe for any bytes.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strconv.QuoteToASCII(s)
}
