// Package schema holds the hand-written ent schemas of Kokeilu; everything
// else under ent/ is generated from them (go generate ./...).
package schema

import (
	"fmt"
	"strings"
	"time"

	"kokeilu/internal/fault"
	"kokeilu/internal/policy"
	"kokeilu/internal/revision"
	"kokeilu/internal/sortkey"
	"kokeilu/internal/text"

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
			Comment("When it was created (RFC 3339, UTC).").
			Annotations(entgql.OrderField("CREATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now).
			Comment("When it was last changed (RFC 3339, UTC).").
			Annotations(entgql.OrderField("UPDATED_AT"), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)),
	}
}

// Hooks: an update that changes nothing writes nothing, so updatedAt stays.
func (TimeMixin) Hooks() []ent.Hook { return []ent.Hook{revision.DropUnchanged()} }

// WorkspaceContentMixin is the one privacy rule of a workspace's contents
// (discussions, notices, materials, surveys, workshops; each has a
// "workspace" edge): read where the workspace's contents are, changed only
// by someone signed in (policy.WorkspaceContent). ent evaluates a mixin's
// policy before the schema's own, which says who may change the rows.
type WorkspaceContentMixin struct{ mixin.Schema }

func (WorkspaceContentMixin) Policy() ent.Policy { return policy.WorkspaceContent() }

// NamesMixin gives reference data its official names in Finnish, Swedish and
// English. GraphQL adds name(lang:) on top of them (graph/schema.graphqls).
type NamesMixin struct{ mixin.Schema }

func (NamesMixin) Fields() []ent.Field {
	return append([]ent.Field{
		field.String("name_fi").Validate(text.Required("nameFi")).Comment("The official name in Finnish."),
		field.String("name_sv").Optional().Comment("The official name in Swedish; empty where the source gives none."),
		field.String("name_en").Optional().Comment("The name in English; empty where the source gives none."),
	}, nameKeys.Fields()...)
}

// Hooks keep the names' sort keys current: the names are ordered by
// collation (sortKeys; ent does not nest mixins).
func (NamesMixin) Hooks() []ent.Hook { return nameKeys.Hooks() }

var nameKeys = keysOf("name_fi", "NAME_FI", "name_sv", "NAME_SV", "name_en", "NAME_EN")

// sortKeys orders text columns as their readers expect (internal/sortkey):
// pairs of a column and its GraphQL order field. Each column gets a hidden
// <column>_sortkey column, kept current by a hook, and the order field sorts
// by it; the text column itself has no OrderField annotation.
type sortKeys struct {
	mixin.Schema
	pairs []string
}

func keysOf(pairs ...string) sortKeys { return sortKeys{pairs: pairs} }

func (k sortKeys) Fields() []ent.Field {
	s := k.pairs
	var out []ent.Field
	for i := 0; i < len(s); i += 2 {
		out = append(out, field.Other(s[i]+sortkey.Suffix, sortkey.Key{}).Optional().
			SchemaType(map[string]string{dialect.Postgres: "bytea", dialect.SQLite: "blob"}).
			Comment("Collation key of "+s[i]+" (internal/sortkey); NULL until backfilled.").
			Annotations(entgql.OrderField(s[i+1]),
				entgql.Skip(entgql.SkipType, entgql.SkipWhereInput, entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)))
	}
	return out
}

func (k sortKeys) Hooks() []ent.Hook {
	s := k.pairs
	var columns []string
	for i := 0; i < len(s); i += 2 {
		columns = append(columns, s[i])
	}
	return []ent.Hook{sortkey.Hook(columns...)}
}

// dateField is a calendar date: a DATE column on PostgreSQL and the GraphQL
// scalar Date ("2015-12-02"), so no time zone can shift it by a day.
// order is the value of its <Type>OrderField enum; comment its description.
func dateField(name, order, comment string) ent.Field {
	return field.Time(name).Optional().Nillable().Comment(comment).
		SchemaType(map[string]string{dialect.Postgres: "date"}).
		Annotations(entgql.Type("Date"), entgql.OrderField(order))
}

// codeField is an official classification code: text, never a number ("005").
func codeField() ent.Field {
	return required(field.String("code").Unique().Immutable().
		Comment("The official code of Statistics Finland's classification, as text (\"005\").").
		Annotations(entgql.OrderField("CODE")), 8)
}

