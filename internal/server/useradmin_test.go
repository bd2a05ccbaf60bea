package server_test

import (
	"testing"

	"kokeilu/internal/testdb"
)

// TestIsAdminVisibility: User.isAdmin is the user's own and site
// administrators' to see; anyone else gets null.
func TestIsAdminVisibility(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		adminToken, adminID := a.siteAdmin("Ylläpitäjä")
		userToken, userID := a.register("tavallinen@example.org", "Tavallinen")
		const q = `query($id: ID!) { node(id: $id) { ... on User { displayName isAdmin } } }`
		for _, tc := range []struct {
			name   string
			token  string
			id     string
			wanted string
		}{
			{"anonymous about the admin", "", adminID, "null"},
			{"a user about the admin", userToken, adminID, "null"},
			{"the admin about itself", adminToken, adminID, "true"},
			{"a user about itself", userToken, userID, "false"},
			{"the admin about a user", adminToken, userID, "false"},
		} {
			var header []string
			if tc.token != "" {
				header = bearer(tc.token)
			}
			var got struct {
				Node struct {
					DisplayName string
					IsAdmin     *bool
				}
			}
			a.query(&got, q, map[string]any{"id": tc.id}, header...)
			if got.Node.DisplayName == "" {
				t.Fatalf("%s: the user is not readable", tc.name)
			}
			s := "null"
			if got.Node.IsAdmin != nil {
				s = map[bool]string{true: "true", false: "false"}[*got.Node.IsAdmin]
			}
			if s != tc.wanted {
				t.Errorf("%s: isAdmin %s, want %s", tc.name, s, tc.wanted)
			}
		}
	})
}
