package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"kokeilu/ent"
	"kokeilu/internal/auth"
	"kokeilu/internal/fault"
	"kokeilu/internal/lang"
	"kokeilu/internal/noticeboard"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// renderWorkers render subscription events and queue them on their
// sockets' outboxes; they never write to a connection, so a client that
// does not read holds none of them. A fixed pool keeps its grown stacks;
// a goroutine per event would grow a fresh one each time.
const renderWorkers = 64

// subscription is one operation started on a socket. For the notice board
// it is the socket's noticeboard.Delivery: the board wakes it when a
// notice waits on its channel, and a render worker drains it.
type subscription struct {
	s      *socket
	id     string
	cancel context.CancelFunc

	mu        sync.Mutex
	responses graphql.ResponseHandler
	ctx       context.Context
	items     <-chan *ent.Notice // the board's channel (Attach)
	group     *renderGroup       // renders items; nil: responses does
	ready     int                // items waiting on the channel
	draining  bool               // a worker is rendering them
	stopped   bool               // the client stopped it: send no complete
	ended     bool               // its last message (complete or error) is decided
}

var _ noticeboard.Delivery = (*subscription)(nil)

// Feed is nil: a socket's subscription joins the board.
func (sub *subscription) Feed() <-chan *ent.Notice { return nil }

// Attach keeps the board's channel, for a render group to read from.
func (sub *subscription) Attach(items <-chan *ent.Notice) {
	sub.mu.Lock()
	sub.items = items
	sub.mu.Unlock()
}

// Wake is called by the board after each notice it puts on the channel
// (and after closing it): a render worker drains the subscription.
func (sub *subscription) Wake() {
	sub.mu.Lock()
	sub.ready++
	start := sub.responses != nil && !sub.draining
	if start {
		sub.draining = true
	}
	sub.mu.Unlock()
	if start {
		s := sub.s
		select {
		case s.t.drains <- func() { s.drain(sub) }:
		default: // the queue is full: never block the notice board
			goSafe(s.ctx, "render", func() { s.drain(sub) })
		}
	}
}

// Overflow ends the socket with 1013: its client fell behind.
func (sub *subscription) Overflow(reason string) { sub.s.tooSlow(reason) }

// run executes an operation: a query or mutation sends its result and
// completes; a subscription is handed to the notice board, whose wakes
// have its events rendered.
func (s *socket) run(ctx context.Context, sub *subscription, payload json.RawMessage) {
	defer s.recoverOperation(sub)
	params := &graphql.RawParams{Headers: s.headers}
	if err := json.Unmarshal(payload, params); err != nil {
		s.fail(sub, gqlerror.List{{Message: "the payload is not a GraphQL request (query, variables, operationName)",
			Extensions: map[string]any{"code": fault.BadUserInput}}})
		return
	}
	start := graphql.Now()
	params.ReadTime = graphql.TraceTiming{Start: start, End: start}
	ctx = graphql.StartOperationTrace(ctx)
	rc, errs := s.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		// Refused before execution (parse, validation, variables): graphql-ws's error message.
		s.fail(sub, s.exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs).Errors)
		return
	}
	ctx = graphql.WithOperationContext(ctx, rc)
	live := rc.Operation != nil && rc.Operation.Operation == ast.Subscription
	if live {
		ctx = noticeboard.WithDelivery(ctx, sub)
	}
	responses, ctx := s.exec.DispatchOperation(ctx, rc)
	if !live { // a query or mutation over the socket: one result
		for resp := responses(ctx); resp != nil; resp = responses(ctx) {
			s.sendResponse(sub.id, resp)
		}
		s.finish(sub, true)
		return
	}
	sub.mu.Lock()
	joined := sub.items != nil
	sub.mu.Unlock()
	if !joined {
		// The resolver refused before joining the board (bad arguments, no
		// such workspace): the handler holds its errors.
		if resp := responses(ctx); resp != nil && len(resp.Errors) > 0 {
			s.fail(sub, resp.Errors)
			return
		}
		s.finish(sub, true)
		return
	}
	var group *renderGroup
	if !resumes(rc) && ctx.Err() == nil {
		group = s.t.join(s.ctx, params)
	}
	sub.mu.Lock()
	sub.responses, sub.ctx, sub.group = responses, ctx, group
	pending := sub.ready > 0 && !sub.draining
	if pending {
		sub.draining = true
	}
	sub.mu.Unlock()
	if ctx.Err() != nil && !pending {
		s.finish(sub, true)
		return
	}
	if pending {
		s.drain(sub)
	}
}

// recoverOperation answers an operation whose work panicked with INTERNAL;
// the socket and its other operations go on.
func (s *socket) recoverOperation(sub *subscription) {
	if p := recover(); p != nil {
		s.fail(sub, gqlerror.List{panicked(s.ctx, "socket operation "+sub.id, p)})
	}
}

// drain renders the items waiting on the subscription's channel, in
// order, and queues them on the socket; a nil response means the stream
// ended.
func (s *socket) drain(sub *subscription) {
	defer s.recoverOperation(sub)
	if !s.sessionLives() {
		return
	}
	for {
		sub.mu.Lock()
		if sub.ready == 0 || sub.ended {
			sub.draining = false
			sub.mu.Unlock()
			return
		}
		sub.ready--
		group, items := sub.group, sub.items
		sub.mu.Unlock()
		if group != nil {
			n, ok := <-items // ready: never blocks
			if !ok {
				s.finish(sub, false)
				return
			}
			payload, err := group.render(s.ctx, n)
			if err != nil {
				s.t.discard(group)
				s.fail(sub, gqlerror.List{err})
				return
			}
			s.sendPayload(sub.id, payload)
			continue
		}
		resp := sub.responses(sub.ctx)
		if resp == nil {
			s.finish(sub, false)
			return
		}
		s.sendResponse(sub.id, resp)
	}
}

