package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"kokeilu/internal/policy"
	"kokeilu/internal/text"
)

// rootList is what every root list type carries: a Relay connection, a root
// query field (regions, municipalities, …) and multi-column ordering.
func rootList() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField(), entgql.MultiOrder()}
}

// populationField is the population on the last day of populationYear,
// from Statistics Finland.
func populationField() ent.Field {
	return field.Int("population").Optional().
		Comment("Inhabitants on 31 December of populationYear (Statistics Finland).").
		Annotations(entgql.OrderField("POPULATION"))
}

func populationYearField() ent.Field {
	return field.Int("population_year").Optional().Comment("The year whose last day population counts.")
}

// Region is a maakunta of Statistics Finland's classification.
type Region struct{ ent.Schema }

func (Region) Mixin() []ent.Mixin { return []ent.Mixin{NamesMixin{}} }

func (Region) Fields() []ent.Field {
	return []ent.Field{
		codeField(),
		field.Bool("is_aland").Default(false).Comment("true for Åland (21), the autonomous region."),
		populationField(),
		populationYearField(),
	}
}

func (Region) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("municipalities", Municipality.Type).Annotations(entgql.RelayConnection()).
			Comment("The municipalities of the region."),
		edge.To("wellbeing_counties", WellbeingCounty.Type).Annotations(entgql.RelayConnection()).
			Comment("The wellbeing services counties in the region."),
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
		populationField(),
		populationYearField(),
	}
}

func (WellbeingCounty) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("region", Region.Type).Ref("wellbeing_counties").Unique().Comment("The region the county lies in."),
		edge.To("municipalities", Municipality.Type).Annotations(entgql.RelayConnection()).
			Comment("The municipalities of the county."),
		edge.From("operating_models", OperatingModel.Type).Ref("wellbeing_counties").
			Annotations(entgql.RelayConnection(), hiddenFromFilters).
			Comment("Operating models that run in the county, as the viewer may see them."),
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
		// Digits: the kept counts join subregion codes with other values
		// by separators (internal/analytics) that a digit never is.
		chars(field.String("subregion_code").Optional().
			Comment("The seutukunta's code in Statistics Finland's classification (\"011\"): digits."), 8).
			Validate(text.Digits("subregionCode")),
		field.String("subregion_name_fi").Optional().Comment("The seutukunta's name in Finnish."),
		field.String("subregion_name_sv").Optional().Comment("The seutukunta's name in Swedish."),
		field.Enum("language_status").
			Values("FINNISH", "SWEDISH", "BILINGUAL_FINNISH_MAJORITY", "BILINGUAL_SWEDISH_MAJORITY").
			Optional().Comment("The official languages of the municipality and which is the majority's.").
			Annotations(entgql.Type("LanguageStatus")),
		field.Enum("municipality_group").Values("URBAN", "SEMI_URBAN", "RURAL").Optional().
			Comment("Statistics Finland's statistical grouping: urban, semi-urban or rural.").
			Annotations(entgql.Type("MunicipalityGroup")),
		populationField(),
		populationYearField(),
		field.Float("latitude").Optional().Nillable().Comment("Latitude of the municipality's centre (WGS 84, degrees)."),
		field.Float("longitude").Optional().Nillable().Comment("Longitude of the municipality's centre (WGS 84, degrees)."),
	}
}

func (Municipality) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("region", Region.Type).Ref("municipalities").Unique().Required().Comment("The region (maakunta)."),
		edge.From("wellbeing_county", WellbeingCounty.Type).Ref("municipalities").Unique().
			Comment("The wellbeing services county, or Helsinki (90) or Åland (91)."),
		edge.From("pilots", Pilot.Type).Ref("municipalities").Annotations(entgql.RelayConnection()).
			Comment("Pilots the municipality takes part in (leading one counts as taking part)."),
		edge.From("led_pilots", Pilot.Type).Ref("lead_municipality").Annotations(entgql.RelayConnection()).
			Comment("Pilots the municipality leads."),
		edge.From("networks", Network.Type).Ref("municipalities").Annotations(entgql.RelayConnection()).
			Comment("Networks the municipality belongs to."),
		edge.From("organizations", Organization.Type).Ref("municipality").Annotations(entgql.RelayConnection()).
			Comment("Organisations that belong to or are based in the municipality."),
		edge.From("operating_models", OperatingModel.Type).Ref("municipalities").
			Annotations(entgql.RelayConnection(), hiddenFromFilters).
			Comment("Operating models that run here, as the viewer may see them (adoptions are listed apart)."),
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
