package server_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"
)

// tcpProxy stands between an instance and PostgreSQL, so a test can take
// the database away (refusing and cutting connections) and bring it back.
type tcpProxy struct {
	t      *testing.T
	addr   string
	target string

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *tcpProxy {
	p := &tcpProxy{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, d)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(d, c); d.Close() }()
			go func() { _, _ = io.Copy(c, d); c.Close() }()
		}
	}()
}

// down refuses new connections and cuts the open ones.
func (p *tcpProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// up accepts connections again on the same address.
func (p *tcpProxy) up() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serve(ln)
}

// TestDatabaseOutage takes PostgreSQL away from a running instance:
// requests fail fast with INTERNAL, /readyz says not ready, /healthz stays
// up; when the database is back, service returns within 5 s by itself.
func TestDatabaseOutage(t *testing.T) {
	direct := seededPostgres(t, "the outage test")
	u, _ := url.Parse(direct)
	proxy := newProxy(t, u.Host)
	u.Host = proxy.addr
	a, _ := instance(t, u.String(), 50*time.Millisecond)

	const q = `{ regions { totalCount } }`
	var ok struct{ Regions struct{ TotalCount int } }
	a.query(&ok, q, nil)
	status := func(path string) int {
		res, err := http.Get(a.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}

	proxy.down()
	start := time.Now()
	res := a.post(q, nil)
	took := time.Since(start)
	if len(res.Errors) == 0 || res.Errors[0].code() != "INTERNAL" || res.Status >= 500 {
		t.Errorf("during the outage: status %d, errors %+v", res.Status, res.Errors)
	}
	if took > 4*time.Second {
		t.Errorf("a request took %v during the outage; it should fail fast", took)
	}
	if s := status("/readyz"); s != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage: %d", s)
	}
	if s := status("/healthz"); s != http.StatusOK {
		t.Errorf("/healthz during the outage: %d", s)
	}

	proxy.up()
	back := time.Now()
	for {
		res := a.post(q, nil)
		if len(res.Errors) == 0 && status("/readyz") == http.StatusOK {
			break
		}
		if time.Since(back) > 5*time.Second {
			t.Fatalf("not back 5 s after the database returned: %+v", res.Errors)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("failed in %v during the outage; back %v after the database", took, time.Since(back))

	// Notices flow again: the listener reconnected too.
	token, _ := a.register("back@example.org", "Back")
	var ws struct{ CreateWorkspace struct{ ID string } }
	a.query(&ws, `mutation { createWorkspace(input: {name: "Palannut"}) { id } }`, nil, bearer(token)...)
	c, err := a.dialWS("graphql-transport-ws", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.subscribe("1", subscription, map[string]any{"ws": ws.CreateWorkspace.ID})
	waitSubscribers(t, a, 1)
	a.query(&struct{}{}, postNotice, map[string]any{"ws": ws.CreateWorkspace.ID, "title": "Takaisin"}, bearer(token)...)
	if _, err := c.next(3 * time.Second); err != nil {
		t.Errorf("no notice after the outage: %v", err)
	}
}