// resumes tells whether an operation asks for a replay (an "after"
// argument with a value): such a subscription is rendered on its own.
func resumes(rc *graphql.OperationContext) bool {
	for _, sel := range rc.Operation.SelectionSet {
		if f, ok := sel.(*ast.Field); ok && f.ArgumentMap(rc.Variables)["after"] != nil {
			return true
		}
	}
	return false
}

// renderGroup renders each notice once for all live subscriptions with
// the same operation, variables, viewer and language — they would get
// the same bytes — instead of once per socket. Each member keeps its own
// board subscription (visibility, order, buffer, cut-off); the group only
// turns a notice into its payload, through a gqlgen execution of its own
// whose subscription reads the group's feed: to the board, the group is a
// Delivery with a Feed.
type renderGroup struct {
	key     string
	members int

	mu        sync.Mutex
	feed      chan *ent.Notice
	responses graphql.ResponseHandler
	ctx       context.Context
	cancel    context.CancelFunc
	cache     map[int][]byte
	order     []int
	broken    bool
}

var _ noticeboard.Delivery = (*renderGroup)(nil)

// Feed is the channel the group's execution reads its notices from.
func (g *renderGroup) Feed() <-chan *ent.Notice { return g.feed }

// Attach, Wake and Overflow are never called: with a feed, the group's
// execution does not join the board.
func (g *renderGroup) Attach(<-chan *ent.Notice) {}
func (g *renderGroup) Wake()                     {}
func (g *renderGroup) Overflow(string)           {}

// renderCache is how many recent payloads a group keeps: members read
// their buffers at different paces.
const renderCache = 64

// render returns the payload of n, or the INTERNAL error (logged) its
// members are answered with. A panic breaks the group: its execution's
// state is unknown.
func (g *renderGroup) render(ctx context.Context, n *ent.Notice) (_ []byte, failed *gqlerror.Error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if b, ok := g.cache[n.ID]; ok {
		return b, nil
	}
	if g.broken {
		return nil, internalError(ctx, &gqlerror.Error{Message: "the render group broke on an earlier notice"})
	}
	defer func() {
		if p := recover(); p != nil {
			g.broken = true
			failed = panicked(ctx, "render notice", p)
		}
	}()
	select {
	case g.feed <- n:
	default: // the last notice was not taken
		g.broken = true
		return nil, internalError(ctx, &gqlerror.Error{Message: "the render group did not take its last notice"})
	}
	resp := g.responses(g.ctx)
	if resp == nil {
		return nil, internalError(ctx, &gqlerror.Error{Message: "the render group's operation ended"})
	}
	b, err := responsePayload(resp)
	if err != nil {
		return nil, internalError(ctx, &gqlerror.Error{Message: err.Error()})
	}
	g.cache[n.ID] = b
	g.order = append(g.order, n.ID)
	if len(g.order) > renderCache {
		delete(g.cache, g.order[0])
		g.order = g.order[1:]
	}
	return b, nil
}

// groupKey names what makes two subscriptions' payloads equal: the viewer
// (what it may read), its language (localised fields) and the operation.
func groupKey(ctx context.Context, params *graphql.RawParams) string {
	vars, _ := json.Marshal(params.Variables) // map keys come sorted
	viewer := "anonymous"
	if v := auth.FromContext(ctx); v != nil {
		viewer = fmt.Sprintf("%d/%t", v.ID, v.Admin)
	}
	return strings.Join([]string{viewer, string(lang.Preferred(ctx)), params.OperationName, params.Query, string(vars)}, "\x00")
}

// join returns the render group of an operation, starting it when new; nil
// when it cannot start (the subscription then renders on its own).
func (t *socketTransport) join(socketCtx context.Context, params *graphql.RawParams) *renderGroup {
	key := groupKey(socketCtx, params)
	t.mu.Lock()
	if g, ok := t.groups[key]; ok {
		g.members++
		t.mu.Unlock()
		return g
	}
	t.mu.Unlock()

	// The group outlives the socket that started it.
	ctx, cancel := context.WithCancel(context.WithoutCancel(socketCtx))
	g := &renderGroup{key: key, members: 1, feed: make(chan *ent.Notice, 1), cancel: cancel, cache: map[int][]byte{}}
	ctx = noticeboard.WithDelivery(graphql.StartOperationTrace(ctx), g)
	rc, errs := t.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		cancel()
		return nil
	}
	g.responses, g.ctx = t.exec.DispatchOperation(graphql.WithOperationContext(ctx, rc), rc)

	t.mu.Lock()
	defer t.mu.Unlock()
	if other, ok := t.groups[key]; ok { // another socket started it meanwhile
		cancel()
		other.members++
		return other
	}
	t.groups[key] = g
	return g
}

func (t *socketTransport) leave(g *renderGroup) {
	t.mu.Lock()
	defer t.mu.Unlock()
	g.members--
	if g.members == 0 {
		if t.groups[g.key] == g {
			delete(t.groups, g.key)
		}
		g.cancel()
	}
}

// discard keeps new subscriptions out of a broken group; its members leave
// as they end.
func (t *socketTransport) discard(g *renderGroup) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.groups[g.key] == g {
		delete(t.groups, g.key)
	}
}
