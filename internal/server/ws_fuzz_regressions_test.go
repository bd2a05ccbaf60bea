package server_test

import (
	"testing"
	"time"

	"kokeilu/internal/testdb"
)

// Shrunk failures of TestStreamFrameFuzz, replayed through its checks.

// TestFuzzLegacyConnectionErrorHasCode: a bad token on the legacy protocol
// was answered with a connection_error whose payload had no
// extensions.code (then 4403).
func TestFuzzLegacyConnectionErrorHasCode(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		checkSocket(t, a, a.publicWorkspace(), "graphql-ws", []fuzzFrame{
			{Type: "connection_init", Payload: `{"Authorization":"Bearer kk_bad"}`},
		}, &fuzzStats{})
	})
}

// TestFuzzSignedInMutationOverSSE: found on the code before this branch
// within the first second: a signed-in `mutation { logout }` over SSE
// panicked in entgql's Transactioner (logged "panic in resolver"; the
// stream ended without complete).
func TestFuzzSignedInMutationOverSSE(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		logs := recordLogs(t)
		token, _ := a.register("sse-logout@example.org", "Logout")
		checkSSE(t, a, `{"query":"mutation { logout }"}`, "Bearer "+token)
		if p := logs.panics(); len(p) > 0 {
			t.Fatalf("panics logged: %v", p)
		}
	})
}

// TestFuzzRefusedSubscriptionAnswered: found with the refused-subscription
// answer taken out: a subscription whose resolver refused its arguments
// was never answered.
func TestFuzzRefusedSubscriptionAnswered(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		checkSocket(t, a, a.publicWorkspace(), "graphql-transport-ws", []fuzzFrame{
			{Type: "connection_init", Payload: `"x"`},
			{Type: "subscribe", ID: "1", Payload: `{"query":"subscription { noticePosted(workspaceId: \"bm90LWEtcmVhbC1pZA\") { id } }"}`},
		}, &fuzzStats{})
	})
}

// TestFuzzGarbageCursorNotInternal: found on the code before this branch:
// `noticePosted(after: "garbage!!")` was answered (when at all) with
// INTERNAL.
func TestFuzzGarbageCursorNotInternal(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		logs := recordLogs(t)
		for _, protocol := range protocols {
			checkSocket(t, a, a.publicWorkspace(), protocol, []fuzzFrame{
				{Type: "connection_init", Payload: `{}`},
				{Type: map[string]string{"graphql-ws": "start", "graphql-transport-ws": "subscribe"}[protocol], ID: "3",
					Payload: `{"query":"subscription { noticePosted(after: \"garbage!!\") { id } }"}`},
			}, &fuzzStats{})
		}
		checkSSE(t, a, `{"query":"subscription { noticePosted(after: \"garbage!!\") { id } }"}`, "")
		if n := logs.internalErrors(); n > 0 {
			t.Fatalf("%d internal errors logged", n)
		}
	})
}

// TestFuzzMutationCancelledNotInternal: found on PostgreSQL: a mutation
// whose socket the client ended at once (connection_terminate) failed to
// begin its transaction ("context canceled") and was logged as an
// INTERNAL error, though nobody was left to answer. The race is timing
// dependent: this replay fails only when the terminate wins it.
func TestFuzzMutationCancelledNotInternal(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		token, _ := a.register("terminate@example.org", "Terminate")
		logs := recordLogs(t)
		for range 5 {
			checkSocket(t, a, a.publicWorkspace(), "graphql-transport-ws", []fuzzFrame{
				{Type: "connection_init", Payload: `{"Authorization":"Bearer ` + token + `"}`},
				{Type: "subscribe", ID: "3", Payload: `{"query":"mutation { joinWorkspace(workspaceId: \"eA\") { role } }"}`},
				{Type: "subscribe", ID: "2", Payload: `{"query":""}`},
				{Type: "connection_terminate"},
			}, &fuzzStats{})
		}
		time.Sleep(200 * time.Millisecond) // the operations end after the socket
		if m := logs.internalMessages(); len(m) > 0 {
			t.Fatalf("internal errors logged: %v", m)
		}
	})
}
