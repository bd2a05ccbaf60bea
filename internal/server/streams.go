package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"kokeilu/internal/fault"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"kokeilu/internal/noticeboard"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// WebSocket close codes the server sends besides the normal 1000.
const (
	closeTryAgainLater  = 1013 // a subscriber fell behind: resume with after
	closeServiceRestart = 1012 // the server is shutting down: reconnect elsewhere
)

// streamWriteLimit is how long one write to a live stream (a WebSocket
// message, an SSE event) may take: a client that does not take it within
// this is too slow, and its stream ends so that it resumes with after.
const streamWriteLimit = 10 * time.Second

// streams tracks the long-lived requests (WebSocket and SSE) so that they
// can be ended on purpose: one that falls behind, or all at shutdown.
// net/http's Shutdown does not see hijacked WebSocket connections.
type streams struct {
	mu       sync.Mutex
	live     map[*stream]struct{}
	stopping atomic.Bool
	perAddr  *addressCap // streamcap.go
}

// stream is one WebSocket connection or SSE response.
type stream struct {
	cancel context.CancelFunc
	finish func() // unregisters the stream

	mu       sync.Mutex
	code     int // close code to send instead of the normal 1000
	reason   string
	detached bool
}

// detach hands the stream to a goroutine that outlives its request (a
// WebSocket after the upgrade): ending the stream also calls cancel, and
// that goroutine calls finish when it is done.
func (st *stream) detach(cancel context.CancelFunc) {
	st.mu.Lock()
	defer st.mu.Unlock()
	prev := st.cancel
	st.cancel = func() { prev(); cancel() }
	st.detached = true
}

// closeCode is the code and reason the stream was ended with, if any.
func (st *stream) closeCode() (int, string, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.code, st.reason, st.code != 0
}

type streamKey struct{}

func newStreams() *streams { return &streams{live: map[*stream]struct{}{}} }

// isStream tells WebSocket upgrades and SSE requests from the rest.
func isStream(r *http.Request) bool {
	return r.Header.Get("Upgrade") != "" || strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// track gives each stream a context that ends it, and tells the notice
// board how to cut it off.
func (s *streams) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isStream(r) {
			next.ServeHTTP(w, r)
			return
		}
		if s.stopping.Load() {
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, "the server is shutting down")
			return
		}
		release := s.perAddr.acquire(w, r)
		if release == nil {
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		st := &stream{cancel: cancel}
		st.finish = sync.OnceFunc(func() {
			release()
			s.mu.Lock()
			delete(s.live, st)
			s.mu.Unlock()
			cancel()
		})
		ctx = context.WithValue(ctx, streamKey{}, st)
		ctx = noticeboard.WithDelivery(ctx, noticeboard.CutOff(func(reason string) { st.end(closeTryAgainLater, reason) }))
		s.mu.Lock()
		s.live[st] = struct{}{}
		s.mu.Unlock()
		next.ServeHTTP(w, r.WithContext(ctx))
		st.mu.Lock()
		detached := st.detached
		st.mu.Unlock()
		if !detached {
			st.finish()
		}
	})
}

// end closes the stream: WebSockets with code and reason, SSE by ending
// the response.
func (st *stream) end(code int, reason string) {
	st.mu.Lock()
	if st.code == 0 {
		st.code, st.reason = code, reason
	}
	cancel := st.cancel
	st.mu.Unlock()
	cancel()
}

