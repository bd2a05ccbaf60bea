package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"kokeilu/internal/testdb"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// readmeVariables says where the README's variables come from: the path,
// in an earlier example's answer, of the value the README tells the reader
// to pass. A variable not listed is left out (optional ones, as `after`).
var readmeVariables = map[string]string{
	"ws":    "workspace.id",                 // Board
	"id":    "workspace.notices.nodes.0.id", // Board
	"d":     "startDiscussion.id",           // Start
	"own":   "createWorkspace.id",           // Create
	"pilot": "pilot.id",                     // Ids
	"from":  "from.id",                      // Ids
	"to":    "to.id",                        // Ids
}

// TestReadmeExamples runs every operation of the README's graphql blocks,
// in order, against a fresh server with the demo content, signed in as
// the account the README's register example creates; and every curl line
// (the token and host replaced). None may fail. Subscriptions start over
// a WebSocket and must receive a notice posted meanwhile. Connections the
// README promises to find something (`search`) must not be empty.
func TestReadmeExamples(t *testing.T) {
	text, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	a := newAPI(t, testdb.SQLite, true)
	answers := map[string]any{} // every path of every answer so far
	token := ""
	ran := 0
	for i, block := range fencedBlocks(string(text), "graphql") {
		doc, perr := parser.ParseQuery(&ast.Source{Name: fmt.Sprintf("README graphql block %d", i+1), Input: block})
		if perr != nil {
			t.Errorf("block %d does not parse: %v\n%s", i+1, perr, block)
			continue
		}
		for _, op := range doc.Operations {
			name := op.Name
			if name == "" {
				name = fmt.Sprintf("block %d", i+1)
			}
			vars := map[string]any{}
			for _, v := range op.VariableDefinitions {
				if op.Operation == ast.Subscription && !v.Type.NonNull {
					continue // every notice the viewer may read: the one posted below among them
				}
				path, known := readmeVariables[v.Variable]
				if !known {
					if v.Type.NonNull && v.DefaultValue == nil {
						t.Fatalf("%s: no source for the required $%s: add it to readmeVariables", name, v.Variable)
					}
					continue
				}
				value, ok := answers[path]
				if !ok {
					t.Fatalf("%s: $%s comes from %s, which no earlier example answered", name, v.Variable, path)
				}
				vars[v.Variable] = value
			}
			header := []string{}
			if token != "" {
				header = bearer(token)
			}
			var data json.RawMessage
			if op.Operation == ast.Subscription {
				own, ok := answers[readmeVariables["own"]].(string)
				if !ok {
					t.Fatalf("%s: no workspace of one's own to post a notice in", name)
				}
				data = readmeSubscription(t, a, token, own, block, op.Name, vars)
			} else {
				res := a.postNamed(block, op.Name, vars, header...)
				if res.Status != http.StatusOK || len(res.Errors) > 0 {
					t.Errorf("%s: status %d, errors %+v\n%s", name, res.Status, res.Errors, block)
					continue
				}
				data = res.Data
			}
			ran++
			var tree any
			if err := json.Unmarshal(data, &tree); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			flatten("", tree, answers)
			if tok, ok := answers["register.token"].(string); ok && token == "" {
				token = tok
			}
		}
	}
	if token == "" {
		t.Fatal("the README registers no account")
	}
	if n, ok := answers["search.totalCount"].(float64); !ok || n == 0 {
		t.Errorf("the README's search example finds nothing (totalCount %v)", answers["search.totalCount"])
	}
	ran += readmeCurls(t, a, string(text), token)
	t.Logf("%d README examples ran", ran)
}

// postNamed sends a document and the operation to run from it ("": the
// only one); header pairs are added to the request.
func (a *api) postNamed(document, operation string, vars map[string]any, header ...string) response {
	a.t.Helper()
	params := map[string]any{"query": document, "variables": vars}
	if operation != "" {
		params["operationName"] = operation
	}
	body, _ := json.Marshal(params)
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("POST /query: %v", err)
	}
	defer res.Body.Close()
	var out response
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		a.t.Fatalf("decode response (status %d): %v", res.StatusCode, err)
	}
	out.Status = res.StatusCode
	return out
}

