package revision

import (
	"context"
	"reflect"
	"time"

	"entgo.io/ent"
)

// noopKey holds the *bool through which DropUnchanged tells Hook that the
// write it wraps changes nothing.
type noopKey struct{}

type touchKey struct{}

// Touch marks ctx's updates as wanted even when they change nothing but
// updatedAt: updating a row is how a transaction takes the row's lock on
// PostgreSQL until it ends (lockWorkshop, owner changes).
func Touch(ctx context.Context) context.Context { return context.WithValue(ctx, touchKey{}, true) }

// DropUnchanged is the schema hook (TimeMixin's) that drops an update
// which would change nothing (dropUnchanged). It runs after the schema's
// policy, which judges the change as asked: a caller without the right
// still gets FORBIDDEN for a no-op.
func DropUnchanged() ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if dropUnchanged(ctx, m) {
				if noop, ok := ctx.Value(noopKey{}).(*bool); ok {
					*noop = true
				}
			}
			return next.Mutate(ctx, m)
		})
	}
}

// updatedAt is the column every TimeMixin type moves on each update
// (ent's UpdateDefault), whether or not anything else changed.
const updatedAt = "updated_at"

// dropUnchanged empties an update of one row that would change nothing
// (every field set to the value it has, no field cleared or added to, no
// edge touched) and tells whether it did: ent then writes nothing, so
// updatedAt and the revision stay, as an edit form saved without changes
// expects. A field it cannot compare counts as a change.
func dropUnchanged(ctx context.Context, m ent.Mutation) bool {
	if !m.Op().Is(ent.OpUpdateOne) || ctx.Value(touchKey{}) != nil || len(m.ClearedFields()) > 0 || len(m.AddedFields()) > 0 ||
		len(m.AddedEdges()) > 0 || len(m.RemovedEdges()) > 0 || len(m.ClearedEdges()) > 0 {
		return false
	}
	fields := m.Fields()
	for _, name := range fields {
		if name == updatedAt {
			continue
		}
		now, _ := m.Field(name)
		old, err := m.OldField(ctx, name)
		if err != nil || !same(old, now) {
			return false
		}
	}
	for _, name := range fields {
		if m.ResetField(name) != nil {
			return false
		}
	}
	return true
}

// same tells whether a field's old value (a pointer for an optional field)
// equals the value set.
func same(old, now any) bool {
	if v := reflect.ValueOf(old); v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return false
		}
		old = v.Elem().Interface()
	}
	if t, ok := old.(time.Time); ok {
		u, ok := now.(time.Time)
		return ok && t.Equal(u)
	}
	return reflect.DeepEqual(old, now)
}
