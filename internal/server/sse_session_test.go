package server_test

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"kokeilu/ent/membership"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/scalar"
	"kokeilu/internal/testdb"
)

// sseStream is an SSE response read event by event on a goroutine of its
// own; ended is closed at the end of the response body.
type sseStream struct {
	events chan sseEvent
	ended  chan struct{}
	res    *http.Response
}

func (a *api) openSSE(query string, vars map[string]any, header ...string) *sseStream {
	a.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/query", bytes.NewReader(mustJSON(map[string]any{"query": query, "variables": vars})))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		a.t.Fatalf("SSE status %d", res.StatusCode)
	}
	a.t.Cleanup(func() { res.Body.Close() })
	s := &sseStream{events: make(chan sseEvent, 100), ended: make(chan struct{}), res: res}
	go func() {
		defer close(s.ended)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		var cur sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				cur.Event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				cur.Data = strings.TrimPrefix(line, "data: ")
			case line == "" && cur != (sseEvent{}):
				s.events <- cur
				cur = sseEvent{}
			}
		}
	}()
	return s
}

// until returns the events received until the response ended, or until
// timeout (then open is true).
func (s *sseStream) until(timeout time.Duration) (events []sseEvent, open bool) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case e := <-s.events:
			events = append(events, e)
		case <-s.ended:
			for {
				select {
				case e := <-s.events:
					events = append(events, e)
				default:
					return events, false
				}
			}
		case <-timer.C:
			return events, true
		}
	}
}

// checkSessionOver asserts what an SSE stream whose session ended sends:
// an UNAUTHENTICATED error and complete, then the end of the response —
// and never the members-only notice.
func checkSessionOver(t *testing.T, what string, s *sseStream, secret string) {
	t.Helper()
	events, open := s.until(5 * time.Second)
	errs := sseErrors(events)
	if open || sseTypes(events) != "next complete" || len(errs) != 1 || errs[0].code() != "UNAUTHENTICATED" {
		t.Errorf("%s: SSE sent %q %+v (open %t); want an UNAUTHENTICATED error, complete and the end", what, sseTypes(events), events, open)
	}
	for _, e := range events {
		if strings.Contains(e.Data, secret) {
			t.Errorf("%s: SSE delivered the members-only notice %q", what, secret)
		}
	}
}

