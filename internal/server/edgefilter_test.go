package server_test

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/discussion"
	"kokeilu/ent/post"
	"kokeilu/ent/workspace"
	"kokeilu/graph"
	"kokeilu/internal/auth"
	"kokeilu/internal/policy"
	"kokeilu/internal/questionnaire"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"

	"github.com/vektah/gqlparser/v2/ast"
)

// edgeWorld is public data and a members-only workspace, and the people who
// read them: member belongs to the members-only workspace (its owner),
// outsider to nothing.
type edgeWorld struct {
	member, outsider, admin string // tokens
	memberID                int
	public, hidden          *ent.Workspace
	model                   *ent.OperatingModel // public, outside any workspace
	pilot                   *ent.Pilot
	workshop                *ent.Workshop // in the public workspace
	lateReply               *ent.Post
	friend                  int // a user who registers for the public workshop
	municipality            int
	county                  int
}

// newEdgeWorld makes the rows everyone may read: a public workspace with
// contents of every kind, a public operating model with an adoption, a
// pilot, and an empty members-only workspace (workspaces themselves are
// public: everyone sees that one exists).
func newEdgeWorld(a *api) *edgeWorld {
	a.t.Helper()
	ctx := auth.System(context.Background())
	c := a.db.Client
	w := &edgeWorld{}
	w.admin, _ = a.siteAdmin("Ylläpitäjä")
	var gid string
	w.member, gid = a.register("member@example.org", "Jäsen")
	w.memberID, _ = scalar.DecodeID(gid)
	w.outsider, _ = a.register("outsider@example.org", "Ulkopuolinen")
	w.friend = a.userID("friend@example.org")
	w.municipality = c.Municipality.Query().FirstIDX(ctx)
	w.county = c.WellbeingCounty.Query().FirstIDX(ctx)

	w.public = c.Workspace.Create().SetName("Julkinen").SetSlug("julkinen").SetVisibility(workspace.VisibilityPUBLIC).SaveX(ctx)
	w.hidden = c.Workspace.Create().SetName("Suljettu").SetSlug("suljettu").SetVisibility(workspace.VisibilityMEMBERS_ONLY).SaveX(ctx)
	w.pilot = c.Pilot.Create().SetTitle("Julkinen kokeilu").SetCreatedByID(w.memberID).
		AddMunicipalityIDs(w.municipality).SetLeadMunicipalityID(w.municipality).SaveX(ctx)
	c.Workspace.UpdateOne(w.public).SetPilot(w.pilot).AddProjects(w.pilot).ExecX(ctx)
	w.model = c.OperatingModel.Create().SetName("Julkinen malli").SetSlug("julkinen-malli").SetSummary("avoin").
		SetCreatedByID(w.memberID).AddMunicipalityIDs(w.municipality).AddWellbeingCountyIDs(w.county).AddDevelopedIn(w.pilot).SaveX(ctx)
	c.Adoption.Create().SetOperatingModel(w.model).SetMunicipalityID(w.municipality).SetAdoptedOn(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)).
		SetCreatedByID(w.memberID).ExecX(ctx)
	w.contents(ctx, c, w.public, "julkinen")
	return w
}

