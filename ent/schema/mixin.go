// Package schema holds the hand-written ent schemas of Kokeilu; everything
// else under ent/ is generated from them (go generate ./...).
package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// TimeMixin adds creation and update timestamps that users can sort by.
type TimeMixin struct{ mixin.Schema }

func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(time.Now).Immutable().
			Annotations(entgql.OrderField("CREATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now).
			Annotations(entgql.OrderField("UPDATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// NamesMixin gives reference data its official names in Finnish, Swedish and
// English. GraphQL adds name(lang:) on top of them (graph/names.graphqls).
type NamesMixin struct{ mixin.Schema }

func (NamesMixin) Fields() []ent.Field {
	return []ent.Field{
		field.String("name_fi").NotEmpty().Annotations(entgql.OrderField("NAME_FI")),
		field.String("name_sv").Optional().Annotations(entgql.OrderField("NAME_SV")),
		field.String("name_en").Optional().Annotations(entgql.OrderField("NAME_EN")),
	}
}

// dateField is a calendar date: a DATE column on PostgreSQL and the GraphQL
// scalar Date ("2015-12-02"), so no time zone can shift it by a day.
// order is the value of its <Type>OrderField enum.
func dateField(name, order string) ent.Field {
	return field.Time(name).Optional().Nillable().
		SchemaType(map[string]string{dialect.Postgres: "date"}).
		Annotations(entgql.Type("Date"), entgql.OrderField(order))
}

// codeField is an official classification code: text, never a number ("005").
func codeField() ent.Field {
	return field.String("code").NotEmpty().MaxLen(8).Unique().Immutable().
		Annotations(entgql.OrderField("CODE"))
}

// urlField is an optional web address.
func urlField(name string) ent.Field {
	return field.String(name).Optional().MaxLen(2048)
}

// sourceURLField is where a fact comes from; GraphQL spells it sourceURL.
func sourceURLField() ent.Field {
	return field.String("source_url").Optional().MaxLen(2048).
		StructTag(`json:"sourceURL,omitempty"`).
		Annotations(entgql.MapsTo("sourceURL"))
}

// slugField is a URL key. Left out of create inputs: a hook derives it from
// the name or title (see internal/policy).
func slugField() ent.Field {
	return field.String("slug").NotEmpty().MaxLen(100).Unique().
		Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput))
}

// createdByEdge records who created a row; the creator may update it.
func createdByEdge() ent.Edge {
	return edge.To("created_by", User.Type).Unique().Immutable().Annotations(noInput)
}

// noInput keeps an edge or field out of the generated mutation inputs.
var noInput = entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)

// endOnlyInCreateInput shows a link end in the create input and nowhere else.
var endOnlyInCreateInput = entgql.Skip(entgql.SkipType, entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationUpdateInput)
