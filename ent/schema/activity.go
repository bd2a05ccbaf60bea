package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"kokeilu/internal/integrity"
	"kokeilu/internal/policy"
	"kokeilu/internal/questionnaire"
)

// Survey is a kysely of a workspace: questions open for answers between
// opensAt and closesAt, to its members or to anyone signed in.
type Survey struct{ ent.Schema }

func (Survey) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, keysOf("title", "TITLE"), WorkspaceContentMixin{}}
}

func (Survey) Fields() []ent.Field {
	return []ent.Field{
		required(field.String("title"), 200),
		chars(field.String("description").Optional(), 10000),
		field.JSON("questions", []questionnaire.Question{}).Comment("The questions, in the order asked.").Annotations(entgql.Type("[SurveyQuestion!]")),
		field.Time("opens_at").Comment("When answering opens (RFC 3339).").Annotations(entgql.OrderField("OPENS_AT")),
		field.Time("closes_at").Optional().Nillable().Comment("When answering closes; null: open until closed by hand.").Annotations(entgql.OrderField("CLOSES_AT")),
		field.Enum("audience").Values("MEMBERS", "SIGNED_IN").Default("MEMBERS").
			Comment("Who may answer: the workspace's members, or anyone signed in.").
			Annotations(entgql.Type("SurveyAudience")),
		field.Bool("results_visible_to_respondents").Default(false).
			Comment("Whether those who answered may read the results; the workspace's admins always may."),
	}
}

func (Survey) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("workspace", Workspace.Type).Ref("surveys").Unique().Required().Immutable().Annotations(noInput).
			Comment("The workspace that runs the survey."),
		createdByEdge(),
		edge.To("responses", SurveyResponse.Type).Annotations(entgql.Skip()),
	}
}

func (Survey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("opens_at", "closes_at")}
}

func (Survey) Policy() ent.Policy { return policy.Survey() }

func (Survey) Hooks() []ent.Hook {
	return []ent.Hook{integrity.SetCreator(), integrity.DatesInOrder("opens_at", "closes_at", "closesAt")}
}

func (Survey) Annotations() []schema.Annotation { return rootList() }

// SurveyResponse is one respondent's answers to a survey; answering again
// replaces them while the survey is open.
type SurveyResponse struct{ ent.Schema }

func (SurveyResponse) Fields() []ent.Field {
	return []ent.Field{
		field.JSON("answers", []questionnaire.Answer{}).Comment("The answers, one per answered question.").Annotations(entgql.Type("[SurveyAnswer!]")),
		field.Time("submitted_at").Default(time.Now).UpdateDefault(time.Now).
			Comment("When the answers were last submitted."),
		field.Int("survey_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("user_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (SurveyResponse) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("survey", Survey.Type).Ref("responses").Field("survey_id").Unique().Required().Immutable().
			Comment("The survey answered."),
		edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable().Comment("Who answered."),
	}
}

func (SurveyResponse) Indexes() []ent.Index {
	return []ent.Index{index.Fields("survey_id", "user_id").Unique()}
}

func (SurveyResponse) Policy() ent.Policy { return policy.SurveyResponse() }

// Workshop is a verstas: a dated working session of a workspace that
// members sign up for, with a waiting list once it is full.
type Workshop struct{ ent.Schema }

func (Workshop) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, keysOf("title", "TITLE"), WorkspaceContentMixin{}}
}

func (Workshop) Fields() []ent.Field {
	return []ent.Field{
		required(field.String("title"), 200),
		chars(field.String("description").Optional(), 10000),
		field.Time("starts_at").Comment("When the workshop starts (RFC 3339).").Annotations(entgql.OrderField("STARTS_AT")),
		field.Time("ends_at").Optional().Nillable().Comment("When it ends; null when not set."),
		chars(field.String("place").Optional(), 300),
		webAddress(chars(field.String("online_url").Optional().StructTag(`json:"onlineURL,omitempty"`).Annotations(entgql.MapsTo("onlineURL")), 2048)),
		field.Int("capacity").Validate(atLeast("capacity", 1)).
			Comment("How many may take part; later registrations wait in the order they came."),
	}
}

func (Workshop) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("workspace", Workspace.Type).Ref("workshops").Unique().Required().Immutable().Annotations(noInput).
			Comment("The workspace that holds the workshop."),
		createdByEdge(),
		edge.To("registrations", WorkshopRegistration.Type).Annotations(entgql.RelayConnection(), noInput).
			Comment("Who signed up: participants and the waiting list, as the viewer may see them."),
	}
}

func (Workshop) Indexes() []ent.Index {
	return []ent.Index{index.Fields("starts_at")}
}

func (Workshop) Policy() ent.Policy { return policy.Workshop() }

func (Workshop) Hooks() []ent.Hook {
	return []ent.Hook{integrity.SetCreator(), integrity.DatesInOrder("starts_at", "ends_at", "endsAt")}
}

func (Workshop) Annotations() []schema.Annotation { return rootList() }

// WorkshopRegistration is one user's place in a workshop: a participant, or
// waiting in the order of registration.
type WorkshopRegistration struct{ ent.Schema }

func (WorkshopRegistration) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("status").Values("PARTICIPANT", "WAITING").
			Comment("PARTICIPANT within the capacity; WAITING beyond it, moved up when a place frees.").
			Annotations(entgql.OrderField("STATUS"), entgql.Type("WorkshopRegistrationStatus")),
		field.Time("registered_at").Default(time.Now).Immutable().Comment("When the user signed up.").Annotations(entgql.OrderField("REGISTERED_AT")),
		field.Int("workshop_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("user_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (WorkshopRegistration) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("workshop", Workshop.Type).Ref("registrations").Field("workshop_id").Unique().Required().Immutable().
			Comment("The workshop signed up for."),
		edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable().Comment("Who signed up."),
	}
}

func (WorkshopRegistration) Indexes() []ent.Index {
	return []ent.Index{index.Fields("workshop_id", "user_id").Unique(), index.Fields("workshop_id", "status", "registered_at")}
}

func (WorkshopRegistration) Policy() ent.Policy { return policy.WorkshopRegistration() }

func (WorkshopRegistration) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.MultiOrder()}
}
