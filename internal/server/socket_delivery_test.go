package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"kokeilu/ent"
	"kokeilu/internal/auth"
	"kokeilu/internal/lang"
	"kokeilu/internal/noticeboard"

	"github.com/99designs/gqlgen/graphql"
	coderws "github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// These tests drive the socket's delivery code (subscriptions, render
// groups, the outbox) with a fake executor and a fake notice board, so
// each rule is checked alone: wake and drain, overflow, and that a render
// group is never shared across viewers or languages.

// fakeBoard stands in for the notice board: it keeps each subscription's
// channel (a buffer of 4) and Delivery, as noticeboard.Board does.
type fakeBoard struct {
	mu   sync.Mutex
	subs []fakeSub
}

type fakeSub struct {
	ch chan *ent.Notice
	d  noticeboard.Delivery
}

func (b *fakeBoard) subscribe(d noticeboard.Delivery) <-chan *ent.Notice {
	ch := make(chan *ent.Notice, 4)
	d.Attach(ch)
	b.mu.Lock()
	b.subs = append(b.subs, fakeSub{ch, d})
	b.mu.Unlock()
	return ch
}

// publish hands n to every subscription as the board does: put, then
// wake; a full buffer is an overflow, then the channel closes.
func (b *fakeBoard) publish(n *ent.Notice) {
	b.mu.Lock()
	defer b.mu.Unlock()
	live := b.subs[:0]
	for _, s := range b.subs {
		select {
		case s.ch <- n:
			s.d.Wake()
			live = append(live, s)
		default:
			s.d.Overflow("too many notices waiting")
			close(s.ch)
			s.d.Wake()
		}
	}
	b.subs = live
}

// cutOff does what the board does to a subscriber whose buffer is full.
func (b *fakeBoard) cutOff() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, s := range b.subs {
		s.d.Overflow("too many notices waiting")
		close(s.ch)
		s.d.Wake()
	}
	b.subs = nil
}

func (b *fakeBoard) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// fakeExec is a graphql.GraphExecutor whose every operation is the
// subscription noticePosted, rendered as its notice's id and the viewer
// and language of the execution's context.
type fakeExec struct {
	board *fakeBoard

	mu         sync.Mutex
	executions int
}

func (e *fakeExec) CreateOperationContext(_ context.Context, p *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	return &graphql.OperationContext{RawQuery: p.Query, Variables: p.Variables, OperationName: p.OperationName,
		Operation: &ast.OperationDefinition{Operation: ast.Subscription,
			SelectionSet: ast.SelectionSet{&ast.Field{Name: "noticePosted", Alias: "noticePosted"}}}}, nil
}

func (e *fakeExec) DispatchOperation(ctx context.Context, _ *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	e.mu.Lock()
	e.executions++
	e.mu.Unlock()
	// The resolver: Board.Subscribe's use of the Delivery.
	d := noticeboard.DeliveryOf(ctx)
	ch := d.Feed()
	if ch == nil {
		ch = e.board.subscribe(d)
	}
	viewer := "anonymous"
	if v := auth.FromContext(ctx); v != nil {
		viewer = fmt.Sprint(v.ID)
	}
	language := lang.Preferred(ctx)
	return func(context.Context) *graphql.Response {
		n, ok := <-ch
		if !ok {
			return nil
		}
		data, _ := json.Marshal(map[string]any{"noticePosted": map[string]any{"id": n.ID, "viewer": viewer, "lang": language}})
		return &graphql.Response{Data: data}
	}, ctx
}

func (e *fakeExec) DispatchError(_ context.Context, list gqlerror.List) *graphql.Response {
	return &graphql.Response{Errors: list}
}

// fakeConn records what a socket's writer sends. With block set, every
// write waits until the connection closes, as to a client that never reads.
type fakeConn struct {
	block bool

	mu     sync.Mutex
	frames []string
	code   coderws.StatusCode
	reason string
	closed chan struct{}
	once   sync.Once
}

func newFakeConn(block bool) *fakeConn { return &fakeConn{block: block, closed: make(chan struct{})} }

