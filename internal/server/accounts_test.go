package server_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"kokeilu/internal/testdb"
)

const registerMutation = `mutation($email: String!, $password: String!, $name: String!) {
	register(input: {email: $email, password: $password, displayName: $name}) { token expiresAt user { id displayName email } }
}`

type authPayload struct {
	Token     string
	ExpiresAt time.Time
	User      struct {
		ID          string
		DisplayName string
		Email       *string
	}
}

// register signs up a user and returns its token and ID.
func (a *api) register(email, name string) (token, id string) {
	a.t.Helper()
	var got struct{ Register authPayload }
	a.query(&got, registerMutation, map[string]any{"email": email, "password": "correct horse battery", "name": name})
	return got.Register.Token, got.Register.User.ID
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

func TestRegisterLoginViewerLogout(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		var reg struct{ Register authPayload }
		a.query(&reg, registerMutation, map[string]any{"email": "  Liisa.Virtanen@Example.FI ", "password": "correct horse battery", "name": "Liisa"})
		r := reg.Register
		if !strings.HasPrefix(r.Token, "kk_") || len(r.Token) < 40 || r.User.Email == nil || *r.User.Email != "liisa.virtanen@example.fi" {
			t.Fatalf("register: %+v", r)
		}
		if d := time.Until(r.ExpiresAt); d < 29*24*time.Hour || d > 31*24*time.Hour {
			t.Errorf("token expires in %v, want 30 days", d)
		}
		// The token, as a header, makes the viewer; without it there is none.
		var v struct {
			Viewer *struct {
				ID, DisplayName string
				Email           *string
			}
		}
		a.query(&v, `{ viewer { id displayName email } }`, nil, bearer(r.Token)...)
		if v.Viewer == nil || v.Viewer.ID != r.User.ID || v.Viewer.Email == nil {
			t.Fatalf("viewer: %+v", v.Viewer)
		}
		a.query(&v, `{ viewer { id } }`, nil)
		if v.Viewer != nil {
			t.Errorf("anonymous viewer: %+v", v.Viewer)
		}
		// Email is unique whatever its case, and visible to its owner alone.
		if e := a.fail("CONFLICT", registerMutation, map[string]any{"email": "LIISA.virtanen@example.fi", "password": "another long password", "name": "L2"}); e.Message == "" {
			t.Error("no message")
		}
		other, _ := a.register("matti@example.fi", "Matti")
		var node struct {
			Node struct{ Email *string }
		}
		a.query(&node, `query($id: ID!) { node(id: $id) { ... on User { email } } }`, map[string]any{"id": r.User.ID}, bearer(other)...)
		if node.Node.Email != nil {
			t.Errorf("another user sees the email %q", *node.Node.Email)
		}
		// Login with any case of the email; a wrong password and an unknown
		// email fail alike.
		var login struct{ Login authPayload }
		a.query(&login, `mutation { login(input: {email: "LIISA.VIRTANEN@example.fi", password: "correct horse battery"}) { token user { id } } }`, nil)
		if login.Login.User.ID != r.User.ID || login.Login.Token == r.Token {
			t.Errorf("login: %+v", login.Login)
		}
		wrong := a.fail("UNAUTHENTICATED", `mutation { login(input: {email: "liisa.virtanen@example.fi", password: "wrong password!"}) { token } }`, nil)
		unknown := a.fail("UNAUTHENTICATED", `mutation { login(input: {email: "nobody@example.fi", password: "wrong password!"}) { token } }`, nil)
		if wrong.Message != unknown.Message {
			t.Errorf("login tells registered (%q) from unknown (%q) emails", wrong.Message, unknown.Message)
		}
		// Logout revokes that token only.
		var out struct{ Logout bool }
		a.query(&out, `mutation { logout }`, nil, bearer(r.Token)...)
		if !out.Logout {
			t.Error("logout returned false")
		}
		res := a.post(`{ viewer { id } }`, nil, bearer(r.Token)...)
		if res.Status != 401 || len(res.Errors) == 0 || res.Errors[0].code() != "UNAUTHENTICATED" {
			t.Errorf("revoked token: status %d, %+v", res.Status, res.Errors)
		}
		a.query(&v, `{ viewer { id } }`, nil, bearer(login.Login.Token)...)
		if v.Viewer == nil {
			t.Error("logout revoked the other session too")
		}
		a.fail("UNAUTHENTICATED", `mutation { logout }`, nil)
		if res := a.post(`{ viewer { id } }`, nil, "Authorization", "Basic abc"); res.Status != 401 {
			t.Errorf("Basic auth: status %d", res.Status)
		}
	})
}

