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

// Param is a URL parameter an export takes. A list parameter takes its
// values comma-separated, repeated, or both (status=A,B&status=C), and every
// one of them counts; any other parameter takes one value, and giving it
// twice is refused rather than reading one of them.
type Param struct {
	Name string
	List bool
}

// Names are the names of params, for messages and tests.
func Names(params []Param) []string {
	out := make([]string, len(params))
	for i, p := range params {
		out[i] = p.Name
	}
	return out
}

// Params reads the query of an export request, refusing what is not
// plainly one of known (so a misspelt filter such as asof= never silently
// exports everything), a single-valued parameter given twice, a query that
// does not decode, and values that are not text (invalid UTF-8, U+0000);
// values come back NFC-normalised, as GraphQL text input does
// (internal/text), and a list parameter's values come back one by one
// (split at commas, trimmed, blanks dropped). Every export route reads its
// parameters here.
func Params(r *http.Request, known []Param) (url.Values, *ParamError) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, &ParamError{"", "the query string does not decode: " + err.Error()}
	}
	for name, values := range q {
		i := slices.IndexFunc(known, func(p Param) bool { return p.Name == name })
		if i < 0 {
			if _, err := text.Clean(name); err != nil {
				name = strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", "\uFFFD"), "\uFFFD")
			}
			return nil, &ParamError{name, fmt.Sprintf("unknown parameter %q; known: %s", name, strings.Join(Names(known), ", "))}
		}
		for i, v := range values {
			clean, err := text.Clean(v)
			if err != nil {
				return nil, &ParamError{name, fmt.Sprintf("%s %s", name, err)}
			}
			values[i] = clean
		}
		if !known[i].List {
			if len(values) > 1 {
				return nil, &ParamError{name, fmt.Sprintf("%s is given %d times; it takes one value", name, len(values))}
			}
			continue
		}
		var items []string
		for _, v := range values {
			for _, part := range strings.Split(v, ",") {
				if part = strings.TrimSpace(part); part != "" {
					items = append(items, part)
				}
			}
		}
		q[name] = items
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

// GraphParameters are the parameters of the graph exports (/export/graph.*,
// nodes.csv, edges.csv): networkGraph's filter.
var GraphParameters = []Param{{"nodeTypes", true}, {"edgeKinds", true}, {"regionCode", false}, {"themeSlug", false},
	{"asOf", false}, {"from", false}, {"to", false}, {"projection", false}, {"maxNodes", false}}
