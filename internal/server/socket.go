package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"kokeilu/ent"
	"kokeilu/internal/auth"
	"kokeilu/internal/fault"
	"kokeilu/internal/lang"
	"kokeilu/internal/noticeboard"

	"github.com/99designs/gqlgen/graphql"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// socketTransport serves GraphQL over WebSocket, both protocols:
// graphql-transport-ws (graphql-ws, Apollo Client, urql) and the legacy
// graphql-ws (subscriptions-transport-ws). It replaces gqlgen's transport
// to stay small per idle subscriber: one goroutine per socket (its reader),
// keep-alives from one shared timer, and a subscription's events rendered
// on short-lived goroutines woken by the notice board instead of a
// goroutine parked on each subscription.
type socketTransport struct {
	accept      coderws.AcceptOptions
	auth        func(ctx context.Context, authorization string) (context.Context, error)
	initTimeout time.Duration
	keepAlive   time.Duration
	readLimit   int64
	writeLimit  time.Duration // a write that takes longer ends the socket
	perAddress  int           // most open sockets from one client address
	perSocket   int           // most operations at once on one socket
	rates       *limiter      // the clients' request budgets, shared with HTTP

	mu      sync.Mutex
	sockets map[*socket]struct{}
	byAddr  map[string]int
	groups  map[string]*renderGroup
	exec    graphql.GraphExecutor
	once    sync.Once
	drains  chan func() // rendering work for the workers
}

// socketInitTimeout is how long a socket may wait before connection_init
// (a variable for tests).
var socketInitTimeout = 10 * time.Second

// renderWorkers render and write subscription events. A fixed pool keeps
// its grown stacks; a goroutine per event would grow a fresh one each time.
const renderWorkers = 64

const (
	transportWS = "graphql-transport-ws"
	legacyWS    = "graphql-ws"
)

var _ graphql.Transport = (*socketTransport)(nil)

func (t *socketTransport) Supports(r *http.Request) bool { return r.Header.Get("Upgrade") != "" }

func (t *socketTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	t.once.Do(func() {
		t.exec = exec
		t.groups = map[string]*renderGroup{}
		t.drains = make(chan func(), 1<<14)
		for range renderWorkers {
			go func() {
				for work := range t.drains {
					func() {
						defer survive(context.Background(), "render worker")
						work()
					}()
				}
			}()
		}
		go t.keepAliveLoop()
	})
	addr := clientAddr(r)
	t.mu.Lock()
	if t.byAddr == nil {
		t.byAddr = map[string]int{}
	}
	if t.perAddress > 0 && t.byAddr[addr] >= t.perAddress {
		t.mu.Unlock()
		w.Header().Set("Retry-After", "5")
		writeErrorCode(w, http.StatusTooManyRequests, fault.RateLimited, "too many open WebSockets from this address")
		return
	}
	t.byAddr[addr]++
	t.mu.Unlock()
	release := func() {
		t.mu.Lock()
		if t.byAddr[addr]--; t.byAddr[addr] <= 0 {
			delete(t.byAddr, addr)
		}
		t.mu.Unlock()
	}
	// The socket outlives this request: its goroutine is a fresh one, so
	// net/http's connection (its buffers, its deep handler stack) is freed
	// once the handler returns. The stream's end still reaches it.
	st, _ := r.Context().Value(streamKey{}).(*stream)
	ctx, cancel := context.WithCancel(socketContext(r.Context()))
	finish := func() { cancel(); release() }
	if st != nil {
		st.detach(cancel)
		finish = func() { cancel(); release(); st.finish() }
	}
	opts := t.accept
	opts.Subprotocols = []string{transportWS, legacyWS}
	conn, err := coderws.Accept(smallBuffers{w}, r, &opts)
	if err != nil {
		finish()
		return // coder answered the request (403 for a foreign origin)
	}
	protocol := conn.Subprotocol()
	if protocol == "" {
		if r.Header.Get("Sec-WebSocket-Protocol") != "" {
			conn.Close(4406, "Subprotocol not acceptable")
			finish()
			return
		}
		protocol = legacyWS // clients that name none speak the legacy protocol
	}
	conn.SetReadLimit(t.readLimit)
	s := &socket{t: t, conn: conn, protocol: protocol, exec: exec, ctx: ctx, cancel: cancel,
		headers: r.Header, subs: map[string]*subscription{}, addr: addr, stream: st}
	s.lastPong.Store(time.Now().UnixNano())
	go s.serve(st, finish)
}

