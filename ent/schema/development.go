package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"kokeilu/ent/link"
	"kokeilu/ent/network"
	"kokeilu/ent/pilot"
	"kokeilu/internal/integrity"
	"kokeilu/internal/policy"
)

// Organization is a ministry, agency, association, university, company or NGO.
type Organization struct{ ent.Schema }

func (Organization) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, keysOf("name", "NAME")}
}

func (Organization) Fields() []ent.Field {
	return []ent.Field{
		required(field.String("name"), 300),
		required(field.String("slug").Unique(), 100),
		field.Enum("kind").
			Values("MINISTRY", "AGENCY", "ASSOCIATION", "UNIVERSITY", "COMPANY", "NGO", "MUNICIPAL", "OTHER").
			Default("OTHER").Comment("What kind of organisation it is.").Annotations(entgql.OrderField("KIND"), entgql.Type("OrganizationKind")),
		chars(field.String("description").Optional(), 10000),
		urlField("website"),
	}
}

func (Organization) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("municipality", Municipality.Type).Unique().
			Comment("The municipality the organisation belongs to or is based in, if any."),
		edge.From("pilots", Pilot.Type).Ref("organizations").Annotations(entgql.RelayConnection()).
			Comment("Pilots the organisation is a partner in."),
		edge.From("networks", Network.Type).Ref("organizations").Annotations(entgql.RelayConnection()).
			Comment("Networks the organisation belongs to."),
	}
}

func (Organization) Indexes() []ent.Index {
	return []ent.Index{index.Fields("name"), index.Fields("kind")}
}

func (Organization) Policy() ent.Policy { return policy.Public() }

func (Organization) Annotations() []schema.Annotation { return rootList() }

// Theme is a topic that pilots are tagged with.
type Theme struct{ ent.Schema }

func (Theme) Mixin() []ent.Mixin { return []ent.Mixin{NamesMixin{}} }

func (Theme) Fields() []ent.Field {
	return []ent.Field{
		required(field.String("slug").Unique().Annotations(entgql.OrderField("SLUG")), 100),
	}
}

func (Theme) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("pilots", Pilot.Type).Ref("themes").Annotations(entgql.RelayConnection()).
			Comment("Pilots tagged with the theme."),
	}
}

func (Theme) Policy() ent.Policy { return policy.Public() }

func (Theme) Annotations() []schema.Annotation { return rootList() }

// Pilot is a kokeilu: an experiment that municipalities run, usually under a
// programme (its network) and often with partner organisations.
type Pilot struct{ ent.Schema }

func (Pilot) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, keysOf("title", "TITLE")}
}

func (Pilot) Fields() []ent.Field {
	return []ent.Field{
		slugField(),
		required(field.String("title"), 300),
		chars(field.String("summary").Optional(), 2000),
		chars(field.String("description").Optional(), 20000),
		field.Enum("status").Values("PLANNED", "ACTIVE", "COMPLETED", "CANCELLED").
			Default("PLANNED").Comment("Where the pilot stands: planned, running, completed or cancelled.").Annotations(entgql.OrderField("STATUS"), entgql.Type("PilotStatus")),
		dateField("starts_on", "STARTS_ON", "The first day of the pilot; null when not known."),
		dateField("ends_on", "ENDS_ON", "The last day of the pilot; null while open-ended or not known."),
		field.Bool("participants_complete").Optional().Nillable().
			Comment("Whether `municipalities` is the complete list of participants as the source names them. " +
				"false when some are derived, not named: in the 2021–2024 municipal employment experiments the act " +
				"defines the Pirkanmaa area as all 22 municipalities of the region but names none, so those 22 are " +
				"derived (the region as it stood in 2020). null when the question does not apply " +
				"(the basic income experiment drew individuals, not municipalities)."),
		sourceURLField(),
		// Reference pilots are the verified experiments that Kokeilu ships;
		// the start-up upsert keys them by slug and rewrites them.
		field.Bool("reference").Default(false).
			Comment("true for the verified experiments shipped with Kokeilu (internal/seed/data/pilots.csv, " +
				"sources in its SOURCES.md): they are brought in step with that file at every start, " +
				"so edits to them do not last.").
			Annotations(noInput),
	}
}

func (Pilot) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("lead_municipality", Municipality.Type).Unique().
			Comment("The municipality that leads the pilot; null when none leads. It is always among `municipalities` " +
				"(setting it adds it there; removing it from there while it leads is BAD_USER_INPUT)."),
		edge.To("municipalities", Municipality.Type).Annotations(entgql.RelayConnection()).
			Comment("The participating municipalities, the lead municipality among them: " +
				"a pilot is in an area (regionCode, pilotStats, exports) when one of these is."),
		edge.To("organizations", Organization.Type).Annotations(entgql.RelayConnection()).
			Comment("Partner organisations: ministries, agencies, universities, companies, NGOs."),
		edge.To("themes", Theme.Type).Annotations(entgql.RelayConnection()).Comment("The topics the pilot is tagged with."),
		edge.From("networks", Network.Type).Ref("pilots").Annotations(entgql.RelayConnection()).
			Comment("The programmes and networks the pilot runs under."),
		edge.To("workspace", Workspace.Type).Unique().Annotations(noInput).Comment("The pilot's own workspace, if it has one."),
		createdByEdge(),
		// Workspaces that list the pilot among their projects.
		edge.From("project_of", Workspace.Type).Ref("projects").
			Annotations(entgql.RelayConnection(), hiddenFromFilters, noInput).
			Comment("Workspaces that list the pilot among their projects, as the viewer may see them."),
		edge.From("developed_models", OperatingModel.Type).Ref("developed_in").
			Annotations(entgql.RelayConnection(), hiddenFromFilters, noInput).
			Comment("Operating models developed in the pilot, as the viewer may see them."),
	}
}

