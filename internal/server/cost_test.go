package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"kokeilu/internal/testdb"
)

// TestCostLimits refuses costly queries before any SQL runs, and reports
// the cost of the accepted ones.
func TestCostLimits(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		deep := "code"
		for range 8 {
			deep = "region { municipalities(first: 1) { nodes { " + deep + " } } }"
		}
		var aliases strings.Builder
		for i := range 101 {
			fmt.Fprintf(&aliases, "a%d: __typename ", i)
		}
		for _, c := range []struct{ name, query, measure string }{
			{"a million nodes", `{ regions(first: 100) { nodes { municipalities(first: 100) { nodes { pilots(first: 100) { totalCount } } } } } }`, "nodes"},
			{"deep nesting", `{ municipality(code: "091") { ` + deep + ` } }`, "depth"},
			{"alias bomb", `{ ` + aliases.String() + ` }`, "aliases"},
			{"field repetition", `{ ` + strings.Repeat("__typename ", 1200) + ` }`, "fields"},
		} {
			before := a.statements.Load()
			e := a.fail("COST_LIMIT_EXCEEDED", c.query, nil)
			if e.Extensions["measure"] != c.measure || e.Extensions["cost"] == nil || e.Extensions["limit"] == nil {
				t.Errorf("%s: %+v", c.name, e)
			}
			if ran := a.statements.Load() - before; ran != 0 {
				t.Errorf("%s: %d SQL statements ran before the refusal", c.name, ran)
			}
		}
		// An accepted query reports its cost: 19 regions + 19 × 30 municipalities.
		res := a.post(`{ regions(first: 19) { nodes { municipalities(first: 30) { nodes { code } } } } }`, nil)
		body, _ := json.Marshal(res)
		if len(res.Errors) > 0 {
			t.Fatalf("accepted query failed: %+v", res.Errors)
		}
		var withExt struct {
			Extensions struct {
				Cost struct{ Nodes, Depth, Fields int }
			}
		}
		raw := a.rawPost(`{ regions(first: 19) { nodes { municipalities(first: 30) { nodes { code } } } } }`)
		if err := json.Unmarshal(raw, &withExt); err != nil || withExt.Extensions.Cost.Nodes != 19+19*30 {
			t.Errorf("cost in extensions: %s (%s)", raw, body)
		}
	})
}

// TestIntrospectionPassesTheLimits: GraphiQL's introspection query (nine
// levels of ofType) is not refused.
func TestIntrospectionPassesTheLimits(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	q, err := os.ReadFile("../../testdata/introspection.graphql")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Schema struct{ Types []struct{ Name string } } `json:"__schema"`
	}
	a.query(&got, string(q), nil)
	if len(got.Schema.Types) < 50 {
		t.Errorf("%d types introspected", len(got.Schema.Types))
	}
}

// TestBodyLimit answers 413 to a body over 1 MiB.
func TestBodyLimit(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	big := `{"query": "{ __typename }", "variables": {"pad": "` + strings.Repeat("x", 1<<20) + `"}}`
	res, err := http.Post(a.srv.URL+"/query", "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", res.StatusCode)
	}
	var v struct {
		Typename string `json:"__typename"`
	}
	a.query(&v, `{ __typename }`, nil) // still serving
}

// rawPost returns a response body as it came.
func (a *api) rawPost(query string) []byte {
	a.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	res, err := http.Post(a.srv.URL+"/query", "application/json", bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(res.Body)
	return buf.Bytes()
}
