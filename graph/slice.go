package graph

import (
	"context"
	"io"
	"slices"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
)

// marshalSlice marshals a list of objects element after element in the
// calling goroutine; generate.go puts it in place of gqlgen's
// graphql.MarshalSliceConcurrently (same signature), which starts one
// goroutine per element. The rows of a list arrive loaded (entgql eager
// loading, one statement per edge for the whole page), so the goroutines
// bought no parallel work and cost a third of a dashboard request's CPU.
// Like gqlgen's, each element gets its own field context (its index in
// the path), all made in one allocation (element), and a panic nulls that
// element alone; workerLimit is unused.
func marshalSlice(ctx context.Context, length int, _ int64, omitPanicHandler bool, marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	ret := make(graphql.Array, length)
	elements := make([]element, length)
	parent := graphql.GetFieldContext(ctx)
	for i := range length {
		e := &elements[i]
		e.Context, e.index = ctx, i
		e.fc.Index, e.fc.Parent = &e.index, parent
		if omitPanicHandler {
			ret[i] = marshalElement(e, i)
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(e, graphql.Recover(e, r))
					ret[i] = graphql.Null
				}
			}()
			ret[i] = marshalElement(e, i)
		}()
	}
	return ret
}

// element is the context of a list's element: the list's context with the
// element's field context, as graphql.WithFieldContext makes it. It holds
// the element's object answer too (newObject), so a list's objects take
// one allocation with their contexts, not one each.
type element struct {
	context.Context
	fc    graphql.FieldContext
	index int
	obj   object
	taken bool // obj is an answer
}

func (e *element) Value(key any) any {
	if key == fieldContextKey {
		return &e.fc
	}
	return e.Context.Value(key)
}

// fieldContextKey is the context key of gqlgen's field context, which gqlgen
// does not export: the key graphql.GetFieldContext asks a context for.
var fieldContextKey = func() any {
	var p keyProbe
	graphql.GetFieldContext(&p)
	if p.key == nil {
		panic("graph: graphql.GetFieldContext asked no key")
	}
	return p.key
}()

type keyProbe struct {
	context.Context
	key any
}

func (p *keyProbe) Value(key any) any {
	p.key = key
	return nil
}

// resolveNow resolves field i of out, a nested object's resolver field, at
// once in the calling goroutine; seqlists puts it in place of gqlgen's
// FieldSet.ResolveConcurrently, which leaves it to a goroutine of its own
// when the object is dispatched. The fields of nested objects read data
// their parent's query loaded (entgql eager loading), so the goroutines
// cost without running anything in parallel. A @defer'd field is resolved
// here as well, into the first answer: no transport of this server sends
// later parts, and a server may inline what is deferred (GraphQL's
// incremental delivery working group). Like gqlgen's, a panic nulls the
// field alone and the field's invalid result (null for a non-null field)
// is counted against the object. resolve is not kept, so the closure the
// caller makes for it needs no allocation (one per field of each object
// was 5% of a dashboard request's allocations).
func resolveNow(ctx context.Context, out *graphql.FieldSet, oc *graphql.OperationContext, i int, recoverFromPanic, nonNull bool,
	resolve func(ctx context.Context) graphql.Marshaler,
) {
	v := resolveGuarded(ctx, oc, recoverFromPanic, resolve)
	out.Values[i] = v
	if nonNull && v == graphql.Null || !nonNull && v == graphql.RequiredNull {
		atomic.AddUint32(&out.Invalids, 1)
	}
}

func resolveGuarded(ctx context.Context, oc *graphql.OperationContext, recoverFromPanic bool, resolve func(ctx context.Context) graphql.Marshaler) (v graphql.Marshaler) {
	if recoverFromPanic {
		defer func() {
			if r := recover(); r != nil {
				oc.Error(ctx, oc.Recover(ctx, r))
				v = graphql.Null
			}
		}()
	}
	return resolve(ctx)
}

// object is an object's answer: its fields, gqlgen's FieldSet for their
// values and the values themselves, in one allocation (gqlgen's takes two
// for the FieldSet, and writing it a map and a copy of each field).
// generate.go puts newObject in place of graphql.NewFieldSet and returns
// the object in place of the FieldSet. It writes the fields as
// FieldSet.MarshalGQL does; a name collected twice is written once, the
// first time.
type object struct {
	fields []graphql.CollectedField
	out    *graphql.FieldSet
	set    graphql.FieldSet
	values [4]graphql.Marshaler // room for most selections
}

// newObject makes an object's answer for fields. With a @defer'd field it
// takes gqlgen's own FieldSet: the deferred group's views read the list of
// fields that only graphql.NewFieldSet keeps.
//
// The first object made in a list element's context is the element's
// own (it is made before any of its fields is resolved) and takes the
// element's room; any other gets its own allocation.
func newObject(ctx context.Context, fields []graphql.CollectedField) *object {
	var o *object
	if e, ok := ctx.(*element); ok && !e.taken {
		e.taken = true
		o = &e.obj
		o.fields = fields
	} else {
		o = &object{fields: fields}
	}
	o.out = &o.set
	switch {
	case slices.ContainsFunc(fields, graphql.CollectedField.IsDeferred):
		o.out = graphql.NewFieldSet(fields)
	case len(fields) <= len(o.values):
		o.set.Values = o.values[:len(fields)]
	default:
		o.set.Values = make([]graphql.Marshaler, len(fields))
	}
	return o
}

func (o *object) MarshalGQL(w io.Writer) {
	_, _ = io.WriteString(w, "{")
	for i := range o.fields {
		alias := o.fields[i].Alias
		if slices.ContainsFunc(o.fields[:i], func(f graphql.CollectedField) bool { return f.Alias == alias }) {
			continue
		}
		if i > 0 {
			_, _ = io.WriteString(w, ",")
		}
		// A GraphQL name ([_A-Za-z][_0-9A-Za-z]*) needs no escaping.
		_, _ = io.WriteString(w, `"`)
		_, _ = io.WriteString(w, alias)
		_, _ = io.WriteString(w, `":`)
		o.out.Values[i].MarshalGQL(w)
	}
	_, _ = io.WriteString(w, "}")
}
