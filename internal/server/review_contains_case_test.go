package server_test

import (
	"testing"

	"kokeilu/internal/testdb"
)

// TestReviewContainsIsCaseSensitiveOnBothBackends: the generated string
// predicates (…Contains, …HasPrefix, …HasSuffix; the …Fold variants are the
// case-insensitive ones) compile to LIKE on SQLite, which ignores ASCII
// case, and to a case-sensitive match on PostgreSQL. The same filter thus
// finds Helsinki on SQLite and nothing on PostgreSQL. Both backends must
// answer alike, and as the Fold/non-Fold split says: no match.
func TestReviewContainsIsCaseSensitiveOnBothBackends(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		a := newAPI(t, b, false)
		var got struct {
			Contains, Prefix, Fold struct{ TotalCount int }
		}
		a.query(&got, `{
			contains: municipalities(where: {nameFiContains: "HELSIN"}) { totalCount }
			prefix: municipalities(where: {nameFiHasPrefix: "helsin"}) { totalCount }
			fold: municipalities(where: {nameFiContainsFold: "HELSIN"}) { totalCount } }`, nil)
		if got.Fold.TotalCount != 1 {
			t.Fatalf("nameFiContainsFold HELSIN: %d, want 1 (Helsinki)", got.Fold.TotalCount)
		}
		if got.Contains.TotalCount != 0 || got.Prefix.TotalCount != 0 {
			t.Fatalf("case-sensitive predicates matched another case: nameFiContains HELSIN %d, nameFiHasPrefix helsin %d; want 0 and 0",
				got.Contains.TotalCount, got.Prefix.TotalCount)
		}
	})
}
