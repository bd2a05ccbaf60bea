package server_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"kokeilu/internal/testdb"
)

// TestSSEOverGETStreams: graphql-sse's distinct connections mode lets a
// client (a browser EventSource can do nothing else) subscribe with
// GET /query?query=subscription… and Accept: text/event-stream. It used to
// answer 406 with gqlgen's error without extensions.code; now it streams,
// and what it refuses carries a code: a mutation (GET never changes
// anything) is 405 BAD_USER_INPUT, a document that does not parse an
// error with GRAPHQL_PARSE_FAILED.
func TestSSEOverGETStreams(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	get := func(params url.Values) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/query?"+params.Encode(), nil)
		req.Header.Set("Accept", "text/event-stream")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := get(url.Values{"query": {"subscription($ws: ID) { noticePosted(workspaceId: $ws) { id } }"}, "variables": {`{"ws": null}`}})
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	waitSubscribers(t, a, 1)
	res.Body.Close()

	for _, c := range []struct {
		query, code string
		status      int
	}{
		{`mutation { logout }`, "BAD_USER_INPUT", http.StatusMethodNotAllowed},
		{`subscription {`, "GRAPHQL_PARSE_FAILED", 0},
	} {
		res := get(url.Values{"query": {c.query}})
		body := readSSEOrJSON(t, res)
		if c.status != 0 && res.StatusCode != c.status {
			t.Errorf("%s: status %d", c.query, res.StatusCode)
		}
		if len(body.Errors) == 0 || body.Errors[0].code() != c.code {
			t.Errorf("%s: status %d, want %s, got %+v", c.query, res.StatusCode, c.code, body.Errors)
		}
	}
}

// readSSEOrJSON reads a JSON error body, or the first next event of a
// stream.
func readSSEOrJSON(t *testing.T, res *http.Response) response {
	t.Helper()
	defer res.Body.Close()
	var out response
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
			t.Fatalf("status %d, undecodable body: %v", res.StatusCode, err)
		}
		return out
	}
	done := time.AfterFunc(5*time.Second, func() { res.Body.Close() })
	defer done.Stop()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			_ = json.Unmarshal([]byte(data), &out)
			return out
		}
	}
	return out
}
