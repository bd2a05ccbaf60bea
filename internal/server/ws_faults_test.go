package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"kokeilu/ent/notice"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/scalar"
	"kokeilu/internal/server"
	"kokeilu/internal/testdb"

	"context"
)

// codes lists the extensions.code of errs.
func codes(errs []gqlError) string {
	var cs []string
	for _, e := range errs {
		cs = append(cs, e.code())
	}
	return strings.Join(cs, ",")
}

// wantTypes is what an operation's answer looks like: graphql-transport-ws
// never sends complete after error; the legacy protocol does.
func wantTypes(protocol, typ string) string {
	if typ == "error" && protocol == "graphql-ws" {
		return "error complete"
	}
	if typ == "next" && protocol == "graphql-ws" {
		return "data complete"
	}
	if typ == "next" {
		return "next complete"
	}
	return typ
}

// TestMutationsOverSocketAndSSE: a mutation over WebSocket crashed the
// process (entgql's Transactioner got the nil that ends the operation's
// stream); over SSE its stream ended in a bare JSON line without complete.
// Now each is answered with its result and complete, runs in one
// transaction, and the connection goes on.
func TestMutationsOverSocketAndSSE(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		p := a.people()
		w := a.newWorld(p, workspace.VisibilityPUBLIC)
		ctx := auth.System(context.Background())
		missing := scalar.EncodeID(1 << 30)
		for _, protocol := range protocols {
			c, err := a.dialWS(protocol, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			anon := c.pump()
			anon.subscribe("m1", `mutation { logout }`, nil)
			if got := anon.await("m1", 3*time.Second, 0); got.types() != wantTypes(protocol, "next") || codes(got.errors()) != "UNAUTHENTICATED" {
				t.Errorf("%s anonymous logout: %s %s (closed %d)", protocol, got.types(), codes(got.errors()), got.closed)
			}
			anon.subscribe("q1", `{ __typename }`, nil)
			if got := anon.await("q1", 3*time.Second, 0); got.types() != wantTypes(protocol, "next") || string(got.data()) != `{"__typename":"Query"}` {
				t.Errorf("%s query after a mutation: %s %s", protocol, got.types(), got.data())
			}

			c, err = a.dialWS(protocol, p.token["owner"], nil)
			if err != nil {
				t.Fatal(err)
			}
			owner := c.pump()
			title := "Sokettiseminaari " + protocol
			owner.subscribe("m2", postNotice, map[string]any{"ws": w.Workspace, "title": title})
			if got := owner.await("m2", 3*time.Second, 0); got.types() != wantTypes(protocol, "next") || len(got.errors()) > 0 {
				t.Errorf("%s postNotice: %s %+v", protocol, got.types(), got.errors())
			}
			if n := a.db.Client.Notice.Query().Where(notice.Title(title)).CountX(ctx); n != 1 {
				t.Errorf("%s postNotice stored %d notices", protocol, n)
			}
			// Two fields, the second fails: the first is rolled back, as over HTTP.
			half := "Puolikas " + protocol
			owner.subscribe("m3", `mutation($ws: ID!, $missing: ID!, $title: String!) {
				a: postNotice(input: {workspaceId: $ws, title: $title}) { id }
				b: postNotice(input: {workspaceId: $missing, title: $title}) { id } }`,
				map[string]any{"ws": w.Workspace, "missing": missing, "title": half})
			if got := owner.await("m3", 3*time.Second, 0); got.types() != wantTypes(protocol, "next") || len(got.errors()) == 0 {
				t.Errorf("%s failing mutation: %s %+v", protocol, got.types(), got.errors())
			}
			if n := a.db.Client.Notice.Query().Where(notice.Title(half)).CountX(ctx); n != 0 {
				t.Errorf("%s: a failed mutation left %d notices: not one transaction", protocol, n)
			}

			token, _ := a.register(protocol+"-leaver@example.org", "Leaver")
			c, err = a.dialWS(protocol, token, nil)
			if err != nil {
				t.Fatal(err)
			}
			leaver := c.pump()
			leaver.subscribe("m4", `mutation { logout }`, nil)
			if got := leaver.await("m4", 3*time.Second, 0); got.types() != wantTypes(protocol, "next") || string(got.data()) != `{"logout":true}` {
				t.Errorf("%s signed-in logout: %s %s %+v", protocol, got.types(), got.data(), got.errors())
			}
			if res := a.post(`{ viewer { id } }`, nil, bearer(token)...); res.Status != 401 {
				t.Errorf("%s: logout over the socket did not revoke the token (HTTP %d)", protocol, res.Status)
			}
		}
		if res := a.post(`{ __typename }`, nil); res.Status != 200 {
			t.Fatalf("server after socket mutations: HTTP %d", res.Status)
		}

		// SSE: the same mutations, each with next and complete.
		events, open := a.sse(`mutation { logout }`, nil, 3*time.Second)
		if open || sseTypes(events) != "next complete" || codes(sseErrors(events)) != "UNAUTHENTICATED" {
			t.Errorf("SSE anonymous logout: %q %+v open=%t", sseTypes(events), events, open)
		}
		events, open = a.sse(postNotice, map[string]any{"ws": w.Workspace, "title": "SSE-seminaari"}, 3*time.Second, p.header("owner")...)
		if open || sseTypes(events) != "next complete" || len(sseErrors(events)) > 0 {
			t.Errorf("SSE postNotice: %q %+v", sseTypes(events), events)
		}
		if n := a.db.Client.Notice.Query().Where(notice.Title("SSE-seminaari")).CountX(ctx); n != 1 {
			t.Errorf("SSE postNotice stored %d notices", n)
		}
	})
}

