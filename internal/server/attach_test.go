package server_test

import (
	"fmt"
	"strings"
	"testing"

	"kokeilu/graph"
	"kokeilu/internal/testdb"

	"github.com/vektah/gqlparser/v2/ast"
)

// inputEdge is an ID field of a create or update input: a mutation that
// sets it attaches the row it names.
type inputEdge struct {
	mutation, arg, field string
	argType              string // the argument's GraphQL type, e.g. CreatePilotInput!
	list                 bool
}

// inputEdges lists every ID field of the Create…/Update… inputs that the
// schema's mutations take (removals aside: they detach), so a new edge is
// covered without writing a test.
func inputEdges(s *ast.Schema) []inputEdge {
	var edges []inputEdge
	for _, f := range s.Mutation.Fields {
		for _, arg := range f.Arguments {
			in := s.Types[arg.Type.Name()]
			if in == nil || in.Kind != ast.InputObject || !(strings.HasPrefix(in.Name, "Create") || strings.HasPrefix(in.Name, "Update")) {
				continue
			}
			for _, field := range in.Fields {
				if field.Type.Name() != "ID" || strings.HasPrefix(field.Name, "remove") {
					continue
				}
				edges = append(edges, inputEdge{f.Name, arg.Name, field.Name, arg.Type.String(), field.Type.Elem != nil})
			}
		}
	}
	return edges
}

// freeEdges may name rows of others by design, each with its reason.
var freeEdges = map[string]string{
	"recordAdoption.operatingModelID": "adopting a published operating model is what an adoption records",
	"createLink.sourceID":             "a link is its creator's claim about two actors, removable by its creator",
	"createLink.targetID":             "a link is its creator's claim about two actors, removable by its creator",
}

