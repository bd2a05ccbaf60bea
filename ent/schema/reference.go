package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"kokeilu/internal/policy"
)

// rootList is what every root list type carries: a Relay connection, a root
// query field (regions, municipalities, …) and multi-column ordering.
func rootList() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField(), entgql.MultiOrder()}
}

// Region is a maakunta of Statistics Finland's classification.
type Region struct{ ent.Schema }

func (Region) Mixin() []ent.Mixin { return []ent.Mixin{NamesMixin{}} }

func (Region) Fields() []ent.Field {
	return []ent.Field{
		codeField(),
		field.Bool("is_aland").Default(false),
		field.Int("population").Optional().Annotations(entgql.OrderField("POPULATION")),
		field.Int("population_year").Optional(),
	}
}

func (Region) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("municipalities", Municipality.Type).Annotations(entgql.RelayConnection()),
		edge.To("wellbeing_counties", WellbeingCounty.Type).Annotations(entgql.RelayConnection()),
	}
}

func (Region) Policy() ent.Policy { return policy.ReferenceData() }

func (Region) Annotations() []schema.Annotation { return rootList() }

// WellbeingCounty is a hyvinvointialue, or one of the two units that the
// classification lists beside the 21 counties: the City of Helsinki (90) and
// Åland (91). Kind tells them apart.
type WellbeingCounty struct{ ent.Schema }

func (WellbeingCounty) Mixin() []ent.Mixin { return []ent.Mixin{NamesMixin{}} }

func (WellbeingCounty) Fields() []ent.Field {
	return []ent.Field{
		codeField(),
		field.Enum("kind").Values("COUNTY", "HELSINKI", "ALAND").Default("COUNTY").
			Comment("COUNTY for the 21 wellbeing services counties; HELSINKI for the City of Helsinki (code 90), "+
				"which organises these services itself and is no county; ALAND for Åland (code 91), outside the reform.").
			Annotations(entgql.Type("WellbeingCountyKind"), entgql.OrderField("KIND")),
		field.Int("population").Optional().Annotations(entgql.OrderField("POPULATION")),
		field.Int("population_year").Optional(),
	}
}

func (WellbeingCounty) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("region", Region.Type).Ref("wellbeing_counties").Unique(),
		edge.To("municipalities", Municipality.Type).Annotations(entgql.RelayConnection()),
		edge.From("operating_models", OperatingModel.Type).Ref("wellbeing_counties").
			Annotations(entgql.RelayConnection(), hiddenFromFilters),
	}
}

func (WellbeingCounty) Policy() ent.Policy { return policy.ReferenceData() }

func (WellbeingCounty) Annotations() []schema.Annotation { return rootList() }

// Municipality is a kunta of the 2026 classification.
type Municipality struct{ ent.Schema }

func (Municipality) Mixin() []ent.Mixin { return []ent.Mixin{NamesMixin{}} }

func (Municipality) Fields() []ent.Field {
	return []ent.Field{
		codeField(),
		chars(field.String("subregion_code").Optional(), 8),
		field.String("subregion_name_fi").Optional(),
		field.String("subregion_name_sv").Optional(),
		field.Enum("language_status").
			Values("FINNISH", "SWEDISH", "BILINGUAL_FINNISH_MAJORITY", "BILINGUAL_SWEDISH_MAJORITY").
			Optional().Annotations(entgql.Type("LanguageStatus")),
		field.Enum("municipality_group").Values("URBAN", "SEMI_URBAN", "RURAL").Optional().
			Annotations(entgql.Type("MunicipalityGroup")),
		field.Int("population").Optional().Annotations(entgql.OrderField("POPULATION")),
		field.Int("population_year").Optional(),
		field.Float("latitude").Optional().Nillable(),
		field.Float("longitude").Optional().Nillable(),
	}
}

func (Municipality) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("region", Region.Type).Ref("municipalities").Unique().Required(),
		edge.From("wellbeing_county", WellbeingCounty.Type).Ref("municipalities").Unique(),
		edge.From("pilots", Pilot.Type).Ref("municipalities").Annotations(entgql.RelayConnection()),
		edge.From("led_pilots", Pilot.Type).Ref("lead_municipality").Annotations(entgql.RelayConnection()),
		edge.From("networks", Network.Type).Ref("municipalities").Annotations(entgql.RelayConnection()),
		edge.From("organizations", Organization.Type).Ref("municipality").Annotations(entgql.RelayConnection()),
		// Operating models that run here (not those adopted: see Adoption).
		edge.From("operating_models", OperatingModel.Type).Ref("municipalities").
			Annotations(entgql.RelayConnection(), hiddenFromFilters),
	}
}

func (Municipality) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("name_fi"),
		index.Fields("population"),
		index.Fields("language_status"),
	}
}

func (Municipality) Policy() ent.Policy { return policy.ReferenceData() }

func (Municipality) Annotations() []schema.Annotation { return rootList() }
