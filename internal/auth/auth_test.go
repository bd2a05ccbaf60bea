package auth_test

import (
	"context"
	"testing"
	"time"

	_ "kokeilu/ent/runtime"
	"kokeilu/internal/auth"
	"kokeilu/internal/testdb"
)

func init() { auth.Params = auth.Argon2Params{Memory: 64, Time: 1, Threads: 1} }

func TestPasswordHashRoundTrip(t *testing.T) {
	hash, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batter": false, "": false} {
		if ok, err := auth.CheckPassword(hash, pw); err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v", pw, ok, err)
		}
	}
	if other, _ := auth.HashPassword("correct horse battery"); other == hash {
		t.Error("two hashes of one password are equal: no salt")
	}
}

// TestAdminsFromConfiguration: site administration follows KOKEILU_ADMINS
// at every start, both ways, with emails compared trimmed and lower-cased;
// registering a listed email while the server runs (anyone could) never
// makes an administrator.
func TestAdminsFromConfiguration(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()
		c := testdb.Open(t, b).Client
		start := func(admins ...string) *auth.Service {
			t.Helper()
			s, err := auth.NewService(c, time.Hour, admins)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SyncAdmins(ctx); err != nil {
				t.Fatal(err)
			}
			return s
		}
		isAdmin := func(s *auth.Service, token string) bool {
			t.Helper()
			v, err := s.Authenticate(ctx, token)
			if err != nil {
				t.Fatal(err)
			}
			return v.Admin
		}
		plain := start()
		early, err := plain.Register(ctx, "early@example.org", "long enough password", "Early")
		if err != nil {
			t.Fatal(err)
		}
		if early.User.IsAdmin || isAdmin(plain, early.Token) {
			t.Fatal("admin without configuration")
		}
		configured := start(" Early@Example.org ", "late@example.org")
		if !isAdmin(configured, early.Token) {
			t.Error("an existing listed account is not an admin after a start")
		}
		// A listed email without an account, registered by whoever comes
		// first (in another letter case, with spaces): no admin.
		late, err := configured.Register(ctx, "  LATE@example.org", "long enough password", "Late")
		if err != nil || late.User.IsAdmin || isAdmin(configured, late.Token) {
			t.Errorf("registering a listed email made an admin: %v", err)
		}
		other, err := configured.Register(ctx, "other@example.org", "long enough password", "Other")
		if err != nil || isAdmin(configured, other.Token) {
			t.Errorf("unconfigured account is admin: %v", err)
		}
		// The next start grants the listed account that now exists...
		again := start("early@example.org", "late@example.org")
		if !isAdmin(again, late.Token) || !isAdmin(again, early.Token) || isAdmin(again, other.Token) {
			t.Error("the next start did not follow the list")
		}
		// ...and a start without an email takes its rights away.
		revoked := start("late@example.org")
		if isAdmin(revoked, early.Token) || !isAdmin(revoked, late.Token) {
			t.Error("an email removed from the list kept its rights")
		}
		if none := start(); isAdmin(none, late.Token) {
			t.Error("an empty list left an admin")
		}
	})
}
