package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"kokeilu/internal/policy"
)

// StatBucket is one kept count of internal/analytics: how many pilots fall
// in one bucket of one grouping, raised and lowered in the writer's
// transaction so that pilotStats reads buckets instead of scanning pilots.
// Internal: no GraphQL, no access but the server's.
type StatBucket struct{ ent.Schema }

func (StatBucket) Fields() []ent.Field {
	return []ent.Field{
		field.String("dims").Comment("The family (internal/analytics families): its dimensions, comma-separated; \"layout\" for the row naming the families the counts were made for."),
		field.String("key").Comment("The bucket's values in those dimensions, |-separated."),
		field.Int("pilots").Default(0),
		field.Int("municipalities").Default(0).Comment("Distinct participating municipalities of the bucket's pilots (in its area), kept for the families whose municipality rows are kept (internal/analytics derived); 0 elsewhere."),
		field.Int("population").Default(0).Comment("Their population, each municipality once, as recorded in StatMunicipality."),
	}
}

func (StatBucket) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("dims", "key").Unique(),
		// pilotStats reads a family's buckets whole (analytics.readKept):
		// from this index alone, without visiting the table row of each
		// (a third of the time for 9,000–140,000 buckets on both
		// databases: bench/stats).
		index.Fields("dims", "key", "pilots", "municipalities", "population").StorageKey("statbucket_read"),
	}
}

func (StatBucket) Policy() ent.Policy { return policy.Internal() }

func (StatBucket) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// StatPilot is what a pilot last added to the StatBuckets (its values in
// every dimension), so a change takes away exactly that before adding the
// new values. Internal.
type StatPilot struct{ ent.Schema }

func (StatPilot) Fields() []ent.Field {
	return []ent.Field{
		field.Int("pilot_id").Unique().Comment("The pilot; no foreign key, so a deleted pilot's values can still be taken away."),
		field.String("facts").Comment("The pilot's values per dimension (internal/analytics facts.encode)."),
	}
}

func (StatPilot) Policy() ent.Policy { return policy.Internal() }

func (StatPilot) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// StatMunicipality is a municipality as the StatBuckets' municipalities
// and population count it (its areas and population), so a change of
// either moves exactly what was counted with the old values. Internal.
type StatMunicipality struct{ ent.Schema }

func (StatMunicipality) Fields() []ent.Field {
	return []ent.Field{
		field.Int("municipality_id").Unique().Comment("The municipality; no foreign key, so a removed municipality's counts can still be taken away."),
		field.String("areas").Comment("Region id|county id|subregion code|county kind, as counted (internal/analytics area.encode)."),
		field.Int("population").Default(0),
	}
}

func (StatMunicipality) Policy() ent.Policy { return policy.Internal() }

func (StatMunicipality) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