// shutdown ends every stream with 1012, so clients reconnect elsewhere, and
// waits (up to ctx) for them to finish.
func (s *streams) shutdown(ctx context.Context) {
	s.stopping.Store(true)
	s.mu.Lock()
	for st := range s.live {
		st.end(closeServiceRestart, "server restarting")
	}
	s.mu.Unlock()
	for {
		s.mu.Lock()
		n := len(s.live)
		s.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// socketBuffer is the read and write buffer of a WebSocket. Notices and
// subscribe messages are small; larger frames bypass the buffer. net/http
// would keep 4 KiB each for every idle subscriber.
const socketBuffer = 512

// smallBuffers hands coder/websocket the hijacked connection with small
// buffers, keeping any bytes net/http had already read.
type smallBuffers struct{ http.ResponseWriter }

func (s smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		if u, ok := s.ResponseWriter.(interface{ Unwrap() http.ResponseWriter }); ok {
			return smallBuffers{u.Unwrap()}.Hijack()
		}
		return nil, nil, http.ErrNotSupported
	}
	conn, brw, err := h.Hijack()
	if err != nil {
		return nil, nil, err
	}
	// Bytes the client sent after its upgrade request must stay buffered:
	// coder/websocket takes them from the reader's buffer.
	n := brw.Reader.Buffered()
	pending, _ := brw.Reader.Peek(n)
	r := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(pending)), conn), max(socketBuffer, n))
	if n > 0 {
		if _, err := r.Peek(n); err != nil {
			return nil, nil, err
		}
	}
	return conn, bufio.NewReadWriter(r, bufio.NewWriterSize(conn, socketBuffer)), nil
}

// panicked logs a recovered panic once, with the request id and the stack,
// and returns what the client is told: INTERNAL and the request id.
func panicked(ctx context.Context, where string, p any) *gqlerror.Error {
	id := RequestID(ctx)
	slog.ErrorContext(ctx, "panic", "where", where, "panic", fmt.Sprint(p), "request_id", id, "stack", string(debug.Stack()))
	e := &gqlerror.Error{Message: "internal error"}
	setCode(e, fault.Internal)
	e.Extensions["requestId"] = id
	return e
}

// survive is deferred by goroutines the server starts: a panic is logged
// and the process goes on.
func survive(ctx context.Context, where string) {
	if p := recover(); p != nil {
		panicked(ctx, where, p)
	}
}

// goSafe runs fn on a goroutine of its own that survives a panic.
func goSafe(ctx context.Context, where string, fn func()) {
	go func() {
		defer survive(ctx, where)
		fn()
	}()
}

// sseTransport is gqlgen's SSE transport with a panic outside the
// resolvers (which gqlgen recovers itself) answered as graphql-sse
// requires: a next event with INTERNAL, then complete. gqlgen's own
// recovery would write a bare JSON body into the event stream. Its
// response goes through an sseWriter, which applies the rules WebSockets
// follow: the session check and the write limit.
type sseTransport struct {
	transport.SSE
	auth       func(ctx context.Context, authorization string) (context.Context, error) // the session check
	writeLimit time.Duration                                                            // a write that takes longer ends the stream
}

func (t sseTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	defer func() {
		if p := recover(); p != nil {
			e := panicked(r.Context(), "sse", p)
			b, _ := json.Marshal(graphql.Response{Errors: gqlerror.List{e}})
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = fmt.Fprintf(w, "event: next\ndata: %s\n\nevent: complete\n\n", b)
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
		}
	}()
	if st, ok := r.Context().Value(streamKey{}).(*stream); ok {
		sw := &sseWriter{ResponseWriter: w, stream: st, rc: http.NewResponseController(w), writeLimit: t.writeLimit}
		if authorization := r.Header.Get("Authorization"); authorization != "" && t.auth != nil {
			sw.sessionEnded = func() bool { return sessionEnded(r.Context(), t.auth, authorization) }
		}
		// A stream ended by the server (cut off, shutdown, session over)
		// may be blocked in a write to a client that stopped reading: that
		// write, and what follows, get socketCloseGrace, then the
		// connection is dropped.
		stop := context.AfterFunc(r.Context(), sw.ending)
		defer stop()
		w = sw
	}
	t.SSE.Do(w, r, exec)
}

