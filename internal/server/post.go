package server

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// post is gqlgen's POST transport (transport.POST: the requests it takes,
// the Accept negotiation, the status codes and messages) with the answer's
// data written as the executor wrote it. gqlgen writes a response with
// json.Marshal, which validates and compacts that data again, byte by
// byte: 7.6% of a dashboard request's CPU in a PostgreSQL profile. TestPostAnswersAsGqlgen
// compares the two.
type post struct{ transport.POST }

const applicationJSON = "application/json"

func (post) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	contentType := replyType(r.Header.Get("Accept"))
	w.Header().Add("Content-Type", contentType)
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeReply(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("could not read request body: %+v", err)}))
		return
	}
	var params graphql.RawParams
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&params); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		writeReply(w, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("json request body could not be decoded: %+v body:%s", err, body)}))
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, opErr := exec.CreateOperationContext(ctx, &params)
	if opErr != nil {
		status := http.StatusOK
		if errcode.GetErrorKind(opErr) == errcode.KindProtocol {
			status = http.StatusUnprocessableEntity
			if contentType == graphqlResponse {
				status = http.StatusBadRequest
			}
		}
		w.WriteHeader(status)
		writeReply(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), opErr))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeReply(w, responses(ctx))
}

// replyType is the media type of the answer to a request that accepts
// accept, as gqlgen's POST chooses it.
func replyType(accept string) string {
	if accept == "" {
		return applicationJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", applicationJSON:
			return applicationJSON
		case graphqlResponse:
			return graphqlResponse
		}
	}
	return graphqlResponse
}

// writeReply writes r as json.Marshal would, in the same order of members
// and with <, >, & escaped, but without reading its data as JSON again:
// the executor wrote it.
func writeReply(w io.Writer, r *graphql.Response) {
	var errs []byte
	if len(r.Errors) > 0 {
		var err error
		if errs, err = json.Marshal(r.Errors); err != nil {
			panic(err) // as gqlgen's writer does; the recovery answers INTERNAL
		}
	}
	rest, err := json.Marshal(struct {
		Label      string         `json:"label,omitempty"`
		Path       ast.Path       `json:"path,omitempty"`
		HasNext    *bool          `json:"hasNext,omitempty"`
		Extensions map[string]any `json:"extensions,omitempty"`
	}{r.Label, r.Path, r.HasNext, r.Extensions})
	if err != nil {
		panic(err)
	}
	head := make([]byte, 0, len(errs)+16)
	head = append(head, '{')
	if errs != nil {
		head = append(head, `"errors":`...)
		head = append(head, errs...)
		head = append(head, ',')
	}
	head = append(head, `"data":`...)
	tail := []byte("}")
	if len(rest) > 2 { // more than {}
		tail = rest
		tail[0] = ','
	}
	if len(r.Data) == 0 {
		// One write: specStatus reads a whole answer without data (to
		// drop its data entry when the request failed before execution).
		_, _ = w.Write(slices.Concat(head, []byte("null"), tail))
		return
	}
	// The data as the executor wrote it, not copied into one buffer with
	// the rest: 6 MB for pilotStats by MUNICIPALITY × NETWORK, where the
	// copy was a third of the request's CPU.
	_, _ = w.Write(head)
	if needsHTMLEscape(r.Data) {
		writeHTMLEscaped(w, r.Data, 32<<10)
	} else {
		_, _ = w.Write(r.Data)
	}
	_, _ = w.Write(tail)
}

// writeHTMLEscaped writes data as json.HTMLEscape escapes it (no markup
// for a browser that sniffs, as json.Marshal writes), in pieces of about
// window bytes. A piece never ends inside a character: U+2028 and U+2029
// are escaped whole.
func writeHTMLEscaped(w io.Writer, data []byte, window int) {
	var b bytes.Buffer
	for len(data) > 0 {
		n := min(len(data), window)
		for n < len(data) && !utf8.RuneStart(data[n]) {
			n++
		}
		b.Reset()
		json.HTMLEscape(&b, data[:n])
		_, _ = w.Write(b.Bytes())
		data = data[n:]
	}
}

// needsHTMLEscape tells whether data holds a character json.HTMLEscape
// changes: <, > and &, or U+2028 and U+2029. A search per character
// (bytes.IndexByte, vectorised; the two runes share their first byte):
// bytes.ContainsAny tests data byte by byte against the set, 12 ms of the
// 6 MB answer of pilotStats by MUNICIPALITY × NETWORK, and would decode
// every rune of data for the runes.
func needsHTMLEscape(data []byte) bool {
	return bytes.IndexByte(data, '<') >= 0 || bytes.IndexByte(data, '>') >= 0 || bytes.IndexByte(data, '&') >= 0 ||
		bytes.Contains(data, []byte("\u2028")) || bytes.Contains(data, []byte("\u2029"))
}