// TestAttachNeedsRightsOnTheOtherEnd: for every input edge of every create
// and update mutation (generated from the schema) and every kind of
// row that has an owner (pilot, network, operating model, workspace), attaching a row of
// someone else's is refused — UNAUTHENTICATED when signed out, FORBIDDEN
// for an outsider — while its creator and a site administrator may. A
// refused mutation changes nothing.
func TestAttachNeedsRightsOnTheOtherEnd(t *testing.T) {
	edges := inputEdges(graph.NewSchema(nil, nil, nil, nil).Schema())
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		adminToken, _ := a.siteAdmin("Ylläpitäjä")
		aliceToken, _ := a.register("alice@example.org", "Alice")
		bobToken, _ := a.register("bob@example.org", "Bob")
		tokens := map[string]string{"anonymous": "", "outsider": bobToken, "creator": aliceToken, "siteAdmin": adminToken}
		var helsinki struct{ Municipality struct{ ID string } }
		a.query(&helsinki, `{ municipality(code: "091") { id } }`, nil)

		type rows struct{ pilot, network, model, workspace string }
		n := 0
		create := func(token string) rows {
			n++
			var r struct {
				CreatePilot, CreateNetwork, CreateOperatingModel, CreateWorkspace struct{ ID string }
			}
			a.query(&r, `mutation($ws: String!) { createPilot(input: {title: "Oma kokeilu"}) { id } createNetwork(input: {name: "Oma verkosto"}) { id }
				createOperatingModel(input: {name: "Oma malli"}) { id } createWorkspace(input: {name: $ws}) { id } }`, map[string]any{"ws": fmt.Sprint("Työtila ", n)}, bearer(token)...)
			return rows{r.CreatePilot.ID, r.CreateNetwork.ID, r.CreateOperatingModel.ID, r.CreateWorkspace.ID}
		}
		// fresh creates one row of a kind for Alice.
		fresh := func(kind string) string {
			n++
			var r map[string]struct{ ID string }
			a.query(&r, fmt.Sprintf(`mutation($name: String!) { row: %s(input: {%s: $name}) { id } }`, kind, map[string]string{
				"createPilot": "title", "createNetwork": "name", "createOperatingModel": "name", "createWorkspace": "name"}[kind]),
				map[string]any{"name": fmt.Sprint("Alicen rivi ", n)}, bearer(aliceToken)...)
			return r["row"].ID
		}
		own := map[string]rows{"anonymous": create(bobToken), "outsider": create(bobToken), "creator": create(aliceToken), "siteAdmin": create(adminToken)}

		some := create(aliceToken)
		signedOut := map[string]string{"createPilot": some.pilot, "createNetwork": some.network, "createOperatingModel": some.model, "createWorkspace": some.workspace}

		// base gives the rest of a mutation's arguments for actor.
		base := func(e inputEdge, actor string) (args map[string]any, ok bool) {
			in := map[string]any{}
			args = map[string]any{e.arg: in}
			switch e.mutation {
			case "createPilot":
				in["title"] = "Kokeilu"
			case "createNetwork":
				in["name"] = "Verkosto"
			case "createOperatingModel":
				in["name"] = "Malli"
			case "createWorkspace":
				n++
				in["name"] = fmt.Sprint("Uusi työtila ", n)
			case "createSurvey":
				in["workspaceId"], in["title"] = own[actor].workspace, "Kysely"
				in["questions"] = []map[string]any{{"kind": "FREE_TEXT", "text": "Mitä?"}}
			case "createWorkshop":
				in["workspaceId"], in["title"], in["startsAt"], in["capacity"] = own[actor].workspace, "Verstas", "2027-01-01T10:00:00Z", 5
			case "updatePilot":
				args["id"] = own[actor].pilot
			case "updateOperatingModel":
				args["id"] = own[actor].model
			case "recordAdoption":
				in["adoptedOn"] = "2025-01-01"
				in["operatingModelID"] = own[actor].model
				if e.field != "pilotID" && e.field != "municipalityID" {
					in["municipalityID"] = helsinki.Municipality.ID
				}
			case "createLink":
				in["sourceID"], in["targetID"] = helsinki.Municipality.ID, own[actor].pilot
			default:
				return nil, false
			}
			return args, true
		}
		var matched, refused int
		for _, e := range edges {
			if _, ok := base(e, "creator"); !ok {
				t.Errorf("%s.%s: no base input for mutation %s in this test; add one so its edges are checked", e.mutation, e.field, e.mutation)
				continue
			}
			free := freeEdges[e.mutation+"."+e.field] != ""
			for _, kind := range []string{"createPilot", "createNetwork", "createOperatingModel", "createWorkspace"} {
				outcome := map[string]string{}
				for _, actor := range []string{"anonymous", "outsider", "creator", "siteAdmin"} {
					// A fresh row of Alice's each time: a row attached once
					// (a child network) cannot be attached again.
					target := signedOut[kind] // refused before anything is attached
					if actor != "anonymous" {
						target = fresh(kind)
					}
					args, _ := base(e, actor)
					var value any = target
					if e.list {
						value = []string{target}
					}
					args[e.arg].(map[string]any)[e.field] = value
					decl := fmt.Sprintf("$%s: %s", e.arg, e.argType)
					call := fmt.Sprintf("%s(%s: $%s", e.mutation, e.arg, e.arg)
					if _, ok := args["id"]; ok {
						decl += ", $id: ID!"
						call += ", id: $id"
					}
					query := fmt.Sprintf("mutation(%s) { %s) { id } }", decl, call)
					var header []string
					if tokens[actor] != "" {
						header = bearer(tokens[actor])
					}
					res := a.post(query, args, header...)
					switch {
					case res.Status >= 500:
						outcome[actor] = fmt.Sprint("status ", res.Status)
					case len(res.Errors) > 0:
						outcome[actor] = res.Errors[0].code()
					default:
						outcome[actor] = "OK"
					}
					if outcome[actor] == "INTERNAL" || strings.HasPrefix(outcome[actor], "status") {
						t.Errorf("%s.%s as %s: %s %+v", e.mutation, e.field, actor, outcome[actor], res.Errors)
					}
				}
				if outcome["anonymous"] != "UNAUTHENTICATED" {
					t.Errorf("%s.%s signed out: %s", e.mutation, e.field, outcome["anonymous"])
				}
				if outcome["creator"] != "OK" {
					// Not an edge to this kind of row: nobody may attach it.
					if outcome["outsider"] == "OK" || outcome["siteAdmin"] == "OK" {
						t.Errorf("%s.%s: %v", e.mutation, e.field, outcome)
					}
					continue
				}
				matched++
				if free {
					continue
				}
				if outcome["outsider"] != "FORBIDDEN" || outcome["siteAdmin"] != "OK" {
					t.Errorf("%s.%s attaching another's row: %v (want FORBIDDEN for the outsider, OK for creator and site admin)", e.mutation, e.field, outcome)
				}
				refused++
			}
		}
		if refused < 10 {
			t.Errorf("only %d refused attachments tested: the generated matrix is not reaching the edges", refused)
		}
		t.Logf("%s: %d input edges × 4 kinds of row × 4 actors; %d pairs that attach, %d refused to outsiders", b, len(edges), matched, refused)
	})
}