// socketContext carries over what resolvers read from a request's context
// (viewer, language, request id, the stream's overflow) onto a fresh one:
// every field of every event looks values up through the context chain,
// and the request's chain (net/http's and each middleware's layers) is
// long.
func socketContext(r context.Context) context.Context {
	ctx := context.Background()
	if v := auth.FromContext(r); v != nil {
		ctx = auth.WithViewer(ctx, v)
	}
	ctx = lang.WithPreferred(ctx, lang.Preferred(r))
	ctx = context.WithValue(ctx, requestIDKey{}, RequestID(r))
	if overflow, ok := noticeboard.OverflowFrom(r); ok {
		ctx = noticeboard.WithOverflow(ctx, overflow)
	}
	return ctx
}

// serve runs the socket until it closes.
func (s *socket) serve(st *stream, finish func()) {
	defer finish()
	defer func() {
		if p := recover(); p != nil {
			panicked(s.ctx, "socket", p)
			s.close(coderws.StatusInternalError, "internal error")
		}
	}()
	// A stream ended on purpose (overflow, shutdown) closes with its code.
	ctx := s.ctx // init replaces s.ctx
	stop := context.AfterFunc(ctx, func() {
		defer survive(ctx, "socket close")
		code, reason := coderws.StatusNormalClosure, "terminated"
		if st != nil {
			if c, r, ok := st.closeCode(); ok {
				code, reason = coderws.StatusCode(c), r
			}
		}
		s.close(code, reason)
	})
	defer stop()
	if !s.init() {
		return
	}
	t := s.t
	t.mu.Lock()
	t.sockets[s] = struct{}{}
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		delete(t.sockets, s)
		t.mu.Unlock()
	}()
	s.readLoop()
}

// keepAliveLoop pings every socket (graphql-transport-ws) or sends "ka"
// (graphql-ws), and closes transport-ws sockets whose pongs stopped.
func (t *socketTransport) keepAliveLoop() {
	tick := time.NewTicker(t.keepAlive)
	defer tick.Stop()
	for now := range tick.C {
		t.keepAliveTick(now)
	}
}

func (t *socketTransport) keepAliveTick(now time.Time) {
	defer survive(context.Background(), "keep-alive")
	t.mu.Lock()
	sockets := make([]*socket, 0, len(t.sockets))
	for s := range t.sockets {
		sockets = append(sockets, s)
	}
	t.mu.Unlock()
	for _, s := range sockets {
		if s.authorization != "" {
			goSafe(s.ctx, "session check", func() { s.sessionLives() })
		}
		if s.protocol == legacyWS {
			goSafe(s.ctx, "keep-alive", func() { s.send(wsMessage{Type: "ka"}) })
			continue
		}
		if now.Sub(time.Unix(0, s.lastPong.Load())) > 3*t.keepAlive {
			goSafe(s.ctx, "keep-alive", func() { s.close(4408, "pong timeout") })
			continue
		}
		goSafe(s.ctx, "keep-alive", func() { s.send(wsMessage{Type: "ping"}) })
	}
}

// sessionLives re-checks a signed-in socket's session; when it has ended
// (logged out, expired, account removed) the socket closes with 4403 and
// nothing more is run or sent on it. Membership and role changes need no
// check here: the data layer reads them for every operation and event.
// When the check itself fails (the database), the operation or event
// goes on and meets the same database.
func (s *socket) sessionLives() bool {
	if s.authorization == "" {
		return true
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 5*time.Second)
	defer cancel()
	_, err := s.t.auth(ctx, s.authorization)
	if err != nil && errors.Is(err, fault.ErrUnauthenticated) {
		s.closeSoon(4403, "Forbidden: the session has ended; sign in again")
		return false
	}
	return true
}

// wsMessage is a message of either protocol.
type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// socket is one WebSocket connection.
type socket struct {
	t        *socketTransport
	conn     *coderws.Conn
	protocol string
	addr     string  // the client's address, for its request budget
	stream   *stream // how the server may end it (nil outside a tracked request)
	exec     graphql.GraphExecutor
	headers  http.Header
	ctx      context.Context // the connection's, with the viewer after init
	cancel   context.CancelFunc
	lastPong atomic.Int64
	closing  atomic.Bool // set once close begins
	// authorization is the connection_init's token, re-checked before
	// each operation and event: a session that ended (logout, expiry,
	// account removal) ends the socket with 4403.
	authorization string

	mu     sync.Mutex
	subs   map[string]*subscription
	closed bool
}

