package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// marshalSlice marshals a list of objects element after element in the
// calling goroutine; generate.go puts it in place of gqlgen's
// graphql.MarshalSliceConcurrently (same signature), which starts one
// goroutine per element. The rows of a list arrive loaded (entgql eager
// loading, one statement per edge for the whole page), so the goroutines
// bought no parallel work and cost a third of a dashboard request's CPU.
// Like gqlgen's, each element gets its own field context (its index in
// the path) and a panic nulls that element alone; workerLimit is unused.
func marshalSlice(ctx context.Context, length int, _ int64, omitPanicHandler bool, marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	ret := make(graphql.Array, length)
	fcs := make([]graphql.FieldContext, length)
	index := make([]int, length)
	for i := range length {
		index[i] = i
		fcs[i].Index = &index[i]
		childCtx := graphql.WithFieldContext(ctx, &fcs[i])
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(childCtx, graphql.Recover(childCtx, r))
					ret[i] = graphql.Null
				}
			}()
			ret[i] = marshalElement(childCtx, i)
		}()
	}
	return ret
}
