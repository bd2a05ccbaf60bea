package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"kokeilu/ent/pilot"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/testdb"
)

// nfd is "Pyhäjärven" with each ä as a and a combining diaeresis (NFD);
// nfc is the same text precomposed.
const (
	nfd = "Pyha\u0308ja\u0308rven"
	nfc = "Pyhäjärven"
)

// TestTextInputIsChecked sends U+0000 through every kind of GraphQL text
// input — a literal argument, a variable, a filter, a mutation input field,
// a list element, a search, a sign-in — and invalid UTF-8 in a query
// literal: each is BAD_USER_INPUT naming the field, on both databases
// (PostgreSQL answered INTERNAL, SQLite stored it).
func TestTextInputIsChecked(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		nul := "a\x00b"
		for _, c := range []struct {
			name, query string
			vars        map[string]any
			field       string
		}{
			{"literal argument", `{ pilot(slug: "a\u0000b") { id } }`, nil, "slug"},
			{"variable argument", `query($s: String!) { workspace(slug: $s) { id } }`, map[string]any{"s": nul}, "slug"},
			{"filter literal", `{ pilots(where: {titleContains: "x\u0000"}) { totalCount } }`, nil, "titleContains"},
			{"filter variable", `query($w: PilotWhereInput) { pilots(where: $w) { totalCount } }`, map[string]any{"w": map[string]any{"or": []any{map[string]any{"titleContainsFold": nul}}}}, "titleContainsFold"},
			{"mutation input", `mutation($s: String!) { createPilot(input: {title: $s}) { id } }`, map[string]any{"s": nul}, "title"},
			{"custom input", `mutation($ws: ID!, $s: String) { postNotice(input: {workspaceId: $ws, title: "t", body: $s}) { id } }`, map[string]any{"ws": w.Workspace, "s": nul}, "body"},
			{"list element", `mutation($ws: ID!, $c: [String!]) { createSurvey(input: {workspaceId: $ws, title: "t", questions: [{kind: SINGLE_CHOICE, text: "q", choices: $c}]}) { id } }`, map[string]any{"ws": w.Workspace, "c": []string{"ok", nul}}, "choices"},
			{"search", `query($q: String!) { search(query: $q) { totalCount } }`, map[string]any{"q": nul}, "query"},
			{"sign-in", `mutation($e: String!) { login(input: {email: $e, password: "whatever whatever"}) { token } }`, map[string]any{"e": "member@example.org\x00"}, "email"},
			{"number for a String in an input", `query($w: PilotWhereInput) { pilots(where: $w) { totalCount } }`, map[string]any{"w": map[string]any{"titleContains": 5}}, "titleContains"},
			{"101 IDs", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": slices.Repeat([]string{w.Workspace}, 101)}, "ids"},
			{"bogus ID", `{ node(id: "bogus") { id } }`, nil, "id"},
			{"bogus time", `{ pilots(where: {createdAtGT: "yesterday"}) { totalCount } }`, nil, "createdAtGT"},
			{"bogus date variable", `query($d: Date) { pilots(where: {startsOnGT: $d}) { totalCount } }`, map[string]any{"d": "2020-13-01"}, "startsOnGT"},
		} {
			res := a.post(c.query, c.vars, p.header("owner")...)
			if res.Status >= 500 || len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != c.field {
				t.Errorf("%s: want BAD_USER_INPUT on %s, got %d %+v", c.name, c.field, res.Status, res.Errors)
			}
		}
		// Invalid UTF-8 cannot come through JSON (decoders replace it), but
		// it can in a query literal sent with GET.
		res, err := http.Get(a.srv.URL + "/query?query=" + url.QueryEscape(`{ pilots(where: {titleContains: "a`+"\xff"+`b"}) { totalCount } }`))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var out response
		_ = json.Unmarshal(body, &out)
		if res.StatusCode >= 500 || len(out.Errors) == 0 || out.Errors[0].code() != "BAD_USER_INPUT" || out.Errors[0].Extensions["field"] != "titleContains" {
			t.Errorf("invalid UTF-8 in a literal: %d %s", res.StatusCode, body)
		}
		// Nothing was stored (U+FFFD is refused as input now, so the
		// database is asked directly).
		n, err := a.db.Client.Pilot.Query().Where(pilot.TitleContains("\ufffd")).Count(auth.System(t.Context()))
		if err != nil || n != 0 {
			t.Errorf("%d pilots with U+FFFD stored (%v)", n, err)
		}
	})
}