// init reads connection_init, authenticates its payload and acknowledges.
// The init timeout closes the socket with 4408 from a timer: a read
// deadline would make coder/websocket drop the connection without a close
// frame.
func (s *socket) init() bool {
	timer := time.AfterFunc(s.t.initTimeout, func() {
		defer survive(s.ctx, "init timeout")
		s.close(4408, "Connection initialisation timeout")
	})
	defer timer.Stop()
	m, err := s.read(context.WithoutCancel(s.ctx))
	if !timer.Stop() {
		return false // closed with 4408
	}
	if errors.Is(err, errBadMessage) {
		s.close(4400, "invalid message")
		return false
	}
	if err != nil {
		return false
	}
	switch m.Type {
	case "connection_init":
	case "subscribe", "start":
		s.close(4401, "Unauthorized: send connection_init first")
		return false
	default:
		s.close(4400, "expected connection_init")
		return false
	}
	var payload map[string]any
	_ = json.Unmarshal(m.Payload, &payload)
	authorization, _ := payload["Authorization"].(string)
	if authorization == "" {
		authorization, _ = payload["authorization"].(string)
	}
	if authorization != "" {
		authed, err := s.t.auth(s.ctx, authorization)
		if err != nil {
			code, status, reason := fault.Unauthenticated, coderws.StatusCode(4403), "Forbidden: the token is invalid or has expired"
			if _, ok := fault.As(err); !ok { // the database failed the lookup: retry later
				slog.ErrorContext(s.ctx, "authenticate", "err", err)
				code, status, reason = fault.Unavailable, coderws.StatusTryAgainLater, "Try Again Later: the database is unavailable"
				err = errors.New("the database is unavailable; retry shortly")
			}
			if s.protocol == legacyWS {
				s.send(wsMessage{Type: "connection_error", Payload: errorPayload(code, err.Error())})
			}
			s.close(status, reason)
			return false
		}
		s.ctx = authed
		s.authorization = authorization
	}
	s.send(wsMessage{Type: "connection_ack"})
	if s.protocol == legacyWS {
		s.send(wsMessage{Type: "ka"})
	}
	return true
}

func errorPayload(code, message string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"message": message, "extensions": map[string]string{"code": code}})
	return b
}

func (s *socket) read(ctx context.Context) (wsMessage, error) {
	var m wsMessage
	typ, data, err := s.conn.Read(ctx)
	if err != nil {
		return m, err
	}
	if typ != coderws.MessageText || json.Unmarshal(data, &m) != nil {
		return m, errBadMessage
	}
	return m, nil
}

var errBadMessage = errors.New("not a JSON text message")

// readLoop handles the client's messages until the socket closes. Reads
// do not take s.ctx: coder/websocket drops the connection at once when a
// read's context ends, and an ending stream must first send its close code.
func (s *socket) readLoop() {
	ctx := context.WithoutCancel(s.ctx)
	for {
		m, err := s.read(ctx)
		if errors.Is(err, errBadMessage) {
			s.close(4400, "invalid message")
			return
		}
		if err != nil {
			s.cancel()
			return
		}
		switch m.Type {
		case "subscribe", "start":
			if m.ID == "" {
				s.close(4400, "a subscription needs an id")
				return
			}
			if !s.sessionLives() || !s.start(m) {
				return
			}
		case "complete", "stop":
			s.stop(m.ID)
		case "ping":
			goSafe(s.ctx, "pong", func() { s.send(wsMessage{Type: "pong", Payload: m.Payload}) })
		case "pong":
			s.lastPong.Store(time.Now().UnixNano())
		case "connection_terminate":
			s.close(coderws.StatusNormalClosure, "terminated")
			return
		case "connection_init":
			s.close(4429, "Too many initialisation requests")
			return
		default:
			s.close(4400, "unknown message type "+m.Type)
			return
		}
	}
}

