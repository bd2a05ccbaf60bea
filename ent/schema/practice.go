package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"kokeilu/internal/integrity"
	"kokeilu/internal/policy"
)

// OperatingModel is a toimintamalli, Innokylä's unit of reusable practice:
// what it is, what it needs, where it runs, which pilots developed it and
// who adopted it.
type OperatingModel struct{ ent.Schema }

func (OperatingModel) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}, keysOf("name", "NAME")}
}

func (OperatingModel) Fields() []ent.Field {
	return []ent.Field{
		slugField(),
		required(field.String("name"), 300),
		chars(field.String("summary").Optional(), 2000),
		chars(field.Text("core_idea").Optional(), 20000),
		chars(field.Text("conditions").Optional().
			Comment("Conditions for the model to work and to be adopted elsewhere."), 20000),
		chars(field.Text("operating_environment").Optional(), 20000),
		chars(field.String("funder").Optional(), 300),
		sourceURLField(),
	}
}

func (OperatingModel) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("workspace", Workspace.Type).Ref("operating_models").Unique().Immutable().Annotations(hiddenFromFilters).
			Comment("The workspace that describes the model; its visibility decides who sees the model."),
		createdByEdge(),
		edge.To("municipalities", Municipality.Type).Annotations(entgql.RelayConnection()).
			Comment("Municipalities where the model runs (adoptions are listed apart)."),
		edge.To("wellbeing_counties", WellbeingCounty.Type).Comment("Wellbeing services counties where the model runs."),
		edge.To("developed_in", Pilot.Type).Annotations(entgql.RelayConnection()).Comment("Pilots that developed the model."),
		edge.To("parts", OperatingModel.Type).Comment("Models that are parts of this one.").
			From("part_of").Unique().Comment("The larger model this one is part of; null at the top."),
		edge.To("adoptions", Adoption.Type).Annotations(entgql.RelayConnection(), noInput).
			Comment("Who took the model into use, and when."),
	}
}

func (OperatingModel) Indexes() []ent.Index {
	return []ent.Index{index.Fields("name")}
}

func (OperatingModel) Policy() ent.Policy { return policy.OperatingModel() }

func (OperatingModel) Hooks() []ent.Hook {
	return []ent.Hook{integrity.SetCreator(), integrity.SlugFromName("name", integrity.OperatingModelSlugExists)}
}

func (OperatingModel) Annotations() []schema.Annotation {
	return append(rootList(), entgql.Mutations(entgql.MutationCreate(), entgql.MutationUpdate()))
}

// Adoption records that a municipality or a pilot took an operating model
// into use, and when: the spread of a practice.
type Adoption struct{ ent.Schema }

func (Adoption) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

func (Adoption) Fields() []ent.Field {
	return []ent.Field{
		dateField("adopted_on", "ADOPTED_ON", "The day the model was taken into use; null when not known."),
		chars(field.String("note").Optional(), 5000),
		sourceURLField(),
	}
}

func (Adoption) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("operating_model", OperatingModel.Type).Ref("adoptions").Unique().Required().Immutable().
			Comment("The model adopted."),
		edge.To("municipality", Municipality.Type).Unique().Immutable().
			Comment("The adopting municipality; exactly one of municipality and pilot is set."),
		edge.To("pilot", Pilot.Type).Unique().Immutable().
			Comment("The adopting pilot; exactly one of municipality and pilot is set."),
		createdByEdge(),
	}
}

func (Adoption) Policy() ent.Policy { return policy.Adoption() }

func (Adoption) Hooks() []ent.Hook {
	return []ent.Hook{integrity.SetCreator(), integrity.AdoptionHasOneAdopter()}
}

func (Adoption) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.MultiOrder(), entgql.Mutations(entgql.MutationCreate())}
}
