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
	_, err := webURL("sourceURL", sourceURL)
	return err
}

// CreateOperatingModel describes a new operating model (its author is the
// viewer).
func CreateOperatingModel(ctx context.Context, c *ent.Client, in ent.CreateOperatingModelInput) (*ent.OperatingModel, error) {
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
	if err := checkRefs(ctx,
		refCheck{"workspaceID", one(in.WorkspaceID), countWorkspaces(c)},
		refCheck{"municipalityIDs", in.MunicipalityIDs, countMunicipalities(c)},
		refCheck{"wellbeingCountyIDs", in.WellbeingCountyIDs, countWellbeingCounties(c)},
		refCheck{"developedInIDs", in.DevelopedInIDs, countPilots(c)},
		refCheck{"partOfID", one(in.PartOfID), countOperatingModels(c)},
		refCheck{"partIDs", in.PartIDs, countOperatingModels(c)},
	); err != nil {
		return nil, err
	}
	return c.OperatingModel.Create().SetInput(in).Save(ctx)
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
	if err := setOrClear(in); err != nil {
		return nil, err
	}
	if err := checkRefs(ctx,
		refCheck{"addMunicipalityIDs", in.AddMunicipalityIDs, countMunicipalities(c)},
		refCheck{"addWellbeingCountyIDs", in.AddWellbeingCountyIDs, countWellbeingCounties(c)},
		refCheck{"addDevelopedInIDs", in.AddDevelopedInIDs, countPilots(c)},
		refCheck{"partOfID", one(in.PartOfID), countOperatingModels(c)},
		refCheck{"addPartIDs", in.AddPartIDs, countOperatingModels(c)},
	); err != nil {
		return nil, err
	}
	if in.PartOfID != nil {
		if err := noCycle(ctx, "partOfID", id, *in.PartOfID, func(ctx context.Context, id int) (int, error) {
			return c.OperatingModel.Query().Where(operatingmodel.ID(id)).QueryPartOf().OnlyID(ctx)
		}); err != nil {
			return nil, err
		}
	}
	for _, part := range in.AddPartIDs {
		if err := noCycle(ctx, "addPartIDs", part, id, func(ctx context.Context, id int) (int, error) {
			return c.OperatingModel.Query().Where(operatingmodel.ID(id)).QueryPartOf().OnlyID(ctx)
		}); err != nil {
			return nil, err
		}
	}
	return c.OperatingModel.UpdateOneID(id).SetInput(in).Save(ctx)
}

// noCycle refuses to put child under parent when parent already is child
// or one of child's descendants: following parentOf up from parent must not
// reach child.
func noCycle(ctx context.Context, field string, child, parent int, parentOf func(context.Context, int) (int, error)) error {
	sys := auth.System(ctx)
	for at, steps := parent, 0; ; steps++ {
		if at == child || steps > 1000 {
			return fault.BadInput(field, "%s would put something inside itself", field)
		}
		next, err := parentOf(sys, at)
		if ent.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		at = next
	}
}

// RecordAdoption records that a municipality or a pilot adopted an
// operating model.
func RecordAdoption(ctx context.Context, c *ent.Client, in ent.CreateAdoptionInput) (*ent.Adoption, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	if _, err := webURL("sourceURL", in.SourceURL); err != nil {
		return nil, err
	}
	if _, err := c.OperatingModel.Get(ctx, in.OperatingModelID); err != nil {
		return nil, err
	}
	if err := checkRefs(ctx,
		refCheck{"municipalityID", one(in.MunicipalityID), countMunicipalities(c)},
		refCheck{"pilotID", one(in.PilotID), countPilots(c)},
	); err != nil {
		return nil, err
	}
	return c.Adoption.Create().SetInput(in).Save(ctx)
}