// readmeSubscription runs a README subscription over a WebSocket and
// returns the data of a notice posted in workspace ws while it runs.
func readmeSubscription(t *testing.T, a *api, token, ws, document, operation string, vars map[string]any) json.RawMessage {
	t.Helper()
	c, err := a.dialWS("graphql-transport-ws", token, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.conn.CloseNow()
	c.send(wsMessage{ID: "1", Type: "subscribe", Payload: mustJSON(map[string]any{"query": document, "operationName": operation, "variables": vars})})
	waitSubscribers(t, a, 1)
	a.query(&struct{}{}, postNotice, map[string]any{"ws": ws, "title": "README"}, bearer(token)...)
	data, err := c.next(5 * time.Second)
	if err != nil {
		t.Fatalf("subscription %s: %v", operation, err)
	}
	return data
}

// readmeCurls runs the README's curl commands against the test server and
// returns how many ran; each must answer 200 with no GraphQL errors.
func readmeCurls(t *testing.T, a *api, readme, token string) int {
	t.Helper()
	arg := regexp.MustCompile(`(-[a-zA-Z]) '([^']*)'|'(http[^']*)'|(http://\S+)`)
	ran := 0
	for _, block := range fencedBlocks(readme, "sh") {
		for _, cmd := range strings.Split(strings.ReplaceAll(block, "\\\n", " "), "\n") {
			cmd = strings.TrimSpace(cmd)
			if !strings.HasPrefix(cmd, "curl ") {
				continue
			}
			var target, body string
			header := http.Header{}
			for _, m := range arg.FindAllStringSubmatch(cmd, -1) {
				switch {
				case m[1] == "-H":
					k, v, _ := strings.Cut(m[2], ":")
					header.Set(k, strings.TrimSpace(strings.ReplaceAll(v, "kk_…your token…", token)))
				case m[1] == "-d":
					body = m[2]
				case m[3] != "":
					target = m[3]
				case m[4] != "":
					target = m[4]
				}
			}
			if !strings.HasPrefix(target, "http://localhost:8080/") {
				t.Errorf("curl without a localhost:8080 URL: %s", cmd)
				continue
			}
			target = a.srv.URL + strings.TrimPrefix(target, "http://localhost:8080")
			method := http.MethodGet
			if body != "" {
				method = http.MethodPost
			}
			req, _ := http.NewRequest(method, target, strings.NewReader(body))
			req.Header = header
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(res.Body)
			res.Body.Close()
			ran++
			if res.StatusCode != http.StatusOK {
				t.Errorf("%s: status %d: %.300s", cmd, res.StatusCode, got)
				continue
			}
			var gql struct{ Errors []gqlError }
			if body != "" && (json.Unmarshal(got, &gql) != nil || len(gql.Errors) > 0) {
				t.Errorf("%s: %.300s", cmd, got)
			}
		}
	}
	return ran
}

// fencedBlocks returns the bodies of the markdown code blocks in lang.
func fencedBlocks(markdown, lang string) []string {
	var blocks []string
	var cur *strings.Builder
	for _, line := range strings.Split(markdown, "\n") {
		switch {
		case cur == nil && strings.TrimSpace(line) == "```"+lang:
			cur = &strings.Builder{}
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	return blocks
}

// flatten records every value of an answer under its dotted path (list
// items by index), later answers replacing earlier ones.
func flatten(prefix string, v any, into map[string]any) {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			flatten(join(k), x, into)
		}
	case []any:
		for i, x := range v {
			flatten(join(fmt.Sprint(i)), x, into)
		}
	default:
		into[prefix] = v
	}
}
