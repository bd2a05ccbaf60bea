package collab

import (
	"context"

	"kokeilu/ent"
	"kokeilu/ent/pilot"
	"kokeilu/ent/workspace"
)

// AddProject links a pilot to a workspace as one of its projects (ADMIN or
// OWNER). Linking it twice changes nothing.
func AddProject(ctx context.Context, c *ent.Client, workspaceID, pilotID int) (*ent.Workspace, error) {
	return changeProjects(ctx, c, workspaceID, pilotID, true)
}

// RemoveProject unlinks a project (ADMIN or OWNER).
func RemoveProject(ctx context.Context, c *ent.Client, workspaceID, pilotID int) (*ent.Workspace, error) {
	return changeProjects(ctx, c, workspaceID, pilotID, false)
}

func changeProjects(ctx context.Context, c *ent.Client, workspaceID, pilotID int, add bool) (*ent.Workspace, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	ws, err := c.Workspace.Get(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	if _, err := c.Pilot.Get(ctx, pilotID); err != nil {
		return nil, err
	}
	linked, err := ws.QueryProjects().Where(pilot.ID(pilotID)).Exist(ctx)
	if err != nil {
		return nil, err
	}
	update := c.Workspace.UpdateOneID(workspaceID)
	switch {
	case add && !linked:
		update.AddProjectIDs(pilotID)
	case !add && linked:
		update.RemoveProjectIDs(pilotID)
	default:
		// Nothing to change, but the viewer must still be allowed to
		// change it: an empty update runs the policy.
	}
	return update.Save(ctx)
}

// SetParent makes a workspace a sub-workspace of another, or a top-level
// one (parentID nil). ADMIN or OWNER of both, as the policy says.
func SetParent(ctx context.Context, c *ent.Client, workspaceID int, parentID *int) (*ent.Workspace, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	if _, err := c.Workspace.Get(ctx, workspaceID); err != nil {
		return nil, err
	}
	update := c.Workspace.UpdateOneID(workspaceID)
	if parentID == nil {
		update.ClearParent()
		return update.Save(ctx)
	}
	if _, err := c.Workspace.Get(ctx, *parentID); err != nil {
		return nil, err
	}
	w, err := update.SetParentID(*parentID).Save(ctx)
	if err != nil {
		return nil, err
	}
	err = acyclic(ctx, "parentId", workspaceID, func(ctx context.Context, id int) (int, error) {
		return c.Workspace.Query().Where(workspace.ID(id)).QueryParent().OnlyID(ctx)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}
