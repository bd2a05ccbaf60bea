package policy

import (
	"context"

	"kokeilu/ent"
	"kokeilu/ent/link"
	"kokeilu/ent/network"
	"kokeilu/ent/pilot"
	"kokeilu/ent/privacy"
	"kokeilu/internal/auth"
	"kokeilu/internal/fault"
)

// creatorOf returns who created the row id of a pilot, network or link.
type creatorOf func(ctx context.Context, c *ent.Client, id int) (int, bool, error)

// Authored is the policy of pilots, networks and links: every signed-in
// user creates them; their creators and site administrators change them.
// attaches names the edges to other authored rows (see AttachOnlyWhatYouEdit).
func Authored(creator creatorOf, attaches Attaches) ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			requireViewer(),
			allowSiteAdmin(),
			AttachOnlyWhatYouEdit(attaches),
			privacy.OnMutationOperation(privacy.AlwaysAllowRule(), ent.OpCreate),
			authorsChange(creator),
		},
	}
}

// Attaches maps an edge of a mutation (ent's edge name) to the creator rule
// of the authored row on its other end.
type Attaches map[string]creatorOf

// AttachOnlyWhatYouEdit: a mutation may add an edge to another pilot,
// network or operating model only when the viewer may change that row too
// — its creator, or a site administrator. Otherwise
// anyone could, say, make someone else's network a child of theirs.
// Removing an edge needs the right to change this row alone, so a row's
// author can always detach it. Reference data (areas, themes,
// organisations) is linked freely: linking does not change it.
func AttachOnlyWhatYouEdit(edges Attaches) privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		v := auth.FromContext(ctx)
		if v != nil && v.Admin {
			return privacy.Skip
		}
		for _, name := range m.AddedEdges() {
			creator, ok := edges[name]
			if !ok {
				continue
			}
			for _, value := range m.AddedIDs(name) {
				id, _ := value.(int)
				by, ok, err := creator(ctx, entClient(m), id)
				if err != nil {
					return err
				}
				if !ok || v == nil || by != v.ID {
					return fault.Forbiddenf("only its creator and site administrators may attach another row (%s)", name)
				}
			}
		}
		return privacy.Skip
	})
}

// authorsChange lets a row's creator change it, and no one else.
func authorsChange(creator creatorOf) privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		ids, err := mutationIDs(ctx, m)
		if err != nil {
			return err
		}
		v := auth.FromContext(ctx)
		for _, id := range ids {
			by, ok, err := creator(ctx, entClient(m), id)
			if err != nil {
				return err
			}
			if !ok || by != v.ID {
				return fault.Forbiddenf("only its creator and site administrators may change this")
			}
		}
		return privacy.Allow
	})
}

// PilotCreator, NetworkCreator and LinkCreator read the created_by edge.
func PilotCreator(ctx context.Context, c *ent.Client, id int) (int, bool, error) {
	return firstID(c.Pilot.Query().Where(pilot.ID(id)).QueryCreatedBy().IDs(auth.System(ctx)))
}

func NetworkCreator(ctx context.Context, c *ent.Client, id int) (int, bool, error) {
	return firstID(c.Network.Query().Where(network.ID(id)).QueryCreatedBy().IDs(auth.System(ctx)))
}

func LinkCreator(ctx context.Context, c *ent.Client, id int) (int, bool, error) {
	return firstID(c.Link.Query().Where(link.ID(id)).QueryCreatedBy().IDs(auth.System(ctx)))
}

func firstID(ids []int, err error) (int, bool, error) {
	if err != nil || len(ids) == 0 {
		return 0, false, err
	}
	return ids[0], true, nil
}

// mutationIDs are the rows a mutation changes.
func mutationIDs(ctx context.Context, m ent.Mutation) ([]int, error) {
	type idser interface {
		IDs(context.Context) ([]int, error)
	}
	im, ok := m.(idser)
	if !ok {
		return nil, fault.Forbiddenf("unsupported change")
	}
	return im.IDs(auth.System(ctx))
}

// entClient is the (transaction's) client of a mutation.
func entClient(m ent.Mutation) *ent.Client {
	type clienter interface{ Client() *ent.Client }
	return m.(clienter).Client()
}
