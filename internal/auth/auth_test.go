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

// TestAdminsFromConfiguration: an account named in KOKEILU_ADMINS is an
// administrator when it registers, and an existing one becomes one at the
// next start; nobody else is.
func TestAdminsFromConfiguration(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		ctx := context.Background()
		c := testdb.Open(t, b).Client
		plain, err := auth.NewService(c, time.Hour, nil)
		if err != nil {
			t.Fatal(err)
		}
		early, err := plain.Register(ctx, "early@example.org", "long enough password", "Early")
		if err != nil {
			t.Fatal(err)
		}
		if early.User.IsAdmin {
			t.Fatal("admin without configuration")
		}
		configured, err := auth.NewService(c, time.Hour, []string{"Early@Example.org", "late@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		if err := configured.PromoteAdmins(ctx); err != nil {
			t.Fatal(err)
		}
		v, err := configured.Authenticate(ctx, early.Token)
		if err != nil || !v.Admin {
			t.Errorf("existing account after a start with KOKEILU_ADMINS: %+v %v", v, err)
		}
		late, err := configured.Register(ctx, "late@example.org", "long enough password", "Late")
		if err != nil || !late.User.IsAdmin {
			t.Errorf("configured account registering: %v", err)
		}
		other, err := configured.Register(ctx, "other@example.org", "long enough password", "Other")
		if err != nil || other.User.IsAdmin {
			t.Errorf("unconfigured account is admin: %v", err)
		}
	})
}