func TestRegisterRejectsBadInput(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		for _, c := range []struct{ email, password, name, field string }{
			{"not-an-email", "long enough password", "X", "email"},
			{"a@b", "long enough password", "X", "email"},
			{"Name <a@example.org>", "long enough password", "X", "email"},
			{"a@example.org", "short", "X", "password"},
			{"a@example.org", "long enough password", "   ", "displayName"},
			{"a@example.org", "long enough password", strings.Repeat("x", 101), "displayName"},
		} {
			e := a.fail("BAD_USER_INPUT", registerMutation, map[string]any{"email": c.email, "password": c.password, "name": c.name})
			if e.Extensions["field"] != c.field {
				t.Errorf("%+v: field %v", c, e.Extensions["field"])
			}
		}
		var n struct{ Viewer *struct{ ID string } }
		a.query(&n, `{ viewer { id } }`, nil) // the API still answers
	})
}

func TestTokensExpire(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		a.accounts.SetTTL(300 * time.Millisecond)
		token, _ := a.register("short@example.org", "Short")
		var v struct{ Viewer *struct{ ID string } }
		a.query(&v, `{ viewer { id } }`, nil, bearer(token)...)
		if v.Viewer == nil {
			t.Fatal("fresh token refused")
		}
		time.Sleep(400 * time.Millisecond)
		if res := a.post(`{ viewer { id } }`, nil, bearer(token)...); res.Status != 401 || res.Errors[0].code() != "UNAUTHENTICATED" {
			t.Errorf("expired token: %d %+v", res.Status, res.Errors)
		}
	})
}

func TestLoginThrottling(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		a.accounts.LimitLogins(2, 5, 20*time.Millisecond, time.Minute)
		a.register("target@example.org", "Target")
		const bad = `mutation { login(input: {email: "target@example.org", password: "guess guess guess"}) { token } }`
		var took []time.Duration
		for i := 0; i < 5; i++ {
			start := time.Now()
			a.fail("UNAUTHENTICATED", bad, nil)
			took = append(took, time.Since(start))
		}
		// Attempts past the second failure are slowed down.
		if took[4] < 40*time.Millisecond {
			t.Errorf("5th attempt took %v, want it slowed", took[4])
		}
		// Then refused from this address, even with the right password, for
		// a while (other addresses: TestLoginIsNoLockOutTool).
		a.fail("RATE_LIMITED", `mutation { login(input: {email: "target@example.org", password: "correct horse battery"}) { token } }`, nil)
	})
}

// TestConcurrentJoinsMakeOneMembership sends 20 joinWorkspace calls of one
// user at once: one membership results, the others get CONFLICT.
func TestConcurrentJoinsMakeOneMembership(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		token, _ := a.register("eager@example.org", "Eager")
		var ws struct{ Workspace struct{ ID string } }
		a.query(&ws, `{ workspace(slug: "kokeilevat-kunnat-ja-alueet") { id } }`, nil)
		var wg sync.WaitGroup
		codes := make([]string, 20)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = "no response"
				res := a.post(`mutation($id: ID!) { joinWorkspace(workspaceId: $id) { role } }`, map[string]any{"id": ws.Workspace.ID}, bearer(token)...)
				switch {
				case res.Status >= 500:
					codes[i] = fmt.Sprint("status ", res.Status)
				case len(res.Errors) > 0:
					codes[i] = res.Errors[0].code()
				default:
					codes[i] = "OK"
				}
				if codes[i] != "OK" && codes[i] != "CONFLICT" {
					t.Logf("response: %d %s %+v", res.Status, res.Data, res.Errors)
				}
			}()
		}
		wg.Wait()
		ok := 0
		for _, c := range codes {
			switch c {
			case "OK":
				ok++
			case "CONFLICT":
			default:
				t.Errorf("unexpected outcome %s", c)
			}
		}
		var got struct {
			Workspace struct{ Memberships struct{ TotalCount int } }
		}
		a.query(&got, `{ workspace(slug: "kokeilevat-kunnat-ja-alueet") { memberships { totalCount } } }`, nil)
		if ok != 1 || got.Workspace.Memberships.TotalCount != 1 {
			t.Errorf("%d joins succeeded, %d memberships; outcomes %v", ok, got.Workspace.Memberships.TotalCount, codes)
		}
	})
}
