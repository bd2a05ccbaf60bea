package server_test

import (
	"testing"

	"kokeilu/internal/testdb"
)

// TestFoldFiltersUnicode: …Fold filters fold Ä, Ö and Å on both databases,
// in either case and in NFC or NFD, as PostgreSQL's ILIKE does.
func TestFoldFiltersUnicode(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		for _, c := range []struct {
			filter string
			want   int
		}{
			{`{nameFiContainsFold: "Äänekoski"}`, 1},
			{`{nameFiContainsFold: "ÄÄNEKOSKI"}`, 1},
			{`{nameFiContainsFold: "äänekoski"}`, 1},
			{`{nameFiContainsFold: "A\u0308a\u0308nekoski"}`, 1}, // NFD
			{`{nameFiEqualFold: "ÄÄNEKOSKI"}`, 1},
			{`{nameSvEqualFold: "ÅBO"}`, 1},
			{`{nameFiContainsFold: "ÖÖÖ"}`, 0},
		} {
			var got struct{ Municipalities struct{ TotalCount int } }
			a.query(&got, `{ municipalities(where: `+c.filter+`) { totalCount } }`, nil)
			if got.Municipalities.TotalCount != c.want {
				t.Errorf("%s: %d, want %d", c.filter, got.Municipalities.TotalCount, c.want)
			}
		}
	})
}
