package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"kokeilu/internal/auth"
	"kokeilu/internal/testdb"
)

// burstDuration is how long TestWriteBurst writes: 4 s by default,
// KOKEILU_BURST_SECONDS for the 30 s drill.
func burstDuration() time.Duration {
	if s := os.Getenv("KOKEILU_BURST_SECONDS"); s != "" {
		var n int
		if _, err := fmt.Sscan(s, &n); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return 4 * time.Second
}

// TestWriteBurst is the write-burst drill: 20 writers each loop register →
// join → start a discussion → reply, while a reader keeps querying. Every
// mutation must succeed (SQLite's writes queue for its one writer instead of
// failing with "database is locked"), and afterwards the database holds
// exactly the discussions and replies that were acknowledged: none lost,
// none invented.
func TestWriteBurst(t *testing.T) {
	// Production password hashing: the drill is about slow work kept out
	// of write transactions.
	cheap := auth.Params
	auth.Params = auth.Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}
	defer func() { auth.Params = cheap }()
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, true)
		var ws struct{ Workspace struct{ ID string } }
		a.query(&ws, `{ workspace(slug: "kokeilevat-kunnat-ja-alueet") { id } }`, nil)

		call := func(token, query string, vars map[string]any) (json.RawMessage, error) {
			body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
			req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/query", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return nil, err
			}
			defer res.Body.Close()
			var out response
			if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
				return nil, fmt.Errorf("status %d: %v", res.StatusCode, err)
			}
			if res.StatusCode != http.StatusOK || len(out.Errors) > 0 {
				return nil, fmt.Errorf("status %d: %+v", res.StatusCode, out.Errors)
			}
			return out.Data, nil
		}

		const writers = 20
		deadline := time.Now().Add(burstDuration())
		var (
			mutations, discussions, replies, reads atomic.Int64
			mu                                     sync.Mutex
			failures                               []string
			slowest                                time.Duration
			took                                   = map[string][]time.Duration{}
		)
		fail := func(step string, err error) {
			mu.Lock()
			defer mu.Unlock()
			if len(failures) < 10 {
				failures = append(failures, step+": "+err.Error())
			} else {
				failures = append(failures[:10], "…")
			}
		}
		timed := func(step string, f func() (json.RawMessage, error)) (json.RawMessage, error) {
			start := time.Now()
			data, err := f()
			d := time.Since(start)
			mu.Lock()
			slowest = max(slowest, d)
			took[step] = append(took[step], d)
			mu.Unlock()
			mutations.Add(1)
			return data, err
		}
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; time.Now().Before(deadline); i++ {
					data, err := timed("register", func() (json.RawMessage, error) {
						return call("", `mutation($e: String!) { register(input: {email: $e, password: "correct horse battery", displayName: "Kirjoittaja"}) { token } }`,
							map[string]any{"e": fmt.Sprintf("burst-%d-%d@example.org", w, i)})
					})
					if err != nil {
						fail("register", err)
						continue
					}
					var reg struct{ Register struct{ Token string } }
					_ = json.Unmarshal(data, &reg)
					token := reg.Register.Token
					if _, err := timed("join", func() (json.RawMessage, error) {
						return call(token, `mutation($ws: ID!) { joinWorkspace(workspaceId: $ws) { role } }`, map[string]any{"ws": ws.Workspace.ID})
					}); err != nil {
						fail("join", err)
						continue
					}
					data, err = timed("discuss", func() (json.RawMessage, error) {
						return call(token, `mutation($ws: ID!) { startDiscussion(input: {workspaceId: $ws, title: "Purske", body: "Avaus"}) { id } }`, map[string]any{"ws": ws.Workspace.ID})
					})
					if err != nil {
						fail("startDiscussion", err)
						continue
					}
					discussions.Add(1)
					var d struct{ StartDiscussion struct{ ID string } }
					_ = json.Unmarshal(data, &d)
					if _, err := timed("reply", func() (json.RawMessage, error) {
						return call(token, `mutation($d: ID!) { replyToDiscussion(input: {discussionId: $d, body: "Vastaus"}) { id } }`, map[string]any{"d": d.StartDiscussion.ID})
					}); err != nil {
						fail("reply", err)
						continue
					}
					replies.Add(1)
				}
			}()
		}
		wg.Add(1)
		go func() { // reads go on beside the writes
			defer wg.Done()
			for time.Now().Before(deadline) {
				if _, err := call("", `{ workspace(slug: "kokeilevat-kunnat-ja-alueet") { discussions { totalCount } } }`, nil); err != nil {
					fail("read", err)
				}
				reads.Add(1)
			}
		}()
		wg.Wait()
		if len(failures) > 0 {
			t.Errorf("%d mutations, failures: %v", mutations.Load(), failures)
		}
		if discussions.Load() == 0 || reads.Load() == 0 {
			t.Fatalf("the drill did no work: %d discussions, %d reads", discussions.Load(), reads.Load())
		}
		var stored, storedReplies int
		if err := a.db.SQL.QueryRow(`SELECT count(*) FROM discussions WHERE title = 'Purske'`).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if err := a.db.SQL.QueryRow(`SELECT count(*) FROM posts p JOIN discussions d ON d.id = p.discussion_posts WHERE d.title = 'Purske' AND p.body = 'Vastaus'`).Scan(&storedReplies); err != nil {
			t.Fatal(err)
		}
		if int64(stored) != discussions.Load() || int64(storedReplies) != replies.Load() {
			t.Errorf("acknowledged %d discussions and %d replies, stored %d and %d", discussions.Load(), replies.Load(), stored, storedReplies)
		}
		for _, step := range []string{"register", "join", "discuss", "reply"} {
			d := took[step]
			slices.Sort(d)
			if len(d) > 0 {
				t.Logf("%s: %s p50 %s p99 %s (%d)", b, step, d[len(d)/2].Round(time.Millisecond), d[len(d)*99/100].Round(time.Millisecond), len(d))
			}
		}
		t.Logf("%s: %d mutations by %d writers in %s, %d reads, 0 errors wanted, %d failures; slowest mutation %s",
			b, mutations.Load(), writers, burstDuration(), reads.Load(), len(failures), slowest.Round(time.Millisecond))
	})
}
