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
			if got := c.await("good", 3*time.Second, 0); len(got.messages) != 1 || got.messages[0].Type == "error" || len(got.errors()) > 0 {
				t.Errorf("%s: after bad subscriptions: %s %+v", protocol, got.types(), got.errors())
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