func (Pilot) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status"),
		index.Fields("starts_on"),
		index.Fields("ends_on"),
		index.Fields("title"),
	}
}

func (Pilot) Policy() ent.Policy {
	return policy.Authored(policy.PilotCreator, policy.Attaches{"networks": policy.NetworkCreator})
}

func (Pilot) Hooks() []ent.Hook {
	return []ent.Hook{
		integrity.SetCreator(),
		integrity.SlugFromName(pilot.FieldTitle, integrity.PilotSlugExists),
		integrity.DatesInOrder(pilot.FieldStartsOn, pilot.FieldEndsOn, "endsOn"),
		integrity.LeadTakesPart(),
	}
}

func (Pilot) Annotations() []schema.Annotation {
	return append(rootList(), entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()))
}

// Network is a verkosto: a programme or a standing network of municipalities
// and organisations; networks nest.
type Network struct{ ent.Schema }

func (Network) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, keysOf("name", "NAME")}
}

func (Network) Fields() []ent.Field {
	return []ent.Field{
		slugField(),
		required(field.String("name"), 300),
		chars(field.String("description").Optional(), 20000),
		field.Enum("kind").Values("PROGRAMME", "THEMATIC", "REGIONAL", "LEARNING", "OTHER").
			Default("OTHER").Comment("What kind of network: a funded programme, a thematic, regional or learning network, or other.").Annotations(entgql.OrderField("KIND"), entgql.Type("NetworkKind")),
		dateField("starts_on", "STARTS_ON", "When the network or programme began; null when not known."),
		dateField("ends_on", "ENDS_ON", "When it ended or ends; null while it goes on."),
		urlField("website"),
	}
}

func (Network) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("municipalities", Municipality.Type).Annotations(entgql.RelayConnection()).
			Comment("Member municipalities of the network."),
		edge.To("organizations", Organization.Type).Annotations(entgql.RelayConnection()).
			Comment("Member and partner organisations of the network."),
		edge.To("pilots", Pilot.Type).Annotations(entgql.RelayConnection()).Comment("Pilots run under the network."),
		edge.From("workspaces", Workspace.Type).Ref("network").Annotations(entgql.RelayConnection(), noInput).
			Comment("Workspaces of the network, as the viewer may see them."),
		createdByEdge(),
		edge.To("children", Network.Type).Annotations(entgql.RelayConnection()).Comment("Networks nested in this one.").
			From("parent").Unique().Comment("The network this one is part of; null at the top."),
	}
}

func (Network) Indexes() []ent.Index {
	return []ent.Index{index.Fields("name"), index.Fields("kind")}
}

func (Network) Policy() ent.Policy {
	return policy.Authored(policy.NetworkCreator, policy.Attaches{"parent": policy.NetworkCreator, "children": policy.NetworkCreator, "pilots": policy.PilotCreator})
}

func (Network) Hooks() []ent.Hook {
	return []ent.Hook{
		integrity.SetCreator(),
		integrity.SlugFromName(network.FieldName, integrity.NetworkSlugExists),
		integrity.DatesInOrder(network.FieldStartsOn, network.FieldEndsOn, "endsOn"),
	}
}

func (Network) Annotations() []schema.Annotation {
	return append(rootList(), entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()))
}

// Link is a typed, dated, weighted relation between two actors: any two of
// municipality, organisation, network and pilot. Ends are global IDs, so the
// type of each end is known from its ID alone (ent's global ID ranges).
type Link struct{ ent.Schema }

func (Link) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

func (Link) Fields() []ent.Field {
	return []ent.Field{
		// Set on creation only; GraphQL reads them as source and target.
		field.Int("source_id").Immutable().Annotations(entgql.Type("ID"), endOnlyInCreateInput),
		field.Int("target_id").Immutable().Annotations(entgql.Type("ID"), endOnlyInCreateInput),
		field.Enum("kind").
			Values("COLLABORATION", "FUNDING", "KNOWLEDGE_SHARING", "ADOPTION", "SUCCESSOR", "OTHER").
			Default("COLLABORATION").Comment("What the relation is.").Annotations(entgql.OrderField("KIND"), entgql.Type("LinkKind")),
		// Bounded so that sums over parallel links stay finite and
		// algorithms never meet denormals, zeros or infinities.
		field.Float("weight").Default(1).Validate(between("weight", 0.001, 1000)).
			Comment("How strong the relation is: 0.001–1,000 (default 1), else BAD_USER_INPUT; graph algorithms read it as the edge weight.").
			Annotations(entgql.OrderField("WEIGHT")),
		dateField("valid_from", "VALID_FROM", "The first day the relation holds; null when not known."),
		dateField("valid_to", "VALID_TO", "The last day the relation holds; null while it holds."),
		chars(field.String("description").Optional(), 2000),
		sourceURLField(),
	}
}

func (Link) Edges() []ent.Edge {
	return []ent.Edge{createdByEdge()}
}

func (Link) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("source_id"),
		index.Fields("target_id"),
		index.Fields("kind"),
	}
}

func (Link) Policy() ent.Policy { return policy.Authored(policy.LinkCreator, nil) }

func (Link) Hooks() []ent.Hook {
	return []ent.Hook{
		integrity.SetCreator(),
		integrity.LinkEnds(),
		integrity.DatesInOrder(link.FieldValidFrom, link.FieldValidTo, "validTo"),
	}
}

func (Link) Annotations() []schema.Annotation {
	return append(rootList(), entgql.Mutations(entgql.MutationCreate()))
}
