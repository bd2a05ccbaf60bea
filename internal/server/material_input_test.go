package server_test

import (
	"testing"

	"kokeilu/ent/workspace"
	"kokeilu/internal/testdb"
)

// TestMaterialLanguageAndURL: a material's language is a current ISO 639-1
// code and its url an http(s) address without credentials, with a port
// from 1 to 65535 if any; anything
// else is BAD_USER_INPUT naming the field, on adding and on updating.
func TestMaterialLanguageAndURL(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		owner := p.header("owner")
		const add = `mutation($ws: ID!, $l: String, $u: String) { addMaterial(input: {workspaceId: $ws, title: "m", language: $l, url: $u}) { id language url } }`
		const upd = `mutation($id: ID!, $l: String, $u: String) { updateMaterial(id: $id, input: {language: $l, url: $u}) { id language url } }`
		var made struct {
			AddMaterial struct{ ID, Language, URL string }
		}
		a.query(&made, add, map[string]any{"ws": w.Workspace, "l": "SV", "u": "https://example.org:8443/x"}, owner...)
		if made.AddMaterial.Language != "sv" || made.AddMaterial.URL != "https://example.org:8443/x" {
			t.Errorf("valid material stored as %+v", made.AddMaterial)
		}
		cases := []struct{ field, lang, url string }{
			{"language", "zz", ""}, {"language", "xx", ""}, {"language", "fin", ""}, {"language", "f", ""}, {"language", "und", ""},
			{"url", "", "https://example.org:99999/"}, {"url", "", "http://example.org:0/"}, {"url", "", "http://example.org:65536"},
			{"url", "", "ftp://example.org/"}, {"url", "", "http://:80/"}, {"url", "", "https://"},
			// Found by a hostile review: withdrawn codes, credentials and an empty port were accepted.
			{"language", "iw", ""}, {"language", "mo", ""},
			{"url", "", "https://user:secret@example.org/"}, {"url", "", "https://user@example.org/"}, {"url", "", "http://x:/"},
		}
		for _, c := range cases {
			vars := map[string]any{"ws": w.Workspace, "id": made.AddMaterial.ID}
			if c.lang != "" {
				vars["l"] = c.lang
			}
			if c.url != "" {
				vars["u"] = c.url
			}
			for _, q := range []string{add, upd} {
				res := a.post(q, vars, owner...)
				if len(res.Errors) != 1 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != c.field {
					t.Errorf("%+v: %+v, want BAD_USER_INPUT on %s", c, res.Errors, c.field)
				}
			}
		}
		for _, ok := range []string{"https://example.org:65535/", "http://example.org:1/", "https://example.org/"} {
			if res := a.post(upd, map[string]any{"id": made.AddMaterial.ID, "u": ok}, owner...); len(res.Errors) > 0 {
				t.Errorf("url %s refused: %+v", ok, res.Errors)
			}
		}
	})
}

// TestEveryAddressFieldChecked: the address rule holds on every input that
// stores a web address, whichever path writes it (a hostile review stored
// "javascript:alert(1)" as a pilot's sourceURL and a network's website,
// which the exports then wrote out): ent validates each stored address.
func TestEveryAddressFieldChecked(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		paths := []struct{ field, query, who string }{
			{"sourceURL", `mutation($u: String) { createPilot(input: {title: "p", sourceURL: $u}) { id } }`, "member"},
			{"sourceURL", `mutation($id: ID!, $u: String) { updatePilot(id: $id, input: {sourceURL: $u}) { id } }`, "member"},
			{"website", `mutation($u: String) { createNetwork(input: {name: "n", kind: PROGRAMME, website: $u}) { id } }`, "member"},
			{"sourceURL", `mutation($u: String) { createOperatingModel(input: {name: "m", sourceURL: $u}) { id } }`, "member"},
			{"url", `mutation($ws: ID!, $u: String) { postNotice(input: {workspaceId: $ws, title: "t", url: $u}) { id } }`, "owner"},
			{"onlineURL", `mutation($ws: ID!, $u: String) { createWorkshop(input: {workspaceId: $ws, title: "W", startsAt: "2030-01-01T10:00:00Z", capacity: 2, onlineURL: $u}) { id } }`, "owner"},
		}
		for _, path := range paths {
			for _, bad := range []string{"javascript:alert(1)", "not a url", "https://a:99999/", "https://a:0/", "https://u:p@a.fi/", "http://x:/"} {
				res := a.post(path.query, map[string]any{"u": bad, "id": w.Pilot, "ws": w.Workspace}, p.header(path.who)...)
				if len(res.Errors) != 1 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != path.field {
					t.Errorf("%.60s… with %q: %s %+v, want BAD_USER_INPUT on %s", path.query, bad, res.Data, res.Errors, path.field)
				}
			}
		}
	})
}
