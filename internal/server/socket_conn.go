package server

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	coderws "github.com/coder/websocket"
)

// socketOutbox is the default byte budget of a socket's outbox: the
// messages queued for it and not yet written to the connection (the
// kernel's socket buffers come on top). A client that lets more than this
// wait — it stopped reading, or reads slower than its notices come — is
// closed with 1013 and a reason, and resumes with after. 256 KiB is about
// a thousand typical notices; an idle socket's outbox holds nothing.
const socketOutbox = 256 << 10

// socketCloseGrace bounds the close of a socket that is too slow: its
// close frame waits this long for the frame being written (the
// connection is dropped if it cannot be written), then as long again for
// the client's answer. It is coder/websocket's own close timeout.
const socketCloseGrace = 5 * time.Second

// frameConn is what a socket's writer needs of its WebSocket connection
// (coder/websocket's *Conn).
type frameConn interface {
	Write(ctx context.Context, typ coderws.MessageType, p []byte) error
	Close(code coderws.StatusCode, reason string) error
	CloseNow() error
}

// socket is one WebSocket connection.
type socket struct {
	t        *socketTransport
	conn     *coderws.Conn // read by the socket's reader; written by its outbox
	protocol string
	addr     string  // the client's address, for its request budget
	stream   *stream // how the server may end it (nil outside a tracked request)
	exec     graphql.GraphExecutor
	headers  http.Header
	ctx      context.Context // the connection's, with the viewer after init
	cancel   context.CancelFunc
	lastPong atomic.Int64
	slow     atomic.Bool // closed because it fell behind (1013)
	// authorization is the connection_init's token, re-checked before
	// each operation and event: a session that ended (logout, expiry,
	// account removal) ends the socket with 4403.
	authorization string
	out           outbox

	mu     sync.Mutex
	subs   map[string]*subscription
	closed bool
}

func (t *socketTransport) newSocket(ctx context.Context, cancel context.CancelFunc, conn *coderws.Conn, protocol string) *socket {
	s := &socket{t: t, conn: conn, protocol: protocol, exec: t.exec, ctx: ctx, cancel: cancel,
		subs: map[string]*subscription{}}
	s.out.budget = t.outbox
	if s.out.budget <= 0 {
		s.out.budget = socketOutbox
	}
	s.out.writeLimit = t.writeLimit
	s.out.tooSlow = s.tooSlow
	s.out.ended = cancel
	if conn != nil {
		s.out.conn = conn
	}
	s.lastPong.Store(time.Now().UnixNano())
	return s
}

// write queues one message; it never waits for the client.
func (s *socket) write(b []byte) {
	if !s.out.put(b) {
		s.tooSlow("the client is not reading its messages: reconnect and resubscribe with after: the cursor of the last notice received")
	}
}

// close ends the socket with code and reason, once, after the messages
// already queued.
func (s *socket) close(code coderws.StatusCode, reason string) {
	if s.shut() {
		s.out.close(code, reason)
		s.cancel()
	}
}

// tooSlow ends a socket whose client fell behind: its queued messages are
// dropped and it closes with 1013 and reason (or the code it was already
// closing with), without waiting for what is queued.
func (s *socket) tooSlow(reason string) {
	s.slow.Store(true)
	s.shut()
	s.out.abort(closeTryAgainLater, reason)
	s.cancel()
}

// shut marks the socket closing: its operations end and nothing more is
// queued but the close frame. False when it was closing already.
func (s *socket) shut() bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.closed = true
	subs := s.subs
	s.subs = map[string]*subscription{}
	s.mu.Unlock()
	for _, sub := range subs {
		sub.cancel()
	}
	return true
}

// outbox holds a socket's messages until its writer goroutine, which runs
// only while there is something to write, sends them in order. Whoever
// produces a message (a render worker, the reader, the keep-alive timer)
// only queues it, so a client that does not read delays no one but
// itself: past budget bytes waiting, or a write that takes longer than
// writeLimit, it is too slow.
type outbox struct {
	conn       frameConn
	budget     int
	writeLimit time.Duration
	tooSlow    func(reason string) // the socket's
	ended      func()              // called when the connection is closed

	mu      sync.Mutex
	queue   [][]byte
	bytes   int
	writing bool               // the writer goroutine runs
	code    coderws.StatusCode // set: close after the queue, no more messages
	reason  string
	aborted bool // the close frame is being sent by abort
}

// put queues b; false when it would exceed the budget (nothing is queued).
// A closing outbox drops b.
func (o *outbox) put(b []byte) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.code != 0 {
		return true
	}
	if o.bytes+len(b) > o.budget {
		return false
	}
	o.queue = append(o.queue, b)
	o.bytes += len(b)
	o.startLocked()
	return true
}

// close sends a close frame after the queued messages.
func (o *outbox) close(code coderws.StatusCode, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.code != 0 {
		return
	}
	o.code, o.reason = code, reason
	o.startLocked()
}

// abort drops the queued messages and closes at once: the close frame
// waits only for the frame being written, up to socketCloseGrace, then
// the connection is dropped.
func (o *outbox) abort(code coderws.StatusCode, reason string) {
	o.mu.Lock()
	if o.aborted {
		o.mu.Unlock()
		return
	}
	o.aborted = true
	if o.code == 0 {
		o.code, o.reason = code, reason
	}
	code, reason = o.code, o.reason
	o.queue, o.bytes = nil, 0
	o.mu.Unlock()
	goSafe(context.Background(), "socket close", func() {
		_ = o.conn.Close(code, reason)
		o.ended()
	})
}

func (o *outbox) startLocked() {
	if !o.writing && !o.aborted {
		o.writing = true
		goSafe(context.Background(), "socket writer", o.run)
	}
}

// run writes until the queue is empty (then the goroutine ends) or the
// socket closes.
func (o *outbox) run() {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		o.mu.Lock()
		if o.aborted {
			o.writing = false
			o.mu.Unlock()
			return
		}
		if len(o.queue) == 0 {
			code, reason := o.code, o.reason
			if code == 0 {
				o.writing = false
				o.mu.Unlock()
				return
			}
			o.aborted = true // the close frame is sent: nothing more
			o.writing = false
			o.mu.Unlock()
			_ = o.conn.Close(code, reason)
			o.ended()
			return
		}
		b := o.queue[0]
		o.queue[0] = nil
		o.queue = o.queue[1:]
		if len(o.queue) == 0 {
			o.queue = nil // let the backing array go
		}
		o.bytes -= len(b)
		o.mu.Unlock()

		if timer == nil {
			timer = time.AfterFunc(o.writeLimit, o.stalled)
		} else {
			timer.Reset(o.writeLimit)
		}
		err := o.conn.Write(context.Background(), coderws.MessageText, b)
		timer.Stop()
		if err != nil {
			o.mu.Lock()
			o.aborted, o.writing = true, false
			o.queue, o.bytes = nil, 0
			o.mu.Unlock()
			_ = o.conn.CloseNow()
			o.ended()
			return
		}
	}
}

// stalled is called when a write takes longer than writeLimit.
func (o *outbox) stalled() {
	defer survive(context.Background(), "socket writer")
	o.tooSlow("the client did not take a message within " + o.writeLimit.String() + ": reconnect and resubscribe with after")
}

// waiting is how many bytes are queued (for tests).
func (o *outbox) waiting() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.bytes
}