// contents gives a workspace a membership of member, a discussion with a
// post and a reply, a notice, a material, a survey with member's answer, a
// workshop with member's registration and an operating model.
func (w *edgeWorld) contents(ctx context.Context, c *ent.Client, ws *ent.Workspace, slug string) {
	c.Membership.Create().SetWorkspace(ws).SetUserID(w.memberID).SetRole("OWNER").ExecX(ctx)
	d := c.Discussion.Create().SetWorkspace(ws).SetTitle("Keskustelu").SetAuthorID(w.memberID).SetPostCount(3).SaveX(ctx)
	p := c.Post.Create().SetDiscussion(d).SetBody("bbb viesti").SetAuthorID(w.memberID).SaveX(ctx)
	c.Post.Create().SetDiscussion(d).SetBody("vastaus").SetAuthorID(w.memberID).SetReplyTo(p).ExecX(ctx)
	c.Notice.Create().SetWorkspace(ws).SetTitle("Ilmoitus").SetAuthorID(w.memberID).ExecX(ctx)
	c.Material.Create().SetWorkspace(ws).SetTitle("Opas").SetAuthorID(w.memberID).ExecX(ctx)
	s := c.Survey.Create().SetWorkspace(ws).SetTitle("Kysely").SetOpensAt(time.Now().Add(-time.Hour)).SetCreatedByID(w.memberID).
		SetQuestions([]questionnaire.Question{{Key: "q1", Kind: questionnaire.Scale, Text: "Arvio", Required: true}}).SaveX(ctx)
	c.SurveyResponse.Create().SetSurvey(s).SetUserID(w.memberID).SetAnswers([]questionnaire.Answer{}).ExecX(ctx)
	ws2 := c.Workshop.Create().SetWorkspace(ws).SetTitle("Verstas").SetStartsAt(time.Now().Add(48 * time.Hour)).SetCapacity(5).
		SetCreatedByID(w.memberID).SaveX(ctx)
	c.OperatingModel.Create().SetWorkspace(ws).SetName("Malli " + slug).SetSlug("malli-" + slug).SetSummary("bbb").
		SetCreatedByID(w.memberID).AddMunicipalityIDs(w.municipality).ExecX(ctx)
	if ws.Visibility != workspace.VisibilityPUBLIC {
		c.WorkshopRegistration.Create().SetWorkshop(ws2).SetUserID(w.memberID).SetStatus("PARTICIPANT").ExecX(ctx)
	} else {
		w.workshop = ws2
		// A public post that will reply to a hidden one, and get a hidden reply.
		w.lateReply = c.Post.Create().SetDiscussion(d).SetBody("vastaus myöhemmin").SetAuthorID(w.memberID).SaveX(ctx)
	}
}

// hide adds rows of every kind that outsiders may not read, each tied to
// public rows wherever an edge allows: the members-only workspace's
// contents, its operating model as a part of the public model (and the
// public model's parent: another hidden model), their adoptions by a public
// municipality and pilot, member's registration for the public workshop,
// and a public post replying to a hidden post.
func (w *edgeWorld) hide(a *api) {
	a.t.Helper()
	ctx := auth.System(context.Background())
	c := a.db.Client
	w.contents(ctx, c, w.hidden, "suljettu")
	part := c.OperatingModel.Create().SetWorkspace(w.hidden).SetName("Salainen osa").SetSlug("salainen-osa").
		SetSummary("bbb salaisuus").SetCreatedByID(w.memberID).AddMunicipalityIDs(w.municipality).AddWellbeingCountyIDs(w.county).
		AddDevelopedIn(w.pilot).SetPartOf(w.model).SaveX(ctx)
	parent := c.OperatingModel.Create().SetWorkspace(w.hidden).SetName("Salainen kokonaisuus").SetSlug("salainen-kokonaisuus").
		SetSummary("bbb").SetCreatedByID(w.memberID).SaveX(ctx)
	c.OperatingModel.UpdateOne(w.model).SetPartOf(parent).ExecX(ctx)
	for _, m := range []*ent.OperatingModel{part, parent} {
		c.Adoption.Create().SetOperatingModel(m).SetMunicipalityID(w.municipality).SetAdoptedOn(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)).
			SetCreatedByID(w.memberID).ExecX(ctx)
		c.Adoption.Create().SetOperatingModel(m).SetPilot(w.pilot).SetAdoptedOn(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)).
			SetCreatedByID(w.memberID).ExecX(ctx)
	}
	c.WorkshopRegistration.Create().SetWorkshop(w.workshop).SetUserID(w.friend).SetStatus("PARTICIPANT").ExecX(ctx)
	secret := c.Post.Query().Where(post.Body("bbb viesti"), post.HasDiscussionWith(discussion.HasWorkspaceWith(workspace.ID(w.hidden.ID)))).OnlyX(ctx)
	c.Post.UpdateOne(w.lateReply).SetReplyTo(secret).ExecX(ctx)
	c.Post.Create().SetDiscussionID(secret.QueryDiscussion().OnlyIDX(ctx)).SetBody("salainen vastaus julkiseen").
		SetAuthorID(w.memberID).SetReplyTo(w.lateReply).ExecX(ctx)
}

