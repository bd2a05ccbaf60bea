package server_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"

	"pgregory.net/rapid"
)

// idVariants are other spellings of the ID of n: each decoded to n before
// IDs had one form.
func idVariants(n string) []string {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	canon := enc("k1:" + n)
	return []string{
		base64.URLEncoding.EncodeToString([]byte("k1:" + n)), // padded
		base64.StdEncoding.EncodeToString([]byte("k1:" + n)),
		enc("k1:0" + n), enc("k1:+" + n), enc("k1:00" + n),
		" " + canon, canon + "\n", canon[:2] + "\r\n" + canon[2:],
	}
}

// TestIDsHaveOneForm: through node, nodes, a where filter and a mutation,
// an ID is accepted only as the server writes it. Random edits of a real
// ID (and the known other spellings) are either that canonical form of
// some number, resolving to nothing or to the object with exactly that
// ID, or refused with BAD_USER_INPUT on the field; never INTERNAL, never
// another object.
func TestIDsHaveOneForm(t *testing.T) {
	rapidChecks(t)
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		token, _ := a.register("ids@example.org", "Ids")
		h := bearer(token)
		var created struct{ CreatePilot struct{ ID string } }
		a.query(&created, `mutation { createPilot(input: {title: "One form"}) { id } }`, nil, h...)
		id := created.CreatePilot.ID
		// check sends s through every kind of ID input.
		check := func(t interface{ Fatalf(string, ...any) }, s string) {
			_, decodeErr := scalar.DecodeID(s)
			canonical := decodeErr == nil
			for _, c := range []struct{ name, query, field string }{
				{"node", `query($id: ID!) { node(id: $id) { id } }`, "id"},
				{"nodes", `query($id: ID!) { nodes(ids: [$id]) { id } }`, "ids"},
				{"idIn", `query($id: ID!) { pilots(where: {idIn: [$id]}) { nodes { id } } }`, "idIn"},
				{"updatePilot", `mutation($id: ID!) { updatePilot(id: $id, input: {summary: "s"}) { id } }`, "id"},
			} {
				res := a.post(c.query, map[string]any{"id": s}, h...)
				if res.Status >= 500 {
					t.Fatalf("%s %q: status %d", c.name, s, res.Status)
				}
				if !canonical {
					if len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != c.field {
						t.Fatalf("%s %q (not canonical): want BAD_USER_INPUT on %s, got %s %+v", c.name, s, c.field, res.Data, res.Errors)
					}
					continue
				}
				for _, e := range res.Errors {
					if code := e.code(); code != "NOT_FOUND" && code != "FORBIDDEN" {
						t.Fatalf("%s %q (canonical): %+v", c.name, s, res.Errors)
					}
				}
				// Any ID in the answer is the one asked for.
				var found []string
				var walk func(v any)
				walk = func(v any) {
					switch v := v.(type) {
					case map[string]any:
						for k, x := range v {
							if k == "id" {
								found = append(found, x.(string))
							} else {
								walk(x)
							}
						}
					case []any:
						for _, x := range v {
							walk(x)
						}
					}
				}
				var data any
				_ = json.Unmarshal(res.Data, &data)
				walk(data)
				for _, f := range found {
					if f != s {
						t.Fatalf("%s %q resolved to %s", c.name, s, f)
					}
				}
			}
		}
		check(t, id) // the real one resolves
		var got struct{ Node struct{ ID string } }
		a.query(&got, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id})
		if got.Node.ID != id {
			t.Fatalf("node(%q) = %q", id, got.Node.ID)
		}
		for _, v := range idVariants(strings.TrimPrefix(string(must(base64.RawURLEncoding.DecodeString(id))), "k1:")) {
			check(t, v)
		}
		alphabet := []rune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= \t\n")
		rapid.Check(t, func(rt *rapid.T) {
			s := []rune(id)
			for range rapid.IntRange(1, 3).Draw(rt, "edits") {
				i := rapid.IntRange(0, len(s)).Draw(rt, "at")
				r := rapid.SampledFrom(alphabet).Draw(rt, "rune")
				switch op := rapid.IntRange(0, 2).Draw(rt, "op"); {
				case op == 0 || i == len(s):
					s = append(s[:i:i], append([]rune{r}, s[i:]...)...)
				case op == 1:
					s = append(s[:i:i], s[i+1:]...)
				default:
					s[i] = r
				}
			}
			check(rt, string(s))
		})
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
