package collab

import (
	"context"

	"kokeilu/ent"
	"kokeilu/ent/pilot"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
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
	if add {
		update.AddProjectIDs(pilotID)
	} else {
		update.RemoveProjectIDs(pilotID)
	}
	if add == linked {
		return unchanged(ctx, ws, update.Mutation())
	}
	return update.Save(ctx)
}

// unchanged answers a call that would change nothing: the workspace as it
// is, without a write (no updatedAt, no new data revision), and only to
// those the policy lets make the change.
func unchanged(ctx context.Context, ws *ent.Workspace, m *ent.WorkspaceMutation) (*ent.Workspace, error) {
	if err := workspace.Policy.EvalMutation(ctx, m); err != nil {
		return nil, err
	}
	return ws, nil
}

// SetParent makes a workspace a sub-workspace of another, or a top-level
// one (parentID nil). ADMIN or OWNER of both, as the policy says.
func SetParent(ctx context.Context, c *ent.Client, workspaceID int, parentID *int) (*ent.Workspace, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	ws, err := c.Workspace.Get(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	current, err := c.Workspace.Query().Where(workspace.ID(workspaceID)).QueryParent().OnlyID(auth.System(ctx))
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	hasParent := err == nil
	update := c.Workspace.UpdateOneID(workspaceID)
	if parentID == nil {
		update.ClearParent()
		if !hasParent {
			return unchanged(ctx, ws, update.Mutation())
		}
		return update.Save(ctx)
	}
	if _, err := c.Workspace.Get(ctx, *parentID); err != nil {
		return nil, err
	}
	update.SetParentID(*parentID)
	if hasParent && current == *parentID {
		return unchanged(ctx, ws, update.Mutation())
	}
	w, err := update.Save(ctx)
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
