package server_test

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"kokeilu/internal/testdb"
)

// TestReviewLongInListIsNotInternal: a `…In` filter is bounded only by the
// 1 MiB body, so a list sent as a variable reaches the database as one bind
// parameter per element. 70,000 slugs are over both SQLite's (32,766) and
// PostgreSQL's (65,535) parameter limits; the answer must be a client error
// or data, never INTERNAL.
func TestReviewLongInListIsNotInternal(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		slugs := make([]string, 70000)
		for i := range slugs {
			slugs[i] = strconv.Itoa(i)
		}
		res := a.post(`query($s: [String!]) { pilots(where: {slugIn: $s}) { totalCount } }`, map[string]any{"s": slugs})
		if res.Status >= 500 {
			t.Fatalf("status %d", res.Status)
		}
		for _, e := range res.Errors {
			if e.code() == "INTERNAL" {
				t.Fatalf("a 70,000-element slugIn answered INTERNAL: %+v", e)
			}
		}
	})
}

// TestReviewLongExportListIsAnswered: the export's list parameters have the
// same unbounded bind-parameter count (the query string may be up to 1 MB).
// 70,000 valid municipality codes make the first batch's statement fail
// before anything is written, and the server drops the connection without
// a response (the log says "export failed: too many SQL variables"). The
// client must get an HTTP answer: the export, or 400 naming the parameter.
func TestReviewLongExportListIsAnswered(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		codes := strings.Repeat("091,", 70000)
		res, err := http.Get(a.srv.URL + "/export/pilots.csv?municipality=" + codes[:len(codes)-1])
		if err != nil {
			t.Fatalf("70,000 municipality codes: no HTTP answer: %v", errors.Unwrap(err)) // the URL itself is 280 kB
		}
		defer res.Body.Close()
		if _, err := io.ReadAll(res.Body); err != nil {
			t.Fatalf("70,000 municipality codes: status %d, body cut: %v", res.StatusCode, err)
		}
		if res.StatusCode >= 500 {
			t.Fatalf("70,000 municipality codes: status %d", res.StatusCode)
		}
	})
}