// userID registers a user with the email and returns their id.
func (a *api) userID(email string) int {
	a.t.Helper()
	_, gid := a.register(email, "Käyttäjä")
	id, err := scalar.DecodeID(gid)
	if err != nil {
		a.t.Fatal(err)
	}
	return id
}

// edgeProbe is one edge predicate of a where input, asked through one field
// that accepts the input (directly or nested in another input's edge).
type edgeProbe struct {
	input, field, target string   // e.g. OperatingModelWhereInput, hasPartsWith, OperatingModelWhereInput
	via                  string   // the field the query goes through
	queries              []string // one per alias: with, yes, no, empty, none
}

// edgeProbes lists every has…With field of every where input in the schema
// and builds, for each field that takes that where input (and, for inputs no
// field takes, through the edge of another input that reaches them), a query
// asking five things that match any row across the edge: hasXWith:
// [{not: {id: <no such row>}}], hasXWith: [{}], hasXWith: [], hasX: true
// and hasX: false. Inputs that no
// argument can reach at all are returned as unreachable.
func edgeProbes(t *testing.T, s *ast.Schema) (probes []edgeProbe, edges []string, unreachable []string) {
	t.Helper()
	// paths from Query to every object type: a selection prefix and suffix.
	type path struct{ open, close string }
	paths := map[string]path{"Query": {}}
	queue := []string{"Query"}
	for len(queue) > 0 {
		typ := queue[0]
		queue = queue[1:]
		for _, f := range sortedFields(s.Types[typ]) {
			if requiredArgs(f) || f.Name == "node" || f.Name == "nodes" || strings.HasPrefix(f.Name, "__") {
				continue
			}
			next, open := f.Type.Name(), f.Name+" { "
			if def := s.Types[next]; def != nil && def.Fields.ForName("nodes") != nil && def.Fields.ForName("totalCount") != nil {
				next, open = def.Fields.ForName("nodes").Type.Name(), f.Name+" { nodes { "
			}
			if def := s.Types[next]; def == nil || def.Kind != ast.Object {
				continue
			}
			if _, seen := paths[next]; seen {
				continue
			}
			p := paths[typ]
			closing := " }"
			if strings.HasSuffix(open, "nodes { ") {
				closing = " } }"
			}
			paths[next] = path{p.open + open, closing + p.close}
			queue = append(queue, next)
		}
	}
	// wrappers[input] turn a where literal of that input into whole queries
	// (one per field that takes it), with the alias in front.
	type wrapper struct {
		via  string
		wrap func(alias, where string) string
	}
	wrappers := map[string][]wrapper{}
	var types []string
	for name := range s.Types {
		types = append(types, name)
	}
	sort.Strings(types)
	for _, typ := range types {
		p, ok := paths[typ]
		if !ok {
			continue
		}
		for _, f := range sortedFields(s.Types[typ]) {
			arg := f.Arguments.ForName("where")
			if arg == nil || requiredArgs(f) {
				continue
			}
			sel := "{ id }"
			if def := s.Types[f.Type.Name()]; def != nil && def.Fields.ForName("totalCount") != nil {
				sel = "{ totalCount nodes { id } }"
			}
			p, f := p, f
			wrappers[arg.Type.Name()] = append(wrappers[arg.Type.Name()], wrapper{
				via: typ + "." + f.Name,
				wrap: func(alias, where string) string {
					inner := fmt.Sprintf("%s(where: %s) %s", f.Name, where, sel)
					if p.open == "" {
						return alias + ": " + inner
					}
					return alias + ": " + p.open + inner + p.close
				},
			})
		}
	}
	// Inputs no field takes are reached through another input's edge.
	for changed := true; changed; {
		changed = false
		for _, typ := range types {
			def := s.Types[typ]
			if def.Kind != ast.InputObject || !strings.HasSuffix(typ, "WhereInput") || len(wrappers[typ]) == 0 {
				continue
			}
			for _, f := range def.Fields {
				target := f.Type.Name()
				if !isEdgeWith(f.Name) || len(wrappers[target]) > 0 {
					continue
				}
				outer, name := wrappers[typ][0], f.Name
				wrappers[target] = []wrapper{{via: outer.via + " " + typ + "." + name, wrap: func(alias, where string) string {
					return outer.wrap(alias, fmt.Sprintf("{%s: [%s]}", name, where))
				}}}
				changed = true
			}
		}
	}
	missing := scalar.EncodeID(1 << 40)
	for _, typ := range types {
		def := s.Types[typ]
		if def.Kind != ast.InputObject || !strings.HasSuffix(typ, "WhereInput") {
			continue
		}
		for _, f := range def.Fields {
			if !isEdgeWith(f.Name) {
				continue
			}
			edge := typ + "." + f.Name
			edges = append(edges, edge)
			if len(wrappers[typ]) == 0 {
				unreachable = append(unreachable, edge)
				continue
			}
			yesNo := strings.TrimSuffix(f.Name, "With")
			if def.Fields.ForName(yesNo) == nil {
				t.Errorf("%s has no %s", typ, yesNo)
			}
			for _, w := range wrappers[typ] {
				// One query per alias: the edges an operation's filters may
				// test together are bounded (cost.MaxFilterEdges).
				var qs []string
				for _, a := range [][2]string{
					{"with", fmt.Sprintf(`{%s: [{not: {id: %q}}]}`, f.Name, missing)},
					{"yes", fmt.Sprintf(`{%s: true}`, yesNo)},
					{"no", fmt.Sprintf(`{%s: false}`, yesNo)},
					{"empty", fmt.Sprintf(`{%s: [{}]}`, f.Name)},
					{"none", fmt.Sprintf(`{%s: []}`, f.Name)},
				} {
					qs = append(qs, "query { "+w.wrap(a[0], a[1])+" }")
				}
				probes = append(probes, edgeProbe{input: typ, field: f.Name, target: f.Type.Name(), via: w.via, queries: qs})
			}
		}
	}
	return probes, edges, unreachable
}

