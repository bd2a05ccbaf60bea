package server_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"

	"github.com/coder/websocket"
)

// TestStalledSocketDelaysNoOne puts a socket with 100 subscriptions that
// never reads next to a healthy subscriber on another socket. The healthy
// one's delay (from posting a notice to receiving it) is measured in the
// same run without and with the stalled socket: with it, p50 and p95 stay
// within 2× (or under a generous floor, for a loaded machine and -race),
// and it gets every notice. (Beside a socket with 100 subscriptions that
// does read, logged too, the delay is what fanning out to 100 more costs.) The stalled socket, once its outbox overflows,
// is closed with 1013 and a reason — a close frame, not a dropped
// connection — and its subscriptions end.
//
// Before each socket had its own outbox, the shared render workers wrote
// to the stalled socket, all blocked on it, and the healthy subscriber was
// cut off with 1013 after a few notices.
func TestStalledSocketDelaysNoOne(t *testing.T) {
	b := testdb.SQLite // a transport matter: one database is enough
	a := newAPI(t, b, false)
	p := a.people()
	w := a.newWorld(p, workspace.VisibilityPUBLIC)
	wsID, _ := scalar.DecodeID(w.Workspace)
	ctx := auth.System(context.Background())
	// ~10 kB per notice to the stalled socket: its outbox (256 KiB) and
	// the kernel's buffers overflow after some 60–100 notices.
	const query = `subscription { noticePosted { id title } }`

	healthy, err := a.dialWS("graphql-transport-ws", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	healthy.subscribe("1", query, nil)
	waitSubscribers(t, a, 1)
	arrived := make(chan string, 1)
	go func() {
		for {
			data, err := healthy.next(time.Minute)
			if err != nil {
				close(arrived)
				return
			}
			arrived <- decodeNotice(t, data).NoticePosted.Title
		}
	}()
	// post creates a notice and returns how long the healthy subscriber
	// took to receive it.
	seq := 0
	post := func() time.Duration {
		t.Helper()
		seq++
		title := fmt.Sprint("notice ", seq)
		start := time.Now()
		a.db.Client.Notice.Create().SetWorkspaceID(wsID).SetTitle(title).ExecX(ctx)
		select {
		case got, ok := <-arrived:
			if !ok || got != title {
				t.Fatalf("the healthy subscriber got %q (open %v), want %q", got, ok, title)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("the healthy subscriber did not get %q within 30 s", title)
		}
		return time.Since(start)
	}

	const samples = 30
	var alone []time.Duration
	for range samples {
		alone = append(alone, post())
	}

	// The same fan-out to a socket that reads: what 100 more
	// subscriptions cost without any stall.
	reader, err := a.dialWS("graphql-transport-ws", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		reader.subscribe(fmt.Sprint(i), query, nil)
	}
	waitSubscribers(t, a, 101)
	go func() {
		for {
			if _, err := reader.read(time.Minute); err != nil {
				return
			}
		}
	}()
	var busy []time.Duration
	for range samples {
		busy = append(busy, post())
	}
	reader.conn.Close(websocket.StatusNormalClosure, "")
	waitSubscribers(t, a, 1)

	stalled := dialStalled(t, a)
	for i := range 100 {
		stalled.subscribe(fmt.Sprint(i), query, nil)
	}
	waitSubscribers(t, a, 101)
	// Post until the stalled socket's outbox overflows (its subscriptions
	// end), counting the notice during which it did.
	var beside []time.Duration
	for len(beside) < 5000 {
		beside = append(beside, post())
		if a.board.Subscribers() == 1 {
			break
		}
	}
	if a.board.Subscribers() != 1 {
		t.Fatalf("the stalled socket still has %d subscriptions after %d notices: its outbox never overflowed", a.board.Subscribers()-1, len(beside))
	}
	if len(beside) < samples {
		t.Fatalf("the stalled socket overflowed after %d notices; want at least %d to measure", len(beside), samples)
	}
	// It now reads: what had been sent, then the close frame.
	code, reason := closeOf(stalled, 15*time.Second)
	if code != 1013 || reason == "" {
		t.Errorf("the stalled socket ended with %d %q, want 1013 and a reason", code, reason)
	}

	a0, b0 := percentile(alone, 0.50), percentile(beside, 0.50)
	a95, b95 := percentile(alone, 0.95), percentile(beside, 0.95)
	r0, r95 := percentile(busy, 0.50), percentile(busy, 0.95)
	t.Logf("healthy subscriber's delay: alone p50 %v p95 %v (%d notices); beside a reading socket with 100 subscriptions p50 %v p95 %v (%d); beside a stalled one p50 %v p95 %v (%d)",
		a0, a95, len(alone), r0, r95, len(busy), b0, b95, len(beside))
	// The floors (100 ms, 250 ms) absorb a loaded 2-core machine under
	// -race, where fanning out to 100 more subscriptions alone costs tens
	// of milliseconds; a write blocking a shared worker costs seconds.
	if b0 > max(2*a0, 100*time.Millisecond) || b0 > max(2*r0, 100*time.Millisecond) {
		t.Errorf("p50 delay beside the stalled socket %v; alone %v, beside a reading one %v: more than 2×", b0, a0, r0)
	}
	if b95 > max(2*a95, 250*time.Millisecond) || b95 > max(2*r95, 250*time.Millisecond) {
		t.Errorf("p95 delay beside the stalled socket %v; alone %v, beside a reading one %v: more than 2×", b95, a95, r95)
	}
	// No single notice waits for the stalled socket either (a blocked
	// write would hold it up to the write limit, 10 s).
	if am, bm := slices.Max(alone), slices.Max(beside); bm > max(2*am, 2*time.Second) {
		t.Errorf("the slowest notice beside the stalled socket took %v, alone %v", bm, am)
	}
	// The healthy subscriber goes on.
	post()
}

func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(p*float64(len(s)-1))]
}

// dialStalled opens a graphql-transport-ws socket whose TCP receive
// buffer is small (4 kB) and that the test then never reads until the
// end: the server's writes to it block as soon as the kernel's buffers
// are full.
func dialStalled(t *testing.T, a *api) *wsClient {
	t.Helper()
	dialer := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		if cerr := c.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		}); cerr != nil {
			return cerr
		}
		return err
	}}
	client := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(a.srv.URL, "http") + "/query"
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	conn.SetReadLimit(1 << 24)
	c := &wsClient{t: t, conn: conn, protocol: "graphql-transport-ws"}
	c.send(wsMessage{Type: "connection_init"})
	if m, err := c.read(5 * time.Second); err != nil || m.Type != "connection_ack" {
		t.Fatalf("connection_init: %v %v", m.Type, err)
	}
	return c
}

// closeOf reads until the connection ends and returns its close code and
// reason (-1 when it was dropped without a close frame).
func closeOf(c *wsClient, timeout time.Duration) (websocket.StatusCode, string) {
	deadline := time.Now().Add(timeout)
	for {
		_, err := c.read(time.Until(deadline))
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, ce.Reason
		}
		return websocket.CloseStatus(err), err.Error()
	}
}