// subscription is one operation started on a socket.
type subscription struct {
	id     string
	cancel context.CancelFunc

	mu        sync.Mutex
	responses graphql.ResponseHandler
	ctx       context.Context
	items     <-chan *ent.Notice // the board's channel, when rendered by a group
	group     *renderGroup
	ready     int  // items waiting on the resolver's channel
	draining  bool // a goroutine is rendering them
	stopped   bool // the client stopped it: send no complete
	ended     bool // its last message (complete or error) is decided
}

// start registers operation m.ID and runs it on a goroutine of its own, so
// the deep work of parsing and resolving does not grow the reader's stack.
func (s *socket) start(m wsMessage) bool {
	ctx, cancel := context.WithCancel(s.ctx)
	sub := &subscription{id: m.ID, cancel: cancel}
	s.mu.Lock()
	if old, dup := s.subs[m.ID]; dup {
		if s.protocol == transportWS {
			s.mu.Unlock()
			cancel()
			s.close(4409, "Subscriber for "+m.ID+" already exists")
			return false
		}
		// subscriptions-transport-ws replaces the operation: the old one
		// ends as if stopped.
		delete(s.subs, m.ID)
		s.mu.Unlock()
		old.mu.Lock()
		old.stopped = true
		old.mu.Unlock()
		old.cancel()
		s.mu.Lock()
	}
	if ok, wait := s.t.rates.take(s.ctx, s.addr); !ok {
		s.mu.Unlock()
		cancel()
		secs, message := retryIn(wait)
		s.fail(sub, gqlerror.List{{Message: message, Extensions: map[string]any{"code": fault.RateLimited, "retryAfter": secs}}})
		return true
	}
	if s.t.perSocket > 0 && len(s.subs) >= s.t.perSocket {
		s.mu.Unlock()
		cancel()
		s.fail(sub, gqlerror.List{{Message: fmt.Sprintf("at most %d operations at once on one connection", s.t.perSocket),
			Extensions: map[string]any{"code": fault.RateLimited}}})
		return true
	}
	s.subs[m.ID] = sub
	s.mu.Unlock()
	go s.run(ctx, sub, m.Payload)
	return true
}

