package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"kokeilu/ent/migrate"
	"kokeilu/graph"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"

	"github.com/vektah/gqlparser/v2/ast"
)

// mutationField is one leaf input field of a mutation, reached through the
// mutation's arguments: path is the names from the argument down.
type mutationField struct {
	mutation *ast.FieldDefinition
	path     []string
	typ      *ast.Type
}

func (f mutationField) String() string {
	return f.mutation.Name + "(" + strings.Join(f.path, ".") + ")"
}

// mutationFields walks every argument of every mutation, into input
// objects and lists of them, and returns the leaves whose named type is
// one of names.
func mutationFields(s *ast.Schema, names ...string) []mutationField {
	var out []mutationField
	var walk func(m *ast.FieldDefinition, path []string, t *ast.Type, seen map[string]bool)
	walk = func(m *ast.FieldDefinition, path []string, t *ast.Type, seen map[string]bool) {
		def := s.Types[t.Name()]
		if def.Kind == ast.InputObject {
			if seen[def.Name] {
				return
			}
			seen[def.Name] = true
			for _, f := range def.Fields {
				walk(m, append(append([]string{}, path...), f.Name), f.Type, seen)
			}
			delete(seen, def.Name)
			return
		}
		for _, n := range names {
			if t.Name() == n {
				out = append(out, mutationField{m, path, t})
			}
		}
	}
	for _, m := range s.Mutation.Fields {
		for _, a := range m.Arguments {
			walk(m, []string{a.Name}, a.Type, map[string]bool{})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// fill is a value of type t for a variable: lists of one, input objects
// with their required fields (and the one on path) set, scalars from
// scalars by type name, enums their first value. at, if path leads through
// t, is put at the end of path.
func fill(s *ast.Schema, t *ast.Type, scalars map[string]any, path []string, at any) any {
	if len(path) == 0 && at != nil {
		return at
	}
	if t.Elem != nil {
		return []any{fill(s, t.Elem, scalars, path, at)}
	}
	def := s.Types[t.Name()]
	switch def.Kind {
	case ast.Enum:
		return def.EnumValues[0].Name
	case ast.InputObject:
		obj := map[string]any{}
		for _, f := range def.Fields {
			if len(path) > 0 && f.Name == path[0] {
				obj[f.Name] = fill(s, f.Type, scalars, path[1:], at)
			} else if f.Type.NonNull && f.DefaultValue == nil {
				obj[f.Name] = fill(s, f.Type, scalars, nil, nil)
			}
		}
		return obj
	}
	if v, ok := scalars[t.Name()]; ok {
		return v
	}
	return "x"
}

// mutationRequest is the mutation of f with every argument a variable, f's
// field set to at and the rest filled (fill); ids gives the value of an ID
// argument or field by its name where the default will not do.
func mutationRequest(s *ast.Schema, f mutationField, at any, scalars map[string]any) (string, map[string]any) {
	var decl, args []string
	vars := map[string]any{}
	for _, a := range f.mutation.Arguments {
		decl = append(decl, "$"+a.Name+": "+a.Type.String())
		args = append(args, a.Name+": $"+a.Name)
		if a.Name == f.path[0] {
			vars[a.Name] = fill(s, a.Type, scalars, f.path[1:], at)
		} else if a.Type.NonNull || a.Name == "id" {
			vars[a.Name] = fill(s, a.Type, scalars, nil, nil)
		}
	}
	sel := ""
	if def := s.Types[f.mutation.Type.Name()]; def.Kind == ast.Object || def.Kind == ast.Interface || def.Kind == ast.Union {
		sel = " { __typename }"
	}
	return fmt.Sprintf("mutation(%s) { %s(%s)%s }", strings.Join(decl, ", "), f.mutation.Name, strings.Join(args, ", "), sel), vars
}

// postBytes sends a request body as it is.
func (a *api) postBytes(body []byte, header ...string) response {
	a.t.Helper()
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
	_ = json.NewDecoder(res.Body).Decode(&out)
	out.Status = res.StatusCode
	return out
}

// rowCounts is the number of rows of every table: what a refused mutation
// must leave as it was.
func rowCounts(t *testing.T, a *api) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range allTables {
		rows, err := a.db.Client.QueryContext(t.Context(), "SELECT COUNT(*) FROM "+table)
		if err != nil {
			t.Fatal(err)
		}
		rows.Next()
		var n int
		_ = rows.Scan(&n)
		rows.Close()
		out[table] = n
	}
	return out
}

// TestTextInputsRefuseLoneSurrogate (found by a hostile review): a JSON
// string with a lone surrogate ("\ud800") was stored as U+FFFD in silence.
// Property, over the schema: every String input of every mutation (every
// argument, every field of every input object they reach), given a string
// with a lone surrogate, answers BAD_USER_INPUT naming that field, and no
// table changes.
func TestTextInputsRefuseLoneSurrogate(t *testing.T) {
	s := graph.NewSchema(nil, nil, nil, nil).Schema()
	fields := mutationFields(s, "String")
	if len(fields) < 20 {
		t.Fatalf("only %d String inputs of mutations found", len(fields))
	}
	scalars := map[string]any{"ID": scalar.EncodeID(1), "Int": 1, "Float": 1.0, "Boolean": true, "Date": "2020-01-02", "Time": "2020-01-02T03:04:05Z", "String": "Teksti"}
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		token, _ := a.siteAdmin("Admin")
		before := rowCounts(t, a)
		for _, f := range fields {
			for _, sent := range []string{`\ud800`, `a\udfffb`, `\ud800\ud800`} {
				query, vars := mutationRequest(s, f, "LONE-SURROGATE", scalars)
				body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
				body = bytes.Replace(body, []byte("LONE-SURROGATE"), []byte(sent), 1)
				res := a.postBytes(body, bearer(token)...)
				name := f.path[len(f.path)-1]
				if len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != name {
					t.Errorf("%s = %q: want BAD_USER_INPUT on %s, got %d %.300v %.200s", f, sent, name, res.Status, res.Errors, res.Data)
				}
			}
		}
		if after := rowCounts(t, a); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("rows changed: %v → %v", before, after)
		}
		t.Logf("%d String inputs of mutations", len(fields))
	})
}

