package server_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"kokeilu/ent/workspace"
	"kokeilu/internal/testdb"
)

// notGraphQLInput are the validated ent fields no mutation sets, and why.
var notGraphQLInput = map[string]string{
	"pilot.slug": "derived", "network.slug": "derived", "organization.slug": "derived", "operatingmodel.slug": "derived",
	"theme.slug": "reference data", "theme.name_fi": "reference data",
	"municipality.name_fi": "reference data", "municipality.code": "reference data", "municipality.subregion_code": "reference data",
	"region.name_fi": "reference data", "region.code": "reference data",
	"wellbeingcounty.name_fi": "reference data", "wellbeingcounty.code": "reference data",
	"organization.name": "no mutation", "organization.description": "no mutation", "organization.website": "no mutation",
	"session.token_hash": "made by the server", "discussion.post_count": "kept by the server",
}

// validatedFields lists "type.field" of every ent field with a validator,
// read from the generated code (ent/<type>/<type>.go).
func validatedFields(t *testing.T) []string {
	files, _ := filepath.Glob("../../ent/*/*.go")
	re := regexp.MustCompile(`is a validator for the "([a-z_]+)" field\. It`)
	var out []string
	for _, f := range files {
		dir := filepath.Base(filepath.Dir(f))
		if filepath.Base(f) != dir+".go" || dir == "runtime" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			out = append(out, dir+"."+m[1])
		}
	}
	if len(out) < 30 {
		t.Fatalf("found only %d validated fields: has ent's generated code changed?", len(out))
	}
	return out
}

