package database

import (
	"context"
	"slices"

	"kokeilu/ent"
)

// treeLock is the PostgreSQL advisory lock under which the edges of the
// trees (workspace parent/children, network parent/children, operating
// model part_of/parts) change.
const treeLock = 7274_2026

// treeEdges are the edges that must stay acyclic.
var treeEdges = []string{"parent", "children", "part_of", "parts"}

// lockTrees serialises the mutations that add a tree edge, up to the end
// of their transaction: the cycle check that follows the write
// (internal/collab) then sees every other change committed. Without it, at
// READ COMMITTED, A under B, B under C and C under A at once each see no
// cycle and all commit. SQLite serialises writers already.
func lockTrees(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		switch m.(type) {
		case *ent.WorkspaceMutation, *ent.NetworkMutation, *ent.OperatingModelMutation:
			if slices.ContainsFunc(m.AddedEdges(), func(e string) bool { return slices.Contains(treeEdges, e) }) {
				if err := execLock(ctx, m); err != nil {
					return nil, err
				}
			}
		}
		return next.Mutate(ctx, m)
	})
}

func execLock(ctx context.Context, m ent.Mutation) error {
	type client interface{ Client() *ent.Client }
	_, err := m.(client).Client().ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", treeLock)
	return err
}
