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
