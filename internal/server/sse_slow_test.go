package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"
)

// TestSlowSSEReadersEnd is the fault drill of SSE subscribers that stop
// reading (the hostile review's sse_slow6.py): six raw TCP clients with a
// 4 KiB receive buffer open a stream and read nothing while 150 notices
// of 9 KB are posted. Each falls behind and is cut off; every one of the
// streams must then end — the response closed, not left open and silent
// — within a bound once the client reads again, and the server's
// goroutines for them must be gone.
//
// Before, the handler stayed blocked in a write with no deadline: half of
// the streams sent one event and then nothing until the client left.
func TestSlowSSEReadersEnd(t *testing.T) {
	b := testdb.SQLite // a transport matter: one database is enough
	a := newAPI(t, b, false)
	p := a.people()
	w := a.newWorld(p, workspace.VisibilityPUBLIC)
	wsID, _ := scalar.DecodeID(w.Workspace)
	ctx := auth.System(context.Background())
	baseline := runtime.NumGoroutine()

	body := string(mustJSON(map[string]any{
		"query":     `subscription($ws: ID) { noticePosted(workspaceId: $ws) { title body } }`,
		"variables": map[string]any{"ws": w.Workspace},
	}))
	dialer := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	const readers = 6
	var conns []net.Conn
	for range readers {
		c, err := dialer.Dial("tcp", strings.TrimPrefix(a.srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "POST /query HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		conns = append(conns, c)
	}
	waitSubscribers(t, a, readers)

	// 150 notices as in the review, then more until every stream has
	// fallen behind and been cut off by the board (how many the kernel's
	// buffers take first varies).
	text := strings.Repeat("b", 9000)
	posted := 0
	for posted < 150 || (a.board.Subscribers() > 0 && posted < 3000) {
		a.db.Client.Notice.Create().SetWorkspaceID(wsID).SetTitle(fmt.Sprint("n", posted)).SetBody(text).ExecX(ctx)
		posted++
	}
	waitSubscribers(t, a, 0)
	t.Logf("%d notices posted", posted)

	// While they still read nothing, the server must let go of them by
	// itself: no goroutine of its own left waiting on such a client after
	// the grace an ended stream's last write gets (5 s), with a margin.
	const grace = 10 * time.Second
	deadline := time.Now().Add(grace)
	for runtime.NumGoroutine() > baseline+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline+2 {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("%d goroutines %v after the cut-off, %d before the streams:\n%s", n, grace, baseline, buf)
	}

	// Now each is read, all at once: it must end — the server closed the
	// connection — within the bound, without a complete event (the client
	// is to resume with Last-Event-ID/after, not give up).
	const bound = 15 * time.Second
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got bytes.Buffer
			buf := make([]byte, 64<<10)
			ended := false
			for !ended && time.Since(start) < bound {
				_ = c.SetReadDeadline(time.Now().Add(time.Second))
				n, err := c.Read(buf)
				got.Write(buf[:n])
				if err != nil {
					if ne, ok := err.(net.Error); ok && ne.Timeout() {
						continue
					}
					ended = true // EOF or reset: the server closed it
				}
			}
			events := bytes.Count(got.Bytes(), []byte("event: next"))
			if !ended {
				tail := got.Bytes()[max(0, got.Len()-80):]
				t.Errorf("stream %d: still open %v after the posts (%d bytes, %d events, tail %q)", i, bound, got.Len(), events, tail)
			}
			if bytes.Contains(got.Bytes(), []byte("event: complete")) {
				t.Errorf("stream %d ended with complete: a graphql-sse client would not resume", i)
			}
			t.Logf("stream %d: %d bytes, %d events, ended %t after %v", i, got.Len(), events, ended, time.Since(start).Round(time.Millisecond))
		}()
	}
	wg.Wait()
}
