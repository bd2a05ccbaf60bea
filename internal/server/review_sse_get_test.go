package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"kokeilu/internal/testdb"
)

// TestReviewSSEOverGETHasAnErrorCode: graphql-sse's distinct-connections
// mode lets a client (a browser EventSource can do nothing else) subscribe
// with GET /query?query=subscription… and Accept: text/event-stream. The
// server answers 406 with {"errors":[{"message":"GET requests only allow
// query operations"}]}: gqlgen's own error, without the extensions.code
// every error is documented to carry. Whatever the answer, its error must
// have a code.
func TestReviewSSEOverGETHasAnErrorCode(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/query?query="+url.QueryEscape("subscription { noticePosted { id } }"), nil)
	req.Header.Set("Accept", "text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		return // streamed: no error to check
	}
	var body response
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("status %d, undecodable body: %v", res.StatusCode, err)
	}
	for _, e := range body.Errors {
		if e.code() == "" {
			t.Fatalf("status %d, an error without extensions.code: %q", res.StatusCode, e.Message)
		}
	}
}
