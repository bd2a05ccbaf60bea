package graph

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

type elementKey struct{}

// TestElementContext: nested lists, values and cancellation derived
// from an element's context, fc.Result set per element and read through
// the Parent chain, errors from inner elements: as with gqlgen.
func TestElementContext(t *testing.T) {
	run := func(marshalList func(context.Context, int, int64, bool, func(context.Context, int) graphql.Marshaler) graphql.Array) (string, string) {
		ctx, _ := opContext()
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		ctx, cancelD := context.WithDeadline(ctx, time.Now().Add(time.Hour))
		defer cancelD()
		ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "outer"}}})
		var notes []string
		results := []string{"r0", "r1", "r2"}
		list := marshalList(ctx, 3, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
			fc := graphql.GetFieldContext(ctx)
			fc.Result = &results[i]
			if _, ok := ctx.Deadline(); !ok {
				notes = append(notes, "no deadline")
			}
			inner := graphql.WithFieldContext(context.WithValue(ctx, elementKey{}, i), &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "inner"}}})
			c, cc := context.WithCancel(inner)
			defer cc()
			return marshalList(c, 2, 0, false, func(ctx context.Context, j int) graphql.Marshaler {
				// walk the Parent chain for the outer element's Result
				var seen []string
				for f := graphql.GetFieldContext(ctx); f != nil; f = f.Parent {
					if s, ok := f.Result.(*string); ok {
						seen = append(seen, *s)
					}
				}
				if ctx.Value(elementKey{}) != i {
					notes = append(notes, fmt.Sprintf("lost value at %d,%d", i, j))
				}
				if i == 1 && j == 1 {
					graphql.AddErrorf(ctx, "inner error")
				}
				if i == 2 && j == 0 {
					panic("boom")
				}
				return graphql.MarshalString(graphql.GetFieldContext(ctx).Path().String() + fmt.Sprint(seen))
			})
		})
		// a cancellation of the list's context reaches a context derived from an element
		var errs []string
		for _, e := range graphql.GetErrors(ctx) {
			errs = append(errs, e.Message+" at "+e.Path.String())
		}
		slices.Sort(errs)
		return marshal(list), fmt.Sprint(errs, notes)
	}
	ours, ourErrs := run(marshalSlice)
	theirs, theirErrs := run(graphql.MarshalSliceConcurrently)
	t.Logf("ours %s %s", ours, ourErrs)
	if ours != theirs || ourErrs != theirErrs {
		t.Fatalf("marshalSlice: %s %s\ngqlgen:       %s %s", ours, ourErrs, theirs, theirErrs)
	}
}

// TestElementCancel: a context derived from an element ends when the
// list's context is cancelled, and reports the list's deadline and cause.
func TestElementCancel(t *testing.T) {
	ctx, _ := opContext()
	ctx, cancel := context.WithCancelCause(ctx)
	dl := time.Now().Add(time.Hour)
	ctx, cancelD := context.WithDeadline(ctx, dl)
	defer cancelD()
	var derived []context.Context
	marshalSlice(ctx, 2, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		c, stop := context.WithCancel(context.WithValue(ctx, elementKey{}, i))
		t.Cleanup(stop)
		derived = append(derived, c, ctx)
		if d, ok := ctx.Deadline(); !ok || !d.Equal(dl) {
			t.Errorf("element %d deadline %v %v", i, d, ok)
		}
		return graphql.Null
	})
	cancel(fmt.Errorf("why"))
	for i, c := range derived {
		select {
		case <-c.Done():
		case <-time.After(time.Second):
			t.Fatalf("derived %d not cancelled", i)
		}
		if context.Cause(c) == nil || context.Cause(c).Error() != "why" {
			t.Errorf("derived %d cause %v", i, context.Cause(c))
		}
	}
}
