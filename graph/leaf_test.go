package graph

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"kokeilu/internal/scalar"

	"github.com/99designs/gqlgen/graphql"
	"pgregory.net/rapid"
)

// TestPlainLeavesWriteAsTheirScalar: a field answered by a pointer into
// its object (seqlists) writes what the field's marshaller writes, for any
// value, and nothing is allocated for it. (An enum, its own marshaller,
// is answered by a pointer to it: the same method.)
func TestPlainLeavesWriteAsTheirScalar(t *testing.T) {
	written := func(m graphql.Marshaler) string {
		var b bytes.Buffer // the response's writer
		m.MarshalGQL(&b)
		var other strings.Builder
		m.MarshalGQL(&other)
		if other.String() != b.String() {
			t.Fatalf("%s into a bytes.Buffer, %s into another writer", b.String(), other.String())
		}
		return b.String()
	}
	viaContext := func(m graphql.ContextMarshaler) string {
		var b bytes.Buffer
		if err := m.MarshalGQLContext(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.String().Draw(t, "s")
		if got, want := written((*stringAt)(&s)), viaContext(scalar.MarshalString(s)); got != want {
			t.Fatalf("String %q: %s, want %s", s, got, want)
		}
		id := rapid.IntRange(0, 1<<62).Draw(t, "id")
		if got, want := written((*idAt)(&id)), viaContext(scalar.MarshalID(id)); got != want {
			t.Fatalf("ID %d: %s, want %s", id, got, want)
		}
		n := rapid.Int().Draw(t, "n")
		if got, want := written((*intAt)(&n)), written(graphql.MarshalInt(n)); got != want {
			t.Fatalf("Int %d: %s, want %s", n, got, want)
		}
		f := rapid.Bool().Draw(t, "f")
		if got, want := written((*boolAt)(&f)), written(graphql.MarshalBoolean(f)); got != want {
			t.Fatalf("Boolean %v: %s, want %s", f, got, want)
		}
		// Years 1–9999, in a zone of up to ±14 hours.
		d := time.Unix(rapid.Int64Range(-62135596800, 253402300799).Draw(t, "date"), 0).
			In(time.FixedZone("", rapid.IntRange(-14*3600, 14*3600).Draw(t, "offset")))
		if got, want := written((*dateAt)(&d)), viaContext(scalar.MarshalDate(d)); got != want {
			t.Fatalf("Date %v: %s, want %s", d, got, want)
		}
	})
	if got := written((*dateAt)(nil)); got != "null" {
		t.Errorf("a missing Date writes %s", got)
	}

	s, id, n, f, d := "Mäntsälä \"\\\n", 1234567, -5, true, time.Date(2015, 12, 2, 0, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	b.Grow(1 << 10)
	for name, m := range map[string]graphql.Marshaler{
		"String": (*stringAt)(&s), "ID": (*idAt)(&id), "Int": (*intAt)(&n), "Boolean": (*boolAt)(&f),
		"Date": (*dateAt)(&d), "missing Date": (*dateAt)(nil),
	} {
		if a := testing.AllocsPerRun(50, func() { b.Reset(); m.MarshalGQL(&b) }); a != 0 {
			t.Errorf("%s: %v allocations per write", name, a)
		}
	}
}