// allTables are the tables of the ent schema.
var allTables = func() []string {
	var out []string
	for _, t := range migrate.Tables {
		out = append(out, t.Name)
	}
	return out
}()

// TestIDInputsOfEveryMutation (found by a hostile review): removeMunicipalityIDs
// given another type's ID did nothing in silence, and a wrong addMunicipalityIDs
// was reported on municipalityIDs. Property, over the schema: every ID field
// of every input object of every mutation, given a well-formed ID of
// another type (a region's: no input refers to regions) or one that names
// nothing, answers BAD_USER_INPUT naming that field as the client wrote it,
// and no table changes. The other ID inputs of the request name rows of
// the right kinds (valid), so that only the field under test can be wrong.
// The mutations' own id arguments (updatePilot(id:), joinWorkspace
// (workspaceId:)) name the object acted on and answer NOT_FOUND, as node
// does; they are not walked here.
func TestIDInputsOfEveryMutation(t *testing.T) {
	s := graph.NewSchema(nil, nil, nil, nil).Schema()
	var fields []mutationField
	for _, f := range mutationFields(s, "ID") {
		if len(f.path) > 1 { // a field of an input, not the mutation's own id argument
			fields = append(fields, f)
		}
	}
	if len(fields) < 40 {
		t.Fatalf("only %d ID fields of mutation inputs found", len(fields))
	}
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		token, _ := a.siteAdmin("Admin")
		first := func(q string) string {
			var out map[string]struct{ Nodes []struct{ ID string } }
			a.query(&out, "{ "+q+"(first: 1) { nodes { id } } }", nil)
			for _, c := range out {
				if len(c.Nodes) > 0 {
					return c.Nodes[0].ID
				}
			}
			t.Fatalf("no %s in the demo content", q)
			return ""
		}
		region, pilot := first("regions"), first("pilots")
		// valid IDs of the other ID inputs, by name
		var ws struct{ CreateWorkspace struct{ ID string } }
		a.query(&ws, `mutation { createWorkspace(input: {name: "Tyotila"}) { id } }`, nil, bearer(token)...)
		var d struct{ StartDiscussion struct{ ID string } }
		a.query(&d, `mutation($w: ID!) { startDiscussion(input: {workspaceId: $w, title: "Aihe", body: "Teksti"}) { id } }`, map[string]any{"w": ws.CreateWorkspace.ID}, bearer(token)...)
		valid := map[string]string{"operatingModelID": first("operatingModels"), "sourceID": pilot, "targetID": first("municipalities"),
			"workspaceId": ws.CreateWorkspace.ID, "discussionId": d.StartDiscussion.ID}
		own := map[string]string{"updatePilot": pilot, "updateOperatingModel": valid["operatingModelID"]}
		id, _ := scalar.DecodeID(pilot)
		unknown := scalar.EncodeID(id + 1_000_000) // a pilot's range, no pilot
		before := rowCounts(t, a)
		for _, f := range fields {
			for _, wrong := range []string{region, unknown} {
				scalars := map[string]any{"Int": 1, "Float": 1.0, "Boolean": true, "Date": "2020-01-02", "Time": "2020-01-02T03:04:05Z", "String": "Teksti"}
				var at any = wrong
				if f.typ.Elem != nil {
					at = []any{wrong}
				}
				query, vars := mutationRequest(s, f, at, scalars)
				if id, ok := own[f.mutation.Name]; ok {
					vars["id"] = id
				}
				if f.mutation.Name == "createSurvey" { // the filler's question is not one
					vars["input"].(map[string]any)["questions"] = []any{map[string]any{"kind": "FREE_TEXT", "text": "Kysymys"}}
				}
				for k, v := range vars[f.path[0]].(map[string]any) {
					if id, ok := valid[k]; ok && k != f.path[1] && v != nil {
						vars[f.path[0]].(map[string]any)[k] = id
					}
				}
				res := a.post(query, vars, bearer(token)...)
				name := f.path[len(f.path)-1]
				if len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != name {
					t.Errorf("%s = %s: want BAD_USER_INPUT on %s, got %.300v %.200s", f, wrong, name, res.Errors, res.Data)
				}
			}
		}
		if after := rowCounts(t, a); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("rows changed: %v → %v", before, after)
		}
		t.Logf("%d ID fields of mutation inputs", len(fields))
	})
}
