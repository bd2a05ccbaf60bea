package graph

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"time"

	"kokeilu/internal/scalar"

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

// Leaf tells whether a field has no selection and only arguments of scalar
// and enum types: the field rules (internal/server) have nothing to do for
// such a field, so with no field interceptor installed nothing stands
// between it and its resolver.
func Leaf(field graphql.CollectedField) bool {
	return len(field.Selections) == 0 && leafArgs(field.Field)
}

// resolveLeaf is graphql.ResolveField (same arguments) for a Leaf field
// resolved by a method or resolver, in an operation marked by
// DirectLeaves: the resolver is called without the middleware, and its
// value is handed to the marshaller as it is, not boxed into an any (the
// resolve function seqlists copies returns T, the marshaller's type, in
// place of any). FieldContext.Result, which only an interceptor would
// read, is not set. Its closures do not escape, so gqlgen's call, copied
// for it, allocates them on the stack. seqlists copies only calls without
// a directive: the middleware chain, the fifth argument, is nil.
func resolveLeaf[T any](ctx context.Context, oc *graphql.OperationContext, field graphql.CollectedField,
	fieldContext func(context.Context, graphql.CollectedField) (*graphql.FieldContext, error),
	resolve func(context.Context) (T, error), _ func(context.Context, graphql.Resolver) graphql.Resolver,
	marshal func(context.Context, ast.SelectionSet, T) graphql.Marshaler, recoverFromPanic, nonNull bool,
) (ret graphql.Marshaler) {
	fc, err := fieldContext(ctx, field)
	if err != nil {
		return graphql.Null
	}
	ctx = graphql.WithFieldContext(ctx, fc)
	if recoverFromPanic {
		defer func() {
			if r := recover(); r != nil {
				oc.Error(ctx, oc.Recover(ctx, r))
				ret = graphql.Null
			}
		}()
	}
	v, err := resolve(ctx)
	if err != nil {
		oc.Error(ctx, graphql.AddFieldLocationToError(ctx, err))
		return graphql.Null
	}
	if any(v) == nil { // only where T is an interface: gqlgen's nil result
		if nonNull {
			graphql.AddInvalidNullError(ctx, "")
		}
		return graphql.Null
	}
	return marshal(ctx, field.Selections, v)
}

// readMethod answers a Leaf field read by a method of its model that
// takes arguments and cannot fail (name(lang:), ent/names.go), in an
// operation marked by DirectLeaves, once an earlier object parsed the
// field's arguments (perSelection.parsed): read calls the method with them
// and makes the answer. A model's leaf method reads nothing of the GraphQL
// execution, so no field context is made for it (two allocations per
// object), except to report a panic at the field's path, as gqlgen does.
func readMethod(ctx context.Context, oc *graphql.OperationContext, field graphql.CollectedField, object string, args map[string]any,
	read func(context.Context, map[string]any) graphql.Marshaler, recoverFromPanic bool,
) (ret graphql.Marshaler) {
	if recoverFromPanic {
		defer func() {
			if r := recover(); r != nil {
				ctx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Object: object, Field: field, Args: args, IsMethod: true})
				oc.Error(ctx, oc.Recover(ctx, r))
				ret = graphql.Null
			}
		}()
	}
	return read(ctx, args)
}

// Struct fields that marshal as they are, without a context and without
// ever failing (String, Int, ID, Boolean, Date, enums), are answered by a
// pointer into their loaded object, written when the response is: no
// field context, no marshaller and no boxing per field. seqlists uses them
// in place of readLeaf when a field's marshaller is one it knows (checked
// against the generated code); the object is not changed once loaded.
type (
	stringAt string
	intAt    int
	idAt     int
	boolAt   bool
	dateAt   time.Time // a nil *dateAt is an optional Date's null
)

func (s *stringAt) MarshalGQL(w io.Writer) { graphql.MarshalString(string(*s)).MarshalGQL(w) }
func (i *intAt) MarshalGQL(w io.Writer)    { write(w, strconv.AppendInt(buffer(w), int64(*i), 10)) }
func (b *boolAt) MarshalGQL(w io.Writer)   { write(w, strconv.AppendBool(buffer(w), bool(*b))) }

// An ID is written as scalar.MarshalID writes it; base64url needs no
// escaping in a JSON string.
func (i *idAt) MarshalGQL(w io.Writer) {
	write(w, append(scalar.AppendID(append(buffer(w), '"'), int(*i)), '"'))
}

// A Date is written as scalar.MarshalDate writes it: the layout's digits
// and dashes need no escaping in a JSON string.
func (d *dateAt) MarshalGQL(w io.Writer) {
	if d == nil {
		write(w, append(buffer(w), "null"...))
		return
	}
	write(w, append((*time.Time)(d).AppendFormat(append(buffer(w), '"'), scalar.DateLayout), '"'))
}

// buffer is where a leaf appends its JSON: the free end of the response's
// buffer (gqlgen writes a response into a bytes.Buffer), so that write
// copies nothing into it.
func buffer(w io.Writer) []byte {
	if b, ok := w.(*bytes.Buffer); ok {
		return b.AvailableBuffer()
	}
	return nil
}

func write(w io.Writer, p []byte) {
	if b, ok := w.(*bytes.Buffer); ok {
		b.Write(p)
		return
	}
	_, _ = w.Write(p)
}
