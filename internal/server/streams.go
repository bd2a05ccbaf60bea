package server

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"kokeilu/internal/noticeboard"

	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// WebSocket close codes the server sends beyond gqlgen's.
const (
	closeTryAgainLater  = 1013 // a subscriber fell behind: resume with after
	closeServiceRestart = 1012 // the server is shutting down: reconnect elsewhere
)

// streams tracks the long-lived requests (WebSocket and SSE) so that they
// can be ended on purpose: one that falls behind, or all at shutdown.
// net/http's Shutdown does not see hijacked WebSocket connections.
type streams struct {
	mu       sync.Mutex
	live     map[*stream]struct{}
	stopping atomic.Bool
}

// stream is one WebSocket connection or SSE response.
type stream struct {
	cancel context.CancelFunc

	mu     sync.Mutex
	code   int // close code to send instead of gqlgen's 1000
	reason string
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
		ctx, cancel := context.WithCancel(r.Context())
		st := &stream{cancel: cancel}
		ctx = context.WithValue(ctx, streamKey{}, st)
		ctx = noticeboard.WithOverflow(ctx, func(reason string) { st.end(closeTryAgainLater, reason) })
		s.mu.Lock()
		s.live[st] = struct{}{}
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			delete(s.live, st)
			s.mu.Unlock()
			cancel()
		}()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// end closes the stream: WebSockets with code and reason, SSE by ending
// the response.
func (st *stream) end(code int, reason string) {
	st.mu.Lock()
	if st.code == 0 {
		st.code, st.reason = code, reason
	}
	st.mu.Unlock()
	st.cancel()
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

// trackedWebsocket wraps gqlgen's coder/websocket adapter so a stream
// ended on purpose closes with its own code and reason, and an idle socket
// holds small buffers.
type trackedWebsocket struct {
	transport.WebsocketImplementation
}

func (t trackedWebsocket) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	conn, err := t.WebsocketImplementation.Accept(smallBuffers{w}, r, opts)
	if err != nil {
		return nil, err
	}
	st, _ := r.Context().Value(streamKey{}).(*stream)
	return &trackedConn{WebsocketConn: conn, stream: st}, nil
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

// trackedConn passes everything through but the close code, and keeps the
// read limit and deadline gqlgen sets on the real connection.
type trackedConn struct {
	transport.WebsocketConn
	stream *stream
}

func (c *trackedConn) WriteClose(code int, reason string) error {
	if c.stream != nil {
		c.stream.mu.Lock()
		if c.stream.code != 0 {
			code, reason = c.stream.code, c.stream.reason
		}
		c.stream.mu.Unlock()
	}
	return c.WebsocketConn.WriteClose(code, reason)
}

func (c *trackedConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

func (c *trackedConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}