// sessionEnded is the rule both live transports apply to a signed-in
// stream before each event and at each keep-alive (WebSockets also before
// each operation): its token is looked up again in the database — so a
// logout or an expiry on any instance counts — and when the session has
// ended (logged out, expired, account removed) the stream ends: a
// WebSocket closes with 4403, an SSE stream sends an UNAUTHENTICATED
// error and completes. Membership and role changes need no check: the
// notice board reads them for every notice. A lookup that fails for
// another reason (the database) lets the stream go on.
func sessionEnded(ctx context.Context, auth func(context.Context, string) (context.Context, error), authorization string) bool {
	if authorization == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, err := auth(ctx, authorization)
	return err != nil && errors.Is(err, fault.ErrUnauthenticated)
}

// sessionOver is what an SSE stream whose session ended gets before its
// complete event.
var sessionOver = func() []byte {
	e := &gqlerror.Error{Message: "the session has ended (signed out or expired); sign in again"}
	setCode(e, fault.Unauthenticated)
	b, _ := json.Marshal(graphql.Response{Errors: gqlerror.List{e}})
	return []byte("event: next\ndata: " + string(b) + "\n\n")
}()

// sseWriter is an SSE response as gqlgen's transport writes it, event by
// event. It ends the stream
//   - when the session ends (checked before each event and each keep-alive
//     ping, as a WebSocket's is): an UNAUTHENTICATED error event, then
//     complete;
//   - when a write takes longer than writeLimit (the client stopped
//     reading): the connection is dropped, as a WebSocket's is, and the
//     client resumes with after;
//
// and once the stream is ended, for whatever reason, nothing more is
// delivered. The final complete event is dropped when the server ended the
// stream for the client to come back (cut off for falling behind, or
// shutdown): graphql-sse clients retry a stream that ends without one, and
// give up after one that has it. The connection is not kept alive after
// the stream: an abandoned write leaves it unusable.
type sseWriter struct {
	http.ResponseWriter
	stream       *stream
	rc           *http.ResponseController
	writeLimit   time.Duration
	sessionEnded func() bool // nil: anonymous
	wroteHeader  bool        // gqlgen writes under its own lock

	mu    sync.Mutex
	ended bool // the stream's context ended: writes get socketCloseGrace
}

func (w *sseWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.wroteHeader = true
		w.Header().Set("Connection", "close")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *sseWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	event := bytes.HasPrefix(b, []byte("event: next")) || bytes.HasPrefix(b, []byte(": ping"))
	if code, _, ended := w.stream.closeCode(); ended {
		if event || (bytes.HasPrefix(b, []byte("event: complete")) && (code == closeTryAgainLater || code == closeServiceRestart)) {
			return len(b), nil
		}
		return w.write(b)
	}
	if event && w.sessionEnded != nil && w.sessionEnded() {
		if _, err := w.write(sessionOver); err == nil {
			w.Flush()
		}
		w.stream.end(4403, "the session has ended")
		return len(b), nil
	}
	return w.write(b)
}

// write writes b within the write limit; a write that fails ends the stream.
func (w *sseWriter) write(b []byte) (int, error) {
	w.deadline()
	n, err := w.ResponseWriter.Write(b)
	if err != nil {
		w.tooSlow()
	}
	return n, err
}

func (w *sseWriter) Flush() {
	w.deadline()
	if err := w.rc.Flush(); err != nil {
		w.tooSlow()
	}
}

func (w *sseWriter) tooSlow() {
	w.stream.end(closeTryAgainLater, "the client did not take an event within "+w.writeLimit.String()+": reconnect and resume with after")
}

// deadline bounds the next write: writeLimit, or socketCloseGrace once
// the stream is ending.
func (w *sseWriter) deadline() {
	w.mu.Lock()
	defer w.mu.Unlock()
	limit := w.writeLimit
	if w.ended {
		limit = socketCloseGrace
	}
	if limit > 0 {
		_ = w.rc.SetWriteDeadline(time.Now().Add(limit))
	}
}

// ending cuts a write in progress short: it gets socketCloseGrace.
func (w *sseWriter) ending() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ended = true
	_ = w.rc.SetWriteDeadline(time.Now().Add(socketCloseGrace))
}

func (w *sseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
