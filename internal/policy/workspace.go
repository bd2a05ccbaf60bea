package policy

import (
	"context"

	"kokeilu/ent"
	"kokeilu/ent/discussion"
	"kokeilu/ent/material"
	"kokeilu/ent/membership"
	"kokeilu/ent/notice"
	"kokeilu/ent/post"
	"kokeilu/ent/predicate"
	"kokeilu/ent/privacy"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/fault"
)

// filterFor applies a read filter for anonymous and ordinary viewers; site
// administrators read everything. Hidden rows behave as if they did not
// exist: they are left out of lists, counts, edges and node(id:).
func filterFor(ctx context.Context, where func(v *auth.Viewer)) error {
	v := auth.FromContext(ctx)
	if v != nil && v.Admin {
		return privacy.Allow
	}
	where(v)
	return privacy.Skip
}

// Workspace: everyone sees that a workspace exists (so they can ask to join
// a members-only one); its contents follow contentVisible.
func Workspace() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			requireViewer(),
			// A workspace of a pilot or network is made by those who may change it.
			AttachOnlyWhatYouEdit(Attaches{workspace.EdgeNetwork: NetworkCreator, workspace.EdgePilot: PilotCreator}),
			privacy.WorkspaceMutationRuleFunc(relativesRule),
			privacy.OnMutationOperation(privacy.AlwaysAllowRule(), ent.OpCreate),
			privacy.WorkspaceMutationRuleFunc(func(ctx context.Context, m *ent.WorkspaceMutation) error {
				ids, err := m.IDs(auth.System(ctx))
				if err != nil {
					return err
				}
				roles, what := managers, "change the workspace"
				if m.Op().Is(ent.OpDelete | ent.OpDeleteOne) {
					roles, what = []membership.Role{membership.RoleOWNER}, "delete the workspace"
				}
				itself := func(_ context.Context, id int) (int, error) { return id, nil }
				return requireRoleIn(ctx, m.Client(), ids, itself, what, roles...)
			}),
		},
	}
}

// detachesOnly tells whether m does nothing but take workspaces out of
// their parent.
func detachesOnly(m *ent.WorkspaceMutation) bool {
	for _, f := range m.Fields() {
		if f != workspace.FieldUpdatedAt { // set on every update
			return false
		}
	}
	return m.Op().Is(ent.OpUpdateOne|ent.OpUpdate) && m.ParentCleared() &&
		len(m.AddedEdges()) == 0 && len(m.RemovedEdges()) == 0 && len(m.ClearedEdges()) == 1
}

// relativesRule: placing a workspace under a parent, or adopting children,
// needs the admins or owners of those other workspaces too, so no one
// files their workspace under someone else's.
func relativesRule(ctx context.Context, m *ent.WorkspaceMutation) error {
	if detachesOnly(m) {
		// Either side may end the link: the sub-workspace's admins (it
		// leaves, below) or its parent's (they let it go, here).
		// Attaching needs both.
		ids, err := m.IDs(auth.System(ctx))
		if err != nil {
			return err
		}
		for _, id := range ids {
			parent, err := m.Client().Workspace.Query().Where(workspace.ID(id)).QueryParent().OnlyID(auth.System(ctx))
			if ent.IsNotFound(err) {
				// No link to end: nothing to let go of, so only the
				// workspace's own admins may (even as a no-op).
				return privacy.Skip
			}
			if err != nil {
				return err
			}
			ok, err := Manages(ctx, m.Client(), parent)
			if err != nil {
				return err
			}
			if !ok {
				return privacy.Skip // the child's admins may still
			}
		}
		return privacy.Allow
	}
	others := m.ChildrenIDs()
	if parent, ok := m.ParentID(); ok {
		others = append(others, parent)
	}
	for _, id := range others {
		if err := requireRole(ctx, m.Client(), id, "place workspaces under this one", managers...); err != privacy.Allow {
			return err
		}
	}
	return privacy.Skip
}

