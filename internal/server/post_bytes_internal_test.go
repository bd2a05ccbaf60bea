package server

import (
	"bytes"
	"context"
	"testing"
	"unicode/utf8"

	"kokeilu/internal/auth"
)

// TestPostBytesAsGqlgen: ours and gqlgen's POST answer byte for byte
// (not only as JSON), with invalid UTF-8 stored in the data, errors beside
// data, persisted queries.
func TestPostBytesAsGqlgen(t *testing.T) {
	db, ours, theirs := postServers(t)
	ctx := context.Background()
	if _, err := db.Client.Theme.Create().SetSlug("bad").SetNameFi("ok").SetNameSv("x").SetNameEn("y").Save(auth.System(ctx)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL.ExecContext(ctx, "UPDATE themes SET name_fi = CAST(X'61FF62C328E282' AS TEXT) WHERE slug = 'bad'"); err != nil {
		t.Fatal(err)
	}
	bodies := []string{
		`{"query": "{ themes(where: {slug: \"bad\"}) { nodes { slug nameFi } } }"}`,
		`{"query": "{ themes(first: 50) { nodes { slug nameFi nameEn } } }"}`,
		`{"query": "{ a: node(id: \"azE6MQ\") { id } }"}`,
		`{"query": "{ regions(first: 1) { totalCount } b: node(id: \"<b>&\") { id } }"}`,
		`{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"}}}`,
		`{"query": "{ __typename }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"}}}`,
		`{"query": "{ __typename }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "00"}}}`,
	}
	for _, accept := range []string{"", "application/graphql-response+json"} {
		for _, body := range bodies {
			s1, c1, b1 := postAccept(t, ours.URL, accept, body)
			s2, c2, b2 := postAccept(t, theirs.URL, accept, body)
			if s1 != s2 || c1 != c2 || !bytes.Equal(b1, b2) {
				t.Errorf("Accept %q body %s\nours   %d %s %q\ngqlgen %d %s %q", accept, body, s1, c1, b1, s2, c2, b2)
			}
			if !utf8.Valid(b1) {
				t.Logf("ours not UTF-8 (gqlgen's UTF-8: %v): %q", utf8.Valid(b2), b1)
			}
		}
	}
}
