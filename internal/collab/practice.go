package collab

import (
	"context"
	"slices"

	"kokeilu/ent"
	"kokeilu/ent/operatingmodel"
	"kokeilu/ent/wellbeingcounty"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/fault"
)

func countWellbeingCounties(c *ent.Client) func(context.Context, ...int) (int, error) {
	return func(ctx context.Context, ids ...int) (int, error) {
		return c.WellbeingCounty.Query().Where(wellbeingcounty.IDIn(ids...)).Count(ctx)
	}
}

func countOperatingModels(c *ent.Client) func(context.Context, ...int) (int, error) {
	return func(ctx context.Context, ids ...int) (int, error) {
		return c.OperatingModel.Query().Where(operatingmodel.IDIn(ids...)).Count(ctx)
	}
}

func countWorkspaces(c *ent.Client) func(context.Context, ...int) (int, error) {
	return func(ctx context.Context, ids ...int) (int, error) {
		return c.Workspace.Query().Where(workspace.IDIn(ids...)).Count(ctx)
	}
}

// modelText checks an operating model's texts and address.
func modelText(name *string, sourceURL *string) error {
	if name != nil {
		if _, err := text("name", *name, true); err != nil {
			return err
		}
	}
	return normalURL("sourceURL", sourceURL)
}

// CreateOperatingModel describes a new operating model (its author is the
// viewer).
func CreateOperatingModel(ctx context.Context, c *ent.Client, in ent.CreateOperatingModelInput) (*ent.OperatingModel, error) {
	trimText(&in)
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := modelText(&in.Name, in.SourceURL); err != nil {
		return nil, err
	}
	if in.PartOfID != nil && slices.Contains(in.PartIDs, *in.PartOfID) {
		return nil, fault.BadInput("partIDs", "a model cannot be both part of another model and contain it")
	}
	if err := inputRefs(ctx, c, &in); err != nil {
		return nil, err
	}
	m, err := c.OperatingModel.Create().SetInput(in).Save(ctx)
	if err != nil {
		return nil, err
	}
	if in.PartOfID != nil && len(in.PartIDs) > 0 { // a part may be the new model's own ancestor
		if err := acyclic(ctx, "partIDs", m.ID, modelPartOf(c)); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// UpdateOperatingModel changes an operating model (its author or a site
// administrator).
func UpdateOperatingModel(ctx context.Context, c *ent.Client, id int, in ent.UpdateOperatingModelInput) (*ent.OperatingModel, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	if _, err := c.OperatingModel.Get(ctx, id); err != nil {
		return nil, err
	}
	if err := modelText(in.Name, in.SourceURL); err != nil {
		return nil, err
	}
	if err := updateInput(&in); err != nil {
		return nil, err
	}
	if err := inputRefs(ctx, c, &in); err != nil {
		return nil, err
	}
	m, err := c.OperatingModel.UpdateOneID(id).SetInput(in).Save(ctx)
	if err != nil {
		return nil, err
	}
	if in.PartOfID != nil || len(in.AddPartIDs) > 0 {
		if err := acyclic(ctx, "partOfID", id, modelPartOf(c)); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// modelPartOf is the operating model id is part of.
func modelPartOf(c *ent.Client) func(context.Context, int) (int, error) {
	return func(ctx context.Context, id int) (int, error) {
		return c.OperatingModel.Query().Where(operatingmodel.ID(id)).QueryPartOf().OnlyID(ctx)
	}
}

// acyclic checks, after a write that gave node a new parent or new
// children, that following parentOf up from node does not come back to it
// (every cycle the write made passes through node). The write runs in the
// mutation's transaction, which the error rolls back; on PostgreSQL tree
// writes hold an advisory lock to the end of their transaction
// (internal/database), so concurrent re-parentings are checked one after
// another, each seeing the others' edges.
func acyclic(ctx context.Context, field string, node int, parentOf func(context.Context, int) (int, error)) error {
	sys := auth.System(ctx)
	at, err := parentOf(sys, node)
	for steps := 0; ; steps++ {
		if ent.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if at == node || steps > 1000 {
			return fault.BadInput(field, "%s would put something inside itself", field)
		}
		at, err = parentOf(sys, at)
	}
}

// RecordAdoption records that a municipality or a pilot adopted an
// operating model.
func RecordAdoption(ctx context.Context, c *ent.Client, in ent.CreateAdoptionInput) (*ent.Adoption, error) {
	trimText(&in)
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := normalURL("sourceURL", in.SourceURL); err != nil {
		return nil, err
	}
	if err := inputRefs(ctx, c, &in); err != nil {
		return nil, err
	}
	return c.Adoption.Create().SetInput(in).Save(ctx)
}