// TestSubscriptionBadArguments: a subscription whose arguments the
// resolver refused was never answered over WebSocket. Now it is answered
// with error and BAD_USER_INPUT (no complete after it on
// graphql-transport-ws), and over SSE with the error and complete.
func TestSubscriptionBadArguments(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		cases := []struct {
			query string
			vars  map[string]any
			code  string
		}{
			{`subscription { noticePosted(workspaceId: "bm90LWEtcmVhbC1pZA") { id } }`, nil, "BAD_USER_INPUT"},
			{`subscription { noticePosted(after: "garbage!!") { id } }`, nil, "BAD_USER_INPUT"},
			{subscription, map[string]any{"ws": "bm90LWEtcmVhbC1pZA"}, "BAD_USER_INPUT"},
			{subscription, map[string]any{"after": "garbage!!"}, "BAD_USER_INPUT"},
			{subscription, map[string]any{"ws": 12}, "BAD_USER_INPUT"},
			{subscription, map[string]any{"ws": scalar.EncodeID(1 << 30)}, "NOT_FOUND"},
		}
		for _, protocol := range protocols {
			ws, err := a.dialWS(protocol, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			c := ws.pump()
			for i, tc := range cases {
				id := fmt.Sprint("s", i)
				c.subscribe(id, tc.query, tc.vars)
				got := c.await(id, 3*time.Second, 200*time.Millisecond)
				if got.types() != wantTypes(protocol, "error") || codes(got.errors()) != tc.code {
					t.Errorf("%s %s %v: %q %q (closed %d), want %q %s", protocol, tc.query, tc.vars, got.types(), codes(got.errors()), got.closed, wantTypes(protocol, "error"), tc.code)
				}
			}
			// The socket still works: a good subscription receives.
			c.subscribe("good", subscription, nil)
			waitSubscribers(t, a, 1)
			a.db.Client.Notice.Create().SetWorkspaceID(a.publicWorkspace()).SetTitle("Hyvä " + protocol).SaveX(auth.System(context.Background()))
			if m, ok := c.first("good", 3*time.Second); !ok || m.Type != "next" && m.Type != "data" {
				t.Errorf("%s: after bad subscriptions: %+v", protocol, m)
			}
			c.conn.CloseNow()
			waitSubscribers(t, a, 0)
		}
		for _, tc := range cases {
			events, open := a.sse(tc.query, tc.vars, 3*time.Second)
			if open || sseTypes(events) != "next complete" || codes(sseErrors(events)) != tc.code {
				t.Errorf("SSE %s %v: %q %q open=%t, want next complete %s", tc.query, tc.vars, sseTypes(events), codes(sseErrors(events)), open, tc.code)
			}
		}
	})
}

