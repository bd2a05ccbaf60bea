package server_test

import (
	"testing"

	"kokeilu/internal/testdb"
)

// TestCursorOfAnotherOrderIsNotInternal: a connection cursor carries
// the last row's value of the ordering column, and a client may send it
// back with another orderBy (or forge it). On PostgreSQL the value is bound
// to the new column as is — a text compared to an integer, a date or a
// timestamp — and the statement fails: INTERNAL. SQLite compares anything
// with anything, so the same request returns data there. A cursor that does
// not fit the order must be BAD_USER_INPUT (field "after"), not INTERNAL.
func TestCursorOfAnotherOrderIsNotInternal(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		var page struct {
			Municipalities struct{ PageInfo struct{ EndCursor string } }
		}
		a.query(&page, `{ municipalities(first: 1, orderBy: [{field: NAME_FI}]) { pageInfo { endCursor } } }`, nil)
		res := a.post(`query($c: Cursor) { municipalities(first: 1, after: $c, orderBy: [{field: POPULATION}]) { nodes { code } } }`,
			map[string]any{"c": page.Municipalities.PageInfo.EndCursor})
		for _, e := range res.Errors {
			if e.code() == "INTERNAL" {
				t.Fatalf("a NAME_FI cursor under orderBy POPULATION answered INTERNAL: %+v", e)
			}
		}
	})
}