func isEdgeWith(name string) bool {
	return strings.HasPrefix(name, "has") && strings.HasSuffix(name, "With")
}

func requiredArgs(f *ast.FieldDefinition) bool {
	for _, a := range f.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil {
			return true
		}
	}
	return false
}

func sortedFields(def *ast.Definition) ast.FieldList {
	if def == nil {
		return nil
	}
	fields := append(ast.FieldList(nil), def.Fields...)
	sort.Slice(fields, func(i, j int) bool { return fields[i].Name < fields[j].Name })
	return fields
}

// TestEdgeFiltersObeyReadRules asks every edge predicate of every where
// input, through every field that takes the input, as an anonymous client
// and as a signed-in outsider, before and after rows they may not read are
// added across every edge: the answers must not change. The site
// administrator, who reads everything, must see the change for every edge
// into rows with a read rule, so the hidden rows are really there.
func TestEdgeFiltersObeyReadRules(t *testing.T) {
	schema := graph.NewSchema(nil, nil, nil, nil).Schema()
	probes, edges, unreachable := edgeProbes(t, schema)
	for _, e := range unreachable {
		// A where input that no argument and no other input's edge leads to
		// cannot be sent by a client. Anything else must be probed.
		typ := strings.Split(e, ".")[0]
		if referenced(schema, typ) {
			t.Errorf("edge predicate %s is reachable by clients but not probed", e)
		}
	}
	if len(edges) < 60 {
		t.Fatalf("found only %d edge predicates in the schema", len(edges))
	}
	t.Logf("%d edge predicates in the schema, %d probed through %d queries, unreachable by any argument: %v",
		len(edges), len(edges)-len(unreachable), len(probes), unreachable)

	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		w := newEdgeWorld(a)
		viewers := map[string][]string{"anonymous": nil, "outsider": bearer(w.outsider), "siteAdmin": bearer(w.admin)}
		ask := func() map[string]string {
			answers := map[string]string{}
			for _, p := range probes {
				for who, h := range viewers {
					for _, q := range p.queries {
						res := a.post(q, nil, h...)
						if len(res.Errors) > 0 || res.Status != 200 {
							t.Fatalf("%s.%s via %s as %s: status %d, errors %+v\n%s", p.input, p.field, p.via, who, res.Status, res.Errors, q)
						}
						answers[p.via+" "+p.input+"."+p.field+" "+who] += string(bytes.TrimSpace(res.Data))
					}
				}
			}
			return answers
		}
		before := ask()
		w.hide(a)
		after := ask()
		seen := map[string]bool{}
		for _, p := range probes {
			key := p.via + " " + p.input + "." + p.field
			for _, who := range []string{"anonymous", "outsider"} {
				if before[key+" "+who] != after[key+" "+who] {
					t.Errorf("%s as %s changed with hidden rows:\n%s\nbefore %s\nafter  %s", key, who, strings.Join(p.queries, "\n"), before[key+" "+who], after[key+" "+who])
				}
			}
			if before[key+" siteAdmin"] != after[key+" siteAdmin"] {
				seen[p.input+"."+p.field] = true
			}
		}
		for _, p := range probes {
			if policy.HasReadRule(p.target) && !seen[p.input+"."+p.field] {
				t.Errorf("no hidden row across %s.%s (into %s): the test data does not exercise it", p.input, p.field, p.target)
			}
		}
	})
}

