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
			ctx := context.Background()
			if v != nil {
				ctx = auth.WithViewer(ctx, v)
			}
			sys := auth.System(ctx)
			all := v != nil && v.Admin // site administrators read everything
			for _, k := range []struct {
				name             string
				policed, bywhere func() error
			}{
				{"Discussion", func() error { _, err := c.Discussion.Query().All(ctx); return err }, func() error {
					q := c.Discussion.Query()
					if !all {
						q.Where(policy.DiscussionVisible(v))
					}
					_, err := q.All(sys)
					return err
				}},
				{"Notice", func() error { _, err := c.Notice.Query().All(ctx); return err }, func() error {
					q := c.Notice.Query()
					if !all {
						q.Where(policy.NoticeVisible(v))
					}
					_, err := q.All(sys)
					return err
				}},
				{"Material", func() error { _, err := c.Material.Query().All(ctx); return err }, func() error {
					q := c.Material.Query()
					if !all {
						q.Where(policy.MaterialVisible(v))
					}
					_, err := q.All(sys)
					return err
				}},
				{"Survey", func() error { _, err := c.Survey.Query().All(ctx); return err }, func() error {
					q := c.Survey.Query()
					if !all {
						q.Where(policy.SurveyVisible(v))
					}
					_, err := q.All(sys)
					return err
				}},
				{"Workshop", func() error { _, err := c.Workshop.Query().All(ctx); return err }, func() error {
					q := c.Workshop.Query()
					if !all {
						q.Where(policy.WorkshopVisible(v))
					}
					_, err := q.All(sys)
					return err
				}},
			} {
				got, want := rec.last(t, k.policed), rec.last(t, k.bywhere)
				if got != want {
					t.Errorf("%s, viewer %+v: the policy runs\n%s\nthe read rule\n%s", k.name, v, got, want)
				}
			}
		}
	})
}
