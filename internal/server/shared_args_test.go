package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"kokeilu/internal/testdb"
)

// TestSharedArgumentsAreNotWritten: the rows of a list share one map of
// parsed arguments per field of the document (graph's perSelection),
// also across root fields that resolve at once through one fragment, so
// nothing may write to it; the paging rules give a connection asked
// without first or last its default size in a copy
// (TestDefaultSizeLeavesArgsAlone checks that no write reaches the map).
// Here each alias, through one fragment, answers as the list asked alone.
func TestSharedArgumentsAreNotWritten(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		const fragment = ` fragment F on Region { code name(lang: SV) pilots { totalCount pageInfo { hasNextPage } nodes { id } } municipalities(first: 3) { totalCount nodes { name } } }`
		data := func(query string) map[string]json.RawMessage {
			status, body := sendQuery(t, a.srv.URL, "", query)
			var r struct {
				Data   map[string]json.RawMessage `json:"data"`
				Errors json.RawMessage            `json:"errors"`
			}
			if err := json.Unmarshal(body, &r); err != nil || status != 200 || r.Errors != nil {
				t.Fatalf("%s: HTTP %d %s", query, status, body)
			}
			return r.Data
		}
		alone := data(`{ regions(first: 6) { nodes { ...F } } }` + fragment)["regions"]
		if !strings.Contains(string(alone), `"totalCount"`) {
			t.Fatalf("no regions answered: %s", alone)
		}
		aliases := []string{"a", "b", "c"}
		var q strings.Builder
		q.WriteString("{")
		for _, alias := range aliases {
			q.WriteString(" " + alias + `: regions(first: 6) { nodes { ...F } }`)
		}
		q.WriteString(" }" + fragment)
		for range 5 {
			got := data(q.String())
			for _, alias := range aliases {
				if string(got[alias]) != string(alone) {
					t.Fatalf("%s answered %s, asked alone %s", alias, got[alias], alone)
				}
			}
		}
	})
}
