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
		plain := httptest.NewServer(server.NewHandler(a.db, server.Options{Accounts: a.accounts, Board: a.board,
			TestExtensions: []graphql.HandlerExtension{passThrough{}}}))
		defer plain.Close()
		send := func(url, token, query string) string {
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
			var r struct {
				Data   json.RawMessage `json:"data"`
				Errors json.RawMessage `json:"errors"`
			}
			if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
				t.Fatal(err)
			}
			return fmt.Sprintf("HTTP %d data %s errors %s", res.StatusCode, r.Data, r.Errors)
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
