package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"kokeilu/ent/notice"
	"kokeilu/internal/integrity"
	"kokeilu/internal/policy"
	"kokeilu/internal/revision"
)

// hiddenFromFilters keeps members-only contents out of where filters: an
// outsider must not learn through hasNoticesWith that a workspace holds
// something. The contents' own lists are filtered by their policies.
var hiddenFromFilters = entgql.Skip(entgql.SkipWhereInput)

// contentEdge is a workspace's list of contents: hidden from filters like
// hiddenFromFilters, and declared by hand in graph/workspace.graphqls so the
// list itself still takes where (entgql drops it with the filter).
var contentEdge = entgql.Skip(entgql.SkipType, entgql.SkipWhereInput)

// Workspace is a työtila: members, discussions, a notice board, materials.
type Workspace struct{ ent.Schema }

func (Workspace) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, keysOf("name", "NAME")}
}

func (Workspace) Fields() []ent.Field {
	return []ent.Field{
		required(field.String("name"), 200),
		required(field.String("slug").Unique(), 100),
		chars(field.String("description").Optional(), 20000),
		field.Enum("visibility").Values("PUBLIC", "MEMBERS_ONLY").Default("PUBLIC").
			Comment("PUBLIC: anyone may read its contents; MEMBERS_ONLY: listed for everyone with its name, description and pilot (so people can ask to join), while its members, discussions, posts, notices and materials are read by members alone.").Annotations(entgql.Type("WorkspaceVisibility")),
	}
}

func (Workspace) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("network", Network.Type).Unique().Comment("The network the workspace serves, if any."),
		edge.From("pilot", Pilot.Type).Ref("workspace").Unique().Comment("The pilot whose own workspace this is, if any."),
		edge.To("memberships", Membership.Type).Annotations(entgql.RelayConnection(), contentEdge),
		edge.To("discussions", Discussion.Type).Annotations(entgql.RelayConnection(), contentEdge),
		edge.To("notices", Notice.Type).Annotations(entgql.RelayConnection(), contentEdge),
		edge.To("materials", Material.Type).Annotations(entgql.RelayConnection(), contentEdge),
		edge.To("surveys", Survey.Type).Annotations(entgql.RelayConnection(), contentEdge),
		edge.To("workshops", Workshop.Type).Annotations(entgql.RelayConnection(), contentEdge),
		edge.To("operating_models", OperatingModel.Type).Annotations(entgql.RelayConnection(), contentEdge),
		// Projects (hankkeet) are the pilots the workspace works on.
		edge.To("projects", Pilot.Type).Annotations(entgql.RelayConnection()).Comment("The pilots the workspace works on."),
		// Sub-workspaces: GraphQL lists them only as subWorkspaces, as the
		// viewer may see them (graph/workspace.graphqls). Both ends are
		// skipped: a plain `children` list would show the rest.
		edge.To("children", Workspace.Type).Annotations(entgql.Skip(entgql.SkipAll)).
			From("parent").Unique().Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (Workspace) Indexes() []ent.Index {
	return []ent.Index{index.Fields("visibility")}
}

func (Workspace) Policy() ent.Policy { return policy.Workspace() }

func (Workspace) Annotations() []schema.Annotation { return rootList() }

// Membership is one user's role in one workspace.
type Membership struct{ ent.Schema }

func (Membership) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("role").Values("OWNER", "ADMIN", "MEMBER", "PENDING").Default("MEMBER").
			Comment("OWNER and ADMIN manage the workspace; MEMBER takes part; PENDING asked to join and waits for an admin.").
			Annotations(entgql.OrderField("ROLE"), entgql.Type("MembershipRole")),
		field.Time("joined_at").Default(time.Now).Comment("When the user joined or asked to join.").Annotations(entgql.OrderField("JOINED_AT")),
		field.Int("user_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("workspace_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (Membership) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("memberships").Field("user_id").Unique().Required().Immutable().Comment("The member."),
		edge.From("workspace", Workspace.Type).Ref("memberships").Field("workspace_id").Unique().Required().Immutable().
			Comment("The workspace."),
	}
}

