package collab

import (
	"context"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/membership"
	"kokeilu/ent/workspace"
	"kokeilu/graph/model"
	"kokeilu/internal/policy"
)

// SubWorkspaces are a workspace's children whose contents the viewer may
// read.
func SubWorkspaces(ctx context.Context, c *ent.Client, parentID int) *ent.WorkspaceQuery {
	q := c.Workspace.Query().Where(workspace.HasParentWith(workspace.ID(parentID)))
	if readable := policy.ReadableContent(ctx); readable != nil {
		q.Where(readable)
	}
	return q
}

// Summary counts what a workspace's navigation shows, as the viewer may see
// it: one COUNT per section, each filtered by the same privacy rules as the
// section's list, so the numbers never disagree with the lists.
func Summary(ctx context.Context, c *ent.Client, ws *ent.Workspace) (*model.WorkspaceSummary, error) {
	var s model.WorkspaceSummary
	now := time.Now()
	for _, count := range []struct {
		into  *int
		query interface {
			Count(context.Context) (int, error)
		}
	}{
		{&s.Members, ws.QueryMemberships().Where(membership.RoleNEQ(membership.RolePENDING))},
		{&s.Materials, ws.QueryMaterials()},
		{&s.Discussions, ws.QueryDiscussions()},
		{&s.Surveys, ws.QuerySurveys()},
		{&s.OpenSurveys, ws.QuerySurveys().Where(SurveyOpen(now))},
		{&s.Workshops, ws.QueryWorkshops()},
		{&s.Projects, ws.QueryProjects()},
		{&s.SubWorkspaces, SubWorkspaces(ctx, c, ws.ID)},
		{&s.OperatingModels, ws.QueryOperatingModels()},
	} {
		n, err := count.query.Count(ctx)
		if err != nil {
			return nil, err
		}
		*count.into = n
	}
	return &s, nil
}