// urlField is an optional web address.
func urlField(name string) ent.Field {
	return webAddress(chars(field.String(name).Optional(), 2048))
}

// webAddress is the rule of every stored web address (text.WebAddress),
// checked on every path that writes one; internal/integrity.WebAddresses
// normalises each column listed in text.AddressColumns before it, so a
// new address column must be listed there.
func webAddress[B textBuilder[B]](b B) B {
	name := b.Descriptor().Name
	if text.AddressColumns[name] != graphQLName(name) {
		panic("ent/schema: web address column " + name + " is not in text.AddressColumns")
	}
	return b.Validate(text.WebAddressRule(graphQLName(name)))
}

// sourceURLField is where a fact comes from; GraphQL spells it sourceURL.
func sourceURLField() ent.Field {
	return webAddress(chars(field.String("source_url").Optional().
		Comment("Where the facts come from: the web address of the source.").
		StructTag(`json:"sourceURL,omitempty"`).
		Annotations(entgql.MapsTo("sourceURL")), 2048))
}

// slugField is a URL key. Left out of create inputs: a hook derives it from
// the name or title (see internal/integrity).
func slugField() ent.Field {
	return required(field.String("slug").Unique().
		Comment("The URL key, derived from the name or title when it is created, unique.").
		Annotations(entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)), 100)
}

// textBuilder is ent's string field builder (field.String, field.Text).
type textBuilder[B any] interface {
	Validate(func(string) error) B
	MaxRuneLen(int) B
	Comment(string) B
	Descriptor() *field.Descriptor
}

// chars limits a text field to max characters — ent's MaxLen counts bytes,
// so 101 × "ä" failed a 200 limit. This is the one statement of each stored
// text's limit: the validator answers BAD_USER_INPUT naming the GraphQL
// field in our words (internal/text), and the GraphQL description says it.
// MaxRuneLen only sizes the column as MaxLen did; ours fails first.
func chars[B textBuilder[B]](b B, max int) B {
	d := b.Descriptor()
	limit := fmt.Sprintf("At most %d characters.", max)
	if d.Comment != "" {
		limit = strings.TrimSuffix(d.Comment, ".") + ". " + limit
	}
	return b.Validate(text.Max(graphQLName(d.Name), max)).MaxRuneLen(max).Comment(limit)
}

// required is chars for text that must be there (a title, a name, a slug,
// a code): blank text is refused in our words naming the GraphQL field
// (text.Required), where ent's NotEmpty answered in its own and let "\u200b"
// or "\t\n" through. The validators of ent/schema are all ours, so that
// every refusal names the field and the rule.
func required[B textBuilder[B]](b B, max int) B {
	return chars(b, max).Validate(text.Required(graphQLName(b.Descriptor().Name)))
}

// between is the rule of a number field from lo to hi (inclusive).
func between(field string, lo, hi float64) func(float64) error {
	return func(v float64) error {
		if v < lo || v > hi {
			return fault.BadInput(field, "%s must be between %g and %g", field, lo, hi)
		}
		return nil
	}
}

// atLeast is the rule of a whole-number field of min or more.
func atLeast(field string, min int) func(int) error {
	return func(v int) error {
		if v < min {
			return fault.BadInput(field, "%s must be at least %d", field, min)
		}
		return nil
	}
}

// graphQLName is entgql's name of field: display_name → displayName,
// source_url → sourceURL.
func graphQLName(name string) string {
	parts := strings.Split(name, "_")
	for i := 1; i < len(parts); i++ {
		switch parts[i] {
		case "id", "url":
			parts[i] = strings.ToUpper(parts[i])
		default:
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// createdByEdge records who created a row; the creator may update it.
func createdByEdge() ent.Edge {
	return edge.To("created_by", User.Type).Unique().Immutable().Annotations(noInput).
		Comment("Who created it; null for reference data.")
}

// noInput keeps an edge or field out of the generated mutation inputs.
var noInput = entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)

// endOnlyInCreateInput shows a link end in the create input and nowhere else.
var endOnlyInCreateInput = entgql.Skip(entgql.SkipType, entgql.SkipWhereInput, entgql.SkipOrderField, entgql.SkipMutationUpdateInput)
