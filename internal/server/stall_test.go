package server_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// freezer is a TCP proxy to PostgreSQL that can freeze links the way a
// hung NAT entry or a frozen proxy does: bytes stop flowing both ways, and
// no FIN or RST ever arrives.
type freezer struct {
	ln       net.Listener
	upstream string

	mu        sync.Mutex
	links     []*frozenLink
	blackhole bool // new links freeze at once
}

type frozenLink struct {
	mu     sync.Mutex
	frozen bool
}

func (l *frozenLink) isFrozen() bool { l.mu.Lock(); defer l.mu.Unlock(); return l.frozen }

func newFreezer(t *testing.T, upstream string) *freezer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{ln: ln, upstream: upstream}
	t.Cleanup(func() { ln.Close() })
	go f.serve()
	return f
}

func (f *freezer) serve() {
	for {
		client, err := f.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", f.upstream)
		if err != nil {
			client.Close()
			continue
		}
		f.mu.Lock()
		link := &frozenLink{frozen: f.blackhole}
		f.links = append(f.links, link)
		f.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			buf := make([]byte, 32<<10)
			for {
				n, err := src.Read(buf)
				if err != nil {
					if !link.isFrozen() {
						dst.Close()
					}
					return
				}
				if link.isFrozen() {
					continue // swallowed: nothing arrives, nothing closes
				}
				if _, err := dst.Write(buf[:n]); err != nil {
					return
				}
			}
		}
		go pipe(server, client)
		go pipe(client, server)
	}
}

// freeze stops every open link; blackhole also freezes new ones.
func (f *freezer) freeze(blackhole bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blackhole = blackhole
	for _, l := range f.links {
		l.mu.Lock()
		l.frozen = true
		l.mu.Unlock()
	}
}

// heal lets new links through again (frozen ones stay dead).
func (f *freezer) heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blackhole = false
}

// TestFrozenDatabaseLink is the stalled-link drill: instance B reaches
// PostgreSQL through a proxy whose links freeze without FIN or RST. While
// no link answers, B's /readyz says so; once new links work again, B's
// listener is replaced and caught up — every notice posted on A meanwhile
// reaches B's subscriber once, in order, within 10 s — B answers queries
// without waiting for the frozen pooled connections, and a subscriber that
// subscribes after those notices does not get them.
func TestFrozenDatabaseLink(t *testing.T) {
	dsn := seededPostgres(t, "the stalled-link drill")
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newFreezer(t, u.Host)
	u.Host = proxy.ln.Addr().String()

	a, _ := instance(t, dsn, 50*time.Millisecond)
	b, _ := instance(t, u.String(), 50*time.Millisecond)
	token, _ := a.register("owner@example.org", "Owner")
	var ws struct{ CreateWorkspace struct{ ID string } }
	a.query(&ws, `mutation { createWorkspace(input: {name: "Jäätyvä"}) { id } }`, nil, bearer(token)...)
	post := func(title string) {
		a.query(&struct{}{}, postNotice, map[string]any{"ws": ws.CreateWorkspace.ID, "title": title}, bearer(token)...)
	}
	c, err := b.dialWS("graphql-transport-ws", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.subscribe("1", subscription, map[string]any{"ws": ws.CreateWorkspace.ID})
	waitSubscribers(t, b, 1)
	post("ennen")
	if data, err := c.next(2 * time.Second); err != nil || decodeNotice(t, data).NoticePosted.Title != "ennen" {
		t.Fatalf("before the freeze: %s %v", data, err)
	}
	ready := func() (int, string) {
		res, err := http.Get(b.srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	if code, body := ready(); code != http.StatusOK || !strings.Contains(body, "notice listener: ok") {
		t.Fatalf("/readyz before: %d %q", code, body)
	}

	// Every link freezes, new ones too: B must say it is not ready.
	proxy.freeze(true)
	for _, title := range []string{"1", "2", "3"} {
		post(title)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body := ready()
		if code == http.StatusServiceUnavailable && strings.Contains(body, "notice listener: the notice listener last answered") {
			t.Logf("/readyz while frozen: %q", body)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d %q while every link is frozen", code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// New links work again (the old ones stay frozen, as after a NAT loss).
	healed := time.Now()
	proxy.heal()
	var got []string
	for range 3 {
		data, err := c.next(10*time.Second - time.Since(healed))
		if err != nil {
			t.Fatalf("after the link healed, got %v then: %v", got, err)
		}
		got = append(got, decodeNotice(t, data).NoticePosted.Title)
	}
	caughtUp := time.Since(healed)
	if strings.Join(got, ",") != "1,2,3" {
		t.Errorf("after the freeze: %v, want 1,2,3", got)
	}
	t.Logf("listener replaced and caught up %v after new links worked", caughtUp.Round(time.Millisecond))

	// Queries on B do not wait for the frozen pooled connections.
	start := time.Now()
	var q struct{ Regions struct{ TotalCount int } }
	b.query(&q, `{ regions { totalCount } }`, nil)
	if took := time.Since(start); took > 5*time.Second || q.Regions.TotalCount == 0 {
		t.Errorf("first query after the freeze took %v (%d regions)", took, q.Regions.TotalCount)
	} else {
		t.Logf("first query on B after the freeze: %v", took.Round(time.Millisecond))
	}
	if code, body := ready(); code != http.StatusOK {
		t.Errorf("/readyz after recovery: %d %q", code, body)
	}

	// A subscriber that comes now gets only what is posted from now on.
	late, err := b.dialWS("graphql-transport-ws", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	late.subscribe("2", subscription, map[string]any{"ws": ws.CreateWorkspace.ID})
	waitSubscribers(t, b, 2)
	post("4")
	for _, sub := range []*wsClient{c, late} {
		data, err := sub.next(3 * time.Second)
		if err != nil || decodeNotice(t, data).NoticePosted.Title != "4" {
			t.Errorf("live after recovery: %s %v", data, err)
		}
	}
	if data, err := late.next(300 * time.Millisecond); err == nil {
		t.Errorf("the late subscriber got more: %s", data)
	}
}
