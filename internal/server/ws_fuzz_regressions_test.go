package server_test

import (
	"testing"

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
