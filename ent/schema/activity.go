package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"kokeilu/internal/policy"
	"kokeilu/internal/questionnaire"
)

// Survey is a kysely of a workspace: questions open for answers between
// opensAt and closesAt, to its members or to anyone signed in.
type Survey struct{ ent.Schema }

func (Survey) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, keysOf("title", "TITLE")}
}

func (Survey) Fields() []ent.Field {
	return []ent.Field{
		chars(field.String("title").NotEmpty(), 200),
		chars(field.String("description").Optional(), 10000),
		field.JSON("questions", []questionnaire.Question{}).Annotations(entgql.Type("[SurveyQuestion!]")),
		field.Time("opens_at").Annotations(entgql.OrderField("OPENS_AT")),
		field.Time("closes_at").Optional().Nillable().Annotations(entgql.OrderField("CLOSES_AT")),
		field.Enum("audience").Values("MEMBERS", "SIGNED_IN").Default("MEMBERS").
			Annotations(entgql.Type("SurveyAudience")),
		field.Bool("results_visible_to_respondents").Default(false),
	}
}

func (Survey) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("workspace", Workspace.Type).Ref("surveys").Unique().Required().Immutable().Annotations(noInput),
		createdByEdge(),
		edge.To("responses", SurveyResponse.Type).Annotations(entgql.Skip()),
	}
}

func (Survey) Indexes() []ent.Index {
	return []ent.Index{index.Fields("opens_at", "closes_at")}
}

func (Survey) Policy() ent.Policy { return policy.Survey() }

func (Survey) Hooks() []ent.Hook {
	return []ent.Hook{policy.SetCreator(), policy.DatesInOrder("opens_at", "closes_at", "closesAt")}
}

func (Survey) Annotations() []schema.Annotation { return rootList() }

// SurveyResponse is one respondent's answers to a survey; answering again
// replaces them while the survey is open.
type SurveyResponse struct{ ent.Schema }

func (SurveyResponse) Fields() []ent.Field {
	return []ent.Field{
		field.JSON("answers", []questionnaire.Answer{}).Annotations(entgql.Type("[SurveyAnswer!]")),
		field.Time("submitted_at").Default(time.Now).UpdateDefault(time.Now),
		field.Int("survey_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("user_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (SurveyResponse) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("survey", Survey.Type).Ref("responses").Field("survey_id").Unique().Required().Immutable(),
		edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable(),
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
	return []ent.Mixin{TimeMixin{}, keysOf("title", "TITLE")}
}

func (Workshop) Fields() []ent.Field {
	return []ent.Field{
		chars(field.String("title").NotEmpty(), 200),
		chars(field.String("description").Optional(), 10000),
		field.Time("starts_at").Annotations(entgql.OrderField("STARTS_AT")),
		field.Time("ends_at").Optional().Nillable(),
		chars(field.String("place").Optional(), 300),
		chars(field.String("online_url").Optional().StructTag(`json:"onlineURL,omitempty"`).Annotations(entgql.MapsTo("onlineURL")), 2048),
		field.Int("capacity").Positive(),
	}
}

func (Workshop) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("workspace", Workspace.Type).Ref("workshops").Unique().Required().Immutable().Annotations(noInput),
		createdByEdge(),
		edge.To("registrations", WorkshopRegistration.Type).Annotations(entgql.RelayConnection(), noInput),
	}
}

func (Workshop) Indexes() []ent.Index {
	return []ent.Index{index.Fields("starts_at")}
}

func (Workshop) Policy() ent.Policy { return policy.Workshop() }

func (Workshop) Hooks() []ent.Hook {
	return []ent.Hook{policy.SetCreator(), policy.DatesInOrder("starts_at", "ends_at", "endsAt")}
}

func (Workshop) Annotations() []schema.Annotation { return rootList() }

// WorkshopRegistration is one user's place in a workshop: a participant, or
// waiting in the order of registration.
type WorkshopRegistration struct{ ent.Schema }

func (WorkshopRegistration) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("status").Values("PARTICIPANT", "WAITING").
			Annotations(entgql.OrderField("STATUS"), entgql.Type("WorkshopRegistrationStatus")),
		field.Time("registered_at").Default(time.Now).Immutable().Annotations(entgql.OrderField("REGISTERED_AT")),
		field.Int("workshop_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
		field.Int("user_id").Immutable().Annotations(entgql.Skip(entgql.SkipAll)),
	}
}

func (WorkshopRegistration) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("workshop", Workshop.Type).Ref("registrations").Field("workshop_id").Unique().Required().Immutable(),
		edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable(),
	}
}

func (WorkshopRegistration) Indexes() []ent.Index {
	return []ent.Index{index.Fields("workshop_id", "user_id").Unique(), index.Fields("workshop_id", "status", "registered_at")}
}

func (WorkshopRegistration) Policy() ent.Policy { return policy.WorkshopRegistration() }

func (WorkshopRegistration) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.MultiOrder()}
}
