package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"kokeilu/ent/workspace"
	"kokeilu/graph"
	"kokeilu/internal/server"
	"kokeilu/internal/testdb"

	"github.com/99designs/gqlgen/graphql"
	"pgregory.net/rapid"
)

// passThrough is a field interceptor that does nothing: with one
// installed, the server leaves every field to gqlgen's own resolution
// (graph.DirectLeaves is off).
type passThrough struct{}

func (passThrough) ExtensionName() string                   { return "passThrough" }
func (passThrough) Validate(graphql.ExecutableSchema) error { return nil }
func (passThrough) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	return next(ctx)
}

// TestFastPathsAnswerAsGqlgen sends generated queries (opGen) to the
// server as it runs, with the generated executor's fast paths (readLeaf,
// resolveLeaf, fields answered by pointers into their objects: seqlists),
// and to the same server over the same data with gqlgen's own resolution
// of every field: the answers, data and errors, are the same bytes.
func TestFastPathsAnswerAsGqlgen(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityMEMBERS_ONLY)
		ids := []string{w.Workspace, w.Discussion, w.Post, w.Notice, w.Pilot, w.Municipality}
		plain := gqlgenResolution(t, a)
		send := func(url, token, query string) string {
			status, body := sendQuery(t, url, token, query)
			var r struct {
				Data   json.RawMessage `json:"data"`
				Errors json.RawMessage `json:"errors"`
			}
			if err := json.Unmarshal(body, &r); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("HTTP %d data %s errors %s", status, r.Data, r.Errors)
		}
		g := &opGen{s: graph.NewSchema(nil, nil, nil, nil).Schema(), ids: len(ids)}
		answered := 0
		rapid.Check(t, func(rt *rapid.T) {
			query := g.operation(rt)
			if !strings.HasPrefix(query, "query") {
				return // a mutation changes what the second request reads
			}
			for j, id := range ids {
				query = strings.ReplaceAll(query, fmt.Sprintf("@ID%d@", j), id)
			}
			token := rapid.SampledFrom([]string{"", p.token["member"], p.token["siteAdmin"]}).Draw(rt, "token")
			fast, slow := send(a.srv.URL, token, query), send(plain.URL, token, query)
			if fast != slow {
				rt.Fatalf("%s\nfast paths: %.2000s\ngqlgen's:   %.2000s", query, fast, slow)
			}
			if strings.Contains(fast, "data {") {
				answered++
			}
		})
		t.Logf("%d answers with data", answered)
	})
}

// TestFilterRefusalNamesOneField: a filter with two edge tests that each
// chain too deep is refused naming the same one every time (shrunk by
// TestFastPathsAnswerAsGqlgen: the walk followed a map's random order).
func TestFilterRefusalNamesOneField(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	const query = `{ themes(first: 5, where: {hasPilotsWith: [{wellbeingCountyCode: "x", regionCodeIn: []}]}) { totalCount } }`
	messages := map[string]bool{}
	for range 30 {
		res := a.post(query, nil)
		if len(res.Errors) != 1 || res.Errors[0].code() != "BAD_USER_INPUT" {
			t.Fatalf("want one BAD_USER_INPUT, got %+v", res.Errors)
		}
		messages[res.Errors[0].Message] = true
	}
	if len(messages) != 1 {
		t.Errorf("%d different messages for one request: %v", len(messages), messages)
	}
}

// TestMutationFieldsAnswerTheirOwnRow: the fields of a mutation that
// change one row in turn each answer with the row as that field left it
// (fields are read from their loaded objects when the whole answer is
// written: nothing may change a loaded object), and as gqlgen's own
// resolution answers them. From a hostile review of the fast paths.
func TestMutationFieldsAnswerTheirOwnRow(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityMEMBERS_ONLY)
		plain := gqlgenResolution(t, a)
		send := func(url, token, query string) string {
			_, body := sendQuery(t, url, token, query)
			return string(body)
		}
		cases := []struct {
			token, query string
			want         []string
		}{
			{p.token["siteAdmin"], fmt.Sprintf(`mutation {
				a: updatePilot(id: %[1]q, input: {title: "AAA"}) { id title status }
				b: updatePilot(id: %[1]q, input: {title: "BBB"}) { t: title title }
				c: lockDiscussion(id: %[2]q, locked: true) { locked pinned title }
				d: lockDiscussion(id: %[2]q, locked: false) { locked pinned }
				e: pinDiscussion(id: %[2]q, pinned: true) { locked pinned }
				f: pinDiscussion(id: %[2]q, pinned: false) { pinned } }`, w.Pilot, w.Discussion), // ends as it began
				[]string{`"a":{"id":"` + w.Pilot + `","title":"AAA"`, `"b":{"t":"BBB","title":"BBB"}`,
					`"c":{"locked":true`, `"d":{"locked":false,"pinned":false}`, `"e":{"locked":false,"pinned":true}`, `"f":{"pinned":false}`}},
			{p.token["member"], fmt.Sprintf(`mutation { f: editPost(id: %[1]q, body: "first") { body } g: editPost(id: %[1]q, body: "second") { body } }`, w.Post),
				[]string{`"f":{"body":"first"}`, `"g":{"body":"second"}`}},
		}
		for _, c := range cases {
			fast, slow := send(a.srv.URL, c.token, c.query), send(plain.URL, c.token, c.query)
			for _, want := range c.want {
				if !strings.Contains(fast, want) {
					t.Errorf("no %s in %s", want, fast)
				}
			}
			if fast != slow {
				t.Errorf("%s\nfast paths: %s\ngqlgen's:   %s", c.query, fast, slow)
			}
		}
	})
}

// gqlgenResolution serves a's data with a field interceptor installed, so
// that every field goes through gqlgen's own resolution (no fast paths).
func gqlgenResolution(t *testing.T, a *api) *httptest.Server {
	plain := httptest.NewServer(server.NewHandler(a.db, server.Options{Accounts: a.accounts, Board: a.board,
		TestExtensions: []graphql.HandlerExtension{passThrough{}}}))
	t.Cleanup(plain.Close)
	return plain
}

// sendQuery posts query to url, with a bearer token unless it is empty.
func sendQuery(t *testing.T, url, token, query string) (int, []byte) {
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, url+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(res.Body)
	return res.StatusCode, out.Bytes()
}