func (c *fakeConn) Write(_ context.Context, _ coderws.MessageType, p []byte) error {
	if c.block {
		<-c.closed
		return fmt.Errorf("closed")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frames = append(c.frames, string(p))
	return nil
}

func (c *fakeConn) Close(code coderws.StatusCode, reason string) error {
	c.mu.Lock()
	if c.code == 0 {
		c.code, c.reason = code, reason
	}
	c.mu.Unlock()
	return c.CloseNow()
}

func (c *fakeConn) CloseNow() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}

func (c *fakeConn) sent() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.frames...)
}

func (c *fakeConn) closeCode() (coderws.StatusCode, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.code, c.reason
}

// testSocket opens a socket on t with conn for viewer (0: anonymous) in
// language l.
func testSocket(t *socketTransport, conn *fakeConn, viewer int, l lang.Language) *socket {
	ctx := lang.WithPreferred(context.Background(), l)
	if viewer != 0 {
		ctx = auth.WithViewer(ctx, &auth.Viewer{ID: viewer})
	}
	ctx, cancel := context.WithCancel(ctx)
	s := t.newSocket(ctx, cancel, nil, transportWS)
	s.out.conn = conn
	return s
}

func newTestTransport(exec *fakeExec) *socketTransport {
	t := &socketTransport{writeLimit: time.Minute}
	t.start(exec)
	return t
}

const fakeQuery = `subscription { noticePosted { id } }`

func subscribeFake(s *socket, id string) {
	payload, _ := json.Marshal(map[string]any{"query": fakeQuery})
	s.start(wsMessage{ID: id, Type: "subscribe", Payload: payload})
}

// eventually waits up to 5 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// renderedNotice decodes a next message.
type renderedNotice struct {
	ID      string
	Type    string
	Payload struct {
		Data struct {
			NoticePosted struct {
				ID     int
				Viewer string
				Lang   string
			}
		}
	}
}

func decodeFrames(t *testing.T, frames []string) []renderedNotice {
	t.Helper()
	out := make([]renderedNotice, len(frames))
	for i, f := range frames {
		if err := json.Unmarshal([]byte(f), &out[i]); err != nil {
			t.Fatalf("frame %s: %v", f, err)
		}
	}
	return out
}

// TestSocketWakeAndDrain: each notice the board puts on a subscription's
// channel, and wakes it for, is rendered and written once, in order; the
// socket has no writer goroutine while it has nothing to send.
func TestSocketWakeAndDrain(t *testing.T) {
	board := &fakeBoard{}
	tr := newTestTransport(&fakeExec{board: board})
	conn := newFakeConn(false)
	s := testSocket(tr, conn, 7, lang.FI)
	subscribeFake(s, "a")
	eventually(t, "the subscription joins the board", func() bool { return board.count() == 1 })
	// Notices published while the operation is still being set up wait on
	// the channel; the rest are drained as they come.
	for id := 1; id <= 20; id++ {
		board.publish(&ent.Notice{ID: id})
		eventually(t, fmt.Sprintf("notice %d is written", id), func() bool { return len(conn.sent()) == id })
	}
	for i, m := range decodeFrames(t, conn.sent()) {
		if m.ID != "a" || m.Type != "next" || m.Payload.Data.NoticePosted.ID != i+1 {
			t.Errorf("message %d: %+v", i, m)
		}
	}
	eventually(t, "the writer goroutine ends once the outbox is empty", func() bool {
		s.out.mu.Lock()
		defer s.out.mu.Unlock()
		return !s.out.writing
	})
}

// TestSocketBoardOverflowCloses1013: when the board cuts a subscription
// off, the socket closes with 1013 and the board's reason, and sends no
// complete (graphql-ws would not subscribe again).
func TestSocketBoardOverflowCloses1013(t *testing.T) {
	board := &fakeBoard{}
	tr := newTestTransport(&fakeExec{board: board})
	conn := newFakeConn(false)
	s := testSocket(tr, conn, 0, lang.FI)
	subscribeFake(s, "a")
	eventually(t, "the subscription joins the board", func() bool { return board.count() == 1 })
	board.publish(&ent.Notice{ID: 1})
	eventually(t, "notice 1 is written", func() bool { return len(conn.sent()) == 1 })
	board.cutOff()
	eventually(t, "the socket closes", func() bool { code, _ := conn.closeCode(); return code != 0 })
	if code, reason := conn.closeCode(); code != closeTryAgainLater || !strings.Contains(reason, "too many notices") {
		t.Errorf("closed with %d %q, want 1013 and the board's reason", code, reason)
	}
	for _, f := range conn.sent() {
		if strings.Contains(f, `"complete"`) {
			t.Errorf("sent %s after an overflow", f)
		}
	}
}