// TestValidatorsSpeakOurWords: every validated ent field that a mutation
// sets is sent invalid values through the real endpoint — blank text
// ("", spaces, "\u200b", "\t\n", a Hangul filler) for required text, text
// over every limit, numbers out of range — and each answer is
// BAD_USER_INPUT naming the GraphQL field, in our words (never "ent:");
// a validated field that no case covers fails the test unless listed in
// notGraphQLInput.
func TestValidatorsSpeakOurWords(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		owner := p.header("owner")
		var om struct{ CreateOperatingModel struct{ ID string } }
		a.query(&om, `mutation { createOperatingModel(input: {name: "Malli"}) { id } }`, nil, owner...)
		var own struct{ CreatePilot struct{ ID string } }
		a.query(&own, `mutation { createPilot(input: {title: "Oma"}) { id } }`, nil, owner...)
		blank := []any{"", " ", "\u200b", "\t\n", "\u3164", "\u00a0\u2060"}
		long := []any{strings.Repeat("ä", 20001)}
		type kase struct {
			key, field, typ, query string
			values                 []any
		}
		text := func(key, field, query string, required bool) kase {
			v := long
			if required {
				v = append(append([]any{}, blank...), long...)
			}
			return kase{key, field, "String", query, v}
		}
		pilot := `createPilot(input: {title: "t", %s: $v}) { id }`
		upd := `updatePilot(id: "` + own.CreatePilot.ID + `", input: {%s: $v}) { id }`
		network := `createNetwork(input: {name: "n", %s: $v}) { id }`
		link := `createLink(input: {sourceID: "` + w.Municipality + `", targetID: "` + w.Pilot + `", %s: $v}) { id }`
		model := `createOperatingModel(input: {name: "m", %s: $v}) { id }`
		adoption := `recordAdoption(input: {operatingModelID: "` + om.CreateOperatingModel.ID + `", municipalityID: "` + w.Municipality + `", %s: $v}) { id }`
		notice := `postNotice(input: {workspaceId: "` + w.Workspace + `", title: "t", %s: $v}) { id }`
		material := `addMaterial(input: {workspaceId: "` + w.Workspace + `", title: "t", kind: LINK, url: "https://example.org", %s: $v}) { id }`
		discussion := `startDiscussion(input: {workspaceId: "` + w.Workspace + `", title: "t", body: "b", %s: $v}) { id }`
		survey := `createSurvey(input: {workspaceId: "` + w.Workspace + `", title: "t", questions: [{kind: SCALE, text: "q"}], %s: $v}) { id }`
		workshop := `createWorkshop(input: {workspaceId: "` + w.Workspace + `", title: "t", startsAt: "2030-01-01T10:00:00Z", capacity: 5, %s: $v}) { id }`
		ws := `createWorkspace(input: {name: "w", %s: $v}) { id }`
		set := func(tmpl, field string) string { return strings.Replace(tmpl, "%s", field, 1) }
		// A field given in the template is replaced, not repeated.
		only := func(tmpl, field string) string {
			tmpl = regexp.MustCompile(`\b`+field+`: "[^"]*", `).ReplaceAllString(tmpl, "")
			return set(tmpl, field)
		}
		cases := []kase{
			text("pilot.title", "title", only(pilot, "title"), true),
			text("pilot.title", "title", set(upd, "title"), true),
			text("pilot.summary", "summary", set(pilot, "summary"), false),
			text("pilot.description", "description", set(upd, "description"), false),
			text("pilot.source_url", "sourceURL", set(pilot, "sourceURL"), false),
			text("network.name", "name", only(network, "name"), true),
			text("network.description", "description", set(network, "description"), false),
			text("network.website", "website", set(network, "website"), false),
			{"link.weight", "weight", "Float", set(link, "weight"), []any{0, 0.0009, 1000.5, -1, 1e300}},
			text("link.description", "description", set(link, "description"), false),
			text("link.source_url", "sourceURL", set(link, "sourceURL"), false),
			text("operatingmodel.name", "name", only(model, "name"), true),
			text("operatingmodel.summary", "summary", set(model, "summary"), false),
			text("operatingmodel.core_idea", "coreIdea", set(model, "coreIdea"), false),
			text("operatingmodel.conditions", "conditions", set(model, "conditions"), false),
			text("operatingmodel.operating_environment", "operatingEnvironment", set(model, "operatingEnvironment"), false),
			text("operatingmodel.funder", "funder", set(model, "funder"), false),
			text("operatingmodel.source_url", "sourceURL", set(model, "sourceURL"), false),
			text("adoption.note", "note", set(adoption, "note"), false),
			text("adoption.source_url", "sourceURL", set(adoption, "sourceURL"), false),
			text("notice.title", "title", only(notice, "title"), true),
			text("notice.body", "body", set(notice, "body"), false),
			text("notice.url", "url", set(notice, "url"), false),
			text("material.title", "title", only(material, "title"), true),
			text("material.description", "description", set(material, "description"), false),
			text("material.url", "url", only(material, "url"), false),
			text("material.language", "language", set(material, "language"), false),
			text("discussion.title", "title", only(discussion, "title"), true),
			text("post.body", "body", only(discussion, "body"), true),
			text("survey.title", "title", only(survey, "title"), true),
			text("survey.description", "description", set(survey, "description"), false),
			text("workshop.title", "title", only(workshop, "title"), true),
			text("workshop.description", "description", set(workshop, "description"), false),
			text("workshop.place", "place", set(workshop, "place"), false),
			text("workshop.online_url", "onlineURL", set(workshop, "onlineURL"), false),
			{"workshop.capacity", "capacity", "Int", only(strings.Replace(workshop, "capacity: 5, ", "", 1), "capacity"), []any{0, -5}},
			text("workspace.name", "name", only(ws, "name"), true),
			text("workspace.slug", "slug", set(ws, "slug"), false),
			text("workspace.description", "description", set(ws, "description"), false),
			text("user.display_name", "displayName", `register(input: {email: "x@example.org", password: "correct horse battery", displayName: $v}) { token }`, true),
			text("user.email", "email", `register(input: {email: $v, password: "correct horse battery", displayName: "n"}) { token }`, true),
		}
		covered := map[string]bool{}
		for _, c := range cases {
			covered[c.key] = true
			// A non-null variable fits nullable and non-null fields.
			q := `mutation($v: ` + c.typ + `!) { ` + c.query + ` }`
			for _, v := range c.values {
				res := a.post(q, map[string]any{"v": v}, owner...)
				show := v
				if s, ok := v.(string); ok && len(s) > 20 {
					show = s[:20] + "…"
				}
				if len(res.Errors) == 0 {
					t.Errorf("%s = %+q through %s: accepted", c.key, show, c.query)
					continue
				}
				e := res.Errors[0]
				field := c.field
				if e.code() != "BAD_USER_INPUT" || e.Extensions["field"] != field || strings.Contains(e.Message, "ent:") ||
					strings.Contains(e.Message, "validator failed") || !strings.Contains(e.Message, field) {
					t.Errorf("%s = %+q: want BAD_USER_INPUT on %s in our words, got %+v", c.key, show, field, res.Errors)
				}
			}
		}
		for _, f := range validatedFields(t) {
			if !covered[f] && notGraphQLInput[f] == "" {
				t.Errorf("validated field %s: no case sends it invalid values, and it is not listed in notGraphQLInput", f)
			}
		}
	})
}
