package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"kokeilu/internal/cost"
	"kokeilu/internal/fault"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// sseGET serves graphql-sse's distinct connections mode over GET, the only
// method a browser's EventSource has: GET /query?query=subscription…
// (with operationName, and variables and extensions as JSON text) and
// Accept: text/event-stream. The parameters become the JSON body the SSE
// transport reads, so both methods run one code path; without it gqlgen's
// GET transport answered 406 with an error that had no code.
type sseGET struct{ sse sseTransport }

func (t sseGET) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

func (t sseGET) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	q := r.URL.Query()
	if isMutation(q.Get("query"), q.Get("operationName")) {
		w.Header().Set("Allow", "POST")
		writeErrorCode(w, http.StatusMethodNotAllowed, fault.BadUserInput, "GET requests run queries and subscriptions only; send mutations with POST")
		return
	}
	params := map[string]json.RawMessage{}
	for _, name := range []string{"query", "operationName", "variables", "extensions"} {
		v, ok := q[name]
		if !ok {
			continue
		}
		if raw := json.RawMessage(v[0]); (name == "variables" || name == "extensions") && json.Valid(raw) {
			params[name] = raw
		} else {
			params[name], _ = json.Marshal(v[0]) // a string where an object belongs: refused as such downstream
		}
	}
	body, _ := json.Marshal(params)
	post := r.Clone(r.Context())
	post.Method = http.MethodPost
	post.Header.Set("Content-Type", "application/json")
	post.Body, post.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	t.sse.Do(w, post, exec)
}

// isMutation tells whether the operation of query named name (or its only
// one) is a mutation; a document that does not parse is left to the
// transport to refuse.
func isMutation(query, name string) bool {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, cost.Default.Tokens)
	if err != nil {
		return false
	}
	for _, op := range doc.Operations {
		if (name == "" || op.Name == name) && op.Operation == ast.Mutation {
			return true
		}
	}
	return false
}
