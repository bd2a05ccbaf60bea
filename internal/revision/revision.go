// Package revision keeps the data's revision: a number that every write
// raises in the writer's own transaction. Any server instance reads it with
// one primary-key lookup to tell whether a result it cached is still
// current, so caches stay correct across instances without messages
// between them.
package revision

import (
	"context"

	"kokeilu/ent"
	"kokeilu/ent/datarevision"
	"kokeilu/internal/auth"
)

type deferredKey struct{}

// Deferred marks ctx as a bulk load: its writes do not raise the revision
// one by one; the loader calls Bump once when it is done.
func Deferred(ctx context.Context) context.Context {
	return context.WithValue(ctx, deferredKey{}, true)
}

// IsDeferred tells whether ctx is a bulk load's (Deferred).
func IsDeferred(ctx context.Context) bool { return ctx.Value(deferredKey{}) != nil }

// Hook raises the revision after every successful write, in the same
// transaction when there is one (so no reader sees the new data with the
// old number), else right after the write (a reader may then cache new
// data under the old number, which is merely discarded later). An update
// that changes nothing writes nothing and leaves the revision
// (DropUnchanged).
func Hook() ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			noop := new(bool)
			v, err := next.Mutate(context.WithValue(ctx, noopKey{}, noop), m)
			if err != nil || *noop || ctx.Value(deferredKey{}) != nil {
				return v, err
			}
			switch m.Type() {
			case ent.TypeDataRevision, ent.TypeSession, // sessions change no data anyone reads
				ent.TypeStatBucket, ent.TypeStatPilot: // kept counts follow the writes that do
				return v, nil
			}
			type clienter interface{ Client() *ent.Client }
			return v, Bump(ctx, m.(clienter).Client())
		})
	}
}

// Bump raises the revision, creating its row on first use.
func Bump(ctx context.Context, c *ent.Client) error {
	ctx = auth.System(ctx)
	n, err := c.DataRevision.Update().AddNumber(1).Save(ctx)
	if err != nil || n > 0 {
		return err
	}
	return c.DataRevision.Create().SetNumber(1).Exec(ctx)
}

// Current is the revision now (0 before the first write). Instances that
// started together may each have made a row; all rows rise together, so the
// highest is the revision.
func Current(ctx context.Context, c *ent.Client) (int64, error) {
	r, err := c.DataRevision.Query().Order(ent.Desc(datarevision.FieldNumber)).First(auth.System(ctx))
	if ent.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return r.Number, nil
}