// TestSSESessionEnds: an SSE subscription kept delivering members-only
// notices after its token was signed out or had expired (the hostile
// review's sse_logout.sh, ttl.sh), while a WebSocket of the same token
// closed with 4403. Now both follow one rule (sessionEnded): the session
// is looked up again before each event and at each keep-alive, so the SSE
// stream ends — an UNAUTHENTICATED error, complete, end of response — on
// the same notice on which the socket closes with 4403. A demoted member
// gets no members-only notice on either (the board checks membership for
// each notice).
func TestSSESessionEnds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityMEMBERS_ONLY)
		ctx := auth.System(context.Background())
		wsID, _ := scalar.DecodeID(w.Workspace)
		member := func(email string) (token string, id int) {
			token, gid := a.register(email, "Jäsen")
			id, _ = scalar.DecodeID(gid)
			a.db.Client.Membership.Create().SetWorkspaceID(wsID).SetUserID(id).SetRole(membership.RoleMEMBER).ExecX(ctx)
			return token, id
		}
		post := func(title string) {
			a.query(&struct{}{}, postNotice, map[string]any{"ws": w.Workspace, "title": title}, p.header("owner")...)
		}
		vars := map[string]any{"ws": w.Workspace}

		// Logout: a notice first arrives, then after the logout the next
		// one ends both streams instead.
		token, _ := member("sse-logout@example.org")
		s := a.openSSE(subscription, vars, bearer(token)...)
		c, err := a.dialWS("graphql-transport-ws", token, nil)
		if err != nil {
			t.Fatal(err)
		}
		socket := c.pump()
		c.subscribe("n", subscription, vars)
		waitSubscribers(t, a, 2)
		post("Ennen")
		if events, _ := s.until(time.Second); sseTypes(events) != "next" || !strings.Contains(events[0].Data, "Ennen") {
			t.Fatalf("before logout SSE got %q %+v", sseTypes(events), events)
		}
		var out struct{ Logout bool }
		a.query(&out, `mutation { logout }`, nil, bearer(token)...)
		post("Salainen uloskirjauksen jälkeen")
		checkSessionOver(t, "after logout", s, "Salainen")
		if got := socket.await("n", 3*time.Second, 0); got.closed != 4403 || strings.Contains(string(got.data()), "Salainen") {
			t.Errorf("after logout the socket got %s %s, closed %d; want 4403", got.types(), got.data(), got.closed)
		}
		waitSubscribers(t, a, 0)

		// Expiry.
		a.accounts.SetTTL(time.Second)
		token, _ = member("sse-expiry@example.org")
		a.accounts.SetTTL(auth.DefaultTTL)
		s = a.openSSE(subscription, vars, bearer(token)...)
		c, err = a.dialWS("graphql-transport-ws", token, nil)
		if err != nil {
			t.Fatal(err)
		}
		socket = c.pump()
		c.subscribe("n", subscription, vars)
		waitSubscribers(t, a, 2)
		time.Sleep(1100 * time.Millisecond)
		post("Salainen vanhenemisen jälkeen")
		checkSessionOver(t, "after expiry", s, "Salainen")
		if got := socket.await("n", 3*time.Second, 0); got.closed != 4403 {
			t.Errorf("after expiry the socket got %s, closed %d; want 4403", got.types(), got.closed)
		}
		waitSubscribers(t, a, 0)

		// Demotion: the stream stays (the session lives) but the
		// members-only notice is not delivered.
		token, id := member("sse-demoted@example.org")
		s = a.openSSE(subscription, vars, bearer(token)...)
		waitSubscribers(t, a, 1)
		a.query(&struct{}{}, `mutation($ws: ID!, $u: ID!) { setMemberRole(workspaceId: $ws, userId: $u, role: PENDING) { role } }`,
			map[string]any{"ws": w.Workspace, "u": scalar.EncodeID(id)}, p.header("owner")...)
		post("Salainen alennuksen jälkeen")
		if events, _ := s.until(time.Second); len(events) != 0 {
			t.Errorf("after demotion SSE got %q %+v", sseTypes(events), events)
		}
	})
}

// TestSSESessionEndsAcrossInstances: the logout happens on instance A,
// the streams are on instance B (one PostgreSQL database): B's SSE stream
// and WebSocket both end on the next notice.
func TestSSESessionEndsAcrossInstances(t *testing.T) {
	dsn := seededPostgres(t, "the multi-instance session test")
	a, _ := instance(t, dsn, 50*time.Millisecond)
	b, _ := instance(t, dsn, 50*time.Millisecond)
	owner, _ := a.register("owner@example.org", "Owner")
	var ws struct{ CreateWorkspace struct{ ID string } }
	a.query(&ws, `mutation { createWorkspace(input: {name: "Salainen klusteri", visibility: MEMBERS_ONLY}) { id } }`, nil, bearer(owner)...)
	wsID, _ := scalar.DecodeID(ws.CreateWorkspace.ID)
	token, gid := a.register("member@example.org", "Member")
	id, _ := scalar.DecodeID(gid)
	a.db.Client.Membership.Create().SetWorkspaceID(wsID).SetUserID(id).SetRole(membership.RoleMEMBER).ExecX(auth.System(context.Background()))
	vars := map[string]any{"ws": ws.CreateWorkspace.ID}

	s := b.openSSE(subscription, vars, bearer(token)...)
	c, err := b.dialWS("graphql-transport-ws", token, nil)
	if err != nil {
		t.Fatal(err)
	}
	socket := c.pump()
	c.subscribe("n", subscription, vars)
	waitSubscribers(t, b, 2)
	var out struct{ Logout bool }
	a.query(&out, `mutation { logout }`, nil, bearer(token)...)
	a.query(&struct{}{}, postNotice, map[string]any{"ws": ws.CreateWorkspace.ID, "title": "Salainen A:lta"}, bearer(owner)...)
	checkSessionOver(t, "logout on another instance", s, "Salainen")
	if got := socket.await("n", 3*time.Second, 0); got.closed != 4403 {
		t.Errorf("logout on another instance: the socket got %s, closed %d; want 4403", got.types(), got.closed)
	}
}