func (Membership) Indexes() []ent.Index {
	return []ent.Index{index.Fields("user_id", "workspace_id").Unique(), index.Fields("workspace_id", "role")}
}

func (Membership) Policy() ent.Policy { return policy.Membership() }

// Hooks: setting the role a member has writes nothing (DropUnchanged).
func (Membership) Hooks() []ent.Hook {
	return []ent.Hook{revision.DropUnchanged(), integrity.KeepAnOwner()}
}

func (Membership) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.MultiOrder()}
}

// Discussion is a keskustelu: a thread of posts in a workspace.
type Discussion struct{ ent.Schema }

func (Discussion) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, keysOf("title", "TITLE"), WorkspaceContentMixin{}}
}

func (Discussion) Fields() []ent.Field {
	return []ent.Field{
		required(field.String("title"), 200),
		field.Bool("locked").Default(false).Comment("A locked discussion takes no new posts."),
		field.Bool("pinned").Default(false).Comment("Pinned discussions are shown first."),
		field.Int("post_count").Default(0).Validate(atLeast("postCount", 0)).Comment("How many posts the discussion has.").Annotations(entgql.OrderField("POST_COUNT")),
		field.Time("last_post_at").Optional().Nillable().Comment("When the latest post was written; null before the first.").Annotations(entgql.OrderField("LAST_POST_AT")),
	}
}

func (Discussion) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("workspace", Workspace.Type).Ref("discussions").Unique().Required().Comment("The workspace of the discussion."),
		edge.To("author", User.Type).Unique().Comment("Who started it; null if the account is gone."),
		edge.To("posts", Post.Type).Annotations(entgql.RelayConnection()).Comment("The posts, oldest first unless ordered."),
	}
}

func (Discussion) Policy() ent.Policy { return policy.Discussion() }

func (Discussion) Hooks() []ent.Hook { return []ent.Hook{integrity.SetCreator()} }

func (Discussion) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.MultiOrder()}
}

// Post is one message of a discussion, possibly answering another post.
type Post struct{ ent.Schema }

func (Post) Fields() []ent.Field {
	return []ent.Field{
		chars(field.Text("body"), 20000),
		field.Time("created_at").Default(time.Now).Immutable().Comment("When it was written (RFC 3339, UTC).").
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("edited_at").Optional().Nillable().Comment("When it was last edited; null if never."),
		field.Time("deleted_at").Optional().Nillable().Comment("When it was deleted; its body is then empty."),
	}
}

func (Post) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("discussion", Discussion.Type).Ref("posts").Unique().Required().Comment("The discussion it belongs to."),
		edge.To("author", User.Type).Unique().Comment("Who wrote it; null if the account is gone."),
		edge.To("replies", Post.Type).Annotations(entgql.RelayConnection()).Comment("Posts that answer this one.").
			From("reply_to").Unique().Comment("The post this one answers; null for none."),
	}
}

func (Post) Policy() ent.Policy { return policy.Post() }

// Hooks: saving a post unchanged writes nothing (DropUnchanged).
func (Post) Hooks() []ent.Hook { return []ent.Hook{revision.DropUnchanged(), integrity.SetCreator()} }

func (Post) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.MultiOrder()}
}

// Notice is an ilmoitus on a workspace's notice board, often of a seminar.
type Notice struct{ ent.Schema }

func (Notice) Mixin() []ent.Mixin {
	return []ent.Mixin{keysOf("title", "TITLE"), WorkspaceContentMixin{}}
}

