package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"kokeilu/internal/testdb"
)

// TestRequestErrorsHaveCodes sends requests that never reach a resolver:
// each gets a 4xx JSON error with extensions.code, never a 500.
func TestRequestErrorsHaveCodes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		for _, c := range []struct {
			method, contentType, body string
			status                    int
		}{
			{"POST", "application/json", `{bad json`, 400},
			{"POST", "application/json", ``, 400},
			{"POST", "application/json", `{"query": "{ __typename }", "variables": "x"}`, 400},
			{"POST", "text/plain", `{"query": "{ __typename }"}`, 415},
			{"PUT", "application/json", `{"query": "{ __typename }"}`, 405},
			{"DELETE", "", ``, 405},
		} {
			req, _ := http.NewRequest(c.method, a.srv.URL+"/query", strings.NewReader(c.body))
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var out response
			err = json.NewDecoder(res.Body).Decode(&out)
			res.Body.Close()
			if err != nil || res.StatusCode != c.status || len(out.Errors) == 0 || out.Errors[0].code() != "BAD_USER_INPUT" {
				t.Errorf("%s %s %q: status %d (want %d), errors %+v, decode %v", c.method, c.contentType, c.body, res.StatusCode, c.status, out.Errors, err)
			}
			if len(out.Errors) > 0 && strings.Contains(out.Errors[0].Message, "bad json") {
				t.Errorf("error echoes the request body: %q", out.Errors[0].Message)
			}
		}
	})
}

// TestPasswordHashIsNotInTheSchema looks for any trace of the hash in the
// schema a client can introspect.
func TestPasswordHashIsNotInTheSchema(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		var got struct {
			Schema struct {
				Types []struct {
					Name        string
					Fields      []struct{ Name string }
					InputFields []struct{ Name string } `json:"inputFields"`
					EnumValues  []struct{ Name string } `json:"enumValues"`
				}
			} `json:"__schema"`
		}
		a.query(&got, `{ __schema { types { name fields { name } inputFields { name } enumValues { name } } } }`, nil)
		var userFields []string
		for _, typ := range got.Schema.Types {
			var names []string
			for _, f := range typ.Fields {
				names = append(names, f.Name)
			}
			if typ.Name != "RegisterInput" && typ.Name != "LoginInput" { // where a password is typed in
				for _, f := range typ.InputFields {
					names = append(names, f.Name)
				}
			}
			for _, f := range typ.EnumValues {
				names = append(names, f.Name)
			}
			for _, n := range names {
				if strings.Contains(strings.ToLower(n), "password") {
					t.Errorf("%s.%s exposes the password", typ.Name, n)
				}
			}
			if typ.Name == "User" {
				userFields = names
			}
		}
		if len(userFields) == 0 {
			t.Fatal("no User type in the schema")
		}
	})
}
