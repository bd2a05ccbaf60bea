package server_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"kokeilu/internal/testdb"
)

// strs is n distinct strings.
func strs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}

// TestLongInListIsRefused: each list element can become one SQL bind
// parameter, and 70,000 of them are over both SQLite's (32,766) and
// PostgreSQL's (65,535) limits (the answer was INTERNAL). Every list
// argument or list input field — `…In` lists, nodes(ids:), or/and lists,
// as variables or literals — holds at most 1,000 elements, and one field's
// lists at most 10,000 together: BAD_USER_INPUT naming the input field.
func TestLongInListIsRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		for _, c := range []struct {
			name, query, field string
			vars               map[string]any
		}{
			{"70,000 slugIn", `query($s: [String!]) { pilots(where: {slugIn: $s}) { totalCount } }`, "where.slugIn",
				map[string]any{"s": strs(70000)}},
			{"1,001 slugNotIn in a where variable", `query($w: PilotWhereInput) { pilots(where: $w) { totalCount } }`, "where.slugNotIn",
				map[string]any{"w": map[string]any{"slugNotIn": strs(1001)}}},
			{"1,001 nodes ids", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, "ids",
				map[string]any{"ids": strs(1001)}},
			{"1,001 or branches", `query($w: [PilotWhereInput!]) { pilots(where: {or: $w}) { totalCount } }`, "where", // the filter bound (cost.MaxFilterSize) refuses it first
				map[string]any{"w": func() []map[string]any {
					out := make([]map[string]any, 1001)
					for i := range out {
						out[i] = map[string]any{"slug": "x"}
					}
					return out
				}()}},
			{"11 × 1,000 in nested or", `query($w: [PilotWhereInput!]) { pilots(where: {or: $w}) { totalCount } }`, "where",
				map[string]any{"w": func() []map[string]any {
					out := make([]map[string]any, 11)
					for i := range out {
						out[i] = map[string]any{"slugIn": strs(1000)}
					}
					return out
				}()}},
		} {
			res := a.post(c.query, c.vars)
			if len(res.Errors) == 0 || res.Errors[0].code() != "BAD_USER_INPUT" || res.Errors[0].Extensions["field"] != c.field {
				t.Errorf("%s: want BAD_USER_INPUT on %s, got status %d %+v", c.name, c.field, res.Status, res.Errors)
			}
		}
		var ok struct{ Pilots struct{ TotalCount int } }
		a.query(&ok, `query($s: [String!]) { pilots(where: {slugIn: $s}) { totalCount } }`, map[string]any{"s": strs(1000)})
	})
}

// TestLongExportListIsRefused: the export's list parameters had the same
// unbounded parameter count; 70,000 municipality codes made the statement
// fail before anything was written and the connection dropped with no
// answer. Over 1,000 values: 400 BAD_USER_INPUT naming the parameter.
func TestLongExportListIsRefused(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		codes := strings.Repeat("091,", 70000)
		for _, path := range []string{"/export/pilots.csv?municipality=" + codes[:len(codes)-1], "/export/pilots.json?theme=" + strings.Join(strs(1001), ",")} {
			res, err := http.Get(a.srv.URL + path)
			if err != nil {
				t.Fatalf("no HTTP answer: %v", errors.Unwrap(err))
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatalf("status %d, body cut: %v", res.StatusCode, err)
			}
			var out response
			_ = json.Unmarshal(body, &out)
			if res.StatusCode != http.StatusBadRequest || len(out.Errors) == 0 || out.Errors[0].code() != "BAD_USER_INPUT" || out.Errors[0].Extensions["parameter"] == nil {
				t.Errorf("%.40s…: status %d, %s", path, res.StatusCode, body)
			}
		}
	})
}