func (Notice) Fields() []ent.Field {
	return []ent.Field{
		required(field.String("title"), 200),
		chars(field.Text("body").Optional(), 20000),
		field.Enum("kind").Values("NOTICE", "NEWS", "EVENT").Default("NOTICE").
			Comment("A notice, a news item, or an event (then eventOn gives its day).").
			Annotations(entgql.OrderField("KIND"), entgql.Type("NoticeKind")),
		dateField("event_on", "EVENT_ON", "The day of the event the notice announces; null when none."),
		urlField("url"),
		field.Time("published_at").Default(time.Now).Comment("When it was published (RFC 3339, UTC).").
			Annotations(entgql.OrderField("PUBLISHED_AT")),
		field.Time("expires_at").Optional().Nillable().Comment("When it stops being current; null: it does not."),
	}
}

func (Notice) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("workspace", Workspace.Type).Ref("notices").Unique().Required().Comment("The workspace whose board it is on."),
		edge.To("author", User.Type).Unique().Comment("Who posted it; null if the account is gone."),
	}
}

func (Notice) Indexes() []ent.Index {
	return []ent.Index{index.Fields("published_at"), index.Fields("event_on"), index.Fields("kind", "published_at")}
}

func (Notice) Policy() ent.Policy { return policy.Notice() }

func (Notice) Hooks() []ent.Hook {
	return []ent.Hook{integrity.SetCreator(), integrity.DatesInOrder(notice.FieldPublishedAt, notice.FieldExpiresAt, "expiresAt")}
}

func (Notice) Annotations() []schema.Annotation { return rootList() }

// Material is a document, link or tool of a workspace.
type Material struct{ ent.Schema }

func (Material) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, keysOf("title", "TITLE"), WorkspaceContentMixin{}}
}

func (Material) Fields() []ent.Field {
	return []ent.Field{
		required(field.String("title"), 200),
		chars(field.String("description").Optional(), 5000),
		field.Enum("kind").Values("DOCUMENT", "LINK", "TOOL", "VIDEO", "OTHER").Default("DOCUMENT").
			Comment("What the material is.").
			Annotations(entgql.OrderField("KIND"), entgql.Type("MaterialKind")),
		urlField("url"),
		chars(field.String("language").Optional(), 8),
	}
}

func (Material) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("workspace", Workspace.Type).Ref("materials").Unique().Required().Comment("The workspace it belongs to."),
		edge.To("author", User.Type).Unique().Comment("Who added it; null if the account is gone."),
	}
}

func (Material) Policy() ent.Policy { return policy.Material() }

func (Material) Hooks() []ent.Hook { return []ent.Hook{integrity.SetCreator()} }

func (Material) Annotations() []schema.Annotation { return rootList() }

// User is a person with an account. The password hash never leaves the data
// layer: it is Sensitive (not printed) and skipped by entgql (not in GraphQL).
type User struct{ ent.Schema }

func (User) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, keysOf("display_name", "DISPLAY_NAME")}
}

func (User) Fields() []ent.Field {
	return []ent.Field{
		required(field.String("display_name"), 100),
		// Stored lower-cased, so uniqueness is case-insensitive. Visible to its
		// owner alone, through a resolver (graph/schema.graphqls).
		required(field.String("email").Unique().Annotations(entgql.Skip(entgql.SkipAll)), 254),
		field.String("password_hash").Sensitive().Annotations(entgql.Skip(entgql.SkipAll)),
		// Visible to the user and site administrators, through a resolver.
		field.Bool("is_admin").Default(false).Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("memberships", Membership.Type).Annotations(entgql.RelayConnection(), entgql.Skip(entgql.SkipWhereInput)).
			Comment("The user's workspaces and roles, as the viewer may see them."),
		edge.To("sessions", Session.Type).Annotations(entgql.Skip()),
		edge.To("organization", Organization.Type).Unique().Comment("The organisation the user works for, if given."),
		edge.To("municipality", Municipality.Type).Unique().Comment("The municipality the user works for, if given."),
	}
}

func (User) Policy() ent.Policy { return policy.Public() }

func (User) Hooks() []ent.Hook { return []ent.Hook{integrity.LowercaseEmail()} }

func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.MultiOrder()}
}