// MembershipVisible is the read rule of memberships: lists of members follow
// contentVisible; pending requests are seen by the requester and the
// workspace's admins and owners.
func MembershipVisible(v *auth.Viewer) predicate.Membership {
	visible := membership.HasWorkspaceWith(contentVisible(v))
	if v == nil {
		return membership.And(visible, membership.RoleNEQ(membership.RolePENDING))
	}
	return membership.Or(
		membership.UserID(v.ID), // one's own, pending too
		membership.And(visible, membership.Or(
			membership.RoleNEQ(membership.RolePENDING),
			membership.HasWorkspaceWith(isManager(v)),
		)),
	)
}

// Membership: read as MembershipVisible says.
func Membership() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			privacy.MembershipQueryRuleFunc(func(ctx context.Context, q *ent.MembershipQuery) error {
				return filterFor(ctx, func(v *auth.Viewer) { q.Where(MembershipVisible(v)) })
			}),
		},
		Mutation: privacy.MutationPolicy{
			requireViewer(),
			allowSiteAdmin(),
			privacy.OnMutationOperation(privacy.MembershipMutationRuleFunc(joinRule), ent.OpCreate),
			privacy.OnMutationOperation(privacy.MembershipMutationRuleFunc(roleChangeRule), ent.OpUpdateOne),
			privacy.OnMutationOperation(privacy.MembershipMutationRuleFunc(leaveRule), ent.OpDeleteOne),
			denyRest("memberships change one at a time"),
		},
	}
}

// joinRule: a user joins for themselves: as MEMBER of a public workspace,
// as PENDING of a members-only one, or as the first OWNER of a new one.
func joinRule(ctx context.Context, m *ent.MembershipMutation) error {
	v := auth.FromContext(ctx)
	userID, _ := m.UserID()
	wsID, _ := m.WorkspaceID()
	if userID != v.ID {
		return fault.Forbiddenf("users join workspaces for themselves")
	}
	sys := auth.System(ctx)
	ws, err := m.Client().Workspace.Get(sys, wsID)
	if err != nil {
		return err
	}
	role, _ := m.Role()
	switch role {
	case membership.RoleOWNER:
		n, err := m.Client().Membership.Query().Where(membership.WorkspaceID(wsID)).Count(sys)
		if err != nil {
			return err
		}
		if n == 0 {
			return privacy.Allow
		}
	case membership.RoleMEMBER:
		if ws.Visibility == workspace.VisibilityPUBLIC {
			return privacy.Allow
		}
	case membership.RolePENDING:
		if ws.Visibility == workspace.VisibilityMEMBERS_ONLY {
			return privacy.Allow
		}
	}
	return fault.Forbiddenf("cannot join %q as %s", ws.Name, role)
}

// roleChangeRule: admins and owners set roles; only owners make or unmake
// owners.
func roleChangeRule(ctx context.Context, m *ent.MembershipMutation) error {
	id, _ := m.ID()
	target, err := m.Client().Membership.Get(auth.System(ctx), id)
	if err != nil {
		return err
	}
	newRole, _ := m.Role()
	owner := []membership.Role{membership.RoleOWNER}
	switch {
	case target.Role == membership.RoleOWNER && newRole != membership.RoleOWNER:
		return requireRole(ctx, m.Client(), target.WorkspaceID,
			"change an owner's role: an owner steps down by setting their own role, while another owner remains", owner...)
	case newRole == membership.RoleOWNER:
		// There is no transfer of ownership: a workspace may have several
		// owners, and an owner makes another one with setMemberRole.
		return requireRole(ctx, m.Client(), target.WorkspaceID,
			"make a member OWNER: ask an owner to set the role OWNER with setMemberRole (a workspace may have several owners); admins may set the roles MEMBER and ADMIN", owner...)
	}
	return requireRole(ctx, m.Client(), target.WorkspaceID, "set members' roles", managers...)
}

// leaveRule: a user leaves on their own; admins and owners remove others,
// owners only by an owner.
func leaveRule(ctx context.Context, m *ent.MembershipMutation) error {
	id, _ := m.ID()
	target, err := m.Client().Membership.Get(auth.System(ctx), id)
	if err != nil {
		return err
	}
	if target.UserID == auth.FromContext(ctx).ID {
		return privacy.Allow
	}
	roles := managers
	what := "remove members"
	if target.Role == membership.RoleOWNER {
		roles, what = []membership.Role{membership.RoleOWNER}, "remove an owner"
	}
	return requireRole(ctx, m.Client(), target.WorkspaceID, what, roles...)
}

