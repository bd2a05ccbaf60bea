// Package policy holds Kokeilu's privacy rules in one place: who may read
// and change what (ent privacy policies, so every path obeys them: lists,
// counts, node(id:), nested edges, subscriptions). The hooks that keep
// stored data consistent are internal/integrity; ent/schema wires both to
// the entity types.
package policy

import (
	"context"
	"slices"

	"kokeilu/ent"
	"kokeilu/ent/membership"
	"kokeilu/ent/predicate"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/fault"

	"kokeilu/ent/privacy"
)

// contentVisible is the predicate of workspaces whose contents (members,
// discussions, posts, notices, materials) the viewer may read: public ones,
// and members-only ones where the viewer is a member (not pending).
func contentVisible(v *auth.Viewer) predicate.Workspace {
	public := workspace.VisibilityEQ(workspace.VisibilityPUBLIC)
	if v == nil {
		return public
	}
	return workspace.Or(public, workspace.HasMembershipsWith(
		membership.UserID(v.ID), membership.RoleNEQ(membership.RolePENDING)))
}

// isManager is the predicate of workspaces the viewer administers.
func isManager(v *auth.Viewer) predicate.Workspace {
	return workspace.HasMembershipsWith(membership.UserID(v.ID),
		membership.RoleIn(membership.RoleOWNER, membership.RoleADMIN))
}

// roleIn returns the viewer's role in a workspace, and whether there is one.
func roleIn(ctx context.Context, c *ent.Client, workspaceID int, v *auth.Viewer) (membership.Role, bool, error) {
	if v == nil {
		return "", false, nil
	}
	m, err := c.Membership.Query().
		Where(membership.WorkspaceID(workspaceID), membership.UserID(v.ID)).
		Only(auth.System(ctx))
	if ent.IsNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return m.Role, true, nil
}

// requireRole allows the viewer if they hold one of roles in the workspace
// (site administrators always), and otherwise says why not.
func requireRole(ctx context.Context, c *ent.Client, workspaceID int, what string, roles ...membership.Role) error {
	v := auth.FromContext(ctx)
	if v == nil {
		return fault.Unauthenticatedf("sign in to %s", what)
	}
	if v.Admin {
		return privacy.Allow
	}
	role, ok, err := roleIn(ctx, c, workspaceID, v)
	if err != nil {
		return err
	}
	for _, r := range roles {
		if ok && role == r {
			return privacy.Allow
		}
	}
	switch {
	case slices.Contains(roles, membership.RoleMEMBER):
		return fault.Forbiddenf("only members of the workspace may %s", what)
	case slices.Contains(roles, membership.RoleADMIN):
		return fault.Forbiddenf("only the workspace's admins and owners may %s", what)
	}
	return fault.Forbiddenf("only the workspace's owners may %s", what)
}

// requireRoleIn checks the viewer's role in the workspace of every row a
// mutation changes; workspaceOf finds a row's workspace.
func requireRoleIn(ctx context.Context, c *ent.Client, ids []int, workspaceOf func(context.Context, int) (int, error), what string, roles ...membership.Role) error {
	for _, id := range ids {
		wsID, err := workspaceOf(auth.System(ctx), id)
		if err != nil {
			return err
		}
		if err := requireRole(ctx, c, wsID, what, roles...); err != privacy.Allow {
			return err
		}
	}
	return privacy.Allow
}

var (
	members  = []membership.Role{membership.RoleMEMBER, membership.RoleADMIN, membership.RoleOWNER}
	managers = []membership.Role{membership.RoleADMIN, membership.RoleOWNER}
)

// requireViewer refuses anonymous changes.
func requireViewer() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, _ ent.Mutation) error {
		if auth.FromContext(ctx) == nil {
			return fault.Unauthenticatedf("sign in first")
		}
		return privacy.Skip
	})
}

// allowSiteAdmin lets site administrators change anything.
func allowSiteAdmin() privacy.MutationRule {
	return privacy.MutationRuleFunc(func(ctx context.Context, _ ent.Mutation) error {
		if v := auth.FromContext(ctx); v != nil && v.Admin {
			return privacy.Allow
		}
		return privacy.Skip
	})
}

// denyRest ends a mutation policy: what no rule allowed is forbidden.
func denyRest(why string) privacy.MutationRule {
	return privacy.MutationRuleFunc(func(context.Context, ent.Mutation) error {
		return fault.Forbiddenf("%s", why)
	})
}

// Public is the policy of public data that only site administrators change
// through the API (organisations, themes, users' accounts by others).
func Public() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{requireViewer(), allowSiteAdmin(), denyRest("only site administrators may change this")},
	}
}

// ReferenceData is read-only through the API: only the server's own loader
// (in a system context) writes regions, counties and municipalities.
func ReferenceData() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{denyRest("reference data is read-only")},
	}
}

// Internal data (sessions) is read and written by the server alone.
func Internal() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{privacy.AlwaysDenyRule()},
		Mutation: privacy.MutationPolicy{privacy.AlwaysDenyRule()},
	}
}

// NoticeReaders tells who may read a notice, as the Notice query policy
// decides: everyone for a public workspace; otherwise its members who are
// not pending, and site administrators. The notice board uses it to fan a
// new notice out to many subscribers with one query instead of one each.
func NoticeReaders(ctx context.Context, c *ent.Client, workspaceID int) (func(*auth.Viewer) bool, error) {
	sys := auth.System(ctx)
	ws, err := c.Workspace.Get(sys, workspaceID)
	if err != nil {
		return nil, err
	}
	if ws.Visibility == workspace.VisibilityPUBLIC {
		return func(*auth.Viewer) bool { return true }, nil
	}
	ids, err := c.Membership.Query().
		Where(membership.WorkspaceID(workspaceID), membership.RoleNEQ(membership.RolePENDING)).
		Select(membership.FieldUserID).Ints(sys)
	if err != nil {
		return nil, err
	}
	members := make(map[int]bool, len(ids))
	for _, id := range ids {
		members[id] = true
	}
	return func(v *auth.Viewer) bool { return v != nil && (v.Admin || members[v.ID]) }, nil
}

// Manages tells whether the viewer is an ADMIN or OWNER of the workspace,
// or a site administrator.
func Manages(ctx context.Context, c *ent.Client, workspaceID int) (bool, error) {
	v := auth.FromContext(ctx)
	if v == nil {
		return false, nil
	}
	if v.Admin {
		return true, nil
	}
	role, ok, err := roleIn(ctx, c, workspaceID, v)
	return ok && (role == membership.RoleOWNER || role == membership.RoleADMIN), err
}

// ReadableContent is the predicate of workspaces whose contents the viewer
// of ctx may read, as the query policies of discussions, posts, notices and
// materials apply it; nil when the viewer reads everything (site
// administrators). Search filters its raw SQL with it.
func ReadableContent(ctx context.Context) predicate.Workspace {
	v := auth.FromContext(ctx)
	if v != nil && v.Admin {
		return nil
	}
	return contentVisible(v)
}
