package analytics

import (
	"context"
	"sync"

	"kokeilu/ent"

	"github.com/99designs/gqlgen/graphql"
)

// Memo is a gqlgen extension that gives every response a memo, so that a
// list of regions asking each for its pilots' totalCount runs one count
// for all of them (AreaCounts), not one per region. Per response, not per
// operation: a subscription is one operation whose events are answered
// over hours, each with the counts of its own time.
type Memo struct{}

var (
	_ graphql.HandlerExtension    = Memo{}
	_ graphql.ResponseInterceptor = Memo{}
)

func (Memo) ExtensionName() string                   { return "AnalyticsMemo" }
func (Memo) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse puts a fresh memo in the response's context.
func (Memo) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	return next(context.WithValue(ctx, memoKey{}, &memo{calls: map[string]*areaCall{}}))
}

type memoKey struct{}

type memo struct {
	mu    sync.Mutex
	calls map[string]*areaCall
}

type areaCall struct {
	once   sync.Once
	counts map[string]int
	err    error
}

// AreaCounts returns the number of pilots matching where in each area of
// dim (by code), computed once per operation and key: key names the place
// in the query (the same for every item of a list), so the items share
// one statement.
func AreaCounts(ctx context.Context, client *ent.Client, key string, where *ent.PilotWhereInput, dim Dimension) (map[string]int, error) {
	count := func() (map[string]int, error) {
		s, err := Count(ctx, client, where, []Dimension{dim}, false)
		if err != nil {
			return nil, err
		}
		counts := make(map[string]int, len(s.Buckets))
		for _, b := range s.Buckets {
			counts[b.Keys[0].Code] = b.Pilots
		}
		return counts, nil
	}
	m, ok := ctx.Value(memoKey{}).(*memo)
	if !ok {
		return count()
	}
	m.mu.Lock()
	c := m.calls[key]
	if c == nil {
		c = &areaCall{}
		m.calls[key] = c
	}
	m.mu.Unlock()
	c.once.Do(func() { c.counts, c.err = count() })
	return c.counts, c.err
}