// TestSocketOutboxOverflowCloses1013: a client that never reads fills its
// socket's outbox up to the budget and no further; then the socket is
// closed with 1013 and a reason, its subscriptions end, and another
// socket's deliveries go on meanwhile.
func TestSocketOutboxOverflowCloses1013(t *testing.T) {
	board := &fakeBoard{}
	tr := newTestTransport(&fakeExec{board: board})
	tr.outbox = 2048
	stalled := newFakeConn(true)
	slow := testSocket(tr, stalled, 0, lang.FI)
	for i := range 10 {
		subscribeFake(slow, fmt.Sprint(i))
	}
	healthyConn := newFakeConn(false)
	healthy := testSocket(tr, healthyConn, 0, lang.FI)
	subscribeFake(healthy, "h")
	eventually(t, "11 subscriptions join the board", func() bool { return board.count() == 11 })
	for id := 1; id <= 40; id++ {
		board.publish(&ent.Notice{ID: id})
		eventually(t, fmt.Sprintf("the healthy socket gets notice %d", id), func() bool { return len(healthyConn.sent()) == id })
		if w := slow.out.waiting(); w > tr.outbox {
			t.Fatalf("the stalled outbox holds %d bytes, budget %d", w, tr.outbox)
		}
	}
	code, reason := stalled.closeCode()
	if code != closeTryAgainLater || reason == "" {
		t.Errorf("the stalled socket closed with %d %q, want 1013 and a reason", code, reason)
	}
	if w := slow.out.waiting(); w != 0 {
		t.Errorf("the closed socket's outbox still holds %d bytes", w)
	}
	eventually(t, "the stalled socket's subscriptions end", func() bool {
		slow.mu.Lock()
		defer slow.mu.Unlock()
		return len(slow.subs) == 0
	})
}

// TestSocketRenderGroupsKeyOnViewerAndLanguage: sockets with the same operation
// share a render only when their viewer and language are the same; each
// gets the notice rendered for its own viewer and language.
func TestSocketRenderGroupsKeyOnViewerAndLanguage(t *testing.T) {
	board := &fakeBoard{}
	exec := &fakeExec{board: board}
	tr := newTestTransport(exec)
	type who struct {
		viewer int
		lang   lang.Language
	}
	people := []who{{1, lang.FI}, {2, lang.FI}, {1, lang.EN}, {1, lang.FI}, {0, lang.FI}, {0, lang.SV}}
	conns := make([]*fakeConn, len(people))
	for i, p := range people {
		conns[i] = newFakeConn(false)
		subscribeFake(testSocket(tr, conns[i], p.viewer, p.lang), "s")
	}
	eventually(t, "every subscription joins the board", func() bool { return board.count() == len(people) })
	eventually(t, "every subscription joins its render group", func() bool {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		members := 0
		for _, g := range tr.groups {
			members += g.members
		}
		return members == len(people)
	})
	board.publish(&ent.Notice{ID: 1})
	for i, p := range people {
		eventually(t, "each socket gets the notice", func() bool { return len(conns[i].sent()) == 1 })
		got := decodeFrames(t, conns[i].sent())[0].Payload.Data.NoticePosted
		want := "anonymous"
		if p.viewer != 0 {
			want = fmt.Sprint(p.viewer)
		}
		if got.ID != 1 || got.Viewer != want || got.Lang != string(p.lang) {
			t.Errorf("socket of viewer %d in %s got %+v", p.viewer, p.lang, got)
		}
	}
	tr.mu.Lock()
	groups := len(tr.groups)
	tr.mu.Unlock()
	if groups != 5 { // the two sockets of viewer 1 in Finnish share one
		t.Errorf("%d render groups for 6 sockets of 5 viewer-language pairs", groups)
	}
}
