// Package collab is what members do in workspaces: create and join them,
// set roles, discuss, post notices. Permissions are not checked here: the
// ent privacy policies (internal/policy) decide, on every path. This package
// validates input and keeps the steps of each action together, run inside
// the mutation's transaction (ent.FromContext).
package collab

import (
	"context"
	"strings"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/discussion"
	"kokeilu/ent/membership"
	"kokeilu/ent/notice"
	"kokeilu/ent/post"
	"kokeilu/ent/workspace"
	"kokeilu/internal/auth"
	"kokeilu/internal/fault"
	"kokeilu/internal/integrity"
	"kokeilu/internal/slug"
	kokeilutext "kokeilu/internal/text"
)

// client is the transaction of the running mutation, or c outside one.
func client(ctx context.Context, c *ent.Client) *ent.Client {
	if tx := ent.FromContext(ctx); tx != nil {
		return tx
	}
	return c
}

// begin starts an action of a signed-in viewer: UNAUTHENTICATED for
// anyone else, otherwise the client to act with.
func begin(ctx context.Context, c *ent.Client) (*ent.Client, error) {
	if _, err := viewer(ctx); err != nil {
		return nil, err
	}
	return client(ctx, c), nil
}

// viewer returns the signed-in user or UNAUTHENTICATED.
func viewer(ctx context.Context) (*auth.Viewer, error) {
	v := auth.FromContext(ctx)
	if v == nil {
		return nil, fault.Unauthenticatedf("sign in first")
	}
	return v, nil
}

// text trims s and, if required, refuses it empty; field is its GraphQL
// name. Lengths are checked where each limit is stated once: the ent
// schema's fields (chars in ent/schema), whose validators name the field.
func text(field, s string, required bool) (string, error) {
	return kokeilutext.Human(field, s, required)
}

// webURL checks an optional http(s) address (kokeilutext.WebAddress) and
// returns its normal form.
func webURL(field string, s *string) (string, error) {
	return kokeilutext.WebAddress(field, deref(s))
}

// normalURL checks the optional address *s and puts its normal form in
// its place (internal/integrity.WebAddresses does it again on the way to
// the database, whatever path writes).
func normalURL(field string, s *string) error {
	if s == nil {
		return nil
	}
	n, err := webURL(field, s)
	*s = n
	return err
}