// publicWorkspace is the id of a public workspace (made on first use).
func (a *api) publicWorkspace() int {
	ctx := auth.System(context.Background())
	if id, err := a.db.Client.Workspace.Query().Where(workspace.VisibilityEQ(workspace.VisibilityPUBLIC)).FirstID(ctx); err == nil {
		return id
	}
	return a.db.Client.Workspace.Create().SetName("Julkinen").SetSlug("julkinen").SetVisibility(workspace.VisibilityPUBLIC).SaveX(ctx).ID
}

// TestSocketInitTimeout4408: a socket that sends no connection_init was
// dropped without a close frame (1006). It is closed with 4408.
func TestSocketInitTimeout4408(t *testing.T) {
	defer server.SetSocketInitTimeout(300 * time.Millisecond)()
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		for _, protocol := range protocols {
			c := a.dialRaw(protocol)
			if code := c.closeStatus(5 * time.Second); code != 4408 {
				t.Errorf("%s: closed with %d, want 4408", protocol, code)
			}
		}
	})
}

var _ = json.Marshal

// TestPanicsNeverEscape injects panics into a resolver (gqlgen recovers
// those) and into the response path outside any resolver (the transport
// must), over HTTP, both WebSocket protocols and SSE, and into a
// subscription's events. Each is answered with INTERNAL and the request
// id, logged with the request id, and the server goes on answering. A
// panic escaping a goroutine would end this test binary.
func TestPanicsNeverEscape(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		logs := recordLogs(t)
		a := newFaultyAPI(t, b)
		isInternal := func(errs []gqlError) bool {
			return len(errs) > 0 && errs[0].code() == "INTERNAL" && errs[0].Extensions["requestId"] != ""
		}
		const fieldPanic = `{ boom: viewer { id } }`
		const responsePanic = `query PanicResponse { __typename }`

		if res := a.post(fieldPanic, nil); !isInternal(res.Errors) {
			t.Errorf("HTTP field panic: %d %+v", res.Status, res.Errors)
		}
		if res := a.post(responsePanic, nil); !isInternal(res.Errors) {
			t.Errorf("HTTP response panic: %d %+v", res.Status, res.Errors)
		}

		for _, protocol := range protocols {
			ws, err := a.dialWS(protocol, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			c := ws.pump()
			c.subscribe("f", fieldPanic, nil)
			if got := c.await("f", 3*time.Second, 0); got.types() != wantTypes(protocol, "next") || !isInternal(got.errors()) {
				t.Errorf("%s field panic: %s %+v", protocol, got.types(), got.errors())
			}
			c.subscribe("r", responsePanic, nil)
			if got := c.await("r", 3*time.Second, 100*time.Millisecond); got.types() != wantTypes(protocol, "error") || !isInternal(got.errors()) {
				t.Errorf("%s response panic: %s %+v", protocol, got.types(), got.errors())
			}
			c.subscribe("s", `subscription { boom: noticePosted { id } }`, nil)
			if got := c.await("s", 3*time.Second, 100*time.Millisecond); got.types() != wantTypes(protocol, "error") || !isInternal(got.errors()) {
				t.Errorf("%s subscription resolver panic: %s %+v", protocol, got.types(), got.errors())
			}
			c.subscribe("ok", `{ __typename }`, nil)
			if got := c.await("ok", 3*time.Second, 0); got.types() != wantTypes(protocol, "next") {
				t.Errorf("%s after panics: %s", protocol, got.types())
			}
			ws.conn.CloseNow()
		}

		for _, q := range []string{fieldPanic, responsePanic, `subscription { boom: noticePosted { id } }`} {
			events, open := a.sse(q, nil, 3*time.Second)
			if open || sseTypes(events) != "next complete" || !isInternal(sseErrors(events)) {
				t.Errorf("SSE %s: %q %+v", q, sseTypes(events), events)
			}
		}

		// A subscription's events: a panic rendering a grouped event, one
		// rendering a resumed subscription's event, and one in a field of
		// the event. A healthy subscriber on the same socket goes on.
		ctx := auth.System(context.Background())
		ws := a.publicWorkspace()
		first := a.db.Client.Notice.Create().SetWorkspaceID(ws).SetTitle("Ensimmäinen").SaveX(ctx)
		a.db.Client.Notice.Create().SetWorkspaceID(ws).SetTitle("Replayed").SaveX(ctx)
		if err := a.board.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		var n struct{ Node struct{ Cursor string } }
		a.query(&n, `query($id: ID!) { node(id: $id) { ... on Notice { cursor } } }`, map[string]any{"id": scalar.EncodeID(first.ID)})
		for _, protocol := range protocols {
			conn, err := a.dialWS(protocol, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			c := conn.pump()
			// The resumed one replays the notice after the first at once.
			c.subscribe("resumed", `subscription PanicResponse($after: Cursor) { noticePosted(after: $after) { id } }`, map[string]any{"after": n.Node.Cursor})
			if got := c.await("resumed", 3*time.Second, 100*time.Millisecond); got.types() != wantTypes(protocol, "error") || !isInternal(got.errors()) {
				t.Errorf("%s resumed event panic: %s %+v", protocol, got.types(), got.errors())
			}
			c.subscribe("grouped", `subscription PanicResponse { noticePosted { id } }`, nil)
			c.subscribe("field", `subscription { noticePosted { id boom: title } }`, nil)
			c.subscribe("healthy", `subscription { noticePosted { title } }`, nil)
			waitSubscribers(t, a, 3)
			a.db.Client.Notice.Create().SetWorkspaceID(ws).SetTitle("Toinen " + protocol).SaveX(ctx)
			if got := c.await("grouped", 3*time.Second, 100*time.Millisecond); got.types() != wantTypes(protocol, "error") || !isInternal(got.errors()) {
				t.Errorf("%s grouped event panic: %s %+v", protocol, got.types(), got.errors())
			}
			for round := range 2 {
				if m, ok := c.first("field", 3*time.Second); !ok || !isInternal(answer{messages: []wsMessage{m}}.errors()) {
					t.Errorf("%s field panic in event %d: %+v", protocol, round, m)
				}
				m, ok := c.first("healthy", 3*time.Second)
				if an := (answer{messages: []wsMessage{m}}); !ok || len(an.errors()) > 0 || !strings.Contains(string(an.data()), "Toinen") {
					t.Errorf("%s healthy subscriber, event %d: %+v", protocol, round, m)
				}
				if round == 0 {
					a.db.Client.Notice.Create().SetWorkspaceID(ws).SetTitle("Toinen taas " + protocol).SaveX(ctx)
				}
			}
			conn.conn.CloseNow()
			waitSubscribers(t, a, 0)
		}

		if res := a.post(`{ __typename }`, nil); res.Status != 200 || len(res.Errors) > 0 {
			t.Fatalf("server after panics: %d %+v", res.Status, res.Errors)
		}
		panics := logs.panics()
		for _, line := range panics {
			if !strings.Contains(line, "request_id=") || strings.Contains(line, "request_id= ") || strings.HasSuffix(line, "request_id=") {
				t.Errorf("panic logged without a request id: %s", line)
			}
		}
		if n := logs.errorRecords(); n != len(panics) {
			t.Errorf("%d panics and %d error records: a panic is logged once", len(panics), n)
		}
		if len(panics) < 14 {
			t.Errorf("%d panics logged, injected at least 14", len(panics))
		}
		t.Logf("%d panics logged", len(panics))
	})
}