// TestTextIsNFC: text is stored, filtered and searched in NFC, so an NFD
// title makes the same slug and is found by either form.
func TestTextIsNFC(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		var created struct{ CreatePilot struct{ Title, Slug string } }
		a.query(&created, `mutation($t: String!) { createPilot(input: {title: $t}) { title slug } }`, map[string]any{"t": nfd + " kokeilu"}, p.header("member")...)
		if created.CreatePilot.Title != nfc+" kokeilu" || created.CreatePilot.Slug != "pyhajarven-kokeilu" {
			t.Errorf("NFD title stored as %q, slug %q", created.CreatePilot.Title, created.CreatePilot.Slug)
		}
		for _, q := range []string{nfd, nfc} {
			var got struct{ Pilots struct{ TotalCount int } }
			a.query(&got, `query($q: String!) { pilots(where: {titleContains: $q}) { totalCount } }`, map[string]any{"q": q})
			if got.Pilots.TotalCount != 1 {
				t.Errorf("titleContains %+q: %d pilots", q, got.Pilots.TotalCount)
			}
			var found struct{ Search struct{ TotalCount int } }
			a.query(&found, `query($q: String!) { search(query: $q, types: [PILOT]) { totalCount } }`, map[string]any{"q": q})
			if found.Search.TotalCount != 1 {
				t.Errorf("search %+q: %d hits", q, found.Search.TotalCount)
			}
		}
	})
}

// TestTextLimitsCountCharacters: each limit counts characters, so a title
// of 101 × "ä" (202 bytes) is under the limit of 200, and 201 are over it,
// refused in our words naming the field — for hand-written inputs
// (postNotice), ent's generated ones (createPilot) and registration.
func TestTextLimitsCountCharacters(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		ä := func(n int) string { return strings.Repeat("ä", n) }
		for _, c := range []struct {
			name, query string
			vars        map[string]any
			field       string
			limit       int
		}{
			{"notice title", `mutation($ws: ID!, $s: String!) { postNotice(input: {workspaceId: $ws, title: $s}) { id } }`, map[string]any{"ws": w.Workspace}, "title", 200},
			{"discussion title", `mutation($ws: ID!, $s: String!) { startDiscussion(input: {workspaceId: $ws, title: $s, body: "b"}) { id } }`, map[string]any{"ws": w.Workspace}, "title", 200},
			{"pilot title", `mutation($s: String!) { createPilot(input: {title: $s}) { id } }`, map[string]any{}, "title", 300},
			{"workshop place", `mutation($ws: ID!, $s: String) { createWorkshop(input: {workspaceId: $ws, title: "t", startsAt: "2030-01-01T10:00:00Z", capacity: 5, place: $s}) { id } }`, map[string]any{"ws": w.Workspace}, "place", 300},
		} {
			for _, n := range []int{c.limit/2 + 1, c.limit, c.limit + 1} {
				c.vars["s"] = ä(n)
				res := a.post(c.query, c.vars, p.header("owner")...)
				switch {
				case n <= c.limit && len(res.Errors) > 0:
					t.Errorf("%s of %d characters (%d bytes) refused: %+v", c.name, n, 2*n, res.Errors)
				case n > c.limit && (len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != c.field ||
					!strings.Contains(res.Errors[0].Message, "at most")):
					t.Errorf("%s of %d characters: want BAD_USER_INPUT on %s in our words, got %+v", c.name, n, c.field, res.Errors)
				}
			}
		}
		var reg struct{ Register authPayload }
		a.query(&reg, registerMutation, map[string]any{"email": "umlaut@example.org", "password": "correct horse battery", "name": ä(100)})
		e := a.fail("BAD_USER_INPUT", registerMutation, map[string]any{"email": "umlaut2@example.org", "password": "correct horse battery", "name": ä(101)})
		if e.Extensions["field"] != "displayName" || !strings.Contains(e.Message, "at most 100") {
			t.Errorf("101-character display name: %+v", e)
		}
	})
}

// TestLimitsAreDescribed: the schema states the limits it enforces.
func TestLimitsAreDescribed(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	var got struct {
		Type struct {
			InputFields []struct{ Name, Description string }
		} `json:"__type"`
	}
	for input, want := range map[string]string{"PostNoticeInput": "title", "CreatePilotInput": "title"} {
		a.query(&got, `query($n: String!) { __type(name: $n) { inputFields { name description } } }`, map[string]any{"n": input})
		found := false
		for _, f := range got.Type.InputFields {
			if f.Name == want {
				found = strings.Contains(f.Description, "characters")
			}
		}
		if !found {
			t.Errorf("%s.%s: no limit in its description: %+v", input, want, got.Type.InputFields)
		}
	}
}
