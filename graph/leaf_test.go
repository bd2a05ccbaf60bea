package graph

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"kokeilu/internal/scalar"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
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

// TestReadMethodAgreesWithGqlgen: a leaf read by its model's method
// without a field context (readMethod) answers as gqlgen's ResolveField
// does, a panic included: the same value, and the same error at the same
// path, the field's.
func TestReadMethodAgreesWithGqlgen(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		name := rapid.String().Draw(t, "name")
		panics := rapid.Bool().Draw(t, "panics")
		index := rapid.IntRange(0, 9).Draw(t, "index")
		field := graphql.CollectedField{Field: &ast.Field{Alias: "name", Name: "name"}}
		args := map[string]any{"lang": nil}
		method := func(args map[string]any) string {
			if _, ok := args["lang"]; !ok {
				t.Fatal("the method got no arguments")
			}
			if panics {
				panic("broken " + name)
			}
			return name
		}
		// The list element the field is read in: its path is
		// municipalities.<index>.name.
		element := func() (context.Context, *graphql.OperationContext) {
			ctx, oc := opContext()
			oc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (any, error) { return next(ctx) }
			ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "municipalities"}}})
			return graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &index}), oc
		}
		answer := func(ctx context.Context, v graphql.Marshaler) string {
			return fmt.Sprintf("%s %v", marshal(v), graphql.GetErrors(ctx))
		}

		ctx, oc := element()
		theirs := answer(ctx, graphql.ResolveField(ctx, oc, field,
			func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
				return &graphql.FieldContext{Object: "Municipality", Field: field, Args: args, IsMethod: true}, nil
			},
			func(ctx context.Context) (any, error) { return method(graphql.GetFieldContext(ctx).Args), nil },
			nil,
			func(ctx context.Context, _ ast.SelectionSet, v string) graphql.Marshaler {
				return graphql.WrapContextMarshaler(ctx, scalar.MarshalString(v))
			},
			true, true))

		ctx, oc = element()
		ours := answer(ctx, readMethod(ctx, oc, field, "Municipality", args, func(_ context.Context, args map[string]any) graphql.Marshaler {
			v := method(args)
			return (*stringAt)(&v)
		}, true))
		if ours != theirs {
			t.Fatalf("readMethod %s, gqlgen %s", ours, theirs)
		}
		if panics && !strings.Contains(ours, fmt.Sprintf("municipalities[%d].name", index)) {
			t.Fatalf("a panic reported as %s", ours)
		}
	})
}
