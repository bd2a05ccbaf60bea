package graph

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"pgregory.net/rapid"
)

// outcome is what a generated field resolver gives: a value, null, the
// invalid null of a nullable field, or a panic.
type outcome int

const (
	value outcome = iota
	null
	requiredNull
	panics
)

func (o outcome) resolve(i int) func(context.Context) graphql.Marshaler {
	return func(context.Context) graphql.Marshaler {
		switch o {
		case null:
			return graphql.Null
		case requiredNull:
			return graphql.RequiredNull
		case panics:
			panic(fmt.Sprintf("field %d", i))
		}
		return graphql.MarshalInt(i)
	}
}

type fieldCase struct {
	alias   string
	nonNull bool
	outcome outcome
}

func genFields(t *rapid.T) []fieldCase {
	return rapid.SliceOfN(rapid.Custom(func(t *rapid.T) fieldCase {
		return fieldCase{
			alias:   rapid.SampledFrom([]string{"a", "b", "id", "name", "_x1"}).Draw(t, "alias"),
			nonNull: rapid.Bool().Draw(t, "nonNull"),
			outcome: outcome(rapid.IntRange(0, 3).Draw(t, "outcome")),
		}
	}), 0, 8).Draw(t, "fields")
}

func collected(cases []fieldCase) []graphql.CollectedField {
	fields := make([]graphql.CollectedField, len(cases))
	for i, c := range cases {
		fields[i] = graphql.CollectedField{Field: &ast.Field{Alias: c.alias, Name: c.alias}}
	}
	return fields
}

// opContext is an operation that records errors and recovers panics as
// gqlgen's executor does.
func opContext() (context.Context, *graphql.OperationContext) {
	oc := &graphql.OperationContext{RecoverFunc: func(_ context.Context, err any) error { return fmt.Errorf("panic: %v", err) }}
	ctx := graphql.WithOperationContext(context.Background(), oc)
	ctx = graphql.WithResponseContext(ctx, func(_ context.Context, err error) *gqlerror.Error { return gqlerror.WrapPath(nil, err) }, oc.RecoverFunc)
	return ctx, oc
}

// TestResolveNowAgreesWithGqlgen: resolving the fields of an object with
// resolveNow leaves the same values, the same count of invalid fields and
// the same number of errors as gqlgen's ResolveConcurrently and Dispatch,
// whatever the fields resolve to (panics included).
func TestResolveNowAgreesWithGqlgen(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cases := genFields(t)
		fields := collected(cases)

		ctx, oc := opContext()
		theirs := graphql.NewFieldSet(fields)
		group := graphql.NewDeferredGroup(ctx)
		for i, c := range cases {
			theirs.ResolveConcurrently(oc, &group, i, true, c.nonNull, c.outcome.resolve(i))
		}
		theirs.Dispatch(ctx)
		theirErrors := len(graphql.GetErrors(ctx))

		ctx, oc = opContext()
		ours := graphql.NewFieldSet(fields)
		for i, c := range cases {
			resolveNow(ctx, ours, oc, i, true, c.nonNull, c.outcome.resolve(i))
		}
		ours.Dispatch(ctx)

		if ours.Invalids != theirs.Invalids {
			t.Fatalf("invalids: resolveNow %d, gqlgen %d", ours.Invalids, theirs.Invalids)
		}
		for i := range cases {
			if got, want := marshal(ours.Values[i]), marshal(theirs.Values[i]); got != want {
				t.Fatalf("field %d: resolveNow %s, gqlgen %s", i, got, want)
			}
		}
		if n := len(graphql.GetErrors(ctx)); n != theirErrors {
			t.Fatalf("errors: resolveNow %d, gqlgen %d", n, theirErrors)
		}
	})
}

// TestObjectWritesAsGqlgen: graph.object writes an object's fields byte for
// byte as gqlgen's FieldSet.MarshalGQL does, repeated names included.
func TestObjectWritesAsGqlgen(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cases := genFields(t)
		fields := collected(cases)
		out, o := graphql.NewFieldSet(fields), newObject(context.Background(), fields)
		for i, c := range cases {
			if c.outcome == null {
				out.Values[i] = graphql.Null
			} else {
				out.Values[i] = graphql.MarshalString(fmt.Sprintf("v%d \"%s\"", i, c.alias))
			}
			o.out.Values[i] = out.Values[i]
		}
		if got, want := marshal(o), marshal(out); got != want {
			t.Fatalf("object wrote %s, gqlgen %s", got, want)
		}
	})
}

func marshal(m graphql.Marshaler) string {
	var b bytes.Buffer
	m.MarshalGQL(&b)
	return b.String()
}

type otherKey struct{}

// TestMarshalSliceAgreesWithGqlgen: a list marshalled by marshalSlice has
// the same elements, and the same errors at the same paths (an element
// that panics is null, one that reports an error keeps its index in the
// path), as with gqlgen's MarshalSliceConcurrently; each element sees its
// own field context and the list's other context values.
func TestMarshalSliceAgreesWithGqlgen(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		outcomes := rapid.SliceOfN(rapid.IntRange(0, 2), 0, 12).Draw(t, "outcomes") // 0 value, 1 error, 2 panic
		run := func(marshalList func(context.Context, int, int64, bool, func(context.Context, int) graphql.Marshaler) graphql.Array) (string, string) {
			ctx, _ := opContext()
			ctx = context.WithValue(ctx, otherKey{}, "kept")
			ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "pilots"}}})
			list := marshalList(ctx, len(outcomes), 0, false, func(ctx context.Context, i int) graphql.Marshaler {
				if ctx.Value(otherKey{}) != "kept" {
					t.Fatalf("element %d lost the list's context", i)
				}
				path := graphql.GetFieldContext(ctx).Path().String()
				switch outcomes[i] {
				case 1:
					graphql.AddErrorf(ctx, "element %d", i)
				case 2:
					panic(fmt.Sprintf("element %d", i))
				}
				return graphql.MarshalString(path)
			})
			var errs []string
			for _, e := range graphql.GetErrors(ctx) {
				errs = append(errs, e.Message+" at "+e.Path.String())
			}
			slices.Sort(errs) // gqlgen's come in the order its goroutines end
			return marshal(list), fmt.Sprint(errs)
		}
		ours, ourErrs := run(marshalSlice)
		theirs, theirErrs := run(graphql.MarshalSliceConcurrently)
		if ours != theirs || ourErrs != theirErrs {
			t.Fatalf("marshalSlice: %s %s\ngqlgen:       %s %s", ours, ourErrs, theirs, theirErrs)
		}
	})
}
