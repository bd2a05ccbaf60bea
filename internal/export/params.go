package export

import (
	"fmt"
	"kokeilu/internal/fault"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"kokeilu/internal/text"
)

// ParamError is a refused URL parameter: 400 BAD_USER_INPUT naming it.
type ParamError struct{ Param, Message string }

func (e *ParamError) Error() string { return e.Message }

// Params reads the query of an export request, refusing what is not
// plainly one of known (so a misspelt filter such as asof= never silently
// exports everything), a query that does not decode, and values that are
// not text (invalid UTF-8, U+0000); values come back NFC-normalised, as
// GraphQL text input does (internal/text). Every export route reads its
// parameters here.
func Params(r *http.Request, known []string) (url.Values, *ParamError) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &ParamError{"", "the query string does not decode: " + err.Error()}
	}
	for name, values := range q {
		if !slices.Contains(known, name) {
			if _, err := text.Clean(name); err != nil {
				name = strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", "\uFFFD"), "\uFFFD")
			}
			return nil, &ParamError{name, fmt.Sprintf("unknown parameter %q; known: %s", name, strings.Join(known, ", "))}
		}
		for i, v := range values {
			clean, err := text.Clean(v)
			if err != nil {
				return nil, &ParamError{name, fmt.Sprintf("%s %s", name, err)}
			}
			values[i] = clean
		}
	}
	return q, nil
}

// WriteError answers like the rest of the API: a JSON error with a stable
// code and, when one is at fault, the parameter (extensions.parameter).
func WriteError(w http.ResponseWriter, status int, code, param, message string) {
	var extra map[string]any
	if param != "" {
		extra = map[string]any{"parameter": param}
	}
	fault.WriteHTTP(w, status, code, message, extra)
}
