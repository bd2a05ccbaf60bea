package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// DirectLeaves is installed (internal/server) when no field interceptor
// is: then gqlgen's resolver middleware only calls the resolver, and the
// server's field rules let a field with no selection and no arguments
// straight through, so reading such a field from its object's struct needs
// none of it. seqlists routes every field that is a struct field of a
// scalar or enum type, without arguments, through readLeaf in operations
// it marks.
type DirectLeaves struct{}

var _ graphql.OperationContextMutator = DirectLeaves{}

const directLeaves = "DirectLeaves"

func (DirectLeaves) ExtensionName() string                   { return directLeaves }
func (DirectLeaves) Validate(graphql.ExecutableSchema) error { return nil }

func (DirectLeaves) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	oc.Stats.SetExtension(directLeaves, true)
	return nil
}

// newPerSelection is an operation's perSelection (seqlists: Exec makes one
// per operation).
func newPerSelection(oc *graphql.OperationContext) *perSelection {
	direct, _ := oc.Stats.GetExtension(directLeaves).(bool)
	return &perSelection{directLeaves: direct}
}

// readLeaf is graphql.ResolveField for a struct field v of object's
// type without arguments and without a selection (of a scalar or enum
// type), in an operation marked by DirectLeaves. It does for the response what ResolveField does
// — the field's context (its path in an error), the panic guard, the
// marshalling and its null checks — without the closures, the middleware
// call, the boxing of v into any and the copy kept in the field context
// (FieldContext.Result, which only an interceptor would read) that cost
// about six allocations per field, most of a response's fields. v is not
// a nil interface (ResolveField's invalid-null case): no scalar or enum is
// bound to an interface here.
func readLeaf[T any](ctx context.Context, oc *graphql.OperationContext, field graphql.CollectedField, object string, v T,
	marshal func(context.Context, ast.SelectionSet, T) graphql.Marshaler, recoverFromPanic bool,
) (ret graphql.Marshaler) {
	// A leaf has no children, so no Child (graphql.NewScalarFieldContext's
	// only says it has none).
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: object, Field: field})
	if recoverFromPanic {
		defer func() {
			if r := recover(); r != nil {
				oc.Error(ctx, oc.Recover(ctx, r))
				ret = graphql.Null
			}
		}()
	}
	return marshal(ctx, field.Selections, v)
}
