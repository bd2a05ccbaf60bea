package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"kokeilu/internal/testdb"
)

// TestConnectionsNeverNullEdges: every connection of the Query type,
// found by introspection, answers an empty page with "edges": [] and
// "nodes": [] (where it has nodes), never null, as Relay clients expect:
// with first: 0, and with arguments that find nothing (a search for a word
// no row has). A connection added later is checked without a change here;
// one whose required arguments the test cannot make up fails, so that it
// gets a case.
func TestConnectionsNeverNullEdges(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		var schema struct {
			Type struct {
				Fields []struct {
					Name string
					Type typeRef
					Args []struct {
						Name string
						Type typeRef
					}
				}
			} `json:"__type"`
		}
		a.query(&schema, `{ __type(name: "Query") { fields { name type { ...T } args { name type { ...T } } } } }
			fragment T on __Type { kind name ofType { kind name ofType { kind name } } }`, nil)
		// Values for required arguments, by field and argument.
		required := map[string]string{"search.query": `"qqxzjwv"`}
		checked := 0
		for _, f := range schema.Type.Fields {
			if !strings.HasSuffix(f.Type.named(), "Connection") {
				continue
			}
			var args []string
			for _, arg := range f.Args {
				if arg.Type.Kind != "NON_NULL" {
					continue
				}
				v, ok := required[f.Name+"."+arg.Name]
				if !ok {
					t.Errorf("%s: no value for its required argument %s; add one to the test", f.Name, arg.Name)
					continue
				}
				args = append(args, arg.Name+": "+v)
			}
			hasNodes := false
			for _, g := range a.typeFields(f.Type.named()) {
				hasNodes = hasNodes || g == "nodes"
			}
			selection := "edges { cursor } pageInfo { hasNextPage }"
			if hasNodes {
				selection += " nodes { __typename }"
			}
			for _, extra := range []string{"first: 0", ""} {
				all := append(append([]string{}, args...), extra)
				list := strings.Trim(strings.Join(all, ", "), ", ")
				if list != "" {
					list = "(" + list + ")"
				}
				query := "{ " + f.Name + list + " { " + selection + " } }"
				res := a.post(query, nil)
				if len(res.Errors) > 0 {
					t.Errorf("%s: %+v", query, res.Errors)
					continue
				}
				var data map[string]map[string]json.RawMessage
				if err := json.Unmarshal(res.Data, &data); err != nil {
					t.Fatal(err)
				}
				conn := data[f.Name]
				for _, list := range []string{"edges", "nodes"} {
					if list == "nodes" && !hasNodes {
						continue
					}
					if v := strings.TrimSpace(string(conn[list])); !strings.HasPrefix(v, "[") {
						t.Errorf("%s: %s is %s, want a list", query, list, v)
					}
				}
				// first: 0 is an empty page whatever the data.
				if extra != "" && string(conn["edges"]) != "[]" {
					t.Errorf("%s: edges %s, want []", query, conn["edges"])
				}
				checked++
			}
		}
		if checked < 2*5 {
			t.Errorf("only %d connection queries checked: introspection found too few", checked)
		}
	})
}

// typeRef is an introspected type, up to two wrappers deep.
type typeRef struct {
	Kind, Name string
	OfType     *typeRef
}

// named is the name of the type under its NON_NULL and LIST wrappers.
func (r typeRef) named() string {
	if r.OfType != nil {
		return r.OfType.named()
	}
	return r.Name
}

// typeFields are the names of the fields of an object type.
func (a *api) typeFields(name string) []string {
	var got struct {
		Type struct{ Fields []struct{ Name string } } `json:"__type"`
	}
	a.query(&got, `query($n: String!) { __type(name: $n) { fields { name } } }`, map[string]any{"n": name})
	var out []string
	for _, f := range got.Type.Fields {
		out = append(out, f.Name)
	}
	return out
}
