package database

import (
	"context"
	"time"

	"kokeilu/ent"
)

// StoredTime is a time as stored: in UTC, truncated to whole microseconds.
// PostgreSQL keeps microseconds and answers in UTC; SQLite keeps whatever
// it is given, offset and nanoseconds included. Writing every time this
// way makes both store, and read back, the same value.
func StoredTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// storedTimes is the hook that writes every time field of every mutation
// as StoredTime, before any other hook sees it: so the comparison of
// revision.DropUnchanged (the same instant in another offset, or a value
// that differs under a microsecond, is no change), the checks of
// internal/integrity and a mutation's answer all see the value that a
// later read returns. ent sets the default times (createdAt, updatedAt)
// before the hooks run, so they are covered too.
func storedTimes(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		for _, name := range m.Fields() {
			v, _ := m.Field(name)
			if t, ok := v.(time.Time); ok {
				if s := StoredTime(t); s != t {
					if err := m.SetField(name, s); err != nil {
						return nil, err
					}
				}
			}
		}
		return next.Mutate(ctx, m)
	})
}
