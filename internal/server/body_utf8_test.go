package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"kokeilu/internal/testdb"
)

// TestInvalidUTF8BodyIsRefused: Go's JSON decoder turns invalid UTF-8 in
// a string into U+FFFD without a word, so a title sent as Latin-1 was
// stored mangled; the README promises BAD_USER_INPUT.
func TestInvalidUTF8BodyIsRefused(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	body := []byte(`{"query": "{ pilots(where: {titleContains: \"P\xe4\xe4\"}) { totalCount } }"}`)
	res, err := http.Post(a.srv.URL+"/query", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out response
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusBadRequest || len(out.Errors) == 0 || out.Errors[0].code() != "BAD_USER_INPUT" {
		t.Fatalf("status %d, %+v", res.StatusCode, out.Errors)
	}
}