// referenced tells whether any field argument or input field has type name.
func referenced(s *ast.Schema, name string) bool {
	for _, def := range s.Types {
		if def.Name == name {
			continue // its own not, and, or
		}
		for _, f := range def.Fields {
			if f.Type.Name() == name {
				return true
			}
			for _, a := range f.Arguments {
				if a.Type.Name() == name {
					return true
				}
			}
		}
	}
	return false
}

// TestIssue21HiddenSummaryByPrefix is the report's attack: a public model's
// hidden part's summary read one character at a time through hasPartsWith.
func TestIssue21HiddenSummaryByPrefix(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		w := newEdgeWorld(a)
		w.hide(a)
		const q = `query($id: ID!, $p: String!) { operatingModels(where: {id: $id, hasPartsWith: [{summaryHasPrefix: $p}]}) { totalCount } }`
		count := func(prefix string, h ...string) int {
			var got struct{ OperatingModels struct{ TotalCount int } }
			a.query(&got, q, map[string]any{"id": scalar.EncodeID(w.model.ID), "p": prefix}, h...)
			return got.OperatingModels.TotalCount
		}
		for _, prefix := range []string{"b", "bb", "bbb s", "x"} {
			if n := count(prefix); n != 0 {
				t.Errorf("anonymous, prefix %q: totalCount %d, want 0", prefix, n)
			}
			if n := count(prefix, bearer(w.outsider)...); n != 0 {
				t.Errorf("outsider, prefix %q: totalCount %d, want 0", prefix, n)
			}
		}
		// The part is there for those who may read it.
		if n := count("bbb s", bearer(w.member)...); n != 1 {
			t.Errorf("member: totalCount %d, want 1", n)
		}
		if n := count("bbb s", bearer(w.admin)...); n != 1 {
			t.Errorf("site administrator: totalCount %d, want 1", n)
		}
	})
}