// heading trims the title (required) and the optional text under it
// (field) of a new notice, survey or workshop.
func heading(title, field string, body *string) (string, string, error) {
	t, err := text("title", title, true)
	if err != nil {
		return "", "", err
	}
	b, err := text(field, deref(body), false)
	return t, b, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// WorkspaceInput is what createWorkspace takes.
type WorkspaceInput struct {
	Name, Description, Slug string
	Visibility              workspace.Visibility
	NetworkID, PilotID      *int
	ParentID                *int
}

// CreateWorkspace creates a workspace with the viewer as its OWNER.
func CreateWorkspace(ctx context.Context, c *ent.Client, in WorkspaceInput) (*ent.Workspace, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	c = client(ctx, c)
	name, err := text("name", in.Name, true)
	if err != nil {
		return nil, err
	}
	desc, err := text("description", in.Description, false)
	if err != nil {
		return nil, err
	}
	key := in.Slug
	if key == "" {
		key = slug.Make(name)
	}
	if key == "" || key != slug.Make(key) {
		return nil, fault.BadInput("slug", "a slug has lower-case letters, digits and dashes")
	}
	if err := checkRefs(ctx,
		refCheck{"networkId", one(in.NetworkID), countNetworks(c)},
		refCheck{"pilotId", one(in.PilotID), countPilots(c)},
		refCheck{"parentId", one(in.ParentID), countWorkspaces(c)},
	); err != nil {
		return nil, err
	}
	create := c.Workspace.Create().SetName(name).SetDescription(desc).
		SetVisibility(in.Visibility).SetNillableNetworkID(in.NetworkID).SetNillablePilotID(in.PilotID).
		SetNillableParentID(in.ParentID)
	var ws *ent.Workspace
	if in.Slug != "" {
		taken, err := c.Workspace.Query().Where(workspace.Slug(key)).Exist(auth.System(ctx))
		if err != nil {
			return nil, err
		}
		if !taken {
			ws, err = create.SetSlug(key).Save(ctx)
		}
		if taken || ent.IsConstraintError(err) { // the second: taken at the same moment
			return nil, fault.Conflictf("the slug %q is taken", key)
		}
		if err != nil {
			return nil, err
		}
	} else {
		// A slug of the name: the next free one, also when another
		// workspace of the same name is created at the same moment.
		err = integrity.InsertOrNextSlug(ctx, key,
			func(s string) (bool, error) {
				return c.Workspace.Query().Where(workspace.Slug(s)).Exist(auth.System(ctx))
			},
			func(s string) error {
				var err error
				ws, err = create.SetSlug(s).Save(ctx)
				return err
			})
		if err != nil {
			return nil, err
		}
	}
	err = c.Membership.Create().SetWorkspaceID(ws.ID).SetUserID(v.ID).SetRole(membership.RoleOWNER).Exec(ctx)
	return ws, err
}

// Join makes the viewer a MEMBER of a public workspace, or a PENDING
// applicant of a members-only one.
func Join(ctx context.Context, c *ent.Client, workspaceID int) (*ent.Membership, error) {
	v, err := viewer(ctx)
	if err != nil {
		return nil, err
	}
	c = client(ctx, c)
	ws, err := c.Workspace.Get(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	if m, err := own(ctx, c, workspaceID, v); err != nil {
		return nil, err
	} else if m != nil {
		return nil, fault.Conflictf("you are already %s of this workspace", article(m.Role))
	}
	role := membership.RoleMEMBER
	if ws.Visibility == workspace.VisibilityMEMBERS_ONLY {
		role = membership.RolePENDING
	}
	m, err := c.Membership.Create().SetWorkspaceID(ws.ID).SetUserID(v.ID).SetRole(role).Save(ctx)
	if ent.IsConstraintError(err) {
		// A concurrent join won the race: one membership, as asked.
		return nil, fault.Conflictf("you are already a member of this workspace")
	}
	return m, err
}

func article(r membership.Role) string {
	if r == membership.RolePENDING {
		return "an applicant (pending)"
	}
	if r == membership.RoleOWNER || r == membership.RoleADMIN {
		return "an " + strings.ToLower(string(r))
	}
	return "a member"
}

// own returns the viewer's membership of a workspace, or nil.
func own(ctx context.Context, c *ent.Client, workspaceID int, v *auth.Viewer) (*ent.Membership, error) {
	m, err := c.Membership.Query().Where(membership.WorkspaceID(workspaceID), membership.UserID(v.ID)).Only(auth.System(ctx))
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return m, err
}

// Leave removes the viewer's membership (or pending request).
func Leave(ctx context.Context, c *ent.Client, workspaceID int) (bool, error) {
	v, err := viewer(ctx)
	if err != nil {
		return false, err
	}
	c = client(ctx, c)
	m, err := own(ctx, c, workspaceID, v)
	if err != nil {
		return false, err
	}
	if m == nil {
		return false, fault.NotFoundf("you are not a member of this workspace")
	}
	return true, c.Membership.DeleteOneID(m.ID).Exec(ctx)
}

// SetRole changes a member's role; approving a pending request is setting
// MEMBER (or higher).
func SetRole(ctx context.Context, c *ent.Client, workspaceID, userID int, role membership.Role) (*ent.Membership, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	m, err := c.Membership.Query().Where(membership.WorkspaceID(workspaceID), membership.UserID(userID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fault.NotFoundf("that user has no membership in this workspace")
	}
	if err != nil {
		return nil, err
	}
	return c.Membership.UpdateOne(m).SetRole(role).Save(ctx)
}

// StartDiscussion opens a discussion with its first post.
func StartDiscussion(ctx context.Context, c *ent.Client, workspaceID int, title, body string) (*ent.Discussion, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	title, err = text("title", title, true)
	if err != nil {
		return nil, err
	}
	body, err = text("body", body, true)
	if err != nil {
		return nil, err
	}
	if err := workspaceRef(ctx, c, workspaceID); err != nil {
		return nil, err
	}
	now := time.Now()
	d, err := c.Discussion.Create().SetWorkspaceID(workspaceID).SetTitle(title).
		SetPostCount(1).SetLastPostAt(now).Save(ctx)
	if err != nil {
		return nil, err
	}
	err = c.Post.Create().SetDiscussionID(d.ID).SetBody(body).SetCreatedAt(now).Exec(ctx)
	return d, err
}

// Reply adds a post to a discussion, optionally answering another post of
// it, and moves the discussion's counters with an atomic increment so
// concurrent replies all count.
func Reply(ctx context.Context, c *ent.Client, discussionID int, body string, replyTo *int) (*ent.Post, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	body, err = text("body", body, true)
	if err != nil {
		return nil, err
	}
	if err := refs(ctx, "discussionId", []int{discussionID}, countDiscussions(c)); err != nil {
		return nil, err
	}
	d, err := c.Discussion.Get(ctx, discussionID)
	if err != nil {
		return nil, err
	}
	if replyTo != nil {
		ok, err := c.Post.Query().Where(post.ID(*replyTo), post.HasDiscussionWith(discussion.ID(d.ID))).Exist(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fault.BadInput("replyToId", "replyToId is not a post of this discussion")
		}
	}
	now := time.Now()
	p, err := c.Post.Create().SetDiscussionID(d.ID).SetBody(body).SetCreatedAt(now).SetNillableReplyToID(replyTo).Save(ctx)
	if err != nil {
		return nil, err
	}
	err = c.Discussion.UpdateOneID(d.ID).AddPostCount(1).SetLastPostAt(now).Exec(ctx)
	return p, err
}

// EditPost replaces the body of the viewer's own post.
func EditPost(ctx context.Context, c *ent.Client, id int, body string) (*ent.Post, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	body, err = text("body", body, true)
	if err != nil {
		return nil, err
	}
	old, err := c.Post.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	update := c.Post.UpdateOneID(id).SetBody(body)
	if body != old.Body { // saved unchanged, it is not "edited" (and nothing is written)
		update.SetEditedAt(time.Now())
	}
	return update.Save(ctx)
}

// DeletePost removes a post's body; the post keeps its place in the thread.
func DeletePost(ctx context.Context, c *ent.Client, id int) (*ent.Post, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	if _, err := c.Post.Get(ctx, id); err != nil {
		return nil, err
	}
	return c.Post.UpdateOneID(id).SetBody("").SetDeletedAt(time.Now()).Save(ctx)
}

// Moderate locks or pins a discussion (set is the field to change).
func Moderate(ctx context.Context, c *ent.Client, id int, set func(*ent.DiscussionUpdateOne) *ent.DiscussionUpdateOne) (*ent.Discussion, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	if _, err := c.Discussion.Get(ctx, id); err != nil {
		return nil, err
	}
	return set(c.Discussion.UpdateOneID(id)).Save(ctx)
}

// NoticeInput is what postNotice takes.
type NoticeInput struct {
	WorkspaceID int
	Title       string
	Body, URL   *string
	EventOn     *time.Time
	ExpiresAt   *time.Time
	Kind        *notice.Kind
}

// PostNotice puts a notice on a workspace's board.
func PostNotice(ctx context.Context, c *ent.Client, in NoticeInput) (*ent.Notice, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	title, body, err := heading(in.Title, "body", in.Body)
	if err != nil {
		return nil, err
	}
	link, err := webURL("url", in.URL)
	if err != nil {
		return nil, err
	}
	if err := workspaceRef(ctx, c, in.WorkspaceID); err != nil {
		return nil, err
	}
	return c.Notice.Create().SetWorkspaceID(in.WorkspaceID).SetTitle(title).SetBody(body).SetURL(link).
		SetNillableEventOn(in.EventOn).SetNillableExpiresAt(in.ExpiresAt).SetNillableKind(in.Kind).Save(ctx)
}
