package collab

import (
	"context"
	"slices"

	"kokeilu/ent"
	"kokeilu/ent/municipality"
	"kokeilu/ent/network"
	"kokeilu/ent/organization"
	"kokeilu/ent/pilot"
	"kokeilu/ent/theme"
	"kokeilu/internal/fault"
)

// refs checks that every ID of a reference field names a row of the right
// kind; count counts the rows among ids.
func refs(ctx context.Context, field string, ids []int, count func(context.Context, ...int) (int, error)) error {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) == 0 {
		return nil
	}
	n, err := count(ctx, ids...)
	if err != nil {
		return err
	}
	if n != len(ids) {
		return fault.BadInput(field, "%s names something that does not exist or is of another kind", field)
	}
	return nil
}

// refCheck is one reference field of an input: its IDs and how to count
// the rows of the right kind among them.
type refCheck struct {
	field string
	ids   []int
	count func(context.Context, ...int) (int, error)
}

// checkRefs runs refs for each reference field, stopping at the first bad one.
func checkRefs(ctx context.Context, checks ...refCheck) error {
	for _, check := range checks {
		if err := refs(ctx, check.field, check.ids, check.count); err != nil {
			return err
		}
	}
	return nil
}

func one(id *int) []int {
	if id == nil {
		return nil
	}
	return []int{*id}
}

func countMunicipalities(c *ent.Client) func(context.Context, ...int) (int, error) {
	return func(ctx context.Context, ids ...int) (int, error) {
		return c.Municipality.Query().Where(municipality.IDIn(ids...)).Count(ctx)
	}
}

func countOrganizations(c *ent.Client) func(context.Context, ...int) (int, error) {
	return func(ctx context.Context, ids ...int) (int, error) {
		return c.Organization.Query().Where(organization.IDIn(ids...)).Count(ctx)
	}
}

func countThemes(c *ent.Client) func(context.Context, ...int) (int, error) {
	return func(ctx context.Context, ids ...int) (int, error) {
		return c.Theme.Query().Where(theme.IDIn(ids...)).Count(ctx)
	}
}

func countNetworks(c *ent.Client) func(context.Context, ...int) (int, error) {
	return func(ctx context.Context, ids ...int) (int, error) {
		return c.Network.Query().Where(network.IDIn(ids...)).Count(ctx)
	}
}

func countPilots(c *ent.Client) func(context.Context, ...int) (int, error) {
	return func(ctx context.Context, ids ...int) (int, error) {
		return c.Pilot.Query().Where(pilot.IDIn(ids...)).Count(ctx)
	}
}

// CreatePilot creates a pilot for the viewer (its creator).
func CreatePilot(ctx context.Context, c *ent.Client, in ent.CreatePilotInput) (*ent.Pilot, error) {
	trimText(&in)
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := inputRefs(ctx, c, &in); err != nil {
		return nil, err
	}
	return c.Pilot.Create().SetInput(in).Save(ctx)
}

// UpdatePilot changes a pilot (its creator or a site administrator).
func UpdatePilot(ctx context.Context, c *ent.Client, id int, in ent.UpdatePilotInput) (*ent.Pilot, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	if _, err := c.Pilot.Get(ctx, id); err != nil {
		return nil, err
	}
	if err := updateInput(&in); err != nil {
		return nil, err
	}
	if err := inputRefs(ctx, c, &in); err != nil {
		return nil, err
	}
	return c.Pilot.UpdateOneID(id).SetInput(in).Save(ctx)
}

// CreateNetwork creates a network for the viewer (its creator).
func CreateNetwork(ctx context.Context, c *ent.Client, in ent.CreateNetworkInput) (*ent.Network, error) {
	trimText(&in)
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := inputRefs(ctx, c, &in); err != nil {
		return nil, err
	}
	n, err := c.Network.Create().SetInput(in).Save(ctx)
	if err != nil {
		return nil, err
	}
	if in.ParentID != nil && len(in.ChildIDs) > 0 { // a child may be the new network's own ancestor
		err = acyclic(ctx, "childIDs", n.ID, func(ctx context.Context, id int) (int, error) {
			return c.Network.Query().Where(network.ID(id)).QueryParent().OnlyID(ctx)
		})
		if err != nil {
			return nil, err
		}
	}
	return n, nil
}

// CreateLink creates a link between two actors for the viewer.
func CreateLink(ctx context.Context, c *ent.Client, in ent.CreateLinkInput) (*ent.Link, error) {
	trimText(&in)
	if _, err := viewer(ctx); err != nil {
		return nil, err
	}
	if err := normalURL("sourceURL", in.SourceURL); err != nil {
		return nil, err
	}
	if err := inputRefs(ctx, client(ctx, c), &in); err != nil {
		return nil, err
	}
	return client(ctx, c).Link.Create().SetInput(in).Save(ctx)
}