// WorkspaceContent is the privacy rule that a workspace's contents share
// (ent/schema.WorkspaceContentMixin: discussions, notices, materials,
// surveys, workshops): they are read where the workspace's contents are
// (contentVisible; hidden rows behave as if they did not exist) and changed
// only by someone signed in. ent evaluates it before each type's own
// policy, which says who may change the rows.
func WorkspaceContent() ent.Policy {
	type inWorkspace interface {
		WhereHasWorkspaceWith(...predicate.Workspace)
	}
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
				rows, ok := f.(inWorkspace)
				if !ok { // a schema took the mixin without a workspace edge
					return privacy.Denyf("%T has no workspace edge", f)
				}
				return filterFor(ctx, func(v *auth.Viewer) { rows.WhereHasWorkspaceWith(contentVisible(v)) })
			}),
		},
		Mutation: privacy.MutationPolicy{requireViewer()},
	}
}

// Discussion (after WorkspaceContent): members start them; admins and
// owners lock, pin and rename them; replying members move their counters.
func Discussion() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			privacy.DiscussionMutationRuleFunc(func(ctx context.Context, m *ent.DiscussionMutation) error {
				c, sys := m.Client(), auth.System(ctx)
				if m.Op().Is(ent.OpCreate) {
					wsID, _ := m.WorkspaceID()
					return requireRole(ctx, c, wsID, "start discussions", members...)
				}
				ids, err := m.IDs(sys)
				if err != nil {
					return err
				}
				roles, what := managers, "moderate discussions"
				if onlyFields(m, discussion.FieldPostCount, discussion.FieldLastPostAt, discussion.FieldUpdatedAt) {
					roles, what = members, "reply"
				}
				workspaceOf := func(ctx context.Context, id int) (int, error) {
					return c.Discussion.Query().Where(discussion.ID(id)).QueryWorkspace().OnlyID(ctx)
				}
				return requireRoleIn(ctx, c, ids, workspaceOf, what, roles...)
			}),
		},
	}
}

// Post: members reply unless the discussion is locked; authors edit their
// own; authors, admins and owners delete (the body is removed, the post
// keeps its place).
func Post() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			privacy.PostQueryRuleFunc(func(ctx context.Context, q *ent.PostQuery) error {
				return filterFor(ctx, func(v *auth.Viewer) { q.Where(PostVisible(v)) })
			}),
		},
		Mutation: privacy.MutationPolicy{
			requireViewer(),
			privacy.PostMutationRuleFunc(func(ctx context.Context, m *ent.PostMutation) error {
				c, sys, v := m.Client(), auth.System(ctx), auth.FromContext(ctx)
				if m.Op().Is(ent.OpCreate) {
					dID, _ := m.DiscussionID()
					d, err := c.Discussion.Get(sys, dID)
					if err != nil {
						return err
					}
					wsID, err := d.QueryWorkspace().OnlyID(sys)
					if err != nil {
						return err
					}
					if err := requireRole(ctx, c, wsID, "reply", members...); err != privacy.Allow {
						return err
					}
					if d.Locked {
						return fault.Forbiddenf("the discussion is locked")
					}
					return privacy.Allow
				}
				if !m.Op().Is(ent.OpUpdateOne) {
					return fault.Forbiddenf("posts are deleted by removing their body")
				}
				id, _ := m.ID()
				p, err := c.Post.Query().Where(post.ID(id)).WithAuthor().WithDiscussion().Only(sys)
				if err != nil {
					return err
				}
				isAuthor := p.Edges.Author != nil && p.Edges.Author.ID == v.ID
				if p.DeletedAt != nil {
					return fault.Forbiddenf("the post has been deleted")
				}
				if onlyFields(m, post.FieldBody, post.FieldEditedAt) {
					if isAuthor {
						return privacy.Allow
					}
					return fault.Forbiddenf("only the author may edit a post")
				}
				if isAuthor {
					return privacy.Allow
				}
				wsID, err := p.Edges.Discussion.QueryWorkspace().OnlyID(sys)
				if err != nil {
					return err
				}
				return requireRole(ctx, c, wsID, "delete others' posts", managers...)
			}),
		},
	}
}

