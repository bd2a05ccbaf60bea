package server_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
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

// TestNonIntegerIntVariableIsNamed: gqlparser refuses first: 1.5 or 1e30
// sent as a variable with "cannot use value 0 as Int", naming a value the
// client never sent; the answer is BAD_USER_INPUT naming the variable.
func TestNonIntegerIntVariableIsNamed(t *testing.T) {
	a := newAPI(t, testdb.SQLite, false)
	for _, raw := range []string{"1.5", "1e30"} {
		body := []byte(`{"query": "query($n: Int) { pilots(first: $n) { totalCount } }", "variables": {"n": ` + raw + `}}`)
		res, err := http.Post(a.srv.URL+"/query", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var out response
		err = json.NewDecoder(res.Body).Decode(&out)
		res.Body.Close()
		if err != nil || len(out.Errors) == 0 || out.Errors[0].code() != "BAD_USER_INPUT" ||
			!strings.Contains(out.Errors[0].Message, "$n") || strings.Contains(out.Errors[0].Message, "value 0") {
			t.Errorf("first: %s: %v %+v", raw, err, out.Errors)
		}
	}
}