// run executes an operation: a query or mutation sends its result and
// completes; a subscription is handed to the notice board, whose wake
// calls render its events.
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
	var items <-chan *ent.Notice
	if live {
		ctx = noticeboard.WithWake(ctx, func() { s.wake(sub) })
		ctx = noticeboard.WithTap(ctx, func(ch <-chan *ent.Notice) { items = ch })
	}
	responses, ctx := s.exec.DispatchOperation(ctx, rc)
	if !live { // a query or mutation over the socket: one result
		for resp := responses(ctx); resp != nil; resp = responses(ctx) {
			s.sendResponse(sub.id, resp)
		}
		s.finish(sub, true)
		return
	}
	if items == nil {
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
	sub.responses, sub.ctx = responses, ctx
	if group != nil {
		sub.items, sub.group = items, group
	}
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

// wake is called by the notice board after each item it puts on the
// subscription's channel (and after closing it).
func (s *socket) wake(sub *subscription) {
	sub.mu.Lock()
	sub.ready++
	start := sub.responses != nil && !sub.draining
	if start {
		sub.draining = true
	}
	sub.mu.Unlock()
	if start {
		select {
		case s.t.drains <- func() { s.drain(sub) }:
		default: // the queue is full: never block the notice board
			go s.drain(sub)
		}
	}
}

// drain renders and sends the items waiting on the subscription's channel,
// in order; a nil response means the stream ended.
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

// stop ends a subscription at the client's request.
func (s *socket) stop(id string) {
	s.mu.Lock()
	sub := s.subs[id]
	s.mu.Unlock()
	if sub == nil {
		return
	}
	sub.mu.Lock()
	sub.stopped = true
	sub.mu.Unlock()
	sub.cancel()
	s.forget(sub)
}

// finish ends a subscription, telling the client unless it asked to stop
// or the socket is being ended on purpose (shutdown 1012, overflow 1013):
// then the close code alone speaks, since a complete would tell graphql-ws
// that the subscription is over and it would not subscribe again.
func (s *socket) finish(sub *subscription, always bool) {
	if stopped, first := s.end(sub); first && (!stopped || always) && !s.endedOnPurpose() {
		s.send(wsMessage{ID: sub.id, Type: "complete"})
	}
}

func (s *socket) endedOnPurpose() bool {
	if s.stream == nil {
		return false
	}
	_, _, ok := s.stream.closeCode()
	return ok
}

// fail ends an operation with an error message. graphql-transport-ws
// forbids a complete after it; the legacy protocol's clients expect one.
func (s *socket) fail(sub *subscription, errs gqlerror.List) {
	if stopped, first := s.end(sub); !first || stopped {
		return // the client stopped it (or replaced it): it hears no more
	}
	s.sendErrors(sub.id, errs)
	if s.protocol == legacyWS {
		s.send(wsMessage{ID: sub.id, Type: "complete"})
	}
}

// end releases what an operation holds; first is false when it had ended
// already (its last message is sent).
func (s *socket) end(sub *subscription) (stopped, first bool) {
	sub.mu.Lock()
	stopped, first = sub.stopped, !sub.ended
	sub.ended = true
	group := sub.group
	sub.group = nil
	sub.mu.Unlock()
	sub.cancel()
	s.forget(sub)
	if group != nil {
		s.t.leave(group)
	}
	return stopped, first
}

func (s *socket) forget(sub *subscription) {
	s.mu.Lock()
	if s.subs[sub.id] == sub {
		delete(s.subs, sub.id)
	}
	s.mu.Unlock()
}

// sendResponse sends a result as next (data).
func (s *socket) sendResponse(id string, resp *graphql.Response) {
	payload, err := responsePayload(resp)
	if err != nil {
		slog.Error("marshal response", "err", err)
		return
	}
	s.sendPayload(id, payload)
}

// responsePayload is the JSON of a result; the common case of data alone is
// framed without re-encoding the data.
func responsePayload(resp *graphql.Response) ([]byte, error) {
	if len(resp.Errors) > 0 || len(resp.Extensions) > 0 || resp.Data == nil {
		return json.Marshal(resp)
	}
	b := make([]byte, 0, len(resp.Data)+10)
	b = append(b, `{"data":`...)
	b = append(b, resp.Data...)
	return append(b, '}'), nil
}

// sendPayload frames a result for this socket's protocol: the hot path of
// fan-out, where the payload is shared by many sockets.
func (s *socket) sendPayload(id string, payload []byte) {
	typ := "next"
	if s.protocol == legacyWS {
		typ = "data"
	}
	quotedID, _ := json.Marshal(id)
	msg := make([]byte, 0, len(payload)+len(quotedID)+32)
	msg = append(msg, `{"id":`...)
	msg = append(msg, quotedID...)
	msg = append(msg, `,"type":"`...)
	msg = append(msg, typ...)
	msg = append(msg, `","payload":`...)
	msg = append(msg, payload...)
	msg = append(msg, '}')
	s.write(msg)
}

func (s *socket) sendErrors(id string, errs gqlerror.List) {
	var payload any = errs
	if s.protocol == legacyWS && len(errs) > 0 {
		payload = errs[0]
	}
	b, _ := json.Marshal(payload)
	s.send(wsMessage{ID: id, Type: "error", Payload: b})
}

// send writes one message; a peer that takes too long to take it loses
// the socket.
func (s *socket) send(m wsMessage) {
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	s.write(b)
}

func (s *socket) write(b []byte) {
	if s.closing.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.t.writeLimit)
	defer cancel()
	if err := s.conn.Write(ctx, coderws.MessageText, b); err != nil {
		s.cancel()
	}
}

// close ends the socket with code and reason, once.
func (s *socket) close(code coderws.StatusCode, reason string) {
	if s.shut() {
		_ = s.conn.Close(code, reason)
		s.cancel()
	}
}

// closeSoon is close without waiting for the close handshake.
func (s *socket) closeSoon(code coderws.StatusCode, reason string) {
	if s.shut() {
		goSafe(s.ctx, "close", func() {
			_ = s.conn.Close(code, reason)
			s.cancel()
		})
	}
}

// shut marks the socket closing: its operations end and nothing more is
// written but the close frame. False when it was closing already.
func (s *socket) shut() bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.closed = true
	s.closing.Store(true)
	subs := s.subs
	s.subs = map[string]*subscription{}
	s.mu.Unlock()
	for _, sub := range subs {
		sub.cancel()
	}
	return true
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
// whose subscription is fed by the group (noticeboard.WithFeed).
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

// groupKey names what makes two subscriptions' payloads equal.
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
	ctx = noticeboard.WithFeed(graphql.StartOperationTrace(ctx), g.feed)
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
