package policy_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	_ "kokeilu/ent/runtime"
	"kokeilu/internal/auth"
	"kokeilu/internal/policy"
	"kokeilu/internal/testdb"
)

// recorder keeps the SQL of every query the client runs.
type recorder struct {
	dialect.Driver
	mu  sync.Mutex
	sql []string
}

func (r *recorder) Query(ctx context.Context, query string, args, v any) error {
	r.mu.Lock()
	r.sql = append(r.sql, fmt.Sprintf("%s %v", query, args))
	r.mu.Unlock()
	return r.Driver.Query(ctx, query, args, v)
}

func (r *recorder) last(t *testing.T, run func() error) string {
	t.Helper()
	r.mu.Lock()
	r.sql = nil
	r.mu.Unlock()
	if err := run(); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sql) != 1 {
		t.Fatalf("want one query, ran %d: %q", len(r.sql), r.sql)
	}
	return r.sql[0]
}

// TestWorkspaceContentMatchesReadRules: the query policy of a workspace's
// contents (WorkspaceContent) and the read rules that ScopeWhere adds to
// where filters (DiscussionVisible, …) must hide the same rows, so each
// policy-filtered query runs the same SQL as a policy-free query with the
// read rule, for anonymous, signed-in and admin viewers.
func TestWorkspaceContentMatchesReadRules(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		rec := &recorder{}
		db := testdb.Open(t, b, func(d dialect.Driver) dialect.Driver { rec.Driver = d; return rec })
		c := db.Client
		for _, v := range []*auth.Viewer{nil, {ID: 7}, {ID: 8, Admin: true}} {
			sameSQL(t, rec, v, "Discussion", c.Discussion.Query, policy.DiscussionVisible)
			sameSQL(t, rec, v, "Notice", c.Notice.Query, policy.NoticeVisible)
			sameSQL(t, rec, v, "Material", c.Material.Query, policy.MaterialVisible)
			sameSQL(t, rec, v, "Survey", c.Survey.Query, policy.SurveyVisible)
			sameSQL(t, rec, v, "Workshop", c.Workshop.Query, policy.WorkshopVisible)
		}
	})
}

// sameSQL compares a query of v, filtered by its policy, with the same
// query in a system context filtered by visible (by nothing for site
// administrators, who read everything).
func sameSQL[Q interface {
	Where(...P) Q
	IDs(context.Context) ([]int, error)
}, P any](t *testing.T, rec *recorder, v *auth.Viewer, name string, query func() Q, visible func(*auth.Viewer) P) {
	t.Helper()
	ctx := context.Background()
	if v != nil {
		ctx = auth.WithViewer(ctx, v)
	}
	got := rec.last(t, func() error { _, err := query().IDs(ctx); return err })
	want := rec.last(t, func() error {
		q := query()
		if v == nil || !v.Admin {
			q = q.Where(visible(v))
		}
		_, err := q.IDs(auth.System(ctx))
		return err
	})
	if got != want {
		t.Errorf("%s, viewer %+v: the policy runs\n%s\nthe read rule\n%s", name, v, got, want)
	}
}
