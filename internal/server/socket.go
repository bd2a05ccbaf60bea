package server

import (
	"context"
	"net/http"
	"sync"
	"time"

	"kokeilu/internal/auth"
	"kokeilu/internal/lang"

	"github.com/99designs/gqlgen/graphql"
	coderws "github.com/coder/websocket"
)

// socketTransport serves GraphQL over WebSocket, both protocols:
// graphql-transport-ws (graphql-ws, Apollo Client, urql) and the legacy
// graphql-ws (subscriptions-transport-ws). It replaces gqlgen's transport
// to stay small per idle subscriber: one goroutine per socket (its reader),
// keep-alives from one shared timer, a writer goroutine only while the
// socket has something to send, and a subscription's events rendered on
// shared workers woken by the notice board instead of a goroutine parked
// on each subscription.
//
// The transport is in four files: this one (accepting sockets, limits,
// keep-alives), socket_conn.go (a connection and its outbox),
// socket_protocol.go (the two protocols' messages) and
// socket_delivery.go (the notice board's contract, rendering).
type socketTransport struct {
	accept      coderws.AcceptOptions
	auth        func(ctx context.Context, authorization string) (context.Context, error)
	initTimeout time.Duration
	keepAlive   time.Duration
	readLimit   int64
	writeLimit  time.Duration // a write that takes longer ends the socket with 1013
	outbox      int           // a socket's outbox budget in bytes; 0: socketOutbox
	perSocket   int           // most operations at once on one socket
	rates       *limiter      // the clients' request budgets, shared with HTTP

	mu      sync.Mutex
	sockets map[*socket]struct{}
	groups  map[string]*renderGroup
	exec    graphql.GraphExecutor
	once    sync.Once
	drains  chan func() // rendering work for the workers
}

// socketInitTimeout is how long a socket may wait before connection_init
// (a variable for tests).
var socketInitTimeout = 10 * time.Second

var _ graphql.Transport = (*socketTransport)(nil)

func (t *socketTransport) Supports(r *http.Request) bool { return r.Header.Get("Upgrade") != "" }

func (t *socketTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	t.start(exec)
	// The per-address cap (streamcap.go) took this socket's slot in
	// streams.track, which every /query request passes; the stream's
	// finish gives it back.
	addr := clientAddr(r)
	// The socket outlives this request: its goroutine is a fresh one, so
	// net/http's connection (its buffers, its deep handler stack) is freed
	// once the handler returns. The stream's end still reaches it.
	st, _ := r.Context().Value(streamKey{}).(*stream)
	ctx, cancel := context.WithCancel(socketContext(r.Context()))
	finish := cancel
	if st != nil {
		st.detach(cancel)
		finish = func() { cancel(); st.finish() }
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
	s := t.newSocket(ctx, cancel, conn, protocol)
	s.headers, s.addr, s.stream = r.Header, addr, st
	go s.serve(st, finish)
}

// start sets the transport up on its first socket: the render workers and
// the keep-alive timer.
func (t *socketTransport) start(exec graphql.GraphExecutor) {
	t.once.Do(func() {
		t.exec = exec
		t.groups = map[string]*renderGroup{}
		if t.sockets == nil {
			t.sockets = map[*socket]struct{}{}
		}
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
		if t.keepAlive > 0 {
			go t.keepAliveLoop()
		}
	})
}

// socketContext carries over what resolvers read from a request's context
// (viewer, language, request id) onto a fresh one: every field of every
// event looks values up through the context chain, and the request's
// chain (net/http's and each middleware's layers) is long.
func socketContext(r context.Context) context.Context {
	ctx := context.Background()
	if v := auth.FromContext(r); v != nil {
		ctx = auth.WithViewer(ctx, v)
	}
	ctx = lang.WithPreferred(ctx, lang.Preferred(r))
	return context.WithValue(ctx, requestIDKey{}, RequestID(r))
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
	// A stream ended on purpose (shutdown) closes with its code.
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

// keepAliveTick only queues messages: a socket's own writer sends them.
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
			s.send(wsMessage{Type: "ka"})
			continue
		}
		if now.Sub(time.Unix(0, s.lastPong.Load())) > 3*t.keepAlive {
			s.close(4408, "pong timeout")
			continue
		}
		s.send(wsMessage{Type: "ping"})
	}
}

// sessionLives re-checks a signed-in socket's session (sessionEnded, the
// rule SSE streams follow too); when it has ended the socket closes with
// 4403 and nothing more is run or sent on it.
func (s *socket) sessionLives() bool {
	if sessionEnded(s.ctx, s.t.auth, s.authorization) {
		s.close(4403, "Forbidden: the session has ended; sign in again")
		return false
	}
	return true
}
