package netgraph

import (
	"context"
	"sync"
	"time"

	"kokeilu/ent"
	"kokeilu/internal/cost"

	"golang.org/x/sync/singleflight"
)

// CostError reports work over a Budget as COST_LIMIT_EXCEEDED.
func CostError(measure string, work, limit int) error { return cost.Exceeded(measure, work, limit) }

// Service answers graph questions from a cache that is kept per data
// version.
//
// Why a version query: several instances may serve one PostgreSQL, and a
// write on one must not leave another serving an old graph. Each request
// therefore first reads the data version (Version: the data revision, one
// primary-key lookup) and uses the cache only when it matches; a write anywhere changes the version, so the next request on
// every instance rebuilds. No message bus is needed and a lost notification
// cannot leave a cache stale.
//
// Privacy: every source reads through ent with the request's context. All
// the entities in the graph (municipalities, organisations, networks,
// pilots, links, and operating models outside members-only workspaces) are
// public to read, so one cached graph serves every viewer; workspaces,
// whose contents may be members-only, are not part of the graph.
type Service struct {
	client  *ent.Client
	sources []Source
	Budget  Budget
	// MaxViews bounds the filtered views kept per version.
	MaxViews int

	// heavy admits one whole-graph computation (betweenness, PageRank,
	// eigenvector, communities) at a time per instance, so a query with
	// many aliased metrics queues (and times out) rather than start them
	// all at once. A computation stops at its request's deadline
	// (stop.go), and a request waits for the slot no longer than its own.
	heavy chan struct{}

	group   singleflight.Group
	mu      sync.Mutex
	version string
	base    *Graph
	views   map[string]*View
	order   []string // views in the order they were made, for eviction
}

// NewService returns a Service over client with the default sources.
func NewService(client *ent.Client) *Service {
	return &Service{client: client, sources: Sources, Budget: DefaultBudget, MaxViews: 64, heavy: make(chan struct{}, 1)}
}

// View is a filtered graph with its algorithm results computed once.
type View struct {
	*Graph
	once sync.Once
	u    *gonumGraph

	mu      sync.Mutex
	scores  map[Metric][]Score
	comm    *Communities
	comps   [][]*Node
	Version string
}

// NewView wraps g (for tests and tools that build graphs by hand).
func NewView(g *Graph) *View { return &View{Graph: g} }

func (v *View) gonum() *gonumGraph {
	v.once.Do(func() { v.u = newGonumGraph(v.Graph) })
	return v.u
}

// loadTimeout bounds building the whole graph; it is shared by the
// requests waiting for it, so it does not follow one request's deadline.
const loadTimeout = 60 * time.Second

// View returns the graph that f selects, from the cache when the data has
// not changed since it was made. A bad filter, or a region code or theme
// slug that does not exist, is BAD_USER_INPUT.
func (s *Service) View(ctx context.Context, f Filter) (*View, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	version, err := Version(ctx, s.client)
	if err != nil {
		return nil, err
	}
	key := f.key()
	s.mu.Lock()
	s.at(version)
	if v, ok := s.views[key]; ok {
		s.mu.Unlock()
		return v, nil
	}
	s.mu.Unlock()

	res, err, _ := s.group.Do(version+"\x00"+key, func() (any, error) {
		base, err := s.baseGraph(ctx, version)
		if err != nil {
			return nil, err
		}
		if err := f.known(base); err != nil {
			return nil, err
		}
		v := &View{Graph: Apply(base, f), Version: version}
		v.gonum() // built with the view, so requests find it ready
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.version == version {
			if len(s.order) >= s.MaxViews {
				delete(s.views, s.order[0])
				s.order = s.order[1:]
			}
			s.views[key] = v
			s.order = append(s.order, key)
		}
		return v, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*View), nil
}

// at drops the cache when version is not its (s.mu held).
func (s *Service) at(version string) {
	if s.version != version {
		s.version, s.base, s.views, s.order = version, nil, map[string]*View{}, nil
	}
}

// Nodes is the node count of the whole graph at the current data revision,
// which bounds every view's (internal/cost counts views by it): one
// primary-key lookup, and the graph's load once per revision, which every
// graph field needs anyway.
func (s *Service) Nodes(ctx context.Context) (int, error) {
	version, err := Version(ctx, s.client)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.at(version)
	s.mu.Unlock()
	base, err := s.baseGraph(ctx, version)
	if err != nil {
		return 0, err
	}
	return len(base.Nodes), nil
}

// baseGraph is the whole graph of version, loaded once.
func (s *Service) baseGraph(ctx context.Context, version string) (*Graph, error) {
	s.mu.Lock()
	if s.version == version && s.base != nil {
		defer s.mu.Unlock()
		return s.base, nil
	}
	s.mu.Unlock()
	res, err, _ := s.group.Do(version, func() (any, error) {
		// The viewer stays in the context (privacy); the deadline does not.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		defer cancel()
		g, err := Load(lctx, s.client, s.sources)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		if s.version == version {
			s.base = g
		}
		s.mu.Unlock()
		return g, nil
	})
	if err != nil {
		return nil, err
	}
	return res.(*Graph), nil
}

// Centrality ranks the view's nodes by metric, computed once per view.
func (s *Service) Centrality(ctx context.Context, v *View, metric Metric) ([]Score, error) {
	if metric == Degree || v.cached(metric) {
		return v.Centrality(ctx, metric, s.Budget)
	}
	release, err := s.admit(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return v.Centrality(ctx, metric, s.Budget)
}

// Communities partitions the view by modularity, computed once per view.
func (s *Service) Communities(ctx context.Context, v *View) (*Communities, error) {
	if c := v.cachedCommunities(); c != nil {
		return c, nil
	}
	release, err := s.admit(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return v.Communities(ctx, s.Budget)
}

// admit waits for the heavy slot, or for ctx to end.
func (s *Service) admit(ctx context.Context) (func(), error) {
	select {
	case s.heavy <- struct{}{}:
		return func() { <-s.heavy }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (v *View) cached(metric Metric) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	_, ok := v.scores[metric]
	return ok
}

func (v *View) cachedCommunities() *Communities {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.comm
}

// Centrality ranks the nodes by metric, computed once and then cached. The
// computation stops when ctx ends (ctx's error): it runs outside the
// view's lock, so a request asking the view for something else (degree, a
// cached metric) never waits for it.
func (v *View) Centrality(ctx context.Context, metric Metric, budget Budget) ([]Score, error) {
	v.mu.Lock()
	got, ok := v.scores[metric]
	v.mu.Unlock()
	if ok {
		return got, nil
	}
	got, err := v.centrality(ctx, metric, budget)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.scores == nil {
		v.scores = map[Metric][]Score{}
	}
	v.scores[metric] = got
	return got, nil
}

// Communities partitions the view by modularity, computed once and then
// cached; it stops when ctx ends, as Centrality.
func (v *View) Communities(ctx context.Context, budget Budget) (*Communities, error) {
	if c := v.cachedCommunities(); c != nil {
		return c, nil
	}
	c, err := v.communities(ctx, budget)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.comm = c
	return c, nil
}

// Components are the view's connected components, largest first.
func (v *View) Components() [][]*Node {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.comps == nil {
		v.comps = v.components()
	}
	return v.comps
}

// services holds one Service per database client, so the GraphQL
// resolvers and the HTTP exports of one server share one cache.
var services sync.Map // *ent.Client → *Service

// For returns the Service of client, making it on first use.
func For(client *ent.Client) *Service {
	if s, ok := services.Load(client); ok {
		return s.(*Service)
	}
	s, _ := services.LoadOrStore(client, NewService(client))
	return s.(*Service)
}