// Notice (after WorkspaceContent): the notice board is written by the
// workspace's admins and owners.
func Notice() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			managedContent("notices", func(ctx context.Context, c *ent.Client, id int) (int, error) {
				return c.Notice.Query().Where(notice.ID(id)).QueryWorkspace().OnlyID(ctx)
			}),
		},
	}
}

// managedContent is the mutation rule of a workspace's contents that its
// admins and owners write (notices, surveys, workshops); workspaceOf finds
// a stored row's workspace.
func managedContent(what string, workspaceOf func(ctx context.Context, c *ent.Client, id int) (int, error)) privacy.MutationRule {
	type inWorkspace interface {
		WorkspaceID() (int, bool)
		Client() *ent.Client
	}
	return privacy.MutationRuleFunc(func(ctx context.Context, m ent.Mutation) error {
		c := m.(inWorkspace).Client()
		if m.Op().Is(ent.OpCreate) {
			wsID, _ := m.(inWorkspace).WorkspaceID()
			return requireRole(ctx, c, wsID, "add "+what, managers...)
		}
		ids, err := mutationIDs(ctx, m)
		if err != nil {
			return err
		}
		of := func(ctx context.Context, id int) (int, error) { return workspaceOf(ctx, c, id) }
		return requireRoleIn(ctx, c, ids, of, "change "+what, managers...)
	})
}

// Material (after WorkspaceContent): members add; authors, admins and
// owners change and remove.
func Material() ent.Policy {
	return privacy.Policy{
		Mutation: privacy.MutationPolicy{
			privacy.MaterialMutationRuleFunc(func(ctx context.Context, m *ent.MaterialMutation) error {
				c, sys, v := m.Client(), auth.System(ctx), auth.FromContext(ctx)
				if m.Op().Is(ent.OpCreate) {
					wsID, _ := m.WorkspaceID()
					return requireRole(ctx, c, wsID, "add materials", members...)
				}
				ids, err := m.IDs(sys)
				if err != nil {
					return err
				}
				for _, id := range ids {
					mat, err := c.Material.Query().Where(material.ID(id)).WithAuthor().WithWorkspace().Only(sys)
					if err != nil {
						return err
					}
					if mat.Edges.Author != nil && mat.Edges.Author.ID == v.ID {
						continue
					}
					if err := requireRole(ctx, c, mat.Edges.Workspace.ID, "change others' materials", managers...); err != privacy.Allow {
						return err
					}
				}
				return privacy.Allow
			}),
		},
	}
}

// onlyFields tells whether a mutation sets, adds to or clears nothing but
// the named fields.
func onlyFields(m ent.Mutation, names ...string) bool {
	allowed := map[string]bool{}
	for _, n := range names {
		allowed[n] = true
	}
	for _, list := range [][]string{m.Fields(), m.AddedFields(), m.ClearedFields()} {
		for _, f := range list {
			if !allowed[f] {
				return false
			}
		}
	}
	return len(m.AddedEdges())+len(m.RemovedEdges())+len(m.ClearedEdges()) == 0
}

// The read rules of a workspace's contents: readable where the workspace's
// contents are (contentVisible), as WorkspaceContent filters their queries
// (posts: where their discussion is). Where filters that walk an edge into
// such rows use them (ScopeWhere).

func DiscussionVisible(v *auth.Viewer) predicate.Discussion {
	return discussion.HasWorkspaceWith(contentVisible(v))
}

func PostVisible(v *auth.Viewer) predicate.Post {
	return post.HasDiscussionWith(DiscussionVisible(v))
}

func NoticeVisible(v *auth.Viewer) predicate.Notice {
	return notice.HasWorkspaceWith(contentVisible(v))
}

func MaterialVisible(v *auth.Viewer) predicate.Material {
	return material.HasWorkspaceWith(contentVisible(v))
}
