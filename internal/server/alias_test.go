package server_test

import (
	"context"
	"encoding/json"
	"testing"

	"kokeilu/internal/auth"
	"kokeilu/internal/dataset"
	"kokeilu/internal/testdb"
)

// TestUniqueEdgeUnderAliases: a unique edge (a lead municipality, a
// region) asked under several aliases with different selections answers
// each alias as if it were asked alone, at any depth. From a hostile
// review: the last alias's query replaced the others', so the first read
// "" for fields only it asked for.
func TestUniqueEdgeUnderAliases(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		size := dataset.Size{Pilots: 10, Networks: 5, Organizations: 5, Themes: 3}
		if err := dataset.Generate(auth.System(context.Background()), a.db.Client, size, 1); err != nil {
			t.Fatal(err)
		}
		// Each case: the list it reads, then the aliases, each asked alone
		// and then all together.
		cases := []struct {
			list    string
			aliases []string
		}{
			{"pilots(first: 5)", []string{"a: leadMunicipality { code nameFi }", "b: leadMunicipality { region { code } }"}},
			{"pilots(first: 5)", []string{"a: leadMunicipality { code }", "b: leadMunicipality { nameFi population }", "c: leadMunicipality { name(lang: SV) }"}},
			{"pilots(first: 5)", []string{"a: leadMunicipality { region { code } }", "b: leadMunicipality { region { nameFi name } }"}},
			{"municipalities(first: 8)", []string{"a: region { code }", "b: region { nameFi }", "c: wellbeingCounty { code }"}},
		}
		nodes := func(query string) []map[string]json.RawMessage {
			t.Helper()
			res := a.post(query, nil)
			if len(res.Errors) > 0 {
				t.Fatalf("%s: %+v", query, res.Errors)
			}
			var data map[string]struct{ Nodes []map[string]json.RawMessage }
			if err := json.Unmarshal(res.Data, &data); err != nil {
				t.Fatal(err)
			}
			for _, list := range data {
				return list.Nodes
			}
			return nil
		}
		for _, c := range cases {
			all := ""
			for _, alias := range c.aliases {
				all += alias + " "
			}
			together := nodes("{ " + c.list + " { nodes { " + all + "} } }")
			for _, alias := range c.aliases {
				alone := nodes("{ " + c.list + " { nodes { " + alias + " } } }")
				if len(alone) == 0 || len(alone) != len(together) {
					t.Fatalf("%s: %d nodes alone, %d together", alias, len(alone), len(together))
				}
				for i, n := range alone {
					for key, want := range n {
						if got := together[i][key]; string(got) != string(want) {
							t.Errorf("%s beside the others: node %d is %s, alone %s", alias, i, got, want)
						}
					}
				}
			}
		}
	})
}
