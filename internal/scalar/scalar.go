// Package scalar marshals Kokeilu's custom GraphQL scalars: opaque global IDs
// and calendar dates.
package scalar

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

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
	return base64.RawURLEncoding.EncodeToString([]byte(idPrefix + strconv.Itoa(id)))
}

// DecodeID is the inverse of EncodeID.
func DecodeID(s string) (int, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !strings.HasPrefix(string(raw), idPrefix) {
		return 0, fmt.Errorf("%w: %q is not a Kokeilu ID", ErrInvalid, s)
	}
	id, err := strconv.Atoi(strings.TrimPrefix(string(raw), idPrefix))
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: %q is not a Kokeilu ID", ErrInvalid, s)
	}
	return id, nil
}

// MarshalID writes an ent ID as an opaque GraphQL ID.
func MarshalID(id int) graphql.Marshaler {
	return graphql.MarshalString(EncodeID(id))
}

// UnmarshalID reads an opaque GraphQL ID.
func UnmarshalID(v any) (int, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("%w: an ID must be a string", ErrInvalid)
	}
	return DecodeID(s)
}

// DateLayout is the ISO 8601 calendar date.
const DateLayout = "2006-01-02"

// MarshalDate writes a date as "2015-12-02".
func MarshalDate(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.Format(DateLayout)))
	})
}

// UnmarshalDate reads "2015-12-02" as midnight UTC of that day.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("%w: a Date must be a string like \"2015-12-02\"", ErrInvalid)
	}
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q is not a date like \"2015-12-02\"", ErrInvalid, s)
	}
	return t, nil
}
